"""The `coop` command: check, report on and serve a co-op's books.

    coop check BOOKS                    bean-check plus the co-op's rules
    coop members BOOKS                  every member: status, shares, dues owed, capital
    coop statement BOOKS MEMBER         a member's statement with running balances
    coop hours BOOKS                    hours of work given, per member and period
    coop serve BOOKS                    browse the books in Fava
    coop init DIR                       new books in a git repository that checks every commit

Reports print a table; `--format csv` or `--format json` is for scripts.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Any

import click

from coop_beancount import __version__
from coop_beancount.books import Loaded, format_error, load_books
from coop_beancount.output import FORMATS, money_text, render
from coop_beancount.reports import CoopBooks, hours_by_period, member_rows, statement
from coop_beancount.starter import MAIN_FILE, InitError, init_books

BOOKS = click.argument(
    "books", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="BOOKS"
)
FORMAT = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
    help="Output: a table to read, or csv / json for scripts.",
)
IGNORE_ERRORS = click.option(
    "--ignore-errors", is_flag=True,
    help="Report even when the books do not check clean (the figures may then be wrong).",
)


class Date(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime.date:
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date written YYYY-MM-DD", param, ctx)


DATE = Date()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coop")
def main() -> None:
    """Keep a co-operative's books in Beancount: members, shares, dues and
    hours of work, checked on every load and browsable in Fava.

    BOOKS is the ledger's main file (for example main.beancount). Start new
    books with `coop init DIR`; see `coop COMMAND --help` for each command.
    """


def _load(books: Path, ignore_errors: bool = True) -> Loaded:
    loaded = load_books(books)
    if loaded.errors and not ignore_errors:
        for error in loaded.errors[:5]:
            click.echo(format_error(error), err=True)
        more = len(loaded.errors) - 5
        if more > 0:
            click.echo(f"... and {more} more", err=True)
        raise click.ClickException(
            f"{books} does not check clean ({len(loaded.errors)} error(s)), so its figures "
            f"cannot be trusted; fix them (see `coop check {books}`) or pass --ignore-errors"
        )
    return loaded


@main.command()
@BOOKS
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; only the exit status tells.")
def check(books: Path, quiet: bool) -> None:
    """Check BOOKS: Beancount's own checks plus the co-op's rules.

    Every problem is printed as `file:line: message`. The exit status is 0
    when the books are clean and 1 when they are not, so scripts and git
    hooks can rely on it.
    """
    loaded = load_books(books)
    if not quiet:
        for error in loaded.errors:
            click.echo(format_error(error))
    if loaded.errors:
        if not quiet:
            click.echo(f"{books}: {len(loaded.errors)} error(s)", err=True)
        sys.exit(1)
    if not quiet:
        coop = CoopBooks.from_entries(loaded.entries, loaded.options)
        click.echo(f"{books}: clean ({len(loaded.entries)} entries, "
                   f"{len(coop.records.members)} members)", err=True)


MEMBER_COLUMNS = [
    ("key", "Key"), ("name", "Name"), ("joined", "Joined"), ("left", "Left"),
    ("shares_subscribed", "Subscribed"), ("shares_paid", "Paid in"),
    ("dues_owed", "Dues owed"), ("other_owed", "Other owed"), ("payable", "Co-op owes"),
    ("capital", "Capital"), ("hours", "Hours"),
]


@main.command()
@BOOKS
@FORMAT
@IGNORE_ERRORS
@click.option("--active", is_flag=True, help="Only members who have not left.")
def members(books: Path, fmt: str, ignore_errors: bool, active: bool) -> None:
    """List every member of BOOKS.

    Columns: key, name, join and leave dates, shares subscribed and paid in,
    dues owed (arrears), other amounts owed, what the co-op owes the member,
    the member's capital (equity), and hours of work given.
    """
    loaded = _load(books, ignore_errors)
    rows = member_rows(CoopBooks.from_entries(loaded.entries, loaded.options))
    if active:
        rows = [row for row in rows if row.left is None]
    click.echo(render([vars(row) for row in rows], MEMBER_COLUMNS, fmt), nl=False)


STATEMENT_COLUMNS = [
    ("date", "Date"), ("description", "Description"), ("account", "Account"),
    ("amount", "Amount"), ("owes", "Member owes"), ("capital", "Capital"),
]


@main.command("statement")
@BOOKS
@click.argument("member")
@click.option("--from", "start", type=DATE, help="First day of the statement.")
@click.option("--to", "end", type=DATE, help="Last day of the statement.")
@FORMAT
@IGNORE_ERRORS
def statement_command(books: Path, member: str, start: datetime.date | None,
                      end: datetime.date | None, fmt: str, ignore_errors: bool) -> None:
    """A member's statement: every entry touching MEMBER (a member key), with
    running balances of what the member owes the co-op and of their capital.

    A negative "Member owes" means the co-op owes the member.
    """
    if start and end and end < start:
        raise click.BadParameter(f"--to {end} is before --from {start}")
    loaded = _load(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    if coop.member(member) is None:
        known = ", ".join(sorted(coop.records.members)) or "none"
        raise click.ClickException(f"no member {member!r} in {books} (members: {known})")
    result = statement(coop, member, start, end)
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
    period = f"{start or 'the beginning'} to {end or 'today'}"
    click.echo(f"Period: {period}")
    if start:
        click.echo(f"Opening: owes {money_text(result.opening_owes)}, "
                   f"capital {money_text(result.opening_capital)}")
    click.echo()
    click.echo(render(rows, STATEMENT_COLUMNS, fmt), nl=False)
    click.echo()
    click.echo(f"Closing: owes {money_text(result.closing_owes)}, "
               f"capital {money_text(result.closing_capital)}")


HOURS_COLUMNS = [("member", "Member"), ("period", "Period"), ("hours", "Hours"),
                 ("shifts", "Shifts")]


@main.command()
@BOOKS
@click.option("--by", "frequency", type=click.Choice(["weekly", "monthly", "quarterly", "yearly"]),
              default="monthly", show_default=True, help="Length of each period.")
@click.option("--member", "member_keys", multiple=True, help="Only this member (repeatable).")
@click.option("--from", "start", type=DATE, help="First day counted.")
@click.option("--to", "end", type=DATE, help="Last day counted.")
@FORMAT
@IGNORE_ERRORS
def hours(books: Path, frequency: str, member_keys: tuple[str, ...], start: datetime.date | None,
          end: datetime.date | None, fmt: str, ignore_errors: bool) -> None:
    """Hours of work members gave (coop-hours records), per member and period."""
    loaded = _load(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    unknown = [key for key in member_keys if key not in coop.records.members]
    if unknown:
        raise click.ClickException(f"no member {', '.join(map(repr, unknown))} in {books}")
    rows = hours_by_period(coop.records, frequency, start, end, member_keys or None)
    click.echo(render([vars(row) for row in rows], HOURS_COLUMNS, fmt), nl=False)


@main.command()
@click.argument("books", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-p", "--port", type=int, default=5000, show_default=True, help="Port to listen on.")
@click.option("-H", "--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--read-only", is_flag=True, help="Disallow changes to the books through Fava.")
def serve(books: tuple[Path, ...], port: int, host: str, read_only: bool) -> None:
    """Browse BOOKS (one or more ledgers) in Fava on http://HOST:PORT/.

    Fava shows every problem `coop check` finds on its Errors page.
    """
    from fava.cli import main as fava_main

    args = [*map(str, books), "--port", str(port), "--host", host]
    if read_only:
        args.append("--read-only")
    click.echo(f"Serving {len(books)} ledger(s) on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    fava_main.main(args=args, prog_name="coop serve", standalone_mode=True)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-git", is_flag=True, help="Do not make a git repository.")
def init(directory: Path, no_git: bool) -> None:
    """Start new books in DIRECTORY from the starter set.

    Makes DIRECTORY (which must not exist or be empty) with the chart of
    accounts, the co-op's settings, a members file and this year's file, in a
    git repository whose pre-commit hook runs `coop check` and refuses a commit
    whose books do not check clean.
    """
    try:
        main_file = init_books(directory, git=not no_git)
    except InitError as exc:
        raise click.ClickException(str(exc)) from None
    loaded = load_books(main_file)
    for error in loaded.errors:
        click.echo(format_error(error), err=True)
    if loaded.errors:
        raise click.ClickException(f"the new books in {directory} do not check clean")
    click.echo(f"New books in {directory}/ ({MAIN_FILE} is the main file).")
    click.echo("Next: edit settings.beancount (share class, dues) and members.beancount, then")
    click.echo(f"  coop check {directory / MAIN_FILE}")
    if not no_git:
        click.echo(f"  cd {directory} && git add . && git commit -m 'New books'")
