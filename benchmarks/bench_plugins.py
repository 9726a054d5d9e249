"""How much do the co-op plugins cost `bean-check`? A benchmark, not a test.

It writes two books that load to the same entries:

* the *plugin books* (A): what a co-op writes by hand, with
  `plugin "coop_beancount.plugins.coop"` deriving the member accounts' opens, every
  dues charge, the redemption of a leaver's shares, and each member's part of the
  shared expenses (`split:`, a third of the transactions by default); with
  `--patronage monthly`, the per-unit retains, the patronage allocations and the
  redemptions of retained equity;
* the *hand-written books* (B): the same text without the plugin line, with
  everything the plugin derived in A printed out as ordinary directives, and each
  split transaction replaced by the transaction as the plugin left it.

Then it checks that both load without errors to the same balances, runs `bean-check`
on A and B alternately (`--repeat` times each, cache off) and reports the plugin's
overhead, `(A - B) / B` of the wall time. It also times the plugin function alone on
the entries it receives inside the loader (parsed and booked).

    .venv/bin/python benchmarks/bench_plugins.py --members 1000 --transactions 100000 \\
        --repeat 3 --seed 1 --max-overhead 10

A developers' co-op billing clients for its members' work (issue 19: 200 members, 50
clients, five years of weekly timesheets, about 50,000 `coop-work` records, and monthly
invoices and payroll; target 10%):

    .venv/bin/python benchmarks/bench_plugins.py --members 200 --clients 50 --years 5 \\
        --founders 1 --leave-rate 0 --split-share 0.05 --transactions 40000 \\
        --repeat 3 --seed 1 --max-overhead 10

Patronage dividends (issue 4: 2,000 members, ~240,000 monthly records over 10 years, a
decision and a redemption every year; target 15%):

    .venv/bin/python benchmarks/bench_plugins.py --members 2000 --years 10 --founders 1 \\
        --leave-rate 0.02 --patronage monthly --split-share 0.1 --transactions 600000 \\
        --repeat 3 --seed 1 --max-overhead 15

`--transactions` counts every transaction of the loaded books, the derived ones
included: A writes fewer (the plugin adds the dues charges, redemptions, retains and
allocations), B writes them all. See benchmarks/README.md.

The books are made by one generator per feature (FEATURES below), each with its own
random stream, so a feature added later does not change what the others write. The
last one, ordinary co-op transactions, fills up to `--transactions`.
"""

from __future__ import annotations

import argparse
import bisect
import cProfile
import datetime
import gc
import io
import itertools
import os
import platform
import pstats
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

# Cache off for this process's own loads too: no pickle files beside the books.
os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"


from beancount import loader
from beancount.core import data
from beancount.core.amount import Amount
from beancount.parser import booking, parser, printer
from beancount.parser.version import VERSION as BEANCOUNT_VERSION
from common import (  # benchmarks/common.py, beside this script
    BenchmarkError,
    progress,
    run_benchmark,
    run_check,
    timed_check,
)

from coop_beancount.core.dues import dues_charges
from coop_beancount.core.invoicing import cents, fee_and_earnings
from coop_beancount.core.patronage import allocate_pool, percent, redeem
from coop_beancount.core.periods import add_months
from coop_beancount.core.records import DuesSchedule, Member
from coop_beancount.core.splits import KeyVersion, SplitKeys, parse_rule, split_amount

PLUGIN_MODULE = "coop_beancount.plugins.coop"
GENERATED = "coop-generated"  # the metadata key on every entry the plugin derives
CURRENCY = "USD"
ZERO = Decimal(0)
DAY = datetime.timedelta(days=1)

# The mix. Rates are per member or fractions of --transactions.
FOUNDERS = 0.15  # members who join on the first day of the books
LEAVE_RATE = 0.25  # members who leave before the end of the books
KEEP_SHARES_RATE = 0.2  # leavers with `redeem-shares: FALSE` (they are repaid by hand)
SHARE_CLASS = "Member"
PAR = Decimal("100.00")
MONTHLY_DUES = Decimal("15.00")
BUILDING_FUND = Decimal("40.00")
DUES_CADENCE = ((1, 0.2), (3, 0.5), (12, 0.3))  # months between a member's dues payments
MISSED_PAYMENT = 0.03  # a due payment that is skipped (paid with the next one)
PURCHASES = 0.12  # member purchases on account, as a fraction of --transactions
REIMBURSEMENTS = 0.02  # expenses a member paid for the co-op, as a fraction
SPLIT_SHARE = 0.333  # shared expenses (`split:`), as a fraction of --transactions
SPLIT_MEMBERS = (3, 50)  # members sharing one cost
SPLIT_OUT_OF_POCKET = 0.1  # shared expenses a member paid (credit their payable)
RECOVERY_ACCOUNT = "Income:Members:SharedCosts"  # the plugin's default recovery account
SPLIT_EXPENSES = ("Expenses:Shared:Milk", "Expenses:Shared:Cultures", "Expenses:Shared:Jars",
                  "Expenses:Shared:Health-Plan", "Expenses:Shared:Legal",
                  "Expenses:Shared:Storage", "Expenses:Shared:Tools")
#: The rule of a split, and how often: groups named on the posting, or a named key.
SPLIT_RULES = (("equal", 0.18), ("weights", 0.15), ("percent", 0.15), ("usage", 0.15),
               ("fixed", 0.12), ("key", 0.25))
#: The named keys (`coop-split-key`): name, rule; each has a second version halfway.
SPLIT_KEYS = (("health-plan", "weights"), ("storage", "percent"), ("kitchen", "equal"),
              ("workshop", "usage"))
#: Plugin-only metadata on the postings a split adds; B does not write it.
SPLIT_META = ("coop-split", "coop-basis", "coop-units", "coop-unit")

# Patronage dividends (--patronage): a consumer co-op allocating its margin on members'
# purchases, with producer members whose deliveries carry a per-unit retain.
PATRONAGE = ("none", "monthly")  # --patronage: no patronage, or a record per member-month
PURCHASES_MEASURE = "purchases"  # monthly coop-patronage records; the allocations' measure
DELIVERIES_MEASURE = "crates"  # producer members' deliveries, with a per-unit retain
PATRONAGE_SALES = "Income:Patronage:Sales"
PATRONAGE_STOCK = "Expenses:Patronage:Stock"
PATRONAGE_PRODUCE = "Expenses:Patronage:Member-Produce"
NON_PATRONAGE_INCOME = "Income:NonPatronage:Interest"
MARGIN_ROOTS = "Income:Patronage Expenses:Patronage"  # `margin:` names the roots
COST_SHARE = Decimal("0.80")  # the cost of what the members buy: the margin is 20% of sales
SPENDING = (30, 80, 150, 300)  # a member's usual month of purchases (USD), +-50%
RETAIN_SHARE = 0.1  # members who also deliver produce, under a per-unit retain
CRATES = (5, 60)  # crates a producer delivers in a month
CRATE_PRICE = Decimal("8.00")
RETAIN_RATES = (Decimal("0.50"), Decimal("0.60"))  # per crate: from the start, from halfway
RESERVE_SHARE = Decimal("0.10")
CASH_SHARE = Decimal("0.30")  # qualified notices: at least 20% in cash
NON_QUALIFIED_CASH_SHARE = Decimal("0.10")
NON_QUALIFIED_EVERY = 4  # every fourth fiscal year's notices are non-qualified
REDEMPTION_SHARE = Decimal("0.35")  # a year's redemption budget, of the equity outstanding
CENT = Decimal("0.01")

# Client work (--clients): each member works for one client, a timesheet a week at their
# rate; every client is invoiced at each month end; the month's wages are what the
# invoices earned the members (the co-op keeps FEE).
FEE = Decimal("0.12")
RATES = (85, 160)  # a member's rate per hour (USD)
QUARTER_HOURS = (48, 160)  # a week's timesheet, in quarters of an hour
WAGES_ACCOUNT = "Expenses:Payroll:Wages"

FIRST = ("Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Gus", "Hana", "Ivan", "Jo", "Kemal",
         "Lena", "Mo", "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sami", "Tess", "Uma", "Vik",
         "Wren", "Xia", "Yusuf", "Zoe")
LAST = ("Abbott", "Baker", "Chen", "Diallo", "Evans", "Fischer", "Garcia", "Haddad", "Ito",
        "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "O'Neill", "Petrov", "Quispe",
        "Rossi", "Singh", "Tanaka", "Urban", "Varga", "Weber", "Xu", "Yilmaz", "Zhou")
SUPPLIERS = ("Valley Dairy", "Green Acres Farm", "Northside Wholesale", "Bulk Grains Ltd",
             "City Bakery", "Orchard Cooperative", "Eco Packaging")

COOP_ACCOUNTS = (
    "Assets:Bank:Checking", "Assets:Cash",
    "Income:Members:Dues", "Income:Members:Building-Fund",
    "Income:Sales:Members", "Income:Sales:Public",
    "Expenses:Stock", "Expenses:Supplies", "Expenses:Rent", "Expenses:Utilities",
    "Expenses:Wages", "Expenses:Bank-Fees",
    "Equity:Opening-Balances",
)




# --------------------------------------------------------------------------------------
# Generation


@dataclass
class MemberPlan:
    key: str
    name: str
    joined: datetime.date
    left: datetime.date | None
    redeem: bool
    shares: int
    last: datetime.date  # last day they can have postings in the books: left or the end
    paid_shares: Decimal = ZERO

    @property
    def active_days(self) -> int:
        return (self.last - self.joined).days + 1

    def receivable(self) -> str:
        return f"Assets:Members:{self.key}:Receivable"

    def dues(self) -> str:
        return f"Assets:Members:{self.key}:Dues"

    def payable(self) -> str:
        return f"Liabilities:Members:{self.key}:Payable"

    def shares_account(self) -> str:
        return f"Equity:Members:{self.key}:Shares:{SHARE_CLASS}"


@dataclass
class Book:
    """The plugin books being generated: dated text items and what they count for."""

    members_wanted: int
    transactions_wanted: int
    start: datetime.date
    end: datetime.date  # also the plugin's as_of
    seed: int
    split_share: float = SPLIT_SHARE
    founders: float = FOUNDERS
    leave_rate: float = LEAVE_RATE
    patronage: str = "none"
    retain_share: float = RETAIN_SHARE
    clients: int = 0
    members: list[MemberPlan] = field(default_factory=list)
    items: list[tuple[datetime.date, int, int, str]] = field(default_factory=list)
    written: Counter = field(default_factory=Counter)  # transactions A writes, per kind
    derived: Counter = field(default_factory=Counter)  # transactions the plugin will add
    directives: Counter = field(default_factory=Counter)  # other directives A writes

    @property
    def transactions(self) -> int:
        return sum(self.written.values()) + sum(self.derived.values())

    def directive(self, day: datetime.date, kind: str, text: str) -> None:
        self.items.append((day, 0, len(self.items), f"{day} {text}"))
        self.directives[kind] += 1

    def transaction(self, day: datetime.date, kind: str, payee: str, narration: str,
                    postings: Iterable[tuple[str, Decimal | None]],
                    split: tuple[int, str] | None = None,
                    members: dict[int, str] | None = None) -> None:
        """A transaction; `split` = (index of a posting, rule) puts `split:` under it, and
        `members` (index of a posting -> member key) puts `member:` under those."""
        lines = [f'{day} * "{payee}" "{narration}"']
        for index, (account, number) in enumerate(postings):
            if number is None:  # left for Beancount to interpolate
                lines.append(f"  {account}")
            else:
                lines.append(f"  {account:<44} {number:>10.2f} {CURRENCY}")
            if members and index in members:
                lines.append(f'    member: "{members[index]}"')
            if split is not None and split[0] == index:
                lines.append(f'    split: "{split[1]}"')
        self.items.append((day, 1, len(self.items), "\n".join(lines)))
        self.written[kind] += 1

    def text(self) -> str:
        config = {"as_of": self.end.isoformat()}
        header = [
            f"; Benchmark books from benchmarks/bench_plugins.py: seed {self.seed}, "
            f"{self.members_wanted} members, {self.transactions_wanted} transactions "
            "(derived ones included).",
            'option "title" "Benchmark co-op"',
            f'option "operating_currency" "{CURRENCY}"',
            f'plugin "{PLUGIN_MODULE}" "{config}"',
            "",
        ]
        body = [text for _, _, _, text in sorted(self.items)]
        return "\n".join(header) + "\n" + "\n\n".join(body) + "\n"


def money(rng: random.Random, low: int, high: int) -> Decimal:
    """A random amount between low and high (whole units), in cents."""
    return Decimal(rng.randrange(low * 100, high * 100 + 1)).scaleb(-2)


def random_day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randrange((last - first).days + 1))


def gen_coop_accounts(book: Book, rng: random.Random) -> None:
    """The co-op's own accounts (the plugin opens only member accounts) and opening cash."""
    for account in COOP_ACCOUNTS:
        book.directive(book.start, "open", f"open {account} {CURRENCY}")
    book.transaction(book.start, "opening balance", "Opening balance", "Cash at the bank", [
        ("Assets:Bank:Checking", Decimal("50000.00")), ("Equity:Opening-Balances", None)])


def gen_members(book: Book, rng: random.Random) -> None:
    """Members joining over the years, their share subscriptions and instalments, leaves.

    A leaver's paid-in shares are redeemed by the plugin into their payable (derived),
    then paid out by hand some weeks later; one in five leavers keeps
    `redeem-shares: FALSE` and is repaid by hand on the leave date.
    """
    book.directive(book.start, "share class",
                   f'custom "coop-share-class" "{SHARE_CLASS}" {PAR} {CURRENCY}')
    count = book.members_wanted
    founders = min(count, max(1, round(count * book.founders)))
    latest_join = (book.end - book.start).days - 90
    joins = [book.start] * founders + [
        book.start + datetime.timedelta(days=rng.randrange(latest_join))
        for _ in range(count - founders)]
    joins.sort()
    width = max(4, len(str(count)))
    for number, joined in enumerate(joins, 1):
        key = f"M{number:0{width}d}"
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        left = None
        if rng.random() < book.leave_rate:
            earliest, latest = joined + datetime.timedelta(days=90), book.end - 30 * DAY
            if earliest <= latest:
                left = random_day(rng, earliest, latest)
        member = MemberPlan(key, name, joined, left, rng.random() >= KEEP_SHARES_RATE,
                            2 if rng.random() < 0.2 else 1, left or book.end)
        book.members.append(member)
        book.directive(joined, "member", f'custom "coop-member" "{key}" "{name}"')
        # Consent to qualified notices (IRC 1388(c)), signed with the application.
        book.directive(joined, "consent", f'custom "coop-consent" "{key}" "written"')
        book.directive(joined, "subscription",
                       f'custom "coop-subscription" "{key}" "{SHARE_CLASS}" {member.shares}')

        instalments = rng.choice((1, 2, 4, 4))
        part = PAR * member.shares / instalments
        for index in range(instalments):
            day = joined + datetime.timedelta(days=30 * index + (rng.randrange(5) if index else 0))
            if day > member.last:
                break
            book.transaction(day, "share instalment", name,
                             f"Share instalment {index + 1}/{instalments}",
                             [("Assets:Bank:Checking", part), (member.shares_account(), -part)])
            member.paid_shares += part

        if left is None:
            continue
        leave = f'custom "coop-leave" "{key}"'
        if not member.redeem:
            leave += "\n  redeem-shares: FALSE"
        book.directive(left, "leave", leave)
        if not member.paid_shares:
            continue
        if member.redeem:
            book.derived["redemption"] += 1
            payout = left + datetime.timedelta(days=rng.randrange(14, 61))
            if payout <= book.end:
                book.transaction(payout, "share payout", name, "Share capital paid out", [
                    (member.payable(), member.paid_shares), ("Assets:Bank:Checking", None)])
        else:
            book.transaction(left, "share payout", name, "Share capital repaid on leaving", [
                (member.shares_account(), member.paid_shares), ("Assets:Bank:Checking", None)])


def gen_dues(book: Book, rng: random.Random) -> None:
    """Two dues schedules (monthly prorated, yearly fixed) and the members' payments.

    The plugin derives the charges; the payments are written, every 1, 3 or 12 months
    per member, and a leaver pays what is left on their leave date so they leave clean.
    The charges are computed with the plugin's own rules (coop_beancount.core.dues).
    """
    fund_until = datetime.date(book.end.year - 1, 12, 31)
    schedules = [DuesSchedule(
        name="Monthly dues", start=book.start, amount=MONTHLY_DUES, currency=CURRENCY,
        frequency="monthly", source={}, share_class=SHARE_CLASS, prorate=True)]
    book.directive(book.start, "dues schedule", (
        f'custom "coop-dues" "Monthly dues" {MONTHLY_DUES} {CURRENCY} "monthly"\n'
        f'  share-class: "{SHARE_CLASS}"\n  prorate: TRUE'))
    if fund_until > book.start:
        schedules.append(DuesSchedule(
            name="Building fund", start=book.start, amount=BUILDING_FUND, currency=CURRENCY,
            frequency="yearly", source={}, until=fund_until,
            income_account="Income:Members:Building-Fund"))
        book.directive(book.start, "dues schedule", (
            f'custom "coop-dues" "Building fund" {BUILDING_FUND} {CURRENCY} "yearly"\n'
            f"  until: {fund_until}\n  account: Income:Members:Building-Fund"))

    members = [Member(key=m.key, name=m.name, joined=m.joined, source={}, left=m.left)
               for m in book.members]
    since = {(m.key, SHARE_CLASS): m.joined for m in book.members}
    charges: dict[str, list[tuple[datetime.date, Decimal]]] = defaultdict(list)
    for schedule in schedules:
        for charge in dues_charges(schedule, members, since, book.end):
            charges[charge.member].append((charge.date, charge.amount))
            book.derived["dues charge"] += 1

    cadences, weights = zip(*DUES_CADENCE, strict=True)
    for member in book.members:
        owed = sorted(charges.get(member.key, ()))
        every = rng.choices(cadences, weights)[0]
        paid_up_to = 0  # charges owed[:paid_up_to] are paid
        days = []
        step = 1
        while True:
            day = add_months(member.joined, every * step) + rng.randrange(10) * DAY
            if day > member.last:
                break
            days.append(day)
            step += 1
        if member.left is not None:
            days.append(member.left)
        for index, day in enumerate(days):
            final = member.left is not None and index == len(days) - 1
            if not final and rng.random() < MISSED_PAYMENT:
                continue
            upto = paid_up_to
            while upto < len(owed) and owed[upto][0] <= day:
                upto += 1
            total = sum((amount for _, amount in owed[paid_up_to:upto]), ZERO)
            paid_up_to = upto
            if total:
                book.transaction(day, "dues payment", member.name, "Dues", [
                    ("Assets:Bank:Checking", total), (member.dues(), -total)])


def gen_hours(book: Book, rng: random.Random) -> None:
    """coop-hours records: a shift every three to twelve weeks per member."""
    shifts = ("production shift", "store shift", "delivery run", "cleaning", "board meeting")
    for member in book.members:
        day = member.joined + rng.randrange(7, 60) * DAY
        while day <= member.last:
            hours = rng.choice(("1.5", "2", "2.5", "3", "4"))
            book.directive(day, "hours",
                           f'custom "coop-hours" "{member.key}" {hours} "{rng.choice(shifts)}"')
            day += rng.randrange(20, 85) * DAY


def gen_member_trading(book: Book, rng: random.Random) -> None:
    """Members buy on account (their receivable) and settle it every quarter.

    A leaver settles everything on the leave date. Shared expenses are charged to the
    same receivables, so with `--split-share` S the purchases are scaled by 1 - S
    (12% of the transactions without splits, 8% with a third split): otherwise the
    member transactions alone are more than 100,000 at 1,000 members.
    """
    wanted = round(book.transactions_wanted * PURCHASES * (1 - book.split_share))
    if not book.members or wanted <= 0:
        return
    weights = [m.active_days for m in book.members]
    purchases: dict[str, list[tuple[datetime.date, Decimal]]] = defaultdict(list)
    for member in rng.choices(book.members, weights, k=wanted):
        day = random_day(rng, member.joined, member.last)
        amount = money(rng, 5, 150)
        purchases[member.key].append((day, amount))
        book.transaction(day, "member purchase", member.name, "Groceries on account", [
            (member.receivable(), amount), ("Income:Sales:Members", None)])
    for member in book.members:
        bought = sorted(purchases.get(member.key, ()))
        if not bought:
            continue
        days = []
        step = 1
        while (day := add_months(member.joined, 3 * step)) <= member.last:
            days.append(day)
            step += 1
        if member.left is not None:
            days.append(member.left)
        settled = 0
        for day in days:
            upto = settled
            while upto < len(bought) and bought[upto][0] <= day:
                upto += 1
            total = sum((amount for _, amount in bought[settled:upto]), ZERO)
            settled = upto
            if total:
                book.transaction(day, "member settlement", member.name, "Account settled", [
                    ("Assets:Bank:Checking", total), (member.receivable(), -total)])


def gen_reimbursements(book: Book, rng: random.Random) -> None:
    """A member pays a co-op expense (credit their payable); the co-op pays them back."""
    wanted = round(book.transactions_wanted * REIMBURSEMENTS / 2)
    if not book.members or wanted <= 0:
        return
    weights = [m.active_days for m in book.members]
    for member in rng.choices(book.members, weights, k=wanted):
        day = random_day(rng, member.joined, member.last)
        amount = money(rng, 3, 80)
        book.transaction(day, "reimbursable expense", member.name, "Cleaning supplies", [
            ("Expenses:Supplies", amount), (member.payable(), -amount)])
        payout = day + rng.randrange(3, 31) * DAY  # after leaving is allowed for the payable
        if payout <= book.end:
            book.transaction(payout, "reimbursement", member.name, "Reimbursement", [
                (member.payable(), amount), ("Assets:Bank:Checking", None)])


def _active_members(book: Book, rng: random.Random, day: datetime.date,
                    count: int) -> list[MemberPlan]:
    """Up to `count` distinct members active on `day`, at random."""
    members = book.members
    chosen: dict[str, MemberPlan] = {}
    for _ in range(count * 20):
        member = members[rng.randrange(len(members))]
        if member.joined <= day <= member.last:
            chosen[member.key] = member
            if len(chosen) == count:
                return list(chosen.values())
    active = [m for m in members if m.joined <= day <= m.last]
    return rng.sample(active, min(count, len(active)))


def _rule_list(rng: random.Random, kind: str, members: list[MemberPlan]) -> str:
    """The list part of a rule of `kind` over `members`: "Ana 1, Ben 2"."""
    keys = [m.key for m in members]
    if kind == "equal":
        return ", ".join(keys)
    if kind == "weights":
        numbers = [rng.choice(("1", "1", "1", "2", "3", "0.5", "1.5")) for _ in keys]
    elif kind == "usage":
        numbers = [str(rng.randrange(1, 7)) for _ in keys]
    else:  # percent, to two places, adding up to exactly 100
        cuts = [0, *sorted(rng.sample(range(1, 10000), len(keys) - 1)), 10000]
        numbers = [str(Decimal(b - a).scaleb(-2)) for a, b in itertools.pairwise(cuts)]
    return ", ".join(f"{key} {number}" for key, number in zip(keys, numbers, strict=True))


def _rule(rng: random.Random, kind: str, members: list[MemberPlan]) -> str:
    head = "usage quarts" if kind == "usage" else kind
    return f"{head}: {_rule_list(rng, kind, members)}"


def gen_splits(book: Book, rng: random.Random) -> None:
    """Shared expenses: `split:` on the expense posting, a third of all transactions.

    Each cost is shared by 3 to 50 members active that day, by every kind of rule:
    `equal: <group>`, `weights:`, `percent:` (adding up to 100), `usage quarts:`,
    `fixed: X 12.34; rest: <rule or key>`, and named keys declared with
    `coop-split-key` (weights, percent, an equal group, usage), each with a second
    version halfway through the books. Keys name only members who never leave and who
    joined before the version's date, so everyone in a key is active whenever it is in
    force. Plain `equal` (every active member, hundreds of them) is not used: the
    issue asks for 3 to 50 members per cost. One cost in ten is paid by a member out
    of pocket (credit their payable), and repaid less their own part on the 10th of
    the next month (one transaction a month for all of them). The plugin adds the
    members' parts and the recovery credit to each transaction; a leaver's parts are
    settled on the leave date (computed with the plugin's own rules,
    coop_beancount.core.splits), so they leave clean.
    """
    wanted = round(book.transactions_wanted * book.split_share)
    if not book.members or wanted <= 0:
        return
    for account in (*SPLIT_EXPENSES, RECOVERY_ACCOUNT):
        book.directive(book.start, "open", f"open {account} {CURRENCY}")

    low, high = SPLIT_MEMBERS
    halfway = book.start + (book.end - book.start) / 2
    split_keys = SplitKeys()
    keys: list[tuple[str, list[datetime.date]]] = []  # name, versions' dates
    for name, kind in SPLIT_KEYS:
        dates = []
        for since in (book.start, halfway):
            eligible = [m for m in book.members if m.joined <= since and m.left is None]
            if len(eligible) < low:
                continue
            rule = _rule(rng, kind, rng.sample(eligible, min(len(eligible),
                                                               rng.randint(low, high - 10))))
            book.directive(since, "split key", f'custom "coop-split-key" "{name}" "{rule}"')
            split_keys.add(KeyVersion(name, since, parse_rule(rule), {}))
            dates.append(since)
        if dates:
            keys.append((name, dates))

    plans = {m.key: m for m in book.members}
    members = {m.key: Member(key=m.key, name=m.name, joined=m.joined, source={}, left=m.left)
               for m in book.members}
    kinds, weights = zip(*SPLIT_RULES, strict=True)
    owed: dict[str, Decimal] = defaultdict(Decimal)  # leavers' parts, settled on leaving
    # Out-of-pocket costs to repay, by month and member.
    repay: dict[datetime.date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for number in range(1, wanted + 1):
        day = random_day(rng, book.start, book.end)
        kind = rng.choices(kinds, weights)[0]
        usable = [name for name, dates in keys if dates[0] <= day]
        if kind == "key" and not usable:
            kind = "weights"
        if kind == "key":
            rule = rng.choice(usable)
        elif kind == "fixed":
            fixed = _active_members(book, rng, day, rng.choice((1, 1, 2)))
            rest_kind = rng.choice(("equal", "weights", "key") if usable else ("equal", "weights"))
            if rest_kind == "key":
                rest = rng.choice(usable)
            else:
                rest = _rule(rng, rest_kind, _active_members(
                    book, rng, day, rng.randint(low, high - len(fixed))))
            amounts = ", ".join(f"{m.key} {money(rng, 1, 15)}" for m in fixed)
            rule = f"fixed: {amounts}; rest: {rest}"
        else:
            group = _active_members(book, rng, day, rng.randint(low, high))
            if len(group) < low:
                continue  # too few members that day (tiny books)
            rule = _rule(rng, kind, group)
        account = rng.choice(SPLIT_EXPENSES)
        amount = money(rng, 40, 600)
        payee = rng.choice(SUPPLIERS)
        narration = f"{account.rsplit(':', 1)[1]}, invoice {number}"  # unique: see seed below
        payer = None
        if rng.random() < SPLIT_OUT_OF_POCKET:
            payer = _active_members(book, rng, day, 1)[0]
        credit = payer.payable() if payer is not None else "Assets:Bank:Checking"
        book.transaction(day, "shared expense", payee, narration,
                         [(account, amount), (credit, None)], split=(0, rule))

        parsed = parse_rule(rule)
        # The plugin's seed for this posting (its first occurrence: narrations are unique).
        seed = f"{day}|{payee}|{narration}|{account}|{Amount(amount, CURRENCY)}|1"
        if payer is not None:
            # The co-op pays the member back what it owes them, the cost less their own
            # part, with the month's others (no draw from `rng`: the other costs stay the
            # same). Without it the credit would stay unpaid, and the payable's first in,
            # first out would make it what the member's later dividend cash payments pay.
            parts, _ = split_amount(parsed, amount, CURRENCY, day, members, split_keys, seed)
            back = amount - sum((p.amount for p in parts if p.member == payer.key), ZERO)
            repay[day.replace(day=1)][payer.key] += back
        if isinstance(parsed, str):
            continue  # a key names no leaver
        if parsed.kind != "fixed" and all(plans[k].left is None for k, _ in parsed.items):
            continue
        parts, _ = split_amount(parsed, amount, CURRENCY, day, members, split_keys, seed)
        for part in parts:
            if plans[part.member].left is not None and part.member != getattr(payer, "key", None):
                owed[part.member] += part.amount
    for month, owed_to in sorted(repay.items()):
        payday = add_months(month, 1) + 9 * DAY
        if payday <= book.end:
            book.transaction(payday, "out-of-pocket repaid", "Members",
                             "Costs paid out of pocket, repaid", [
                                 *((plans[key].payable(), total)
                                   for key, total in sorted(owed_to.items()) if total),
                                 ("Assets:Bank:Checking", None)])
    for key, total in sorted(owed.items()):
        if total:
            member = plans[key]
            book.transaction(member.left, "shared costs settlement", member.name,
                             "Shared costs settled on leaving", [
                                 ("Assets:Bank:Checking", total), (member.receivable(), -total)])


def _month_ends(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The last day of every month from `first`'s to `last`, up to `last`."""
    days = []
    month = first.replace(day=1)
    while (end := add_months(month, 1) - DAY) <= last:
        days.append(end)
        month = add_months(month, 1)
    return days


def gen_patronage(book: Book, rng: random.Random) -> None:
    """Patronage dividends (`--patronage monthly`): a consumer co-op's dividends on purchases.

    Every member active on a month's last day has a `coop-patronage` record of their
    purchases that month (`purchases`, in USD); with `--retain-share` R, a fraction R of
    the members also deliver produce (`crates`, a per-unit retain of 0.50 USD a crate,
    0.60 from halfway). The month's sales to members are booked to
    `Income:Patronage:Sales`, their cost (80% of the sales, member produce included) to
    `Expenses:Patronage:*`, so each fiscal year's patronage margin is 20% of the sales;
    a year's bank interest is non-patronage income. The producers are paid for their
    crates at once, all but the retain, which is credited to their payable (the plugin
    moves it to `Retains:FY<year>`).

    The board's decision for each fiscal year (`coop-allocation`, reserve 10%, 30% cash
    and qualified notices, every fourth year 10% cash and non-qualified) is paid on March
    15 of the next year; from the second year on, a `coop-redemption` on June 30 pays back
    35% of the retained equity then outstanding (oldest year first, the last year reached
    pro rata). The cash parts and the redeemed equity are paid out of the members'
    payables by hand (one transaction for all members). Those amounts are computed with
    the plugin's own rules (`coop_beancount.core.patronage`), so payables net out.
    """
    if book.patronage == "none" or not book.members:
        return
    for account in (PATRONAGE_SALES, PATRONAGE_STOCK, PATRONAGE_PRODUCE, NON_PATRONAGE_INCOME):
        book.directive(book.start, "open", f"open {account} {CURRENCY}")
    book.directive(book.start, "measure", f'custom "coop-measure" "{PURCHASES_MEASURE}"')
    producers = {m.key for m in book.members if rng.random() < book.retain_share}
    halfway = datetime.date(book.start.year + (book.end.year - book.start.year + 1) // 2, 1, 1)
    rates = [(book.start, RETAIN_RATES[0])]
    if book.start < halfway <= book.end:
        rates.append((halfway, RETAIN_RATES[1]))
    if producers:
        book.directive(book.start, "measure", f'custom "coop-measure" "{DELIVERIES_MEASURE}"')
        for since, rate in rates:
            book.directive(since, "per-unit retain",
                           f'custom "coop-retain" "{DELIVERIES_MEASURE}" {rate} {CURRENCY}')
    spending = {m.key: rng.choice(SPENDING) for m in book.members}

    # Retained equity as the plugin sees it: (date, fiscal year, member, account, credit).
    equity: list[tuple[datetime.date, int, str, str, Decimal]] = []
    patronage: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    margin: dict[int, Decimal] = defaultdict(Decimal)
    for day in _month_ends(book.start, book.end):
        year = day.year  # fiscal years end on 12-31 (the plugin's default)
        rate = next(rate for since, rate in reversed(rates) if since <= day)
        sales = produce = withheld = ZERO
        retained: list[tuple[str, Decimal | None]] = []
        for member in book.members:
            if not member.joined <= day <= member.last:
                continue  # patronage only while a member
            usual = spending[member.key]
            bought = money(rng, usual // 2, usual * 3 // 2)
            book.directive(day, "patronage record", (
                f'custom "coop-patronage" "{member.key}" "{PURCHASES_MEASURE}" {bought}'))
            patronage[year][member.key] += bought
            sales += bought
            if member.key not in producers:
                continue
            crates = rng.randint(*CRATES)
            book.directive(day, "patronage record", (
                f'custom "coop-patronage" "{member.key}" "{DELIVERIES_MEASURE}" {crates}'))
            retain = (crates * rate).quantize(CENT)
            produce += crates * CRATE_PRICE
            withheld += retain
            retained.append((member.payable(), -retain))
            account = f"Equity:Members:{member.key}:Retains:FY{year}"
            equity.append((day, year, member.key, account, retain))
            book.derived["per-unit retain"] += 1
        if not sales:
            continue
        book.transaction(day, "patronage sales", "Members", "Sales to members", [
            ("Assets:Bank:Checking", sales), (PATRONAGE_SALES, -sales)])
        stock = (sales * COST_SHARE - produce).quantize(CENT)
        if stock > 0:
            book.transaction(day, "patronage costs", rng.choice(SUPPLIERS), "Stock", [
                (PATRONAGE_STOCK, stock), ("Assets:Bank:Checking", None)])
        else:
            stock = ZERO
        if produce:
            book.transaction(day, "member produce", "Producer members",
                             "Produce delivered, paid less the per-unit retain", [
                                 (PATRONAGE_PRODUCE, produce), *retained,
                                 ("Assets:Bank:Checking", -(produce - withheld))])
        margin[year] += sales - stock - produce

    non_patronage: dict[int, Decimal] = {}
    for year in range(book.start.year, book.end.year + 1):
        day = datetime.date(year, 12, 15)
        if book.start <= day <= book.end:
            interest = non_patronage[year] = money(rng, 500, 3000)
            book.transaction(day, "interest", "Bank", "Interest", [
                ("Assets:Bank:Checking", interest), (NON_PATRONAGE_INCOME, -interest)])

    for year in sorted(patronage):
        decided, paid = datetime.date(year + 1, 3, 1), datetime.date(year + 1, 3, 15)
        if paid > book.end or margin[year] <= 0:
            continue  # paid after the books end (the plugin would skip it), or no margin
        qualified = (year - book.start.year) % NON_QUALIFIED_EVERY != NON_QUALIFIED_EVERY - 1
        cash = CASH_SHARE if qualified else NON_QUALIFIED_CASH_SHARE
        text = (f'custom "coop-allocation" {year} "patronage"\n'
                f'  margin: "{MARGIN_ROOTS}"\n'
                f'  non-patronage: "{NON_PATRONAGE_INCOME.rsplit(":", 1)[0]}"\n'
                f'  measure: "{PURCHASES_MEASURE}"\n'
                f'  reserve: "{percent(RESERVE_SHARE)}"\n'
                f'  cash: "{percent(cash)}"\n')
        if not qualified:
            text += "  qualified: FALSE\n"
        book.directive(decided, "allocation decision", text + f"  paid: {paid}")
        book.derived["allocation"] += 1
        result = allocate_pool(margin[year], RESERVE_SHARE, cash, patronage[year])
        for dividend in result.dividends:
            if dividend.retained:
                account = f"Equity:Members:{dividend.member}:Allocated:FY{year}"
                account += "" if qualified else ":NonQualified"
                equity.append((paid, year, dividend.member, account, dividend.retained))
        payout = [(f"Liabilities:Members:{d.member}:Payable", d.cash)
                  for d in result.dividends if d.cash]
        if payout:
            book.transaction(paid, "patronage cash payout", "Members",
                             f"Patronage dividend FY{year}, cash part",
                             [*payout, ("Assets:Bank:Checking", None)])

    for year in range(book.start.year + 1, book.end.year + 1):
        day = datetime.date(year, 6, 30)
        if day > book.end:
            break
        balances: dict[tuple[int, str, str], Decimal] = defaultdict(Decimal)
        for when, fiscal, key, account, credit in equity:
            if when <= day:
                balances[(fiscal, key, account)] += credit
        outstanding = {k: v for k, v in balances.items() if v}
        budget = (sum(outstanding.values(), ZERO) * REDEMPTION_SHARE).quantize(
            Decimal(1), rounding=ROUND_FLOOR)
        if budget <= 0:
            continue
        book.directive(day, "redemption", f"custom \"coop-redemption\" {budget:.2f} {CURRENCY}")
        book.derived["equity redemption"] += 1
        repaid: dict[str, Decimal] = defaultdict(Decimal)
        for (fiscal, key, account), amount in redeem(budget, outstanding).items():
            equity.append((day, fiscal, key, account, -amount))
            repaid[key] += amount
        payday = day + 15 * DAY
        if payday <= book.end:
            book.transaction(payday, "redemption payout", "Members",
                             "Retained patronage equity redeemed, paid out", [
                                 *((f"Liabilities:Members:{key}:Payable", amount)
                                   for key, amount in sorted(repaid.items())),
                                 ("Assets:Bank:Checking", None)])


def gen_client_work(book: Book, rng: random.Random) -> None:
    """Clients, members' rates, weekly coop-work, monthly coop-invoice and payroll: the
    wages exactly what the invoices earned (core/invoicing.py's rule, which the plugin
    checks them against)."""
    if not book.clients:
        return
    clients = [f"C{n:03d}" for n in range(1, book.clients + 1)]
    book.directive(book.start, "open", f"open {WAGES_ACCOUNT} {CURRENCY}")
    book.directive(book.start, "fee", f'custom "coop-fee" "{percent(FEE)}"')
    for client in clients:
        book.directive(book.start, "client", f'custom "coop-client" "{client}" "Client {client}"')
    ends = _month_ends(book.start, book.end)
    # (month end, client) -> member -> hours; the rate of each member
    invoices: dict[tuple[datetime.date, str], dict[str, Decimal]] = defaultdict(
        lambda: defaultdict(Decimal))
    rates: dict[str, Decimal] = {}
    for member in book.members:
        client = rng.choice(clients)
        rates[member.key] = rate = Decimal(rng.randrange(*RATES))
        book.directive(member.joined, "rate",
                       f'custom "coop-rate" "{member.key}" "{client}" {rate:.2f} {CURRENCY}')
        day = member.joined + rng.randrange(7) * DAY
        while day <= min(member.last, ends[-1]):
            worked = Decimal(rng.randrange(*QUARTER_HOURS)) / 4
            book.directive(day, "work",
                           f'custom "coop-work" "{member.key}" "{client}" {worked} "week"')
            invoices[(ends[bisect.bisect_left(ends, day)], client)][member.key] += worked
            day += 7 * DAY
    earned: dict[datetime.date, dict[str, Decimal]] = defaultdict(dict)
    for number, (month_end, client) in enumerate(sorted(invoices), 1):
        book.directive(month_end, "invoice", f'custom "coop-invoice" "{client}" {number}')
        book.derived["invoice"] += 1
        for key, hours in invoices[(month_end, client)].items():
            _, wage = fee_and_earnings(cents(hours * rates[key]), FEE)
            earned[month_end][key] = earned[month_end].get(key, ZERO) + wage
    for month_end, wages in sorted(earned.items()):
        keys = sorted(wages)
        book.transaction(month_end, "payroll", "Payroll", "Wages: what the invoices earned",
                         [*((WAGES_ACCOUNT, wages[k]) for k in keys),
                          ("Assets:Bank:Checking", None)],
                         members=dict(enumerate(keys)))


def gen_ordinary(book: Book, rng: random.Random) -> None:
    """Co-op transactions with no member account, up to --transactions in all."""
    wanted = book.transactions_wanted - book.transactions
    if wanted < 0:
        raise BenchmarkError(
            f"{book.members_wanted} members make {book.transactions} transactions by "
            f"themselves, more than --transactions {book.transactions_wanted}; ask for more "
            "transactions or fewer members")
    month = book.start.replace(day=1)
    while wanted >= 2 and month <= book.end:
        book.transaction(month, "rent", "Landlord", "Rent", [
            ("Expenses:Rent", Decimal("2400.00")), ("Assets:Bank:Checking", None)])
        book.transaction(month + 14 * DAY, "utilities", "City Utilities", "Power and water", [
            ("Expenses:Utilities", money(rng, 300, 700)), ("Assets:Bank:Checking", None)])
        wanted -= 2
        month = add_months(month, 1)
    for _ in range(wanted):
        day = random_day(rng, book.start, book.end)
        roll = rng.random()
        if roll < 0.35:
            book.transaction(day, "public sale", "Walk-in customer", "Cash sale", [
                ("Assets:Cash", money(rng, 2, 90)), ("Income:Sales:Public", None)])
        elif roll < 0.55:
            amount = money(rng, 2, 120)
            fee = (amount * Decimal("0.02")).quantize(Decimal("0.01"))
            book.transaction(day, "public sale", "Walk-in customer", "Card sale", [
                ("Assets:Bank:Checking", amount - fee), ("Expenses:Bank-Fees", fee),
                ("Income:Sales:Public", -amount)])
        elif roll < 0.80:
            book.transaction(day, "stock purchase", rng.choice(SUPPLIERS), "Stock", [
                ("Expenses:Stock", money(rng, 40, 900)), ("Assets:Bank:Checking", None)])
        elif roll < 0.90:
            book.transaction(day, "supplies", "Hardware store", "Supplies", [
                ("Expenses:Supplies", money(rng, 5, 200)), ("Assets:Bank:Checking", None)])
        elif roll < 0.95:
            book.transaction(day, "wages", "Payroll", "Store coordinator wages", [
                ("Expenses:Wages", money(rng, 800, 1600)), ("Assets:Bank:Checking", None)])
        else:
            book.transaction(day, "cash deposit", "Bank", "Cash deposited", [
                ("Assets:Bank:Checking", money(rng, 100, 1500)), ("Assets:Cash", None)])


#: One generator per feature, run in this order; each gets its own random stream.
#: The last one fills up to --transactions. Add a feature by adding its generator before
#: "ordinary".
FEATURES: list[tuple[str, Callable[[Book, random.Random], None]]] = [
    ("co-op accounts", gen_coop_accounts),
    ("members and shares", gen_members),
    ("dues", gen_dues),
    ("hours", gen_hours),
    ("member trading", gen_member_trading),
    ("reimbursements", gen_reimbursements),
    ("shared expenses", gen_splits),
    ("patronage", gen_patronage),
    ("client work", gen_client_work),
    ("ordinary", gen_ordinary),
]


def generate(args: argparse.Namespace) -> Book:
    end = datetime.date.fromisoformat(args.as_of)
    book = Book(
        members_wanted=args.members, transactions_wanted=args.transactions,
        start=datetime.date(end.year - args.years + 1, 1, 1), end=end, seed=args.seed,
        split_share=args.split_share, founders=args.founders, leave_rate=args.leave_rate,
        patronage=args.patronage, retain_share=args.retain_share, clients=args.clients)
    for name, feature in FEATURES:
        progress(f"generating: {name}")
        feature(book, random.Random(f"{args.seed}:{name}"))
    return book


# --------------------------------------------------------------------------------------
# The hand-written books and the sanity checks


def load(path: Path, label: str) -> tuple[list[data.Directive], dict[str, Any]]:
    entries, errors, options = loader.load_file(str(path))
    if errors:
        shown = "\n".join(
            f"{(e.source or {}).get('filename', '?')}:{(e.source or {}).get('lineno', 0)}: "
            f"{e.message}" for e in errors[:5])
        raise BenchmarkError(f"{label} ({path}) loads with {len(errors)} error(s):\n{shown}")
    return entries, options


def without_plugin_lines(text: str) -> str:
    return "".join(
        f"; {line}" if line.startswith(f'plugin "{PLUGIN_MODULE.split(".")[0]}.') else line
        for line in text.splitlines(keepends=True))


def plain_meta(meta: dict[str, Any] | None) -> dict[str, Any]:
    meta = meta or {}
    return data.new_metadata(meta.get("filename", "<coop>"), meta.get("lineno", 0))


def split_written_out(entry: data.Transaction) -> data.Transaction:
    """A split transaction as the plugin left it, as someone would write it by hand.

    Every posting is kept (the written ones, the members' parts, the recovery
    credit), with its amount (an interpolated one is written out); the metadata is
    not: `split:` would mean nothing without the plugin, and the plugin's own
    (coop-split, coop-basis, coop-units, coop-unit) nobody would write.
    """
    postings = []
    for posting in entry.postings:
        meta = {k: v for k, v in (posting.meta or {}).items()
                if k not in SPLIT_META and k != "split" and not k.startswith("__")}
        postings.append(posting._replace(meta=meta or None))
    return entry._replace(meta=plain_meta(entry.meta), postings=postings)


def derived_written_out(entry: data.Directive) -> data.Directive:
    """A derived entry as someone would write it by hand: none of the plugin's metadata.

    Not on the entry (coop-generated, coop-year, coop-margin, ...) and not on the
    postings (the allocations' and redemptions' coop-kind, coop-patronage,
    coop-allocation, coop-year).
    """
    entry = entry._replace(meta=plain_meta(entry.meta))
    if isinstance(entry, data.Transaction) and any(p.meta for p in entry.postings):
        postings = []
        for posting in entry.postings:
            meta = {k: v for k, v in (posting.meta or {}).items()
                    if not k.startswith(("coop-", "__"))}
            postings.append(posting._replace(meta=meta or None))
        entry = entry._replace(postings=postings)
    return entry


def is_split(entry: data.Directive) -> bool:
    return isinstance(entry, data.Transaction) and any(
        p.meta and "coop-split" in p.meta for p in entry.postings)


def hand_written(text_a: str, derived: list[data.Directive], splits: list[data.Transaction],
                 options: dict[str, Any]) -> str:
    """A's text without the plugin line, the split transactions written out, plus the
    derived entries printed as directives.

    Each split transaction's text in A (from its line to the blank line that ends it)
    is replaced by the transaction as the plugin left it, printed with
    `beancount.parser.printer` (see split_written_out); everything else in A is
    copied as it is. The derived entries are printed without the plugin's own
    metadata (coop-generated, coop-schedule, coop-period, the patronage figures; see
    derived_written_out): someone writing them by hand would not write it, and it would
    make B slower to parse than it needs to be.
    """
    dcontext = options["dcontext"]
    replaced = {e.meta["lineno"]: e for e in splits}
    lines = without_plugin_lines(text_a).splitlines(keepends=True)
    out = io.StringIO()
    index = 0
    while index < len(lines):
        entry = replaced.pop(index + 1, None)
        if entry is None:
            out.write(lines[index])
            index += 1
            continue
        out.write(printer.format_entry(split_written_out(entry), dcontext))
        while index < len(lines) and lines[index].strip():
            index += 1
    if replaced:
        raise BenchmarkError(f"{len(replaced)} split transaction(s) not found in A's text")
    out.write("\n; Everything the coop plugin derives in the plugin books, written out.\n\n")
    for entry in derived:
        out.write(printer.format_entry(derived_written_out(entry), dcontext))
        out.write("\n")
    return out.getvalue()


def balances(entries: Iterable[data.Directive]) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                totals[posting.account, posting.units.currency] += posting.units.number
    return dict(totals)


def summary(entries: list[data.Directive]) -> dict[str, Any]:
    return {
        "balances": balances(entries),
        "opened": {e.account for e in entries if isinstance(e, data.Open)},
        "transactions": sum(1 for e in entries if isinstance(e, data.Transaction)),
        "split_transactions": sum(1 for e in entries if isinstance(e, data.Transaction) and any(
            p.meta and ("split" in p.meta or "coop-split" in p.meta) for p in e.postings)),
    }


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    problems = []
    if a["transactions"] != b["transactions"]:
        problems.append(f"transactions: A has {a['transactions']}, B {b['transactions']}")
    if a["opened"] != b["opened"]:
        problems.append(f"opened accounts differ: only in A {sorted(a['opened'] - b['opened'])[:5]}"
                        f", only in B {sorted(b['opened'] - a['opened'])[:5]}")
    keys = a["balances"].keys() | b["balances"].keys()
    for key in sorted(keys):
        left, right = a["balances"].get(key, ZERO), b["balances"].get(key, ZERO)
        if left != right:
            problems.append(f"balance of {key[0]} in {key[1]}: A {left}, B {right}")
    return problems


# --------------------------------------------------------------------------------------
# Timing


def plugin_input(path: Path) -> tuple[list[data.Directive], dict[str, Any], str | None]:
    """What the loader hands the plugin: A parsed, sorted and booked; and its config."""
    entries, errors, options = parser.parse_file(str(path))
    if errors:
        raise BenchmarkError(f"{path} does not parse: {errors[0].message}")
    entries.sort(key=data.entry_sortkey)
    entries, errors = booking.book(entries, options)
    if errors:
        raise BenchmarkError(f"{path} does not book: {errors[0].message}")
    config = next((c for name, c in options["plugin"] if name == PLUGIN_MODULE), None)
    return entries, options, config


def time_plugin(path: Path, repeat: int, profile_rows: int) -> dict[str, Any]:
    from coop_beancount.plugins.coop import coop

    entries, options, config = plugin_input(path)
    calls, sorts = [], []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        new_entries, errors = coop(entries, options, config)
        calls.append(time.perf_counter() - started)
        if errors:
            raise BenchmarkError(f"the plugin reports {len(errors)} error(s) on A, the first: "
                                 f"{errors[0].message}")
        started = time.perf_counter()
        new_entries.sort(key=data.entry_sortkey)  # what the loader does after every plugin
        sorts.append(time.perf_counter() - started)
    result = {"entries_in": len(entries), "entries_out": len(new_entries),
              "call_s": calls, "resort_s": sorts, "profile": None}
    if profile_rows:
        profiler = cProfile.Profile()
        profiler.enable()
        coop(entries, options, config)
        profiler.disable()
        report = io.StringIO()
        stats = pstats.Stats(profiler, stream=report).strip_dirs()
        stats.sort_stats("tottime").print_stats(profile_rows)
        stats.sort_stats("cumulative").print_stats(profile_rows)
        result["profile"] = report.getvalue()
    return result


PHASES = (
    ("parse", "parse"),
    ("booking", "booking"),
    ("coop plugin + re-sort", PLUGIN_MODULE),
    ("all plugins (run_transformations)", "run_transformations"),
    ("validation", "beancount.ops.validate"),
    ("loader total", "beancount.loader (total)"),
)


def time_checks(bean_check: Path, paths: dict[str, Path], repeat: int,
                warmup: int) -> dict[str, dict[str, Any]]:
    env = dict(os.environ, BEANCOUNT_DISABLE_LOAD_CACHE="1")
    runs: dict[str, dict[str, Any]] = {
        side: {"wall_s": [], "cpu_s": [], "load": [], "phases_ms": []} for side in paths}
    for index in range(warmup):
        for side, path in paths.items():
            progress(f"bean-check warm-up {index + 1}/{warmup}: {side}")
            run_check(bean_check, path, env)
    sides = list(paths)
    for index in range(repeat):
        # Alternate, and swap the order every round so drift hits both sides alike.
        for side in sides if index % 2 == 0 else sides[::-1]:
            progress(f"bean-check run {index + 1}/{repeat}: {side}")
            run = timed_check(bean_check, paths[side], env)
            runs[side]["wall_s"].append(run.wall_s)
            runs[side]["cpu_s"].append(run.cpu_s)
            runs[side]["load"].append(run.load)
            runs[side]["phases_ms"].append(run.phases_ms)
            progress(f"  {run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU, load {run.load:.1f}")
    return runs


# --------------------------------------------------------------------------------------
# Report


def overhead(a: float, b: float) -> float:
    return (a - b) / b * 100


def patronage_lines(patronage: dict[str, Any] | None) -> list[str]:
    if not patronage:
        return []
    derived, postings = patronage["derived"], patronage["derived_postings"]
    measures = ", ".join(f"{n:,} {m}" for m, n in sorted(patronage["records_by_measure"].items()))
    return [
        f"Patronage: {patronage['records']:,} coop-patronage records ({measures}), "
        f"{patronage['decisions']} coop-allocation and {patronage['redemptions']} "
        f"coop-redemption directives; derived: {derived['allocation']} allocations "
        f"({postings['allocation']:,} postings), {derived['equity-redemption']} redemptions "
        f"({postings['equity-redemption']:,} postings), {derived['retain']:,} per-unit retains.",
    ]


def report(figures: dict[str, Any]) -> str:
    a, b = figures["bean_check"]["A"], figures["bean_check"]["B"]
    books = figures["books"]
    lines = [
        f"Books: {books['members']:,} members, {books['transactions']:,} transactions "
        f"({books['written_transactions_a']:,} written in A, {books['derived_transactions']:,} "
        f"derived by the plugin), {books['derived_opens']:,} derived opens, "
        f"{books['other_directives_a']:,} other directives; A {books['size_a_bytes'] / 1e6:.1f} "
        f"MB, B {books['size_b_bytes'] / 1e6:.1f} MB.",
        f"Member transactions: {books['member_share']:.0%} of all transactions touch a member "
        "account.",
        f"Shared expenses: {books['split_transactions']:,} split transactions "
        f"({books['split_transactions'] / max(1, books['transactions']):.1%} of all), "
        f"{books['split_postings_added']:,} postings added by the plugin (members' parts and "
        "recovery credits).",
        *patronage_lines(books.get("patronage")),
        "",
        f"bean-check, {figures['repeat']} runs each, alternating "
        "(A = plugin books, B = hand-written books):",
        "",
        f"{'':<36}{'A':>10}{'B':>10}{'A - B':>10}{'overhead':>10}",
    ]
    for label, key in (("wall time, median (s)", "median_s"), ("wall time, min (s)", "min_s"),
                       ("CPU time (user+sys), median (s)", "cpu_median_s"),
                       ("CPU time (user+sys), min (s)", "cpu_min_s")):
        lines.append(f"{label:<36}{a[key]:>10.3f}{b[key]:>10.3f}{a[key] - b[key]:>+10.3f}"
                     f"{overhead(a[key], b[key]):>+9.1f}%")
    loads = a["load"] + b["load"]
    lines.append(f"{'load average (1 min) at each start':<36}{min(loads):>10.1f} to "
                 f"{max(loads):.1f} ({os.cpu_count()} CPUs)")
    lines.append("loader phases, median (ms):")
    for label, _ in PHASES:
        pa, pb = a["phases_median_ms"].get(label), b["phases_median_ms"].get(label)
        show = [f"{v:>10.0f}" if v is not None else f"{'-':>10}" for v in (pa, pb)]
        diff = f"{(pa or 0) - (pb or 0):>+10.0f}"
        lines.append(f"  {label:<34}{show[0]}{show[1]}{diff}")
    plugin = figures["plugin_call"]
    lines += [
        "",
        f"coop plugin function alone, on A's {plugin['entries_in']:,} parsed and booked entries "
        f"({figures['repeat']} calls): median {plugin['call_median_ms']:.0f} ms, "
        f"min {plugin['call_min_ms']:.0f} ms; the loader's re-sort of its "
        f"{plugin['entries_out']:,} entries: median {plugin['resort_median_ms']:.0f} ms.",
        "",
        f"Plugin overhead on bean-check wall time: {figures['overhead_median_pct']:+.1f}% "
        f"(medians), {figures['overhead_min_pct']:+.1f}% (mins); on its CPU time: "
        f"{figures['overhead_cpu_median_pct']:+.1f}% (medians), "
        f"{figures['overhead_cpu_min_pct']:+.1f}% (mins), under a load average of "
        f"{min(loads):.1f} to {max(loads):.1f}.",
    ]
    limit = figures.get("max_overhead_pct")
    if limit is not None:
        verdict = "within" if figures["overhead_median_pct"] <= limit else "ABOVE"
        lines.append(f"Limit {limit}%: {verdict}.")
    return "\n".join(lines)


def side_figures(runs: dict[str, Any]) -> dict[str, Any]:
    walls = runs["wall_s"]
    phases_median = {}
    for label, key in PHASES:
        values = [p[key] for p in runs["phases_ms"] if key in p]
        if values:
            phases_median[label] = statistics.median(values)
    cpus = runs["cpu_s"]
    return {"wall_s": walls, "median_s": statistics.median(walls), "min_s": min(walls),
            "cpu_s": cpus, "cpu_median_s": statistics.median(cpus), "cpu_min_s": min(cpus),
            "load": runs["load"], "phases_ms": runs["phases_ms"],
            "phases_median_ms": phases_median}


def patronage_summary(entries: list[data.Directive],
                      derived: list[data.Directive]) -> dict[str, Any] | None:
    """What patronage the books hold: the records, and what the plugin derived from them."""
    records = Counter(e.values[1].value for e in entries if isinstance(e, data.Custom)
                      and e.type == "coop-patronage" and len(e.values) > 1)
    if not records:
        return None
    kinds = ("retain", "allocation", "equity-redemption")
    txns = {kind: [e for e in derived if isinstance(e, data.Transaction)
                   and e.meta[GENERATED] == kind] for kind in kinds}
    return {
        "records": sum(records.values()),
        "records_by_measure": dict(records),
        "decisions": sum(1 for e in entries if isinstance(e, data.Custom)
                         and e.type == "coop-allocation"),
        "redemptions": sum(1 for e in entries if isinstance(e, data.Custom)
                           and e.type == "coop-redemption"),
        "derived": {kind: len(found) for kind, found in txns.items()},
        "derived_postings": {kind: sum(len(e.postings) for e in found)
                             for kind, found in txns.items()},
    }


def member_share(entries: list[data.Directive]) -> float:
    roots = ("Assets:Members:", "Liabilities:Members:", "Equity:Members:")
    total = touching = 0
    for entry in entries:
        if isinstance(entry, data.Transaction):
            total += 1
            touching += any(p.account.startswith(roots) for p in entry.postings)
    return touching / total if total else 0.0


# --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Benchmark bean-check on books using the coop plugin (A) against the same "
        "books with everything the plugin derives written out by hand (B).")
    ap.add_argument("--members", type=int, default=1000, help="members (default 1000)")
    ap.add_argument("--transactions", type=int, default=100_000,
                    help="transactions in the loaded books, derived ones included "
                    "(default 100000)")
    ap.add_argument("--years", type=int, default=5,
                    help="years the books span, ending on --as-of (default 5)")
    ap.add_argument("--as-of", default="2030-12-31",
                    help="the plugin's as_of and the last day of the books (default 2030-12-31)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="bean-check runs per side, and plugin calls (default 3)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="untimed bean-check runs per side first (default 1)")
    ap.add_argument("--split-share", type=float, default=SPLIT_SHARE, metavar="FRACTION",
                    help="fraction of --transactions that are shared expenses with split: "
                    f"(default {SPLIT_SHARE}; 0 disables)")
    ap.add_argument("--founders", type=float, default=FOUNDERS, metavar="FRACTION",
                    help=f"fraction of the members who join on the first day (default {FOUNDERS})")
    ap.add_argument("--leave-rate", type=float, default=LEAVE_RATE, metavar="FRACTION",
                    help=f"fraction of the members who leave (default {LEAVE_RATE})")
    ap.add_argument("--patronage", choices=PATRONAGE, default="none",
                    help="patronage dividends: none (default), or a coop-patronage record per "
                    "active member and month, a decision per fiscal year and a redemption per "
                    "year")
    ap.add_argument("--retain-share", type=float, default=RETAIN_SHARE, metavar="FRACTION",
                    help="with --patronage, fraction of the members who also deliver produce "
                    f"under a per-unit retain (default {RETAIN_SHARE}; 0 disables)")
    ap.add_argument("--clients", type=int, default=0,
                    help="client work: clients, each member working for one with a timesheet "
                    "a week, every client invoiced each month, monthly payroll (default 0: "
                    "none)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="write the books into DIR and keep them (default: a temporary directory)")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE")
    ap.add_argument("--max-overhead", type=float, metavar="PCT",
                    help="exit 1 when the median overhead is above PCT percent")
    ap.add_argument("--profile", type=int, default=0, metavar="ROWS",
                    help="cProfile one plugin call and print the top ROWS functions")
    args = ap.parse_args(argv)
    if args.members < 1 or args.transactions < 1 or args.repeat < 1 or args.warmup < 0:
        ap.error("--members, --transactions and --repeat must be at least 1, --warmup at least 0")
    if args.years < 1:
        ap.error("--years must be at least 1")
    if not 0 <= args.split_share < 1:
        ap.error("--split-share must be at least 0 and below 1")
    for name in ("founders", "leave_rate", "retain_share"):
        if not 0 <= getattr(args, name) <= 1:
            ap.error(f"--{name.replace('_', '-')} must be from 0 to 1")
    try:
        datetime.date.fromisoformat(args.as_of)
    except ValueError:
        ap.error(f"--as-of must be a date YYYY-MM-DD, not {args.as_of!r}")
    return args


def run(args: argparse.Namespace, workdir: Path, command: list[str]) -> dict[str, Any]:
    bean_check = Path(sys.executable).parent / "bean-check"
    if not bean_check.exists():
        raise BenchmarkError(f"no bean-check next to {sys.executable}")

    book = generate(args)
    path_a, path_b = workdir / "plugin-books.beancount", workdir / "hand-written-books.beancount"
    progress(f"writing {path_a}")
    text_a = book.text()
    path_a.write_text(text_a)
    written, derived_count = sum(book.written.values()), sum(book.derived.values())
    other_directives = sum(book.directives.values())
    del book

    progress("loading A (with the plugin)")
    entries, options = load(path_a, "the plugin books (A)")
    derived = [e for e in entries if GENERATED in (e.meta or {})]
    splits = [e for e in entries if is_split(e)]
    split_postings = sum(1 for e in splits for p in e.postings if p.meta and "coop-split" in p.meta)
    summary_a = summary(entries)
    share = member_share(entries)
    patronage = patronage_summary(entries, derived)
    del entries
    progress(f"writing {path_b} ({len(derived):,} derived entries printed, {len(splits):,} split "
             "transactions written out)")
    text_b = hand_written(text_a, derived, splits, options)
    path_b.write_text(text_b)
    derived_txns = sum(1 for e in derived if isinstance(e, data.Transaction))
    derived_kinds = dict(Counter(e.meta[GENERATED] for e in derived))
    derived_opens = sum(1 for e in derived if isinstance(e, data.Open))
    del derived, splits, text_a, text_b, options
    gc.collect()

    progress("loading B (no plugin)")
    entries, _ = load(path_b, "the hand-written books (B)")
    summary_b = summary(entries)
    del entries
    gc.collect()
    problems = compare(summary_a, summary_b)
    if problems:
        raise BenchmarkError("A and B do not load to the same books:\n  "
                             + "\n  ".join(problems[:20]))
    progress(f"A and B load without errors to the same {len(summary_a['balances']):,} "
             "account balances")
    if summary_a["transactions"] != args.transactions:
        progress(f"note: the books hold {summary_a['transactions']:,} transactions, not "
                 f"{args.transactions:,} (the plugin derived {derived_txns:,}, the generator "
                 f"expected {derived_count:,})")

    progress(f"timing the plugin function alone ({args.repeat} calls)")
    plugin = time_plugin(path_a, args.repeat, args.profile)
    gc.collect()

    runs = time_checks(bean_check, {"A": path_a, "B": path_b}, args.repeat, args.warmup)
    a, b = side_figures(runs["A"]), side_figures(runs["B"])

    return {
        "command": command,
        "python": platform.python_version(),
        "beancount": BEANCOUNT_VERSION,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "seed": args.seed,
        "repeat": args.repeat,
        "warmup": args.warmup,
        "books": {
            "members": args.members,
            "years": args.years,
            "as_of": args.as_of,
            "transactions": summary_a["transactions"],
            "written_transactions_a": written,
            "derived_transactions": derived_txns,
            "derived_opens": derived_opens,
            "split_share": args.split_share,
            "split_transactions": summary_a["split_transactions"],
            "split_postings_added": split_postings,
            "other_directives_a": other_directives,
            "member_share": share,
            "derived_kinds": derived_kinds,
            "founders": args.founders,
            "leave_rate": args.leave_rate,
            "patronage": patronage,
            "accounts": len(summary_a["opened"]),
            "size_a_bytes": path_a.stat().st_size,
            "size_b_bytes": path_b.stat().st_size,
            "path_a": str(path_a) if args.keep else None,
            "path_b": str(path_b) if args.keep else None,
        },
        "bean_check": {"A": a, "B": b},
        "overhead_median_pct": overhead(a["median_s"], b["median_s"]),
        "overhead_min_pct": overhead(a["min_s"], b["min_s"]),
        "overhead_cpu_median_pct": overhead(a["cpu_median_s"], b["cpu_median_s"]),
        "overhead_cpu_min_pct": overhead(a["cpu_min_s"], b["cpu_min_s"]),
        "max_overhead_pct": args.max_overhead,
        "plugin_call": {
            "entries_in": plugin["entries_in"],
            "entries_out": plugin["entries_out"],
            "call_s": plugin["call_s"],
            "call_median_ms": statistics.median(plugin["call_s"]) * 1000,
            "call_min_ms": min(plugin["call_s"]) * 1000,
            "resort_s": plugin["resort_s"],
            "resort_median_ms": statistics.median(plugin["resort_s"]) * 1000,
        },
        "profile": plugin["profile"],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures = run_benchmark("bench_plugins", args, argv, run, report, lambda figures: {
        "one coop plugin call": figures["profile"]})
    if figures is None:
        return 2
    limit = args.max_overhead
    return 1 if limit is not None and figures["overhead_median_pct"] > limit else 0


if __name__ == "__main__":
    sys.exit(main())
