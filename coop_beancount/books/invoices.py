"""Invoices in the books: the entries the plugin derives from members' work for clients.

    2025-01-01 custom "coop-client" "Cascade" "Cascade Outfitters"
      terms: 15
    2025-01-01 custom "coop-rate" "Priya" "Cascade" 120.00 USD
    2025-01-01 custom "coop-fee" "12%"
      billings: Income:Patronage:Billings
      wages: Expenses:Payroll:Wages
      pay-within: 51
    2025-04-07 custom "coop-work" "Priya" "Cascade" 35 "checkout redesign"
    2025-04-30 custom "coop-invoice" "Cascade" 7

Each `coop-invoice` (up to `as_of`) becomes one transaction on its date: the
client's account (`Assets:Clients:<key>` unless the client names another) is
debited the total, and the billings account credited once per member, with
`member:` (so a billings measure counts it for patronage), the co-op's fee and
what the member earned in metadata. The payroll provider's wages (postings to the
wages account with `member:`) are then checked against what was earned. The rules
are in `core/invoicing.py`; this module only reads and writes Beancount.
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from decimal import Decimal

from beancount.core import data
from beancount.core.amount import Amount

from coop_beancount.books.patronage import (
    Derived,
    PatronageFigures,
    generated_meta,
    is_under,
    posting_meta,
)
from coop_beancount.core.accounts import MemberChart
from coop_beancount.core.errors import CoopError
from coop_beancount.core.invoicing import (
    PAY_WITHIN,
    Earning,
    Rates,
    fee_and_earnings,
    fee_in_force,
    general_rule,
    invoice_lines,
    number_problems,
    wage_problems,
)
from coop_beancount.core.patronage import percent
from coop_beancount.core.records import BillableWork, CoopRecords, InvoiceDecision

INVOICE = "invoice"


def client_account(chart: MemberChart, records: CoopRecords, client: str) -> str:
    found = records.clients.get(client)
    return (found.account if found and found.account else f"{chart.assets}:Clients:{client}")


def billings_account(chart: MemberChart, records: CoopRecords, date: datetime.date) -> str:
    rule = general_rule(records.fees, date)
    return (rule.billings_account if rule and rule.billings_account
            else f"{chart.income}:Billings")


def wages_account(chart: MemberChart, records: CoopRecords, date: datetime.date) -> str:
    rule = general_rule(records.fees, date)
    return rule.wages_account if rule and rule.wages_account else f"{chart.expenses}:Payroll:Wages"


def wages_roots(chart: MemberChart, records: CoopRecords, as_of: datetime.date) -> set[str]:
    """The accounts members' wages are paid from (the plugin totals their postings)."""
    return {wages_account(chart, records, rule.date) for rule in records.fees
            if rule.member is None and rule.client is None} or {
        wages_account(chart, records, as_of)}


def invoice_work(records: CoopRecords) -> list[tuple[InvoiceDecision, list[BillableWork]]]:
    """Each invoice (in date order) with its work: the client's, after the client's
    previous invoice and up to its own date."""
    ordered = sorted(records.invoices, key=lambda i: (i.date, i.number))
    found: list[tuple[InvoiceDecision, list[BillableWork]]] = [(i, []) for i in ordered]
    by_client: dict[str, list[int]] = defaultdict(list)
    for position, invoice in enumerate(ordered):
        by_client[invoice.client].append(position)
    dates = {client: [ordered[p].date for p in positions]
             for client, positions in by_client.items()}
    for item in records.billable:
        positions = by_client.get(item.client)
        if not positions:
            continue
        index = bisect.bisect_left(dates[item.client], item.date)
        if index < len(positions):
            found[positions[index]][1].append(item)
    return found


def derive_invoices(records: CoopRecords, figures: PatronageFigures, chart: MemberChart,
                    as_of: datetime.date) -> Derived:
    """The invoices' transactions and the checks of work and wages; the billings are added
    to `figures` so a measure on the billings account counts them."""
    derived = Derived()
    if not (records.invoices or records.billable or records.fees or records.clients
            or records.rates):
        return derived
    errors = derived.errors
    members = records.members
    valid_work = []
    for item in records.billable:
        problem = _work_problem(records, item)
        if problem:
            errors.append(CoopError(item.source, problem, None))
        else:
            valid_work.append(item)
    for rate in records.rates:
        unknown = (f"member {rate.member!r}" if rate.member not in members
                   else f"client {rate.client!r}" if rate.client not in records.clients
                   else None)
        if unknown:
            errors.append(CoopError(rate.source, (
                f"coop-rate names unknown {unknown}; fix the key or declare it"), None))
    for rule in records.fees:
        if rule.member is not None and rule.member not in members:
            errors.append(CoopError(rule.source, f"coop-fee names unknown member {rule.member!r}",
                                    None))
        if rule.client is not None and rule.client not in records.clients:
            errors.append(CoopError(rule.source, f"coop-fee names unknown client {rule.client!r}",
                                    None))
    errors.extend(CoopError(s, m, None) for s, m in number_problems(records.invoices))
    rates = Rates(records.rates)
    valid_ids = {id(item) for item in valid_work}
    earned: dict[tuple[str, str], list[Earning]] = defaultdict(list)
    year_of = figures.calendar.year_of
    for invoice, work in invoice_work(records):
        if invoice.client not in records.clients:
            errors.append(CoopError(invoice.source, (
                f"coop-invoice names unknown client {invoice.client!r}; declare it with "
                f'custom "coop-client" "{invoice.client}" "<name>" or fix the key (clients: '
                f"{', '.join(sorted(records.clients)) or 'none declared'})"), None))
            continue
        if invoice.date > as_of:
            continue
        entry = _invoice_entry(invoice, [w for w in work if id(w) in valid_ids],
                               len(work), records, chart, rates, derived, earned)
        if entry is None:
            continue
        derived.entries.append(entry)
        year = year_of(invoice.date)
        for posting in entry.postings[1:]:
            figures.totals[(posting.account, year, posting.units.currency)] += posting.units.number
            figures.member_postings.append((entry, posting, posting.meta["member"]))
    if records.invoices:
        _check_wages(records, figures, chart, earned, as_of, derived)
    return derived


def _work_problem(records: CoopRecords, item: BillableWork) -> str | None:
    member = records.members.get(item.member)
    if member is None:
        return (f"work recorded for {item.member!r}, who is not a member; the co-op invoices "
                "its members' work only: declare them with coop-member or fix the key")
    if not member.is_active(item.date):
        return (f"work recorded for {item.member!r} on {item.date}, when they were not a "
                f"member ({member.membership}); fix the date or key")
    if item.client not in records.clients:
        return (f"work for unknown client {item.client!r}; declare it with "
                f'custom "coop-client" "{item.client}" "<name>" or fix the key (clients: '
                f"{', '.join(sorted(records.clients)) or 'none declared'})")
    return None


def _invoice_entry(invoice: InvoiceDecision, work: list[BillableWork], count: int,
                   records: CoopRecords, chart: MemberChart, rates: Rates, derived: Derived,
                   earned: dict[tuple[str, str], list[Earning]]) -> data.Transaction | None:
    client = records.clients[invoice.client]
    label = f"invoice {invoice.number} for {invoice.client}"
    if not count:
        derived.errors.append(CoopError(invoice.source, (
            f"{label} has no work to bill: no coop-work for {invoice.client} dated after its "
            "previous invoice and up to this one; record the work or remove the invoice"), None))
        return None
    if len(work) < count:
        derived.errors.append(CoopError(invoice.source, (
            f"{label} is not booked: {count - len(work)} of its work lines have errors (see "
            "them at their lines)"), None))
        return None
    lines, problems = invoice_lines(work, rates)
    if problems:
        derived.errors.extend(CoopError(s, m, None) for s, m in problems)
        derived.errors.append(CoopError(invoice.source, (
            f"{label} is not booked: {len(problems)} of its work lines have no rate (see them at "
            "their lines)"), None))
        return None
    currencies = sorted({line.currency for line in lines})
    if len(currencies) > 1:
        derived.errors.append(CoopError(invoice.source, (
            f"{label} bills in {', '.join(currencies)}; an invoice is in one currency: fix the "
            "rates or fixed fees, or invoice them separately"), None))
        return None
    currency = currencies[0]
    billed: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        billed[line.member] += line.amount
    income = billings_account(chart, records, invoice.date)
    general = general_rule(records.fees, invoice.date)
    within = general.pay_within if general and general.pay_within is not None else PAY_WITHIN
    postings = []
    for member, amount in sorted(billed.items()):
        rule = fee_in_force(records.fees, member, invoice.client, invoice.date)
        if rule is None:
            derived.errors.append(CoopError(invoice.source, (
                f"{label}: no coop-fee is in force on {invoice.date}; add "
                f'custom "coop-fee" "12%" (the bylaws\' fee) dated on or before it'), None))
            return None
        fee, earns = fee_and_earnings(amount, rule.share)
        postings.append(data.Posting(income, Amount(-amount, currency), None, None, None,
                                     posting_meta(invoice.source, **{
                                         "member": member, "coop-fee": fee,
                                         "coop-earned": earns,
                                         "coop-fee-share": percent(rule.share)})))
        earned[(member, currency)].append(Earning(invoice.date, earns, invoice.source, within))
    total = sum(billed.values(), Decimal(0))
    receivable = client_account(chart, records, invoice.client)
    derived.use(receivable, invoice.date, invoice.source)
    derived.use(income, invoice.date, invoice.source)
    terms = invoice.terms if invoice.terms is not None else client.terms
    due = invoice.date + datetime.timedelta(days=terms)
    meta = generated_meta(invoice.source, INVOICE, **{
        "coop-invoice": Decimal(invoice.number), "coop-client": invoice.client,
        "coop-due": due})
    return data.Transaction(
        meta, invoice.date, "*", client.name,
        f"Invoice {invoice.number}: " + "; ".join(line.text for line in lines),
        data.EMPTY_SET, data.EMPTY_SET,
        [data.Posting(receivable, Amount(total, currency), None, None, None,
                      posting_meta(invoice.source)), *postings])


def _check_wages(records: CoopRecords, figures: PatronageFigures, chart: MemberChart,
                 earned: dict[tuple[str, str], list[Earning]], as_of: datetime.date,
                 derived: Derived) -> None:
    roots = wages_roots(chart, records, as_of)
    paid: dict[tuple[str, str], list] = defaultdict(list)
    for entry, posting, member in figures.member_postings:
        if is_under(posting.account, roots):
            units = posting.units
            paid[(member, units.currency)].append((entry.date, units.number, entry.meta))
    for member, currency in sorted(set(earned) | set(paid)):
        derived.errors.extend(CoopError(s, m, None) for s, m in wage_problems(
            member, currency, earned.get((member, currency), []),
            paid.get((member, currency), []), as_of))
