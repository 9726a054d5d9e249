"""Costs split by usage: what members took, what it cost them and what they saved
against the retail price (`coop costs` and the Shared costs page).

    2025-01-01 custom "coop-retail-price" "quarts" 5.49 USD
"""

from __future__ import annotations

import bisect
import datetime
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from coop_beancount.core.periods import calendar_period
from coop_beancount.reports.output import english, money_text
from coop_beancount.reports.view import (
    CoopBooks,
    Money,
    add,
    cleaned,
)


@dataclass
class UsageRow:
    """Shared costs split by usage in one unit, for a period or a member."""

    label: str
    units: Decimal = Decimal(0)
    cost: Money = field(default_factory=dict)
    retail: Money = field(default_factory=dict)

    @property
    def cost_per_unit(self) -> Money:
        if not self.units:
            return {}
        return {c: (n / self.units).quantize(Decimal("0.01")) for c, n in self.cost.items()}

    @property
    def saved(self) -> Money:
        return cleaned({c: self.retail.get(c, Decimal(0)) - self.cost.get(c, Decimal(0))
                        for c in set(self.retail) | set(self.cost)})

    def words(self, unit: str, _: Callable[[str], str] = english) -> str:
        """To the member: "136 quarts at 2.22 USD against 5.49 USD retail: you saved
        461.89 USD" (prices per unit, to the cent; without retail prices, the cost); `_`
        is gettext in the language shown (the English by default)."""
        figures = {"units": f"{self.units:,}", "unit": unit, "cost": money_text(self.cost),
                   "at": money_text(self.cost_per_unit)}
        if not self.units:
            return _("Your part of costs shared by %(unit)s: %(cost)s") % figures
        if not self.retail:
            return _("%(units)s %(unit)s at %(at)s: %(cost)s") % figures
        figures["retail"] = money_text({c: (n / self.units).quantize(Decimal("0.01"))
                                        for c, n in self.retail.items()})
        saved = self.saved
        if any(n < 0 for n in saved.values()):
            figures["more"] = money_text({c: -n for c, n in saved.items()})
            return _("%(units)s %(unit)s at %(at)s against %(retail)s retail: %(more)s more "
                     "than retail") % figures
        figures["saved"] = money_text(saved)
        return _("%(units)s %(unit)s at %(at)s against %(retail)s retail: you saved "
                 "%(saved)s") % figures


class UsageRecord(NamedTuple):
    """A member's part of a cost split by usage: what it cost them and, on the first part
    of their day, the units they took and those units at the retail price."""

    date: datetime.date
    member: str
    currency: str
    cost: Decimal
    units: Decimal
    retail: Decimal | None


def usage_records(books: CoopBooks, unit: str) -> list[UsageRecord]:
    """The members' parts of costs split by usage in `unit`, in date order.

    The member parts of `usage <unit>:` splits carry what each member took; the retail
    value is those units at the `coop-retail-price` in force that day. A member's units
    on one day count once however many costs that day were split by them (milk, culture
    and jars for one batch share the quarts)."""
    return books.kept(f"usage records {unit}", lambda: _usage_records(books, unit))


def _usage_records(books: CoopBooks, unit: str) -> list[UsageRecord]:
    prices = sorted((p for p in books.records.retail_prices if p.unit == unit),
                    key=lambda p: p.date)
    records = []
    zero = Decimal(0)
    for key, postings in books.postings.items():
        counted: set[datetime.date] = set()
        for posting in postings:
            if posting.unit != unit:
                continue
            date = posting.entry.date
            if date in counted:
                records.append(UsageRecord(date, key, posting.currency, posting.number,
                                           zero, None))
                continue
            counted.add(date)
            units = posting.meta["coop-units"]
            price = _price_on(prices, date, posting.currency)
            records.append(UsageRecord(date, key, posting.currency, posting.number, units,
                                       None if price is None else units * price))
    records.sort(key=lambda record: record.date)
    return records


def usage_costs(
    books: CoopBooks, unit: str, frequency: str = "monthly",
    start: datetime.date | None = None, end: datetime.date | None = None,
) -> tuple[list[UsageRow], list[UsageRow]]:
    """Cost of what members took, in `unit`, per period and per member, against retail
    (the `usage_records` from `start` through `end`, inclusive)."""
    records = usage_records(books, unit)
    date_of = operator.attrgetter("date")
    first = 0 if start is None else bisect.bisect_left(records, start, key=date_of)
    last = len(records) if end is None else bisect.bisect_right(records, end, key=date_of)
    by_period: dict[str, UsageRow] = {}
    by_member: dict[str, UsageRow] = {}
    periods: dict[datetime.date, str] = {}
    for index in range(first, last):
        date, key, currency, cost, units, retail = records[index]
        # Looked up, not made for every record: large books have 100,000s of them.
        period = periods.get(date)
        if period is None:
            period = periods[date] = calendar_period(date, frequency)
        period_row, member_row = by_period.get(period), by_member.get(key)
        if period_row is None:
            period_row = by_period[period] = UsageRow(period)
        if member_row is None:
            member_row = by_member[key] = UsageRow(key)
        for row in (period_row, member_row):
            add(row.cost, currency, cost)
            row.units += units
            if retail is not None:
                add(row.retail, currency, retail)
    return ([by_period[k] for k in sorted(by_period)], [by_member[k] for k in sorted(by_member)])


def _price_on(prices: list, date: datetime.date, currency: str) -> Decimal | None:
    found = None
    for price in prices:
        if price.date > date:
            break
        if price.currency == currency:
            found = price.price
    return found
