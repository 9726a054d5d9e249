"""Per-unit retains, qualified or not, and their printed certificates (`coop certificates`).

The books: G1 delivers 1,201 barrels (a qualified retain of 0.50 USD a barrel: 600.50)
and 333 bushels of apples (a non-qualified retain of 0.125: 41.625, rounded half up to
41.63); G2 100 bushels (12.50, non-qualified). A redemption of everything on 2026-06-30
(654.63) pays the non-qualified retains back: box 5 of 2026 (G1 41.63, G2 12.50); the
qualified one was box 3 of 2025, when retained.
"""

import json
from decimal import Decimal

from beancount import loader
from click.testing import CliRunner

from coop_beancount.cli import main
from tests.support import coop_errors

SETTINGS = "{'as_of': '2026-12-31', 'payer': {'address': '1 Bog Road; Carver MA 02330'}}"
BOOKS = f"""\
option "title" "Cranberry Growers Co-operative"
option "operating_currency" "USD"
plugin "coop_beancount.plugins.coop" "{SETTINGS}"

2024-01-01 open Assets:Bank USD
2024-01-01 custom "coop-measure" "barrels"
2024-01-01 custom "coop-measure" "apples"
2024-01-01 custom "coop-consent" "G1" "written"
2024-01-01 custom "coop-member" "G1" "Grower One"
2024-01-01 custom "coop-consent" "G2" "written"
2024-01-01 custom "coop-member" "G2" "Grower Two"
2025-01-01 custom "coop-retain" "barrels" 0.50 USD
2025-01-01 custom "coop-retain" "apples" 0.125 USD
  qualified: FALSE
2025-10-01 custom "coop-patronage" "G1" "barrels" 1201
2025-10-01 custom "coop-patronage" "G1" "apples" 333
2025-10-02 custom "coop-patronage" "G2" "apples" 100
2025-10-03 * "Crop proceeds"
  Liabilities:Members:G1:Payable  -5000.00 USD
  Liabilities:Members:G2:Payable  -1000.00 USD
  Assets:Bank
2026-06-30 custom "coop-redemption" 654.63 USD
"""
REGISTER = ("member,tin,tin_type,address,email,phone,account\n"
            'G1,,,"12 Cranberry Lane\nWareham MA 02571",,,\n')


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write(tmp_path, text=BOOKS):
    path = tmp_path / "main.beancount"
    path.write_text(text)
    (tmp_path / "members-private.csv").write_text(REGISTER)
    return path


def retains(text=BOOKS):
    entries, errors, _ = loader.load_string(text)
    found = {}
    for entry in entries:
        if entry.meta.get("coop-generated") == "retain":
            [equity] = [p for p in entry.postings if p.account.startswith("Equity")]
            found[(equity.account, entry.meta["coop-measure"])] = (-equity.units.number,
                                                                    equity.meta["coop-kind"])
    return found, coop_errors(errors)


def test_qualified_and_non_qualified_retains_go_to_their_own_accounts():
    found, errors = retains()
    assert errors == []
    assert found == {
        ("Equity:Members:G1:Retains:FY2025", "barrels"): (Decimal("600.50"), "qualified"),
        ("Equity:Members:G1:Retains:FY2025:NonQualified", "apples"):
            (Decimal("41.63"), "non-qualified"),
        ("Equity:Members:G2:Retains:FY2025:NonQualified", "apples"):
            (Decimal("12.50"), "non-qualified"),
    }


def test_box_3_when_a_qualified_retain_is_made_box_5_when_a_non_qualified_one_is_redeemed(
        tmp_path):
    path = write(tmp_path)

    def form(year):
        result = run("1099-patr", path, "--year", year, "--format", "json")
        assert result.exit_code == 0, result.output
        return {r["member"]: (r["box1"], r["box3"], r["box5"])
                for r in json.loads(result.stdout)}

    # 2025: only the qualified retain is income (G2's 12.50 is non-qualified: no form).
    assert form(2025) == {"G1": ("0.00", "600.50", "0.00")}
    # 2026: the redemption pays back every retain; only the non-qualified ones are box 5.
    assert form(2026) == {"G1": ("0.00", "0.00", "41.63"), "G2": ("0.00", "0.00", "12.50")}
    equity = json.loads(run("equity", path, "--as-of", "2025-12-31", "--format", "json").stdout)
    by_member = {r["member"]: r for r in equity}
    assert by_member["G1"]["retains"] == {"USD": "600.50"}
    assert by_member["G1"]["non_qualified"] == {"USD": "41.63"}


def test_a_qualified_retain_without_consent_is_an_error_at_the_retain_line():
    text = BOOKS.replace('2024-01-01 custom "coop-consent" "G1" "written"\n', "")
    found, errors = retains(text)
    [error] = [e for e in errors if "per-unit retain" in e.message]
    assert error.source["lineno"] == text.splitlines().index(
        '2025-01-01 custom "coop-retain" "barrels" 0.50 USD') + 1
    assert "G1 (from 2025-10-01: no consent recorded)" in error.message
    assert "qualified: FALSE" in error.message and "without_consent" in error.message
    assert ("Equity:Members:G1:Retains:FY2025", "barrels") not in found
    # By rule, non-qualified instead, when the settings say so.
    found, errors = retains(text.replace("'as_of': '2026-12-31'",
                                         "'as_of': '2026-12-31', 'without_consent': "
                                         "'non-qualified'"))
    assert errors == []
    assert found[("Equity:Members:G1:Retains:FY2025:NonQualified", "barrels")] == (
        Decimal("600.50"), "non-qualified")


def test_certificates_one_page_per_member_with_both_addresses(tmp_path):
    path = write(tmp_path)
    out = tmp_path / "certificates"
    result = run("certificates", path, "--year", "2025", "--out", out, "--format", "json")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["FY2025-G1.html", "FY2025-G2.html",
                                                     "index.html"]
    rows = json.loads(result.stdout)
    assert [(r["member"], r["retained"], r["certificate"]) for r in rows] == [
        ("G1", {"USD": "642.13"}, "qualified, non-qualified"),
        ("G2", {"USD": "12.50"}, "non-qualified")]
    g1 = (out / "FY2025-G1.html").read_text()
    for text in ("Per-unit retain certificate", "Cranberry Growers Co-operative",
                 "1 Bog Road\nCarver MA 02330", "12 Cranberry Lane\nWareham MA 02571",
                 "1,201", "0.50 USD", "600.50 USD", "333", "0.125 USD", "41.63 USD",
                 "642.13 USD", "§1388(h)", "box 3", "box 5", "written consent of 2024-01-01",
                 "rounded to the cent (half a cent up)", "no sharing of odd cents"):
        assert text in g1, text
    g2 = (out / "FY2025-G2.html").read_text()
    assert "non-qualified" in g2 and "§1388(h)" not in g2
    assert "12 Cranberry Lane" not in g2  # G2 has no address in the register
    index = (out / "index.html").read_text()
    assert 'href="FY2025-G1.html"' in index and 'href="FY2025-G2.html"' in index
    # Sent before: not replaced unless asked.
    again = run("certificates", path, "--year", "2025", "--out", out)
    assert again.exit_code != 0 and "--replace" in again.output
    assert run("certificates", path, "--year", "2025", "--out", out,
               "--replace").exit_code == 0


def test_no_retains_in_the_year_is_a_clean_message(tmp_path):
    path = write(tmp_path)
    result = run("certificates", path, "--year", "2024", "--out", tmp_path / "none")
    assert result.exit_code == 1
    assert "no per-unit retains in FY2024" in result.output
    assert not (tmp_path / "none").exists()
