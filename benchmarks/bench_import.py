"""How long does `coop import extract` take on a large bank statement? A benchmark, not a test.

The target (issue 5): extracting a 100,000-row statement against books of 100,000
transactions, with duplicate detection, takes at most 1.5 times as long as `bean-check`
on those books. Duplicate detection must not compare every row with every entry.

It writes, in a temporary directory (kept with --keep DIR):

* `books.beancount`: co-op books with the coop plugin. Members (`coop-member`, most with
  `iban:`, some with `bank-name:`), and `--transactions` transactions, `--bank-share` of
  them on `Assets:Bank:Checking`: the oldest written by hand before the co-op imported
  its statements (no `import-id`), the later ones imported earlier (with the `import-id`,
  `bank-id` and `coop-match` the importer writes), and among those, in the period the new
  statement covers, some typed in by hand before the statement came (no `import-id`:
  found by date, account and amount); the rest are member purchases on account,
  expenses paid by members and cash sales;
* `import.yaml`: one bank importer (debit/credit columns, US dates, a balance column, the
  bank's transaction ids) and matching rules: by reference (`dues <member key>` and
  client invoice numbers), by account number, by name (configured names too);
* `checking-statement.csv`: `--rows` rows, `--overlap` of them already in the books
  (`--by-hand` of those as hand-written entries, up to two days off, the others by id),
  the rest new: most after the books end, `--missed` of them within the overlapping
  days (rows the books never got). Rows are paid by members (matched by account number,
  by name, by a `dues <key>` reference), by clients (an invoice reference), to members
  (reimbursements), and to or from others (not matched: the placeholder accounts).

Then it runs, alternately, `--repeat` times each (cache off):

  (a) `bean-check -v books.beancount`;
  (b) `coop import extract books.beancount checking-statement.csv --dry-run`, stdout to
      /dev/null: what the user runs, so it includes loading the books once, reading and
      matching the rows, finding the duplicates and printing the entries;

and reports the medians and the ratio (b) / (a). In-process it also times the parts of
(b): loading the books (once), `importer.extract`, beangulp's sort and type check,
`importer.deduplicate`, and printing the entries (`printer.format_entry`, as the dry run
does). It checks that the duplicates found are exactly the overlapping rows, each
pointing at its entry in the books, that the new entries are exactly the other rows (and
the statement's balance assertion), and that every row is matched as generated.

    .venv/bin/python benchmarks/bench_import.py --rows 100000 --transactions 100000 \\
        --repeat 3 --seed 1 --max-ratio 1.5 --profile 25

Exit codes: 0; 1 when `--max-ratio` is given and the median ratio is above it; 2 when the
books cannot be generated, do not check clean, or the duplicates or matches are wrong.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import bisect
import cProfile
import csv
import datetime
import gc
import io
import json
import math
import os
import platform
import pstats
import random
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

# Cache off for this process's own loads too: no pickle files beside the books.
os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"

from beancount.core import data
from beancount.parser import printer
from beancount.parser.version import VERSION as BEANCOUNT_VERSION
from common import (  # benchmarks/common.py, beside this script
    BenchmarkError,
    progress,
    run_benchmark,
    run_check,
)

from coop_beancount.books.loading import format_error, load_books
from coop_beancount.importers import dedupe
from coop_beancount.importers.bank import BankImporter, StatementRow
from coop_beancount.importers.config import load_config

PLUGIN_MODULE = "coop_beancount.plugins.coop"
BANK = "Assets:Bank:Checking"
CURRENCY = "USD"
DAY = datetime.timedelta(days=1)
BOOKS_NAME = "books.beancount"
STATEMENT_NAME = "checking-statement.csv"
CONFIG_NAME = "import.yaml"

# The mix.
FOUNDERS = 0.6  # members who join on the first day; the others over the first half
IBAN_SHARE = 0.8  # members with `iban:` in the books
BANK_NAME_SHARE = 0.25  # members with a `bank-name:`
CONFIGURED_NAME_SHARE = 0.02  # members whose statement name is in import.yaml `names:`
HAND_ERA = 0.4  # the first part of the books before the overlap: written by hand, no ids
BOOK_DATE_OFF = 0.3  # hand-written entries dated a day or two from the bank's date
#: Statement rows: kind, weight. What each is, and how it is matched, in `bank_row`.
ROW_KINDS = (("iban", 0.30), ("name", 0.10), ("dues", 0.12), ("invoice", 0.05),
             ("reimbursement", 0.05), ("supplier", 0.28), ("deposit", 0.10))
#: The books' other transactions: kind, weight.
OTHER_KINDS = (("purchase", 0.45), ("paid-by-member", 0.15), ("cash-sale", 0.40))
OPENING_BALANCE = Decimal("25000.00")
DUES_AMOUNTS = (Decimal("15.00"), Decimal("45.00"), Decimal("180.00"))
#: Rows of one amount this many days apart cannot be mistaken for each other by the
#: (date, account, amount) fallback, which looks two days either side.
FALLBACK_SPACING = 2 * dedupe.WINDOW_DAYS

FIRST = ("Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Gus", "Hana", "Ivan", "Jo", "Kemal",
         "Lena", "Mo", "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sami", "Tess", "Uma", "Vik",
         "Wren", "Xia", "Yusuf", "Zoe")
LAST = ("Abbott", "Baker", "Chen", "Diallo", "Evans", "Fischer", "Garcia", "Haddad", "Ito",
        "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "O'Neill", "Petrov", "Quispe",
        "Rossi", "Singh", "Tanaka", "Urban", "Varga", "Weber", "Xu", "Yilmaz", "Zhou")
INITIALS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SUPPLIERS = (("VALLEY DAIRY", "Expenses:Stock"), ("GREEN ACRES FARM", "Expenses:Stock"),
             ("NORTHSIDE WHOLESALE", "Expenses:Stock"), ("ECO PACKAGING", "Expenses:Supplies"),
             ("CITY POWER & LIGHT", "Expenses:Utilities"), ("MARKET BASKET #412",
                                                             "Expenses:Supplies"),
             ("ELM STREET PROPERTIES", "Expenses:Rent"), ("CSB SERVICE FEE",
                                                          "Expenses:Bank-Fees"))
DEPOSITS = ("SQUARE INC DEPOSIT", "FARMERS MARKET CASH DEPOSIT", "STRIPE TRANSFER")
CLIENTS = ("PEARL STREET PRESS", "HARBOR CAFE LLC", "NORTH END SCHOOL")
CLIENTS_ACCOUNT = "Assets:Receivable:Clients"
UNKNOWN_INFLOW, UNKNOWN_OUTFLOW = "Income:Unknown", "Expenses:Unknown"

ACCOUNTS = (BANK, "Assets:Cash", CLIENTS_ACCOUNT, "Income:Sales:Members", "Income:Sales:Public",
            "Expenses:Stock", "Expenses:Supplies", "Expenses:Utilities", "Expenses:Rent",
            "Expenses:Bank-Fees", UNKNOWN_INFLOW, UNKNOWN_OUTFLOW, "Equity:Opening-Balances")

IMPORT_YAML = """\
# Written by benchmarks/bench_import.py.
matching:
  inflow: receivable
  outflow: payable
  unknown_inflow: {unknown_inflow}
  unknown_outflow: {unknown_outflow}
  names:
{names}
  references:
    - pattern: 'dues (?P<member>\\w+)'
      to: dues
    - pattern: 'INV-\\d{{4}}-\\d{{4}}'
      to: {clients}

importers:
  - type: bank
    name: checking
    account: {bank}
    currency: {currency}
    filename: "checking-*.csv"
    csv:
      date_format: "%m/%d/%Y"
    columns:
      date: Date
      transaction_id: Transaction ID
      payee: Counterparty
      counterparty_account: Counterparty Account
      narration: Memo
      reference: Memo
      debit: Debit
      credit: Credit
      balance: Balance
"""
STATEMENT_HEADER = ("Date", "Transaction ID", "Type", "Counterparty", "Counterparty Account",
                    "Memo", "Debit", "Credit", "Balance")




# --------------------------------------------------------------------------------------
# Generation


@dataclass
class Member:
    key: str
    name: str
    joined: datetime.date
    iban: str = ""  # as the books write it, in groups of four
    bank_name: str = ""
    configured_name: str = ""  # the name import.yaml maps to the key

    @property
    def iban_compact(self) -> str:
        return self.iban.replace(" ", "")


@dataclass
class BankRow:
    """One bank transaction: a statement row, an entry of the books, or both."""

    date: datetime.date
    kind: str
    amount: Decimal  # positive: money in
    payee: str
    counterparty_account: str
    memo: str
    type: str
    #: The other leg in the books (the bookkeeper's account for an unmatched row).
    account: str
    #: The `coop-match` the importer should give the row; None: not matched.
    how: str | None
    member: Member | None = None
    bank_id: str = ""
    #: "before" the statement, "overlap" (in the statement and the books), "missed" (in
    #: the statement's overlapping days, not in the books), "after" the books.
    place: str = ""
    #: How the books hold it: "imported" (with an import-id), "hand" (without), or "".
    books: str = ""
    book_date: datetime.date | None = None


@dataclass
class Plan:
    """Everything generated, and the counts the run is checked against."""

    seed: int
    start: datetime.date
    end: datetime.date  # the books' last day (the plugin's as_of)
    members: list[Member]
    rows: list[BankRow]  # every bank transaction, books and statement, in date order
    others: list[tuple[datetime.date, str]] = field(default_factory=list)  # entries' text
    counts: Counter = field(default_factory=Counter)

    @property
    def statement(self) -> list[BankRow]:
        return [row for row in self.rows if row.place != "before"]


def money(rng: random.Random, low: int, high: int) -> Decimal:
    """A random amount between low and high (whole units), in cents."""
    return Decimal(rng.randrange(low * 100, high * 100 + 1)).scaleb(-2)


def pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def gen_members(rng: random.Random, count: int, start: datetime.date,
                last_join: datetime.date) -> list[Member]:
    """Members with unique names (first name, initial, last name), most with an IBAN."""
    combos = len(FIRST) * len(INITIALS) * len(LAST)
    if count > combos:
        raise BenchmarkError(f"--members: at most {combos:,}")
    founders = round(count * FOUNDERS)
    span = max(1, (last_join - start).days)
    joins = sorted([start] * founders + [start + datetime.timedelta(days=rng.randrange(span))
                                         for _ in range(count - founders)])
    names_taken: set[str] = set()
    ibans: set[str] = set()
    members = []
    width = max(4, len(str(count)))
    for number, (combo, joined) in enumerate(zip(rng.sample(range(combos), count), joins,
                                                 strict=True), 1):
        first = FIRST[combo % len(FIRST)]
        initial = INITIALS[combo // len(FIRST) % len(INITIALS)]
        last = LAST[combo // (len(FIRST) * len(INITIALS))]
        member = Member(f"M{number:0{width}d}", f"{first} {initial}. {last}", joined)
        names_taken.add(member.name.casefold())
        if rng.random() < IBAN_SHARE:
            while True:
                iban = f"DE89{rng.randrange(10 ** 18):018d}"
                if iban not in ibans:
                    break
            ibans.add(iban)
            member.iban = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
        if rng.random() < CONFIGURED_NAME_SHARE:
            member.configured_name = f"{last}, {first} {initial}".upper()
        members.append(member)
    for member in members:
        if rng.random() < BANK_NAME_SHARE:
            first, initial, last = member.name.split(" ", 2)
            bank_name = f"{first[0]} {initial[0]} {last}".upper()
            if bank_name.casefold() not in names_taken:  # never a name two members answer to
                names_taken.add(bank_name.casefold())
                member.bank_name = bank_name
    return members


class Roster:
    """The members who have joined by a day, for picking payers."""

    def __init__(self, members: list[Member]) -> None:
        self.members = sorted(members, key=lambda m: m.joined)
        self.joins = [m.joined for m in self.members]
        with_iban = [m for m in self.members if m.iban]
        self.with_iban, self.iban_joins = with_iban, [m.joined for m in with_iban]

    def pick(self, rng: random.Random, day: datetime.date, iban: bool = False) -> Member:
        pool, joins = (self.with_iban, self.iban_joins) if iban else (self.members, self.joins)
        joined = bisect.bisect_right(joins, day)
        if not joined:
            raise BenchmarkError(f"no member has joined by {day}")
        return pool[rng.randrange(joined)]


def bank_row(rng: random.Random, day: datetime.date, roster: Roster) -> BankRow:
    """A bank transaction of a random kind (ROW_KINDS), and how the importer should match it."""
    kind = pick(rng, ROW_KINDS)
    if kind == "iban":  # a member pays in from their account: matched by account number
        member = roster.pick(rng, day, iban=True)
        return BankRow(day, kind, money(rng, 5, 300), member.name.upper(), member.iban_compact,
                       rng.choice(("Shared costs", "Purchases on account", "Settling up")),
                       "ZELLE CREDIT", f"Assets:Members:{member.key}:Receivable", "iban", member)
    if kind == "name":  # no account number on the row: matched by name
        member = roster.pick(rng, day)
        names = [n for n in (member.name.upper(), member.bank_name, member.configured_name) if n]
        return BankRow(day, kind, money(rng, 5, 300), rng.choice(names), "", "Transfer",
                       "ACH CREDIT", f"Assets:Members:{member.key}:Receivable", "name", member)
    if kind == "dues":  # the reference names the member: matched by reference
        member = roster.pick(rng, day)
        month = day.strftime("%B")
        return BankRow(day, kind, rng.choice(DUES_AMOUNTS), member.name.upper(),
                       member.iban_compact, rng.choice((f"Dues {member.key}",
                                                        f"dues {member.key.lower()} {month}")),
                       "ZELLE CREDIT", f"Assets:Members:{member.key}:Dues", "reference", member)
    if kind == "invoice":  # a client pays an invoice: the reference names an account
        number = f"INV-{day.year}-{rng.randrange(10_000):04d}"
        return BankRow(day, kind, money(rng, 200, 5000), rng.choice(CLIENTS),
                       f"{rng.randrange(10 ** 10):010d}", f"Invoice {number}", "ACH CREDIT",
                       CLIENTS_ACCOUNT, "reference")
    if kind == "reimbursement":  # paid out to a member: matched by account number
        member = roster.pick(rng, day, iban=True)
        return BankRow(day, kind, -money(rng, 5, 250), member.name.upper(), member.iban_compact,
                       "Reimbursement", "ZELLE DEBIT",
                       f"Liabilities:Members:{member.key}:Payable", "iban", member)
    if kind == "supplier":  # not matched: the placeholder; the bookkeeper books it later
        payee, account = rng.choice(SUPPLIERS)
        amount = money(rng, 800, 2500) if account == "Expenses:Rent" else money(rng, 3, 1500)
        return BankRow(day, kind, -amount, payee, "", rng.choice(("POS PURCHASE", "ACH DEBIT")),
                       "DEBIT CARD", account, None)
    return BankRow(day, "deposit", money(rng, 20, 2000), rng.choice(DEPOSITS), "", "DEPOSIT",
                   "DEPOSIT", "Income:Sales:Public", None)


def spread(rng: random.Random, count: int, first: datetime.date,
           days: int) -> list[datetime.date]:
    """`count` random days from `first` on, over `days` days, in order."""
    return sorted(first + datetime.timedelta(days=rng.randrange(max(1, days)))
                  for _ in range(count))


def choose_by_hand(rng: random.Random, rows: list[BankRow], wanted: int) -> int:
    """Mark `wanted` overlapping rows as typed in by hand; returns how many could be.

    The fallback for hand-written entries matches on (date, account, amount) two days
    either side, so a row is chosen only if no other row the books do not hold by id
    (new rows, other hand-written ones) has its amount within FALLBACK_SPACING days:
    then each hand-written entry is the duplicate of exactly its own row.
    """
    taken: dict[Decimal, list[int]] = {}
    for row in rows:
        if row.place in ("missed", "after"):
            bisect.insort(taken.setdefault(row.amount, []), row.date.toordinal())
    candidates = [row for row in rows if row.place == "overlap"]
    rng.shuffle(candidates)
    chosen = 0
    for row in candidates:
        if chosen == wanted:
            break
        days = taken.setdefault(row.amount, [])
        day = row.date.toordinal()
        nearby = bisect.bisect_left(days, day - FALLBACK_SPACING)
        if nearby < len(days) and days[nearby] <= day + FALLBACK_SPACING:
            continue
        bisect.insort(days, day)
        row.books = "hand"
        chosen += 1
    return chosen


def other_transaction(rng: random.Random, day: datetime.date, roster: Roster) -> str:
    """One of the books' transactions off the bank account."""
    kind = pick(rng, OTHER_KINDS)
    if kind == "purchase":
        member = roster.pick(rng, day)
        amount = money(rng, 3, 120)
        return posting_lines(f'{day} * "{member.name}" "Purchases on account"', (
            (f"Assets:Members:{member.key}:Receivable", amount),
            ("Income:Sales:Members", -amount)))
    if kind == "paid-by-member":
        member = roster.pick(rng, day)
        amount = money(rng, 5, 250)
        return posting_lines(f'{day} * "{member.name}" "Supplies paid out of pocket"', (
            ("Expenses:Supplies", amount), (f"Liabilities:Members:{member.key}:Payable", None)))
    amount = money(rng, 2, 80)
    return posting_lines(f'{day} * "Cash sales"', (
        ("Assets:Cash", amount), ("Income:Sales:Public", -amount)))


def posting_lines(head: str, postings: tuple[tuple[str, Decimal | None], ...],
                  meta: tuple[tuple[str, str], ...] = ()) -> str:
    lines = [head, *(f'  {key}: "{value}"' for key, value in meta)]
    for account, number in postings:
        lines.append(f"  {account:<40} {number:>10.2f} {CURRENCY}" if number is not None
                     else f"  {account}")
    return "\n".join(lines)


def generate(args: argparse.Namespace) -> Plan:
    """The members, the bank transactions (books and statement) and the other transactions.

    Bank transactions run at `--per-day` a day: first the books' own (before the
    statement), then the statement's overlapping days (rows in the books, and `missed`
    ones), then the statement's days after the books end.
    """
    rng = random.Random(f"{args.seed}:bank")
    rows_wanted = args.rows
    overlap = round(rows_wanted * args.overlap)
    missed = round((rows_wanted - overlap) * args.missed)
    after = rows_wanted - overlap - missed
    bank_books = round(args.transactions * args.bank_share)
    before = bank_books - overlap
    if before < 0:
        raise BenchmarkError(
            f"the books' {bank_books:,} bank transactions (--transactions x --bank-share) are "
            f"fewer than the statement's {overlap:,} overlapping rows")
    start = datetime.date.fromisoformat(args.start)
    before_days = math.ceil(before / args.per_day)
    overlap_from = start + before_days * DAY
    overlap_days = max(1, math.ceil((overlap + missed) / args.per_day))
    end = overlap_from + (overlap_days - 1) * DAY
    after_days = max(1, math.ceil(after / args.per_day))

    members = gen_members(random.Random(f"{args.seed}:members"), args.members, start,
                          start + (end - start) / 2)
    roster = Roster(members)
    rows = [bank_row(rng, day, roster) for day in spread(rng, before, start, before_days)]
    for row in rows:
        row.place = "before"
        hand_era = row.date < start + (overlap_from - start) * HAND_ERA
        # (and never near the statement, whose fallback window starts two days before it)
        hand_era = hand_era and row.date < overlap_from - 2 * FALLBACK_SPACING * DAY
        row.books = "hand" if hand_era else "imported"
    in_overlap = [bank_row(rng, day, roster)
                  for day in spread(rng, overlap + missed, overlap_from, overlap_days)]
    for index in rng.sample(range(len(in_overlap)), overlap):
        in_overlap[index].place = "overlap"
    for row in in_overlap:
        row.place = row.place or "missed"
    later = [bank_row(rng, day, roster)
             for day in spread(rng, after, end + DAY, after_days)]
    for row in later:
        row.place = "after"
    rows += in_overlap + later

    wanted = round(overlap * args.by_hand)
    by_hand = choose_by_hand(random.Random(f"{args.seed}:by-hand"), rows, wanted)
    if by_hand < wanted:
        progress(f"note: only {by_hand:,} of the {wanted:,} hand-written overlapping rows "
                 "wanted have an amount no nearby row has")
    for row in rows:
        if row.place == "overlap" and not row.books:
            row.books = "imported"
        row.book_date = row.date if row.books else None
        if row.books == "hand" and rng.random() < BOOK_DATE_OFF:
            day = row.date + rng.choice((-2, -1, 1, 2)) * DAY
            if start <= day <= end and (row.member is None or row.member.joined <= day):
                row.book_date = day
    for number, row in enumerate(rows, 1):
        row.bank_id = f"CSB{row.date:%Y%m%d}{number:07d}"

    plan = Plan(args.seed, start, end, members, rows)
    other_rng = random.Random(f"{args.seed}:other")
    others = args.transactions - bank_books - 1  # and the opening balance
    for day in spread(other_rng, max(0, others), start, (end - start).days + 1):
        plan.others.append((day, other_transaction(other_rng, day, roster)))
    plan.counts.update({
        "statement_rows": rows_wanted, "overlap": overlap, "overlap_by_hand": by_hand,
        "overlap_by_id": overlap - by_hand, "missed": missed, "after": after,
        "books_bank": bank_books, "books_bank_by_hand": sum(r.books == "hand" for r in rows),
        "books_other": len(plan.others) + 1})
    return plan


def member_text(member: Member) -> str:
    lines = [f'{member.joined} custom "coop-member" "{member.key}" "{member.name}"']
    if member.iban:
        lines.append(f'  iban: "{member.iban}"')
    if member.bank_name:
        lines.append(f'  bank-name: "{member.bank_name}"')
    return "\n".join(lines)


def book_entry(row: BankRow, importer: BankImporter, ids: dedupe.RowIds) -> str:
    """The row in the books: as the importer wrote it (the placeholder of an unmatched row
    replaced by the bookkeeper), or as the bookkeeper typed it."""
    assert row.book_date is not None
    if row.books == "hand":
        payee = row.member.name if row.member is not None else row.payee.title()
        return posting_lines(f'{row.book_date} * "{payee}" "{row.memo}"',
                             ((BANK, row.amount), (row.account, None)))
    meta = [("import-id", importer.row_id(ids, StatementRow(
                number=0, date=row.date, amount=row.amount, currency=CURRENCY,
                transaction_id=row.bank_id))),
            ("bank-id", row.bank_id)]
    if row.counterparty_account:
        meta.append(("counterparty-account", row.counterparty_account))
    if row.how:
        meta.append(("coop-match", row.how))
    return posting_lines(f'{row.date} * "{row.payee}" "{row.memo}"',
                         ((BANK, row.amount), (row.account, -row.amount)), tuple(meta))


def books_text(plan: Plan, importer: BankImporter) -> tuple[str, dict[str, int]]:
    """The books' text, and the line of each bank row's entry (by bank id)."""
    header = [
        f"; Benchmark books from benchmarks/bench_import.py: seed {plan.seed}.",
        'option "title" "Benchmark co-op (imports)"',
        f'option "operating_currency" "{CURRENCY}"',
        f'plugin "{PLUGIN_MODULE}" "{{\'as_of\': \'{plan.end}\'}}"',
        "",
    ]
    items: list[tuple[datetime.date, int, int, str, str]] = []
    for account in ACCOUNTS:
        items.append((plan.start, 0, len(items), f"{plan.start} open {account}", ""))
    for member in plan.members:
        items.append((member.joined, 1, len(items), member_text(member), ""))
    items.append((plan.start, 2, len(items), posting_lines(
        f'{plan.start} * "Opening balance"',
        ((BANK, OPENING_BALANCE), ("Equity:Opening-Balances", None))), ""))
    ids = dedupe.RowIds()
    for row in plan.rows:
        if row.books:
            assert row.book_date is not None
            items.append((row.book_date, 2, len(items), book_entry(row, importer, ids),
                          row.bank_id))
    for day, text in plan.others:
        items.append((day, 2, len(items), text, ""))
    items.sort()
    where: dict[str, int] = {}
    line = len(header) + 1
    for *_, text, tag in items:
        if tag:
            where[tag] = line
        line += text.count("\n") + 2
    body = "\n\n".join(text for *_, text, _ in items)
    return "\n".join(header) + "\n" + body + "\n", where


def statement_text(plan: Plan) -> str:
    """The bank's CSV: oldest first, debit and credit columns, a running balance (which
    the books reach once the new rows are in them)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STATEMENT_HEADER)
    balance = OPENING_BALANCE + sum(row.amount for row in plan.rows if row.place == "before")
    for row in plan.statement:
        balance += row.amount
        amount = f"{abs(row.amount):,.2f}"
        writer.writerow((f"{row.date:%m/%d/%Y}", row.bank_id, row.type, row.payee,
                         row.counterparty_account, row.memo,
                         amount if row.amount < 0 else "", amount if row.amount >= 0 else "",
                         f"{balance:,.2f}"))
    return out.getvalue()


def config_text(plan: Plan) -> str:
    configured = [m for m in plan.members if m.configured_name]
    names = "\n".join(f'    "{m.configured_name}": {m.key}' for m in configured) or "    {}"
    return IMPORT_YAML.format(names=names, bank=BANK, currency=CURRENCY, clients=CLIENTS_ACCOUNT,
                              unknown_inflow=UNKNOWN_INFLOW, unknown_outflow=UNKNOWN_OUTFLOW)


# --------------------------------------------------------------------------------------
# In-process: the parts of an extraction, and the checks


def bank_importer(config: Path) -> BankImporter:
    importers = load_config(config).importers
    if len(importers) != 1 or not isinstance(importers[0], BankImporter):
        raise BenchmarkError(f"{config} should configure one bank importer")
    return importers[0]


def extract_parts(importer: BankImporter, statement: str,
                  existing: list[Any]) -> tuple[list[Any], dict[str, float]]:
    """One extraction as `coop import extract` does it; the seconds of each part."""
    times: dict[str, float] = {}
    started = time.perf_counter()
    entries = importer.extract(statement, existing)
    times["extract"] = time.perf_counter() - started
    started = time.perf_counter()
    importer.sort(entries)  # what beangulp's extract_from_file does after extract
    for entry in entries:
        data.sanity_check_types(entry)
    times["sort + type check"] = time.perf_counter() - started
    started = time.perf_counter()
    importer.deduplicate(entries, list(existing))
    times["deduplicate"] = time.perf_counter() - started
    return entries, times


def format_entries(entries: list[Any]) -> float:
    """Seconds to print every entry as the dry run does (duplicates too, commented out)."""
    started = time.perf_counter()
    for entry in entries:
        printer.format_entry(entry)
    return time.perf_counter() - started


def check_extracted(plan: Plan, where: dict[str, int], books: Path,
                    entries: list[Any]) -> dict[str, Any]:
    """The duplicates are the overlapping rows (each pointing at its own entry), the new
    entries are the other rows and the balance assertion, and every row matched as made."""
    rows = {row.bank_id: row for row in plan.statement}
    problems: list[str] = []
    duplicates = new = balances = 0
    hows: Counter = Counter()
    wrong_matches: list[str] = []
    books_name = str(books)
    for entry in entries:
        if isinstance(entry, data.Balance):
            balances += 1
            if entry.meta.get(dedupe.DUPLICATE):
                problems.append(f"the balance assertion on {entry.date} is marked a duplicate")
            continue
        row = rows.get(entry.meta.get("bank-id", ""))
        if row is None:
            problems.append(f"an entry with no row of the statement: {entry.meta}")
            continue
        how = entry.meta.get("coop-match")
        hows[how or "not matched"] += 1
        if how != row.how and len(wrong_matches) < 5:
            wrong_matches.append(f"{row.bank_id} ({row.kind}): {how!r}, not {row.how!r} "
                                 f"({entry.meta.get('coop-note')})")
        if entry.meta.get(dedupe.DUPLICATE):
            duplicates += 1
            expected = f"{books_name}:{where.get(row.bank_id)}"
            if row.place != "overlap":
                problems.append(f"{row.bank_id} ({row.place}) is not in the books but is "
                                f"marked a duplicate of {entry.meta.get(dedupe.DUPLICATE_OF)}")
            elif entry.meta.get(dedupe.DUPLICATE_OF) != expected:
                problems.append(f"{row.bank_id} is marked a duplicate of "
                                f"{entry.meta.get(dedupe.DUPLICATE_OF)}, not of {expected}")
        else:
            new += 1
            if row.place == "overlap":
                problems.append(f"{row.bank_id} ({row.books} in the books at "
                                f"{books_name}:{where.get(row.bank_id)}) is not found a "
                                "duplicate")
    counts = plan.counts
    if duplicates != counts["overlap"]:
        problems.append(f"{duplicates:,} duplicates found, the statement has "
                        f"{counts['overlap']:,} rows in the books")
    if new != counts["missed"] + counts["after"]:
        problems.append(f"{new:,} new transactions, the statement has "
                        f"{counts['missed'] + counts['after']:,} rows not in the books")
    if balances != 1:
        problems.append(f"{balances} balance assertions, not 1")
    mismatched = sum(1 for entry in entries if not isinstance(entry, data.Balance)
                     and entry.meta.get("coop-match")
                     != rows[entry.meta["bank-id"]].how) if wrong_matches else 0
    if wrong_matches:
        problems.append(f"{mismatched:,} rows matched otherwise than generated, e.g.:\n    "
                        + "\n    ".join(wrong_matches))
    if problems:
        raise BenchmarkError("the extraction is wrong:\n  " + "\n  ".join(problems[:20]))
    return {"duplicates": duplicates, "new_transactions": new, "balances": balances,
            "matched_by": dict(sorted(hows.items()))}


def time_in_process(books: Path, statement: Path, config: Path, plan: Plan,
                    where: dict[str, int], repeat: int, profile_rows: int) -> dict[str, Any]:
    progress("loading the books in-process (load_books, as the command does)")
    started = time.perf_counter()
    loaded = load_books(books)
    load_s = time.perf_counter() - started
    if loaded.errors:
        shown = "\n".join(format_error(e) for e in loaded.errors[:5])
        raise BenchmarkError(f"{books} does not check clean ({len(loaded.errors)} "
                             f"error(s)):\n{shown}")
    existing = loaded.entries
    importer = bank_importer(config)
    runs: list[dict[str, float]] = []
    checked: dict[str, Any] = {}
    for index in range(repeat):
        entries, times = extract_parts(importer, str(statement), existing)
        times["format"] = format_entries(entries)
        runs.append(times)
        if index == 0:
            checked = check_extracted(plan, where, books, entries)
        progress(f"in-process run {index + 1}/{repeat}: " + ", ".join(
            f"{name} {seconds:.2f} s" for name, seconds in times.items()))
        del entries
    profile = None
    if profile_rows:
        progress("profiling extract + sort + deduplicate")
        profiler = cProfile.Profile()
        profiler.enable()
        extract_parts(importer, str(statement), existing)
        profiler.disable()
        report = io.StringIO()
        stats = pstats.Stats(profiler, stream=report).strip_dirs()
        stats.sort_stats("tottime").print_stats(profile_rows)
        stats.sort_stats("cumulative").print_stats(profile_rows)
        profile = report.getvalue()
    counts = Counter(type(e).__name__ for e in existing)
    return {"load_s": load_s, "runs": runs, "checked": checked, "profile": profile,
            "books_entries": dict(counts)}


# --------------------------------------------------------------------------------------
# Subprocesses: bean-check and coop import extract, alternately


_DRY_RUN = re.compile(r"Dry run: (\d+) new entr")


def _check_phases(wall: float, phases: dict[str, int]) -> tuple[float, dict[str, Any]]:
    return wall, {"phases_ms": phases}


def run_extract(coop: Path, books: Path, statement: Path,
                env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    proc = subprocess.run([str(coop), "import", "extract", str(books), str(statement),
                           "--dry-run"], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise BenchmarkError(f"coop import extract exited {proc.returncode}:\n"
                             + proc.stderr[-3000:])
    found = _DRY_RUN.search(proc.stderr)
    duplicates = None
    for line in proc.stderr.splitlines():
        cells = line.split()
        if cells and cells[0] == statement.name and len(cells) >= 5:
            duplicates = int(cells[3])
    return wall, {"new": int(found.group(1)) if found else None, "duplicates": duplicates}


def time_subprocesses(books: Path, statement: Path, repeat: int,
                      warmup: int) -> dict[str, list[tuple[float, dict[str, Any]]]]:
    bin_dir = Path(sys.executable).parent
    bean_check, coop = bin_dir / "bean-check", bin_dir / "coop"
    for tool in (bean_check, coop):
        if not tool.exists():
            raise BenchmarkError(f"no {tool.name} next to {sys.executable}")
    env = dict(os.environ, BEANCOUNT_DISABLE_LOAD_CACHE="1")
    sides: dict[str, Callable[[], tuple[float, dict[str, Any]]]] = {
        "bean-check": lambda: _check_phases(*run_check(bean_check, books, env)),
        "extract": lambda: run_extract(coop, books, statement, env),
    }
    for index in range(warmup):
        for name, run in sides.items():
            progress(f"warm-up {index + 1}/{warmup}: {name}")
            run()
    runs: dict[str, list[tuple[float, dict[str, Any]]]] = {name: [] for name in sides}
    order = list(sides)
    for index in range(repeat):
        # Alternate, and swap the order every round so drift hits both sides alike.
        for name in order if index % 2 == 0 else order[::-1]:
            progress(f"run {index + 1}/{repeat}: {name}")
            wall, extra = sides[name]()
            runs[name].append((wall, extra))
            progress(f"  {wall:.2f} s")
    return runs


# --------------------------------------------------------------------------------------
# Report


def report(figures: dict[str, Any]) -> str:
    books, counts = figures["books"], figures["counts"]
    check, extract = figures["bean_check"], figures["extract"]
    in_process = figures["in_process"]
    machine = figures["machine"]
    lines = [
        f"Machine: {machine['cpus']} CPUs, Python {figures['python']}, "
        f"{figures['beancount']}; load average {machine['load_before'][0]:.2f} before, "
        f"{machine['load_average'][0]:.2f} after (1 min).",
        f"Books: {books['transactions']:,} transactions ({counts['books_bank']:,} on {BANK}: "
        f"{counts['books_bank'] - counts['books_bank_by_hand']:,} imported earlier with an "
        f"import-id, {counts['books_bank_by_hand']:,} written by hand; "
        f"{counts['books_other']:,} others), {books['members']:,} members, "
        f"{books['size_bytes'] / 1e6:.1f} MB, {books['start']} to {books['end']}.",
        f"Statement: {counts['statement_rows']:,} rows ({figures['statement_bytes'] / 1e6:.1f} "
        f"MB): {counts['overlap']:,} in the books ({counts['overlap_by_id']:,} by import-id, "
        f"{counts['overlap_by_hand']:,} as hand-written entries), "
        f"{counts['missed'] + counts['after']:,} new ({counts['missed']:,} within the "
        f"overlapping days, {counts['after']:,} after the books end).",
        f"Extracted: {in_process['checked']['duplicates']:,} duplicates, "
        f"{in_process['checked']['new_transactions']:,} new transactions and "
        f"{in_process['checked']['balances']} balance assertion, as generated; matched by: "
        + ", ".join(f"{how} {n:,}" for how, n in in_process["checked"]["matched_by"].items())
        + ".",
        "",
        f"Wall time, {figures['repeat']} runs each, alternating (cache off):",
        "",
        f"{'':<56}{'median':>9}{'min':>9}",
        f"{'(a) bean-check -v books':<56}{check['median_s']:>9.2f}{check['min_s']:>9.2f}",
        f"{'(b) coop import extract books statement --dry-run':<56}"
        f"{extract['median_s']:>9.2f}{extract['min_s']:>9.2f}",
        f"{'ratio (b) / (a)':<56}{figures['ratio_median']:>9.2f}{figures['ratio_min']:>9.2f}",
        "",
        "bean-check's loader, median (ms): " + ", ".join(
            f"{name} {ms:,.0f}" for name, ms in check["phases_median_ms"].items()),
        "",
        f"In-process, on the loaded books ({figures['repeat']} runs; load_books once: "
        f"{in_process['load_s']:.2f} s):",
    ]
    for name, values in in_process["parts"].items():
        lines.append(f"  {name:<54}{statistics.median(values):>9.2f}{min(values):>9.2f}")
    lines.append(f"  {'extract + deduplicate (the parts above but format)':<54}"
                 f"{in_process['extract_dedupe_median_s']:>9.2f}")
    limit = figures.get("max_ratio")
    if limit is not None:
        verdict = "within" if figures["ratio_median"] <= limit else "ABOVE"
        lines += ["", f"Limit {limit}: {verdict} (median ratio {figures['ratio_median']:.2f})."]
    return "\n".join(lines)


def side(runs: list[tuple[float, dict[str, Any]]]) -> dict[str, Any]:
    walls = [wall for wall, _ in runs]
    phases: dict[str, list[int]] = {}
    for _, extra in runs:
        for name, ms in extra.get("phases_ms", {}).items():
            phases.setdefault(name, []).append(ms)
    return {"wall_s": walls, "median_s": statistics.median(walls), "min_s": min(walls),
            "runs": [extra for _, extra in runs],
            "phases_median_ms": {name: statistics.median(v) for name, v in phases.items()
                                 if name in ("parse", "booking", "run_transformations",
                                             "beancount.ops.validate",
                                             "beancount.loader (total)")}}


# --------------------------------------------------------------------------------------
# A big statement written with --to (issue 15): peak memory against bean-check


#: In --big mode, at most this share of the books' bank transactions overlap the statement.
BIG_OVERLAP_SHARE = 0.4
_APPENDED = re.compile(r"Appended (\d+) entr")


#: Runs the command given in its arguments and prints its rusage as JSON. The benchmark
#: holds the generated statement (a gigabyte at a million rows), and a child forked from it
#: counts that in its max RSS until it execs: this small process forks the command instead.
_MEASURE = """
import json, os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss,
                  "cpu_s": usage.ru_utime + usage.ru_stime}))
"""


def run_child(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run `command` (stdout thrown away); its wall and CPU seconds (user + system) and its
    peak memory (max RSS of that process alone, from os.wait4 in a small process that
    starts it: `_MEASURE`), and what it printed on stderr."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *command], env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    try:
        usage = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        usage = {"code": proc.returncode}
    if proc.returncode != 0 or usage["code"] != 0:
        raise BenchmarkError(f"{' '.join(command)} exited {usage['code']}:\n"
                             + proc.stderr[-3000:])
    return {"wall_s": wall, "cpu_s": usage["cpu_s"], "max_rss_mb": usage["maxrss_kb"] / 1024,
            "stderr": proc.stderr}


def run_big(args: argparse.Namespace, workdir: Path, command: list[str]) -> dict[str, Any]:
    """--big ROWS: a ROWS-row statement into the books with `--to`, beside bean-check on
    the books before and after (one run each: at a million rows each takes minutes)."""
    load_before = os.getloadavg()
    books, statement = workdir / BOOKS_NAME, workdir / STATEMENT_NAME
    config = workdir / CONFIG_NAME
    args.rows = args.big
    bank_books = round(args.transactions * args.bank_share)
    args.overlap = min(args.overlap, BIG_OVERLAP_SHARE * bank_books / args.rows)
    progress(f"generating {args.rows:,} rows against {args.transactions:,} transactions")
    plan = generate(args)
    config.write_text(config_text(plan))
    importer = bank_importer(config)
    progress(f"writing {books}")
    text, _ = books_text(plan, importer)
    books.write_text(text)
    del text
    progress(f"writing {statement}")
    statement.write_text(statement_text(plan))
    counts = dict(plan.counts)
    statement_bytes = statement.stat().st_size
    books_bytes = books.stat().st_size
    del plan, importer
    gc.collect()
    bin_dir = Path(sys.executable).parent
    bean_check, coop = str(bin_dir / "bean-check"), str(bin_dir / "coop")
    env = dict(os.environ, BEANCOUNT_DISABLE_LOAD_CACHE="1")
    expected = counts["missed"] + counts["after"] + 1  # and the balance assertion
    steps = (
        ("bean-check before", [bean_check, str(books)]),
        ("dry run", [coop, "import", "extract", str(books), str(statement), "--dry-run"]),
        ("import --to", [coop, "import", "extract", str(books), str(statement),
                         "--to", str(books)]),
        ("bean-check after", [bean_check, str(books)]),
    )
    results: dict[str, dict[str, Any]] = {}
    for name, step in steps:
        progress(f"{name}: {' '.join(step[1:])}")
        result = run_child(step, env)
        progress(f"  {result['cpu_s']:.1f} s CPU, {result['wall_s']:.1f} s wall, max RSS "
                 f"{result['max_rss_mb']:,.0f} MB")
        results[name] = result
    dry = _DRY_RUN.search(results["dry run"]["stderr"])
    written = _APPENDED.search(results["import --to"]["stderr"])
    found = [int(dry.group(1)) if dry else None,
             int(written.group(1)) if written else None]
    if found != [expected, expected]:
        raise BenchmarkError(f"the dry run found {found[0]} and the import wrote {found[1]} "
                             f"new entries; the statement has {expected:,} (with its "
                             "balance assertion)")
    for result in results.values():
        del result["stderr"]
    after = results["bean-check after"]["max_rss_mb"]
    before = results["bean-check before"]["max_rss_mb"]
    return {
        "command": command, "python": platform.python_version(),
        "beancount": BEANCOUNT_VERSION,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_before": load_before, "load_average": os.getloadavg()},
        "seed": args.seed, "counts": counts, "new_entries": expected,
        "books_bytes": books_bytes, "books_after_bytes": books.stat().st_size,
        "statement_bytes": statement_bytes, "steps": results,
        "import_rss_over_check_after": results["import --to"]["max_rss_mb"] / after,
        "import_rss_over_check_before": results["import --to"]["max_rss_mb"] / before,
        "dry_run_rss_over_check_before": results["dry run"]["max_rss_mb"] / before,
        "max_memory_ratio": args.max_memory_ratio,
    }


def report_big(figures: dict[str, Any]) -> str:
    counts, steps, machine = figures["counts"], figures["steps"], figures["machine"]
    lines = [
        f"Machine: {machine['cpus']} CPUs, Python {figures['python']}, "
        f"{figures['beancount']}; load average {machine['load_before'][0]:.2f} before, "
        f"{machine['load_average'][0]:.2f} after (1 min).",
        f"Books before: {counts['books_bank'] + counts['books_other']:,} transactions, "
        f"{figures['books_bytes'] / 1e6:.1f} MB; after the import "
        f"{figures['books_after_bytes'] / 1e6:.1f} MB.",
        f"Statement: {counts['statement_rows']:,} rows, "
        f"{figures['statement_bytes'] / 1e6:.1f} MB: {counts['overlap']:,} already in the "
        f"books (found duplicates), {figures['new_entries']:,} new entries written (with "
        "the balance assertion).",
        "",
        f"{'one run each (cache off)':<44}{'CPU s':>9}{'wall s':>9}{'max RSS MB':>12}",
    ]
    for name, label in (("bean-check before", "bean-check books (before)"),
                        ("dry run", "coop import extract --dry-run"),
                        ("import --to", "coop import extract --to books"),
                        ("bean-check after", "bean-check books (after the import)")):
        step = steps[name]
        lines.append(f"{label:<44}{step['cpu_s']:>9.1f}{step['wall_s']:>9.1f}"
                     f"{step['max_rss_mb']:>12,.0f}")
    lines += [
        "",
        f"Peak memory, import --to / bean-check after:  "
        f"{figures['import_rss_over_check_after']:.2f} (the fair floor: the write checks "
        "the books it produces)",
        f"Peak memory, import --to / bean-check before: "
        f"{figures['import_rss_over_check_before']:.2f}",
        f"Peak memory, dry run / bean-check before:     "
        f"{figures['dry_run_rss_over_check_before']:.2f}",
    ]
    limit = figures.get("max_memory_ratio")
    if limit is not None:
        verdict = ("within" if figures["import_rss_over_check_after"] <= limit else "ABOVE")
        lines += ["", f"Limit {limit} (import / bean-check after): {verdict}."]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Benchmark `coop import extract` (a large bank statement, duplicates "
        "detected against large books) against bean-check on the same books.")
    ap.add_argument("--rows", type=int, default=100_000,
                    help="rows of the statement (default 100000)")
    ap.add_argument("--transactions", type=int, default=100_000,
                    help="transactions in the books (default 100000)")
    ap.add_argument("--members", type=int, default=1000, help="members (default 1000)")
    ap.add_argument("--bank-share", type=float, default=0.7, metavar="FRACTION",
                    help=f"fraction of the books' transactions on {BANK} (default 0.7)")
    ap.add_argument("--overlap", type=float, default=1 / 3, metavar="FRACTION",
                    help="fraction of the statement's rows already in the books (default 1/3)")
    ap.add_argument("--by-hand", type=float, default=0.1, metavar="FRACTION",
                    help="fraction of those the books hold as hand-written entries, without "
                    "an import-id (default 0.1)")
    ap.add_argument("--missed", type=float, default=0.05, metavar="FRACTION",
                    help="fraction of the new rows dated within the overlapping days "
                    "(default 0.05)")
    ap.add_argument("--per-day", type=int, default=40,
                    help="bank transactions a day (default 40)")
    ap.add_argument("--start", default="2020-01-01", help="the books' first day")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each command, and in-process runs (default 3)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="untimed runs of each command first (default 1)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="write the files into DIR and keep them (default: a temporary "
                    "directory, removed at the end)")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE")
    ap.add_argument("--max-ratio", type=float, metavar="RATIO",
                    help="exit 1 when the median ratio (b)/(a) is above RATIO")
    ap.add_argument("--profile", type=int, default=0, metavar="ROWS",
                    help="cProfile one in-process extract + deduplicate, print the top ROWS "
                    "functions")
    ap.add_argument("--big", type=int, metavar="ROWS",
                    help="instead: import a ROWS-row statement with --to into the books, "
                    "one run, reporting CPU time and peak memory (max RSS) beside bean-check "
                    "on the books before and after (issue 15: --big 1000000)")
    ap.add_argument("--max-memory-ratio", type=float, metavar="RATIO",
                    help="with --big: exit 1 when the import's max RSS is above RATIO times "
                    "bean-check's on the books after it")
    args = ap.parse_args(argv)
    if args.big is not None and args.big < 1:
        ap.error("--big must be at least 1")
    if min(args.rows, args.transactions, args.members, args.repeat, args.per_day) < 1:
        ap.error("--rows, --transactions, --members, --repeat and --per-day must be at least 1")
    if args.warmup < 0:
        ap.error("--warmup must be at least 0")
    for name in ("bank_share", "overlap", "by_hand", "missed"):
        if not 0 <= getattr(args, name) <= 1:
            ap.error(f"--{name.replace('_', '-')} must be from 0 to 1")
    try:
        datetime.date.fromisoformat(args.start)
    except ValueError:
        ap.error(f"--start must be a date YYYY-MM-DD, not {args.start!r}")
    return args


def run(args: argparse.Namespace, workdir: Path, command: list[str]) -> dict[str, Any]:
    load_before = os.getloadavg()
    books, statement = workdir / BOOKS_NAME, workdir / STATEMENT_NAME
    config = workdir / CONFIG_NAME
    progress("generating")
    plan = generate(args)
    config.write_text(config_text(plan))
    importer = bank_importer(config)
    progress(f"writing {books}")
    text, where = books_text(plan, importer)
    books.write_text(text)
    del text
    progress(f"writing {statement}")
    statement.write_text(statement_text(plan))

    in_process = time_in_process(books, statement, config, plan, where, args.repeat,
                                 args.profile)
    gc.collect()
    runs = time_subprocesses(books, statement, args.repeat, args.warmup)
    check, extract = side(runs["bean-check"]), side(runs["extract"])
    counts = plan.counts
    for result in extract["runs"]:
        if (result["duplicates"], result["new"]) != (counts["overlap"],
                                                      counts["missed"] + counts["after"] + 1):
            raise BenchmarkError(
                f"coop import extract found {result['duplicates']} duplicates and "
                f"{result['new']} new entries; the statement has {counts['overlap']:,} rows "
                f"in the books and {counts['missed'] + counts['after']:,} new ones (and a "
                "balance assertion)")
    parts: dict[str, list[float]] = {}
    for times in in_process["runs"]:
        for name, seconds in times.items():
            parts.setdefault(name, []).append(seconds)
    extract_dedupe = [sum(v for k, v in times.items() if k != "format")
                      for times in in_process["runs"]]
    entries = in_process["books_entries"]
    return {
        "command": command,
        "python": platform.python_version(),
        "beancount": BEANCOUNT_VERSION,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_before": load_before, "load_average": os.getloadavg()},
        "seed": args.seed,
        "repeat": args.repeat,
        "warmup": args.warmup,
        "books": {"transactions": entries.get("Transaction", 0), "members": args.members,
                  "entries": entries, "start": str(plan.start), "end": str(plan.end),
                  "size_bytes": books.stat().st_size,
                  "path": str(books) if args.keep else None},
        "statement_bytes": statement.stat().st_size,
        "counts": dict(counts),
        "bean_check": check,
        "extract": extract,
        "ratio_median": extract["median_s"] / check["median_s"],
        "ratio_min": extract["min_s"] / check["min_s"],
        "max_ratio": args.max_ratio,
        "in_process": {"load_s": in_process["load_s"], "parts": parts,
                       "extract_dedupe_s": extract_dedupe,
                       "extract_dedupe_median_s": statistics.median(extract_dedupe),
                       "checked": in_process["checked"]},
        "profile": in_process["profile"],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.big is not None:
        figures = run_benchmark("bench_import", args, argv, run_big, report_big,
                                lambda figures: {})
        if figures is None:
            return 2
        limit = args.max_memory_ratio
        return 1 if limit is not None and figures["import_rss_over_check_after"] > limit else 0
    figures = run_benchmark("bench_import", args, argv, run, report, lambda figures: {
        "one in-process extract + sort + deduplicate": figures["profile"]})
    if figures is None:
        return 2
    limit = args.max_ratio
    return 1 if limit is not None and figures["ratio_median"] > limit else 0


if __name__ == "__main__":
    sys.exit(main())
