"""Members' figures: `coop members`, `coop statement`, `coop hours` and `coop balances`.

    coop members BOOKS                  every member: status, shares, dues owed, capital
    coop statement BOOKS MEMBER         a member's statement with running balances
    coop hours BOOKS                    hours of work given, per member and period
    coop balances BOOKS                 what each member owes or is owed (shared costs)
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from coop_beancount.cli.common import (
    BOOKS,
    DATE,
    FORMAT,
    IGNORE_ERRORS,
    UNNAMED,
    chosen_currency,
    complete_member,
    load_checked,
    main,
    write_files,
)
from coop_beancount.core.patronage import fiscal_label
from coop_beancount.reports.members import (
    EquityYear,
    hours_by_period,
    member_rows,
    positions,
    statement,
)
from coop_beancount.reports.output import money_text, render, total_row
from coop_beancount.reports.pdf import PdfUnavailable, html_to_pdf, require_pdf
from coop_beancount.reports.statement_page import render_statement
from coop_beancount.reports.view import CoopBooks

MEMBER_COLUMNS = [
    ("key", "Key"), ("name", "Name"), ("joined", "Joined"), ("left", "Left"),
    ("shares_subscribed", "Subscribed"), ("shares_paid", "Paid in"),
    ("dues_owed", "Dues owed"), ("other_owed", "Other owed"), ("payable", "Co-op owes"),
    ("net", "Net owed"), ("capital", "Capital"), ("allocated", "Of which allocated"),
    ("hours", "Hours"),
]


@main.command()
@BOOKS
@FORMAT
@IGNORE_ERRORS
@click.option("--active", is_flag=True, help="Only members who have not left.")
@click.option("--as-of", "as_of", type=DATE, help="As the books stood at the end of this day: "
              "members who had joined by then, their balances then [default: the end of the "
              "books].")
def members(books: Path, fmt: str, ignore_errors: bool, active: bool,
            as_of: datetime.date | None) -> None:
    """List every member of BOOKS.

    Columns: key, name, join and leave dates, shares subscribed and paid in,
    dues owed (arrears), other amounts owed (shared costs, other charges), what
    the co-op owes the member, net owed (dues and other owed, less what the co-op
    owes: negative, the co-op owes the member; what their statement ends at), the
    member's capital (equity) and how much of it is allocated patronage
    equity not yet redeemed, and hours of work given.
    """
    loaded = load_checked(books, ignore_errors)
    rows = member_rows(CoopBooks.from_entries(loaded.entries, loaded.options), as_of)
    if active:
        rows = [row for row in rows if row.left is None]
    click.echo(render([{**vars(row), "net": row.standing.net} for row in rows], MEMBER_COLUMNS,
                      fmt), nl=False)


STATEMENT_COLUMNS = [
    ("date", "Date"), ("description", "Description"), ("account", "Account"),
    ("amount", "Amount"), ("owes", "Member owes"), ("capital", "Capital"),
]


EQUITY_YEAR_COLUMNS = [
    ("year", "Fiscal year"), ("qualified", "Qualified"), ("non_qualified", "Non-qualified"),
    ("retains", "Retains"), ("redeemed", "Redeemed"), ("outstanding", "Outstanding"),
]


@main.command("statement")
@BOOKS
@click.argument("member", shell_complete=complete_member)
@click.option("--from", "start", type=DATE, help="First day of the statement.")
@click.option("--to", "end", type=DATE, help="Last day of the statement.")
@click.option("--equity", "equity_only", is_flag=True,
              help="Only the retained patronage equity by fiscal year (csv and json print "
              "one table: the entries, or this).")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the statement as a printable PDF to this file (needs pip install "
              "'coop-beancount[pdf]').")
@click.option("--paper", type=click.Choice(["letter", "A4"], case_sensitive=False),
              default="letter", show_default=True, help="With --pdf: the paper size.")
@FORMAT
@IGNORE_ERRORS
def statement_command(books: Path, member: str, start: datetime.date | None,
                      end: datetime.date | None, equity_only: bool, pdf_path: Path | None,
                      paper: str, fmt: str, ignore_errors: bool) -> None:
    """A member's statement: every entry touching MEMBER (a member key), with
    running balances of what the member owes the co-op and of their capital;
    then their retained patronage equity by fiscal year (allocated on
    qualified and non-qualified notices, per-unit retains, redeemed, and
    outstanding at the end of the statement).

    A negative "Member owes" means the co-op owes the member.

    With --pdf FILE the statement is printed to a PDF instead (the co-op's
    name, the member, the period and the print date at its head; opening and
    closing balances, every posting, subtotals by kind, equity by fiscal year),
    through WeasyPrint: pip install 'coop-beancount[pdf]'.

    \b
    Example:
      coop statement main.beancount G1 --from 2026-01-01 --to 2026-12-31
      coop statement main.beancount G1 --equity --format csv
      coop statement main.beancount G1 --from 2026-01-01 --pdf G1-2026.pdf
    """
    if start and end and end < start:
        raise click.BadParameter(f"--to {end} is before --from {start}")
    if pdf_path is not None:
        try:
            require_pdf()  # said before the books are loaded
        except PdfUnavailable as exc:
            raise click.ClickException(str(exc)) from None
    loaded = load_checked(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    if coop.member(member) is None:
        known = ", ".join(sorted(coop.records.members)) or "none"
        raise click.ClickException(f"no member {member!r} in {books} (members: {known})")
    result = statement(coop, member, start, end)
    if pdf_path is not None:
        standing = [row.standing.words() for row in member_rows(coop, end, [member])]
        title = loaded.options.get("title")
        html = render_statement(result, title if title and title != UNNAMED else str(books),
                                standing[0] if standing else None,
                                "A4" if paper.lower() == "a4" else "letter")
        try:
            data = html_to_pdf(html)
        except PdfUnavailable as exc:
            raise click.ClickException(str(exc)) from None
        write_files(pdf_path.parent, {pdf_path.name: data}, "the statement")
        click.echo(f"Wrote the statement of {result.member.name} ({member}) to {pdf_path}.",
                   err=True)
        return
    equity_rows = _equity_year_rows(result.equity)
    if equity_only:
        click.echo(render(equity_rows, _equity_year_columns(result.equity), fmt), nl=False)
        return
    rows = [{
        "date": line.date, "description": line.description, "account": line.account,
        "amount": {line.currency: line.amount}, "owes": line.owes, "capital": line.capital,
    } for line in result.lines]
    if fmt != "table":
        click.echo(render(rows, STATEMENT_COLUMNS, fmt), nl=False)
        return
    m = result.member
    click.echo(f"Statement for {m.name} ({m.key})")
    click.echo(f"Member since {m.joined}" + (f", left {m.left}" if m.left else ""))
    period = f"{start or 'the beginning'} to {end or 'the end of the books'}"
    click.echo(f"Period: {period}")
    if start:
        click.echo(f"Opening: owes {money_text(result.opening_owes)}, "
                   f"capital {money_text(result.opening_capital)}")
    click.echo()
    click.echo(render(rows, STATEMENT_COLUMNS, fmt), nl=False)
    click.echo()
    click.echo(f"Closing: owes {money_text(result.closing_owes)}, "
               f"capital {money_text(result.closing_capital)}")
    for row in member_rows(coop, end, [member]):  # none if they joined after `end`
        click.echo(row.standing.words(m.name))
    if result.equity:
        click.echo()
        click.echo(f"Retained patronage equity by fiscal year, at {end or 'the end of the books'}:")
        columns = _equity_year_columns(result.equity)
        total = total_row(equity_rows, [column for column, _ in columns[1:]], year="Total")
        click.echo(render([*equity_rows, total], columns, fmt), nl=False)


def _equity_year_rows(years: list[EquityYear]) -> list[dict[str, Any]]:
    return [{"year": fiscal_label(y.year), "qualified": y.qualified,
             "non_qualified": y.non_qualified, "retains": y.retains, "redeemed": y.redeemed,
             "interest": y.interest, "losses": y.losses, "outstanding": y.outstanding}
            for y in years]


def _equity_year_columns(years: list[EquityYear]) -> list[tuple[str, str]]:
    """The columns of the equity table; "Interest" only for a member credited interest,
    "Losses charged" only for a member charged a loss."""
    shown = ((("interest", "Interest"), any(y.interest for y in years)),
             (("losses", "Losses charged"), any(y.losses for y in years)))
    extra = [column for column, wanted in shown if wanted]
    return [*EQUITY_YEAR_COLUMNS[:-1], *extra, EQUITY_YEAR_COLUMNS[-1]]


HOURS_COLUMNS = [("member", "Member"), ("period", "Period"), ("hours", "Hours"),
                 ("shifts", "Shifts")]


@main.command()
@BOOKS
@click.option("--by", "frequency", type=click.Choice(["weekly", "monthly", "quarterly", "yearly"]),
              default="monthly", show_default=True, help="Length of each period.")
@click.option("--member", "member_keys", multiple=True, shell_complete=complete_member,
              help="Only this member (repeatable).")
@click.option("--from", "start", type=DATE, help="First day counted.")
@click.option("--to", "end", type=DATE, help="Last day counted.")
@FORMAT
@IGNORE_ERRORS
def hours(books: Path, frequency: str, member_keys: tuple[str, ...], start: datetime.date | None,
          end: datetime.date | None, fmt: str, ignore_errors: bool) -> None:
    """Hours of work members gave (coop-hours records), per member and period."""
    loaded = load_checked(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    unknown = [key for key in member_keys if key not in coop.records.members]
    if unknown:
        known = ", ".join(sorted(coop.records.members)) or "none"
        raise click.ClickException(
            f"no member {', '.join(map(repr, unknown))} in {books} (members: {known})")
    rows = hours_by_period(coop.records, frequency, start, end, member_keys or None)
    click.echo(render([vars(row) for row in rows], HOURS_COLUMNS, fmt), nl=False)


BALANCE_COLUMNS = [("member", "Member"), ("name", "Name"), ("receivable", "Owes co-op"),
                   ("payable", "Co-op owes"), ("net", "Net"), ("dues", "Dues owed")]


@main.command()
@BOOKS
@click.option("--currency", help="Currency to show (needed when members' balances use several).")
@click.option("--all", "show_all", is_flag=True, help="Also list members whose balance is zero.")
@FORMAT
@IGNORE_ERRORS
def balances(books: Path, currency: str | None, show_all: bool, fmt: str,
             ignore_errors: bool) -> None:
    """What each member owes the co-op (receivable) and is owed (payable).

    Net is positive when the member owes, negative when the member is owed;
    it is what `coop settle` clears. Dues owed are shown beside it but are
    not part of the settle-up: they are owed to the co-op alone and paid to it.
    """
    loaded = load_checked(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    currency = chosen_currency(coop, currency)
    rows = []
    for key, position in positions(coop, currency).items():
        dues = coop.balances(key).get(coop.chart.dues(key), {}).get(currency, Decimal(0))
        if not show_all and not position.receivable and not position.payable and not dues:
            continue
        rows.append({"member": key, "name": coop.records.members[key].name,
                     "receivable": {currency: position.receivable},
                     "payable": {currency: position.payable}, "net": {currency: position.net},
                     "dues": {currency: dues}})
    if not rows and fmt == "table":
        click.echo(f"Nobody owes or is owed anything in {currency}.")
        return
    click.echo(render(rows, BALANCE_COLUMNS, fmt), nl=False)
