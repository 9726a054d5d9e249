"""The books themselves: `coop check`, `coop init` and `coop serve`.

    coop check BOOKS                    bean-check plus the co-op's rules
    coop serve BOOKS                    browse the books in Fava
    coop init DIR                       new books in a git repository that checks every commit
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from coop_beancount.books.loading import format_error, load_books
from coop_beancount.books.starter import MAIN_FILE, InitError, init_books
from coop_beancount.cli.common import (
    BOOKS,
    UNNAMED,
    main,
)
from coop_beancount.reports.view import CoopBooks


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
        count = len(coop.records.members)
        click.echo(f"{books}: clean ({len(loaded.entries)} entries, {count} "
                   f"member{'' if count == 1 else 's'})", err=True)



@main.command()
@click.argument("books", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-p", "--port", type=int, default=5000, show_default=True, help="Port to listen on.")
@click.option("-H", "--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--read-only", is_flag=True, help="Disallow changes to the books through Fava.")
def serve(books: tuple[Path, ...], port: int, host: str, read_only: bool) -> None:
    """Browse BOOKS (one or more ledgers) in Fava on http://HOST:PORT/.

    Fava shows every problem `coop check` finds on its Errors page. Books with
    the line `custom "fava-extension" "coop_beancount.fava_pages"` have the
    co-op's pages in Fava's sidebar: Members (and each member's statement),
    Shared costs, Patronage and Equity; their addresses are printed at start.
    """
    from fava.cli import main as fava_main

    args = [*map(str, books), "--port", str(port), "--host", host]
    if read_only:
        args.append("--read-only")
    click.echo(f"Serving {len(books)} ledger(s) on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    for path in books:
        click.echo(f"  {path}: co-op pages at "
                   f"http://{host}:{port}/{ledger_slug(path)}/extension/CoopMembers/", err=True)
    fava_main.main(args=args, prog_name="coop serve", standalone_mode=True)


def ledger_slug(path: Path) -> str:
    """The name Fava gives the books in its URLs: its slug of their title (or file path)."""
    from beancount.parser import parser
    from fava.util import slugify

    _, _, options = parser.parse_file(str(path))
    title = options.get("title")
    return slugify(title) if title and title != UNNAMED else slugify(str(path.resolve()))


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
