"""The co-op at a glance: the figures of the Overview page, from loaded books.

Money in the bank (the balances of the accounts under `Assets:Bank` and `Assets:Cash`,
with the ledger's own root name), income and expenses by month, members active, what
members saved against retail on costs split by usage (`coop-retail-price`), hours given
(`coop-hours`), retained equity outstanding, and the next patronage steps (the fiscal
years ended and not yet allocated, with the day their dividend must be paid by).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from beancount.core import data

from coop_beancount.core.patronage import deadline, fiscal_label
from coop_beancount.core.periods import calendar_period
from coop_beancount.reports.members import member_rows
from coop_beancount.reports.output import english, money_text
from coop_beancount.reports.patronage import booked_pools, outstanding_equity, plugin_settings
from coop_beancount.reports.shared_costs import usage_units
from coop_beancount.reports.usage import usage_costs
from coop_beancount.reports.view import CoopBooks, Money, add, cleaned

#: The asset accounts counted as money in the bank (under the ledger's assets root).
CASH_ACCOUNTS = ("Bank", "Cash")
CASH, INCOME, EXPENSES = 1, 2, 3


def _kind(account: str, roots: dict[str, int]) -> int:
    parts = account.split(":", 2)
    kind = roots.get(parts[0], 0)
    if kind == CASH and (len(parts) < 2 or parts[1] not in CASH_ACCOUNTS):
        return 0
    return kind


@dataclass(frozen=True)
class Month:
    label: str  # 2025-03
    income: Money
    expenses: Money


@dataclass(frozen=True)
class Overview:
    end: datetime.date | None
    bank: Money
    months: list[Month]
    active: int
    left: int
    #: Per usage unit (quarts): what members saved against retail in the time shown.
    saved: dict[str, Money]
    hours: Decimal
    shifts: int
    equity: Money
    steps: list[str] = field(default_factory=list)


def overview(books: CoopBooks, start: datetime.date | None = None,
             end: datetime.date | None = None, _: Callable[[str], str] = english) -> Overview:
    """The co-op's figures for [start, end] (balances at `end`), in one pass over the
    transactions; the patronage steps in words through `_` (gettext: the English by
    default)."""
    options = books.options
    roots = {options.get("name_assets", "Assets"): CASH, options.get("name_income", "Income"):
             INCOME, options.get("name_expenses", "Expenses"): EXPENSES}
    kinds: dict[str, int] = {}  # account -> what it counts as, worked out once per account
    bank: Money = {}
    months: dict[str, tuple[Money, Money]] = {}
    for entry in books.entries:
        if not isinstance(entry, data.Transaction):
            continue
        if end is not None and entry.date > end:
            break  # the entries are in date order
        shown = start is None or entry.date >= start
        for posting in entry.postings:
            kind = kinds.get(posting.account)
            if kind is None:
                kind = kinds[posting.account] = _kind(posting.account, roots)
            if not kind:
                continue
            units = posting.units
            if kind == CASH:
                add(bank, units.currency, units.number)
            elif shown:
                month = months.setdefault(calendar_period(entry.date, "monthly"), ({}, {}))
                if kind == INCOME:
                    add(month[0], units.currency, -units.number)
                else:
                    add(month[1], units.currency, units.number)
    rows = member_rows(books, end)
    active = sum(1 for row in rows if row.left is None)
    saved = {}
    for unit in usage_units(books):
        by_period, _by_member = usage_costs(books, unit, "yearly", start, end)
        total: Money = {}
        for row in by_period:
            for currency, number in row.saved.items():
                add(total, currency, number)
        if any(row.retail for row in by_period):
            saved[unit] = cleaned(total)
    work = [r for r in books.records.work
            if (start is None or r.date >= start) and (end is None or r.date <= end)]
    equity: Money = {}
    for row in outstanding_equity(books, end, "year"):
        for currency, number in row.total.items():
            add(equity, currency, number)
    return Overview(
        end=end, bank=cleaned(bank),
        months=[Month(label, cleaned(i), cleaned(e)) for label, (i, e) in sorted(months.items())],
        active=active, left=len(rows) - active, saved=saved,
        hours=sum((r.hours for r in work), Decimal(0)), shifts=len(work),
        equity=cleaned(equity), steps=patronage_steps(books, end, _))


def patronage_steps(books: CoopBooks, end: datetime.date | None,
                    _: Callable[[str], str] = english) -> list[str]:
    """What was last allocated, and the fiscal years ended since with their deadline
    (none for books with no patronage measure); `_`: gettext in the language shown."""
    if not books.records.measures:
        return []
    settings = plugin_settings(books.options)
    calendar, rules = settings.fiscal_year, settings.rules
    today = end or datetime.date.today()
    current = calendar.year_of(today)
    pools = [p for p in booked_pools(books.entries, books.chart) if p.paid <= today]
    steps = []
    last = max((p.year for p in pools), default=None)
    if last is not None:
        allocated: Money = {}
        for pool in (p for p in pools if p.year == last):
            add(allocated, pool.currency, pool.result.pool)
        paid = max(p.paid for p in pools if p.year == last)
        steps.append(_("%(year)s: %(allocated)s allocated to members, paid %(paid)s.") % {
            "year": fiscal_label(last), "allocated": money_text(allocated), "paid": paid})
    first_open = last + 1 if last is not None else current - 1
    for year in range(first_open, current):
        due = deadline(calendar, year, rules)
        figures = {"year": fiscal_label(year), "end": calendar.end(year), "due": due}
        steps.append((_("%(year)s ended %(end)s: the board's allocation (custom "
                        "\"coop-allocation\") is to be decided and paid by %(due)s.") if due
                      else _("%(year)s ended %(end)s: the board's allocation (custom "
                             "\"coop-allocation\") is to be decided.")) % figures)
    steps.append(_("%(year)s ends %(end)s.") % {"year": fiscal_label(current),
                                                 "end": calendar.end(current)})
    return steps
