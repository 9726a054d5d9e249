"""The co-op's view of loaded books: one pass over the entries collects every
member's balances and records, and keeps figures worked out once per load.

Each member's list of postings (`CoopBooks.postings`: statements, usage, balances on a
date) is made by a second pass the first time a report asks for it, and kept: most
commands (`coop members`, `patronage`, `equity`, `balances`) only need the balances, and
the list is an object per posting to a member's account (on the 25,000-transaction
benchmark books, 225,000 of them: 23 MB, and 40% of the time the view takes to build).

Input is the entries the loader produced, after the coop plugin ran (so dues charges
and redemptions are there); `members`, `usage`, `shared_costs`, `patronage` and `diff`
read this view, and the CLI and the Fava pages read them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from beancount.core import data

from coop_beancount.books.collector import keep, kept_out
from coop_beancount.books.directives import is_coop_directive, read_records
from coop_beancount.core.accounts import MemberChart
from coop_beancount.core.records import CoopRecords, Member
from coop_beancount.core.shares import ShareLedger, SharePayment, track_shares

#: An amount that may hold several currencies: currency -> number.
Money = dict[str, Decimal]
T = TypeVar("T")
#: The plugin's mark on a member's part of a split cost (and on its recovery credit).
SPLIT_META = "coop-split"


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
    share_payments: list[SharePayment] = field(default_factory=list)
    #: The transactions with a member's part of a split cost, in date order.
    split_entries: list[data.Transaction] = field(default_factory=list)
    #: The units costs were split by usage in (quarts, hours, ...).
    usage_units: set[str] = field(default_factory=set)
    #: Each member's accounts and their balances at the end of the books.
    account_totals: dict[str, dict[str, Money]] = field(default_factory=dict)
    #: Of `postings`, those to the member's retained patronage equity (a few in thousands).
    retained_postings: dict[str, list[MemberPosting]] = field(default_factory=dict)
    #: Account name -> (member key, figure account, share class, whether retained equity),
    #: None for an account that is no member's: worked out once per account, for both passes.
    member_accounts: dict[str, tuple[str, str, str | None, bool] | None] = field(
        default_factory=dict, repr=False, compare=False)
    #: Figures worked out from these books, kept as long as they are (the Fava pages keep
    #: one CoopBooks per load of the books, and their pages' data here).
    memos: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    #: Figures many reports start from (every split cost, ...), see `kept`.
    _kept: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_entries(cls, entries: list[Any], options: dict[str, Any]) -> CoopBooks:
        # The collector kept out: the million objects made here would otherwise set off full
        # collections that walk every entry of the books, doubling the time for nothing;
        # frozen after, so the next collection does not walk them either.
        with kept_out():
            return keep(cls._from_entries(entries, options))

    @classmethod
    def _from_entries(cls, entries: list[Any], options: dict[str, Any]) -> CoopBooks:
        chart = MemberChart.from_options(options)
        records, _ = read_records(e for e in entries if is_coop_directive(e))
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
        # A sub-account counts in the chart account it sits under (`figure_account`).
        accounts: dict[str, tuple[str, str, str | None, bool] | None] = {}
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
                    figure = chart.figure_account(account)
                    found = accounts[account] = (
                        (key, figure, chart.share_class(key, figure),
                         chart.retained_equity(figure) is not None)
                        if key is not None and key in records.members and figure is not None
                        else None)
                if found is None:
                    continue
                key, account, share_class, is_retained = found
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
                if is_retained:
                    # As the same posting in `postings` (see `_member_postings`).
                    retained[key].append(
                        MemberPosting(entry, account, number, currency, meta, unit))
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
        return cls(entries, options, chart, records, shares, payments, splits, usage_units,
                   dict(totals), dict(retained), accounts)

    @property
    def postings(self) -> dict[str, list[MemberPosting]]:
        """Member key -> every posting to the member's accounts, in the entries' order
        (each with its figure account: a sub-account's posting counts in the chart account
        it sits under). Made the first time it is asked for, then kept."""
        return self.kept("postings", self._member_postings)

    def _member_postings(self) -> dict[str, list[MemberPosting]]:
        postings: dict[str, list[MemberPosting]] = defaultdict(list)
        # Every account of a transaction was looked up in the first pass.
        accounts = self.member_accounts
        for entry in self.entries:
            if not isinstance(entry, data.Transaction):
                continue
            for posting in entry.postings:
                found = accounts[posting.account]
                if found is None:
                    continue
                key, account = found[0], found[1]
                units, meta = posting.units, posting.meta
                # The same unit as the first pass reads (`usage_units`).
                unit = meta.get("coop-unit") if meta else None
                postings[key].append(
                    MemberPosting(entry, account, units.number, units.currency, meta, unit))
        return dict(postings)

    def kept(self, name: str, build: Callable[[], T]) -> T:
        """`build()`, worked out once for these books and kept with them.

        For the figures several reports start from (every split cost; the usage of
        each unit): the Fava pages work them out with the load and each page view
        only sums them over the time it shows."""
        try:
            return self._kept[name]
        except KeyError:
            with kept_out():
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


