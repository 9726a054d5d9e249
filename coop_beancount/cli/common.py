"""What every `coop` command shares: the `main` group, the BOOKS argument, the
--format and --ignore-errors options, dates, and loading books that must check clean."""

from __future__ import annotations

import contextlib
import datetime
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import click
from click.shell_completion import CompletionItem

from coop_beancount import __version__
from coop_beancount.books import collector
from coop_beancount.books.files import atomic_write_all
from coop_beancount.books.loading import (
    Loaded,
    append_streamed,
    format_error,
    includes,
    load_books,
    member_names,
    replace_checked,
)
from coop_beancount.books.lock import BooksBusy, books_locked, lock_folder
from coop_beancount.reports.members import currencies
from coop_beancount.reports.output import FORMATS
from coop_beancount.reports.view import CoopBooks

#: Where BOOKS comes from when the command line names none, as for bean-query and Fava.
BOOKS_ENV = "BEANCOUNT_FILE"
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

WAIT = click.option(
    "--wait", type=click.FloatRange(min=0), default=300, show_default=True, metavar="SECONDS",
    help="How long to wait for another coop command that is writing the same books.",
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


def complete_member(ctx: click.Context, param: click.Parameter, incomplete: str,
                    ) -> list[CompletionItem]:
    """Shell completion of a member key, from the `coop-member` lines of the books."""
    books = ctx.params.get("books") or os.environ.get(BOOKS_ENV)
    if not books:
        return []
    return [CompletionItem(key, help=name) for key, name in member_names(Path(books)).items()
            if key.startswith(incomplete)]


class BooksCommand(click.Command):
    """A command whose BOOKS argument may be left out when BEANCOUNT_FILE names the books.

    A plain `envvar` cannot do this for `coop statement BOOKS MEMBER`: with the books
    left out, the member would be taken for them. Here the command line is parsed
    once as given; when BOOKS is what is missing, the books from the environment go
    first.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        books = os.environ.get(BOOKS_ENV)
        if books and not ctx.resilient_parsing and self._books_left_out(ctx, args):
            args = [books, *args]
        return super().parse_args(ctx, args)

    def _books_left_out(self, ctx: click.Context, args: list[str]) -> bool:
        arguments = [p for p in self.params if isinstance(p, click.Argument)]
        if not arguments or arguments[0].name != "books" or "--help" in args or "-h" in args:
            return False
        try:
            values, _, _ = self.make_parser(ctx).parse_args(args=list(args))
        except click.UsageError:
            return False
        # A positional argument that was given is a string; one left out is not.
        return any(not isinstance(values.get(p.name), str) for p in arguments if p.nargs == 1)


class CoopGroup(click.Group):
    command_class = BooksCommand

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """`coop` run as a program (the console script calls the group; tests call its
        `main`): what the command loaded is held to the end and the process ends without
        taking it apart (books/collector.py), with the exit status click gives."""
        if collector.plain():
            return super().__call__(*args, **kwargs)
        collector.keep_until_exit()
        try:
            self.main(*args, **kwargs)
        except SystemExit as done:
            collector.quick_exit(done.code)
        collector.quick_exit(0)


@click.group(cls=CoopGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coop")
def main() -> None:
    """Keep a co-operative's books in Beancount: members, shares, dues, hours of
    work, shared costs, patronage dividends and imports, checked on every load
    and browsable in Fava.

    BOOKS is the ledger's main file (for example main.beancount); left out, it
    is the file BEANCOUNT_FILE names, as for bean-query and Fava. Start new
    books with `coop init DIR`; see `coop COMMAND --help` for each command.
    Shell completion (commands, options, member keys): see the README.
    """


#: The title Beancount gives books that set none.
UNNAMED = "Beancount"


def load_checked(books: Path, ignore_errors: bool = True, can_ignore: bool = True) -> Loaded:
    loaded = load_books(books)
    if loaded.errors and not ignore_errors:
        for error in loaded.errors[:5]:
            click.echo(format_error(error), err=True)
        more = len(loaded.errors) - 5
        if more > 0:
            click.echo(f"... and {more} more", err=True)
        advice = " or pass --ignore-errors" if can_ignore else ""
        raise click.ClickException(
            f"{books} does not check clean ({len(loaded.errors)} error(s)), so its figures "
            f"cannot be trusted; fix them (see `coop check {books}`){advice}"
        )
    return loaded


def chosen_currency(coop: CoopBooks, currency: str | None) -> str:
    """The currency a members' report is in: the one asked for, or the only one in use."""
    found = currencies(coop)
    if currency is None:
        if len(found) > 1:
            raise click.ClickException(
                f"members' balances are in several currencies ({', '.join(found)}); "
                "choose one with --currency")
        return found[0] if found else (coop.options.get("operating_currency") or ["USD"])[0]
    if found and currency not in found:
        # A typo (--currency UDS) would otherwise read as "everyone is settled".
        raise click.ClickException(
            f"no member's receivable or payable is in {currency}; the currencies in use are "
            f"{', '.join(found)}")
    return currency


@contextmanager
def writing(books: Path, wait: float) -> Iterator[None]:
    """Hold the books' write lock (from before they are read until the write): a second
    writer is told it waits, and gives up with a clean error after `wait` seconds."""
    def waiting() -> None:
        click.echo(f"Waiting for another coop command writing the books in "
                   f"{lock_folder(books)} to finish (up to {wait:g} s) ...", err=True)

    try:
        with books_locked(books, wait, waiting):
            yield
    except BooksBusy as error:
        raise click.ClickException(str(error)) from None


def append_to_books(loaded: Loaded, target: Path, text: str, what: str,
                    hint: Callable[[list[Any]], str | None] | None = None,
                    removed: Iterable[int] = ()) -> None:
    """Append `text` (`what` it is, for messages) to `target`, a file of the books, in one
    atomic write and only if the books then check clean; else a clean error, nothing
    written. The entries starting on the lines `removed` of `target` are taken out in the
    same write (a re-imported period's records). Call it inside `writing`."""
    if not includes(loaded, target):
        raise click.ClickException(
            f"{target} is not one of the files of {loaded.path}; write to a file the books "
            "include (for example this year's file)")
    _checked_write(loaded.path, target, what, hint,
                   lambda: replace_checked(loaded, target, removed, text))


def append_stream_to_books(books: Path, target: Path, write: Callable[[BinaryIO], None],
                           what: str, hint: Callable[[list[Any]], str | None] | None = None,
                           ) -> None:
    """`append_to_books` for text too big to hold: `write` writes it (aligned) to the file
    it is given (`loading.append_streamed`). The caller has checked that `target` is a
    file of the books, and holds the lock (`writing`)."""
    _checked_write(books, target, what, hint,
                   lambda: append_streamed(books, target, write))


def _checked_write(books: Path, target: Path, what: str,
                   hint: Callable[[list[Any]], str | None] | None,
                   checked: Callable[[], list[Any]]) -> None:
    click.echo(f"Checking {books} with {what} ...", err=True)
    try:
        errors = checked()
    except OSError as error:
        reason = error.strerror or str(error)
        raise click.ClickException(
            f"could not write {error.filename or target}: {reason}; {target} was left as it "
            "was") from None
    if errors:
        for error in errors[:5]:
            click.echo(format_error(error), err=True)
        more = hint(errors) if hint else None
        if more:
            click.echo(more, err=True)
        raise click.ClickException(
            f"with {what} the books would not check clean ({len(errors)} error(s), above), "
            f"so {target} was left as it was")


def write_files(folder: Path,
                files: Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]],
                what: str, count: int | None = None, label: str | None = None,
                mode: int | None = None) -> None:
    """Write every file (name -> text, or bytes of a PDF; or (name, text) pairs as they are
    rendered: 20,000 owners' notices are never all in memory), each atomically, with one
    flush to disk for all (`atomic_write_all`); if one fails, take back what this run made.
    With `label`, a progress bar on stderr (`count` files); with `mode` (0o600 for taxpayer
    numbers), the files' permissions. A name may hold a folder (`copy-b/index.html`)."""
    if isinstance(files, Mapping):
        files, count = files.items(), len(files)
    made_folder = not folder.exists()
    written: list[Path] = []  # the files this run makes (not those it replaces)

    def contents(items: Iterable[tuple[str, str | bytes]]) -> Iterator[tuple[Path, bytes]]:
        for name, text in items:
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                written.append(path)
            yield path, text if isinstance(text, bytes) else text.encode()

    try:
        folder.mkdir(parents=True, exist_ok=True)
        progress = (click.progressbar(files, length=count, label=label, file=sys.stderr)
                    if label else contextlib.nullcontext(files))
        with progress as items:
            atomic_write_all(contents(items), mode)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        if made_folder and folder.exists() and not any(folder.iterdir()):
            folder.rmdir()
        raise click.ClickException(f"could not write {what} to {folder}: {exc}") from None
