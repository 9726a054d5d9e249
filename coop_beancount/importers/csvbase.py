"""What every CSV importer shares: recognising its files, reading rows, bad rows, duplicates.

A bank statement (`bank.py`) and a file of records (`records.py`: patronage, a roster) are
both a header and rows, configured in import.yaml by column names or positions::

    columns: {date: Date, amount: 5}

The base recognises a file by its name pattern and its header, resolves positions against the
header, reads every row through `csvformat.read_rows`, keeps going past a bad row so every one
is listed, and gives nothing when the file breaks off part-way (never half a file). Entries
already in the books are marked by `dedupe.mark_duplicates`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import beangulp
from beancount.core import data

from coop_beancount.importers.csvformat import CsvFormat, ImportFileError, Row, mismatch, read_rows
from coop_beancount.importers.dedupe import mark_duplicates

#: A column: its header name, or its position (1 is the first column).
Column = str | int
T = TypeVar("T")


class CsvImporter(beangulp.Importer):
    """A beangulp importer of one kind of CSV file."""

    def __init__(self, name: str, account: str, csv_format: CsvFormat,
                 columns: Iterable[Column | None], filename_pattern: str | None) -> None:
        self._name = name
        self.importer_account = account
        self.csv = csv_format
        self.filename_pattern = filename_pattern
        given = [column for column in columns if column is not None]
        self._named = tuple(c for c in given if isinstance(c, str))
        self._positions = [c for c in given if isinstance(c, int)]

    @property
    def name(self) -> str:
        return self._name

    def account(self, filepath: str) -> str:
        return self.importer_account

    def mismatch(self, filepath: str) -> str | None:
        """Why this importer does not recognise the file, or None when it does.

        Recognised: the file name fits the pattern (if any) and the header has the named
        columns. A file whose header fits but whose rows are bad is recognised: extract
        then says which rows are bad.
        """
        return mismatch(filepath, self.csv, self._named, self._positions,
                        self.filename_pattern)

    def identify(self, filepath: str) -> bool:
        return self.mismatch(filepath) is None

    def deduplicate(self, entries: data.Entries, existing: data.Entries) -> None:
        """By import-id, and for hand-written books by date and values: dedupe.py."""
        mark_duplicates(entries, existing)

    def labels(self, filepath: str, row: Row,
               columns: Mapping[str, Column | None]) -> dict[str, str | None]:
        """Each column's header name: positions resolved against the header of `row`."""
        header = list(row.cells)
        found: dict[str, str | None] = {}
        for key, column in columns.items():
            if column is None or isinstance(column, str):
                found[key] = column
            elif column > len(header):
                raise ImportFileError(filepath, self.csv.skip_lines + 1, (
                    f"the configuration names column {column}, the header has "
                    f"{len(header)} columns"))
            else:
                found[key] = header[column - 1]
        return found

    def read_all(self, filepath: str, parse: Callable[[Row], T],
                 ) -> tuple[list[T] | None, list[ImportFileError]]:
        """(what `parse` made of each good row, every bad row).

        The good rows are None when the file breaks off after bad rows: the bad rows before
        it are listed too, and nothing is offered of a file read only in part. A file that
        breaks off with no bad row before it raises its ImportFileError.
        """
        reading = Reading()
        good = list(self.read_each(filepath, parse, reading))
        return (None if reading.broke_off else good), reading.bad

    def read_each(self, filepath: str, parse: Callable[[Row], T],
                  reading: Reading) -> Iterator[T]:
        """What `parse` makes of each good row, one at a time (a statement of millions of
        rows is never held whole); the bad rows are added to `reading.bad`.

        When the file breaks off after bad rows, its error is the last of `reading.bad` and
        `reading.broke_off` is set: the caller must then offer nothing of what it was
        given. A file that breaks off with no bad row before it raises its ImportFileError.
        """
        try:
            for row in read_rows(filepath, self.csv, self._named):
                reading.rows += 1
                try:
                    parsed = parse(row)
                except ImportFileError as exc:
                    reading.bad.append(exc)
                    continue
                yield parsed
        except csv.Error as exc:
            raise ImportFileError(filepath, None, f"is not CSV as configured: {exc}") from None
        except ImportFileError as exc:
            if not reading.bad:
                raise
            reading.bad.append(exc)
            reading.broke_off = True
            return
        if not reading.rows:
            raise ImportFileError(filepath, None, "has a header but no rows: nothing to import")


@dataclass
class Reading:
    """How the reading of a file went: rows read, bad rows, whether it broke off."""

    rows: int = 0
    bad: list[ImportFileError] = field(default_factory=list)
    broke_off: bool = False
