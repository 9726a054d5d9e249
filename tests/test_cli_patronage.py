"""The patronage commands: `coop patronage`, `notices`, `1099-patr`, `equity`, and the
member statement's retained equity by fiscal year."""

import csv
import io
import json
import textwrap
from collections import defaultdict
from decimal import Decimal

import pytest
from click.testing import CliRunner

from coop_beancount.books.loading import load_books
from coop_beancount.cli import main
from tests.support import WORKED

ALLOCATIONS = {"G1": "21797.08", "G2": "13623.18", "G3": "6054.14", "G4": "1725.60"}
CASH = {"G1": "4359.42", "G2": "2724.64", "G3": "1210.83", "G4": "345.12"}
RETAINED = {"G1": "17437.66", "G2": "10898.54", "G3": "4843.31", "G4": "1380.48"}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write(tmp_path, text, name="main.beancount"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def worked(tmp_path):
    return write(tmp_path, WORKED)


def usd(rows, column):
    return {row["member"]: row[column]["USD"] for row in rows}


# --- coop patronage ----------------------------------------------------------------------

def test_patronage_worked_example_per_member(worked):
    result = run("patronage", worked, "--year", "2025", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert usd(rows, "allocation") == ALLOCATIONS
    assert usd(rows, "cash") == CASH
    assert usd(rows, "retained") == RETAINED
    assert {r["member"]: r["quantity"] for r in rows} == {
        "G1": "12000", "G2": "7500", "G3": "3333", "G4": "950"}
    assert {r["notice"] for r in rows} == {"qualified"}


def test_patronage_worked_example_per_pool(worked):
    result = run("patronage", worked, "--year", "2025", "--per", "pool", "--format", "json")
    [pool] = json.loads(result.output)
    assert pool["pool"] == "barrels"
    assert pool["margin"] == {"USD": "48000.00"}
    assert pool["non_patronage"] == {"USD": "2500.00"}
    assert pool["reserve"] == {"USD": "4800.00"}
    assert pool["pool_amount"] == {"USD": "43200.00"}
    assert pool["reserve_share"] == "10%"
    assert pool["rate"] == "1.816423"  # 43200 / 23783 barrels


def test_patronage_table_has_the_pool_and_a_totals_row(worked):
    result = run("patronage", worked, "--year", "2025")
    assert result.exit_code == 0, result.output
    assert "as booked" in result.output
    assert "Reserve (10%)" in result.output
    total = next(line for line in result.output.splitlines() if "Total" in line)
    assert "23,783" in total
    assert "43,200.00 USD" in total
    # The cash parts are rounded up, so together they are a cent over 20% of the pool.
    assert "8,640.01 USD" in total
    assert "34,559.99 USD" in total


def test_what_if_recomputes_without_touching_the_books(tmp_path, worked):
    before = worked.read_bytes()
    result = run("patronage", worked, "--year", "2025", "--what-if", "--reserve", "20%",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    assert "the books are not changed" in result.stderr
    rows = json.loads(result.stdout)
    allocations = usd(rows, "allocation")
    assert allocations != ALLOCATIONS
    assert allocations["G1"] == "19375.18"
    assert sum(Decimal(n) for n in allocations.values()) == Decimal("38400.00")
    assert usd(rows, "booked") == ALLOCATIONS
    for row in rows:
        assert Decimal(row["cash"]["USD"]) >= Decimal(row["allocation"]["USD"]) * Decimal("0.2")
    pool = json.loads(run("patronage", worked, "--year", "2025", "--what-if", "--reserve",
                          "20%", "--per", "pool", "--format", "json").stdout)[0]
    assert pool["reserve"] == {"USD": "9600.00"}
    assert pool["pool_amount"] == {"USD": "38400.00"}
    assert worked.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["main.beancount"]
    table = run("patronage", worked, "--year", "2025", "--what-if", "--reserve", "20%")
    assert table.output.startswith("What-if for FY2025")
    assert "the books are not changed" in table.output


def test_what_if_refuses_a_qualified_notice_with_under_20_percent_cash(worked):
    result = run("patronage", worked, "--year", "2025", "--what-if", "--cash", "10%")
    assert result.exit_code == 1
    assert "what-if refused" in result.output
    assert "cash share is 10%, under the 20%" in result.output
    assert "--non-qualified" in result.output
    assert "Traceback" not in result.output
    allowed = run("patronage", worked, "--year", "2025", "--what-if", "--cash", "10%",
                  "--non-qualified", "--format", "json")
    assert allowed.exit_code == 0, allowed.output
    rows = json.loads(allowed.stdout)
    assert usd(rows, "allocation") == ALLOCATIONS  # same reserve: same allocations
    assert usd(rows, "cash")["G1"] == "2179.71"  # 10% of 21797.08, rounded up
    assert {r["notice"] for r in rows} == {"non-qualified"}


def test_shares_without_what_if_are_a_usage_error(worked):
    result = CliRunner().invoke(main, ["patronage", str(worked), "--year", "2025",
                                       "--reserve", "15%"])
    assert result.exit_code == 2
    assert "only go with --what-if" in result.output


def test_what_if_bad_percentage(worked):
    result = CliRunner().invoke(main, ["patronage", str(worked), "--year", "2025",
                                       "--what-if", "--cash", "30"])
    assert result.exit_code == 2
    assert "like 15%" in result.output


def test_patronage_year_without_a_decision(worked):
    result = run("patronage", worked, "--year", "2024")
    assert result.exit_code == 1
    assert "no allocation for FY2024" in result.output
    assert "no board decision" in result.output
    assert 'custom "coop-allocation" 2024' in result.output


def test_patronage_decision_paid_after_as_of(tmp_path):
    path = write(tmp_path, WORKED.replace("'as_of': '2026-12-31'", "'as_of': '2026-03-14'"))
    result = run("patronage", path, "--year", "2025")
    assert result.exit_code == 1
    line = WORKED.splitlines().index('2026-03-01 custom "coop-allocation" 2025 "barrels"') + 1
    assert f"{path}:{line} is paid on 2026-03-15, after the plugin's as_of 2026-03-14" in (
        " ".join(result.output.split()))


def test_patronage_unknown_pool_lists_the_pools(worked):
    result = run("patronage", worked, "--year", "2025", "--pool", "apples")
    assert result.exit_code == 1
    assert "no allocation for FY2025 pool 'apples'" in result.output
    assert "barrels" in result.output


def test_patronage_refuses_unclean_books(tmp_path):
    path = write(tmp_path, WORKED + '2025-10-01 custom "coop-patronage" "G9" "barrels" 5\n')
    result = run("patronage", path, "--year", "2025")
    assert result.exit_code == 1
    assert "does not check clean" in result.output
    forced = run("patronage", path, "--year", "2025", "--ignore-errors")
    assert forced.exit_code == 0
    assert "21,797.08 USD" in forced.output


def two_pools(tmp_path):
    """The worked example plus a juice pool of FY2025: non-qualified, all retained."""
    text = WORKED.replace('margin: "Income:Patronage Expenses:Growing"',
                          'margin: "Income:Patronage:Sales Expenses:Growing"')
    text = text.replace("2024-01-01 open Expenses:Growing USD\n",
                        "2024-01-01 open Expenses:Growing USD\n"
                        "2024-01-01 open Income:Patronage:Juice USD\n")
    return write(tmp_path, text + textwrap.dedent("""\
        2025-11-05 * "Juice"
          Assets:Bank  1000.00 USD
          Income:Patronage:Juice
        2026-03-02 custom "coop-allocation" 2025 "juice"
          margin: "Income:Patronage:Juice"
          measure: "barrels"
          cash: "0%"
          qualified: FALSE
          paid: 2026-04-01
    """))


def test_patronage_several_pools(tmp_path):
    books = two_pools(tmp_path)
    result = run("patronage", books, "--year", "2025")
    assert result.exit_code == 0, result.output
    assert "Pool 'barrels' of FY2025, paid 2026-03-15" in result.output
    assert "Pool 'juice' of FY2025, paid 2026-04-01" in result.output
    lines = result.output.splitlines()
    juice_total = next(line for line in lines if line.startswith("juice    Total"))
    assert "1,000.00 USD" in juice_total
    every = next(line for line in lines if "All pools" in line)
    assert "44,200.00 USD" in every and "8,640.01 USD" in every
    assert "47,566" not in every  # the same barrels in two pools are not counted twice
    only = json.loads(run("patronage", books, "--year", "2025", "--pool", "juice",
                          "--format", "json").output)
    assert usd(only, "allocation")["G1"] == "504.56"
    assert {r["pool"] for r in only} == {"juice"}


# --- coop notices ------------------------------------------------------------------------

def test_notices_one_per_member_with_amounts_and_consent(tmp_path):
    books = write(tmp_path, WORKED.replace('"Grower Four"', '"Grower <Four> & Sons"'))
    out = tmp_path / "notices" / "FY2025"
    result = run("notices", books, "--year", "2025", "--out", out, "--format", "json")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["FY2025-G1.html", "FY2025-G2.html", "FY2025-G3.html", "FY2025-G4.html",
                     "index.html"]
    listed = json.loads(result.stdout)
    assert [row["file"] for row in listed] == [str(out / n) for n in names[:4]]
    assert "Wrote 4 notice(s)" in result.stderr
    g1 = (out / "FY2025-G1.html").read_text()
    for text in ("Cranberry Growers Co-operative", "Grower One", "G1", "FY2025", "barrels",
                 "12,000", "1.816423 USD", "21,797.08 USD", "4,359.42 USD", "17,437.66 USD",
                 "qualified", "2026-03-15", "§1388(c)", "consented", "@page { size: letter"):
        assert text in g1, text
    assert "not taxable to you when allocated" not in g1
    g4 = (out / "FY2025-G4.html").read_text()
    assert "Grower &lt;Four&gt; &amp; Sons" in g4
    assert "<Four>" not in g4
    index = (out / "index.html").read_text()
    for name in names[:4]:
        assert f'href="{name}"' in index
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files


def test_notices_combine_the_pools_of_the_year(tmp_path):
    books = two_pools(tmp_path)
    out = tmp_path / "out"
    assert run("notices", books, "--year", "2025", "--out", out).exit_code == 0
    g1 = (out / "FY2025-G1.html").read_text()
    assert g1.count("<td>qualified</td>") == 1 and g1.count("<td>non-qualified</td>") == 1
    assert "22,301.64 USD" in g1  # 21,797.08 + 504.56
    assert "§1388(c)" in g1 and "not taxable to you when allocated" in g1


def test_notices_non_qualified_wording_and_a4(tmp_path):
    books = write(tmp_path, MULTI_YEAR)
    out = tmp_path / "out"
    result = run("notices", books, "--year", "2025", "--out", out, "--paper", "a4")
    assert result.exit_code == 0, result.output
    g3 = (out / "FY2025-G3.html").read_text()
    assert "non-qualified" in g3
    assert "not taxable to you when allocated" in g3
    assert "1388(c)" not in g3
    assert "1,975.61 USD" in g3 and "197.57 USD" in g3 and "1,778.04 USD" in g3
    assert "@page { size: A4" in g3


@pytest.mark.parametrize("change, year, message", [
    (lambda t: t, 2024, "no allocation for FY2024"),
    (lambda t: t + '2025-10-01 custom "coop-patronage" "G9" "barrels" 5\n', 2025,
     "does not check clean"),
    (lambda t: t.replace('option "title" "Cranberry Growers Co-operative"\n', ""), 2025,
     'option "title"'),
])
def test_notices_leave_nothing_behind_on_error(tmp_path, change, year, message):
    books = write(tmp_path, change(WORKED))
    out = tmp_path / "notices"
    result = run("notices", books, "--year", year, "--out", out)
    assert result.exit_code == 1
    assert message in result.output
    assert not out.exists()


@pytest.mark.parametrize("step", ["write", "rename"])
def test_notices_take_back_what_they_wrote_when_a_write_fails(tmp_path, worked, monkeypatch,
                                                              step):
    # write_files (shared with coop invoice) writes every file to a temporary file, flushes
    # them all, then renames each: a failure at either step takes back what this run made.
    import coop_beancount.books.files as files

    name, module = ("_staged", files) if step == "write" else ("replace", files.os)
    real = getattr(module, name)
    calls = []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, failing)
    out = tmp_path / "notices"
    result = run("notices", worked, "--year", "2025", "--out", out)
    monkeypatch.undo()
    assert len(calls) == 3
    assert result.exit_code == 1
    assert "No space left on device" in result.output
    assert not out.exists()


def test_notices_out_must_be_a_folder(tmp_path, worked):
    target = write(tmp_path, "keep me", "notices")
    result = CliRunner().invoke(main, ["notices", str(worked), "--year", "2025",
                                       "--out", str(target)])
    assert result.exit_code == 2
    assert "is a file" in result.output
    assert target.read_text() == "keep me"


# --- coop 1099-patr ----------------------------------------------------------------------

FORM_1099 = textwrap.dedent("""\
    option "operating_currency" "USD"
    plugin "coop_beancount.plugins.coop" "{'as_of': '2026-12-31'}"

    2024-01-01 open Assets:Bank USD
    2024-01-01 open Income:Patronage:Sales USD
    2024-01-01 custom "coop-measure" "barrels"
    2024-01-01 custom "coop-consent" "G1" "written"
    2024-01-01 custom "coop-member" "G1" "Grower One"
    2025-01-01 custom "coop-consent" "G2" "written"
    2025-01-01 custom "coop-member" "G2" "Grower Two"
    2025-01-01 custom "coop-consent" "G3" "written"
    2025-01-01 custom "coop-member" "G3" "Grower Three"
    2025-01-01 custom "coop-retain" "barrels" 0.50 USD

    ; FY2024: G1 alone, non-qualified notices with 10% cash, paid in 2025.
    2024-06-01 custom "coop-patronage" "G1" "barrels" 100
    2024-11-01 * "Sales 2024"
      Assets:Bank  1000.00 USD
      Income:Patronage:Sales
    2025-03-01 custom "coop-allocation" 2024 "barrels"
      margin: "Income:Patronage"
      measure: "barrels"
      cash: "10%"
      qualified: FALSE
      paid: 2025-03-15

    ; FY2025: per-unit retains withheld in 2025; qualified notices paid in 2026.
    2025-06-01 custom "coop-patronage" "G1" "barrels" 1000
    2025-06-01 custom "coop-patronage" "G2" "barrels" 9.99
    2025-06-01 custom "coop-patronage" "G3" "barrels" 10
    2025-11-01 * "Sales 2025"
      Assets:Bank  1019.99 USD
      Income:Patronage:Sales
    2026-03-01 custom "coop-allocation" 2025 "barrels"
      margin: "Income:Patronage"
      measure: "barrels"
      cash: "20%"
      paid: 2026-03-15

    ; Redeems 450.00 of G1's FY2024 non-qualified notice: income to G1 in 2026.
    2026-06-30 custom "coop-redemption" 450.00 USD
""")


def form_1099(tmp_path, year, *args):
    books = write(tmp_path, FORM_1099)
    result = run("1099-patr", books, "--year", year, *args)
    assert result.exit_code == 0, result.output
    return result


NO_BOXES = {"box2": "0.00", "box4": "0.00", "box6": "0.00", "box7": "0.00"}


def test_1099_patr_boxes_and_the_10_dollar_threshold(tmp_path):
    result = form_1099(tmp_path, 2026)
    rows = list(csv.DictReader(io.StringIO(result.output)))
    # G2's allocation is 9.99 (2.00 cash, 7.99 qualified): under 10.00, so not filed.
    assert rows == [
        {"member": "G1", "name": "Grower One", "box1": "1000.00", "box3": "0.00",
         "box5": "450.00", **NO_BOXES},
        {"member": "G3", "name": "Grower Three", "box1": "10.00", "box3": "0.00",
         "box5": "0.00", **NO_BOXES},
    ]


def test_1099_patr_is_by_calendar_year_of_payment(tmp_path):
    result = form_1099(tmp_path, 2025, "--format", "json")
    # 2025: the cash part of the FY2024 non-qualified allocation (its retained part is not
    # income until redeemed) and the per-unit retains withheld; G2 and G3's retains of
    # about 5.00 each stay under the threshold.
    assert json.loads(result.output) == [
        {"member": "G1", "name": "Grower One", "box1": "100.00", "box3": "500.00",
         "box5": "0.00", **NO_BOXES}]


def test_1099_patr_nobody_paid(tmp_path):
    result = form_1099(tmp_path, 2023, "--format", "table")
    assert "nobody was paid 10.00 USD or more" in result.output
    assert form_1099(tmp_path, 2023).output == (
        "member,name,box1,box2,box3,box4,box5,box6,box7\n")


# --- coop equity and the statement's equity by year --------------------------------------

def test_equity_after_a_redemption(worked):
    rows = json.loads(run("equity", worked, "--format", "json").output)
    assert usd(rows, "qualified") == {"G1": "12392.04", "G2": "7745.03", "G3": "3441.89",
                                      "G4": "981.03"}
    assert {r["year"] for r in rows} == {"FY2025"}
    before = json.loads(run("equity", worked, "--as-of", "2026-06-29", "--format",
                            "json").output)
    assert usd(before, "total") == RETAINED
    table = run("equity", worked).output
    total = next(line for line in table.splitlines() if line.startswith("Total"))
    assert "24,559.99 USD" in total  # 34,559.99 retained less the 10,000.00 redeemed


def test_statement_shows_equity_by_fiscal_year(worked):
    rows = json.loads(run("statement", worked, "G1", "--equity", "--format", "json").output)
    assert rows == [{"year": "FY2025", "qualified": {"USD": "17437.66"}, "non_qualified": {},
                     "retains": {}, "redeemed": {"USD": "5045.62"},
                     "outstanding": {"USD": "12392.04"}}]
    table = run("statement", worked, "G1").output
    assert "Retained patronage equity by fiscal year" in table
    assert "12,392.04 USD" in table.split("Retained patronage equity")[1]
    before = run("statement", worked, "G1", "--to", "2026-06-29", "--equity", "--format", "json")
    assert json.loads(before.output)[0]["outstanding"] == {"USD": "17437.66"}


def test_statement_without_retained_equity_has_no_equity_section(worked):
    text = WORKED + '2024-01-01 custom "coop-member" "G5" "Grower Five"\n'
    path = write(worked.parent, text)
    result = run("statement", path, "G5")
    assert result.exit_code == 0, result.output
    assert "Retained patronage equity" not in result.output


# --- several years: allocations, redemptions and a leaver, all adding up ------------------

MULTI_YEAR = textwrap.dedent("""\
    option "title" "Bog Growers Co-operative"
    option "operating_currency" "USD"
    plugin "coop_beancount.plugins.coop" "{'as_of': '2029-12-31'}"

    2023-01-01 open Assets:Bank USD
    2023-01-01 open Income:Patronage:Sales USD
    2023-01-01 open Expenses:Growing USD

    2023-01-01 custom "coop-measure" "barrels"
    2023-01-01 custom "coop-retain" "barrels" 0.25 USD
    2023-01-01 custom "coop-consent" "G1" "written"
    2023-01-01 custom "coop-member" "G1" "Grower One"
    2023-01-01 custom "coop-consent" "G2" "written"
    2023-01-01 custom "coop-member" "G2" "Grower Two"
    2023-01-01 custom "coop-consent" "G3" "written"
    2023-01-01 custom "coop-member" "G3" "Grower Three"
    2026-06-30 custom "coop-leave" "G3"

    2024-09-01 custom "coop-patronage" "G1" "barrels" 1000
    2024-09-01 custom "coop-patronage" "G2" "barrels" 600
    2024-09-01 custom "coop-patronage" "G3" "barrels" 400
    2024-10-01 * "Sales 2024"
      Assets:Bank  10000.00 USD
      Income:Patronage:Sales
    2024-10-02 * "Costs 2024"
      Assets:Bank  -2000.00 USD
      Expenses:Growing

    2025-09-01 custom "coop-patronage" "G1" "barrels" 1100
    2025-09-01 custom "coop-patronage" "G2" "barrels" 500
    2025-09-01 custom "coop-patronage" "G3" "barrels" 450
    2025-10-01 * "Sales 2025"
      Assets:Bank  12000.00 USD
      Income:Patronage:Sales
    2025-10-02 * "Costs 2025"
      Assets:Bank  -3000.00 USD
      Expenses:Growing

    2026-05-01 custom "coop-patronage" "G3" "barrels" 300
    2026-09-01 custom "coop-patronage" "G1" "barrels" 1200
    2026-09-01 custom "coop-patronage" "G2" "barrels" 700
    2026-10-01 * "Sales 2026"
      Assets:Bank  11000.00 USD
      Income:Patronage:Sales
    2026-10-02 * "Costs 2026"
      Assets:Bank  -1000.00 USD
      Expenses:Growing

    2025-03-01 custom "coop-allocation" 2024 "barrels"
      margin: "Income:Patronage Expenses:Growing"
      measure: "barrels"
      reserve: "10%"
      cash: "20%"
      paid: 2025-03-15
      late: TRUE  ; the cash parts are not paid out in these books
    2026-03-01 custom "coop-allocation" 2025 "barrels"
      margin: "Income:Patronage Expenses:Growing"
      measure: "barrels"
      cash: "10%"
      qualified: FALSE
      paid: 2026-03-15
      late: TRUE  ; the cash parts are not paid out in these books
    2027-03-01 custom "coop-allocation" 2026 "barrels"
      margin: "Income:Patronage Expenses:Growing"
      measure: "barrels"
      reserve: "5%"
      cash: "30%"
      paid: 2027-03-15
      late: TRUE  ; the cash parts are not paid out in these books

    ; Pays FY2024 in full and FY2025 pro rata; G3, who left, is paid on a schedule.
    2027-06-30 custom "coop-redemption" 9000.00 USD
    2027-12-31 custom "coop-redemption" 1000.00 USD
      member: "G3"
    2028-06-30 custom "coop-redemption" 3000.00 USD
    2028-12-31 custom "coop-redemption" 1000.00 USD
      member: "G3"
""")
DATES = ["2025-03-15", "2026-03-15", "2027-06-30", "2027-12-31", "2028-12-31", None]


def capital_accounts(path, key, until=None):
    """What the books say is under Equity:Members:<key>, straight from the loaded entries."""
    loaded = load_books(path)
    assert not loaded.errors
    total = Decimal(0)
    for entry in loaded.entries:
        if type(entry).__name__ != "Transaction" or (until and str(entry.date) > until):
            continue
        for posting in entry.postings:
            if posting.account.startswith(f"Equity:Members:{key}:"):
                total -= posting.units.number
    return total


def money(value):
    return Decimal(value.get("USD", "0"))


@pytest.mark.parametrize("until", DATES)
def test_several_years_capital_statement_and_equity_agree(tmp_path, until):
    books = write(tmp_path, MULTI_YEAR)
    dated = ("--as-of", until) if until else ()
    by_member = {row["member"]: money(row["total"]) for row in json.loads(
        run("equity", books, "--by", "member", "--format", "json", *dated).output)}
    for key in ("G1", "G2", "G3"):
        statement = json.loads(run("statement", books, key, "--equity", "--format", "json",
                                   *(("--to", until) if until else ())).output)
        outstanding = sum((money(year["outstanding"]) for year in statement), Decimal(0))
        for year in statement:  # allocated less redeemed is what is left
            allocated = sum((money(year[k]) for k in ("qualified", "non_qualified", "retains")),
                            Decimal(0))
            assert allocated - money(year["redeemed"]) == money(year["outstanding"])
        capital = capital_accounts(books, key, until)
        assert outstanding == capital, (key, until)
        assert by_member.get(key, Decimal(0)) == capital, (key, until)


def test_several_years_redemptions(tmp_path):
    books = write(tmp_path, MULTI_YEAR)
    at_end = json.loads(run("equity", books, "--format", "json").output)
    # Oldest first: FY2024 is paid in full, FY2025 in part; the leaver's schedule paid
    # their FY2025 in full and reached into FY2026, so only 92.90 of theirs is left.
    assert sorted((row["member"], row["year"]) for row in at_end) == [
        ("G1", "FY2025"), ("G1", "FY2026"), ("G2", "FY2025"), ("G2", "FY2026"),
        ("G3", "FY2026")]
    assert [row["total"] for row in at_end if row["member"] == "G3"] == [{"USD": "92.90"}]
    statement = json.loads(run("statement", books, "G3", "--equity", "--format", "json").output)
    assert [y["outstanding"] for y in statement] == [{}, {}, {"USD": "92.90"}]
    # The pro rata redemption of 2027-06-30 pays 9,000.00 exactly, the schedules 1,000.00.
    loaded = load_books(books)
    paid = defaultdict(Decimal)
    for entry in loaded.entries:
        if type(entry).__name__ == "Transaction" and entry.meta.get(
                "coop-generated") == "equity-redemption":
            for posting in entry.postings:
                if posting.account.startswith("Equity:"):
                    paid[str(entry.date)] += posting.units.number
    assert paid == {"2027-06-30": Decimal("9000.00"), "2027-12-31": Decimal("1000.00"),
                    "2028-06-30": Decimal("3000.00"), "2028-12-31": Decimal("1000.00")}
    # Every non-qualified FY2025 dollar G3 was allocated is reported once, when redeemed.
    box5 = Decimal(0)
    for year in (2026, 2027, 2028, 2029):
        rows = json.loads(run("1099-patr", books, "--year", year, "--format", "json").output)
        box5 += sum((Decimal(r["box5"]) for r in rows if r["member"] == "G3"), Decimal(0))
    assert box5 == Decimal("1778.04")
    assert money(statement[1]["non_qualified"]) == Decimal("1778.04")


def test_several_years_patronage_per_year(tmp_path):
    books = write(tmp_path, MULTI_YEAR)
    for year, pool, notice in ((2024, "7200.00", "qualified"), (2025, "9000.00", "non-qualified"),
                               (2026, "9500.00", "qualified")):
        rows = json.loads(run("patronage", books, "--year", year, "--format", "json").output)
        assert sum(Decimal(r["allocation"]["USD"]) for r in rows) == Decimal(pool)
        assert {r["notice"] for r in rows} == {notice}
    # G3 left in 2026 but their FY2026 patronage (before leaving) is still allocated.
    rows = json.loads(run("patronage", books, "--year", 2026, "--format", "json").output)
    assert {r["member"]: r["quantity"] for r in rows}["G3"] == "300"


def test_help_has_examples():
    for command in ("patronage", "notices", "1099-patr", "equity", "statement"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.output
    assert "PDF" in run("notices", "--help").output


def test_notices_are_rendered_and_written_one_at_a_time(tmp_path, monkeypatch):
    # 20,000 owners' notices must never all be in memory: each is rendered as it is
    # written (to its temporary file), so when the third file is written only three
    # notices have been rendered.
    import coop_beancount.books.files as files
    from coop_beancount.cli import patronage as patronage_cli

    books = write(tmp_path, WORKED)
    rendered, writes = [], []
    real_render, real_write = patronage_cli.iter_notices, files._staged

    def counting_render(*args, **kwargs):
        for name, text in real_render(*args, **kwargs):
            rendered.append(name)
            yield name, text

    def counting_write(path, *args, **kwargs):
        writes.append((path.name, len(rendered)))
        return real_write(path, *args, **kwargs)

    monkeypatch.setattr(patronage_cli, "iter_notices", counting_render)
    monkeypatch.setattr(files, "_staged", counting_write)
    result = run("notices", books, "--year", "2025", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert writes == [("FY2025-G1.html", 1), ("FY2025-G2.html", 2), ("FY2025-G3.html", 3),
                      ("FY2025-G4.html", 4), ("index.html", 5)]
    assert "Writing notices" in result.stderr
