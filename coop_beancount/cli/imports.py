"""`coop import`: bank statements, patronage records and member rosters into the books.

    coop import identify BOOKS DOCS...                which importer reads each document
    coop import extract BOOKS DOCS... --to FILE       append the new entries to FILE
    coop import extract BOOKS DOCS... --dry-run       print them; write nothing
    coop import archive BOOKS DOCS... [--to DIR]      file the documents by account and date

The importers come from `import.yaml` next to BOOKS (or `--config FILE`); see
docs/importing.md. DOCS are files or folders (a folder's files that no importer recognises
are skipped; a file named on the command line must be recognised).

Why these commands and not beangulp's `Ingest` group mounted as is: its importers are fixed
when the group is built, but ours come from a configuration found next to BOOKS; its extract
overwrites an output file, while ours appends to a file of the books only when they check
clean before and with the new entries (checked before anything is written); it prints
every problem as a trapped exception, while a bookkeeper needs file, row and a fix; and it
holds every entry of a statement, while ours streams a bank statement's entries (made,
checked for duplicates, printed and let go: `_Run`, books/spool.py). The pieces are
beangulp's where they hold: `extract.extract_from_file` and each importer's `deduplicate`
and `sort` for small documents, its order of documents (`sort_extracted_entries`'s key,
`Document.order`) and `archive.filepath`; a bank importer's `extract` gives the entries its
`extract_each` streams, so the same importers behave the same here, in beangulp scripts and
in Fava's import page. Files are moved by `files.move_whole`, not `archive.move`, so a
crash never leaves half a document.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from beancount.core import data
from beancount.parser import parser, printer
from beangulp import archive as beangulp_archive
from beangulp import exceptions as beangulp_exceptions
from beangulp import extract as beangulp_extract
from beangulp import utils as beangulp_utils

from coop_beancount.books.collector import kept_out, release
from coop_beancount.books.files import move_whole
from coop_beancount.books.loading import Loaded, format_error, includes, load_books
from coop_beancount.books.spool import Spool, sort_key
from coop_beancount.cli.common import WAIT, append_stream_to_books, writing
from coop_beancount.importers import csvformat, dedupe
from coop_beancount.importers.csvbase import Reading
from coop_beancount.importers.csvformat import BadRows, ImportFileError
from coop_beancount.importers.dedupe import DUPLICATE, DUPLICATE_OF
from coop_beancount.importers.records import RosterImporter
from coop_beancount.reports.output import table

CONFIG_NAME = "import.yaml"
#: Duplicates and bad rows listed per file; the rest are counted.
SHOWN_DUPLICATES = 10
SHOWN_BAD_ROWS = 50

BOOKS = click.argument(
    "books", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="BOOKS")
DOCS = click.argument("docs", nargs=-1, required=True, metavar="DOCS...",
                      type=click.Path(exists=True, path_type=Path))
CONFIG = click.option(
    "--config", "config", type=click.Path(dir_okay=False, path_type=Path),
    help=f"The import configuration [default: {CONFIG_NAME} next to BOOKS].")


@click.group("import")
def import_group() -> None:
    """Import bank statements, patronage records and member rosters.

    The importers are configured in import.yaml next to BOOKS (see
    docs/importing.md). The routine: `identify` to see which importer reads
    each file, `extract --dry-run` to see the entries, `extract --to FILE` to
    append them to a file of the books, `archive` to file the documents away.
    """


# ---- the configuration ---------------------------------------------------------------------

def load_importers(path: Path) -> list[Any]:
    """The importers configured in `path` (a seam: tests may give other importers)."""
    from coop_beancount.importers.config import ImportConfigError, load_config

    try:
        return list(load_config(path).importers)
    except ImportConfigError as error:
        raise click.ClickException(str(error)) from None


def _importers(books: Path, config: Path | None) -> list[Any]:
    path = config or books.parent / CONFIG_NAME
    if not path.is_file():
        raise click.ClickException(
            f"no import configuration: {path} does not exist; write one (docs/importing.md "
            "shows how) or name it with --config")
    importers = load_importers(path)
    if not importers:
        raise click.ClickException(f"{path} configures no importers")
    return importers


# ---- finding and identifying the documents ---------------------------------------------------

@dataclass
class Document:
    """A document and what its import made: counts, the first duplicates (to list), its
    bad rows, its days, its section of the printed entries (the entries are not kept)."""

    path: Path
    importer: Any
    new: int = 0
    duplicates: int = 0
    shown: list[Any] = field(default_factory=list)
    bad_rows: list[ImportFileError] = field(default_factory=list)
    first: datetime.date | None = None
    last: datetime.date | None = None
    section: int = -1

    def order(self) -> tuple[Any, ...]:
        """beangulp's order of documents (extract.sort_extracted_entries): by last day,
        account, first day, file; a document with no entry last."""
        never = datetime.date(9999, 1, 1)
        return (self.last or never, self.importer.account(str(self.path)),
                self.first or never, str(self.path))


def _walk(docs: tuple[Path, ...]) -> list[tuple[Path, bool]]:
    """Each file, and whether it was named (True) or found in a named folder (False)."""
    found: list[tuple[Path, bool]] = []
    for doc in docs:
        if doc.is_dir():
            found.extend((Path(name), False) for name in sorted(beangulp_utils.walk([str(doc)]))
                         if not Path(name).name.startswith(".")
                         and not name.endswith(".beancount"))
        else:
            found.append((doc, True))
    return found


def _why_not(path: Path, importers: list[Any]) -> str:
    """Why no importer recognises `path`: the message a bookkeeper can act on."""
    try:
        empty = not path.read_bytes().strip()
    except OSError as error:
        return f"{path}: cannot be read: {error.strerror}"
    if empty:
        return f"{path}: is empty: nothing to import"
    reasons = []
    for importer in importers:
        mismatch = getattr(importer, "mismatch", None)
        reason = mismatch(str(path)) if mismatch else None
        reasons.append(f"  {importer.name}: {reason or 'does not recognise it'}")
    return (f"{path}: no importer recognises this file; check the file name patterns and "
            "the columns in the import configuration\n" + "\n".join(reasons))


def _unreadable(path: Path) -> str | None:
    """Why `path` cannot be read (a dangling link, no permission), or None."""
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as error:
        return f"{path}: cannot be read: {error.strerror}"
    return None


def _identify(importers: list[Any], docs: tuple[Path, ...],
              skipped: list[Path]) -> list[Document]:
    """The documents and their importers; raises if a named file is not recognised."""
    found, problems = [], []
    for path, named in _walk(docs):
        try:
            matched = [importer for importer in importers if importer.identify(str(path))]
        except ImportFileError as error:
            problems.append(str(error))
            continue
        if len(matched) > 1:
            names = ", ".join(importer.name for importer in matched)
            problems.append(f"{path}: recognised by more than one importer ({names}); give "
                            "them file name patterns that tell the files apart")
        elif matched:
            found.append(Document(path, matched[0]))
        elif named:
            problems.append(_why_not(path, importers))
        elif unreadable := _unreadable(path):
            # Not "not recognised": nobody could tell, and the bookkeeper must know.
            problems.append(unreadable)
        else:
            skipped.append(path)
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise click.ClickException(
            f"{len(problems)} file(s) cannot be imported (above); nothing was done")
    return found


@import_group.command()
@BOOKS
@DOCS
@CONFIG
def identify(books: Path, docs: tuple[Path, ...], config: Path | None) -> None:
    """Which importer reads each of DOCS (files or folders), and its account."""
    importers = _importers(books, config)
    skipped: list[Path] = []
    found = _identify(importers, docs, skipped)
    rows = [{"file": str(d.path), "importer": d.importer.name,
             "account": d.importer.account(str(d.path))} for d in found]
    rows += [{"file": str(path), "importer": "(not recognised: skipped)", "account": ""}
             for path in skipped]
    click.echo(table(rows, [("file", "File"), ("importer", "Importer"),
                            ("account", "Account")]), nl=False)


# ---- extract ----------------------------------------------------------------------------------

def _load_clean(books: Path, dry_run: bool) -> Loaded:
    click.echo(f"Loading {books} ...", err=True)
    loaded = load_books(books)
    if loaded.errors:
        for error in loaded.errors[:5]:
            click.echo(format_error(error), err=True)
        if len(loaded.errors) > 5:
            click.echo(f"... and {len(loaded.errors) - 5} more", err=True)
        message = (f"{books} does not check clean ({len(loaded.errors)} error(s)); fix them "
                   f"first (see `coop check {books}`)")
        if not dry_run:
            raise click.ClickException(message + ", so nothing was imported")
        click.echo(f"Warning: {message}; duplicates are looked for all the same.", err=True)
    return loaded


def _check_target(loaded: Loaded, target: Path) -> None:
    if not includes(loaded, target):
        raise click.ClickException(
            f"{target} is not one of the files of {loaded.path}; append to a file the books "
            "include (for example this year's file)")


class _RowsRead:
    """A progress bar on stderr for each big file read: the bar its bytes, the count its
    rows (csvformat.PROGRESS tells it). A file read before its first report (a few
    thousand rows) shows none."""

    def __init__(self) -> None:
        self.path: str | None = None
        self.bar: Any = None
        self.done = 0

    def __call__(self, path: str, rows: int, done: int, size: int) -> None:
        if path != self.path:
            self.close()
            if done >= size:
                return
            self.path, self.done = path, 0
            self.bar = click.progressbar(
                length=size, label=f"Reading {os.path.basename(path)}", file=sys.stderr,
                item_show_func=lambda n: None if n is None else f"{n:,} rows")
            self.bar.__enter__()
        self.bar.update(max(done - self.done, 0), rows)
        self.done = done
        if done >= size:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
        self.bar, self.path = None, None


@contextlib.contextmanager
def _rows_progress() -> Any:
    """Rows read shown while the files are read, when stderr is a terminal (a log or a
    pipe gets no bar: the summary after the reading says how many rows there were)."""
    if not sys.stderr.isatty():
        yield
        return
    bar = _RowsRead()
    token = csvformat.PROGRESS.set(bar)
    try:
        yield
    finally:
        csvformat.PROGRESS.reset(token)
        bar.close()


class _Run:
    """One import: each document's entries made, checked for duplicates and printed into
    the spool as they come (a statement's entries are never held together).

    A bank statement (an importer with `extract_each`) is a stream: each entry is looked
    up in an index of the books' keys (`dedupe.Index`: import-ids, and hand-written
    entries' date, account and amount), printed, and let go; those that may match a
    hand-written entry a day or two away wait until every exact day has had its match, as
    `dedupe.mark_duplicates` does. Other documents (rosters, patronage records: small) are
    extracted whole by beangulp and marked by their importer's `deduplicate`. Earlier
    documents of the run count as existing for later ones (rosters first).
    """

    def __init__(self, documents: list[Document], existing: list[Any], spool: Spool,
                 show_duplicates: bool) -> None:
        self.documents = documents
        self.seen = list(existing)
        self.spool = spool
        self.show_duplicates = show_duplicates
        self.index: dedupe.Index | None = None
        self.remember = False
        self.render = printer.EntryPrinter()  # one printer for all

    def extract_all(self) -> list[ImportFileError]:
        """Extract every document; returns the files that could not be read at all."""
        failed = []
        # A roster first: its new members are then members for the patronage files.
        self.documents.sort(key=lambda d: not isinstance(d.importer, RosterImporter))
        several = len(self.documents) > 1
        bar = (click.progressbar(self.documents, label="Extracting", file=sys.stderr)
               if several else contextlib.nullcontext(self.documents))
        with bar as documents:
            for number, document in enumerate(documents):
                self.remember = number + 1 < len(self.documents)
                try:
                    self._extract(document)
                except ImportFileError as error:
                    self.spool.drop_section()
                    document.section = -1
                    failed.append(error)
        return failed

    def _extract(self, document: Document) -> None:
        header = f"; Imported from {document.path.name} ({document.importer.name})\n\n"
        streamed = hasattr(document.importer, "extract_each")
        document.section = self.spool.section(header, ordered=not streamed)
        if streamed:
            self._stream(document)
        else:
            self._whole(document)

    def _books_index(self) -> dedupe.Index:
        if self.index is None:
            accounts = {d.importer.account(str(d.path)) for d in self.documents
                        if hasattr(d.importer, "extract_each")}
            self.index = dedupe.Index(self.seen, accounts, set())
        return self.index

    def _stream(self, document: Document) -> None:
        index = self._books_index()
        reading = Reading()
        waiting = []
        path = str(document.path)
        for entry in document.importer.extract_each(path, self.seen, reading):
            data.sanity_check_types(entry)
            original = index.original(entry)
            if original is not None:
                dedupe.mark(entry, original)
            elif index.may_be_near(entry):
                waiting.append(entry)
                continue
            self._add(document, entry)
        dedupe.mark_nearby(index, waiting)
        for entry in waiting:
            self._add(document, entry)
        if reading.broke_off:
            # Nothing of a file read only in part is offered: its bad rows are listed.
            self.spool.drop_section()
            document.section, document.new, document.duplicates = -1, 0, 0
            document.shown = []
        document.bad_rows = reading.bad

    def _whole(self, document: Document) -> None:
        importer, path = document.importer, str(document.path)
        try:
            entries = beangulp_extract.extract_from_file(importer, path, self.seen)
        except ImportFileError as error:
            if not isinstance(error, BadRows):
                raise
            entries, document.bad_rows = list(error.entries), list(error.errors)
            importer.sort(entries)
        importer.deduplicate(entries, self.seen)
        for entry in entries:
            self._add(document, entry)
        self.seen.extend(entries)

    def _add(self, document: Document, entry: Any) -> None:
        """Count the entry, print it into the spool (a duplicate commented out, or left
        out), and let it go."""
        if document.first is None or entry.date < document.first:
            document.first = entry.date
        if document.last is None or entry.date > document.last:
            document.last = entry.date
        duplicate = bool(entry.meta.get(DUPLICATE))
        if duplicate:
            document.duplicates += 1
            if len(document.shown) < SHOWN_DUPLICATES:
                document.shown.append(entry)
            if not self.show_duplicates:
                return
        else:
            document.new += 1
            if self.remember and self.index is not None:
                # (a later statement looks it up there; a later small document finds it in
                # `seen`, and the index, when a statement comes later, is built from that)
                self.index.remember(entry)
        text = self.render(entry)
        if duplicate:
            text = (f"; duplicate of {_duplicate_of(entry)}\n"
                    + "".join(f"; {line}" for line in text.splitlines(keepends=True)))
        self.spool.add(sort_key(entry), text + "\n")

    def order(self) -> list[int]:
        """The sections in beangulp's order of documents (those that were read)."""
        return [d.section for d in sorted(self.documents, key=Document.order)
                if d.section >= 0]


def _where(entry: Any) -> str:
    meta = entry.meta or {}
    return f"{os.path.basename(meta.get('filename', '?'))}, row {meta.get('lineno', '?')}"


def _duplicate_of(entry: Any) -> str:
    """Where the entry is already, "file:line" (dedupe's mark, or beangulp's: the entry)."""
    where = entry.meta.get(DUPLICATE_OF)
    found = entry.meta.get(DUPLICATE)
    if where is None and isinstance(found, tuple) and getattr(found, "meta", None):
        where = f"{found.meta.get('filename')}:{found.meta.get('lineno')}"
    if where is None:
        return "the books"
    filename, _, line = where.rpartition(":")
    if os.path.isabs(filename):
        relative = os.path.relpath(filename)
        filename = filename if relative.startswith("..") else relative
    return f"{filename}:{line}"


def _summary(documents: list[Document]) -> None:
    rows = [{"file": d.path.name, "importer": d.importer.name, "new": d.new,
             "duplicates": d.duplicates, "bad": len(d.bad_rows)} for d in documents]
    click.echo(table(rows, [("file", "File"), ("importer", "Importer"), ("new", "New"),
                            ("duplicates", "Duplicates (not written)"),
                            ("bad", "Bad rows")]), nl=False, err=True)
    for document in documents:
        for entry in document.shown:
            click.echo(f"  duplicate: {_where(entry)}: {_describe(entry)}, already in "
                       f"{_duplicate_of(entry)}", err=True)
        if document.duplicates > len(document.shown):
            click.echo(f"  ... and {document.duplicates - len(document.shown)} more "
                       f"duplicates in {document.path.name}", err=True)
        for error in document.bad_rows[:SHOWN_BAD_ROWS]:
            click.echo(f"  bad row: {error}", err=True)
        if len(document.bad_rows) > SHOWN_BAD_ROWS:
            click.echo(f"  ... and {len(document.bad_rows) - SHOWN_BAD_ROWS} more bad rows in "
                       f"{document.path.name}", err=True)


def _describe(entry: Any) -> str:
    if isinstance(entry, data.Custom):
        values = " ".join(f'"{v.value}"' if isinstance(v.value, str) else str(v.value)
                          for v in entry.values or ())
        return f"{entry.date} {entry.type} {values}"
    if isinstance(entry, data.Transaction):
        first = entry.postings[0].units if entry.postings else None
        parts = [entry.payee, entry.narration, first and f"{first.number} {first.currency}"]
        return f"{entry.date} {', '.join(p for p in parts if p)}"
    return f"{entry.date} {type(entry).__name__.lower()}"


_UNKNOWN_ACCOUNT = re.compile(r"unknown account '([^']+)'")


def _placeholder_hint(errors: list[Any]) -> str | None:
    unknown = sorted({m.group(1) for e in errors
                      if (m := _UNKNOWN_ACCOUNT.search(str(e.message)))})
    if not unknown:
        return None
    return ("Hint: open " + ", ".join(unknown) + " in the books (the placeholders of bank "
            "lines no rule matched are opened once, like any account).")


@import_group.command()
@BOOKS
@DOCS
@click.option("--to", "target", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Append the new entries to this file of the books.")
@click.option("--dry-run", is_flag=True,
              help="Print the entries (duplicates commented out); write nothing.")
@click.option("--skip-bad-rows", is_flag=True,
              help="Write the good rows of a file that has bad ones (listed), instead of "
              "nothing.")
@WAIT
@CONFIG
def extract(books: Path, docs: tuple[Path, ...], target: Path | None, dry_run: bool,
            skip_bad_rows: bool, wait: float, config: Path | None) -> None:
    """Extract entries from DOCS and append the new ones to a file of BOOKS.

    Each document is read by the importer that recognises it. Entries already
    in the books (imported before, from this file or an overlapping one) are
    duplicates: listed, never written. Without --to, or with --dry-run, the
    entries are printed and nothing is written. With --to FILE (a file the
    books include) they are appended in one atomic write, only when the books
    check clean before and after; existing entries are never changed.

    A file no importer recognises, or one that cannot be read (empty, a wrong
    number of cells, a bad date or number on a row), stops the import before
    anything is written, naming the file and the row.

    With --to, the command holds the books' write lock from before it reads
    them until the write: another coop command writing the same books waits
    for it (--wait), then finds this import's entries as duplicates.

    \b
    Example:
      coop import extract main.beancount downloads/ --dry-run
      coop import extract main.beancount downloads/ --to 2026.beancount
    """
    # The loaded books are hundreds of thousands of long-lived objects that hold no
    # garbage cycles; the collector's full passes over them would nearly double the time of
    # a large import, and free nothing.
    with kept_out():
        if target is None or dry_run:
            _extract(books, docs, target, dry_run, skip_bad_rows, config)
            return
        with writing(books, wait):
            _extract(books, docs, target, dry_run, skip_bad_rows, config)


def _extract(books: Path, docs: tuple[Path, ...], target: Path | None, dry_run: bool,
             skip_bad_rows: bool, config: Path | None) -> None:
    importers = _importers(books, config)
    documents = _identify(importers, docs, skipped := [])
    for path in skipped:
        click.echo(f"{path}: not recognised, skipped", err=True)
    if not documents:
        raise click.ClickException("no document to import (every file was skipped)")
    write = target is not None and not dry_run
    loaded: Loaded | None = _load_clean(books, dry_run=not write)
    assert loaded is not None
    if target is not None:
        _check_target(loaded, target)
    with Spool(align=write) as spool:
        run = _Run(documents, loaded.entries, spool, show_duplicates=not write)
        with _rows_progress():
            failed = run.extract_all()
        if failed:
            for error in failed:
                click.echo(str(error), err=True)
            raise click.ClickException(f"{len(failed)} file(s) cannot be read (above); "
                                       "nothing was written")
        _summary(sorted(documents, key=Document.order))
        bad = sum(len(d.bad_rows) for d in documents)
        refused = (f"{bad} bad row(s) (above), so nothing was written; fix them, or pass "
                   "--skip-bad-rows to write the other rows")
        if bad and not skip_bad_rows and write:
            raise click.ClickException(refused)
        new = sum(d.new for d in documents)
        plural = "entry" if new == 1 else "entries"
        if not write:
            spool.write_to(lambda text: click.echo(text, nl=False), run.order())
            where = f" to {target}" if target else ""
            click.echo(f"Dry run: {new} new {plural} would be appended{where}; nothing was "
                       "written.", err=True)
            if bad and not skip_bad_rows:
                raise click.ClickException(refused)
            return
        if not new:
            click.echo("Nothing new to import: nothing was written.", err=True)
            return
        assert target is not None
        order = run.order()
        # The books and the index of their keys are let go before the check loads the books
        # with the new entries: that load is the write's peak, and it holds no other copy.
        release(loaded)
        del run, loaded
        append_stream_to_books(
            books, target, lambda out: spool.write_to(
                lambda text: out.write(text.encode("utf-8")), order),
            "the imported entries", _placeholder_hint)
    click.echo(f"Appended {new} {plural} to {target}; the books check clean.", err=True)


# ---- archive ----------------------------------------------------------------------------------

def _documents_folder(books: Path) -> Path | None:
    """The books' `option "documents"` folder (only the main file is read: it is fast)."""
    _, _, options = parser.parse_file(str(books))
    folders = options.get("documents") or []
    return (books.parent / folders[0]) if folders else None


@import_group.command("archive")
@BOOKS
@DOCS
@click.option("--to", "destination", type=click.Path(file_okay=False, path_type=Path),
              help='The documents folder [default: the books\' option "documents"].')
@click.option("--dry-run", is_flag=True, help="Print where each file would go; move nothing.")
@CONFIG
def archive_command(books: Path, docs: tuple[Path, ...], destination: Path | None,
                    dry_run: bool, config: Path | None) -> None:
    """File DOCS away: DIR/<account as folders>/<date>.<file name>.

    The layout is beangulp's, which Fava's Documents page reads when the books
    say `option "documents" "DIR"`. Files are moved only when every one of them
    has a place: none is overwritten.

    \b
    Example:
      coop import archive main.beancount downloads/ --to documents
    """
    importers = _importers(books, config)
    destination = destination or _documents_folder(books)
    if destination is None:
        raise click.ClickException(
            f'where to? pass --to DIR, or add option "documents" "DIR" to {books}')
    documents = _identify(importers, docs, skipped := [])
    for path in skipped:
        click.echo(f"{path}: not recognised, skipped", err=True)
    moves: list[tuple[Path, Path]] = []
    problems = []
    for document in documents:
        try:
            place = beangulp_archive.filepath(document.importer, str(document.path))
        except beangulp_exceptions.Error as error:
            problems.append(f"{document.path}: {error.message}")
            continue
        target = destination / place
        if target.exists() or any(target == t for _, t in moves):
            problems.append(f"{document.path}: {target} is already taken; rename one of them")
            continue
        moves.append((document.path, target))
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{len(problems)} file(s) have no place (above); nothing "
                                   "was moved")
    for source, target in moves:
        click.echo(f"{source} -> {target}")
        if not dry_run:
            try:
                move_whole(source, target)
            except OSError as error:
                raise click.ClickException(
                    f"{source} could not be moved to {target}: {error.strerror or error}; "
                    f"the files listed before it were moved, it and the rest were not") from None
    verb = "would be moved" if dry_run else "moved"
    click.echo(f"{len(moves)} file(s) {verb}.", err=True)
