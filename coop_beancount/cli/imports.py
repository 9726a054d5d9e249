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
every problem as a trapped exception, while a bookkeeper needs file, row and a fix. The
pieces are beangulp's: `extract.extract_from_file`, each importer's `deduplicate` and `sort`,
`extract.sort_extracted_entries` and `archive.filepath`; so the same importers behave the
same here, in beangulp scripts and in Fava's import page. Files are moved by
`files.move_whole`, not `archive.move`, so a crash never leaves half a document.
"""

from __future__ import annotations

import contextlib
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

from coop_beancount.books.collector import kept_out
from coop_beancount.books.files import move_whole
from coop_beancount.books.loading import Loaded, format_error, includes, load_books
from coop_beancount.cli.common import WAIT, append_to_books, writing
from coop_beancount.importers import csvformat
from coop_beancount.importers.csvformat import BadRows, ImportFileError
from coop_beancount.importers.dedupe import DUPLICATE, DUPLICATE_OF
from coop_beancount.importers.records import RosterImporter
from coop_beancount.reports.output import table

CONFIG_NAME = "import.yaml"
#: Past this many entries, writing them out shows a progress bar.
PROGRESS_ENTRIES = 2000
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
    path: Path
    importer: Any
    entries: list[Any] = field(default_factory=list)
    bad_rows: list[ImportFileError] = field(default_factory=list)

    @property
    def new(self) -> list[Any]:
        return [e for e in self.entries if not e.meta.get(DUPLICATE)]

    @property
    def duplicates(self) -> list[Any]:
        return [e for e in self.entries if e.meta.get(DUPLICATE)]


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


def _progress(items: list[Any], label: str, shown: bool) -> Any:
    """A progress bar on stderr when `shown`, else the items as they are."""
    if not shown:
        return contextlib.nullcontext(items)
    return click.progressbar(items, label=label, file=sys.stderr)


def _is_bad_rows(error: ImportFileError) -> bool:
    """Some rows are bad, the others read (`errors`, and `entries` of the good rows)."""
    return isinstance(error, BadRows)


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


def _extract_documents(documents: list[Document], existing: list[Any],
                       ) -> list[ImportFileError]:
    """Extract every document; returns the files that could not be read at all."""
    with _rows_progress():
        return _extract_each(documents, existing)


def _extract_each(documents: list[Document], existing: list[Any],
                  ) -> list[ImportFileError]:
    failed = []
    # A roster first: its new members are then members for the patronage files of this run.
    documents.sort(key=lambda d: not isinstance(d.importer, RosterImporter))
    seen = list(existing)
    with _progress(documents, "Extracting", len(documents) > 1) as bar:
        for document in bar:
            try:
                document.entries = beangulp_extract.extract_from_file(
                    document.importer, str(document.path), seen)
            except ImportFileError as error:
                if not _is_bad_rows(error):
                    failed.append(error)
                    continue
                document.entries, document.bad_rows = list(error.entries), list(error.errors)
                document.importer.sort(document.entries)
            seen.extend(document.entries)
    return failed


def _deduplicate(documents: list[Document], existing: list[Any]) -> None:
    """Each importer marks its duplicates; earlier documents of this run count as existing."""
    extracted = [(str(d.path), d.entries, d.importer.account(str(d.path)), d)
                 for d in documents]
    beangulp_extract.sort_extracted_entries(extracted)
    documents[:] = [d for *_, d in extracted]
    seen = list(existing)
    for document in documents:
        document.importer.deduplicate(document.entries, seen)
        seen.extend(document.new)


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
    rows = [{"file": d.path.name, "importer": d.importer.name, "new": len(d.new),
             "duplicates": len(d.duplicates), "bad": len(d.bad_rows)} for d in documents]
    click.echo(table(rows, [("file", "File"), ("importer", "Importer"), ("new", "New"),
                            ("duplicates", "Duplicates (not written)"),
                            ("bad", "Bad rows")]), nl=False, err=True)
    for document in documents:
        duplicates = document.duplicates
        for entry in duplicates[:SHOWN_DUPLICATES]:
            click.echo(f"  duplicate: {_where(entry)}: {_describe(entry)}, already in "
                       f"{_duplicate_of(entry)}", err=True)
        if len(duplicates) > SHOWN_DUPLICATES:
            click.echo(f"  ... and {len(duplicates) - SHOWN_DUPLICATES} more duplicates in "
                       f"{document.path.name}", err=True)
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


def _ledger_text(documents: list[Document], show_duplicates: bool) -> str:
    """The entries as Beancount text, one section per document; duplicates left out (or
    commented out, for a dry run to show them)."""
    sections = [(d, d.entries if show_duplicates else d.new) for d in documents]
    entries = [(d, entry) for d, chosen in sections for entry in chosen]
    out: list[str] = []
    current = None
    render = printer.EntryPrinter()  # one printer for all: format_entry builds one per entry
    with _progress(entries, "Formatting entries", len(entries) > PROGRESS_ENTRIES) as bar:
        for document, entry in bar:
            if document is not current:
                current = document
                out.append(f"; Imported from {document.path.name} ({document.importer.name})"
                           "\n\n")
            text = render(entry)
            if entry.meta.get(DUPLICATE):
                text = (f"; duplicate of {_duplicate_of(entry)}\n"
                        + "".join(f"; {line}" for line in text.splitlines(keepends=True)))
            out.append(text + "\n")
    return "".join(out)


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
    loaded = _load_clean(books, dry_run=not write)
    if target is not None:
        _check_target(loaded, target)
    failed = _extract_documents(documents, loaded.entries)
    if failed:
        for error in failed:
            click.echo(str(error), err=True)
        raise click.ClickException(f"{len(failed)} file(s) cannot be read (above); nothing "
                                   "was written")
    _deduplicate(documents, loaded.entries)
    _summary(documents)
    bad = sum(len(d.bad_rows) for d in documents)
    refused = (f"{bad} bad row(s) (above), so nothing was written; fix them, or pass "
               "--skip-bad-rows to write the other rows")
    if bad and not skip_bad_rows and write:
        raise click.ClickException(refused)
    new = sum(len(d.new) for d in documents)
    plural = "entry" if new == 1 else "entries"
    if not write:
        click.echo(_ledger_text(documents, show_duplicates=True), nl=False)
        where = f" to {target}" if target else ""
        click.echo(f"Dry run: {new} new {plural} would be appended{where}; nothing was "
                   "written.", err=True)
        if bad and not skip_bad_rows:
            raise click.ClickException(refused)
        return
    if not new:
        click.echo("Nothing new to import: nothing was written.", err=True)
        return
    append_to_books(loaded, target, _ledger_text(documents, show_duplicates=False),
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
