"""Clients and members' pay: `coop receivables`, `coop earnings` and `coop invoice`.

    coop receivables BOOKS [--as-of D] [--per invoice|client|member]   open invoices, how late
    coop earnings BOOKS [--member K] [--from D] [--to D]    billed, fee, earned, paid, to be paid
    coop invoice BOOKS NUMBER... --out DIR                  printable invoices (HTML)
"""

from __future__ import annotations

import datetime
from pathlib import Path

import click

from coop_beancount.books.invoices import general_rule
from coop_beancount.cli.common import (
    BOOKS,
    DATE,
    FORMAT,
    IGNORE_ERRORS,
    UNNAMED,
    load_checked,
    main,
    write_files,
)
from coop_beancount.reports.invoices import (
    earnings_rows,
    printed_invoices,
    receivable_rows,
    render_invoices,
)
from coop_beancount.reports.output import render
from coop_beancount.reports.view import CoopBooks

RECEIVABLE_COLUMNS = {
    "invoice": [("client", "Client"), ("invoice", "Invoice"), ("date", "Date"), ("due", "Due"),
                ("total", "Total"), ("open", "Open"), ("days_late", "Days late"),
                ("age", "Age")],
    "client": [("client", "Client"), ("invoices", "Open invoices"), ("current", "Current"),
               ("1-30", "1-30 days"), ("31-60", "31-60 days"), ("61-90", "61-90 days"),
               ("90+", "90+ days"), ("open", "Open")],
    "member": [("member", "Member"), ("name", "Name"), ("invoices", "Open invoices"),
               ("open", "Billings open"), ("late", "Of which late")],
}

EARNINGS_COLUMNS = [
    ("member", "Member"), ("name", "Name"), ("currency", "Currency"), ("billed", "Billed"),
    ("fee", "Co-op's fee"), ("earned", "Earned"), ("paid", "Wages paid"),
    ("to_be_paid", "To be paid"),
]


def _end(loaded_entries: list, as_of: datetime.date | None) -> datetime.date:
    if as_of is not None:
        return as_of
    return max((e.date for e in loaded_entries), default=datetime.date.today())


@main.command()
@BOOKS
@click.option("--as-of", "as_of", type=DATE,
              help="Age the invoices on this day [default: the last day in the books].")
@click.option("--per", type=click.Choice(["invoice", "client", "member"]), default="invoice",
              show_default=True, help="One row per open invoice, per client (by age), or per "
              "member (their part of the open invoices).")
@FORMAT
@IGNORE_ERRORS
def receivables(books: Path, as_of: datetime.date | None, per: str, fmt: str,
                ignore_errors: bool) -> None:
    """Clients' open invoices and how late they are.

    Payments to a client's account pay its oldest open invoice first. Age:
    current (not due yet), 1-30, 31-60, 61-90 and 90+ days past due. With
    --per member: each member's part of the open invoices (the open amount
    shared by their billings on each, to the cent), and how much of it is late.

    \b
    Example:
      coop receivables main.beancount --as-of 2025-12-31 --per client
    """
    loaded = load_checked(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    rows = receivable_rows(coop, _end(loaded.entries, as_of), per)
    click.echo(render(rows, RECEIVABLE_COLUMNS[per], fmt), nl=False)


@main.command()
@BOOKS
@click.option("--member", help="Only this member (a member key).")
@click.option("--from", "start", type=DATE, help="Count invoices and wages from this day.")
@click.option("--to", "end", type=DATE, help="Up to this day [default: the end of the books].")
@FORMAT
@IGNORE_ERRORS
def earnings(books: Path, member: str | None, start: datetime.date | None,
             end: datetime.date | None, fmt: str, ignore_errors: bool) -> None:
    """Each member's earnings statement: billed, the co-op's fee, earned, wages paid.

    "To be paid" is everything the member's invoices earned up to --to less
    every wage paid up to then (whatever --from says).

    \b
    Example:
      coop earnings main.beancount --member Priya --from 2025-01-01 --to 2025-12-31
    """
    if start and end and end < start:
        raise click.BadParameter(f"--to {end} is before --from {start}")
    loaded = load_checked(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    if member is not None and member not in coop.records.members:
        known = ", ".join(sorted(coop.records.members)) or "none"
        raise click.ClickException(f"no member {member!r} in {books} (members: {known})")
    rows = earnings_rows(coop, start, _end(loaded.entries, end), member)
    click.echo(render(rows, EARNINGS_COLUMNS, fmt), nl=False)


@main.command()
@BOOKS
@click.argument("numbers", nargs=-1, required=True, type=click.IntRange(min=1))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the invoices (made if missing; an invoice already there is "
              "replaced).")
@IGNORE_ERRORS
def invoice(books: Path, numbers: tuple[int, ...], out_dir: Path, ignore_errors: bool) -> None:
    """Write printable invoices (HTML) for the invoice NUMBERS the books hold.

    Each shows the co-op's name (the ledger's "title" option) and address
    (`address:` on the co-op's general coop-fee), the client's name and
    address, the lines (member, project, hours, rate, amount), the total and
    the due date. Print them, or save them as PDF, from a browser.

    \b
    Example:
      coop invoice main.beancount 7 8 --out invoices/
    """
    loaded = load_checked(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    title = loaded.options.get("title")
    if not title or title == UNNAMED:
        raise click.ClickException(
            f'{books} does not name the co-op, and an invoice must; add a line like: '
            'option "title" "Bridge City Developers\' Cooperative"')
    try:
        found = printed_invoices(coop, list(numbers))
    except LookupError as exc:
        raise click.ClickException(
            f"no invoice {exc} in {books}; `coop receivables` lists the open ones") from None
    rule = general_rule(coop.records.fees, max(i.invoice.date for i in found))
    files = render_invoices(found, title, rule.address if rule and rule.address else "")
    write_files(out_dir, files, "the invoices")
    for name in files:
        click.echo(str(out_dir / name))
