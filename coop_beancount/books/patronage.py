"""Patronage in the books: the entries the plugin derives from the board's decisions.

    2025-01-01 custom "coop-measure" "barrels"
    2025-01-01 custom "coop-retain" "barrels" 0.50 USD
    2025-10-02 custom "coop-patronage" "G1" "barrels" 1200
    2026-03-01 custom "coop-allocation" 2025 "cranberries"
      margin: "Income:Patronage:Cranberries Expenses:Cranberries"
      measure: "barrels"
      reserve: "10%"
      cash: "20%"
      paid: 2026-03-15
    2029-06-30 custom "coop-redemption" 25000.00 USD

The plugin's one pass over the entries hands this module what it saw (the
records, the income and expense totals per fiscal year, the postings that name
a member); this module applies the rules of `patronage.py` and returns:

* one transaction per per-unit retain (member's payable to `Retains:FY<year>`);
* one transaction per decision, on its payment date: the margin drawn from
  retained earnings, the reserve (and any non-patronage margin) to
  `Equity:Coop:Unallocated`, each member's cash part to their payable and the
  retained part to `Allocated:FY<year>` (`:NonQualified` for non-qualified
  notices), every figure behind it in metadata;
* one transaction per redemption: oldest fiscal year first, into payables;
* `open`s for the accounts these use;

and errors at the directive or transaction at fault.
"""

from __future__ import annotations

import datetime
import heapq
import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core import data
from beancount.core.amount import Amount

from coop_beancount.core.accounts import NON_QUALIFIED_KIND, QUALIFIED, MemberChart
from coop_beancount.core.capital import charge_loss, instalments, set_off
from coop_beancount.core.capital import interest as capital_interest
from coop_beancount.core.consent import Consent, check_consent, consent_for
from coop_beancount.core.errors import CoopError, location, twice
from coop_beancount.core.hours import hours_patronage
from coop_beancount.core.patronage import (
    DEFAULT_POOL,
    US,
    EquityKey,
    FiscalCalendar,
    PoolAllocation,
    allocate_pool,
    deadline_problem,
    fiscal_label,
    issue_problem,
    non_member_part,
    non_member_problems,
    notice_parts,
    percent,
    pool_problems,
    redeem,
    round_half_up,
    share_problems,
)
from coop_beancount.core.patronage import deadline as payment_deadline
from coop_beancount.core.patronage import minimum_cash as least_cash
from coop_beancount.core.payable import Credit, follow
from coop_beancount.core.records import (
    AllocationDecision,
    CoopRecords,
    EquityRedemption,
    InterestRate,
    Measure,
    PatronageRecord,
    PayoutSchedule,
    PerUnitRetain,
)
from coop_beancount.core.rules import RuleSet

GENERATED = "coop-generated"
#: Metadata naming the member whose patronage a transaction (or posting) is.
MEMBER = "member"
#: `coop-kind` of the postings of tax withheld from a member's patronage payment.
WITHHELD = "withheld"

#: Income and expense totals: (account, fiscal year, currency) -> number.
Totals = dict[tuple[str, int, str], Decimal]


@dataclass
class PatronageFigures:
    """What the plugin's pass over the entries collected for patronage, and the settings
    (fiscal year, rule set, cash rounding) the decisions are applied with."""

    calendar: FiscalCalendar
    rules: RuleSet = US
    cash_rounding: str = "up"
    totals: Totals = field(default_factory=lambda: defaultdict(Decimal))
    #: Income and expense postings that name a member: (entry, posting, member key).
    member_postings: list[tuple[data.Transaction, data.Posting, str]] = field(
        default_factory=list)
    #: Income and expense accounts with a posting that names no member.
    unattributed: set[str] = field(default_factory=set)
    #: Postings to members' retained equity: (date, member, account, currency, number).
    equity_postings: list[tuple[datetime.date, str, str, str, Decimal]] = field(
        default_factory=list)
    #: Postings to members' payables (sub-accounts included): (date, member, currency,
    #: number), to follow when each cash part is paid (core/payable.py).
    payable_postings: list[tuple[datetime.date, str, str, Decimal]] = field(
        default_factory=list)
    #: The plugin's `section_521` and `specified_cooperative` settings.
    section_521: bool = False
    specified_cooperative: bool = False
    #: A qualified notice to a member with no consent in force: "error" or "non-qualified"
    #: (the plugin's `without_consent`).
    without_consent: str = "error"

    def count_derived(self, date: datetime.date, postings: Iterable[data.Posting],
                      chart: MemberChart) -> None:
        """Add the income and expense postings the plugin derives (dues charges, split
        recoveries) to the totals: a margin is the net of its accounts as the loaded books
        show them, derived postings included."""
        roots = (chart.income + ":", chart.expenses + ":")
        year = self.calendar.year_of(date)
        for posting in postings:
            if posting.account.startswith(roots):
                units = posting.units
                self.totals[(posting.account, year, units.currency)] += units.number
                self.unattributed.add(posting.account)  # they name no member


class CashPart(NamedTuple):
    """A member's cash part of a dividend, as credited to their payable by the plugin."""

    decision: AllocationDecision
    member: str
    currency: str
    credit: Credit
    #: The metadata of the posting that credits it (where the payments are written).
    meta: dict[str, Any]


@dataclass
class Derived:
    entries: list[data.Directive] = field(default_factory=list)
    errors: list[CoopError] = field(default_factory=list)
    #: Accounts the derived entries use -> the first date they are used, and the directive
    #: that used it then (where the `open` the plugin adds for it points).
    used: dict[str, tuple[datetime.date, dict[str, Any]]] = field(default_factory=dict)
    #: Each member's cash part credited to their payable, to see when it is paid.
    cash_parts: list[CashPart] = field(default_factory=list)

    def use(self, account: str, date: datetime.date, source: dict[str, Any] | None = None,
            ) -> None:
        if account not in self.used or date < self.used[account][0]:
            self.used[account] = (date, source or {})


def generated_meta(source: dict[str, Any] | None, kind: str, **extra: Any) -> dict[str, Any]:
    source = source or {}
    meta = data.new_metadata(source.get("filename", "<coop>"), source.get("lineno", 0))
    meta[GENERATED] = kind
    meta.update(extra)
    return meta


def posting_meta(source: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    """Metadata for a posting the plugin adds: the file and line of what caused it (so
    bean-query's `location`, `filename` and `lineno` work on it), and `extra`."""
    source = source or {}
    return {"filename": source.get("filename", "<coop>"), "lineno": source.get("lineno", 0),
            **extra}


def is_under(account: str, roots: Iterable[str]) -> bool:
    return any(account == root or account.startswith(root + ":") for root in roots)


def counted_accounts(records: CoopRecords) -> tuple[str, ...]:
    """The accounts whose postings patronage reads (with their sub-accounts): each decision's
    margin and non-patronage accounts and each measure's account. The plugin totals these
    alone: no other income or expense posting can change a patronage figure."""
    named = {account for decision in records.decisions
             for account in decision.margin_accounts + decision.non_patronage_accounts}
    named.update(m.account for m in records.measures.values() if m.account is not None)
    return tuple(sorted(named))


def member_of(entry: data.Transaction, posting: data.Posting) -> Any:
    """The member a posting's patronage belongs to: the posting's `member:`, else the entry's."""
    if posting.meta and MEMBER in posting.meta:
        return posting.meta[MEMBER]
    return entry.meta.get(MEMBER)


def derive_patronage(
    records: CoopRecords, figures: PatronageFigures, chart: MemberChart, opened: set[str],
    all_entries: list[data.Directive], as_of: datetime.date, draw_account: str,
) -> Derived:
    derived = Derived()
    derived.errors.extend(backup_problems(records, figures.rules))
    measures, patronage = patronage_records(records, figures, chart, opened, all_entries,
                                            derived)
    by_year = patronage_by_year(patronage, figures.calendar)
    equity = _EquityLedger()
    for date, member, account, currency, number in figures.equity_postings:
        fiscal = chart.retained_equity(account)
        if fiscal is not None:
            equity.add(date, fiscal[0], member, account, currency, -number)
            derived.use(account, date)
    _retains(records, patronage, chart, figures, as_of, derived, equity)
    losses = _allocations(records, measures, by_year, figures, chart, opened, as_of,
                          draw_account, derived, equity, first_patronage(patronage,
                                                                         figures.calendar))
    derived.errors.extend(cashing_problems(records))
    _redemptions(records, chart, as_of, derived, equity, losses, draw_account,
                 _Withholding(figures.rules, records),
                 _interest_years(records, figures.calendar, chart, as_of, derived))
    return derived


def backup_problems(records: CoopRecords, rules: RuleSet) -> list[CoopError]:
    """A `coop-backup-withholding` line for an unknown member, or under rules without
    backup withholding."""
    problems = []
    for marker in records.backup:
        if rules.backup_withholding is None:
            problems.append(CoopError(marker.source, (
                f"coop-backup-withholding is a US rule (IRC section 3406); the books keep the "
                f"rules {rules.name!r}: remove the line"), None))
        elif marker.member not in records.members:
            problems.append(CoopError(marker.source, (
                f"coop-backup-withholding names unknown member {marker.member!r}; fix the key "
                f"(members: {', '.join(sorted(records.members)) or 'none declared'})"), None))
    return problems


def patronage_records(
    records: CoopRecords, figures: PatronageFigures, chart: MemberChart, opened: set[str],
    all_entries: list[data.Directive], derived: Derived,
) -> tuple[dict[str, Measure], list[PatronageRecord]]:
    """The valid measures, and every member's patronage in them: `coop-patronage` records,
    hours, postings that name a member; what is wrong goes to `derived.errors`."""
    measures = _valid_measures(records, chart, opened, derived)
    patronage = list(_valid_records(records, measures, derived))
    patronage.extend(_hours(records, measures, derived))
    patronage.extend(_transaction_patronage(records, measures, figures, chart, all_entries,
                                            derived))
    return measures, patronage


ByYear = dict[tuple[str, int], dict[str, Decimal]]


def patronage_by_year(patronage: Iterable[PatronageRecord], calendar: FiscalCalendar,
                      ) -> ByYear:
    """(measure, fiscal year) -> member -> patronage."""
    by_year: ByYear = defaultdict(lambda: defaultdict(Decimal))
    years: dict[datetime.date, int] = {}  # a till's records fall on a few dates: 12 a year
    for record in patronage:
        date = record.date
        year = years.get(date)
        if year is None:
            year = years[date] = calendar.year_of(date)
        by_year[(record.measure, year)][record.member] += record.quantity
    return by_year


def first_patronage(patronage: Iterable[PatronageRecord], calendar: FiscalCalendar,
                    ) -> dict[tuple[str, int, str], datetime.date]:
    """(measure, fiscal year, member) -> the day of the member's first patronage in it:
    a consent by bylaw counts only for patronage after the member was notified of it."""
    first: dict[tuple[str, int, str], datetime.date] = {}
    for record in patronage:
        key = (record.measure, calendar.year_of(record.date), record.member)
        if key not in first or record.date < first[key]:
            first[key] = record.date
    return first


def figures_from_entries(entries: Iterable[data.Directive], chart: MemberChart,
                         calendar: FiscalCalendar) -> PatronageFigures:
    """The income and expense totals and the postings naming a member, from books already
    loaded (for a what-if before any decision: the plugin's pass collects the same from
    the books it derives; loaded books carry what it derived, dues and split recoveries
    included, like the figures it allocates from)."""
    figures = PatronageFigures(calendar)
    roots = (chart.income + ":", chart.expenses + ":")
    for entry in entries:
        if type(entry) is not data.Transaction:
            continue
        year = calendar.year_of(entry.date)
        for posting in entry.postings:
            if not posting.account.startswith(roots):
                continue
            units = posting.units
            figures.totals[(posting.account, year, units.currency)] += units.number
            member = member_of(entry, posting)
            if member is None:
                figures.unattributed.add(posting.account)
            else:
                figures.member_postings.append((entry, posting, member))
    return figures


def _valid_measures(records: CoopRecords, chart: MemberChart, opened: set[str],
                    derived: Derived) -> dict[str, Measure]:
    valid = {}
    for name, measure in records.measures.items():
        account = measure.account
        if account is not None and not is_under(account, (chart.income, chart.expenses)):
            derived.errors.append(CoopError(measure.source, (
                f"measure {name!r} counts postings to {account}, which is not an income or "
                f"expense account; name the {chart.income} account the member's business is "
                f"booked to (sales, billings) or the {chart.expenses} account (purchases from "
                "members)"), None))
            continue
        if account is not None and not any(is_under(a, (account,)) for a in opened):
            derived.errors.append(CoopError(measure.source, (
                f"measure {name!r} counts postings to {account}, but no such account is "
                "opened; open it or fix the name"), None))
            continue
        valid[name] = measure
    return valid


def _valid_records(records: CoopRecords, measures: dict[str, Measure],
                   derived: Derived) -> Iterable[PatronageRecord]:
    for other in records.non_member:
        if other.measure not in records.measures:
            derived.errors.append(CoopError(other.source, (
                f"non-member business in unknown measure {other.measure!r}; declare it with "
                f'custom "coop-measure" "{other.measure}"'), None))
    members = records.members
    for record in records.patronage:
        if record.measure not in measures:
            if record.measure not in records.measures:
                derived.errors.append(CoopError(record.source, (
                    f"patronage in unknown measure {record.measure!r}; declare it with "
                    f'custom "coop-measure" "{record.measure}" (known: '
                    f"{', '.join(sorted(records.measures)) or 'none'})"), None))
            continue
        member = members.get(record.member)
        if member is not None and member.joined <= record.date and (
                member.left is None or record.date <= member.left):
            yield record  # the usual case, before building any message
            continue
        problem = _membership_problem(members, record.member, record.date)
        if problem:
            derived.errors.append(CoopError(record.source, problem, None))
            continue
        yield record


def _hours(records: CoopRecords, measures: dict[str, Measure],
           derived: Derived) -> list[PatronageRecord]:
    """The `coop-hours` lines as patronage in every hours measure (`from: "coop-hours"`).

    Hours of a non-member or outside membership are reported once, by the plugin's
    check of `coop-hours`, and count for nobody.
    """
    hours_measures = [m for m in measures.values() if m.hours]
    if not hours_measures:
        return []
    members = records.members
    work = [line for line in records.work
            if line.member in members and members[line.member].is_active(line.date)]
    found: list[PatronageRecord] = []
    for measure in hours_measures:
        unknown = [key for key, _ in measure.member_weights if key not in members]
        if unknown:
            derived.errors.append(CoopError(measure.source, (
                f"measure {measure.name!r} weights the hours of {', '.join(unknown)}, who "
                f"{'is' if len(unknown) == 1 else 'are'} not a member; fix the key (members: "
                f"{', '.join(sorted(members)) or 'none declared'})"), None))
        patronage, problems = hours_patronage(work, measure)
        found.extend(patronage)
        derived.errors.extend(CoopError(source, message, None) for source, message in problems)
    return found


def _membership_problem(members: dict[str, Any], key: Any, date: datetime.date) -> str | None:
    member = members.get(key)
    if member is None:
        return (f"patronage recorded for {key!r}, who is not a member; declare them with "
                "coop-member (patronage dividends go to members only) or fix the key")
    if not member.is_active(date):
        return (f"patronage recorded for {key!r} on {date}, when they were not a member "
                f"({member.membership})")
    return None


def _transaction_patronage(
    records: CoopRecords, measures: dict[str, Measure], figures: PatronageFigures,
    chart: MemberChart, all_entries: list[data.Directive], derived: Derived,
) -> list[PatronageRecord]:
    by_account = {m.account: m for m in measures.values() if m.account is not None}
    if not by_account:
        return []
    measure_of: dict[str, Measure | None] = {}

    def lookup(account: str) -> Measure | None:
        if account not in measure_of:
            measure_of[account] = next(
                (m for root, m in sorted(by_account.items(), key=lambda i: -len(i[0]))
                 if is_under(account, (root,))), None)
        return measure_of[account]

    result = []
    currencies: dict[str, str] = {}
    for entry, posting, key in figures.member_postings:
        measure = lookup(posting.account)
        if measure is None:
            continue
        units = posting.units
        currency = currencies.setdefault(measure.name, units.currency)
        if currency != units.currency:
            derived.errors.append(CoopError(entry.meta, (
                f"patronage in {measure.name!r} is counted in {currency}, but this posting to "
                f"{posting.account} is in {units.currency}; keep one currency per measure"),
                entry))
            continue
        problem = _membership_problem(records.members, key, entry.date)
        if problem:
            derived.errors.append(CoopError(entry.meta, problem, entry))
            continue
        sign = -1 if is_under(posting.account, (chart.income,)) else 1
        result.append(PatronageRecord(entry.date, key, measure.name, sign * units.number,
                                      entry.meta, entry.narration))
    # Every posting to a measure's account must say whose business it was. The pass noted the
    # accounts with a posting that names nobody (cheap; comparing totals would miss postings
    # that cancel out); only if one is a measure's, walk the entries again for the culprits.
    if any(lookup(account) is not None for account in figures.unattributed):
        for entry in all_entries:
            if type(entry) is not data.Transaction:
                continue
            for posting in entry.postings:
                measure = lookup(posting.account)
                if measure is not None and member_of(entry, posting) is None:
                    derived.errors.append(CoopError(entry.meta, (
                        f"postings to {posting.account} are patronage in {measure.name!r}, but "
                        "this one does not say whose; add member: \"<key>\" metadata to the "
                        "transaction or the posting (non-member business belongs in another "
                        "account)"), entry))
    return result


class _EquityLedger:
    """Members' retained equity over time, for redemptions: what is outstanding when."""

    def __init__(self) -> None:
        self.events: list[tuple[datetime.date, int, str, str, str, Decimal]] = []
        #: Losses charged beyond a member's equity (`Losses:FY<year>`), and what set them
        #: off: (date, member, account, currency, debit).
        self.losses: list[tuple[datetime.date, str, str, str, Decimal]] = []

    def add(self, date: datetime.date, year: int, member: str, account: str, currency: str,
            credit: Decimal) -> None:
        self.events.append((date, year, member, account, currency, credit))

    def add_loss(self, date: datetime.date, member: str, account: str, currency: str,
                 debit: Decimal) -> None:
        self.losses.append((date, member, account, currency, debit))

    def owed(self, date: datetime.date, currency: str, member: str) -> dict[str, Decimal]:
        """A member's losses not yet set off on a date: Losses account -> amount."""
        balances: dict[str, Decimal] = defaultdict(Decimal)
        for when, key, account, cur, debit in self.losses:
            if when <= date and cur == currency and key == member:
                balances[account] += debit
        return {k: v for k, v in balances.items() if v > 0}

    def capital(self, before: datetime.date) -> dict[tuple[str, str], Decimal]:
        """(member, currency) -> capital account balance from everything dated before
        `before`: retained equity outstanding less losses not set off."""
        balances: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for when, _, key, _, currency, credit in self.events:
            if when < before:
                balances[(key, currency)] += credit
        for when, key, _, currency, debit in self.losses:
            if when < before:
                balances[(key, currency)] -= debit
        return balances

    def currencies(self, member: str, date: datetime.date) -> list[str]:
        """The currencies of a member's retained equity outstanding on a date."""
        balances: dict[str, Decimal] = defaultdict(Decimal)
        for when, _, key, _, currency, credit in self.events:
            if when <= date and key == member:
                balances[currency] += credit
        return sorted(c for c, total in balances.items() if total > 0)

    def outstanding(self, date: datetime.date, currency: str,
                    member: str | None) -> dict[EquityKey, Decimal]:
        balances: dict[EquityKey, Decimal] = defaultdict(Decimal)
        for when, year, key, account, cur, credit in self.events:
            if when <= date and cur == currency and (member is None or key == member):
                balances[(year, key, account)] += credit
        return {k: v for k, v in balances.items() if v}


def _retains(records: CoopRecords, patronage: list[PatronageRecord], chart: MemberChart,
             figures: PatronageFigures, as_of: datetime.date, derived: Derived,
             equity: _EquityLedger) -> None:
    if not records.retains:
        return
    calendar = figures.calendar
    rates: dict[str, list[PerUnitRetain]] = defaultdict(list)
    for retain in sorted(records.retains, key=lambda r: r.date):
        if retain.measure not in records.measures:
            derived.errors.append(CoopError(retain.source, (
                f"per-unit retain on unknown measure {retain.measure!r}; declare it with "
                f'custom "coop-measure" "{retain.measure}"'), None))
            continue
        if not retain.qualified and not figures.rules.qualified_notices:
            derived.errors.append(CoopError(retain.source, (
                f"qualified: FALSE means US non-qualified per-unit retain certificates, but the "
                f"books keep the rules {figures.rules.name!r} ({figures.rules.title}), which "
                "have no such certificates; remove 'qualified:'"), None))
            continue
        rates[retain.measure].append(retain)
    members = records.members
    # Qualified certificates to members with no consent in force: retain line -> member ->
    # the first such patronage (one error per line and member, not per record).
    unconsented: dict[int, dict[str, tuple[PerUnitRetain, datetime.date, str]]] = (
        defaultdict(dict))
    for record in sorted(patronage, key=lambda r: r.date):
        if record.date > as_of or record.measure not in rates:
            continue
        current = [r for r in rates[record.measure] if r.date <= record.date]
        if not current or current[-1].rate == 0 or record.quantity == 0:
            continue
        retain = current[-1]
        try:
            amount = round_half_up(record.quantity * retain.rate)  # like the reserve: half up
        except ArithmeticError:  # no room for the cents in Decimal's 28 digits
            derived.errors.append(CoopError(record.source, (
                f"the per-unit retain on this patronage, {record.quantity} {record.measure} at "
                f"{retain.rate} {retain.currency}, has more digits than the 28 Beancount "
                "calculates with; check the quantity and the retain"), None))
            continue
        if amount == 0:
            continue
        year = calendar.year_of(record.date)
        qualified, basis = retain.qualified, ""
        if qualified and figures.rules.qualified_notices:
            member = members[record.member]
            consent = consent_for(records.consents.get(record.member, ()), year,
                                  calendar.year_of, record.date, member.left)
            basis = consent.basis
            if not consent.in_force:
                if figures.without_consent != "non-qualified":
                    unconsented[id(retain)].setdefault(record.member,
                                                       (retain, record.date, consent.basis))
                    continue
                qualified = False
                basis = f"{consent.basis}: issued non-qualified, by rule"
        account = chart.retains(record.member, year, qualified)
        payable = chart.payable(record.member)
        money = Amount(amount, retain.currency)
        meta = generated_meta(record.source, "retain", **{
            "coop-measure": record.measure, "coop-quantity": record.quantity,
            "coop-rate": retain.rate, "coop-year": Decimal(year)})
        kind = {"coop-kind": QUALIFIED if qualified else NON_QUALIFIED_KIND}
        if basis:
            kind["coop-consent"] = basis
        derived.entries.append(data.Transaction(
            meta, record.date, "*", members[record.member].name,
            f"Per-unit retain: {record.quantity} {record.measure} at {retain.rate} "
            f"{retain.currency}", data.EMPTY_SET, data.EMPTY_SET, [
                data.Posting(payable, money, None, None, None, posting_meta(record.source)),
                data.Posting(account, -money, None, None, None,
                             posting_meta(record.source, **kind)),
            ]))
        derived.use(account, record.date, record.source)
        equity.add(record.date, year, record.member, account, retain.currency, amount)
    for found in unconsented.values():
        retain = next(iter(found.values()))[0]
        who = "; ".join(f"{key} (from {day}: {why})" for key, (_, day, why) in sorted(
            found.items()))
        derived.errors.append(CoopError(retain.source, (
            f"qualified per-unit retain certificates on {retain.measure!r} need each member's "
            f"consent (IRC 1388(h)), and none is in force for {who}; record it "
            f'(custom "coop-consent" "<key>" "written", or "bylaw" with notified:), write '
            "qualified: FALSE on this line for non-qualified certificates, or set the plugin's "
            "'without_consent': 'non-qualified' to issue theirs non-qualified by rule; their "
            "retains are not booked until then"), None))


def pool_margin(decision: AllocationDecision, accounts: tuple[str, ...], totals: Totals,
                ) -> dict[str, Decimal]:
    """The net margin (income less expenses) of `accounts` in the decision's fiscal year."""
    margin: dict[str, Decimal] = defaultdict(Decimal)
    for (account, year, currency), number in totals.items():
        if year == decision.fiscal_year and is_under(account, accounts):
            margin[currency] -= number
    return dict(margin)


class NonMemberSplit(NamedTuple):
    """A fiscal year's business with non-members in a pool's measure (the till's
    `coop-non-member-business` totals), and the part of the margin it takes."""

    business: Decimal
    part: Decimal


NO_NON_MEMBERS = NonMemberSplit(Decimal(0), Decimal(0))


def non_member_split(decision: AllocationDecision, records: CoopRecords,
                     calendar: FiscalCalendar, margin: Decimal, patronage: dict[str, Decimal],
                     ) -> tuple[NonMemberSplit, list[str]]:
    """The non-member part of a decision's margin: the margin in proportion to the year's
    non-member business of all business in the measure (core.patronage.non_member_part);
    a loss is charged as it is. Both the pool (`allocate_pool`) and the reports' what-if
    (`reports.patronage.draft_pool`) take the margin less this part."""
    business = sum((other.quantity for other in records.non_member
                    if other.measure == decision.measure
                    and calendar.year_of(other.date) == decision.fiscal_year), Decimal(0))
    members = sum(patronage.values(), Decimal(0))
    problems = non_member_problems(decision.fiscal_year, decision.pool, decision.measure,
                                   members, business)
    if problems or not business or decision.loss or margin <= 0:
        return NonMemberSplit(business, Decimal(0)), problems
    return NonMemberSplit(business, non_member_part(margin, members, business)), []


class _LossCharge(NamedTuple):
    date: datetime.date
    decision: AllocationDecision
    loss: Decimal
    patronage: dict[str, Decimal]
    non_patronage: Decimal
    currency: str


def _allocations(
    records: CoopRecords, measures: dict[str, Measure],
    by_year: dict[tuple[str, int], dict[str, Decimal]], figures: PatronageFigures,
    chart: MemberChart, opened: set[str], as_of: datetime.date, draw_account: str,
    derived: Derived, equity: _EquityLedger,
    first: dict[tuple[str, int, str], datetime.date] | None = None,
) -> list[_LossCharge]:
    """Book each dividend; return the losses to charge, which take members' equity as it
    stands on their date (after the redemptions before it: see _redemptions)."""
    losses: list[_LossCharge] = []
    seen: dict[tuple[int, str], AllocationDecision] = {}
    claims: dict[int, list[Claim]] = defaultdict(list)
    withholding = _Withholding(figures.rules, records)
    for decision in sorted(records.decisions, key=lambda d: d.date):
        if decision.draft:
            continue  # a draft for the board: coop patronage --what-if, nothing booked
        problems = decision_problems(decision, records, measures, figures, chart, opened, seen)
        if (decision.fiscal_year, decision.pool) not in seen:
            problems.extend(claim_problems(decision, claims[decision.fiscal_year]))
        seen.setdefault((decision.fiscal_year, decision.pool), decision)
        if problems:
            derived.errors.extend(CoopError(decision.source, p, None) for p in problems)
            continue
        margin = pool_margin(decision, decision.margin_accounts, figures.totals)
        currency, amount = next(iter(margin.items()))
        patronage = dict(by_year.get((decision.measure, decision.fiscal_year), {}))
        if decision.loss and amount >= 0:
            derived.errors.append(CoopError(decision.source, (
                f"pool {decision.pool!r} for {fiscal_label(decision.fiscal_year)} has a margin "
                f"of {amount} {currency}, not a loss; drop loss: and decide the dividend "
                "(cash:)"), None))
            continue
        # A loss is checked like a margin of its size (patronage recorded, none negative).
        problems = pool_problems(decision.fiscal_year, decision.pool,
                                 -amount if decision.loss else amount, patronage,
                                 decision.measure)
        if problems:
            derived.errors.extend(CoopError(decision.source, p, None) for p in problems)
            continue
        non_patronage = pool_margin(decision, decision.non_patronage_accounts, figures.totals)
        other = sorted(set(non_patronage) - {currency})
        if other:
            derived.errors.append(CoopError(decision.source, (
                f"the non-patronage margin is in {', '.join(other)}, the pool in {currency}; "
                "keep one currency"), None))
            continue
        split, problems = non_member_split(decision, records, figures.calendar, amount,
                                           patronage)
        if problems:
            derived.errors.extend(CoopError(decision.source, p, None) for p in problems)
            continue
        amount -= split.part  # the patronage margin; the non-member part is the co-op's
        non_patronage[currency] = non_patronage.get(currency, Decimal(0)) + split.part
        if decision.paid > as_of:
            continue  # not paid yet: nothing to book until as_of reaches it
        if decision.loss:
            losses.append(_LossCharge(decision.paid, decision, -amount, patronage,
                                      non_patronage.get(currency, Decimal(0)), currency))
            continue
        result = allocate_pool(amount, decision.reserve, decision.cash, patronage,
                               rounding=figures.cash_rounding,
                               minimum_cash=least_cash(figures.rules, decision.qualified))
        consents, problems = notice_consents(decision, result, records, figures, as_of,
                                             first or {})
        if problems:
            derived.errors.extend(CoopError(decision.source, p, None) for p in problems)
            continue
        withheld, problems = withholding.take(decision, result, currency)
        if problems:
            derived.errors.extend(CoopError(decision.source, p, None) for p in problems)
            continue
        derived.entries.append(allocation_entry(
            decision, result, non_patronage.get(currency, Decimal(0)), currency, records, chart,
            draw_account, derived, equity, withheld, split, consents))
    return losses


def notice_consents(decision: AllocationDecision, result: PoolAllocation,
                    records: CoopRecords, figures: PatronageFigures, as_of: datetime.date,
                    first: dict[tuple[str, int, str], datetime.date],
                    ) -> tuple[dict[str, Consent], list[str]]:
    """Each member's consent to the decision's qualified notices (IRC 1388(c); rules with
    qualified notices only): a `coop-consent` in force, else the qualified check when the
    decision pays by one, else none. A member with none: a problem naming them, or with
    `without_consent: non-qualified` their notice issued non-qualified (a Consent not in
    force). No problem is reported for a notice with no qualified part."""
    if not (decision.qualified and figures.rules.qualified_notices):
        return {}, []
    calendar, year = figures.calendar, decision.fiscal_year
    cashed = {c.member: c.date for c in records.checks_cashed
              if c.year == year and c.pool == decision.pool}
    last = payment_deadline(calendar, year, figures.rules)
    consents: dict[str, Consent] = {}
    missing = []
    for dividend in result.dividends:
        member = records.members.get(dividend.member)
        consent = consent_for(records.consents.get(dividend.member, ()), year,
                              calendar.year_of, first.get((decision.measure, year,
                                                           dividend.member)),
                              member.left if member else None)
        if not consent.in_force and decision.qualified_check and last is not None:
            consent = check_consent(cashed.get(dividend.member), last, as_of)
        if not consent.in_force and figures.without_consent != "non-qualified" and not (
                decision.qualified_check):
            if notice_parts(dividend.retained, decision.qualified)[0]:
                missing.append(f"{dividend.member} ({consent.basis})")
            continue
        if not consent.in_force and not decision.qualified_check:
            consent = Consent(False, f"{consent.basis}: issued non-qualified, by rule")
        consents[dividend.member] = consent
    if missing:
        return {}, [
            f"pool {decision.pool!r} for {fiscal_label(year)} issues qualified notices, and a "
            f"notice is qualified only with the member's consent (IRC 1388(c)); none is in "
            f"force for {', '.join(missing)}: record it (custom \"coop-consent\" \"<key>\" "
            "\"written\" dated the day they signed, or \"bylaw\" with notified: the day they "
            "were given the consent bylaw in writing), pay by qualified check (qualified-check: "
            "TRUE on this decision), write qualified: FALSE, or set the plugin's "
            "'without_consent': 'non-qualified' to issue theirs non-qualified, by rule"]
    return consents, []


def cashing_problems(records: CoopRecords) -> list[CoopError]:
    """`coop-check-cashed` lines that name no member or no decision paying by qualified
    check, or a check cashed before it was paid."""
    decisions = {(d.fiscal_year, d.pool): d for d in records.decisions if not d.draft}
    problems = []
    for cashed in records.checks_cashed:
        decision = decisions.get((cashed.year, cashed.pool))
        label = f"pool {cashed.pool!r} for {fiscal_label(cashed.year)}"
        if cashed.member not in records.members:
            problem = (f"coop-check-cashed names unknown member {cashed.member!r}; fix the key")
        elif decision is None:
            problem = (f"no decision allocates {label}; fix the year or the pool's name (the "
                       "third value)")
        elif not decision.qualified_check:
            problem = (f"the decision for {label} at {location(decision.source)} does not pay "
                       "by qualified check; add qualified-check: TRUE to it, or remove this line")
        elif cashed.date < decision.paid:
            problem = (f"{cashed.member}'s qualified check of {label} is cashed on "
                       f"{cashed.date}, before it is paid on {decision.paid}; fix the date")
        else:
            continue
        problems.append(CoopError(cashed.source, problem, None))
    return problems


class _Withholding:
    """Tax withheld from patronage payments (rules 'ca': 15% of what a member is paid in a
    calendar year above 100): per member and calendar year, the tax due on the year's
    total so far, rounded half up to the cent, less what earlier payments withheld; so
    each year's withholding is the rate times the year's excess, to the cent."""

    def __init__(self, rules: RuleSet, records: CoopRecords) -> None:
        self.rule = rules.withholding
        self.backup_rate = rules.backup_withholding
        self.records = records
        self.paid: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
        self.withheld: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)

    def take(self, decision: AllocationDecision, result: PoolAllocation, currency: str,
             ) -> tuple[dict[str, Decimal], list[str]]:
        """What to withhold from each member's cash part of this payment, or the problems."""
        rule = self.rule
        if rule is None:
            return self.backup(decision.paid, {d.member: d.cash for d in result.dividends}), []
        withheld: dict[str, Decimal] = {}
        problems = []
        for dividend in result.dividends:
            key = (dividend.member, decision.paid.year, currency)
            total = self.paid[key] + dividend.allocation  # shares and credits are paid too
            due = round_half_up(max(total - rule.threshold, Decimal(0)) * rule.rate)
            tax = due - self.withheld[key]
            if tax > dividend.cash:
                problems.append(
                    f"{dividend.member}'s {percent(rule.rate)} withholding on this payment is "
                    f"{tax} {currency} (on what they are paid in {decision.paid.year} above "
                    f"{rule.threshold}), more than their cash part of {dividend.cash}; raise "
                    "the cash share so the tax can be withheld from the cash")
            withheld[dividend.member] = tax
        if problems:
            return {}, problems
        for dividend in result.dividends:
            key = (dividend.member, decision.paid.year, currency)
            self.paid[key] += dividend.allocation
            self.withheld[key] += withheld[dividend.member]
        return {m: tax for m, tax in withheld.items() if tax}, []

    def backup(self, day: datetime.date, cash: dict[str, Decimal]) -> dict[str, Decimal]:
        """Backup withholding (rules 'us'): the rate times each marked member's cash paid on
        `day`, rounded half up to the cent, payment by payment (a half cent goes to the tax,
        as the IRS rounds)."""
        rate = self.backup_rate
        if rate is None or not self.records.backup:
            return {}
        withheld = {}
        for member, amount in cash.items():
            if amount > 0 and self.records.backup_reason(member, day):
                tax = round_half_up(amount * rate)
                if tax:
                    withheld[member] = tax
        return withheld


class Claim(NamedTuple):
    """An account a decision draws a fiscal year's net from, as margin or non-patronage."""

    account: str
    role: str
    decision: AllocationDecision


def claim_problems(decision: AllocationDecision, claims: list[Claim]) -> list[str]:
    """Within a fiscal year each income or expense account's net belongs to one pool's margin
    or to non-patronage, across all decisions: a second claim (the same account, or one
    under or over it) would allocate one margin twice. The decision's claims join `claims`
    when it makes none of its own twice."""
    label = f"pool {decision.pool!r} for {fiscal_label(decision.fiscal_year)}"
    mine = [Claim(account, "margin", decision) for account in decision.margin_accounts]
    mine += [Claim(account, "non-patronage", decision)
             for account in decision.non_patronage_accounts]
    problems = []
    for claim in mine:
        for earlier in claims:
            if is_under(claim.account, (earlier.account,)) or is_under(earlier.account,
                                                                       (claim.account,)):
                first = earlier.decision
                problems.append(
                    f"{label}: {claim.role} account {claim.account} is already counted as "
                    f"{earlier.role} ({earlier.account}) of pool {first.pool!r} decided at "
                    f"{location(first.source)}; within a fiscal year each income and expense "
                    "account belongs to one pool's margin or to non-patronage: name it in "
                    "only one decision (to pay one pool partly in qualified and partly in "
                    'non-qualified notices, write qualified: "50%" on its one decision)')
                break
    if not problems:
        claims.extend(mine)
    return problems


def loss_entry(
    decision: AllocationDecision, loss: Decimal, patronage: dict[str, Decimal],
    non_patronage: Decimal, currency: str, chart: MemberChart, draw_account: str,
    derived: Derived, equity: _EquityLedger,
) -> data.Transaction:
    """A year's loss charged to the collective account and to members' capital accounts."""
    date, year, source = decision.paid, decision.fiscal_year, decision.source
    collective, parts = charge_loss(loss, decision.reserve, patronage)

    def posting(account: str, number: Decimal, **extra: Any) -> data.Posting:
        derived.use(account, date, source)
        return data.Posting(account, Amount(number, currency), None, None, None,
                            posting_meta(source, **extra))

    postings = [posting(draw_account, non_patronage - loss)]
    if collective - non_patronage:
        postings.append(posting(chart.unallocated(), collective - non_patronage))
    for member, part in sorted(parts.items()):
        detail = {"coop-patronage": patronage[member], "coop-loss": part}
        outstanding = equity.outstanding(date, currency, member)
        available = sum(outstanding.values(), Decimal(0))
        taken = redeem(min(part, available), outstanding) if available > 0 else {}
        for (fy, _, account), amount in sorted(taken.items()):
            postings.append(posting(account, amount, **{"coop-kind": "loss", **detail}))
            equity.add(date, fy, member, account, currency, -amount)
        rest = part - sum(taken.values(), Decimal(0))
        if rest:
            postings.append(posting(chart.losses(member, year), rest,
                                    **{"coop-kind": "loss", **detail}))
            equity.add_loss(date, member, chart.losses(member, year), currency, rest)
    meta = generated_meta(source, "loss", **{
        "coop-year": Decimal(year), "coop-pool": decision.pool, "coop-measure": decision.measure,
        "coop-loss": loss, "coop-collective": collective, "coop-non-patronage": non_patronage,
        "coop-patronage-total": sum((q for q in patronage.values() if q > 0), Decimal(0)),
        "coop-reserve-share": percent(decision.reserve)})
    pool = "" if decision.pool == DEFAULT_POOL else f", {decision.pool}"
    return data.Transaction(
        meta, date, "*", None,
        f"Loss of {fiscal_label(year)}{pool} charged: {percent(decision.reserve)} to the "
        "collective account, the rest to members' capital accounts by patronage",
        data.EMPTY_SET, data.EMPTY_SET, postings)


def decision_problems(
    decision: AllocationDecision, records: CoopRecords, measures: dict[str, Measure],
    figures: PatronageFigures, chart: MemberChart, opened: set[str],
    seen: dict[tuple[int, str], AllocationDecision],
) -> list[str]:
    """What is wrong with a decision before any arithmetic."""
    problems = []
    label = f"pool {decision.pool!r} for {fiscal_label(decision.fiscal_year)}"
    if decision.nonpatronage and not figures.section_521:
        problems.append(f'{label} says distribution: "nonpatronage", which only a farmers\' '
                        "co-op exempt under IRC section 521 pays (Form 1099-PATR box 2); if "
                        "the co-op is one, add 'section_521': True to the plugin's settings")
    if decision.deduction_199a_g is not None and not figures.specified_cooperative:
        problems.append(f"{label} passes a section 199A(g) deduction through, which only a "
                        "specified agricultural or horticultural co-op does; if the co-op is "
                        "one, add 'specified_cooperative': True to the plugin's settings")
    first = seen.get((decision.fiscal_year, decision.pool))
    if first is not None:
        problems.append(twice(label, first.source, "one decision per year and pool: change "
                              "or remove one of them", verb="decided"))
    if decision.measure not in records.measures:
        problems.append(
            f"{label} is allocated by unknown measure {decision.measure!r}; declare it with "
            f'custom "coop-measure" "{decision.measure}" (known: '
            f"{', '.join(sorted(records.measures)) or 'none'})")
    for account in decision.margin_accounts + decision.non_patronage_accounts:
        if not is_under(account, (chart.income, chart.expenses)):
            problems.append(f"{label}: {account} is not an income or expense account; a margin "
                            "is made of income and expense accounts")
        elif not any(is_under(a, (account,)) for a in opened):
            problems.append(f"{label} names account {account}, which is not opened; fix the "
                            "name or open the account")
    for account in decision.non_patronage_accounts:
        # Counted in both, a margin would be drawn twice: allocated and kept as non-patronage.
        overlap = [m for m in decision.margin_accounts
                   if is_under(account, (m,)) or is_under(m, (account,))]
        if overlap:
            problems.append(f"{label}: non-patronage account {account} overlaps margin account "
                            f"{' '.join(overlap)}; name each income and expense account in "
                            "only one of margin: and non-patronage:")
    problems.extend(share_problems(decision.reserve, decision.cash, decision.qualified,
                                   figures.rules))
    if decision.qualified_check and not (decision.qualified and figures.rules.qualified_notices):
        problems.append(f"{label} pays by qualified check (qualified-check: TRUE), which is "
                        "the consent to a US qualified notice; these notices are not qualified "
                        "ones: remove qualified-check:")
    problem = deadline_problem(figures.calendar, decision.fiscal_year, decision.paid,
                               figures.rules)
    if decision.loss and decision.paid > figures.calendar.end(decision.fiscal_year):
        problem = None  # the deadline is a dividend's: a loss is charged when the board says
    if problem:
        problems.append(problem)
    if decision.issued is not None and not decision.loss:
        problem = issue_problem(figures.calendar, decision.fiscal_year, decision.issued,
                                figures.rules)
        if problem:
            problems.append(problem)
    if not problems:
        margin = pool_margin(decision, decision.margin_accounts, figures.totals)
        if len(margin) > 1:
            problems.append(f"{label}: the margin is in several currencies "
                            f"({', '.join(sorted(margin))}); allocate one currency per pool")
        elif not margin:
            problems.append(f"{label}: nothing was booked to {' '.join(decision.margin_accounts)}"
                            f" in {fiscal_label(decision.fiscal_year)}, so there is no margin "
                            "to allocate")
    return problems


def allocation_entry(
    decision: AllocationDecision, result: PoolAllocation, non_patronage: Decimal, currency: str,
    records: CoopRecords, chart: MemberChart, draw_account: str, derived: Derived,
    equity: _EquityLedger, withheld: dict[str, Decimal] | None = None,
    split: NonMemberSplit = NO_NON_MEMBERS,
    consents: dict[str, Consent] | None = None,
) -> data.Transaction:
    """The decision's transaction. `consents` (notice_consents) turns the notice of a
    member with no consent in force non-qualified, and is written on their postings."""
    consents = consents or {}
    date = decision.paid
    year = decision.fiscal_year
    meta = generated_meta(decision.source, "allocation", **{
        "coop-year": Decimal(year), "coop-pool": decision.pool, "coop-measure": decision.measure,
        "coop-margin": result.margin, "coop-reserve": result.reserve,
        "coop-non-patronage": non_patronage, "coop-pool-amount": result.pool,
        "coop-patronage-total": result.total_patronage,
        "coop-reserve-share": percent(decision.reserve),
        "coop-cash-share": percent(decision.cash), "coop-qualified": decision.qualified > 0,
    })
    if split.business:
        # Of the non-patronage margin (drawn with the rest, kept as unallocated equity),
        # this part is the margin's share of the business done with non-members.
        meta["coop-non-member-business"] = split.business
        meta["coop-non-member-part"] = split.part
    if decision.issued is not None:  # notices issued on another day than the payment
        meta["coop-issued"] = decision.issued
    if decision.late:
        meta["coop-late"] = True
    if decision.nonpatronage:  # a section 521 co-op's non-patronage distribution: box 2
        meta["coop-nonpatronage"] = True
    if decision.deduction_199a_g is not None:  # split among the members by the reports
        meta["coop-deduction-199a-g"] = decision.deduction_199a_g
    if decision.qualified_check:
        meta["coop-qualified-check"] = True
    split_notices = 0 < decision.qualified < 1
    if split_notices:
        meta["coop-qualified-share"] = percent(decision.qualified)

    def posting(account: str, number: Decimal, extra: dict[str, Any] | None = None,
                ) -> data.Posting:
        derived.use(account, date, decision.source)
        return data.Posting(account, Amount(number, currency), None, None, None,
                            posting_meta(decision.source, **(extra or {})))

    postings = [posting(draw_account, result.margin + non_patronage)]
    unallocated = result.reserve + non_patronage
    if unallocated:
        postings.append(posting(chart.unallocated(), -unallocated))
    for dividend in result.dividends:
        detail = {"coop-patronage": dividend.patronage, "coop-allocation": dividend.allocation}
        consent = consents.get(dividend.member)
        if consent is not None:
            detail["coop-consent"] = consent.basis
        if dividend.cash:
            cash = posting(chart.payable(dividend.member), -dividend.cash,
                           {"coop-kind": "cash", **detail})
            postings.append(cash)
            if dividend.cash > 0:
                derived.cash_parts.append(CashPart(decision, dividend.member, currency,
                                                   Credit(date, dividend.cash), cash.meta))
        tax = (withheld or {}).get(dividend.member)
        if tax:
            # Withheld from the cash part: the member's payable is debited, the tax is owed
            # to the tax authority until remitted.
            postings.append(posting(chart.payable(dividend.member), tax,
                                    {"coop-kind": WITHHELD, **detail}))
            postings.append(posting(chart.tax_withheld(), -tax,
                                    {"coop-kind": WITHHELD, "coop-member": dividend.member}))
        share = decision.qualified if consent is None or consent.in_force else Decimal(0)
        qualified, non_qualified = notice_parts(dividend.retained, share)
        for part, is_qualified in ((qualified, True), (non_qualified, False)):
            if part:
                account = chart.allocated(dividend.member, year, is_qualified)
                kind = QUALIFIED if is_qualified else NON_QUALIFIED_KIND
                postings.append(posting(account, -part, {"coop-kind": kind, **detail}))
                equity.add(date, year, dividend.member, account, currency, part)
    pool = "" if decision.pool == DEFAULT_POOL else f", {decision.pool}"
    notices = (f"{percent(decision.qualified)} qualified notices" if split_notices
               else "qualified notices" if decision.qualified else "non-qualified notices")
    return data.Transaction(
        meta, date, "*", None,
        f"Patronage dividend {fiscal_label(year)}{pool}: {percent(decision.cash)} cash, "
        f"{notices}", data.EMPTY_SET, data.EMPTY_SET, postings)


class _InterestYear(NamedTuple):
    """A fiscal year of interest on capital accounts: weighed on its first day (`date`),
    booked on its last (`end`)."""

    date: datetime.date
    end: datetime.date
    year: int
    rate: InterestRate
    account: str
    #: The rate's first year: a year with no capital to pay interest on is an error then.
    first: bool


def _interest_years(records: CoopRecords, calendar: FiscalCalendar, chart: MemberChart,
                    as_of: datetime.date, derived: Derived) -> list[_InterestYear]:
    """The fiscal years interest is due for (closed by `as_of`), each with its rate; the
    mistakes of the `coop-interest` lines go to `derived.errors`."""
    rates: list[InterestRate] = []
    for rate in sorted(records.interest_rates, key=lambda r: r.date):
        year = calendar.year_of(rate.date)
        account = rate.account or f"{chart.expenses}:Interest:CapitalAccounts"
        problem = None
        if rate.date != calendar.start(year):
            problem = (f"interest on capital accounts is a rate per fiscal year, and this one "
                       f"starts on {rate.date}, within {fiscal_label(year)}; date the "
                       f"coop-interest line on the first day of a fiscal year, "
                       f"{calendar.start(year)} or {calendar.start(year + 1)}")
        elif rates and rates[-1].date == rate.date:
            problem = twice(f"an interest rate from {rate.date}", rates[-1].source,
                            "keep one coop-interest line per date", verb="set")
        elif not is_under(account, (chart.expenses,)):
            problem = (f"interest on capital accounts is an expense of the co-op; book it to "
                       f"an account under {chart.expenses}, not {account} (account:)")
        else:
            claimed = [d for d in records.decisions for a in
                       d.margin_accounts + d.non_patronage_accounts
                       if is_under(account, (a,)) or is_under(a, (account,))]
            if claimed:
                d = claimed[0]
                problem = (
                    f"interest on capital accounts is booked to {account}, which pool "
                    f"{d.pool!r} for {fiscal_label(d.fiscal_year)} counts (decided at "
                    f"{location(d.source)}); the plugin books interest after the pools are "
                    "allocated, so keep it outside every margin: give coop-interest an "
                    f"account: of its own (such as {chart.expenses}:Interest:CapitalAccounts) "
                    "that no margin: or non-patronage: names")
        if problem:
            derived.errors.append(CoopError(rate.source, problem, None))
            continue
        rates.append(rate)
    years = []
    for index, rate in enumerate(rates):
        until = rates[index + 1].date if index + 1 < len(rates) else None
        year = calendar.year_of(rate.date)
        while calendar.end(year) <= as_of and (until is None or calendar.start(year) < until):
            if rate.rate:
                years.append(_InterestYear(
                    calendar.start(year), calendar.end(year), year, rate,
                    rate.account or f"{chart.expenses}:Interest:CapitalAccounts",
                    year == calendar.year_of(rate.date)))
            year += 1
    return years


def interest_entry(item: _InterestYear, records: CoopRecords, chart: MemberChart,
                   derived: Derived, equity: _EquityLedger) -> data.Transaction | None:
    """A fiscal year's interest on the members' capital accounts, booked on its last day:
    each member's balance at the start of the year times the rate, rounded half up to
    the cent (core/capital.py), credited to `Interest:FY<year>` or paid into the payable
    (a member who has left by the year's last day is paid: their account is being paid out)."""
    rate, source = item.rate, item.rate.source
    postings: list[data.Posting] = []
    total: dict[str, Decimal] = defaultdict(Decimal)

    def posting(account: str, number: Decimal, currency: str, **extra: Any) -> data.Posting:
        derived.use(account, item.end, source)
        return data.Posting(account, Amount(number, currency), None, None, None,
                            posting_meta(source, **extra))

    balances = equity.capital(item.date)
    for (member, currency), balance in sorted(balances.items()):
        amount = capital_interest(balance, rate.rate)
        if not amount:
            continue
        left = records.members[member].left if member in records.members else None
        # A member who has left by the year's last day is paid: their account is being
        # (or is about to be) paid out, and a payout takes what stands on its own date.
        credited = rate.way == "credited" and (left is None or left >= item.end)
        account = (chart.interest(member, item.year) if credited else chart.payable(member))
        postings.append(posting(account, -amount, currency, **{
            "coop-kind": "interest", "coop-capital": balance, "coop-interest": amount}))
        if credited:
            equity.add(item.end, item.year, member, account, currency, amount)
        total[currency] += amount
    if not postings:
        if item.first:
            derived.errors.append(CoopError(source, (
                f"no member has a capital account balance at the start of "
                f"{fiscal_label(item.year)} ({item.date}), so the interest rate from "
                f"{rate.date} has nothing to pay interest on; date it from the first fiscal "
                "year that starts with retained equity in the members' capital accounts"),
                None))
        return None
    for currency, amount in sorted(total.items()):
        postings.insert(0, posting(item.account, amount, currency))
    meta = generated_meta(source, "interest", **{
        "coop-year": Decimal(item.year), "coop-rate": percent(rate.rate),
        "coop-interest-way": rate.way,
        "coop-basis": f"capital account balance at the start of {item.date}"})
    return data.Transaction(
        meta, item.end, "*", None,
        f"Interest on capital accounts {fiscal_label(item.year)}: {percent(rate.rate)} of each "
        f"member's balance at the start of {item.date}, {rate.way}",
        data.EMPTY_SET, data.EMPTY_SET, postings)


def _redemptions(records: CoopRecords, chart: MemberChart, as_of: datetime.date,
                 derived: Derived, equity: _EquityLedger, losses: list[_LossCharge],
                 draw_account: str, withholding: _Withholding,
                 interest_years: list[_InterestYear]) -> None:
    """What changes members' retained equity after the allocations, in date order: interest
    (weighed on a fiscal year's first day), losses charged, payout schedules (their
    instalments, from what is outstanding on the schedule's date) and redemptions."""
    pending: list[tuple[datetime.date, int, Any]] = []
    order = itertools.count()
    # On a same day: interest first (it weighs what stood before the day), then a loss,
    # then a schedule, then what is paid.
    for item in (*interest_years, *losses, *records.payouts, *records.redemptions):
        heapq.heappush(pending, (item.date, next(order), item))
    while pending:
        date, _, item = heapq.heappop(pending)
        if date > as_of:
            break  # not paid yet; what it will find outstanding is not known either
        if isinstance(item, _InterestYear):
            entry = interest_entry(item, records, chart, derived, equity)
            if entry is not None:
                derived.entries.append(entry)
            continue
        if isinstance(item, _LossCharge):
            derived.entries.append(loss_entry(item.decision, item.loss, item.patronage,
                                              item.non_patronage, item.currency, chart,
                                              draw_account, derived, equity))
            continue
        if isinstance(item, PayoutSchedule):
            for instalment in _payout(item, records, chart, derived, equity):
                heapq.heappush(pending, (instalment.date, next(order), instalment))
            continue
        redemption = item
        if redemption.member is not None and redemption.member not in records.members:
            derived.errors.append(CoopError(redemption.source, (
                f"coop-redemption names unknown member {redemption.member!r}; fix 'member:' "
                f"(members: {', '.join(sorted(records.members)) or 'none declared'})"), None))
            continue
        outstanding = equity.outstanding(redemption.date, redemption.currency, redemption.member)
        total = sum(outstanding.values(), Decimal(0))
        whose = f"{redemption.member}'s" if redemption.member else "members'"
        if redemption.amount > total:
            derived.errors.append(CoopError(redemption.source, (
                f"the redemption of {redemption.amount} {redemption.currency} is more than the "
                f"{total} {redemption.currency} of {whose} retained equity outstanding on "
                f"{redemption.date}; lower the budget to at most {total}"), None))
            continue
        derived.entries.append(redemption_entry(redemption, redeem(redemption.amount,
                                                                   outstanding),
                                                records, chart, derived, equity, withholding))


def _payout(schedule: PayoutSchedule, records: CoopRecords, chart: MemberChart,
            derived: Derived, equity: _EquityLedger) -> list[EquityRedemption]:
    """The instalments of a leaver's payout schedule (core/capital.py's rule), after the
    member's losses are set off against their equity."""
    key, date = schedule.member, schedule.date
    member = records.members.get(key)
    problem = None
    if member is None:
        problem = (f"coop-payout names unknown member {key!r}; fix the key (members: "
                   f"{', '.join(sorted(records.members)) or 'none declared'})")
    elif member.left is None or date <= member.left:
        problem = (f"a payout schedule for {key!r}, who is still a member on {date}"
                   f"{' (leaving on ' + str(member.left) + ')' if member.left else ''}; only a "
                   "member who has left is paid out: date it after their coop-leave")
    currencies = [] if problem else equity.currencies(key, date)
    if not problem and not currencies:
        problem = (f"nothing of {key}'s retained equity is outstanding on {date}, so there is "
                   "nothing to pay out; remove the schedule or date it after the allocations")
    if problem:
        derived.errors.append(CoopError(schedule.source, problem, None))
        return []
    found = []
    for currency in currencies:
        owed = equity.owed(date, currency, key) if equity.losses else {}
        if owed:
            derived.entries.append(set_off_entry(schedule, currency, owed, chart, derived,
                                                 equity))
        total = sum(equity.outstanding(date, currency, key).values(), Decimal(0))
        for index, (when, amount) in enumerate(
                instalments(total, schedule.count, date, schedule.frequency), 1):
            if amount:
                found.append(EquityRedemption(when, amount, currency, schedule.source, key,
                                              f"{index} of {schedule.count}"))
    return found


def set_off_entry(schedule: PayoutSchedule, currency: str, owed: dict[str, Decimal],
                  chart: MemberChart, derived: Derived, equity: _EquityLedger,
                  ) -> data.Transaction:
    """A leaver's losses (`Losses:FY<year>`) set off against their retained equity on the
    payout schedule's date, oldest of each first, before the rest is paid in instalments."""
    date, key = schedule.date, schedule.member
    outstanding = equity.outstanding(date, currency, key)
    amount = min(sum(owed.values(), Decimal(0)), sum(outstanding.values(), Decimal(0)))
    postings = []
    for (year, member, account), part in sorted(redeem(amount, outstanding).items()):
        postings.append(data.Posting(account, Amount(part, currency), None, None, None,
                                     posting_meta(schedule.source, **{
                                         "coop-kind": "set-off", "coop-year": Decimal(year)})))
        equity.add(date, year, member, account, currency, -part)
        derived.use(account, date, schedule.source)
    for account, part in sorted(set_off(amount, owed).items()):
        postings.append(data.Posting(account, Amount(-part, currency), None, None, None,
                                     posting_meta(schedule.source, **{"coop-kind": "set-off"})))
        equity.add_loss(date, key, account, currency, -part)
        derived.use(account, date, schedule.source)
    meta = generated_meta(schedule.source, "loss-set-off", **{"coop-set-off": amount})
    return data.Transaction(
        meta, date, "*", None, "Losses charged beyond the capital account set off against "
        "it before the payout", data.EMPTY_SET, data.EMPTY_SET, postings)


def redemption_entry(redemption: EquityRedemption, paid: dict[EquityKey, Decimal],
                     records: CoopRecords, chart: MemberChart, derived: Derived,
                     equity: _EquityLedger, withholding: _Withholding | None = None,
                     ) -> data.Transaction:
    date, currency = redemption.date, redemption.currency
    postings = []
    to_members: dict[str, Decimal] = defaultdict(Decimal)
    #: What is redeemed of non-qualified notices: income when paid (box 5), so backup
    #: withheld from a marked member.
    non_qualified: dict[str, Decimal] = defaultdict(Decimal)
    years = sorted({year for year, _, _ in paid})
    for (year, member, account), amount in sorted(paid.items()):
        postings.append(data.Posting(account, Amount(amount, currency), None, None, None,
                                     posting_meta(redemption.source, **{
                                         "coop-kind": "redeemed",
                                         "coop-year": Decimal(year)})))
        equity.add(date, year, member, account, currency, -amount)
        to_members[member] += amount
        kind = chart.retained_equity(account)
        if kind is not None and kind[1] == NON_QUALIFIED_KIND:
            non_qualified[member] += amount
        derived.use(account, date, redemption.source)
    withheld = withholding.backup(date, non_qualified) if withholding else {}
    for member, amount in sorted(to_members.items()):
        # The member's losses charged beyond their equity are set off first (oldest first):
        # what they owe the capital account is netted off what it pays them.
        owed = equity.owed(date, currency, member) if equity.losses else {}
        for account, part in sorted(set_off(amount, owed).items()):
            postings.append(data.Posting(account, Amount(-part, currency), None, None, None,
                                         posting_meta(redemption.source,
                                                      **{"coop-kind": "set-off"})))
            equity.add_loss(date, member, account, currency, -part)
            derived.use(account, date, redemption.source)
            amount -= part
        if not amount:
            continue
        postings.append(data.Posting(chart.payable(member), Amount(-amount, currency), None,
                                     None, None, posting_meta(redemption.source)))
        derived.use(chart.payable(member), date, redemption.source)
        tax = withheld.get(member)
        if tax:
            # As from a cash part: the member's payable is debited, the tax owed until remitted.
            postings.append(data.Posting(chart.payable(member), Amount(tax, currency), None,
                                         None, None, posting_meta(redemption.source, **{
                                             "coop-kind": WITHHELD})))
            postings.append(data.Posting(chart.tax_withheld(), Amount(-tax, currency), None,
                                         None, None, posting_meta(redemption.source, **{
                                             "coop-kind": WITHHELD, "coop-member": member})))
            derived.use(chart.tax_withheld(), date, redemption.source)
    label = ", ".join(fiscal_label(y) for y in years)
    who = records.members[redemption.member].name if redemption.member else None
    extra: dict[str, Any] = {"coop-budget": redemption.amount}
    narration = f"Redemption of retained patronage equity: {label}"
    if redemption.instalment:
        extra["coop-instalment"] = redemption.instalment
        narration = f"Payout on leaving, instalment {redemption.instalment}: {label}"
    meta = generated_meta(redemption.source, "equity-redemption", **extra)
    return data.Transaction(meta, date, "*", who, narration, data.EMPTY_SET, data.EMPTY_SET,
                            postings)


#: Posting metadata of a cash part: the day it was paid in full, and each payment.
CASH_PAID = "coop-paid"
CASH_PAYMENTS = "coop-payments"


def payments_text(payments: Iterable[tuple[datetime.date, Decimal]]) -> str:
    """`coop-payments` metadata: "2026-03-20 60.00, 2027-01-05 40.00"."""
    return ", ".join(f"{day} {amount}" for day, amount in payments)


def parse_payments(text: str) -> list[tuple[datetime.date, Decimal]]:
    """The payments in `coop-payments` metadata (see payments_text)."""
    found = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        day, amount = part.split()
        found.append((datetime.date.fromisoformat(day), Decimal(amount)))
    return found


def pay_cash_parts(derived: Derived, figures: PatronageFigures, chart: MemberChart,
                   others: Iterable[data.Directive], as_of: datetime.date) -> None:
    """Follow each member's payable, first in, first out (core/payable.py), to the day each
    cash part is paid; write it on the cash posting (`coop-paid:`, `coop-payments:`) and
    report, at the decision, a cash part not paid within the payment period (from the first
    day of the fiscal year to the rules' deadline) unless the decision says `late: TRUE`.

    `figures.payable_postings` are the user's payable postings (the plugin's one pass);
    `others` the entries the plugin derived, whose payable postings count too (the cash
    credits themselves come from `derived.cash_parts`)."""
    if not derived.cash_parts:
        return
    members = {part.member for part in derived.cash_parts}
    movements: dict[tuple[str, str], list[tuple[datetime.date, Decimal, Credit | None]]] = (
        defaultdict(list))
    for date, member, currency, number in figures.payable_postings:
        if member in members:
            movements[(member, currency)].append((date, number, None))
    cash_metas = {id(part.meta) for part in derived.cash_parts}
    for entry in others:
        if type(entry) is not data.Transaction:
            continue
        for posting in entry.postings:
            if id(posting.meta) in cash_metas:
                continue
            member = chart.member_key(posting.account)
            if (member in members
                    and chart.figure_account(posting.account) == chart.payable(member)):
                units = posting.units
                movements[(member, units.currency)].append((entry.date, units.number, None))
    for part in derived.cash_parts:
        movements[(part.member, part.currency)].append(
            (part.credit.date, -part.credit.amount, part.credit))
    for moves in movements.values():
        follow(moves)
    late: dict[int, list[str]] = defaultdict(list)
    for part in derived.cash_parts:
        credit = part.credit
        if credit.payments:
            part.meta[CASH_PAYMENTS] = payments_text(credit.payments)
        if credit.paid is not None:
            part.meta[CASH_PAID] = credit.paid
        decision = part.decision
        last = payment_deadline(figures.calendar, decision.fiscal_year, figures.rules)
        if last is None or decision.late or (last >= as_of and credit.paid is None):
            continue  # no deadline, late on purpose, or the period is still running
        if credit.paid_by(last) < credit.amount:
            when = (f"paid only on {credit.paid}" if credit.paid is not None else
                    f"{credit.paid_by(last)} of it paid by then" if credit.paid_by(last)
                    else "not paid")
            late[id(decision)].append(f"{part.member} {credit.amount} {part.currency} ({when})")
    for part in derived.cash_parts:
        found = late.pop(id(part.decision), None)
        if not found:
            continue
        decision = part.decision
        last = payment_deadline(figures.calendar, decision.fiscal_year, figures.rules)
        derived.errors.append(CoopError(decision.source, (
            f"the cash parts of pool {decision.pool!r} for {fiscal_label(decision.fiscal_year)} "
            f"must be paid from the members' payables within the payment period, "
            f"{figures.calendar.start(decision.fiscal_year)} to {last} "
            f"({figures.rules.deadline_text}): {'; '.join(found)}; a cash part is paid when "
            f"money leaves the member's payable (first in, first out): book the payment "
            f"(debit {chart.payable(part.member)}, credit the bank) by {last}, or, if the "
            "board pays it after the period on purpose, add late: TRUE to this decision (the "
            "reports then mark it as outside the payment period)"), None))
