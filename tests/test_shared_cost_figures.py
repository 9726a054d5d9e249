"""The shared-cost figures the CLI and the Fava page start from: every split cost and each
usage unit's records, worked out once per books, then summed over any time."""

import datetime
import textwrap
from decimal import Decimal

import pytest
from beancount import loader

from coop_beancount.reports.shared_costs import (
    THE_COOP,
    by_key_and_period,
    parts_by_member,
    shared_costs,
    usage_units,
)
from coop_beancount.reports.usage import usage_costs, usage_records
from coop_beancount.reports.view import CoopBooks

BOOKS = textwrap.dedent("""\
    plugin "coop_beancount.plugins.coop" "{'as_of': '2025-12-31'}"
    2025-01-01 open Assets:Bank:Checking USD
    2025-01-01 open Expenses:Milk USD
    2025-01-01 open Expenses:Rent USD
    2025-01-01 open Income:Members:SharedCosts USD
    2025-01-01 custom "coop-member" "Ana" "Ana Souza"
    2025-01-01 custom "coop-member" "Ben" "Ben Okafor"
    2025-01-01 custom "coop-member" "Cy" "Cy Park"
    2025-01-01 custom "coop-retail-price" "quarts" 5.00 USD

    2025-01-31 * "Rent"
      Expenses:Rent  90.00 USD
        split: "equal: Ana, Ben, Cy"
      Assets:Bank:Checking

    2025-02-01 * "Milk, Ana paid"
      Expenses:Milk  30.00 USD
        split: "usage quarts: Ana 1, Ben 1, Cy 1"
      Liabilities:Members:Ana:Payable

    2025-02-01 * "Culture for the same batch"
      Expenses:Milk  6.00 USD
        split: "usage quarts: Ana 1, Ben 1, Cy 1"
      Assets:Bank:Checking

    2025-02-28 * "Rent refund"
      Expenses:Rent  -90.00 USD
        split: "equal: Ana, Ben, Cy"
      Assets:Bank:Checking

    2025-03-01 * "Milk and rent"
      Expenses:Milk  12.00 USD
        split: "usage quarts: Ben 2, Cy 4"
      Expenses:Rent  20.00 USD
        split: "weights: Ana 1, Ben 1"
      Assets:Bank:Checking
""")


@pytest.fixture(scope="module")
def books() -> CoopBooks:
    entries, errors, options = loader.load_string(BOOKS)
    assert not errors
    return CoopBooks.from_entries(entries, options)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def test_split_transactions_are_listed_once_each_in_date_order(books):
    assert [e.narration for e in books.split_entries] == [
        "Rent", "Milk, Ana paid", "Culture for the same batch", "Rent refund", "Milk and rent"]
    assert usage_units(books) == ["quarts"]


def test_every_split_of_a_transaction_is_a_cost(books):
    costs = shared_costs(books)
    assert [(c.date.isoformat(), c.key, c.total) for c in costs] == [
        ("2025-01-31", "equal", Decimal("90.00")),
        ("2025-02-01", "usage quarts", Decimal("30.00")),
        ("2025-02-01", "usage quarts", Decimal("6.00")),
        ("2025-02-28", "equal", Decimal("-90.00")),
        ("2025-03-01", "usage quarts", Decimal("12.00")),
        ("2025-03-01", "weights", Decimal("20.00")),
    ]
    assert [c.paid_by for c in costs[1:3]] == [("Ana",), (THE_COOP,)]
    assert costs[5].parts == {"Ana": Decimal("10.00"), "Ben": Decimal("10.00")}
    assert shared_costs(books) is costs  # worked out once for the books


@pytest.mark.parametrize("start, end", [
    (None, None), ("2025-02-01", None), (None, "2025-02-01"), ("2025-02-01", "2025-02-28"),
    ("2025-02-02", "2025-02-27"), ("2025-03-02", None), (None, "2025-01-30")])
def test_costs_of_a_time_are_those_dated_in_it(books, start, end):
    first = day(start) if start else None
    last = day(end) if end else None
    wanted = [c for c in shared_costs(books)
              if (first is None or c.date >= first) and (last is None or c.date <= last)]
    assert shared_costs(books, first, last) == wanted


def test_parts_by_member_adds_up_the_parts_per_key_and_drops_nothing_owed(books):
    costs = shared_costs(books)
    parts = parts_by_member(costs)
    # The rent and its refund come to nothing for Cy; his milk is kept.
    assert parts == {
        "Ana": {"usage quarts": {"USD": Decimal("12.00")}, "weights": {"USD": Decimal("10.00")}},
        "Ben": {"usage quarts": {"USD": Decimal("16.00")}, "weights": {"USD": Decimal("10.00")}},
        "Cy": {"usage quarts": {"USD": Decimal("20.00")}},
    }
    # The same figures as the per-period parts the CLI prints, added up.
    added: dict = {}
    for group in by_key_and_period(costs, "monthly"):
        for member, money in group.parts.items():
            for currency, number in money.items():
                cell = added.setdefault(member, {}).setdefault(group.key, {})
                cell[currency] = cell.get(currency, Decimal(0)) + number
    assert {m: {k: v for k, v in keys.items() if any(v.values())}
            for m, keys in added.items()} == parts


def test_totals_without_parts_are_the_same_totals(books):
    costs = shared_costs(books)
    with_parts = by_key_and_period(costs, "quarterly")
    without = by_key_and_period(costs, "quarterly", with_parts=False)
    assert [(g.key, g.period, g.costs, g.total, g.paid_by) for g in without] == [
        (g.key, g.period, g.costs, g.total, g.paid_by) for g in with_parts]
    assert all(g.parts for g in with_parts) and not any(g.parts for g in without)


def test_usage_records_count_a_members_units_once_a_day(books):
    records = usage_records(books, "quarts")
    ana = [r for r in records if r.member == "Ana"]
    assert [(r.date.isoformat(), r.cost, r.units, r.retail) for r in ana] == [
        ("2025-02-01", Decimal("10.00"), Decimal(1), Decimal("5.00")),
        ("2025-02-01", Decimal("2.00"), Decimal(0), None)]
    assert [r.date for r in records] == sorted(r.date for r in records)


@pytest.mark.parametrize("start, end, months", [
    (None, None, ["2025-02", "2025-03"]), ("2025-02-01", "2025-02-01", ["2025-02"]),
    ("2025-02-02", None, ["2025-03"]), (None, "2025-01-31", [])])
def test_usage_costs_of_a_time(books, start, end, months):
    by_period, by_member = usage_costs(books, "quarts", "monthly",
                                       day(start) if start else None, day(end) if end else None)
    whole, _ = usage_costs(books, "quarts", "monthly")
    assert [r.label for r in by_period] == months
    assert [(r.units, r.cost, r.retail) for r in by_period] == [
        (r.units, r.cost, r.retail) for r in whole if r.label in months]
    assert sum(r.units for r in by_member) == sum(r.units for r in by_period)
    if months == ["2025-02"]:
        assert by_period[0].units == 3 and by_period[0].cost == {"USD": Decimal("36.00")}
