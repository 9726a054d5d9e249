"""Money is conserved: property tests over generated co-op books.

A strategy writes the books of a whole co-op over two years: members joining and
leaving (some forfeiting their shares), share classes, subscriptions and instalments,
dues schedules (monthly to yearly, pro rata or not, for everyone or a few) and their
payments, charges and reimbursements, shared costs split every way (equal, a group,
weights, percent, usage, fixed amounts and the rest, a named key with versions over
time; refunds; costs a member paid out of pocket), patronage by records (hours, with
per-unit retains) and by billings (`member:` on postings), board decisions for each
fiscal year and pool, and redemptions of retained equity (a leaver's, then everyone's).

The books are valid by construction. Two things depend on the plugin's own figures: what
a leaver must clear on the leave date (their dues and receivable) and how much retained
equity is outstanding for a redemption budget. They are read from a first load of the
books without the settlements and redemptions, then written into the books, which are
loaded again: that load must have no errors at all.

After the plugin runs, the properties:

* every transaction balances exactly (posting weights per currency add up to 0);
* the members' capital (`reports.member_rows`) adds up to the balance of every
  Equity:Members account, and each member's paid-in shares are what was paid;
* every split: the members' parts add up to the cost and the recovery takes it all
  back, each part is within a cent of the member's exact share by the rule, and
  nobody outside the rule pays;
* every allocation (`patronage_reports.booked_pools`): the margin and patronage are
  those of the generated books, reserve + pool = margin, the members' allocations add
  up to the pool, each within a cent of its exact share, and cash + retained =
  allocation with the cash part at least the board's share;
* every redemption adds up to its budget, is paid into the payables, takes the oldest
  fiscal year first, and never takes more than is outstanding;
* a leaver's accounts are clear at the end of the leave date (but their payable and
  retained equity), and after it only their payable and retained equity change.

The "coop-large" profile (tests/conftest.py; benchmarks/bench_properties.py runs it)
makes more examples of bigger books.
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from beancount import loader
from beancount.core import convert, data
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from coop_beancount.books.directives import is_coop_directive, read_records
from coop_beancount.core.accounts import MemberChart
from coop_beancount.reports.members import member_rows
from coop_beancount.reports.patronage import booked_pools
from coop_beancount.reports.view import CoopBooks

START = datetime.date(2025, 1, 1)
END = datetime.date(2026, 12, 31)
AS_OF = datetime.date(2027, 12, 31)
#: The dates of the redemptions: after every allocation is paid.
REDEMPTIONS = (datetime.date(2027, 10, 1), datetime.date(2027, 11, 1))
CENT = Decimal("0.01")
CURRENCY = "USD"
RECOVERY = "Income:Members:SharedCosts"
CHART = MemberChart()

NAMES = [
    ("Ana", "Ana Souza"), ("Ben", "Ben Okafor"), ("Cy", "Cy Park"), ("Dee", "Dee Long"),
    ("Eli", "Eli Varga"), ("Fay", "Fay Moreau"), ("Gus", "Gus Lindqvist"), ("Hal", "Hal Brandt"),
    ("Ines", "Ines Costa"), ("Jo", "Jo Tanaka"), ("Kai", "Kai Mensah"), ("Lu", "Lu Chen"),
    ("Mo", "Mo Haddad"), ("Nia", "Nia Obi"), ("Oz", "Oz Kaplan"), ("Pia", "Pia Rossi"),
    ("Quin", "Quin Doyle"), ("Rae", "Rae Silva"), ("Sol", "Sol Ortega"), ("Tam", "Tam Nguyen"),
    ("M042", "Member forty-two"), ("Ann-Marie", "Ann-Marie Blake"),
]

HEADER = f"""\
option "operating_currency" "USD"
plugin "coop_beancount.plugins.coop" "{{'as_of': '{AS_OF}', 'fiscal_year_end': 'MM-DD'}}"

2025-01-01 open Assets:Bank USD,EUR
2025-01-01 open Income:Members:Dues USD
2025-01-01 open Income:Members:Levy USD
2025-01-01 open {RECOVERY} USD,EUR
2025-01-01 open Expenses:Supplies USD,EUR
2025-01-01 open Expenses:Rent USD,EUR
2025-01-01 open Expenses:Operations USD
2025-01-01 open Income:Sales USD
2025-01-01 open Income:NonPatronage:Interest USD
2025-01-01 open Income:Patronage:Billings USD
2025-01-01 open Equity:Coop:Unallocated USD
"""


@dataclass(frozen=True)
class Size:
    """How big the generated books get: at most this many of each."""

    members: int
    payments: int  # per member: share instalments, dues payments
    charges: int  # charges, reimbursements, payouts
    costs: int  # shared costs
    records: int  # patronage records or billings per member
    sales: int


SIZES = {"default": Size(members=8, payments=3, charges=8, costs=15, records=4, sales=5),
         "coop-large": Size(members=22, payments=4, charges=30, costs=60, records=8, sales=12)}
#: Examples per default run of each test (the profile decides under coop-large).
DEFAULT_EXAMPLES = 100


def profile() -> str:
    return "coop-large" if settings.get_current_profile_name() == "coop-large" else "default"


def examples() -> int:
    return settings.default.max_examples if profile() == "coop-large" else DEFAULT_EXAMPLES


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@dataclass
class Member:
    key: str
    name: str
    joined: datetime.date
    left: datetime.date | None = None
    forfeits: bool = False  # leaves with redeem-shares: FALSE and forfeits the shares

    @property
    def last(self) -> datetime.date:
        """The last day anything may be written for the member."""
        return self.left or END

    def active(self, date: datetime.date) -> bool:
        return self.joined <= date and (self.left is None or date <= self.left)


@dataclass
class Split:
    """A shared cost as generated: the amount and each member's exact share by the rule."""

    date: datetime.date
    amount: Decimal
    currency: str
    rule: str
    exact: dict[str, Fraction]

    def made(self, posting: data.Posting) -> bool:
        """Whether the plugin added `posting` for this split (its coop-split names the rule,
        or the key and the version used)."""
        written = (posting.meta or {}).get("coop-split")
        return written == self.rule or str(written).startswith(f"{self.rule} (from ")


@dataclass
class Pool:
    """What the generated books say a board decision must allocate."""

    margin: Decimal
    non_patronage: Decimal
    patronage: dict[str, Decimal]
    reserve: Decimal  # shares, 0.10 for "10%"
    cash: Decimal


@dataclass(frozen=True)
class FiscalYear:
    """Fiscal years ending on (month, day), named by the calendar year they end in."""

    month: int
    day: int

    def of(self, date: datetime.date) -> int:
        return date.year + ((date.month, date.day) > (self.month, self.day))

    def end(self, year: int) -> datetime.date:
        return datetime.date(year, self.month, self.day)

    def deadline(self, year: int) -> datetime.date:
        """The 15th day of the 9th month after the year ends."""
        months = self.month + 9
        return datetime.date(year + (months - 1) // 12, (months - 1) % 12 + 1, 15)


@dataclass
class Books:
    """Generated books: the ledger text and what the plugin must make of it."""

    members: list[Member]
    fiscal: FiscalYear
    blocks: list[tuple[datetime.date, int, str]] = field(default_factory=list)
    paid_shares: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    splits: dict[str, list[Split]] = field(default_factory=dict)  # by narration
    pools: dict[tuple[int, str], Pool] = field(default_factory=dict)
    #: date -> (member or None for everyone, budget), filled in from the first load.
    redemptions: dict[datetime.date, tuple[str | None, Decimal]] = field(default_factory=dict)

    def add(self, date: datetime.date, text: str) -> None:
        self.blocks.append((date, len(self.blocks), text.rstrip("\n") + "\n"))

    def txn(self, date: datetime.date, payee: str, narration: str,
            postings: list[tuple[str, Decimal]], currency: str = CURRENCY) -> None:
        lines = [f'{date} * "{payee}" "{narration}"']
        lines += [f"  {account}  {number} {currency}" for account, number in postings]
        self.add(date, "\n".join(lines))

    def text(self) -> str:
        year_end = f"{self.fiscal.month:02}-{self.fiscal.day:02}"
        return (HEADER.replace("MM-DD", year_end) + "\n"
                + "\n".join(text for _, _, text in sorted(self.blocks)))

    def member(self, key: str) -> Member:
        return next(m for m in self.members if m.key == key)


# ---- the strategy --------------------------------------------------------------------------

def date_in(draw: Callable, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + days(draw(st.integers(0, max((last - first).days, 0))))


def pieces(draw: Callable, total: int, most: int) -> list[int]:
    """`total` cut into at most `most` positive pieces (none for 0)."""
    cuts = sorted(draw(st.lists(st.integers(0, total), max_size=most - 1)))
    bounds = [0, *cuts, total]
    return [b - a for a, b in itertools.pairwise(bounds) if b > a]


@st.composite
def coop_books(draw: Callable) -> Books:
    size = SIZES[profile()]
    members = draw_members(draw, size)
    books = Books(members, draw(st.sampled_from([FiscalYear(12, 31), FiscalYear(6, 30),
                                                  FiscalYear(9, 30)])))
    draw_shares(draw, books, size)
    write_membership(books)
    draw_dues(draw, books, size)
    draw_charges(draw, books, size)
    draw_splits(draw, books, size)
    draw_patronage(draw, books, size)
    return books


def draw_members(draw: Callable, size: Size) -> list[Member]:
    count = draw(st.integers(2, min(size.members, len(NAMES))))
    members = []
    for i, (key, name) in enumerate(NAMES[:count]):
        # The first two are founders; the first never leaves, so a cost can always be shared.
        joined = START if i < 2 else START + days(draw(st.integers(0, 540)))
        member = Member(key, name, joined)
        if i > 0 and draw(st.integers(0, 2)) == 0:
            left = joined + days(draw(st.integers(0, 600)))
            if left <= END:
                member.left = left
                member.forfeits = draw(st.integers(0, 3)) == 0
        members.append(member)
    return members


def draw_shares(draw: Callable, books: Books, size: Size) -> None:
    par = draw(st.sampled_from([10, 20, 25, 100]))
    classes = [("Member", par)]
    if draw(st.booleans()):
        classes.append(("Preferred", draw(st.sampled_from([50, 250]))))
    for name, value in classes:
        books.add(START, f'{START} custom "coop-share-class" "{name}" {value}.00 USD')
    for member in books.members:
        for name, value in classes:
            if name != "Member" and not draw(st.booleans()):
                continue
            subscribed = member.joined if name == "Member" else date_in(draw, member.joined,
                                                                         member.last)
            count = draw(st.integers(1, 3))
            books.add(subscribed, f'{subscribed} custom "coop-subscription" "{member.key}" '
                                  f'"{name}" {count}')
            total = draw(st.integers(0, count * value * 100))
            for cents in pieces(draw, total, size.payments):
                date = date_in(draw, subscribed, member.last)
                books.txn(date, member.name, f"{name} share instalment", [
                    ("Assets:Bank", money(cents)),
                    (CHART.shares(member.key, name), -money(cents))])
                if member.left is None:
                    books.paid_shares[member.key] += money(cents)
            # A forfeit on leaving takes the whole class, paid on or before the leave date.
            if member.forfeits and total:
                books.txn(member.last, member.name, f"{name} shares forfeited under the bylaws", [
                    (CHART.shares(member.key, name), money(total)),
                    ("Equity:Coop:Unallocated", -money(total))])


def write_membership(books: Books) -> None:
    for member in books.members:
        books.add(member.joined, f'{member.joined} custom "coop-member" "{member.key}" '
                                 f'"{member.name}"')
        # Consent to qualified notices (IRC 1388(c)), signed on joining.
        books.add(member.joined, f'{member.joined} custom "coop-consent" "{member.key}" '
                                 '"written"')
        if member.left:
            forfeit = "\n  redeem-shares: FALSE" if member.forfeits else ""
            books.add(member.left, f'{member.left} custom "coop-leave" "{member.key}"{forfeit}')


def draw_dues(draw: Callable, books: Books, size: Size) -> None:
    schedules = [("Dues", "Income:Members:Dues"), ("Levy", "Income:Members:Levy")]
    for name, account in schedules[:draw(st.integers(0, 2))]:
        start = date_in(draw, START, START + days(200))
        amount = draw(st.sampled_from(["5.00", "7.50", "10.33", "12.00"]))
        frequency = draw(st.sampled_from(["monthly", "quarterly", "yearly"]))
        meta = [f"  account: {account}"]
        if draw(st.booleans()):
            meta.append("  prorate: TRUE")
        if draw(st.booleans()):
            meta.append(f"  until: {date_in(draw, start, END)}")
        if draw(st.booleans()):
            keys = draw(st.lists(st.sampled_from([m.key for m in books.members]), min_size=1,
                                 unique=True))
            meta.append(f'  members: "{" ".join(keys)}"')
        books.add(start, "\n".join([f'{start} custom "coop-dues" "{name}" {amount} USD '
                                    f'"{frequency}"', *meta]))
    for member in books.members:
        for _ in range(draw(st.integers(0, size.payments))):
            date = date_in(draw, member.joined, member.last)
            cents = draw(st.integers(1, 6000))
            books.txn(date, member.name, "Dues", [("Assets:Bank", money(cents)),
                                                  (CHART.dues(member.key), -money(cents))])


def draw_charges(draw: Callable, books: Books, size: Size) -> None:
    """Goods taken on account and paid for, purchases reimbursed, payables paid out."""
    for _ in range(draw(st.integers(0, size.charges))):
        member = draw(st.sampled_from(books.members))
        cents = money(draw(st.integers(1, 50000)))
        kind = draw(st.sampled_from(["charge", "payment", "reimbursement", "payout"]))
        # A leaver's payable may still be paid out after they left.
        last = END if kind == "payout" else member.last
        date = date_in(draw, member.joined, last)
        legs = {"charge": (CHART.receivable(member.key), "Expenses:Supplies"),
                "payment": ("Assets:Bank", CHART.receivable(member.key)),
                "reimbursement": ("Expenses:Supplies", CHART.payable(member.key)),
                "payout": (CHART.payable(member.key), "Assets:Bank")}[kind]
        books.txn(date, member.name, kind.capitalize(), [(legs[0], cents), (legs[1], -cents)])


WEIGHTS = [Decimal(w) for w in ("0", "0.25", "1", "1.5", "2", "3")]


def draw_key_versions(draw: Callable, books: Books) -> list[tuple[datetime.date, dict]]:
    """Versions of the "storage" key: (date, member -> weight), in date order."""
    dates = sorted({START, *draw(st.lists(st.dates(START + days(1), END), max_size=2))})
    versions = []
    for date in dates:
        active = [m.key for m in books.members if m.active(date)]
        chosen = draw(st.lists(st.sampled_from(active), min_size=1, unique=True))
        weights = {key: draw(st.sampled_from(WEIGHTS)) for key in chosen}
        if not any(weights.values()):
            weights[chosen[0]] = Decimal(1)
        versions.append((date, weights))
        rule = ", ".join(f"{k} {w}" for k, w in weights.items())
        books.add(date, f'{date} custom "coop-split-key" "storage" "weights: {rule}"')
    return versions


def key_in_force(versions: list, books: Books, date: datetime.date) -> dict | None:
    """The storage key's weights on `date`, if it can split a cost that day."""
    weights = None
    for version_date, version in versions:
        if version_date <= date:
            weights = version
    if weights is None or not all(books.member(k).active(date) for k in weights):
        return None
    return weights


def shares_by(weights: dict[str, Decimal], amount: Fraction) -> dict[str, Fraction]:
    total = sum((Fraction(w) for w in weights.values()), Fraction(0))
    return {k: amount * Fraction(w) / total for k, w in weights.items()}


def draw_rule(draw: Callable, books: Books, versions: list, date: datetime.date,
              amount: Decimal) -> tuple[str, dict[str, Fraction]]:
    """A split rule for a cost of `amount` on `date`, and each member's exact share."""
    active = [m.key for m in books.members if m.active(date)]
    cost = Fraction(amount)
    kind = draw(st.sampled_from(["equal", "group", "weights", "percent", "usage", "key",
                                 "fixed"] if amount > 0 else
                                ["equal", "group", "weights", "percent", "usage"]))
    if kind == "key" and (weights := key_in_force(versions, books, date)) is not None:
        return "storage", shares_by(weights, cost)
    if kind == "fixed":
        return draw_fixed(draw, books, versions, date, amount, active)
    group = draw(st.lists(st.sampled_from(active), min_size=1, unique=True))
    if kind == "group":
        return f"equal: {', '.join(group)}", shares_by(dict.fromkeys(group, 1), cost)
    if kind in ("weights", "usage"):
        choices = WEIGHTS if kind == "weights" else [Decimal(n) for n in range(8)]
        weights = {key: draw(st.sampled_from(choices)) for key in group}
        if not any(weights.values()):
            weights[group[0]] = Decimal(1)
        listed = ", ".join(f"{k} {w}" for k, w in weights.items())
        head = "weights" if kind == "weights" else draw(st.sampled_from(["usage quarts",
                                                                        "usage"]))
        return f"{head}: {listed}", shares_by(weights, cost)
    if kind == "percent":
        cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=len(group) - 1,
                                    max_size=len(group) - 1)))
        bounds = [0, *cuts, 100]
        percents = {k: Decimal(b - a) for k, (a, b) in zip(group, itertools.pairwise(bounds),
                                                         strict=True)}
        listed = ", ".join(f"{k} {p}" for k, p in percents.items())
        return f"percent: {listed}", shares_by(percents, cost)
    return "equal", shares_by(dict.fromkeys(active, 1), cost)


def draw_fixed(draw: Callable, books: Books, versions: list, date: datetime.date,
               amount: Decimal, active: list[str]) -> tuple[str, dict[str, Fraction]]:
    cents = int(amount * 100)
    fixed_members = draw(st.lists(st.sampled_from(active), min_size=1, max_size=2, unique=True))
    fixed = {}
    left = cents
    for key in fixed_members:
        fixed[key] = draw(st.integers(0, left))
        left -= fixed[key]
    listed = ", ".join(f"{k} {money(c)}" for k, c in fixed.items())
    exact = {k: Fraction(c, 100) for k, c in fixed.items()}
    if left == 0 and draw(st.booleans()):
        return f"fixed: {listed}", exact
    rest = Fraction(left, 100)
    storage = key_in_force(versions, books, date)
    if storage is not None and draw(st.booleans()):
        rest_rule, rest_shares = "storage", shares_by(storage, rest)
    else:
        group = draw(st.lists(st.sampled_from(active), min_size=1, unique=True))
        rest_rule, rest_shares = f"equal: {', '.join(group)}", shares_by(dict.fromkeys(group, 1),
                                                                         rest)
    for key, share in rest_shares.items():
        exact[key] = exact.get(key, Fraction(0)) + share
    return f"fixed: {listed}; rest: {rest_rule}", exact


def draw_splits(draw: Callable, books: Books, size: Size) -> None:
    versions = draw_key_versions(draw, books)
    for number in range(draw(st.integers(0, size.costs))):
        date = date_in(draw, START, END)
        refund = draw(st.integers(0, 9)) == 0
        currency = draw(st.sampled_from([CURRENCY, CURRENCY, CURRENCY, "EUR"]))
        narration = f"Shared cost {number + 1}"
        lines = [f'{date} * "Supplier" "{narration}"']
        splits = []
        # Now and then two costs in one transaction, each split by its own rule.
        for account in ["Expenses:Supplies", "Expenses:Rent"][:1 + (draw(st.integers(0, 7)) == 7)]:
            amount = money(draw(st.integers(1, 200000)) * (-1 if refund else 1))
            rule, exact = draw_rule(draw, books, versions, date, amount)
            if any(split.rule == rule for split in splits):
                continue
            splits.append(Split(date, amount, currency, rule, exact))
            lines += [f"  {account}  {amount} {currency}", f'    split: "{rule}"']
        total = sum(split.amount for split in splits)
        active = [m for m in books.members if m.active(date)]
        payer = "Assets:Bank"
        if not refund and draw(st.integers(0, 3)) == 0:
            payer = CHART.payable(draw(st.sampled_from(active)).key)
        books.add(date, "\n".join([*lines, f"  {payer}  {-total} {currency}"]))
        books.splits[narration] = splits


def draw_patronage(draw: Callable, books: Books, size: Size) -> None:
    hours: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    billings: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    if draw(st.integers(0, 3)):
        books.add(START, f'{START} custom "coop-measure" "hours"')
        if draw(st.booleans()):
            date = date_in(draw, START, END)
            rate = draw(st.sampled_from(["0.25", "0.50", "1.10"]))
            books.add(date, f'{date} custom "coop-retain" "hours" {rate} USD')
        for member in books.members:
            for _ in range(draw(st.integers(0, size.records))):
                date = date_in(draw, member.joined, member.last)
                quantity = draw(st.sampled_from([Decimal(n) for n in ("1", "2.5", "8", "40")]))
                books.add(date, f'{date} custom "coop-patronage" "{member.key}" "hours" '
                                f'{quantity}')
                hours[books.fiscal.of(date)][member.key] += quantity
    if draw(st.integers(0, 3)):
        books.add(START, f'{START} custom "coop-measure" "billings" Income:Patronage:Billings')
        for member in books.members:
            for _ in range(draw(st.integers(0, size.records))):
                date = date_in(draw, member.joined, member.last)
                amount = money(draw(st.integers(100, 900000)))
                on_posting = draw(st.booleans())
                meta = "" if on_posting else f'member: "{member.key}"'
                posting = f'Income:Patronage:Billings  {-amount} {CURRENCY}'
                if on_posting:
                    posting += f'\n    member: "{member.key}"'
                books.add(date, f'{date} * "Client" "Invoice for {member.name}"\n'
                                + (f"  {meta}\n" if meta else "")
                                + f"  Assets:Bank  {amount} {CURRENCY}\n  {posting}")
                billings[books.fiscal.of(date)][member.key] += amount
    margins: dict[int, Decimal] = defaultdict(Decimal)
    interest: dict[int, Decimal] = defaultdict(Decimal)
    for kind, account, sign, most in (
            ("sale", "Income:Sales", 1, 900000), ("cost", "Expenses:Operations", -1, 300000),
            ("interest", "Income:NonPatronage:Interest", 1, 20000)):
        for _ in range(draw(st.integers(kind == "sale", size.sales))):
            date = date_in(draw, START, END)
            amount = money(draw(st.integers(1, most)))
            books.txn(date, "Market", kind.capitalize(), [
                ("Assets:Bank", sign * amount), (account, -sign * amount)])
            (interest if kind == "interest" else margins)[books.fiscal.of(date)] += sign * amount
    for year in sorted(set(hours) | set(billings)):
        if hours[year] and margins[year] > 0:
            draw_decision(draw, books, year, "work", "hours", "Income:Sales Expenses:Operations",
                          margins[year], interest[year], hours[year])
        if billings[year]:
            draw_decision(draw, books, year, "billings", "billings", "Income:Patronage:Billings",
                          sum(billings[year].values()), Decimal(0), billings[year])


def draw_decision(draw: Callable, books: Books, year: int, pool: str, measure: str,
                  margin_accounts: str, margin: Decimal, non_patronage: Decimal,
                  patronage: dict[str, Decimal]) -> None:
    if draw(st.integers(0, 4)) == 4:
        return  # not every year is allocated
    qualified = draw(st.booleans())
    reserve = draw(st.sampled_from(["0", "10", "12.5", "25"]))
    cash = draw(st.sampled_from(["20", "30", "50", "100"] if qualified else ["0", "10", "20"]))
    # Decided after the year ends, paid by the deadline, and before the redemptions (which
    # then find every allocation's equity outstanding).
    end, deadline = books.fiscal.end(year), books.fiscal.deadline(year)
    last = min(deadline, REDEMPTIONS[0] - days(1))
    if end + days(10) > last:
        return  # a year that ends too late to be paid in these books
    decided = date_in(draw, end + days(10), min(end + days(120), last))
    paid = date_in(draw, decided, last)
    lines = [f'{decided} custom "coop-allocation" {year} "{pool}"',
             f'  margin: "{margin_accounts}"', f'  measure: "{measure}"',
             f'  reserve: "{reserve}%"', f'  cash: "{cash}%"',
             f"  qualified: {'TRUE' if qualified else 'FALSE'}", f"  paid: {paid}",
             # The generated books do not pay the cash parts out of the payables
             # (tests/test_cash_paid.py follows payments): the board's late: TRUE.
             "  late: TRUE"]
    if non_patronage:
        lines.append('  non-patronage: "Income:NonPatronage"')
    books.add(decided, "\n".join(lines))
    books.pools[(year, pool)] = Pool(margin, non_patronage, dict(patronage),
                                     Decimal(reserve) / 100, Decimal(cash) / 100)


# ---- what depends on the plugin's figures: leaving clean, redemption budgets -----------------

def balances_through(entries: list, date: datetime.date) -> dict[tuple[str, str], Decimal]:
    """(account, currency) -> balance at the end of `date`."""
    balances: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction) and entry.date <= date:
            for posting in entry.postings:
                balances[(posting.account, posting.units.currency)] += posting.units.number
    return balances


def settle_leavers(books: Books, entries: list) -> None:
    """On the leave date, set a leaver's dues and receivable off against their payable."""
    for member in books.members:
        if member.left is None:
            continue
        balances = balances_through(entries, member.left)
        owed = (CHART.receivable(member.key), CHART.dues(member.key))
        for currency in sorted({c for (a, c), n in balances.items() if a in owed and n}):
            legs = [(a, -balances[(a, currency)]) for a in owed if balances[(a, currency)]]
            total = sum(number for _, number in legs)
            books.txn(member.left, member.name, "Set off on leaving",
                      [*legs, (CHART.payable(member.key), -total)], currency=currency)


def outstanding(balances: dict[tuple[str, str], Decimal], member: str | None = None) -> Decimal:
    """Retained equity outstanding (the patronage is all in USD)."""
    return -sum((number for (account, _), number in balances.items()
                 if CHART.retained_equity(account) is not None
                 and (member is None or CHART.member_key(account) == member)), Decimal(0))


def add_redemptions(draw: Callable, books: Books, entries: list) -> None:
    """A leaver's (or anyone's) equity paid back, then a budget for everyone."""
    first, second = REDEMPTIONS
    balances = balances_through(entries, AS_OF)
    fraction = st.sampled_from([Decimal("0.25"), Decimal("0.5"), Decimal("0.9"), Decimal(1)])
    taken = Decimal(0)
    holders = [m.key for m in books.members if outstanding(balances, m.key) > 0]
    if holders and draw(st.booleans()):
        member = draw(st.sampled_from(holders))
        budget = (outstanding(balances, member) * draw(fraction)).quantize(CENT, ROUND_DOWN)
        if budget > 0:
            books.add(first, f'{first} custom "coop-redemption" {budget} USD\n'
                             f'  member: "{member}"')
            books.redemptions[first] = (member, budget)
            taken = budget
    rest = outstanding(balances) - taken
    budget = (rest * draw(fraction)).quantize(CENT, ROUND_DOWN)
    if budget > 0 and draw(st.booleans()):
        books.add(second, f'{second} custom "coop-redemption" {budget} USD')
        books.redemptions[second] = (None, budget)


def load(text: str) -> tuple[list, list, dict]:
    return loader.load_string(text)


def formatted(errors: list) -> str:
    return "\n".join(f"{e.source.get('lineno') if e.source else '?'}: {e.message}"
                     for e in errors)


def finished_books(draw: Callable, books: Books) -> tuple[str, list, dict]:
    """Load once, clear the leavers and budget the redemptions, load the books for good."""
    entries, errors, _ = load(books.text())
    unexpected = [e for e in errors if " left on " not in e.message]
    assert not unexpected, f"{formatted(unexpected)}\n{books.text()}"
    settle_leavers(books, entries)
    add_redemptions(draw, books, entries)
    text = books.text()
    note(text)
    entries, errors, options = load(text)
    assert not errors, f"the generated books do not load clean:\n{formatted(errors)}"
    return text, entries, options


# ---- the properties -----------------------------------------------------------------------

def transactions(entries: list) -> list[data.Transaction]:
    return [e for e in entries if isinstance(e, data.Transaction)]


def assert_every_transaction_balances(entries: list) -> None:
    for entry in transactions(entries):
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for posting in entry.postings:
            weight = convert.get_weight(posting)
            totals[weight.currency] += weight.number
        assert all(total == 0 for total in totals.values()), (entry, dict(totals))


def assert_capital_is_member_equity(books: Books, entries: list, options: dict) -> None:
    equity: dict[str, Decimal] = defaultdict(Decimal)
    for entry in transactions(entries):
        for posting in entry.postings:
            if posting.account.startswith("Equity:Members:"):
                equity[posting.units.currency] -= posting.units.number
    coop = CoopBooks.from_entries(entries, options)
    rows = member_rows(coop)
    # The balances added up while the view is built are the postings added up.
    assert member_rows(coop, datetime.date.max) == rows
    for key in coop.postings:
        assert coop.retained_balances(key) == {
            account: money for account, money in coop.balances(key, datetime.date.max).items()
            if coop.chart.retained_equity(account) is not None}
    capital: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        for currency, number in row.capital.items():
            capital[currency] += number
        # A leaver's shares were paid back or forfeited; the others' are what they paid.
        paid = books.paid_shares.get(row.key, Decimal(0))
        assert row.shares_paid == ({CURRENCY: paid} if paid else {}), row
    assert {c: n for c, n in capital.items() if n} == {c: n for c, n in equity.items() if n}
    assert {row.key for row in rows} == {m.key for m in books.members}


def assert_splits_are_exact(books: Books, entries: list) -> None:
    seen = set()
    for entry in transactions(entries):
        if entry.narration not in books.splits:
            continue
        seen.add(entry.narration)
        added = [p for p in entry.postings if p.meta and "coop-split" in p.meta]
        for split in books.splits[entry.narration]:
            assert_split_is_exact(split, [p for p in added if split.made(p)])
            added = [p for p in added if not split.made(p)]
        assert added == [], added  # every added posting belongs to a split
    assert seen == set(books.splits)


def assert_split_is_exact(split: Split, postings: list[data.Posting]) -> None:
    parts: dict[str, Decimal] = defaultdict(Decimal)
    recovered = Decimal(0)
    for posting in postings:
        assert posting.units.currency == split.currency
        key = CHART.member_key(posting.account)
        if key is None:
            assert posting.account == RECOVERY
            recovered += posting.units.number
        else:
            parts[key] += posting.units.number
    assert sum(parts.values()) == split.amount, (split, dict(parts))
    assert recovered == -split.amount
    assert set(parts) <= {key for key, share in split.exact.items() if share}, split
    for key, share in split.exact.items():
        assert abs(Fraction(parts.get(key, Decimal(0))) - share) < Fraction(1, 100), (
            key, split, dict(parts))


def assert_allocations_add_up(books: Books, entries: list) -> None:
    pools = booked_pools(entries, CHART)
    assert {(p.year, p.pool) for p in pools} == set(books.pools)
    for pool in pools:
        expected = books.pools[(pool.year, pool.pool)]
        result = pool.result
        assert result.margin == expected.margin
        assert pool.non_patronage == expected.non_patronage
        assert result.reserve == (expected.margin * expected.reserve).quantize(CENT, ROUND_HALF_UP)
        assert result.reserve + result.pool == result.margin
        assert result.total_patronage == sum(expected.patronage.values())
        assert sum(d.allocation for d in result.dividends) == result.pool
        booked = {d.member: d for d in result.dividends}
        for member, patronage in expected.patronage.items():
            exact = Fraction(result.pool) * Fraction(patronage) / Fraction(result.total_patronage)
            dividend = booked.get(member)
            if dividend is None:  # no posting for an allocation that rounds to nothing
                assert exact < Fraction(1, 100)
                continue
            assert dividend.patronage == patronage
            assert abs(Fraction(dividend.allocation) - exact) < Fraction(1, 100)
            assert dividend.cash + dividend.retained == dividend.allocation
            least = Fraction(dividend.allocation) * Fraction(expected.cash)
            assert least <= dividend.cash < least + Fraction(1, 100)
        assert set(booked) <= set(expected.patronage)
    for entry in transactions(entries):
        if entry.meta.get("coop-generated") == "allocation":
            to_reserve = sum(p.units.number for p in entry.postings
                             if p.account == "Equity:Coop:Unallocated")
            assert -to_reserve == entry.meta["coop-reserve"] + entry.meta["coop-non-patronage"]
    assert_margins_are_the_years_net(books, entries, pools)


def assert_margins_are_the_years_net(books: Books, entries: list, pools: list) -> None:
    """Every pool's margin plus non-patronage, added up over a fiscal year, is the year's net
    of the accounts the year's decisions name (as loaded, derived postings included): never
    more, so no margin is allocated twice."""
    records, _ = read_records(e for e in entries if is_coop_directive(e))
    named: dict[int, set[str]] = defaultdict(set)
    for decision in records.decisions:
        named[decision.fiscal_year].update(decision.margin_accounts)
        named[decision.fiscal_year].update(decision.non_patronage_accounts)
    drawn: dict[int, Decimal] = defaultdict(Decimal)
    for pool in pools:
        drawn[pool.year] += pool.result.margin + pool.non_patronage
    net: dict[int, Decimal] = defaultdict(Decimal)
    for entry in transactions(entries):
        year = books.fiscal.of(entry.date)
        for posting in entry.postings:
            if any(posting.account == a or posting.account.startswith(a + ":")
                   for a in named.get(year, ())):
                net[year] -= posting.units.number
    assert dict(drawn) == {year: net[year] for year in drawn}


def assert_redemptions_take_the_oldest_and_never_too_much(books: Books, entries: list) -> None:
    balances: dict[str, Decimal] = defaultdict(Decimal)  # retained equity accounts
    done = {}
    for entry in transactions(entries):
        before = dict(balances)
        for posting in entry.postings:
            if CHART.retained_equity(posting.account) is not None:
                balances[posting.account] += posting.units.number
        # A retained equity account is a credit: it never goes above zero.
        assert all(number <= 0 for number in balances.values()), entry
        if entry.meta.get("coop-generated") != "equity-redemption":
            continue
        member, budget = books.redemptions[entry.date]
        done[entry.date] = True
        redeemed = {p.account: p.units.number for p in entry.postings
                    if CHART.retained_equity(p.account) is not None}
        paid = sum(-p.units.number for p in entry.postings
                   if p.account.startswith("Liabilities:Members:"))
        assert sum(redeemed.values()) == budget == paid
        assert all(number > 0 for number in redeemed.values())
        in_scope = [a for a in balances if member is None or CHART.member_key(a) == member]
        last_year = max(CHART.retained_equity(a)[0] for a in redeemed)
        for account in in_scope:
            if CHART.retained_equity(account)[0] < last_year:
                assert balances[account] == 0, (account, entry)  # older years paid in full
        # The last year reached: pro rata to the balances, to the cent.
        reached = [a for a in in_scope if CHART.retained_equity(a)[0] == last_year
                   and before.get(a, 0) < 0]
        left = sum(n for a, n in redeemed.items() if CHART.retained_equity(a)[0] == last_year)
        total = -sum(before[a] for a in reached)
        for account in reached:
            exact = Fraction(left) * Fraction(-before[account]) / Fraction(total)
            assert abs(Fraction(redeemed.get(account, Decimal(0))) - exact) < Fraction(1, 100)
    assert set(done) == set(books.redemptions)


def assert_leavers_stay_out(books: Books, entries: list) -> None:
    for member in books.members:
        if member.left is None:
            continue
        prefixes = tuple(f"{root}:Members:{member.key}:" for root in
                         ("Assets", "Liabilities", "Equity"))
        payable = CHART.payable(member.key)
        at_leaving: dict[str, Decimal] = defaultdict(Decimal)
        for entry in transactions(entries):
            for posting in entry.postings:
                account = posting.account
                if not account.startswith(prefixes) or account == payable:
                    continue
                retained = CHART.retained_equity(account) is not None
                if entry.date <= member.left:
                    if not retained:
                        at_leaving[account] += posting.units.number
                else:
                    # Only the patronage the member earned, and its paying back, come later.
                    assert retained and entry.meta.get("coop-generated") in (
                        "allocation", "equity-redemption"), (member, entry)
        assert not {a: n for a, n in at_leaving.items() if n}, (member, dict(at_leaving))


@settings(max_examples=examples(), suppress_health_check=[HealthCheck.too_slow,
                                                           HealthCheck.data_too_large])
@given(st.data())
def test_money_is_conserved_in_generated_books(data_):
    books = data_.draw(coop_books())
    check_books(data_.draw, books)


def check_books(draw: Callable, books: Books) -> dict[str, Any]:
    """Finish, load and check the generated books; returns their figures (for the benchmark)."""
    text, entries, options = finished_books(draw, books)
    assert_every_transaction_balances(entries)
    assert_capital_is_member_equity(books, entries, options)
    assert_splits_are_exact(books, entries)
    assert_allocations_add_up(books, entries)
    assert_redemptions_take_the_oldest_and_never_too_much(books, entries)
    assert_leavers_stay_out(books, entries)
    return {"members": len(books.members), "lines": text.count("\n"),
            "entries": len(entries), "transactions": len(transactions(entries)),
            "splits": len(books.splits), "pools": len(books.pools),
            "redemptions": len(books.redemptions),
            "leavers": sum(1 for m in books.members if m.left)}
