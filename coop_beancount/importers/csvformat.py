"""How a CSV export is laid out, and reading its rows with errors that name file and row.

    csv:
      encoding: latin-1        # utf-8 (with or without a BOM, the default) or latin-1 ...
      delimiter: ";"
      skip_lines: 3            # lines before the header (a bank's title block)
      date_format: "%d.%m.%Y"
      decimal: ","
      thousands: "."

Every importer (bank statements, patronage records, member rosters) reads its
file through `read_rows`, so every one of them reports a bad row the same way:
`statement.csv, row 14: ...`.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import fnmatch
import os
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from coop_beancount.core.errors import too_many_digits


class ImportFileError(ValueError):
    """A file that cannot be imported as configured: which file, which row, what is wrong."""

    def __init__(self, path: str | Path, row: int | None, message: str) -> None:
        self.path = str(path)
        self.row = row
        self.message = message
        where = f"{self.path}, row {row}" if row is not None else self.path
        super().__init__(f"{where}: {message}")


class BadRows(ImportFileError):
    """Rows that cannot be imported, each an ImportFileError with its row number.

    `entries` holds what the good rows gave, which is written only if the user asks for
    it; an importer leaves it empty when the file broke off, so that nothing of a file
    read only in part is ever written.
    """

    def __init__(self, path: str | Path, errors: list[ImportFileError],
                 entries: list[Any] | tuple[()] = ()) -> None:
        self.errors = list(errors)
        self.entries = list(entries)
        count = len(self.errors)
        lines = "\n".join(f"  row {error.row}: {error.message}" for error in self.errors)
        super().__init__(path, None, (
            f"{count} row{'s' if count != 1 else ''} cannot be imported:\n{lines}"))


#: Told, every PROGRESS_EVERY rows and at the end of a file, (file, rows read, bytes read,
#: file size): the CLI's progress bar. None (the default) reports nothing.
PROGRESS: ContextVar[Callable[[str, int, int, int], None] | None] = ContextVar(
    "csv_progress", default=None)
PROGRESS_EVERY = 4096


@dataclass(frozen=True)
class CsvFormat:
    encoding: str = "utf-8-sig"  # reads UTF-8 with or without a byte-order mark
    delimiter: str = ","
    skip_lines: int = 0
    date_format: str = "%Y-%m-%d"
    decimal: str = "."
    thousands: str = ","


@dataclass(frozen=True)
class Row:
    """One data row: its number in the file (1 = the first line) and its cells by header."""

    number: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "").strip()


def read_rows(path: str | Path, fmt: CsvFormat, required: tuple[str, ...] = ()) -> Iterator[Row]:
    """The data rows of a CSV file with a header line, after `skip_lines` lines.

    Raises ImportFileError for an unreadable or empty file, a header missing one of the
    `required` columns, or a row whose number of cells differs from the header's.
    """
    # Read as a stream: a bank's statement can be millions of rows, and the file is never
    # held whole (nor its decoded text, nor a list of its lines) in memory.
    try:
        handle = open(path, encoding=fmt.encoding, newline="")  # noqa: SIM115 (with: below)
    except OSError as exc:
        raise ImportFileError(path, None, f"cannot be read: {exc.strerror}") from None
    with handle:
        try:
            yield from _rows_of(path, fmt, handle, required)
        except UnicodeError:  # a bad byte; UTF-16 with no byte-order mark
            raise _not_text(path, fmt) from None
        except OSError as exc:  # a folder, an I/O error part-way
            raise ImportFileError(path, None, f"cannot be read: {exc.strerror}") from None


def _not_text(path: str | Path, fmt: CsvFormat) -> ImportFileError:
    """The error for a file that is not in the configured encoding, naming the line of the
    first bad byte (found again from the bytes: a stream decodes ahead of its lines)."""
    decoder = codecs.getincrementaldecoder(fmt.encoding)()
    line = 1
    with open(path, "rb") as raw:
        while chunk := raw.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeError as exc:
                line += chunk.count(b"\n", 0, max(getattr(exc, "start", 0), 0))
                break
            line += chunk.count(b"\n")
    shown = "UTF-8" if codecs.lookup(fmt.encoding).name.startswith("utf-8") else fmt.encoding
    return ImportFileError(path, None, (
        f"is not {shown} text (the first bad byte is on line {line}); set csv: encoding: "
        "in the import configuration (for example latin-1)"))


def _rows_of(path: str | Path, fmt: CsvFormat, handle: Any,
             required: tuple[str, ...]) -> Iterator[Row]:
    for _ in range(fmt.skip_lines):
        if not handle.readline():
            break
    reader = csv.reader(handle, delimiter=fmt.delimiter)
    first = fmt.skip_lines + 1
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise _not_csv(path, first, exc) from None
    if header is None or not any(cell.strip() for cell in header):
        raise ImportFileError(path, None, (
            "is empty: no header line" + (f" after skipping {fmt.skip_lines} lines"
                                          if fmt.skip_lines else "")))
    names = [cell.strip() for cell in header]
    missing = [column for column in required if column not in names]
    if missing:
        raise ImportFileError(path, first, (
            f"the header has no column {', '.join(repr(m) for m in missing)}; it has "
            f"{', '.join(repr(n) for n in names)} (check the column names and the delimiter "
            f"{fmt.delimiter!r} in the import configuration)"))
    rows = _data_rows(path, fmt, reader, names, first)
    report = PROGRESS.get()
    if report is None:
        yield from rows
        return
    # The buffer's position runs a block ahead of the rows: near enough for a progress bar.
    size, position = os.fstat(handle.fileno()).st_size, handle.buffer.tell
    count = 0
    for row in rows:
        count += 1
        if not count % PROGRESS_EVERY:
            report(str(path), count, position(), size)
        yield row
    report(str(path), count, size, size)


def _not_csv(path: str | Path, row: int, error: csv.Error) -> ImportFileError:
    hint = ""
    if "field limit" in str(error):
        hint = "; a quote (\") opened in a cell and never closed?"
    return ImportFileError(path, row, f"is not CSV as configured: {error}{hint}")


def _data_rows(path: str | Path, fmt: CsvFormat, reader: Any, names: list[str],
               first: int) -> Iterator[Row]:
    number = first
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _not_csv(path, number, exc) from None
        if not any(cell.strip() for cell in cells):
            continue  # blank lines at the end of an export
        if len(cells) != len(names):
            raise ImportFileError(path, number, (
                f"has {len(cells)} cells, the header has {len(names)}; a stray delimiter "
                f"{fmt.delimiter!r} in a cell, or the wrong delimiter"))
        yield Row(number, dict(zip(names, cells, strict=True)))


def mismatch(path: str | Path, fmt: CsvFormat, named: tuple[str, ...],
             positions: list[int], filename_pattern: str | None) -> str | None:
    """Why a file is not one an importer of this layout reads, or None when it is.

    The file name must fit the pattern and the header must have the named columns (and as
    many as the positions need). A file whose header fits but whose rows are bad *is*
    recognised: extracting it then says which rows are bad.
    """
    if filename_pattern and not fnmatch.fnmatch(os.path.basename(path), filename_pattern):
        return f"the file name does not match {filename_pattern!r}"
    try:
        first = next(read_rows(path, fmt, named), None)
    except ImportFileError as error:
        if error.row is None or error.row <= fmt.skip_lines + 1:
            return error.message
        return None
    except ValueError as error:
        return f"is not CSV as configured: {error}"
    if first is not None and positions and max(positions) > len(first.cells):
        return (f"the configuration names column {max(positions)}, the header has "
                f"{len(first.cells)}")
    return None


_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"[0-9]*")


def parse_number(text: str, fmt: CsvFormat, path: str | Path, row: int, column: str) -> Decimal:
    """'1.234,56' with decimal ',' is 1234.56; '(12.00)' and '12.00-' are negative.

    Only digits, the two separators and a sign are read: '1E+30' or 'NaN' is no amount a
    bank writes. Thousands groups must be whole ('1.5' with thousands '.' is refused, not
    read as 15) so that a statement in another number format is refused rather than
    misread; the last group has 3 digits, earlier ones 2 or 3 (Indian lakhs: 1,00,000).
    """
    raw = _SPACES.sub("", text)
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1]
    if raw.endswith("-"):
        negative, raw = True, raw[:-1]
    sign = raw[:1] if raw[:1] in ("+", "-") else ""
    whole, _, fraction = raw[len(sign):].partition(fmt.decimal)
    groups = whole.split(fmt.thousands) if fmt.thousands else [whole]
    if not _whole_groups(groups, fraction) or not _DIGITS.fullmatch(fraction):
        raise ImportFileError(path, row, (
            f"{column!r} is {text!r}, not a number written with decimal {fmt.decimal!r} and "
            f"thousands {fmt.thousands!r}"))
    number = Decimal(sign + "".join(groups) + (f".{fraction}" if fraction else ""))
    problem = too_many_digits(number)
    if problem:
        raise ImportFileError(path, row, f"{column!r}: {problem}")
    return -number if negative else number


def _whole_groups(groups: list[str], fraction: str) -> bool:
    """Whether the digits before the decimal separator are well grouped ('.50' has none)."""
    if len(groups) == 1:
        return bool(_DIGITS.fullmatch(groups[0])) and (groups[0] != "" or fraction != "")
    return (all(g and _DIGITS.fullmatch(g) for g in groups) and len(groups[0]) <= 3
            and len(groups[-1]) == 3 and all(len(g) in (2, 3) for g in groups[1:-1]))


def parse_date(text: str, fmt: CsvFormat, path: str | Path, row: int,
               column: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(text.strip(), fmt.date_format).date()
    except ValueError:
        raise ImportFileError(path, row, (
            f"{column!r} is {text!r}, not a date in the format {fmt.date_format!r}")) from None
