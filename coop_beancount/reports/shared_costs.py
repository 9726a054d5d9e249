"""Shared costs as the plugin booked them: per split key and period, the total, each
member's part and who paid.

    2025-02-01 * "Market Basket" "Whole milk"
      Expenses:Production:Milk   17.45 USD
        split: "usage quarts: Ana 3, Ben 2"
      Assets:Bank:Checking

The plugin adds the members' parts (meta `coop-split`, the rule it used) and
the credit to the recovery account to that transaction; this module reads
them back from the loaded entries, so `coop shared-costs` and the Fava page
show what the books hold, never a second computation. Costs are grouped by
the split's key: a named key (`health-plan`) or the kind of an inline rule
(`usage quarts`, `equal`, `weights`, `percent`, `fixed`).
"""

from __future__ import annotations

import bisect
import datetime
import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from beancount.core import data
from beancount.core.amount import Amount

from coop_beancount.core.periods import calendar_period
from coop_beancount.reports.output import money_text
from coop_beancount.reports.view import SPLIT_META, CoopBooks, Money, add, cleaned

#: Who paid a cost that no member paid out of pocket.
THE_COOP = "co-op"
ZERO = Decimal(0)


@dataclass(frozen=True)
class SharedCost:
    """One split of one cost: the expense, how it was shared and who paid it."""

    date: datetime.date
    description: str
    key: str
    rule: str
    currency: str
    total: Decimal
    parts: dict[str, Decimal]
    #: Member keys who paid out of pocket, or THE_COOP.
    paid_by: tuple[str, ...]
    source: dict[str, Any]


def key_of(rule: str) -> str:
    """The key a split is filed under: a named key's name, or an inline rule's kind.

    >>> key_of("health-plan (from 2025-07-01: weights: Ana 1, Chloe 2)")
    'health-plan'
    >>> key_of("usage quarts: Ana 3, Ben 2")
    'usage quarts'
    """
    head, colon, _ = rule.partition(":")
    if " (from " in head:
        return head.split(" (from ", 1)[0].strip()
    return head.strip() if colon else rule.strip()


def shared_costs(books: CoopBooks, start: datetime.date | None = None,
                 end: datetime.date | None = None) -> list[SharedCost]:
    """Every split cost in the books from `start` through `end` (inclusive), in date order.

    Worked out once for the books (`CoopBooks.kept`); a time is a slice of that."""
    costs = books.kept("shared costs", lambda: _shared_costs(books))
    if start is None and end is None:
        return costs
    date_of = operator.attrgetter("date")
    first = 0 if start is None else bisect.bisect_left(costs, start, key=date_of)
    last = len(costs) if end is None else bisect.bisect_right(costs, end, key=date_of)
    return costs[first:last]


def _shared_costs(books: CoopBooks) -> list[SharedCost]:
    chart = books.chart
    # Split transactions have some 25 postings each, to a few thousand accounts: each
    # account's member key is worked out once.
    member_key = functools.cache(chart.member_key)

    @functools.cache
    def payer(account: str) -> str | None:
        key = member_key(account)
        return (key if key is not None and chart.figure_account(account) == chart.payable(key)
                else None)

    costs = []
    for entry in books.split_entries:
        costs.extend(_entry_costs(entry, member_key, payer))
    return costs


def _entry_costs(entry: data.Transaction, member_key: Callable[[str], str | None],
                 payer: Callable[[str], str | None]) -> list[SharedCost]:
    # The plugin appends each split's member parts, then its recovery credit. Who paid
    # (the members whose payable a posting without SPLIT_META credits, or the co-op) paid
    # for every split of the transaction. One pass: a split has some 25 postings.
    splits: list[tuple[str, Amount, dict[str, Decimal]]] = []
    payers: set[str] = set()
    parts: dict[str, Decimal] = {}
    for posting in entry.postings:
        meta = posting.meta
        if not meta or SPLIT_META not in meta:
            key = payer(posting.account)
            if key is not None:
                payers.add(key)
            continue
        member = member_key(posting.account)
        if member is not None and "coop-basis" in meta:
            parts[member] = parts.get(member, ZERO) + posting.units.number
            continue
        splits.append((str(meta[SPLIT_META]), posting.units, parts))
        parts = {}
    paid_by = tuple(sorted(payers)) or (THE_COOP,)
    description = " - ".join(part for part in (entry.payee, entry.narration) if part)
    return [SharedCost(entry.date, description, key_of(rule), rule, units.currency,
                       -units.number, parts, paid_by, entry.meta)
            for rule, units, parts in splits]


@dataclass
class SharedCostPeriod:
    """The costs of one key in one period: total, members' parts, who paid."""

    key: str
    period: str
    costs: int = 0
    total: Money = field(default_factory=dict)
    parts: dict[str, Money] = field(default_factory=dict)
    paid_by: dict[str, Money] = field(default_factory=dict)


def by_key_and_period(
    costs: Iterable[SharedCost], frequency: str = "monthly",
    start: datetime.date | None = None, end: datetime.date | None = None,
    with_parts: bool = True,
) -> list[SharedCostPeriod]:
    """Costs in [start, end] summed per key and calendar period, in key then period order
    (each member's part too, unless not `with_parts`)."""
    groups: dict[tuple[str, str], SharedCostPeriod] = {}
    for cost in costs:
        if (start is not None and cost.date < start) or (end is not None and cost.date > end):
            continue
        period = calendar_period(cost.date, frequency)
        group = groups.get((cost.key, period))
        if group is None:
            group = groups[(cost.key, period)] = SharedCostPeriod(cost.key, period)
        group.costs += 1
        currency = cost.currency
        add(group.total, currency, cost.total)
        if with_parts:
            _add_parts(group.parts, cost.parts, currency)
        # Members who paid one cost between them are listed together ("Ana + Ben").
        payer = " + ".join(cost.paid_by)
        add(group.paid_by.setdefault(payer, {}), cost.currency, cost.total)
    for group in groups.values():
        group.parts = {m: cleaned(money) for m, money in sorted(group.parts.items())}
        group.paid_by = {p: cleaned(money) for p, money in sorted(group.paid_by.items())}
    return [groups[k] for k in sorted(groups)]


def _add_parts(total: dict[str, Money], parts: dict[str, Decimal], currency: str) -> None:
    for member, number in parts.items():  # add(), inlined: large books have a million parts
        money = total.get(member)
        if money is None:
            total[member] = {currency: number}
        else:
            money[currency] = money.get(currency, ZERO) + number


def parts_by_member(costs: Iterable[SharedCost]) -> dict[str, dict[str, Money]]:
    """Each member's part of the costs per key, in member order: member -> key -> money
    (parts that come to nothing left out)."""
    by_key: dict[str, dict[str, Money]] = {}
    for cost in costs:
        parts = by_key.get(cost.key)
        if parts is None:
            parts = by_key[cost.key] = {}
        _add_parts(parts, cost.parts, cost.currency)
    result: dict[str, dict[str, Money]] = {}
    for key in sorted(by_key):
        for member, money in by_key[key].items():
            if money := cleaned(money):
                result.setdefault(member, {})[key] = money
    return dict(sorted(result.items()))


def usage_units(books: CoopBooks) -> list[str]:
    """The units costs were split by usage in (quarts, hours, ...)."""
    return sorted(books.usage_units)


def shared_cost_rows(groups: list[SharedCostPeriod], names: dict[str, str],
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The two tables of shared costs: per key and period, and each member's part of them.

    The Fava page shows the same rows."""
    totals = [{"key": g.key, "period": g.period, "costs": g.costs, "total": g.total,
               "paid_by": "; ".join(f"{names.get(payer, payer)} {money_text(money)}"
                                    for payer, money in g.paid_by.items())} for g in groups]
    parts = [{"key": g.key, "period": g.period, "member": member, "name": names.get(member, ""),
              "part": money} for g in groups for member, money in g.parts.items()]
    return totals, parts
