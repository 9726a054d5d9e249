"""What the books say about members: the figures behind `coop members`,
`coop statement` (with the member's retained patronage equity by fiscal year)
and `coop hours` (and, later, the Fava pages).

Input is the entries the loader produced, after the coop plugin ran (so
dues charges and redemptions are there); output is plain rows. The share rules
and account names come from the same modules the plugin uses.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime
import gc
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from beancount.core import data

from coop_beancount.accounts import NON_QUALIFIED_KIND, QUALIFIED, RETAIN, MemberChart
from coop_beancount.directives import is_coop_directive, read_records
from coop_beancount.model import CoopRecords, Member
from coop_beancount.periods import calendar_period
from coop_beancount.settle import Position
from coop_beancount.shares import ShareLedger, SharePayment, track_shares

#: An amount that may hold several currencies: currency -> number.
Money = dict[str, Decimal]
T = TypeVar("T")
#: The plugin's mark on a member's part of a split cost (and on its recovery credit).
SPLIT_META = "coop-split"


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's garbage collector off for a while (as it was, after)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def add(money: Money, currency: str, number: Decimal) -> None:
    money[currency] = money.get(currency, Decimal(0)) + number


def cleaned(money: Money) -> Money:
    return {c: n for c, n in sorted(money.items()) if n != 0}


class MemberPosting(NamedTuple):
    """A posting to a member's account, with its transaction. A named tuple, like
    Beancount's own: large books have a million of them, and a tuple is built in a
    third of the time of a frozen dataclass."""

    entry: data.Transaction
    account: str
    number: Decimal
    currency: str
    meta: dict[str, Any] | None = None
    #: A member's part of a cost split by usage: its unit (the plugin's `coop-unit`), read
    #: once here: the usage reports would otherwise look into every posting's metadata.
    unit: str | None = None


@dataclass
class CoopBooks:
    """The co-op's view of loaded books."""

    entries: list[Any]
    options: dict[str, Any]
    chart: MemberChart
    records: CoopRecords
    shares: ShareLedger
    postings: dict[str, list[MemberPosting]] = field(default_factory=dict)
    share_payments: list[SharePayment] = field(default_factory=list)
    #: The transactions with a member's part of a split cost, in date order.
    split_entries: list[data.Transaction] = field(default_factory=list)
    #: The units costs were split by usage in (quarts, hours, ...).
    usage_units: set[str] = field(default_factory=set)
    #: Each member's accounts and their balances at the end of the books.
    account_totals: dict[str, dict[str, Money]] = field(default_factory=dict)
    #: Of `postings`, those to the member's retained patronage equity (a few in thousands).
    retained_postings: dict[str, list[MemberPosting]] = field(default_factory=dict)
    #: Figures worked out from these books, kept as long as they are (the Fava pages keep
    #: one CoopBooks per load of the books, and their pages' data here).
    memos: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    #: Figures many reports start from (every split cost, ...), see `kept`.
    _kept: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_entries(cls, entries: list[Any], options: dict[str, Any]) -> CoopBooks:
        # The collector paused: the million objects made here would otherwise set off full
        # collections that walk every entry of the books, doubling the time for nothing.
        with collector_paused():
            return cls._from_entries(entries, options)

    @classmethod
    def _from_entries(cls, entries: list[Any], options: dict[str, Any]) -> CoopBooks:
        chart = MemberChart.from_options(options)
        records, _ = read_records(e for e in entries if is_coop_directive(e))
        postings: dict[str, list[MemberPosting]] = defaultdict(list)
        payments = []
        splits: list[data.Transaction] = []
        usage_units: set[str] = set()
        # Each member's balances (totals), reached by account name, the posting's own.
        totals: dict[str, dict[str, Money]] = defaultdict(dict)
        by_account: dict[str, Money] = {}
        zero = Decimal(0)
        # (member key, share class, whether retained equity) per account name, worked out
        # once per account: large books have about a million postings to a few thousand
        # accounts.
        accounts: dict[str, tuple[str, str | None, bool] | None] = {}
        retained: dict[str, list[MemberPosting]] = defaultdict(list)
        for entry in entries:
            if not isinstance(entry, data.Transaction):
                continue
            for posting in entry.postings:
                account = posting.account
                try:
                    found = accounts[account]
                except KeyError:
                    key = chart.member_key(account)
                    found = accounts[account] = (
                        (key, chart.share_class(key, account),
                         chart.retained_equity(account) is not None)
                        if key is not None and key in records.members else None)
                if found is None:
                    continue
                key, share_class, is_retained = found
                units, meta = posting.units, posting.meta
                unit = None
                if meta:
                    unit = meta.get("coop-unit")
                    if unit is not None:
                        usage_units.add(str(unit))
                    # A split has some 25 parts: its transaction is listed at the first.
                    if SPLIT_META in meta and (not splits or splits[-1] is not entry):
                        splits.append(entry)
                number, currency = units.number, units.currency
                member_posting = MemberPosting(entry, account, number, currency, meta, unit)
                postings[key].append(member_posting)
                if is_retained:
                    retained[key].append(member_posting)
                balance = by_account.get(account)
                if balance is None:
                    balance = by_account[account] = totals[key][account] = {}
                balance[currency] = balance.get(currency, zero) + number
                if share_class is not None:
                    payments.append(SharePayment(entry.date, key, share_class,
                                                 -units.number, units.currency, entry.meta))
        shares = track_shares(records.share_classes, records.members, records.subscriptions,
                              payments)
        splits.sort(key=data.entry_sortkey)  # already in order after Beancount's loader
        return cls(entries, options, chart, records, shares, dict(postings), payments,
                   splits, usage_units, dict(totals), dict(retained))

    def kept(self, name: str, build: Callable[[], T]) -> T:
        """`build()`, worked out once for these books and kept with them.

        For the figures several reports start from (every split cost; the usage of
        each unit): the Fava pages work them out with the load and each page view
        only sums them over the time it shows."""
        try:
            return self._kept[name]
        except KeyError:
            with collector_paused():
                value = self._kept[name] = build()
            return value

    def shares_on(self, date: datetime.date | None) -> ShareLedger:
        """Subscriptions and payments replayed through `date` (inclusive)."""
        if date is None:
            return self.shares
        records = self.records
        return track_shares(records.share_classes, records.members,
                            [s for s in records.subscriptions if s.date <= date],
                            [p for p in self.share_payments if p.date <= date])

    def member(self, key: str) -> Member | None:
        return self.records.members.get(key)

    def balances(self, key: str, until: datetime.date | None = None) -> dict[str, Money]:
        """Each of the member's accounts and its balance (through `until`, inclusive)."""
        result: dict[str, Money] = defaultdict(dict)
        if until is None:  # added up as the view was built
            for account, money in self.account_totals.get(key, {}).items():
                result[account] = dict(money)
            return result
        zero = Decimal(0)
        # Unpacked, and add() inlined: large books have a million postings.
        for entry, account, number, currency, *_ in self.postings.get(key, ()):
            if entry.date > until:
                continue
            money = result[account]
            money[currency] = money.get(currency, zero) + number
        return result

    def retained_balances(self, key: str, until: datetime.date | None = None,
                          ) -> dict[str, Money]:
        """`balances` of the member's retained patronage equity accounts only
        (`Allocated:FY*`, `Retains:FY*`): most postings are to other accounts."""
        result: dict[str, Money] = defaultdict(dict)
        for posting in self.retained_postings.get(key, ()):
            if until is not None and posting.entry.date > until:
                continue
            add(result[posting.account], posting.currency, posting.number)
        return result


@dataclass(frozen=True)
class MemberRow:
    key: str
    name: str
    joined: datetime.date
    left: datetime.date | None
    shares_subscribed: Money
    shares_paid: Money
    dues_owed: Money
    other_owed: Money
    payable: Money
    capital: Money
    hours: Decimal
    #: Of the capital: retained patronage equity (allocated and retains) not yet redeemed.
    allocated: Money = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "left" if self.left is not None else "active"


def member_rows(books: CoopBooks, as_of: datetime.date | None = None) -> list[MemberRow]:
    """One row per member, in key order: status, shares, what they owe and own (through
    `as_of`, inclusive: the members who had joined by then)."""
    hours: dict[str, Decimal] = defaultdict(Decimal)
    for record in books.records.work:
        if as_of is None or record.date <= as_of:
            hours[record.member] += record.hours
    subscribed: dict[str, Money] = defaultdict(dict)
    for holding in books.shares_on(as_of).holdings.values():
        add(subscribed[holding.member], holding.currency, holding.subscribed)
    chart = books.chart
    rows = []
    for key, member in sorted(books.records.members.items()):
        if as_of is not None and member.joined > as_of:
            continue
        balances = books.balances(key, as_of)
        capital: Money = {}
        paid: Money = {}
        allocated: Money = {}
        equity_prefix = chart.equity_root(key) + ":"
        for account, money in balances.items():
            for currency, number in money.items():
                if account.startswith(equity_prefix):
                    add(capital, currency, -number)
                if chart.share_class(key, account) is not None:
                    add(paid, currency, -number)
                if chart.retained_equity(account) is not None:
                    add(allocated, currency, -number)
        left = member.left if as_of is None or (member.left and member.left <= as_of) else None
        rows.append(MemberRow(
            key=key, name=member.name, joined=member.joined, left=left,
            shares_subscribed=cleaned(subscribed.get(key, {})), shares_paid=cleaned(paid),
            dues_owed=cleaned(balances.get(chart.dues(key), {})),
            other_owed=cleaned(balances.get(chart.receivable(key), {})),
            payable=cleaned({c: -n for c, n in balances.get(chart.payable(key), {}).items()}),
            capital=cleaned(capital), hours=hours.get(key, Decimal(0)),
            allocated=cleaned(allocated),
        ))
    return rows


@dataclass(frozen=True)
class StatementLine:
    """One posting on a member's statement, with the running totals after it.

    `owes` is what the member owes the co-op (their receivables less what the
    co-op owes them: negative means the co-op owes the member); `capital` is
    the member's equity in the co-op.
    """

    date: datetime.date
    description: str
    account: str
    amount: Decimal
    currency: str
    owes: Money
    capital: Money
    source: dict[str, Any]


@dataclass(frozen=True)
class EquityYear:
    """One fiscal year of a member's retained patronage equity, on their statement.

    Credits to the year's `Allocated` and `Retains` accounts are what was
    allocated (by kind of notice); debits are what was redeemed (paid back);
    `outstanding` is the balance: what the co-op still owes the member.
    """

    year: int
    qualified: Money
    non_qualified: Money
    retains: Money
    redeemed: Money
    outstanding: Money


def equity_by_year(books: CoopBooks, key: str,
                   end: datetime.date | None = None) -> list[EquityYear]:
    """The member's retained patronage equity per fiscal year, through `end`."""
    years: dict[int, dict[str, Money]] = defaultdict(lambda: defaultdict(dict))
    for posting in books.postings.get(key, ()):
        if end is not None and posting.entry.date > end:
            break
        equity = books.chart.retained_equity(posting.account)
        if equity is None:
            continue
        year, kind = equity
        figures = years[year]
        add(figures[kind if posting.number < 0 else "redeemed"], posting.currency,
            abs(posting.number))
        add(figures["outstanding"], posting.currency, -posting.number)
    return [EquityYear(year, cleaned(f[QUALIFIED]), cleaned(f[NON_QUALIFIED_KIND]),
                       cleaned(f[RETAIN]), cleaned(f["redeemed"]), cleaned(f["outstanding"]))
            for year, f in sorted(years.items())]


@dataclass(frozen=True)
class Statement:
    member: Member
    start: datetime.date | None
    end: datetime.date | None
    opening_owes: Money
    opening_capital: Money
    lines: list[StatementLine]
    #: Retained patronage equity by fiscal year at the end of the statement.
    equity: list[EquityYear] = field(default_factory=list)

    @property
    def closing_owes(self) -> Money:
        return self.lines[-1].owes if self.lines else self.opening_owes

    @property
    def closing_capital(self) -> Money:
        return self.lines[-1].capital if self.lines else self.opening_capital


def statement(
    books: CoopBooks, key: str, start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> Statement:
    """Every posting to the member's accounts in [start, end], with running balances."""
    member = books.records.members[key]
    equity_prefix = books.chart.equity_root(key) + ":"
    owes: Money = {}
    capital: Money = {}
    opening_owes: Money = {}
    opening_capital: Money = {}
    lines = []
    for posting in books.postings.get(key, ()):
        date = posting.entry.date
        if end is not None and date > end:
            break
        if posting.account.startswith(equity_prefix):
            add(capital, posting.currency, -posting.number)
        else:
            add(owes, posting.currency, posting.number)
        if start is not None and date < start:
            opening_owes, opening_capital = dict(owes), dict(capital)
            continue
        entry = posting.entry
        description = " - ".join(part for part in (entry.payee, entry.narration) if part)
        if posting.meta and "coop-basis" in posting.meta:
            description += f" ({posting.meta['coop-basis']})"
        lines.append(StatementLine(
            date=date, description=description, account=books.chart.kind(posting.account),
            amount=posting.number, currency=posting.currency, owes=cleaned(owes),
            capital=cleaned(capital), source=entry.meta,
        ))
    return Statement(member, start, end, cleaned(opening_owes), cleaned(opening_capital), lines,
                     equity_by_year(books, key, end))


@dataclass(frozen=True)
class HoursRow:
    member: str
    period: str
    hours: Decimal
    shifts: int


def hours_by_period(
    records: CoopRecords, frequency: str = "monthly", start: datetime.date | None = None,
    end: datetime.date | None = None, members: Iterable[str] | None = None,
) -> list[HoursRow]:
    """Hours each member gave per calendar period, in member then period order."""
    wanted = set(members) if members is not None else None
    totals: dict[tuple[str, str], list] = {}
    for record in records.work:
        if (start is not None and record.date < start) or (end is not None and record.date > end):
            continue
        if wanted is not None and record.member not in wanted:
            continue
        key = (record.member, calendar_period(record.date, frequency))
        total = totals.setdefault(key, [Decimal(0), 0])
        total[0] += record.hours
        total[1] += 1
    return [HoursRow(member, period, hours, shifts)
            for (member, period), (hours, shifts) in sorted(totals.items())]


def currencies(books: CoopBooks) -> list[str]:
    """Currencies that appear on members' receivables and payables."""
    found = set()
    for key, postings in books.postings.items():
        for posting in postings:
            if posting.account in (books.chart.receivable(key), books.chart.payable(key)):
                found.add(posting.currency)
    return sorted(found)


def positions(books: CoopBooks, currency: str) -> dict[str, Position]:
    """Every member's receivable and payable in `currency`."""
    result = {}
    chart = books.chart
    for key in sorted(books.records.members):
        balances = books.balances(key)
        receivable = balances.get(chart.receivable(key), {}).get(currency, Decimal(0))
        payable = -balances.get(chart.payable(key), {}).get(currency, Decimal(0))
        result[key] = Position(key, receivable, payable)
    return result


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
