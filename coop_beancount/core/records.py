"""The co-op's own records, as plain data.

Everything the plugin and the reports know about the co-op comes from
`custom "coop-..."` directives in the ledger (see docs/syntax.md). They are read
into these dataclasses once; the money rules in the other modules take and
return these, never Beancount entries, so they can be tested without a ledger.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from coop_beancount.core.consent import CheckCashed, ConsentRecord
from coop_beancount.core.site import OPEN_BOOKS
from coop_beancount.core.splits import SplitKeys

#: Where a record came from: a Beancount meta dict with `filename` and `lineno`.
Source = dict[str, Any]


@dataclass(frozen=True)
class Member:
    """A member: joined on `joined`, a member through `left` inclusive."""

    key: str
    name: str
    joined: datetime.date
    source: Source
    left: datetime.date | None = None
    left_source: Source | None = None
    redeem_shares_on_leaving: bool = True

    def is_active(self, date: datetime.date) -> bool:
        return self.joined <= date and (self.left is None or date <= self.left)

    @property
    def membership(self) -> str:
        """When they were a member, for messages: "joined 2025-01-05, left 2025-07-15"."""
        return f"joined {self.joined}" + (f", left {self.left}" if self.left else "")


@dataclass(frozen=True)
class ShareClass:
    """A class of member shares with a fixed par value (shares never appreciate)."""

    name: str
    par: Decimal
    currency: str
    date: datetime.date
    source: Source


@dataclass(frozen=True)
class Subscription:
    """A member's promise to buy `count` shares of a class, paid in one go or in instalments."""

    date: datetime.date
    member: str
    share_class: str
    count: Decimal
    source: Source


FREQUENCIES = ("weekly", "monthly", "quarterly", "yearly")


@dataclass(frozen=True)
class DuesSchedule:
    """Recurring dues: `amount` per period from `start` until `until` (inclusive)."""

    name: str
    start: datetime.date
    amount: Decimal
    currency: str
    frequency: str
    source: Source
    until: datetime.date | None = None
    #: Member keys the schedule applies to; None means every member.
    members: tuple[str, ...] | None = None
    #: Only members who subscribed to this share class; None means no such filter.
    share_class: str | None = None
    prorate: bool = False
    #: None: `<name_income>:Members:Dues`, under the ledger's own income root.
    income_account: str | None = None


@dataclass(frozen=True)
class DuesCharge:
    """One member's dues for one period, as the plugin books it."""

    date: datetime.date
    member: str
    amount: Decimal
    currency: str
    schedule: str
    period_start: datetime.date
    period_end: datetime.date
    income_account: str | None
    source: Source


@dataclass(frozen=True)
class WorkRecord:
    """Hours of work a member gave the co-op on a date (not money)."""

    date: datetime.date
    member: str
    hours: Decimal
    description: str
    source: Source
    #: The kind of work (`kind:` metadata), for measures that weight hours by kind.
    kind: str | None = None


@dataclass(frozen=True)
class RetailPrice:
    """What one unit (a quart) costs in a shop, from `date` on: the yardstick for savings."""

    unit: str
    date: datetime.date
    price: Decimal
    currency: str
    source: Source


@dataclass(frozen=True)
class Measure:
    """A patronage measure the bylaws name: dollars billed, barrels delivered, hours worked.

    With `account`, each posting to that account (or a sub-account) that names
    a member is that member's patronage; `coop-patronage` records add to it.
    With `hours`, every `coop-hours` line counts, its hours times the member's
    factor and the factor of its kind of work (1 for anyone or any kind not named).
    """

    name: str
    date: datetime.date
    source: Source
    account: str | None = None
    hours: bool = False
    #: (member key, factor) and (kind of work, factor): the weights of an hours measure.
    member_weights: tuple[tuple[str, Decimal], ...] = ()
    kind_weights: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class PatronageRecord:
    """A member's patronage on a date, in a measure (from a record or a transaction)."""

    date: datetime.date
    member: str
    measure: str
    quantity: Decimal
    source: Source
    description: str = ""


@dataclass(frozen=True)
class NonMemberBusiness:
    """Business in a measure done with non-members (a till's sales to no owner): the
    non-member part of the margin's base, never anyone's patronage."""

    date: datetime.date
    measure: str
    quantity: Decimal
    source: Source
    description: str = ""


@dataclass(frozen=True)
class AllocationDecision:
    """The board's decision to allocate one pool's margin for one fiscal year."""

    date: datetime.date
    fiscal_year: int
    pool: str
    measure: str
    margin_accounts: tuple[str, ...]
    reserve: Decimal  # a fraction: 0.10 for 10%
    cash: Decimal  # a fraction of each member's allocation
    #: The share of each member's retained part in qualified notices: 1 (TRUE), 0 (FALSE),
    #: or a fraction (`qualified: "50%"`): the rest is in non-qualified notices.
    qualified: Decimal
    paid: datetime.date
    source: Source
    non_patronage_accounts: tuple[str, ...] = ()
    #: A draft the board has not voted (`draft: TRUE`): `coop patronage --what-if` works it
    #: out, the plugin books nothing from it.
    draft: bool = False
    #: "charge": the year has a loss, charged to members' capital accounts by patronage
    #: (the reserve share to the collective account). None: a dividend.
    loss: str | None = None
    #: The day the written notices are issued (`issued:`); None: the payment date. The
    #: notices' dollar amounts must be disclosed within the payment period.
    issued: datetime.date | None = None
    #: The board pays the cash parts after the payment period on purpose (`late: TRUE`):
    #: no error, the reports mark the payment as outside the period.
    late: bool = False
    #: A section 521 farmers' co-op distributing its non-patronage earnings on a patronage
    #: basis (`distribution: "nonpatronage"`): Form 1099-PATR box 2, not box 1.
    nonpatronage: bool = False
    #: The section 199A(g) deduction a specified agricultural co-op passes through to the
    #: pool's members (`deduction-199a-g: 1200.00 USD`), split like the pool: box 6.
    deduction_199a_g: Decimal | None = None
    #: The cash parts are paid by qualified checks (`qualified-check: TRUE`): a member with
    #: no other consent consents by cashing theirs in time (core/consent.py).
    qualified_check: bool = False

    @property
    def issue_date(self) -> datetime.date:
        return self.issued or self.paid


@dataclass(frozen=True)
class PerUnitRetain:
    """A fixed amount per unit of a measure, withheld and credited to the member's equity."""

    measure: str
    date: datetime.date
    rate: Decimal
    currency: str
    source: Source
    #: Qualified per-unit retain certificates (TRUE, the default: box 3 of Form 1099-PATR
    #: when issued) or non-qualified ones (`qualified: FALSE`: box 5 when redeemed).
    qualified: bool = True


#: The reasons a member's payments are backup withheld, and the word that ends it.
BACKUP_REASONS = ("no-tin", "b-notice")
BACKUP_STOP = "stop"


@dataclass(frozen=True)
class BackupWithholding:
    """From `date`, the member's cash payments are backup withheld (`no-tin`: no taxpayer
    number given; `b-notice`: the IRS says the number is wrong), until a `stop` line."""

    date: datetime.date
    member: str
    reason: str
    source: Source

    @property
    def active(self) -> bool:
        return self.reason != BACKUP_STOP


@dataclass(frozen=True)
class EquityRedemption:
    """Cash the board budgets to pay back retained equity, oldest fiscal year first."""

    date: datetime.date
    amount: Decimal
    currency: str
    source: Source
    #: Only this member's equity (a leaver's, on the bylaws' schedule); None: everyone's.
    member: str | None = None
    #: For an instalment of a payout schedule: "2 of 5".
    instalment: str | None = None


@dataclass(frozen=True)
class InterestRate:
    """Interest on members' capital accounts, a rate per fiscal year from `date` (the first
    day of a fiscal year) until the next rate: "credited" to the capital account or "paid"
    into the member's payable."""

    date: datetime.date
    rate: Decimal
    way: str
    source: Source
    #: The expense account the interest is booked to; None: the default.
    account: str | None = None


@dataclass(frozen=True)
class PayoutSchedule:
    """A leaver's retained equity paid back in `count` instalments, one per period from `date`."""

    date: datetime.date
    member: str
    count: int
    frequency: str
    source: Source


@dataclass(frozen=True)
class Client:
    """A client the co-op invoices for its members' work, paid on `terms` days."""

    key: str
    name: str
    date: datetime.date
    source: Source
    terms: int = 30
    address: str = ""
    #: None: `<Assets>:Clients:<key>`.
    account: str | None = None


@dataclass(frozen=True)
class BillingRate:
    """A member's rate per hour for a client (and a project, if named), from `date` on."""

    date: datetime.date
    member: str
    client: str
    rate: Decimal
    currency: str
    source: Source
    project: str | None = None


@dataclass(frozen=True)
class BillableWork:
    """A member's work for a client: `hours` at their rate, or a fixed `amount`."""

    date: datetime.date
    member: str
    client: str
    source: Source
    hours: Decimal | None = None
    amount: Decimal | None = None
    currency: str | None = None
    description: str = ""
    project: str | None = None


@dataclass(frozen=True)
class FeeRule:
    """The co-op's fee on what it invoices, from `date` on; for one member or client, or all.

    The rule for all (no member, no client) also names where invoices and wages
    are booked and how many days the co-op has to pay what a member earned.
    """

    date: datetime.date
    share: Decimal  # a fraction: 0.12 for 12%
    source: Source
    member: str | None = None
    client: str | None = None
    billings_account: str | None = None
    wages_account: str | None = None
    pay_within: int | None = None
    #: The co-op's address, printed on its invoices.
    address: str | None = None


@dataclass(frozen=True)
class InvoiceDecision:
    """An invoice to a client for its members' work since the client's previous invoice."""

    date: datetime.date
    client: str
    number: int
    source: Source
    #: Days the client has to pay this invoice (`terms:`); None: the client's terms.
    terms: int | None = None


@dataclass
class CoopRecords:
    """Everything the `coop-*` directives of one ledger declare."""

    members: dict[str, Member] = field(default_factory=dict)
    share_classes: dict[str, ShareClass] = field(default_factory=dict)
    subscriptions: list[Subscription] = field(default_factory=list)
    dues_schedules: list[DuesSchedule] = field(default_factory=list)
    work: list[WorkRecord] = field(default_factory=list)
    retail_prices: list[RetailPrice] = field(default_factory=list)
    split_keys: SplitKeys = field(default_factory=SplitKeys)
    measures: dict[str, Measure] = field(default_factory=dict)
    patronage: list[PatronageRecord] = field(default_factory=list)
    non_member: list[NonMemberBusiness] = field(default_factory=list)
    decisions: list[AllocationDecision] = field(default_factory=list)
    retains: list[PerUnitRetain] = field(default_factory=list)
    redemptions: list[EquityRedemption] = field(default_factory=list)
    clients: dict[str, Client] = field(default_factory=dict)
    rates: list[BillingRate] = field(default_factory=list)
    billable: list[BillableWork] = field(default_factory=list)
    fees: list[FeeRule] = field(default_factory=list)
    invoices: list[InvoiceDecision] = field(default_factory=list)
    payouts: list[PayoutSchedule] = field(default_factory=list)
    #: Backup withholding markers (`coop-backup-withholding`), in date order.
    backup: list[BackupWithholding] = field(default_factory=list)
    interest_rates: list[InterestRate] = field(default_factory=list)
    #: Metadata keys the books declare private (`coop-private`), beside the defaults.
    private_keys: set[str] = field(default_factory=set)
    #: The members' site's policy (`coop-site`): "open books" or "own statement".
    site_policy: str = OPEN_BOOKS
    #: Each member's `coop-consent` lines, in date order (core/consent.py).
    consents: dict[str, list[ConsentRecord]] = field(default_factory=dict)
    #: `coop-check-cashed` lines: qualified checks cashed.
    checks_cashed: list[CheckCashed] = field(default_factory=list)

    def backup_reason(self, member: str, day: datetime.date) -> str | None:
        """Why `member`'s payments on `day` are backup withheld ("no-tin", "b-notice"), or
        None: the last marker on or before the day decides."""
        reason = None
        for marker in self.backup:
            if marker.member == member and marker.date <= day:
                reason = marker.reason if marker.active else None
        return reason

