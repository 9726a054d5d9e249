"""Members' work to a client's invoice, the co-op's fee and what each member earned: the rules.

    2025-01-01 custom "coop-client" "Cascade" "Cascade Outfitters"
    2025-01-01 custom "coop-rate" "Priya" "Cascade" 120.00 USD
    2025-01-01 custom "coop-fee" "12%"
    2025-04-01 custom "coop-fee" "10%"
      member: "Marcus"
    2025-04-07 custom "coop-work" "Priya" "Cascade" 35 "checkout redesign"
    2025-04-30 custom "coop-invoice" "Cascade" 7

* An invoice bills the client's work dated after the client's previous invoice, up
  to its own date. Hours are billed at the member's rate for the client (for the
  work's `project:` if there is a rate for it, else for the client) in force on the
  work's date; the hours of one member at one rate and project make one line,
  rounded half up to the cent. A fixed fee is billed as written.
* The fee: each member's billings on an invoice times the share in force on the
  invoice's date (the most specific rule first: member and client, member, client,
  everyone), rounded half up to the cent; the member earns the rest, so fee and
  earnings add up to the billings exactly.
* Invoice numbers run without gaps: in date order each is the previous one plus 1.
* Wages: a member's wages may never add up to more than their invoices earned so
  far, and `pay-within` days after an invoice they must add up to all it and the
  earlier ones earned.

Pure: records in, figures and (source, message) problems out.
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from coop_beancount.core.records import (
    BillableWork,
    BillingRate,
    FeeRule,
    InvoiceDecision,
    Source,
)

CENT = Decimal("0.01")
#: Days the co-op has to pay a member what an invoice earned them, unless the fee rule says.
PAY_WITHIN = 31

Problem = tuple[Source, str]


def cents(number: Decimal) -> Decimal:
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class InvoiceLine:
    """One line of an invoice: a member's hours at one rate (and project), or a fixed fee."""

    member: str
    project: str | None
    hours: Decimal | None
    rate: Decimal | None
    amount: Decimal
    currency: str
    description: str

    @property
    def text(self) -> str:
        what = f"{self.hours.normalize():f} h at {self.rate} {self.currency}" if self.hours \
            else f"{self.amount} {self.currency}"
        return f"{self.member}{' (' + self.project + ')' if self.project else ''}: " \
            f"{what}{', ' + self.description if self.description else ''}"


class Rates:
    """Every rate, for the one in force for a member, client and project on a date."""

    def __init__(self, rates: Iterable[BillingRate]) -> None:
        self._by_key: dict[tuple[str, str, str | None], list[BillingRate]] = defaultdict(list)
        for rate in sorted(rates, key=lambda r: r.date):
            self._by_key[(rate.member, rate.client, rate.project)].append(rate)
        self._dates = {key: [r.date for r in rates] for key, rates in self._by_key.items()}

    def in_force(self, member: str, client: str, project: str | None,
                 date: datetime.date) -> BillingRate | None:
        for key in ((member, client, project), (member, client, None)):
            dates = self._dates.get(key)
            if dates:
                index = bisect.bisect_right(dates, date)
                if index:
                    return self._by_key[key][index - 1]
        return None


def invoice_lines(work: Sequence[BillableWork], rates: Rates,
                  ) -> tuple[list[InvoiceLine], list[Problem]]:
    """The lines of an invoice for `work`: hours grouped per member, rate and project."""
    hours: dict[tuple[str, str | None, Decimal, str], Decimal] = defaultdict(Decimal)
    lines: list[InvoiceLine] = []
    problems: list[Problem] = []
    for item in work:
        if item.amount is not None and item.currency is not None:
            lines.append(InvoiceLine(item.member, item.project, None, None, item.amount,
                                     item.currency, item.description))
            continue
        assert item.hours is not None  # a coop-work line is hours or an amount
        rate = rates.in_force(item.member, item.client, item.project, item.date)
        if rate is None:
            problems.append((item.source, (
                f"no rate for {item.member}'s work for {item.client}"
                f"{' on project ' + repr(item.project) if item.project else ''} on {item.date};"
                f' add custom "coop-rate" "{item.member}" "{item.client}" <rate per hour> '
                "dated on or before the work, or bill it as a fixed amount")))
            continue
        hours[(item.member, item.project, rate.rate, rate.currency)] += item.hours
    for (member, project, rate, currency), total in sorted(
            hours.items(), key=lambda i: (i[0][0], i[0][1] or "", i[0][2])):
        lines.append(InvoiceLine(member, project, total, rate, cents(total * rate), currency,
                                 ""))
    lines.sort(key=lambda line: (line.member, line.hours is None, line.project or ""))
    return lines, problems


def fee_in_force(fees: Sequence[FeeRule], member: str, client: str,
                 date: datetime.date) -> FeeRule | None:
    """The fee rule for a member's work for a client on a date: the most specific, latest."""
    best: FeeRule | None = None
    best_rank = -1
    for rule in fees:
        if rule.date > date:
            continue
        if (rule.member not in (None, member)) or (rule.client not in (None, client)):
            continue
        rank = (rule.member is not None) * 2 + (rule.client is not None)
        if rank > best_rank or (rank == best_rank and best is not None
                                and rule.date >= best.date):
            best, best_rank = rule, rank
    return best


def general_rule(fees: Sequence[FeeRule], date: datetime.date) -> FeeRule | None:
    """The latest fee rule for everyone on a date: it names the accounts and the days to pay."""
    best: FeeRule | None = None
    for rule in fees:
        if (rule.member is None and rule.client is None and rule.date <= date
                and (best is None or rule.date > best.date)):
            best = rule
    return best


def fee_and_earnings(billed: Decimal, share: Decimal) -> tuple[Decimal, Decimal]:
    """The co-op's fee (half up to the cent) and what the member earns (the rest)."""
    fee = cents(billed * share)
    return fee, billed - fee


def number_problems(invoices: Iterable[InvoiceDecision]) -> list[Problem]:
    """Invoice numbers reused or skipped, in date order (the first number is free)."""
    problems: list[Problem] = []
    seen: dict[int, InvoiceDecision] = {}
    previous: InvoiceDecision | None = None
    for invoice in sorted(invoices, key=lambda i: (i.date, i.number)):
        first = seen.get(invoice.number)
        if first is not None:
            problems.append((invoice.source, (
                f"invoice number {invoice.number} is used twice (first at "
                f"{first.source.get('filename')}:{first.source.get('lineno')}); give this "
                f"invoice the next number, {max(seen) + 1}")))
            continue
        if previous is not None and invoice.number != previous.number + 1:
            expected = previous.number + 1
            skipped = (f"number {expected} is missing" if invoice.number > expected
                       else f"numbers go down from {previous.number}")
            problems.append((invoice.source, (
                f"invoice {invoice.number} follows invoice {previous.number} (at "
                f"{previous.source.get('filename')}:{previous.source.get('lineno')}): "
                f"{skipped}; invoices are numbered without gaps in date order, so this one "
                f"is {expected}")))
        seen[invoice.number] = invoice
        previous = invoice
    return problems


@dataclass(frozen=True)
class Earning:
    """What a member earned by one invoice (billings less the fee)."""

    date: datetime.date
    amount: Decimal
    source: Source
    pay_within: int


def wage_problems(member: str, currency: str, earned: Sequence[Earning],
                  paid: Sequence[tuple[datetime.date, Decimal, Source]],
                  as_of: datetime.date) -> list[Problem]:
    """Wages above what was earned so far, or short of it once the days to pay are over.

    Each kind is reported once per member and currency: the first time it happens.
    """
    problems: list[Problem] = []
    earned = sorted(earned, key=lambda e: e.date)
    paid = sorted(paid, key=lambda p: p[0])
    earned_dates = [e.date for e in earned]
    running = Decimal(0)
    earned_to: list[Decimal] = []
    for earning in earned:
        running += earning.amount
        earned_to.append(running)
    paid_dates = [p[0] for p in paid]
    paid_to: list[Decimal] = []
    running = Decimal(0)
    for _, amount, _ in paid:
        running += amount
        paid_to.append(running)
    for (date, _, source), total in zip(paid, paid_to, strict=True):
        index = bisect.bisect_right(earned_dates, date)
        due = earned_to[index - 1] if index else Decimal(0)
        if total > due:
            problems.append((source, (
                f"{member}'s wages add up to {total} {currency} by {date}, more than the {due} "
                f"{currency} their invoices earned by then ({total - due} {currency} over); "
                "check the payroll export against the invoices and the fee")))
            break
    for earning, due in zip(earned, earned_to, strict=True):
        deadline = earning.date + datetime.timedelta(days=earning.pay_within)
        if deadline > as_of:
            break
        index = bisect.bisect_right(paid_dates, deadline)
        total = paid_to[index - 1] if index else Decimal(0)
        if total < due:
            problems.append((earning.source, (
                f"{member}'s invoices earned them {due} {currency} by {earning.date}, but their "
                f"wages add up to {total} {currency} by {deadline} ({earning.pay_within} days "
                f"later, the time the fee rule's pay-within: allows): {due - total} {currency} "
                "short; book the wages from the payroll provider's export with "
                f'member: "{member}", or correct the invoices')))
            break
    return problems
