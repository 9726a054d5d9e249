"""Credited is not paid (issue 14, case 6): a dividend's cash part is paid when money
leaves the member's payable for it, first in, first out; the payment period check and
Form 1099-PATR read that day."""

from __future__ import annotations

import datetime
import textwrap
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from coop_beancount.core.patronage import FiscalCalendar
from coop_beancount.core.payable import Credit, follow
from coop_beancount.reports.patronage import booked_pools, check_rows, form_1099_patr
from coop_beancount.reports.view import CoopBooks
from tests.support import line_no
from tests.test_plugin_patronage import ALLOCATED, BOOKS, CASH, decision, generated, plugin_header

D = Decimal
LATER = plugin_header("{'as_of': '2026-12-31'}")


def payment(date: str, member: str, amount: Decimal) -> str:
    return f"""
    {date} * "{member}" "Dividend cash"
      Liabilities:Members:{member}:Payable  {amount} USD
      Assets:Cash
    """


def payments(date: str, cash: dict[str, Decimal]) -> str:
    return "".join(payment(date, member, amount) for member, amount in sorted(cash.items()))


def cash_parts(entries: list) -> dict[tuple[str, str], tuple]:
    """(pool, member) -> the cash posting's (coop-paid, coop-payments) metadata."""
    found = {}
    for entry in generated(entries, "allocation"):
        for posting in entry.postings:
            if (posting.meta or {}).get("coop-kind") == "cash":
                member = posting.account.split(":")[2]
                found[(entry.meta["coop-pool"], member)] = (
                    posting.meta.get("coop-paid"), posting.meta.get("coop-payments"),
                    -posting.units.number)
    return found


def test_a_cash_part_paid_a_year_late_is_an_error_at_the_decision(load):
    text = BOOKS + decision(late=None) + payments("2026-03-20", CASH)
    _, errors, _ = load(text, LATER)
    [error] = [e for e in errors if "payment period" in e.message]
    assert error.source["lineno"] == line_no(text, 'custom "coop-allocation"', LATER)
    for member, amount in CASH.items():
        assert f"{member} {amount} USD (paid only on 2026-03-20)" in error.message
    assert "2024-01-01 to 2025-09-15" in error.message and "late: TRUE" in error.message


def test_a_cash_part_never_paid_is_an_error_once_the_period_is_over(load):
    _, errors, _ = load(BOOKS + decision(late=None), LATER)
    [error] = [e for e in errors if "payment period" in e.message]
    assert "G1 4359.42 USD (not paid)" in error.message


def test_the_period_still_running_is_no_error_and_the_check_is_pending(load):
    header = plugin_header("{'as_of': '2025-06-30'}")
    entries, errors, options = load(BOOKS + decision(late=None), header)
    assert errors == [], [e.message for e in errors]
    books = CoopBooks.from_entries(entries, options)
    [row] = [r for r in check_rows(booked_pools(entries, books.chart), FiscalCalendar())
             if r["check"].startswith("Paid by the deadline")]
    assert row["status"] == "pending" and "not paid yet" in row["detail"]


def test_a_late_payment_the_decision_allows_is_marked_and_on_the_right_1099_year(load):
    text = BOOKS + decision(late="TRUE") + payments("2026-03-20", CASH)
    entries, errors, options = load(text, LATER)
    assert errors == [], [e.message for e in errors]
    books = CoopBooks.from_entries(entries, options)
    [row] = [r for r in check_rows(booked_pools(entries, books.chart), FiscalCalendar())
             if r["check"].startswith("Paid by the deadline")]
    assert row["status"] == "late"
    assert "outside the payment period 2024-01-01 to 2025-09-15" in row["detail"]
    by_year = {year: {r.member: r.box1 for r in form_1099_patr(books, year)[0]}
               for year in (2025, 2026)}
    parts = cash_parts(entries)
    for member in CASH:
        assert parts[("patronage", member)][0] == datetime.date(2026, 3, 20)
    # 2025: the qualified notices only (credited then); 2026: the cash, paid then.
    assert by_year[2025] == ALLOCATED
    assert by_year[2026] == CASH


def test_paid_the_day_it_is_credited_is_paid_that_day(load):
    text = BOOKS + decision(late=None) + payments("2025-03-15", CASH)
    entries, errors, _options = load(text)
    assert errors == [], [e.message for e in errors]
    for (_, member), (paid, made, _amount) in cash_parts(entries).items():
        assert paid == datetime.date(2025, 3, 15) and made == f"2025-03-15 {CASH[member]}"


TWO_POOLS = dict(margin='"Income:Patronage Expenses:Growing"', non_patronage=None, late=None)


def test_first_in_first_out_over_two_allocations(load):
    text = (BOOKS + decision(pool="sales", **TWO_POOLS)
            + decision(pool="interest", margin='"Income:NonPatronage"', non_patronage=None,
                       paid="2025-04-15", late="TRUE"))
    entries, errors, _ = load(text, LATER)
    parts = cash_parts(entries)
    sales = {m: parts[("sales", m)][2] for m in CASH}
    interest = {m: parts[("interest", m)][2] for m in CASH}
    # One payment pays the sales cash and 1.00 of the interest cash; the rest in 2026.
    text += payments("2025-05-01", {m: sales[m] + 1 for m in CASH})
    text += payments("2026-01-10", {m: interest[m] - 1 for m in CASH})
    entries, errors, options = load(text, LATER)
    assert errors == [], [e.message for e in errors]
    parts = cash_parts(entries)
    for member in CASH:
        assert parts[("sales", member)][:2] == (
            datetime.date(2025, 5, 1), f"2025-05-01 {sales[member]}")
        assert parts[("interest", member)][:2] == (
            datetime.date(2026, 1, 10), f"2025-05-01 1.00, 2026-01-10 {interest[member] - 1}")
    books = CoopBooks.from_entries(entries, options)
    box1 = {r.member: r.box1 for r in form_1099_patr(books, 2026)[0]}
    assert box1 == {m: interest[m] - 1 for m in CASH}


def test_the_sales_pool_unpaid_names_only_that_pool(load):
    text = (BOOKS + decision(pool="sales", **TWO_POOLS)
            + decision(pool="interest", margin='"Income:NonPatronage"', non_patronage=None,
                       paid="2025-04-15", late=None))
    _, errors, _ = load(text, LATER)
    messages = [e.message for e in errors if "payment period" in e.message]
    assert len(messages) == 2  # one error per decision, at each
    assert all("not paid" in m for m in messages)


def test_follow_sets_off_an_earlier_debit_on_the_day_of_the_credit():
    day = datetime.date
    first, second = Credit(day(2025, 3, 1), D("50")), Credit(day(2025, 4, 1), D("30"))
    follow([(day(2025, 2, 1), D("20"), None), (day(2025, 3, 1), D("-50"), first),
            (day(2025, 4, 1), D("-30"), second), (day(2025, 5, 1), D("45"), None),
            (day(2025, 6, 1), D("100"), None)])
    assert first.payments == [(day(2025, 3, 1), D("20")), (day(2025, 5, 1), D("30"))]
    assert second.payments == [(day(2025, 5, 1), D("15")), (day(2025, 6, 1), D("15"))]
    assert first.paid == day(2025, 5, 1) and second.paid == day(2025, 6, 1)


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 600), st.integers(1, 99)), min_size=1, max_size=4))
def test_box_1_cash_is_what_left_the_payable_in_the_calendar_year(chunks):
    from beancount import loader
    start = datetime.date(2025, 3, 15)
    # G1's cash part paid in chunks (each a share of what is left) on days over two years.
    text = BOOKS + decision(late="TRUE", qualified="FALSE")
    left, paid_in = CASH["G1"], {2025: D(0), 2026: D(0)}
    for offset, percent in sorted(chunks):
        day = start + datetime.timedelta(days=offset)
        amount = (left * percent / 100).quantize(D("0.01")) if offset != 600 else left
        if not amount or day.year not in paid_in:
            continue
        text += payment(str(day), "G1", amount)
        left -= amount
        paid_in[day.year] += amount
    entries, errors, options = loader.load_string(LATER + textwrap.dedent(text))
    assert not [e for e in errors if "G1" in e.message], [e.message for e in errors]
    books = CoopBooks.from_entries(entries, options)
    for year, amount in paid_in.items():
        box1 = {r.member: r.box1 for r in form_1099_patr(books, year, D(0))[0]}
        assert box1.get("G1", D(0)) == amount
