"""Clients' invoices in loaded books: what is open and how late, what members earned.

    coop receivables main.beancount [--as-of D] [--per invoice|client|member]
    coop earnings main.beancount [--member K] [--from D] [--to D]
    coop invoice new main.beancount Cascade --period 2026-03 --to 2026.beancount
    coop invoice print main.beancount 7 [8 ...] --out invoices/

Reads the invoices the plugin booked (`coop-generated: "invoice"`), the other
postings to the clients' accounts (payments, credit notes), applied to a client's
open invoices oldest first, and the payroll's wages (postings to the wages account
with `member:`). A member's part of an open invoice is the invoice's open amount
shared by their billings on it with the project's one exact-cents rule (largest
remainder), so the parts add up to what the client owes.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from beancount.core import data
from beancount.parser.grammar import ValueType  # what the parser wraps custom values in

from coop_beancount.books.invoices import INVOICE, invoice_work, wages_account
from coop_beancount.books.patronage import GENERATED, is_under
from coop_beancount.core.allocation import allocate
from coop_beancount.core.invoicing import InvoiceLine, Rates, invoice_lines
from coop_beancount.core.records import BillableWork, InvoiceDecision
from coop_beancount.reports.view import CoopBooks

#: Days past the due date that start each age bucket (the last is open-ended).
BUCKETS = ((0, "current"), (1, "1-30"), (31, "31-60"), (61, "61-90"), (91, "90+"))


def age_bucket(days_late: int) -> str:
    """"current" for an invoice not yet due, else the 30-day bucket of its lateness."""
    label = BUCKETS[0][1]
    for start, name in BUCKETS:
        if days_late >= start:
            label = name
    return label


@dataclass
class BookedInvoice:
    """An invoice as the plugin booked it, and what the client has paid of it."""

    number: int
    client: str
    client_name: str
    date: datetime.date
    due: datetime.date
    account: str
    currency: str
    total: Decimal
    #: member -> (billed, fee, earned)
    members: dict[str, tuple[Decimal, Decimal, Decimal]]
    entry: data.Transaction
    paid: Decimal = Decimal(0)

    @property
    def open(self) -> Decimal:
        return self.total - self.paid

    def days_late(self, as_of: datetime.date) -> int:
        return (as_of - self.due).days

    def member_parts(self) -> dict[str, Decimal]:
        """The open amount shared by each member's billings on the invoice, to the cent."""
        if not self.open:
            return {}
        return allocate(self.open, {m: b for m, (b, _, _) in self.members.items()}, None)


@dataclass
class Receivables:
    invoices: list[BookedInvoice] = field(default_factory=list)
    #: Payments no open invoice was left for: (client, currency) -> amount.
    unapplied: dict[tuple[str, str], Decimal] = field(default_factory=dict)


def booked_invoices(books: CoopBooks, as_of: datetime.date | None = None) -> Receivables:
    """Every invoice up to `as_of` with what its client paid of it by then (oldest first)."""
    found: list[BookedInvoice] = []
    by_account: dict[str, list[BookedInvoice]] = defaultdict(list)
    for entry in books.entries:
        if type(entry) is not data.Transaction or (as_of and entry.date > as_of):
            continue
        if entry.meta.get(GENERATED) != INVOICE:
            continue
        receivable = entry.postings[0]
        members = {p.meta["member"]: (-p.units.number, p.meta["coop-fee"], p.meta["coop-earned"])
                   for p in entry.postings[1:]}
        invoice = BookedInvoice(
            int(entry.meta["coop-invoice"]), entry.meta["coop-client"], entry.payee or "",
            entry.date, entry.meta["coop-due"], receivable.account, receivable.units.currency,
            receivable.units.number, members, entry)
        found.append(invoice)
        by_account[invoice.account].append(invoice)
    credits: dict[str, list[tuple[datetime.date, Decimal, str]]] = defaultdict(list)
    if by_account:
        for entry in books.entries:
            if type(entry) is not data.Transaction or (as_of and entry.date > as_of):
                continue
            if entry.meta.get(GENERATED) == INVOICE:
                continue
            for posting in entry.postings:
                if posting.account in by_account:
                    credits[posting.account].append(
                        (entry.date, -posting.units.number, posting.units.currency))
    result = Receivables(sorted(found, key=lambda i: (i.date, i.number)))
    for account, invoices in by_account.items():
        invoices.sort(key=lambda i: (i.date, i.number))
        for _, amount, currency in sorted(credits.get(account, []), key=lambda c: c[0]):
            for invoice in invoices:
                if amount <= 0:
                    break
                if invoice.currency != currency or invoice.open <= 0:
                    continue
                applied = min(amount, invoice.open)
                invoice.paid += applied
                amount -= applied
            if amount:
                key = (invoices[0].client, currency)
                result.unapplied[key] = result.unapplied.get(key, Decimal(0)) + amount
    return result


def receivables_day(books: CoopBooks, as_of: datetime.date | None) -> datetime.date:
    """The day invoices are aged and earnings counted to: `as_of` when given, else the
    books' last day (today for books with no entries)."""
    if as_of is not None:
        return as_of
    return max((entry.date for entry in books.entries), default=datetime.date.today())


def receivable_rows(books: CoopBooks, as_of: datetime.date, per: str = "invoice",
                    ) -> list[dict]:
    """Open invoices with their age, per invoice, per client (by age bucket) or per member."""
    receivables = booked_invoices(books, as_of)
    open_ = [i for i in receivables.invoices if i.open]
    if per == "invoice":
        return [{"client": i.client_name, "invoice": i.number, "date": i.date, "due": i.due,
                 "total": {i.currency: i.total}, "open": {i.currency: i.open},
                 "days_late": max(i.days_late(as_of), 0), "age": age_bucket(i.days_late(as_of))}
                for i in open_]
    if per == "client":
        rows: dict[str, dict] = {}
        for i in open_:
            row = rows.setdefault(i.client, {"client": i.client_name, "invoices": 0,
                                             **{name: {} for _, name in BUCKETS}, "open": {}})
            row["invoices"] += 1
            for key in (age_bucket(i.days_late(as_of)), "open"):
                row[key][i.currency] = row[key].get(i.currency, Decimal(0)) + i.open
        return [rows[k] for k in sorted(rows)]
    names = {k: m.name for k, m in books.records.members.items()}
    waiting: dict[str, dict] = {}
    for i in open_:
        for member, part in i.member_parts().items():
            row = waiting.setdefault(member, {"member": member, "name": names.get(member, ""),
                                              "invoices": 0, "open": {}, "late": {}})
            row["invoices"] += 1
            row["open"][i.currency] = row["open"].get(i.currency, Decimal(0)) + part
            if i.days_late(as_of) > 0:
                row["late"][i.currency] = row["late"].get(i.currency, Decimal(0)) + part
    return [waiting[k] for k in sorted(waiting)]


def earnings_rows(books: CoopBooks, start: datetime.date | None, end: datetime.date,
                  member: str | None = None) -> list[dict]:
    """Per member: billed, the co-op's fee, earned; wages paid; what is still to be paid
    (everything earned up to `end` less every wage paid up to `end`)."""
    names = {k: m.name for k, m in books.records.members.items()}
    rows: dict[tuple[str, str], dict] = {}

    def row(key: str, currency: str) -> dict:
        return rows.setdefault((key, currency), {
            "member": key, "name": names.get(key, ""), "currency": currency,
            "billed": Decimal(0), "fee": Decimal(0), "earned": Decimal(0), "paid": Decimal(0),
            "to_be_paid": Decimal(0)})

    for invoice in booked_invoices(books, end).invoices:
        for key, (billed, fee, earned) in invoice.members.items():
            if member and key != member:
                continue
            found = row(key, invoice.currency)
            found["to_be_paid"] += earned
            if start is None or invoice.date >= start:
                found["billed"] += billed
                found["fee"] += fee
                found["earned"] += earned
    records = books.records
    roots = {wages_account(books.chart, records, rule.date) for rule in records.fees
             if rule.member is None and rule.client is None}
    for entry in books.entries:
        if type(entry) is not data.Transaction or entry.date > end:
            continue
        for posting in entry.postings:
            if not roots or not is_under(posting.account, roots):
                continue
            key = (posting.meta or {}).get("member") or entry.meta.get("member")
            if key is None or (member and key != member):
                continue
            found = row(key, posting.units.currency)
            found["to_be_paid"] -= posting.units.number
            if start is None or entry.date >= start:
                found["paid"] += posting.units.number
    return [rows[k] for k in sorted(rows)]


@dataclass(frozen=True)
class PrintedInvoice:
    invoice: BookedInvoice
    lines: list[InvoiceLine]
    address: str
    names: dict[str, str]

    @property
    def file_name(self) -> str:
        return f"invoice-{self.invoice.number}-{self.invoice.client}.html"


def printed_invoices(books: CoopBooks, numbers: list[int]) -> list[PrintedInvoice]:
    """The invoices to print, with their lines worked out again by the plugin's rule."""
    records = books.records
    booked = {i.number: i for i in booked_invoices(books).invoices}
    missing = [n for n in numbers if n not in booked]
    if missing:
        raise LookupError(", ".join(str(n) for n in missing))
    rates = Rates(records.rates)
    work = {(i.client, i.number): items for i, items in invoice_work(records)}
    names = {k: m.name for k, m in records.members.items()}
    found = []
    for number in numbers:
        invoice = booked[number]
        lines, _ = invoice_lines(work.get((invoice.client, number), []), rates)
        client = records.clients.get(invoice.client)
        found.append(PrintedInvoice(invoice, lines, client.address if client else "", names))
    return found


def render_invoices(invoices: list[PrintedInvoice], coop_name: str, coop_address: str,
                    ) -> dict[str, str]:
    """File name -> printable HTML (print it, or save it as PDF, from a browser)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                              autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["money"] = lambda value: f"{value[0]:,} {value[1]}"
    template = environment.get_template("invoice.html")
    return {i.file_name: template.render(printed=i, invoice=i.invoice, coop=coop_name,
                                         coop_address=coop_address) for i in invoices}


class InvoiceRefused(ValueError):
    """Why `coop invoice new` writes no invoice (a message for the user)."""


@dataclass(frozen=True)
class NewInvoice:
    """The `coop-invoice` directive for a client's uninvoiced work, and what it bills."""

    entry: data.Custom
    client_name: str
    work: list[BillableWork]
    lines: list[InvoiceLine]
    due: datetime.date
    #: Work lines dated before the period that no invoice has billed yet (billed too).
    earlier: list[BillableWork]

    @property
    def number(self) -> int:
        return int(self.entry.values[1].value)

    @property
    def total(self) -> tuple[Decimal, str]:
        return (sum((line.amount for line in self.lines), Decimal(0)), self.lines[0].currency)


def new_invoices(books: CoopBooks, clients: list[str], start: datetime.date,
                 end: datetime.date, number: int | None = None, terms: int | None = None,
                 ) -> list[NewInvoice]:
    """`new_invoice` for each client in turn, numbered one after the other; no clients:
    every client with work not invoiced up to `end` (in key order)."""
    records = books.records
    invoices = list(records.invoices)
    if not clients:
        billed_to: dict[str, datetime.date] = {}
        for invoice in invoices:
            billed_to[invoice.client] = max(invoice.date, billed_to.get(invoice.client,
                                                                         invoice.date))
        clients = sorted({w.client for w in records.billable if w.date <= end
                          and w.date > billed_to.get(w.client, datetime.date.min)
                          and w.client in records.clients})
        if not clients:
            raise InvoiceRefused(f"no client has work to invoice up to {end}; record or "
                                 "import the work first")
    made = []
    for client in clients:
        found = new_invoice(books, client, start, end, number, terms, invoices)
        made.append(found)
        invoices.append(InvoiceDecision(end, client, found.number, found.entry.meta))
        number = None
    return made


def new_invoice(books: CoopBooks, client: str, start: datetime.date, end: datetime.date,
                number: int | None = None, terms: int | None = None,
                invoices: list[InvoiceDecision] | None = None) -> NewInvoice:
    """The invoice, dated `end`, of the client's work not invoiced yet up to `end`.

    By the plugin's rule (books/invoices.invoice_work) an invoice bills the client's work
    dated after the client's previous invoice up to its own date, so the directive is
    dated the period's last day, and work from before `start` that no invoice billed is
    billed with it (listed in `earlier`). `invoices`: the books' invoices [default: the
    records'], with any made before it in the same run. Refused, with the reason: an
    unknown client, a period the client's last invoice already reaches, an invoice dated
    before the books' last one (numbers run in date order), a number that is not the
    next, no work, work without a rate.
    """
    records = books.records
    found = records.clients.get(client)
    if found is None:
        known = ", ".join(sorted(records.clients)) or "none declared"
        raise InvoiceRefused(f"no client {client!r} in the books (clients: {known}); declare "
                             f'it with custom "coop-client" "{client}" "<name>"')
    invoices = sorted(records.invoices if invoices is None else invoices,
                      key=lambda i: (i.date, i.number))
    own = [i for i in invoices if i.client == client]
    if own and own[-1].date >= end:
        raise InvoiceRefused(
            f"{client}'s invoice {own[-1].number} is dated {own[-1].date}: it already bills "
            f"the work up to then, so there is nothing to invoice up to {end}")
    if invoices and invoices[-1].date > end:
        last = invoices[-1]
        raise InvoiceRefused(
            f"invoice {last.number} ({last.client}) is dated {last.date}, after {end}: "
            "invoices are numbered in date order, so a new one cannot be dated before the "
            "last; invoice a later period")
    after = own[-1].date if own else datetime.date.min
    work = [w for w in records.billable
            if w.client == client and after < w.date <= end]
    if not work:
        raise InvoiceRefused(
            f"no work for {client} to invoice up to {end}: no coop-work dated after "
            f"{'its invoice ' + str(own[-1].number) + ' of ' + str(after) if own else 'the start'}"
            "; record or import the work first")
    lines, problems = invoice_lines(work, Rates(records.rates))
    if problems:
        raise InvoiceRefused("; ".join(
            f"{source.get('filename')}:{source.get('lineno')}: {message}"
            for source, message in problems))
    if len({line.currency for line in lines}) > 1:
        raise InvoiceRefused(f"{client}'s work is billed in several currencies "
                             f"({', '.join(sorted({line.currency for line in lines}))}); an "
                             "invoice is in one currency: fix the rates or fixed fees")
    following = invoices[-1].number + 1 if invoices else 1
    if number is None:
        number = following
    elif invoices and number != following:
        raise InvoiceRefused(f"the next invoice number is {following} (after invoice "
                             f"{invoices[-1].number} of {invoices[-1].date}), not {number}: "
                             "invoices are numbered without gaps")
    meta = data.new_metadata("<coop invoice>", 0)
    if terms is not None:
        meta["terms"] = Decimal(terms)
    entry = data.Custom(meta, end, "coop-invoice",
                        [ValueType(client, str), ValueType(Decimal(number), Decimal)])
    due = end + datetime.timedelta(days=found.terms if terms is None else terms)
    return NewInvoice(entry, found.name, work, lines, due,
                      [w for w in work if w.date < start])
