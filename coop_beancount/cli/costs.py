"""Shared costs: `coop settle`, `coop costs` and `coop shared-costs`.

    coop settle BOOKS [--write FILE]    few payments (greedy) that bring everyone to zero
    coop costs BOOKS --unit quarts      cost per unit of usage-split costs, and savings
    coop shared-costs BOOKS             shared costs per key and period: parts, who paid
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import click
from beancount.core import data
from beancount.core.amount import Amount

from coop_beancount.books.loading import Loaded
from coop_beancount.books.printing import entries_text
from coop_beancount.cli.common import (
    BOOKS,
    DATE,
    FORMAT,
    IGNORE_ERRORS,
    WAIT,
    append_to_books,
    chosen_currency,
    load_checked,
    main,
    writing,
)
from coop_beancount.core.settle import COOP, Payment, SetOff, set_offs, settle_up
from coop_beancount.reports.members import (
    positions,
)
from coop_beancount.reports.output import render
from coop_beancount.reports.shared_costs import by_key_and_period, shared_cost_rows, shared_costs
from coop_beancount.reports.usage import usage_costs
from coop_beancount.reports.view import CoopBooks

SETTLE_COLUMNS = [("kind", "Kind"), ("payer", "From"), ("payee", "To"), ("amount", "Amount")]


@main.command()
@BOOKS
@click.option("--currency", help="Currency to settle (needed when members' balances use several).")
@click.option("--bank", default="Assets:Bank:Checking", show_default=True,
              help="The co-op's account for payments to and from it.")
@click.option("--date", "date", type=DATE, help="Date of the settle-up entries [default: today].")
@click.option("--write", "write_to", type=click.Path(dir_okay=False, path_type=Path),
              help="Append the proposal as transactions (flag '!') to this file of the books.")
@WAIT
@FORMAT
@IGNORE_ERRORS
def settle(books: Path, currency: str | None, bank: str, date: datetime.date | None,
           write_to: Path | None, wait: float, fmt: str, ignore_errors: bool) -> None:
    """Propose few payments that bring every member to zero.

    Members who are both owed and owing are set off first; then the largest
    debtor pays the largest creditor, member to member or with the co-op,
    until everyone is clear (greedy: at most one payment fewer than the
    parties, usually the fewest). With --write FILE the proposal is appended
    to FILE (which must be one of the books' files) as '!' transactions, in
    one atomic write, and only when the books check clean before and after
    (--ignore-errors does not apply to --write). While it writes, another
    coop command writing the same books waits for it (--wait).
    """
    if write_to is None:
        _settle(books, currency, bank, date, None, fmt, ignore_errors)
        return
    with writing(books, wait):
        _settle(books, currency, bank, date, write_to, fmt, ignore_errors)


def _settle(books: Path, currency: str | None, bank: str, date: datetime.date | None,
            write_to: Path | None, fmt: str, ignore_errors: bool) -> None:
    loaded = load_checked(books, ignore_errors=ignore_errors and write_to is None,
                          can_ignore=write_to is None)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    currency = chosen_currency(coop, currency)
    current = positions(coop, currency)
    offsets = set_offs(current)
    payments = settle_up(current)
    names = {key: m.name for key, m in coop.records.members.items()}
    rows = [{"kind": "set-off", "payer": names[o.member], "payee": "(own payable)",
             "amount": {currency: o.amount}} for o in offsets]
    rows += [{"kind": "payment", "payer": names.get(p.payer, "the co-op"),
              "payee": names.get(p.payee, "the co-op"), "amount": {currency: p.amount}}
             for p in payments]
    if write_to is None:
        if not rows and fmt == "table":
            click.echo("Everyone is settled: nothing to pay.")
            return
        click.echo(render(rows, SETTLE_COLUMNS, fmt), nl=False)
        return
    if not rows:
        click.echo("Everyone is settled: nothing written.")
        return
    _write_settlement(loaded, coop, write_to, date or datetime.date.today(), currency, bank,
                      offsets, payments)
    click.echo(render(rows, SETTLE_COLUMNS, fmt), nl=False)
    click.echo(f"Appended {len(rows)} transaction(s) to {write_to}; books check clean.", err=True)


def _write_settlement(loaded: Loaded, coop: CoopBooks, target: Path, date: datetime.date,
                      currency: str, bank: str, offsets: list[SetOff],
                      payments: list[Payment]) -> None:
    opened = {e.account for e in loaded.entries if type(e).__name__ == "Open"}
    if any(COOP in (p.payer, p.payee) for p in payments) and bank not in opened:
        raise click.ClickException(f"the bank account {bank} is not open in {loaded.path}; "
                                   "pass the co-op's bank account with --bank")
    entries = _settlement_entries(coop, date, currency, bank, offsets, payments)
    append_to_books(loaded, target, entries_text(entries), "the settle-up")


def _settlement_entries(coop: CoopBooks, date: datetime.date, currency: str, bank: str,
                        offsets: list[SetOff], payments: list[Payment]) -> list[data.Transaction]:
    """The set-offs and payments as '!' transactions (printed by Beancount's printer, so a
    name with a quote or a backslash reads back as it is)."""
    chart = coop.chart
    names = {key: m.name for key, m in coop.records.members.items()}

    def txn(narration: str, debit: str, credit: str, amount: Decimal,
            kind: str) -> data.Transaction:
        meta = data.new_metadata("<coop settle>", 0, {"coop-settle": kind})
        postings = [data.Posting(debit, Amount(amount, currency), None, None, None, None),
                    data.Posting(credit, Amount(-amount, currency), None, None, None, None)]
        return data.Transaction(meta, date, "!", None, narration, data.EMPTY_SET,
                                data.EMPTY_SET, postings)

    out = []
    for o in offsets:
        out.append(txn(f"Settle-up: set off {names[o.member]}'s payable against receivable",
                       chart.payable(o.member), chart.receivable(o.member), o.amount, "set-off"))
    for p in payments:
        debit = bank if p.payee == COOP else chart.payable(p.payee)
        credit = bank if p.payer == COOP else chart.receivable(p.payer)
        narration = (f"Settle-up: {names.get(p.payer, 'the co-op')} pays "
                     f"{names.get(p.payee, 'the co-op')}")
        out.append(txn(narration, debit, credit, p.amount, "payment"))
    return out


USAGE_COLUMNS = [("label", "Period"), ("units", "Units"), ("cost", "Cost"),
                 ("cost_per_unit", "Per unit"), ("retail", "At retail"), ("saved", "Saved")]


@main.command()
@BOOKS
@click.option("--unit", required=True, help="The unit of the usage splits, as in "
              "'usage quarts: ...' (for example: quarts).")
@click.option("--by", "frequency", type=click.Choice(["weekly", "monthly", "quarterly", "yearly"]),
              default="monthly", show_default=True, help="Length of each period.")
@click.option("--per", type=click.Choice(["period", "member"]), default=None,
              help="Only one of the two tables (csv and json need one; default: period).")
@FORMAT
@IGNORE_ERRORS
def costs(books: Path, unit: str, frequency: str, per: str | None, fmt: str,
          ignore_errors: bool) -> None:
    """What usage-split costs came to per unit, per period and per member,
    and what members saved against the retail price (coop-retail-price).
    """
    loaded = load_checked(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    by_period, by_member = usage_costs(coop, unit, frequency)
    if not by_period:
        raise click.ClickException(
            f"no costs split by usage in {unit!r} in {books}; --unit is the unit of the "
            f"usage splits, as in split: \"usage {unit}: Ana 3, Ben 2\"")

    def rows(items: list) -> list[dict]:
        return [{"label": r.label, "units": r.units, "cost": r.cost,
                 "cost_per_unit": r.cost_per_unit, "retail": r.retail, "saved": r.saved}
                for r in items]

    if fmt != "table" or per is not None:
        chosen = by_member if per == "member" else by_period
        columns = USAGE_COLUMNS if per != "member" else [("label", "Member"), *USAGE_COLUMNS[1:]]
        click.echo(render(rows(chosen), columns, fmt), nl=False)
        return
    total = by_period[0].__class__("Total")
    for row in by_period:
        total.units += row.units
        for c, n in row.cost.items():
            total.cost[c] = total.cost.get(c, Decimal(0)) + n
        for c, n in row.retail.items():
            total.retail[c] = total.retail.get(c, Decimal(0)) + n
    click.echo(render(rows([*by_period, total]), USAGE_COLUMNS, fmt), nl=False)
    click.echo()
    click.echo(render(rows(by_member), [("label", "Member"), *USAGE_COLUMNS[1:]], fmt), nl=False)


SHARED_COST_COLUMNS = [("key", "Key"), ("period", "Period"), ("costs", "Costs"),
                       ("total", "Total"), ("paid_by", "Paid by")]
SHARED_PART_COLUMNS = [("key", "Key"), ("period", "Period"), ("member", "Member"),
                       ("name", "Name"), ("part", "Part")]


@main.command("shared-costs")
@BOOKS
@click.option("--by", "frequency", type=click.Choice(["weekly", "monthly", "quarterly", "yearly"]),
              default="monthly", show_default=True, help="Length of each period.")
@click.option("--from", "start", type=DATE, help="First day [default: the beginning].")
@click.option("--to", "end", type=DATE, help="Last day [default: the end of the books].")
@click.option("--per", type=click.Choice(["key", "member"]), default=None,
              help="Only one of the two tables (csv and json print one; default: key).")
@FORMAT
@IGNORE_ERRORS
def shared_costs_command(books: Path, frequency: str, start: datetime.date | None,
                         end: datetime.date | None, per: str | None, fmt: str,
                         ignore_errors: bool) -> None:
    """Shared costs per split key and period: the total, who paid, each member's part.

    A key is a named split key (coop-split-key) or the kind of an inline rule
    (usage quarts, equal, weights, percent, fixed). "Paid by" is the co-op, or
    the member who paid out of pocket (a posting to their payable).

    \b
    Example:
      coop shared-costs main.beancount --by quarterly
      coop shared-costs main.beancount --per member --format csv
    """
    if start and end and end < start:
        raise click.BadParameter(f"--to {end} is before --from {start}")
    loaded = load_checked(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    groups = by_key_and_period(shared_costs(coop), frequency, start, end)
    if not groups and fmt == "table":
        click.echo(f"No shared costs (split:) in {books} in that time.")
        return
    names = {key: m.name for key, m in coop.records.members.items()}
    totals, parts = shared_cost_rows(groups, names)
    if fmt != "table" or per is not None:
        rows, columns = (parts, SHARED_PART_COLUMNS) if per == "member" else (
            totals, SHARED_COST_COLUMNS)
        click.echo(render(rows, columns, fmt), nl=False)
        return
    click.echo(render(totals, SHARED_COST_COLUMNS, fmt), nl=False)
    click.echo()
    click.echo(render(parts, SHARED_PART_COLUMNS, fmt), nl=False)
