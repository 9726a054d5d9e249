"""Form 1099-PATR returns a filer can submit (issue 18, part 2): the payer and recipients,
every box, backup withholding, the $10 rule and its withholding exception, the IRIS CSV
through its column map, and the recipients' statements (Copy B).

The TINs below are obviously not anyone's: SSNs starting 000 and EINs starting 00 are
never issued. The register is written in each test's tmp folder, never in git."""

from __future__ import annotations

import csv
import io
import json
import shutil
import stat
import textwrap
from decimal import Decimal as D
from pathlib import Path

import pytest
from click.testing import CliRunner

from coop_beancount.books.loading import load_books
from coop_beancount.cli import main
from coop_beancount.reports.returns_1099 import IRIS_MAP, load_column_map, parse_address

GROWERS = Path(__file__).parent.parent / "examples" / "growers-coop"
HEADER_LINE = "member,tin,tin_type,address,email,phone,account\n"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def rows_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


# --- the growers' example: a full year end -------------------------------------------------

#: The growers' fake register: SSN 000-00-000N, EIN 00-000000N for Beaton's farm.
GROWERS_REGISTER = HEADER_LINE + "".join(
    f'{key},{tin},{kind},"{n} Bog Road\n{town} MA 0233{n}",,,{key[:3].upper()}-{n:04}\n'
    for n, (key, tin, kind, town) in enumerate([
        ("Andrade", "000-00-0001", "SSN", "Carver"), ("Beaton", "00-0000002", "EIN", "Wareham"),
        ("Costa", "000-00-0003", "SSN", "Carver"), ("Gomes", "000-00-0004", "SSN", "Plympton"),
        ("Harju", "000-00-0005", "SSN", "Carver"), ("Lopes", "000-00-0006", "SSN", "Carver"),
        ("Pina", "000-00-0007", "SSN", "Rochester")], 1))

#: By hand, from the example's README (examples/growers-coop/README.md, "The figures").
#: Box 1 for 2026 is the FY2025 dividends paid on 2026-03-13, cash and qualified notices:
#: the crop pool's allocation plus the station pool's. Box 5 is what the revolving fund of
#: 2026-08-14 (and Harju's payout of 2026-05-15) redeemed of the FY2024 station pool's
#: non-qualified notices: the notice less what is left of it on 2026-08-31.
CROP = {"Andrade": "14640.39", "Beaton": "25355.69", "Costa": "7104.89",
        "Gomes": "11468.86", "Lopes": "3742.90", "Pina": "9075.72"}
STATION = {"Andrade": "2416.57", "Costa": "1172.75", "Gomes": "1893.07", "Lopes": "617.81",
           "Pina": "1498.05"}
NOTICE_2024 = {"Andrade": ("1439.82", "1049.08"), "Costa": ("702.00", "511.49"),
               "Gomes": ("1101.13", "802.30"), "Harju": ("375.25", "0"),
               "Pina": ("881.80", "642.49")}


def expected_2026() -> dict[str, dict[str, D]]:
    members = sorted(set(CROP) | set(NOTICE_2024))
    return {key: {"box1": D(CROP.get(key, "0")) + D(STATION.get(key, "0")),
                  "box5": D(NOTICE_2024[key][0]) - D(NOTICE_2024[key][1])
                  if key in NOTICE_2024 else D(0)}
            for key in members}


@pytest.fixture(scope="module")
def growers_year_end(tmp_path_factory):
    """The example copied to a tmp folder, its register beside it, and the 2026 returns."""
    folder = tmp_path_factory.mktemp("growers") / "books"
    shutil.copytree(GROWERS, folder, ignore=shutil.ignore_patterns("imports"))
    (folder / "members-private.csv").write_text(GROWERS_REGISTER)
    out = folder.parent / "returns"
    result = run("1099-patr", folder / "main.beancount", "--year", "2026", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_growers_complete_csv_field_by_field(growers_year_end):
    rows = {r["member"]: r for r in rows_of(growers_year_end / "1099-patr-2026.csv")}
    expected = expected_2026()
    assert sorted(rows) == sorted(expected)  # all seven growers: each over 10.00
    for key, boxes in expected.items():
        row = rows[key]
        assert D(row["box1"]) == boxes["box1"], key
        assert D(row["box5"]) == boxes["box5"], key
        for box in ("box2", "box3", "box4", "box6", "box7"):
            assert D(row[box]) == 0, (key, box)  # no retains withheld in 2026, no withholding
    andrade = rows["Andrade"]
    assert D(andrade["box1"]) == D("17056.96")  # 14,640.39 + 2,416.57
    assert D(andrade["box5"]) == D("390.74")  # 1,439.82 - 1,049.08
    assert andrade["payer_name"] == "Plymouth County Cranberry Growers Cooperative"
    assert (andrade["payer_tin"], andrade["payer_street"], andrade["payer_city"],
            andrade["payer_state"], andrade["payer_zip"], andrade["payer_phone"]) == (
        "00-1234567", "1 Bog Road", "Carver", "MA", "02330", "5085550100")
    assert (andrade["recipient_name"], andrade["recipient_tin"], andrade["recipient_tin_type"],
            andrade["recipient_street"], andrade["recipient_city"], andrade["recipient_zip"],
            andrade["account_number"], andrade["tax_year"], andrade["corrected"]) == (
        "Manuel Andrade", "000-00-0001", "SSN", "1 Bog Road", "Carver", "02331", "AND-0001",
        "2026", "")
    assert rows["Beaton"]["recipient_tin_type"] == "EIN"
    # Harju left in 2025: nothing in box 1, his last non-qualified notice redeemed.
    assert (D(rows["Harju"]["box1"]), D(rows["Harju"]["box5"])) == (0, D("375.25"))


def test_growers_iris_csv_follows_the_shipped_column_map(growers_year_end):
    text = (growers_year_end / "1099-patr-2026-iris.csv").read_text()
    headings = next(csv.reader(io.StringIO(text)))
    assert headings == [heading for heading, _ in load_column_map(IRIS_MAP)]
    rows = {r["Account Number"]: r for r in csv.DictReader(io.StringIO(text))}
    costa = rows["COS-0003"]
    assert costa["Form Type"] == "1099-PATR" and costa["Tax Year"] == "2026"
    assert costa["Payer TIN"] == "001234567" and costa["Recipient TIN"] == "000000003"
    assert costa["Recipient TIN Type"] == "SSN" and costa["Recipient State"] == "MA"
    assert D(costa["Box 1 Patronage Dividends"]) == D("7104.89") + D("1172.75")
    assert D(costa["Box 5 Redeemed Nonqualified Notices"]) == D("702.00") - D("511.49")
    assert costa["Box 8 Section 199A(a) Qualified Items"] == ""
    assert costa["Box 13 Specified Cooperative"] == ""


def test_growers_copy_b_pages(growers_year_end):
    folder = growers_year_end / "copy-b"
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([f"1099-PATR-2026-{key}.html" for key in expected_2026()]
                           + ["index.html"])
    page = (folder / "1099-PATR-2026-Andrade.html").read_text()
    assert "Copy B, for recipient" in page and "Manuel Andrade" in page
    assert "17,056.96" in page and "390.74" in page and "00-1234567" in page
    # The recipient's number is truncated on their copy; the full number is never printed.
    assert "XXX-XX-0001" in page and "000-00-0001" not in page
    assert "1099-PATR-2026-Pina.html" in (folder / "index.html").read_text()


def test_growers_returns_are_readable_by_their_owner_only(growers_year_end):
    for path in [growers_year_end / "1099-patr-2026.csv",
                 growers_year_end / "1099-patr-2026-iris.csv",
                 growers_year_end / "copy-b" / "index.html"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_missing_tins_and_addresses_are_listed_and_nothing_is_written(tmp_path):
    folder = tmp_path / "books"
    shutil.copytree(GROWERS, folder, ignore=shutil.ignore_patterns("imports"))
    lines = GROWERS_REGISTER.split("\n")
    # Costa without a TIN, Gomes without an address.
    register = GROWERS_REGISTER.replace("Costa,000-00-0003,SSN", "Costa,,")
    register = register.replace('Gomes,000-00-0004,SSN,"4 Bog Road\nPlympton MA 02334"',
                                "Gomes,000-00-0004,SSN,")
    assert register != GROWERS_REGISTER and len(lines) > 7
    (folder / "members-private.csv").write_text(register)
    out = tmp_path / "returns"
    result = CliRunner().invoke(main, ["1099-patr", str(folder / "main.beancount"), "--year",
                                       "2026", "--out", str(out)])
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert "Gomes (Antonio Gomes) has no address in members-private.csv" in result.output
    assert "Costa (Isabel Costa) has no TIN" in result.output
    assert 'custom "coop-backup-withholding" "Costa" "no-tin"' in result.output
    assert not out.exists()


def test_the_preview_needs_no_register_and_prints_no_private_data():
    result = run("1099-patr", GROWERS / "main.beancount", "--year", "2026")
    assert result.output.splitlines()[0] == "member,name,box1,box2,box3,box4,box5,box6,box7"
    assert "000-00" not in result.output


# --- backup withholding ---------------------------------------------------------------------

PAYER = ("'payer': {'name': 'Test Growers', 'tin': '00-7654321', "
         "'address': '9 Mill Lane; Carver MA 02330'}")

#: Four growers by barrels: G1 600, G2 300, G3 95, G4 5 of a margin of 1,037.00, 30% cash.
#: Allocations (largest remainder): 622.20, 311.10, 98.52 and 5.18 (98.515 and 5.185 tie
#: for the last cent, which goes to the lower key, G3). Cash parts, rounded up: 186.66,
#: 93.33, 29.56 (29.556) and 1.56 (1.554).
#: Backup withholding, 24% of the cash part rounded half up to the cent:
#:   G2 (no TIN):    93.33 x 0.24 = 22.3992 -> 22.40
#:   G3 (B-notice):  29.56 x 0.24 =  7.0944 ->  7.09
#:   G4 (no TIN):     1.56 x 0.24 =  0.3744 ->  0.37
#: G4's 5.18 is under 10.00, but tax was withheld, so a return is due (the exception).
#: G5's 4.00 (no withholding) is under 10.00: no return.
BACKUP = textwrap.dedent(f"""\
    option "title" "Test Growers"
    option "operating_currency" "USD"
    plugin "coop_beancount.plugins.coop" "{{'as_of': '2026-12-31', {PAYER}}}"

    2025-01-01 open Assets:Bank USD
    2025-01-01 open Income:Patronage:Sales USD
    2025-01-01 open Income:Patronage:Other USD
    2025-01-01 custom "coop-measure" "barrels"
    2025-01-01 custom "coop-measure" "crates"
    2025-01-01 custom "coop-consent" "G1" "written"
    2025-01-01 custom "coop-member" "G1" "Grower One"
    2025-01-01 custom "coop-consent" "G2" "written"
    2025-01-01 custom "coop-member" "G2" "Grower Two"
    2025-01-01 custom "coop-consent" "G3" "written"
    2025-01-01 custom "coop-member" "G3" "Grower Three"
    2025-01-01 custom "coop-consent" "G4" "written"
    2025-01-01 custom "coop-member" "G4" "Grower Four"
    2025-01-01 custom "coop-consent" "G5" "written"
    2025-01-01 custom "coop-member" "G5" "Grower Five"
    2025-06-01 custom "coop-patronage" "G1" "barrels" 600
    2025-06-01 custom "coop-patronage" "G2" "barrels" 300
    2025-06-01 custom "coop-patronage" "G3" "barrels" 95
    2025-06-01 custom "coop-patronage" "G4" "barrels" 5
    2025-06-01 custom "coop-patronage" "G5" "crates" 1
    2025-11-01 * "Sales"
      Assets:Bank  1037.00 USD
      Income:Patronage:Sales
    2025-11-01 * "Other sales"
      Assets:Bank  4.00 USD
      Income:Patronage:Other

    2026-01-05 custom "coop-backup-withholding" "G2" "no-tin"
    2026-01-05 custom "coop-backup-withholding" "G3" "b-notice"
    2026-01-05 custom "coop-backup-withholding" "G4" "no-tin"
    2026-03-01 custom "coop-allocation" 2025 "barrels"
      margin: "Income:Patronage:Sales"
      measure: "barrels"
      cash: "30%"
      paid: 2026-03-15
    2026-03-01 custom "coop-allocation" 2025 "crates"
      margin: "Income:Patronage:Other"
      measure: "crates"
      cash: "25%"
      paid: 2026-03-15
    2026-03-20 * "Cash parts paid, less the tax withheld"
      Liabilities:Members:G1:Payable   186.66 USD
      Liabilities:Members:G2:Payable    70.93 USD
      Liabilities:Members:G3:Payable    22.47 USD
      Liabilities:Members:G4:Payable     1.19 USD
      Liabilities:Members:G5:Payable     1.00 USD
      Assets:Bank
""")

BACKUP_REGISTER = HEADER_LINE + textwrap.dedent("""\
    G1,000-00-0011,SSN,1 Mill Lane; Carver MA 02330,,,
    G2,,,2 Mill Lane; Carver MA 02330,,,
    G3,000-00-0013,SSN,3 Mill Lane; Carver MA 02330,,,
    G4,,,4 Mill Lane; Carver MA 02330,,,
    G5,000-00-0015,SSN,5 Mill Lane; Carver MA 02330,,,
""")


def books_with(tmp_path, text=BACKUP, register=BACKUP_REGISTER):
    books = tmp_path / "main.beancount"
    books.write_text(text)
    (tmp_path / "members-private.csv").write_text(register)
    return books


def loaded(path):
    books = load_books(path)
    return books.entries, books.errors


def balance(entries, account):
    return sum((p.units.number for e in entries if hasattr(e, "postings")
                for p in e.postings if p.account == account), D(0))


def test_backup_withholding_is_booked_to_the_cent(tmp_path):
    entries, errors = loaded(books_with(tmp_path))
    assert errors == []
    assert balance(entries, "Liabilities:Coop:TaxWithheld") == -(D("22.40") + D("7.09")
                                                                  + D("0.37"))
    # Each member's payable nets to zero: cash part less the tax, paid out on 2026-03-20.
    for key in ("G1", "G2", "G3", "G4", "G5"):
        assert balance(entries, f"Liabilities:Members:{key}:Payable") == 0, key


def test_backup_withholding_in_box_4_and_the_withholding_exception(tmp_path):
    books = books_with(tmp_path)
    result = run("1099-patr", books, "--year", "2026", "--format", "json")
    rows = {r["member"]: r for r in json.loads(result.output)}
    assert sorted(rows) == ["G1", "G2", "G3", "G4"]  # G5's 4.00: under 10.00, no tax
    assert {k: (r["box1"], r["box4"]) for k, r in rows.items()} == {
        "G1": ("622.20", "0.00"), "G2": ("311.10", "22.40"), "G3": ("98.52", "7.09"),
        "G4": ("5.18", "0.37")}
    out = tmp_path / "returns"
    result = run("1099-patr", books, "--year", "2026", "--out", out)
    assert result.exit_code == 0, result.output
    written = {r["member"]: r for r in rows_of(out / "1099-patr-2026.csv")}
    # G2 has no TIN: the return is filed without one, the withholding in box 4.
    assert (written["G2"]["recipient_tin"], written["G2"]["box4"]) == ("", "22.40")
    # G3 is withheld on a first B-notice: the "2nd TIN notice" box is for a second one.
    assert written["G3"]["second_tin_notice"] == ""
    assert "none given" in (out / "copy-b" / "1099-PATR-2026-G2.html").read_text()


def test_a_second_b_notice_within_three_years_marks_the_2nd_tin_notice_box(tmp_path):
    text = BACKUP.replace('2026-01-05 custom "coop-backup-withholding" "G3" "b-notice"',
                          '2024-05-01 custom "coop-backup-withholding" "G3" "b-notice"\n'
                          '2024-09-01 custom "coop-backup-withholding" "G3" "stop"\n'
                          '2026-01-05 custom "coop-backup-withholding" "G3" "b-notice"')
    books = books_with(tmp_path, text)
    out = tmp_path / "returns"
    assert run("1099-patr", books, "--year", "2026", "--out", out).exit_code == 0
    written = {r["member"]: r for r in rows_of(out / "1099-patr-2026.csv")}
    assert (written["G3"]["second_tin_notice"], written["G2"]["second_tin_notice"]) == ("X", "")


def test_a_member_without_a_tin_and_without_a_marker_is_an_error(tmp_path):
    # G5 (4.00, no return due) has no TIN and no marker: the co-op should have withheld.
    register = BACKUP_REGISTER.replace("G5,000-00-0015,SSN", "G5,,")
    books = books_with(tmp_path, register=register)
    result = CliRunner().invoke(main, ["1099-patr", str(books), "--year", "2026", "--out",
                                       str(tmp_path / "returns")])
    assert result.exit_code == 1
    assert "G5 (Grower Five) has no TIN in members-private.csv" in result.output
    assert not (tmp_path / "returns").exists()


def test_a_marker_against_a_member_with_a_tin_asks_for_a_stop(tmp_path):
    register = BACKUP_REGISTER.replace("G2,,,", "G2,000-00-0012,SSN,")
    books = books_with(tmp_path, register=register)
    result = CliRunner().invoke(main, ["1099-patr", str(books), "--year", "2026", "--out",
                                       str(tmp_path / "returns")])
    assert result.exit_code == 1
    assert 'custom "coop-backup-withholding" "G2" "stop"' in result.output


def test_a_stop_ends_the_withholding(tmp_path):
    text = BACKUP.replace('2026-03-01 custom "coop-allocation" 2025 "barrels"',
                          '2026-02-01 custom "coop-backup-withholding" "G2" "stop"\n'
                          '2026-03-01 custom "coop-allocation" 2025 "barrels"')
    text = text.replace("G2:Payable    70.93", "G2:Payable    93.33")
    entries, errors = loaded(books_with(tmp_path, text))
    assert errors == []
    assert balance(entries, "Liabilities:Coop:TaxWithheld") == -(D("7.09") + D("0.37"))


#: One member without a TIN, non-qualified notices: 500.00 allocated, 20% cash (100.00,
#: 24.00 withheld); 250.00 of the notice redeemed on 2026-06-30, 60.00 withheld from it
#: (box 5 is income when redeemed, paid in cash). Box 1 100.00, box 4 84.00, box 5 250.00.
REDEEMED = textwrap.dedent(f"""\
    option "title" "Test Growers"
    option "operating_currency" "USD"
    plugin "coop_beancount.plugins.coop" "{{'as_of': '2026-12-31', {PAYER}}}"

    2025-01-01 open Assets:Bank USD
    2025-01-01 open Income:Patronage:Sales USD
    2025-01-01 custom "coop-measure" "barrels"
    2025-01-01 custom "coop-consent" "G2" "written"
    2025-01-01 custom "coop-member" "G2" "Grower Two"
    2025-06-01 custom "coop-patronage" "G2" "barrels" 100
    2025-11-01 * "Sales"
      Assets:Bank  500.00 USD
      Income:Patronage:Sales
    2025-12-01 custom "coop-backup-withholding" "G2" "no-tin"
    2026-03-01 custom "coop-allocation" 2025 "barrels"
      margin: "Income:Patronage:Sales"
      measure: "barrels"
      cash: "20%"
      qualified: FALSE
      paid: 2026-03-15
    2026-03-20 * "Cash part paid, less the tax"
      Liabilities:Members:G2:Payable   76.00 USD
      Assets:Bank
    2026-06-30 custom "coop-redemption" 250.00 USD
""")


def test_backup_withholding_from_a_redemption_of_non_qualified_notices(tmp_path):
    books = books_with(tmp_path, REDEEMED,
                       HEADER_LINE + "G2,,,2 Mill Lane; Carver MA 02330,,,\n")
    entries, errors = loaded(books)
    assert errors == []
    assert balance(entries, "Liabilities:Coop:TaxWithheld") == D("-84.00")
    assert balance(entries, "Liabilities:Members:G2:Payable") == D("-190.00")  # 250 - 60
    result = run("1099-patr", books, "--year", "2026")
    assert rows_of_text(result.output) == [{
        "member": "G2", "name": "Grower Two", "box1": "100.00", "box2": "0.00",
        "box3": "0.00", "box4": "84.00", "box5": "250.00", "box6": "0.00", "box7": "0.00"}]


def rows_of_text(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("line, words", [
    ('2026-01-05 custom "coop-backup-withholding" "G9" "no-tin"', ["unknown member 'G9'"]),
    ('2026-01-05 custom "coop-backup-withholding" "G2" "lost"', ['"no-tin"', '"stop"']),
])
def test_backup_markers_mistakes(tmp_path, line, words):
    _, errors = loaded(books_with(tmp_path, BACKUP + line + "\n"))
    messages = [e.message for e in errors]
    assert len(messages) == 1 and all(w in messages[0] for w in words), messages


def test_backup_markers_are_a_us_rule(tmp_path):
    text = BACKUP.replace("'as_of': '2026-12-31'", "'as_of': '2026-12-31', 'rules': 'none'")
    _, errors = loaded(books_with(tmp_path, text))
    assert len(errors) == 3 and all("US rule" in e.message for e in errors)


# --- boxes 2, 6 and 7 ------------------------------------------------------------------------

#: A section 521 specified agricultural co-op: FY2025's crop pool (G1 600, G2 300 barrels
#: of a margin of 900.00: 600.00 and 300.00, 20% cash) passes through a 199A(g) deduction
#: of 100.00, split by the allocations: 66.67 and 33.33 (66.666... and 33.333...: the
#: largest remainder gives the odd cent to G1). The non-patronage pool (120.00 by the same
#: barrels: 80.00 and 40.00) is a non-patronage distribution: box 2. Box 7, qualified
#: payments, is box 1 and box 3: 600.00 and 300.00.
FLAGS = "'section_521': True, 'specified_cooperative': True"
SPECIFIED = textwrap.dedent(f"""\
    option "title" "Test Growers"
    option "operating_currency" "USD"
    plugin "coop_beancount.plugins.coop" "{{'as_of': '2026-12-31', {FLAGS}, {PAYER}}}"

    2025-01-01 open Assets:Bank USD
    2025-01-01 open Income:Patronage:Sales USD
    2025-01-01 open Income:Interest USD
    2025-01-01 custom "coop-measure" "barrels"
    2025-01-01 custom "coop-consent" "G1" "written"
    2025-01-01 custom "coop-member" "G1" "Grower One"
    2025-01-01 custom "coop-consent" "G2" "written"
    2025-01-01 custom "coop-member" "G2" "Grower Two"
    2025-06-01 custom "coop-patronage" "G1" "barrels" 600
    2025-06-01 custom "coop-patronage" "G2" "barrels" 300
    2025-11-01 * "Sales"
      Assets:Bank  900.00 USD
      Income:Patronage:Sales
    2025-11-01 * "Interest"
      Assets:Bank  120.00 USD
      Income:Interest
    2026-03-01 custom "coop-allocation" 2025 "crop"
      margin: "Income:Patronage:Sales"
      measure: "barrels"
      cash: "20%"
      paid: 2026-03-15
      deduction-199a-g: 100.00 USD
    2026-03-01 custom "coop-allocation" 2025 "interest"
      margin: "Income:Interest"
      measure: "barrels"
      cash: "20%"
      paid: 2026-03-15
      distribution: "nonpatronage"
    2026-03-20 * "Cash parts"
      Liabilities:Members:G1:Payable   136.00 USD
      Liabilities:Members:G2:Payable    68.00 USD
      Assets:Bank
""")


def test_boxes_2_6_and_7_of_a_specified_section_521_coop(tmp_path):
    books = books_with(tmp_path, SPECIFIED, HEADER_LINE
                       + "G1,000-00-0011,SSN,1 Mill Lane; Carver MA 02330,,,\n"
                       + "G2,000-00-0012,SSN,2 Mill Lane; Carver MA 02330,,,\n")
    result = run("1099-patr", books, "--year", "2026")
    assert [(r["member"], r["box1"], r["box2"], r["box6"], r["box7"])
            for r in rows_of_text(result.output)] == [
        ("G1", "600.00", "80.00", "66.67", "600.00"), ("G2", "300.00", "40.00", "33.33",
                                                       "300.00")]
    out = tmp_path / "returns"
    assert run("1099-patr", books, "--year", "2026", "--out", out).exit_code == 0
    assert {r["specified_coop"] for r in rows_of(out / "1099-patr-2026.csv")} == {"X"}


@pytest.mark.parametrize("setting, words", [
    ("'section_521': True", "specified agricultural"),
    ("'specified_cooperative': True", "section 521"),
])
def test_boxes_2_and_6_need_their_settings(tmp_path, setting, words):
    text = SPECIFIED.replace(FLAGS, setting)
    _, errors = loaded(books_with(tmp_path, text))
    assert len(errors) == 1 and words in errors[0].message, errors


# --- the IRIS column map, --corrected, --member ---------------------------------------------

def test_a_column_map_swapped_by_the_treasurer(tmp_path):
    books = books_with(tmp_path)
    column_map = tmp_path / "map-2027.csv"
    column_map.write_text("# the 2027 template\ncolumn,field\n"
                          "Recipient's TIN,recipient_tin_digits\n"
                          "Amount 1,box1\nForm,text:PATR\nUnused,\n")
    out = tmp_path / "returns"
    result = run("1099-patr", books, "--year", "2026", "--out", out, "--column-map",
                 column_map, "--corrected", "--member", "G1")
    assert result.exit_code == 0, result.output
    assert (out / "1099-patr-2026-iris.csv").read_text() == (
        "Recipient's TIN,Amount 1,Form,Unused\n000000011,622.20,PATR,\n")
    assert rows_of(out / "1099-patr-2026.csv")[0]["corrected"] == "X"
    assert "(CORRECTED)" in (out / "copy-b" / "1099-PATR-2026-G1.html").read_text()


def test_a_column_map_mistake_is_reported_at_its_line(tmp_path):
    books = books_with(tmp_path)
    column_map = tmp_path / "map.csv"
    column_map.write_text("column,field\nBox 1,box1\nBox 9,box9\n")
    result = CliRunner().invoke(main, ["1099-patr", str(books), "--year", "2026", "--out",
                                       str(tmp_path / "r"), "--column-map", str(column_map)])
    assert result.exit_code == 1
    assert f"{column_map}:3: 'box9' is not a field of a return" in result.output


def test_files_written_before_are_not_replaced_without_replace(tmp_path):
    books = books_with(tmp_path)
    out = tmp_path / "returns"
    assert run("1099-patr", books, "--year", "2026", "--out", out).exit_code == 0
    again = CliRunner().invoke(main, ["1099-patr", str(books), "--year", "2026", "--out",
                                      str(out)])
    assert again.exit_code == 1 and "--replace" in again.output
    assert run("1099-patr", books, "--year", "2026", "--out", out,
               "--replace").exit_code == 0


@pytest.mark.parametrize("payer, words", [
    ("'payer': {'tin': '123'}", "12-3456789"),
    ("'payer': {'fax': '1'}", "name, tin, address, phone"),
])
def test_the_payer_setting_is_checked(tmp_path, payer, words):
    text = BACKUP.replace(PAYER, payer)
    _, errors = loaded(books_with(tmp_path, text))
    assert words in errors[0].message and "payer" in errors[0].message, errors


def test_an_address_ends_with_city_state_and_zip():
    assert parse_address("12 Bog Road\nCarver, MA 02330-1234").lines == [
        "12 Bog Road", "Carver MA 02330-1234"]
    assert parse_address("12 Bog Road, Carver") is None


def test_the_notice_of_a_backup_withheld_member_says_so(tmp_path):
    books = books_with(tmp_path)
    out = tmp_path / "notices"
    assert run("notices", books, "--year", "2025", "--out", out).exit_code == 0
    page = (out / "FY2025-G2.html").read_text()
    assert "Backup withholding" in page and "22.40" in page  # 24% of the 93.33 cash part
    assert "Backup withholding" not in (out / "FY2025-G1.html").read_text()


def test_copy_b_as_pdf(tmp_path):
    from tests.support import pdf_text

    books = books_with(tmp_path)
    out = tmp_path / "returns"
    result = run("1099-patr", books, "--year", "2026", "--out", out, "--pdf")
    assert result.exit_code == 0, result.output
    text = pdf_text((out / "copy-b" / "1099-PATR-2026-G2.pdf").read_bytes())
    assert "Copy B, for recipient" in text and "Grower Two" in text
    assert "311.10" in text and "22.40" in text  # boxes 1 and 4
    assert not (out / "copy-b" / "index.pdf").exists()


def test_the_iris_csv_is_split_at_the_portals_limit(tmp_path, monkeypatch):
    import coop_beancount.reports.returns_1099 as returns_1099

    monkeypatch.setattr(returns_1099, "IRIS_FILE_ROWS", 3)  # the portal's is 250
    books = books_with(tmp_path)
    out = tmp_path / "returns"
    assert run("1099-patr", books, "--year", "2026", "--out", out).exit_code == 0
    # Four returns (G1 to G4): three in the first file, one in the second, each with
    # the heading line; no unsplit file.
    first, second = (rows_of(out / f"1099-patr-2026-iris-{n}.csv") for n in (1, 2))
    assert [r["Account Number"] for r in first + second] == ["G1", "G2", "G3", "G4"]
    assert not (out / "1099-patr-2026-iris.csv").exists()
