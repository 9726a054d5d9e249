"""What the books say about members: the figures behind `coop members`,
`coop statement` (with the member's retained patronage equity by fiscal year),
`coop hours` and `coop balances`, and the Fava pages that show the same.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from coop_beancount.core.accounts import INTEREST_KIND, NON_QUALIFIED_KIND, QUALIFIED, RETAIN
from coop_beancount.core.periods import calendar_period
from coop_beancount.core.records import CoopRecords, Member
from coop_beancount.core.settle import Position
from coop_beancount.reports.output import english, money_text
from coop_beancount.reports.view import (
    CoopBooks,
    Money,
    add,
    cleaned,
)


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

    @property
    def standing(self) -> Standing:
        return Standing(self.dues_owed, self.other_owed, self.payable)


@dataclass(frozen=True)
class Standing:
    """What a member and the co-op owe each other, in one figure and its parts.

    `dues` are dues charged and not paid; `charges` everything else on the member's
    receivable (their parts of shared costs, other charges); `payable` what the co-op
    owes the member (a cost they paid out of pocket, a leaver's shares, a dividend's
    cash). `net` = dues + charges - payable is what the member owes (negative: what the
    co-op owes them), the figure their statement runs as "owes"."""

    dues: Money
    charges: Money
    payable: Money

    @property
    def net(self) -> Money:
        net: Money = {}
        for money, sign in ((self.dues, 1), (self.charges, 1), (self.payable, -1)):
            for currency, number in money.items():
                add(net, currency, sign * number)
        return cleaned(net)

    def words(self, who: str | None = None, _: Callable[[str], str] = english) -> str:
        """The standing in a sentence, to the member (`who` None: "You owe the co-op
        34.80 USD: dues 10.00 USD, shared costs and other charges 24.80 USD.") or about
        them (`who` their name: "Gus Almeida owes the co-op ..."). `_` is gettext in the
        language shown (the Fava pages'); the English by default (the `coop` command's)."""
        net = self.net
        owes = {c: n for c, n in net.items() if n > 0}
        owed = {c: -n for c, n in net.items() if n < 0}
        you = who is None
        figures = {"who": who, "owes": money_text(owes), "owed": money_text(owed),
                   "dues": money_text(self.dues), "charges": money_text(self.charges),
                   "payable": money_text(self.payable)}
        if not owes and not owed:
            return (_("You and the co-op are square: neither owes the other anything.") if you
                    else _("%(who)s and the co-op are square: neither owes the other "
                           "anything.")) % figures
        said = []
        if owes:
            said.append((_("You owe the co-op %(owes)s") if you
                         else _("%(who)s owes the co-op %(owes)s")) % figures)
        if owed:
            said.append(((_("The co-op owes you %(owed)s") if you
                          else _("The co-op owes %(who)s %(owed)s")) if not owes
                         else (_("the co-op owes you %(owed)s") if you
                               else _("the co-op owes %(who)s %(owed)s"))) % figures)
        headline = "; ".join(said)
        charged = [text % figures for text, money in (
            (_("dues %(dues)s"), self.dues),
            (_("shared costs and other charges %(charges)s"), self.charges)) if money]
        if owes or not self.payable:
            parts = charged + ([(_("less %(payable)s the co-op owes you") if you
                                 else _("less %(payable)s the co-op owes %(who)s")) % figures]
                               if self.payable else [])
        else:  # the co-op owes: what it owes first, less what the member owes it
            parts = [(_("%(payable)s it owes you") if you
                      else _("%(payable)s it owes %(who)s")) % figures,
                     *(_("less %(part)s") % {"part": part} for part in charged)]
        if len(parts) > 1:
            return _("%(headline)s: %(parts)s.") % {"headline": headline,
                                                    "parts": ", ".join(parts)}
        return _("%(headline)s.") % {"headline": headline}


def member_rows(books: CoopBooks, as_of: datetime.date | None = None,
                keys: Iterable[str] | None = None) -> list[MemberRow]:
    """One row per member, in key order: status, shares, what they owe and own (through
    `as_of`, inclusive: the members who had joined by then); only KEYS' when given."""
    wanted = set(keys) if keys is not None else None
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
        if (as_of is not None and member.joined > as_of) or (
                wanted is not None and key not in wanted):
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
    allocated (by kind of notice); debits are what was redeemed (paid back), or
    a loss charged to the member (`losses`, the plugin's `coop-kind: "loss"`);
    `outstanding` is the balance: what the co-op still owes the member.
    """

    year: int
    qualified: Money
    non_qualified: Money
    retains: Money
    redeemed: Money
    outstanding: Money
    losses: Money = field(default_factory=dict)
    #: Interest on the capital account credited for the year (`Interest:FY<year>`).
    interest: Money = field(default_factory=dict)


def equity_by_year(books: CoopBooks, key: str,
                   end: datetime.date | None = None) -> list[EquityYear]:
    """The member's retained patronage equity per fiscal year, through `end`."""
    years: dict[int, dict[str, Money]] = defaultdict(lambda: defaultdict(dict))
    # The member's postings to retained equity only: the others are skipped below anyway.
    for posting in books.retained_postings.get(key, ()):
        if end is not None and posting.entry.date > end:
            break
        equity = books.chart.retained_equity(posting.account)
        if equity is None:
            continue
        year, kind = equity
        figures = years[year]
        debit = ("losses" if posting.meta and posting.meta.get("coop-kind") == "loss"
                 else "redeemed")
        add(figures[kind if posting.number < 0 else debit], posting.currency,
            abs(posting.number))
        add(figures["outstanding"], posting.currency, -posting.number)
    return [EquityYear(year, cleaned(f[QUALIFIED]), cleaned(f[NON_QUALIFIED_KIND]),
                       cleaned(f[RETAIN]), cleaned(f["redeemed"]), cleaned(f["outstanding"]),
                       cleaned(f["losses"]), cleaned(f[INTEREST_KIND]))
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
    # Each account's totals hold every currency posted to it (a zero balance included), so
    # this reads a few thousand totals, not every member posting of the books.
    for key, accounts in books.account_totals.items():
        for account in (books.chart.receivable(key), books.chart.payable(key)):
            found.update(accounts.get(account, ()))
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


