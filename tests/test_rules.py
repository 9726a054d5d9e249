"""Rules by country (`'rules': 'us' | 'none' | 'ca'`) and the cash rounding setting.

The Canadian figures are worked out by hand in examples/prairie-coop/README.md: sales to
members 69,600.00 (Arnason 40,000.00, Boucher 25,000.00, Chen 4,000.00, Dube 600.00), margin
8,600.00, reserve 10%, cash 30% rounded half up, 15% withheld above 100.00 a year.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from click.testing import CliRunner

from coop_beancount.books.config import ConfigError, parse_config
from coop_beancount.books.loading import load_books
from coop_beancount.cli import main
from coop_beancount.core.patronage import (
    FiscalCalendar,
    allocate_pool,
    cash_part,
    deadline,
    deadline_problem,
    share_problems,
)
from coop_beancount.core.rules import NAMES, rule_set
from tests.support import WORKED, coop_errors

D = Decimal
ROOT = Path(__file__).resolve().parent.parent
PRAIRIE = ROOT / "examples" / "prairie-coop" / "main.beancount"
YOGURT = ROOT / "examples" / "yogurt-coop"
DECEMBER = FiscalCalendar(12, 31)
US, NONE, CA = (rule_set(name) for name in ("us", "none", "ca"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_each_rule_set_is_named_and_the_default_is_us():
    assert NAMES == ("us", "none", "ca")
    assert parse_config(None).rules is US
    assert parse_config("{'rules': 'ca'}").rules is CA
    assert parse_config("{'rules': 'none'}").rules is NONE
    assert parse_config(None).cash_rounding == "up"
    assert parse_config("{'cash_rounding': 'half-up'}").cash_rounding == "half-up"


@pytest.mark.parametrize("config, words", [
    ("{'rules': 'uk'}", ("'rules'", "'us', 'none', 'ca'", "'uk'")),
    ("{'rules': ['us']}", ("'rules'", "['us']")),
    ("{'cash_rounding': 'down'}", ("'cash_rounding'", "'up', 'half-up'", "'down'")),
])
def test_a_wrong_setting_names_the_choices(config, words):
    with pytest.raises(ConfigError) as caught:
        parse_config(config)
    for word in words:
        assert word in str(caught.value)


def test_deadlines_by_rule_set():
    assert deadline(DECEMBER, 2025, US) == date(2026, 9, 15)
    assert deadline(DECEMBER, 2025, CA) == date(2026, 12, 31)
    assert deadline(FiscalCalendar(6, 30), 2025, CA) == date(2026, 6, 30)
    assert deadline(FiscalCalendar(2, 28), 2025, CA) == date(2026, 2, 28)
    assert deadline(DECEMBER, 2025, NONE) is None
    late = date(2026, 10, 15)
    assert "2026-09-15" in deadline_problem(DECEMBER, 2025, late, US)
    assert deadline_problem(DECEMBER, 2025, late, CA) is None
    assert "2026-12-31" in deadline_problem(DECEMBER, 2025, date(2027, 1, 1), CA)
    assert deadline_problem(DECEMBER, 2025, date(2031, 1, 1), NONE) is None
    # Under every rule set a dividend is paid after its year ends: the margin is not known.
    for rules in (US, NONE, CA):
        assert "before the year is over" in deadline_problem(DECEMBER, 2025, date(2025, 12, 1),
                                                              rules)


def test_share_problems_by_rule_set():
    assert share_problems(D("0.10"), D("0.10"), True, US)
    assert share_problems(D("0.10"), D("0"), True, NONE) == []
    assert share_problems(D("0.10"), D("0"), True, CA) == []
    # Non-qualified notices are a US notion.
    [problem] = share_problems(D("0.10"), D("0.30"), False, CA)
    assert "qualified: FALSE" in problem and "'ca'" in problem


def test_cash_rounding_up_and_half_up():
    # Arnason's cash part in the Canadian example: 4,448.28 x 30% = 1,334.484.
    assert cash_part(D("4448.28"), D("0.30")) == D("1334.49")
    assert cash_part(D("4448.28"), D("0.30"), rounding="half-up") == D("1334.48")
    assert cash_part(D("66.72"), D("0.30"), rounding="half-up") == D("20.02")  # 20.016
    # Half up, but never under a qualified notice's 20%: 0.07 x 20% = 0.014 -> 0.02, not 0.01.
    assert cash_part(D("0.07"), D("0.20"), rounding="half-up") == D("0.01")
    assert cash_part(D("0.07"), D("0.20"), rounding="half-up", minimum=D("0.20")) == D("0.02")
    result = allocate_pool(D("48000.00"), D("0.10"), D("0.20"),
                           {"G1": D(12000), "G2": D(7500), "G3": D(3333), "G4": D(950)},
                           rounding="half-up", minimum_cash=D("0.20"))
    # The worked example: G1 21,797.08 x 20% = 4,359.416 -> 4,359.42 (the minimum holds).
    cash = {d.member: d.cash for d in result.dividends}
    assert cash == {"G1": D("4359.42"), "G2": D("2724.64"), "G3": D("1210.83"),
                    "G4": D("345.12")}
    for dividend in result.dividends:
        assert dividend.cash >= dividend.allocation * D("0.20")
        assert dividend.cash + dividend.retained == dividend.allocation


def _worked(rules: str, **decision: str) -> str:
    text = WORKED.replace("{'as_of': '2026-12-31'}", f"{{'as_of': '2026-12-31', 'rules': "
                          f"'{rules}'}}")
    text = text.replace('2026-06-30 custom "coop-redemption" 10000.00 USD', "")
    for key, value in decision.items():
        old = next(line for line in text.splitlines() if line.startswith(f"  {key}:"))
        text = text.replace(old, f"  {key}: {value}")
    return text


def _allocation(entries):
    [entry] = [e for e in entries if isinstance(e, data.Transaction)
               and e.meta.get("coop-generated") == "allocation"]
    return entry


def test_rules_none_books_what_the_us_rules_refuse():
    # No cash, paid in December: under the US rules two errors, under 'none' a dividend.
    text = _worked("none", cash='"0%"', paid="2026-12-01")
    entries, errors, _ = loader.load_string(text)
    assert errors == []
    entry = _allocation(entries)
    assert entry.date == date(2026, 12, 1)
    assert not any(p.meta and p.meta.get("coop-kind") == "cash" for p in entry.postings)
    _, errors, _ = loader.load_string(_worked("us", cash='"0%"', paid="2026-12-01"))
    messages = [e.message for e in coop_errors(errors)]
    assert len(messages) == 2
    assert any("under the 20%" in m for m in messages)
    assert any("after the deadline of 2026-09-15" in m for m in messages)


def test_rules_ca_refuses_a_payment_after_12_months():
    _, errors, _ = loader.load_string(_worked("ca", paid="2027-01-01").replace(
        "'as_of': '2026-12-31'", "'as_of': '2027-12-31'"))
    [error] = coop_errors(errors)
    assert "after the deadline of 2026-12-31" in error.message
    assert "12 months after the year ends" in error.message


# --- the Canadian example ---------------------------------------------------------------------

ALLOCATION = {"Arnason": D("4448.28"), "Boucher": D("2780.17"), "Chen": D("444.83"),
              "Dube": D("66.72")}
CASH = {"Arnason": D("1334.48"), "Boucher": D("834.05"), "Chen": D("133.45"), "Dube": D("20.02")}
WITHHELD = {"Arnason": D("652.24"), "Boucher": D("402.03"), "Chen": D("51.72")}
RETAINED = {"Arnason": D("3113.80"), "Boucher": D("1946.12"), "Chen": D("311.38"),
            "Dube": D("46.70")}


@pytest.fixture(scope="module")
def prairie():
    loaded = load_books(PRAIRIE)
    assert loaded.errors == []
    return loaded


def test_prairie_allocation_field_by_field(prairie):
    entry = _allocation(prairie.entries)
    assert entry.date == date(2026, 10, 15)
    assert entry.meta["coop-margin"] == D("8600.00")
    assert entry.meta["coop-reserve"] == D("860.00")
    assert entry.meta["coop-pool-amount"] == D("7740.00")
    found: dict[str, dict[str, Decimal]] = {}
    tax_account = D(0)
    for posting in entry.postings:
        kind = (posting.meta or {}).get("coop-kind")
        parts = posting.account.split(":")
        if posting.account == "Liabilities:Coop:TaxWithheld":
            tax_account -= posting.units.number
            continue
        if kind is None:
            continue
        member = found.setdefault(parts[2], {})
        member[kind] = member.get(kind, D(0)) + posting.units.number
        assert posting.meta["coop-allocation"] == ALLOCATION[parts[2]]
    assert {m: -f["cash"] for m, f in found.items()} == CASH
    assert {m: f["withheld"] for m, f in found.items() if "withheld" in f} == WITHHELD
    assert {m: -f["qualified"] for m, f in found.items()} == RETAINED
    assert tax_account == sum(WITHHELD.values()) == D("1105.99")
    assert sum(ALLOCATION.values()) == D("7740.00")
    # 15% of each year's payments above 100.00, half up to the cent (Dube: 66.72, none).
    for member, tax in WITHHELD.items():
        assert tax == ((ALLOCATION[member] - 100) * D("0.15")).quantize(D("0.01"))


def test_prairie_t4a_csv(prairie):
    result = run("t4a", PRAIRIE, "--year", "2026")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["member"] for r in rows] == ["Arnason", "Boucher", "Chen"]  # Dube: no slip
    for row in rows:
        assert D(row["box030"]) == ALLOCATION[row["member"]]
        assert D(row["box022"]) == WITHHELD[row["member"]]
    assert run("t4a", PRAIRIE, "--year", "2025").output.strip() == "member,name,box030,box022"


def test_prairie_refuses_the_1099_patr_and_the_us_refuses_the_t4a(tmp_path):
    result = CliRunner().invoke(main, ["1099-patr", str(PRAIRIE), "--year", "2026"])
    assert result.exit_code == 1
    assert "rules 'ca'" in result.output and "coop t4a" in result.output
    worked = tmp_path / "main.beancount"
    worked.write_text(WORKED)
    result = CliRunner().invoke(main, ["t4a", str(worked), "--year", "2026"])
    assert result.exit_code == 1
    assert "rules 'us'" in result.output and "coop 1099-patr" in result.output
    assert "Traceback" not in result.output


def test_prairie_notices_speak_of_the_t4a_not_of_us_consent(tmp_path):
    result = run("notices", PRAIRIE, "--year", "2025", "--out", tmp_path / "n")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "n" / "FY2025-Arnason.html").read_text()
    assert "T4A" in page and "652.24 CAD" in page and "section 135" in page
    assert "1388" not in page and "1099-PATR" not in page and "qualified" not in page
    assert "to the nearest cent" in page and "cents left over" in page


def test_withholding_counts_the_calendar_year_across_payments(tmp_path):
    # Two pools paid in 2026 to one member: 80.00 each. The first is under the 100.00, the
    # second brings the year to 160.00: 15% of 60.00 = 9.00, withheld from the second.
    text = """option "operating_currency" "CAD"
plugin "coop_beancount.plugins.coop" "{'as_of': '2026-12-31', 'rules': 'ca'}"
2025-01-01 open Assets:Bank CAD
2025-01-01 open Income:Patronage:A CAD
2025-01-01 open Income:Patronage:B CAD
2025-01-01 custom "coop-consent" "M1" "written"
2025-01-01 custom "coop-member" "M1" "Member One"
2025-01-01 custom "coop-measure" "a"
2025-01-01 custom "coop-patronage" "M1" "a" 1
2025-06-01 * "Sales"
  Assets:Bank  160.00 CAD
  Income:Patronage:A  -80.00 CAD
  Income:Patronage:B  -80.00 CAD
2026-02-01 custom "coop-allocation" 2025 "a"
  margin: "Income:Patronage:A"
  measure: "a"
  cash: "CASH"
  paid: 2026-02-15
2026-05-01 custom "coop-allocation" 2025 "b"
  margin: "Income:Patronage:B"
  measure: "a"
  cash: "CASH"
  paid: 2026-05-15
"""
    entries, errors, _ = loader.load_string(text.replace("CASH", "50%"))
    assert errors == []
    taxes = [p.units.number for e in entries if isinstance(e, data.Transaction)
             for p in e.postings if p.account == "Liabilities:Coop:TaxWithheld"]
    assert taxes == [D("-9.00")]
    # With no cash part there is nothing to withhold from: an error at the second decision.
    _, errors, _ = loader.load_string(text.replace("CASH", "0%"))
    [error] = coop_errors(errors)
    assert "withholding" in error.message and "9.00" in error.message
    assert error.source["lineno"] == text.splitlines().index(
        '2026-05-01 custom "coop-allocation" 2025 "b"') + 1


# --- rules: none on the yogurt example --------------------------------------------------------


def test_yogurt_keeps_no_tax_rules_and_files_no_form(tmp_path):
    books = tmp_path / "yogurt"
    shutil.copytree(YOGURT, books)
    main_file = books / "main.beancount"
    text = main_file.read_text()
    assert "'rules': 'none'" in text
    # A surplus shared by production hours, all retained, decided late in 2026: no US check.
    main_file.write_text(text.replace("'as_of': '2025-12-31'", "'as_of': '2026-12-31'") + """
2025-01-01 custom "coop-measure" "shifts"
2025-12-31 custom "coop-patronage" "Ana" "shifts" 3
2025-12-31 custom "coop-patronage" "Gus" "shifts" 1
2025-12-01 open Income:Market USD
2025-12-20 * "Winter market" "Yogurt sold at the market stall"
  Assets:Cash  100.01 USD
  Income:Market
2026-11-20 custom "coop-allocation" 2025 "surplus"
  margin: "Income:Market"
  measure: "shifts"
  cash: "0%"
  paid: 2026-11-30
""")
    loaded = load_books(main_file)
    assert loaded.errors == []
    entry = _allocation(loaded.entries)
    retained = {p.account: p.units.number for p in entry.postings if p.meta
                and p.meta.get("coop-kind") == "qualified"}
    pool = entry.meta["coop-pool-amount"]
    # 100.01 by 3 and 1 shifts: 75.0075 and 25.0025; the odd cent to the larger remainder.
    assert pool == D("100.01")
    assert retained == {"Equity:Members:Ana:Allocated:FY2025": D("-75.01"),
                        "Equity:Members:Gus:Allocated:FY2025": D("-25.00")}
    result = CliRunner().invoke(main, ["1099-patr", str(main_file), "--year", "2026"])
    assert result.exit_code == 1 and "they file no patronage tax form" in result.output
    result = run("patronage", main_file, "--year", "2025", "--per", "check", "--format", "csv")
    assert "the rules 'none' set no payment deadline" in result.output
    assert "failed" not in result.output


# --- notices: an issue date within the payment period (issue 18, part 4) ---------------------


def _issued(rules: str, issued: str) -> str:
    return _worked(rules).replace("  paid: 2026-03-15\n",
                                  f"  paid: 2026-03-15\n  issued: {issued}\n")


def test_notices_issued_within_the_payment_period_are_booked_with_their_date(tmp_path):
    entries, errors, _ = loader.load_string(_issued("us", "2026-04-01"))
    assert errors == []
    assert _allocation(entries).meta["coop-issued"] == date(2026, 4, 1)
    entries, _, _ = loader.load_string(_worked("us"))
    assert "coop-issued" not in _allocation(entries).meta  # issued when paid
    books = tmp_path / "main.beancount"
    books.write_text(_issued("us", "2026-04-01"))
    result = run("notices", books, "--year", "2025", "--out", tmp_path / "n")
    assert result.exit_code == 0, result.output
    assert "<td>2026-04-01</td>" in (tmp_path / "n" / "FY2025-G1.html").read_text()


@pytest.mark.parametrize("rules, issued, words", [
    ("us", "2026-09-16", ["issued on 2026-09-16", "payment period ends on 2026-09-15"]),
    ("ca", "2027-01-01", ["payment period ends on 2026-12-31", "12 months"]),
    ("us", "2026-02-01", ["before the board decides on 2026-03-01"]),
])
def test_notices_issued_outside_the_payment_period_are_an_error(rules, issued, words):
    text = _issued(rules, issued)
    _, errors, _ = loader.load_string(text)
    [error] = coop_errors(errors)
    assert error.source["lineno"] == text.splitlines().index(
        '2026-03-01 custom "coop-allocation" 2025 "barrels"') + 1
    for word in words:
        assert word in error.message


def test_rules_none_set_no_payment_period_for_notices():
    _, errors, _ = loader.load_string(_issued("none", "2028-01-01"))
    assert errors == []
