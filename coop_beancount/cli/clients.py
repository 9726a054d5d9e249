"""Clients and members' pay: `coop receivables`, `coop earnings` and `coop invoice`.

    coop receivables BOOKS [--as-of D] [--per invoice|client|member]   open invoices, how late
    coop earnings BOOKS [--member K] [--from D] [--to D]    billed, fee, earned, paid, to be paid
    coop invoice new BOOKS [CLIENT]... --period YYYY-MM [--to FILE]   write invoices
    coop invoice print BOOKS NUMBER... --out DIR [--pdf]    printable invoices (HTML, PDF)
"""

from __future__ import annotations

import datetime
from pathlib import Path

import click

from coop_beancount.books.invoices import general_rule
from coop_beancount.books.printing import entries_text
from coop_beancount.cli.common import (
    BOOKS,
    DATE,
    FORMAT,
    IGNORE_ERRORS,
    UNNAMED,
    WAIT,
    CoopGroup,
    append_to_books,
    load_checked,
    main,
    write_files,
    writing,
)
from coop_beancount.reports.invoices import (
    InvoiceRefused,
    earnings_rows,
    new_invoices,
    printed_invoices,
    receivable_rows,
    receivables_day,
    render_invoices,
)
from coop_beancount.reports.output import amount_text, render
from coop_beancount.reports.patronage import plugin_settings
from coop_beancount.reports.pdf import PdfUnavailable, html_to_pdf, require_pdf
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
    rows = receivable_rows(coop, receivables_day(coop, as_of), per)
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
    rows = earnings_rows(coop, start, receivables_day(coop, end), member)
    click.echo(render(rows, EARNINGS_COLUMNS, fmt), nl=False)


class InvoiceGroup(CoopGroup):
    """`coop invoice new` and `coop invoice print`; `coop invoice BOOKS N... --out DIR`
    (the spelling before there was `new`) is `print`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["print", *args]
        return super().parse_args(ctx, args)


@main.group("invoice", cls=InvoiceGroup)
def invoice_group() -> None:
    """Write a client's invoice into the books, and print invoices.

    \b
      coop invoice new BOOKS [CLIENT]... --period 2026-03 --to FILE   invoice directives
      coop invoice print BOOKS NUMBER... --out DIR               printable invoices

    `coop invoice BOOKS NUMBER... --out DIR` is `coop invoice print`.
    """


def _period(text: str) -> tuple[datetime.date, datetime.date]:
    """'2026-03' -> its first and last day."""
    try:
        first = datetime.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a month written YYYY-MM (2026-03)",
                                 param_hint="--period") from None
    last = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return first, last - datetime.timedelta(days=1)


@invoice_group.command("new")
@BOOKS
@click.argument("clients", nargs=-1, metavar="[CLIENT]...")
@click.option("--period", required=True, metavar="YYYY-MM",
              help="The month to invoice: the invoice is dated its last day.")
@click.option("--number", type=click.IntRange(min=1),
              help="The invoice's number [default: the next; the books' first invoice may "
              "start at any number, to go on from an older sequence].")
@click.option("--terms", type=click.IntRange(min=0, max=3660), metavar="DAYS",
              help="Days the client has to pay this invoice [default: the client's terms:].")
@click.option("--to", "target", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Append the invoice to this file of the books.")
@click.option("--dry-run", is_flag=True, help="Print the invoice; write nothing.")
@WAIT
def invoice_new(books: Path, clients: tuple[str, ...], period: str, number: int | None,
                terms: int | None, target: Path | None, dry_run: bool, wait: float) -> None:
    """Invoice clients for their work of a month: write coop-invoice directives.

    Each CLIENT's coop-work not yet invoiced, up to the period's last day, is
    billed by one `coop-invoice` dated that day, numbered on from the books'
    last invoice (one client after another, in the order given); no CLIENT:
    every client with work to invoice, in key order. Work dated before the
    period that no invoice billed yet is billed too (and said). The
    directives are printed as Beancount prints them and, with --to FILE (a
    file the books include), appended in one atomic write, under the books'
    write lock, only when the books check clean before and with them.
    Without --to, or with --dry-run, nothing is written.

    \b
    Example:
      coop invoice new main.beancount CascadeOutfitters --period 2026-03 --dry-run
      coop invoice new main.beancount --period 2026-03 --to 2026.beancount
    """
    start, end = _period(period)
    if target is None or dry_run:
        _invoice_new(books, list(clients), start, end, number, terms, None)
        return
    with writing(books, wait):
        _invoice_new(books, list(clients), start, end, number, terms, target)


def _invoice_new(books: Path, clients: list[str], start: datetime.date, end: datetime.date,
                 number: int | None, terms: int | None, target: Path | None) -> None:
    loaded = load_checked(books, ignore_errors=False, can_ignore=False)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    try:
        made = new_invoices(coop, clients, start, end, number, terms)
    except InvoiceRefused as refused:
        raise click.ClickException(f"no invoice written: {refused}") from None
    text = entries_text([found.entry for found in made])
    click.echo(text, nl=False)
    for found in made:
        total, currency = found.total
        click.echo(f"Invoice {found.number} to {found.client_name}: {len(found.work)} work "
                   f"line(s), {amount_text(total, currency)}, due {found.due}", err=True)
        for line in found.lines:
            click.echo(f"  {line.text}: {amount_text(line.amount, line.currency)}", err=True)
        if found.earlier:
            click.echo(f"  Note: it also bills {len(found.earlier)} work line(s) dated "
                       f"before {start} that no invoice billed (from "
                       f"{found.earlier[0].date}).", err=True)
    if target is None:
        click.echo("Dry run: nothing was written; add --to FILE to write it.", err=True)
        return
    numbers = ("invoices " if len(made) > 1 else "invoice ") + ", ".join(
        str(found.number) for found in made)
    append_to_books(loaded, target, text, numbers)
    click.echo(f"Appended {numbers} to {target}; the books check clean.", err=True)


@invoice_group.command("print")
@BOOKS
@click.argument("numbers", nargs=-1, required=True, type=click.IntRange(min=1))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the invoices (made if missing; an invoice already there is "
              "replaced).")
@click.option("--pdf", is_flag=True,
              help="Also write each invoice as PDF (invoice-7-Cascade.pdf beside its HTML); "
              "needs pip install 'coop-beancount[pdf]'.")
@IGNORE_ERRORS
def invoice_print(books: Path, numbers: tuple[int, ...], out_dir: Path, pdf: bool,
                  ignore_errors: bool) -> None:
    """Write printable invoices (HTML) for the invoice NUMBERS the books hold.

    Each shows the co-op's name (the plugin's payer name, else the ledger's
    "title" option) and address (`address:` on the co-op's general coop-fee,
    else the plugin's payer address), the client's name and
    address, the lines (member, project, hours, rate, amount), the total and
    the due date. Print them, or save them as PDF, from a browser; with --pdf
    each is also printed to PDF through WeasyPrint (pip install
    'coop-beancount[pdf]'), the same way the notices are.

    \b
    Example:
      coop invoice print main.beancount 7 8 --out invoices/
      coop invoice print main.beancount 7 --out invoices/ --pdf
    """
    if pdf:  # said before anything is loaded or written
        try:
            require_pdf()
        except PdfUnavailable as exc:
            raise click.ClickException(str(exc)) from None
    loaded = load_checked(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    # The co-op as the plugin's `payer` setting names it (as on its 1099-PATR forms),
    # else the books' title; its address from the general coop-fee, else that setting.
    payer = plugin_settings(coop.options).payer
    title = payer.name if payer and payer.name else loaded.options.get("title")
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
    address = (rule.address if rule and rule.address
               else payer.address if payer else "")
    files: dict[str, str | bytes] = dict(render_invoices(found, title, address))
    if pdf:
        try:
            files |= {name.removesuffix(".html") + ".pdf": html_to_pdf(str(html))
                      for name, html in files.items()}
        except PdfUnavailable as exc:
            raise click.ClickException(str(exc)) from None
    write_files(out_dir, files, "the invoices")
    for name in files:
        click.echo(str(out_dir / name))
