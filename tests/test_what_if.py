"""`coop patronage --what-if` before any decision: a draft in the books, or the command line.

The figures are the domain notes' worked example (tests/support.py's WORKED): FY2025, margin
48,000.00, non-patronage 2,500.00, barrels G1 12,000; G2 7,500; G3 3,333; G4 950.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from beancount import loader
from beancount.core import data
from click.testing import CliRunner

from coop_beancount.cli import main
from tests.support import WORKED

D = Decimal
DECISION_AT = WORKED.index('2026-03-01 custom "coop-allocation"')
REDEMPTION = '2026-06-30 custom "coop-redemption" 10000.00 USD'
#: The worked example's allocations (10% reserve) and, at 20% cash, the cash parts.
ALLOCATIONS = {"G1": D("21797.08"), "G2": D("13623.18"), "G3": D("6054.14"), "G4": D("1725.60")}
CASH_20 = {"G1": D("4359.42"), "G2": D("2724.64"), "G3": D("1210.83"), "G4": D("345.12")}
MARGIN = ["--margin", "Income:Patronage Expenses:Growing", "--measure", "barrels"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def rows(output: str) -> dict[str, dict[str, str]]:
    return {row["member"]: row for row in csv.DictReader(io.StringIO(output))}


def money(text: str) -> Decimal:
    return D(text.split()[0].replace(",", ""))


@pytest.fixture
def draft(tmp_path):
    path = tmp_path / "draft.beancount"
    path.write_text(WORKED.replace("  paid: 2026-03-15\n", "  paid: 2026-03-15\n  draft: TRUE\n")
                    .replace(REDEMPTION, ""))
    return path


@pytest.fixture
def undecided(tmp_path):
    path = tmp_path / "undecided.beancount"
    path.write_text(WORKED[:DECISION_AT])
    return path


def test_a_draft_is_checked_but_not_booked(draft):
    entries, errors, _ = loader.load_file(str(draft))
    assert errors == []
    assert not [e for e in entries if isinstance(e, data.Transaction)
                and e.meta.get("coop-generated") == "allocation"]
    result = run("patronage", draft, "--year", "2025")
    assert result.exit_code == 1 and "draft: TRUE" in result.output


def test_what_if_works_out_a_draft_to_the_cent(draft):
    result = run("patronage", draft, "--year", "2025", "--what-if", "--format", "csv")
    assert result.exit_code == 0, result.output
    found = rows(result.stdout)
    assert {m: money(r["allocation"]) for m, r in found.items()} == ALLOCATIONS
    assert {m: money(r["cash"]) for m, r in found.items()} == CASH_20
    assert "booked" not in next(iter(found.values()))  # nothing booked to compare with
    assert "worked out from the margin and patronage in the books" in result.stderr
    # The shares of the draft can be changed on the command line like a booked pool's.
    result = run("patronage", draft, "--year", "2025", "--what-if", "--cash", "50%",
                 "--format", "csv")
    found = rows(result.stdout)
    assert {m: money(r["cash"]) for m, r in found.items()} == {
        m: (a / 2).quantize(D("0.01"), rounding="ROUND_CEILING") for m, a in ALLOCATIONS.items()}


def test_what_if_from_the_command_line_before_any_decision(undecided, draft):
    result = run("patronage", undecided, "--year", "2025", "--what-if", *MARGIN,
                 "--non-patronage", "Income:NonPatronage", "--reserve", "10%", "--cash", "20%",
                 "--per", "pool", "--format", "csv")
    assert result.exit_code == 0, result.output
    [pool] = csv.DictReader(io.StringIO(result.stdout))
    assert pool["pool"] == "patronage"
    assert [money(pool[k]) for k in ("margin", "reserve", "pool_amount", "non_patronage")] == [
        D("48000.00"), D("4800.00"), D("43200.00"), D("2500.00")]
    assert pool["paid"] == "2026-09-15"  # the US deadline, when --paid is not given
    result = run("patronage", undecided, "--year", "2025", "--what-if", *MARGIN,
                 "--reserve", "10%", "--cash", "20%", "--format", "csv")
    by_draft = run("patronage", draft, "--year", "2025", "--what-if", "--format", "csv")
    assert [(r["member"], r["allocation"], r["cash"], r["retained"])
            for r in rows(result.stdout).values()] == [
        (r["member"], r["allocation"], r["cash"], r["retained"])
        for r in rows(by_draft.stdout).values()]
    # No reserve unless asked: the whole margin is the pool.
    result = run("patronage", undecided, "--year", "2025", "--what-if", *MARGIN,
                 "--cash", "20%", "--per", "pool", "--format", "csv")
    [pool] = csv.DictReader(io.StringIO(result.stdout))
    assert money(pool["pool_amount"]) == D("48000.00")


def test_what_if_works_out_a_decision_paid_after_as_of(tmp_path):
    path = tmp_path / "later.beancount"
    path.write_text(WORKED.replace("'as_of': '2026-12-31'", "'as_of': '2026-03-01'")
                    .replace(REDEMPTION, ""))
    result = run("patronage", path, "--year", "2025", "--what-if", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert {m: money(r["allocation"]) for m, r in rows(result.stdout).items()} == ALLOCATIONS


@pytest.mark.parametrize("args, words", [
    (["--what-if", "--margin", "Income:Patronage"], ["--margin and --measure go together"]),
    (["--margin", "Income:Patronage", "--measure", "barrels", "--cash", "20%"],
     ["only go with --what-if", "--margin"]),
    (["--what-if", *MARGIN], ["need --cash"]),
    (["--what-if"], ["no board decision", "--margin", "draft: TRUE"]),
    (["--what-if", *MARGIN, "--cash", "10%"], ["under the 20%", "--non-qualified"]),
    (["--what-if", "--margin", "Income:Patronage", "--measure", "barels", "--cash", "20%"],
     ["unknown measure 'barels'"]),
    (["--what-if", "--margin", "Income:Patronag", "--measure", "barrels", "--cash", "20%"],
     ["Income:Patronag, which is not opened"]),
    (["--what-if", *MARGIN, "--cash", "20%", "--paid", "2026-09-16"],
     ["after the deadline of 2026-09-15"]),
])
def test_what_if_before_a_decision_refuses_cleanly(undecided, args, words):
    result = run("patronage", undecided, "--year", "2025", *args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output


def test_what_if_names_no_margin_for_a_pool_already_booked(tmp_path):
    path = tmp_path / "main.beancount"
    path.write_text(WORKED)
    result = run("patronage", path, "--year", "2025", "--pool", "barrels", "--what-if", *MARGIN,
                 "--cash", "30%")
    assert result.exit_code == 1
    assert "decided and booked already" in result.output


def test_what_if_follows_the_cash_rounding_setting(tmp_path):
    path = tmp_path / "main.beancount"
    path.write_text(WORKED.replace("'as_of': '2026-12-31'",
                                   "'as_of': '2026-12-31', 'cash_rounding': 'half-up'"))
    result = run("patronage", path, "--year", "2025", "--what-if", "--cash", "30%",
                 "--format", "csv")
    assert result.exit_code == 0, result.output
    # G1 21,797.08 x 30% = 6,539.124 -> 6,539.12 (half up; up would give 6,539.13).
    assert money(rows(result.stdout)["G1"]["cash"]) == D("6539.12")


def test_what_if_of_a_draft_keeps_its_split_notices(tmp_path):
    path = tmp_path / "draft.beancount"
    path.write_text(WORKED.replace("  paid: 2026-03-15\n",
                                   '  paid: 2026-03-15\n  qualified: "50%"\n  draft: TRUE\n')
                    .replace(REDEMPTION, ""))
    result = run("patronage", path, "--year", "2025", "--what-if", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert {r["notice"] for r in rows(result.stdout).values()} == {"50% qualified"}
