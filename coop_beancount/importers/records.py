"""Patronage records and member rosters from CSV exports, as beangulp importers.

A patronage export (a timesheet, a point-of-sale export, a scale-house list)::

    Ticket,Date,Grower,Barrels
    2026-001,2026-09-14,Beaton,"3,870"

with `columns: {member: Grower, date: Date, quantity: Barrels, description: Ticket}` and
`measure: barrels` becomes::

    2026-09-14 custom "coop-patronage" "Beaton" "barrels" 3870 "2026-001"
      import-id: "4f1c0e9a7b2d5c38e0a2"

The date column may hold a period instead of a day: `2026-09` (a month) or `2026-Q3` (a
quarter) is dated the period's last day.

A member roster (a spreadsheet of members, saved as CSV)::

    Member no.,Name,Joined,Left,IBAN,E-mail
    Keiko,Keiko Tanaka,2025-03-01,,DE89 3704 0044 0532 0130 00,keiko@example.org

with `columns: {key: Member no., name: Name, joined: Joined, left: Left, iban: IBAN,
email: E-mail}` becomes::

    2025-03-01 custom "coop-member" "Keiko" "Keiko Tanaka"
      iban: "DE89 3704 0044 0532 0130 00"
      email: "keiko@example.org"
      import-id: "0b8e3d5a9c1f2e47c3d1"

plus `custom "coop-leave" "KEY"` on the left date when one is given. The `iban:` (any
account number) is what the bank importer matches a member's payments by (matching.py).

Every entry carries an `import-id`: a hash of what the row says (not of where the file is;
dedupe.RowIds), so importing the same rows again, from the same file or an overlapping one,
is recognised and the rows are marked duplicates (`deduplicate`: dedupe.mark_duplicates, one
pass over the books with a set; a record written by hand with the same date and values is a
duplicate too). A roster member whose key the books already declare is a duplicate, however
it got there; so is a leave for a key that has one.

A row that cannot be read (a bad member key, date or number, a key twice in a roster) is
listed with its row number; `extract` raises `BadRows` carrying the good rows' entries as
well, so a caller may write those and list the rest. A file that cannot be read at all (empty,
missing columns, a row with the wrong number of cells) raises `ImportFileError`.

Double quotes and backslashes in names and descriptions become `'` and `/`: Beancount's
printer writes a custom directive's strings unescaped, and the books must parse back.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from beancount.core import data
from beancount.parser.grammar import ValueType  # what the parser wraps custom values in

from coop_beancount.core.accounts import is_valid_key
from coop_beancount.importers.csvbase import Column, CsvImporter
from coop_beancount.importers.csvformat import (
    BadRows,
    CsvFormat,
    ImportFileError,
    Row,
    parse_date,
    parse_number,
)
from coop_beancount.importers.dedupe import (
    DUPLICATE,
    DUPLICATE_OF,
    IMPORT_ID,
    RowIds,
)


def clean_text(text: str) -> str:
    """One line, no `"` or `\\`: safe inside a custom directive's string as printed."""
    return " ".join(text.split()).replace('"', "'").replace("\\", "/")


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


def parse_date_or_period(text: str, fmt: CsvFormat, path: str, row: int,
                         column: str) -> datetime.date:
    """A day in the export's date format, or a period (`2026-09`, `2026-Q3`): its last day."""
    raw = text.strip()
    month = _MONTH.match(raw)
    quarter = _QUARTER.match(raw)
    if month or quarter:
        year = int((month or quarter).group(1))
        last_month = int(month.group(2)) if month else int(quarter.group(2)) * 3
        if 1 <= last_month <= 12:
            return datetime.date(year, last_month, calendar.monthrange(year, last_month)[1])
    try:
        return parse_date(raw, fmt, path, row, column)
    except ImportFileError as error:
        raise ImportFileError(path, row, f"{error.message}, nor a period like 2026-09 or "
                                         "2026-Q3") from None


def _value(value: Any) -> ValueType:
    # The types Beancount's parser gives a custom directive's values: str, Decimal, date.
    return ValueType(value, type(value))


@dataclass(frozen=True)
class _Read:
    """What a file's rows gave: entries from good rows, errors for bad ones."""

    entries: list[Any]
    errors: list[ImportFileError]




@dataclass
class _File:
    """One file being read: its path, each column's header name, the ids of its rows."""

    path: str
    fmt: CsvFormat
    labels: dict[str, str]
    ids: RowIds = field(default_factory=RowIds)
    keys: dict[str, int] = field(default_factory=dict)  # a roster's keys: the row of each
    dates: dict[tuple[str, str], datetime.date] = field(default_factory=dict)

    def cell(self, row: Row, column: str) -> str:
        return row.get(self.labels[column]) if column in self.labels else ""

    def error(self, row: Row, message: str) -> ImportFileError:
        return ImportFileError(self.path, row.number, message)

    def key(self, row: Row, column: str) -> str:
        key = self.cell(row, column)
        label = self.labels[column]
        if not key:
            raise self.error(row, f"{label!r} is empty: every row needs a member key")
        if not is_valid_key(key):
            raise self.error(row, (
                f"{label!r} is {key!r}, which cannot be a member key: use letters, digits and "
                "'-', starting with a capital letter or a digit (for example 'Alice' or "
                "'M042')"))
        return key

    def date(self, row: Row, column: str,
             parse: Callable[..., datetime.date] = parse_date) -> datetime.date:
        text = self.cell(row, column)
        # Exports repeat a few dates many times, and strptime is slow: parse each text once.
        found = self.dates.get((column, text))
        if found is None:
            found = parse(text, self.fmt, self.path, row.number, self.labels[column])
            self.dates[(column, text)] = found
        return found

    def number(self, row: Row, column: str) -> Decimal:
        return parse_number(self.cell(row, column), self.fmt, self.path, row.number,
                            self.labels[column])


class CsvRecordsImporter(CsvImporter):
    """What patronage and roster imports share: identify by name and header, read rows."""

    #: The keys of `columns` (what each column holds): those the file must have, and the
    #: optional ones.
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    def __init__(self, name: str, account: str, columns: dict[str, Column], csv: CsvFormat,
                 filename_pattern: str | None = None) -> None:
        missing = [c for c in self.required if not columns.get(c)]
        unknown = [c for c in columns if c not in self.required + self.optional]
        if missing or unknown:
            raise ValueError(
                f"importer {name!r}: columns " + "; ".join(filter(None, (
                    missing and f"needs {', '.join(missing)}",
                    unknown and f"has no use for {', '.join(unknown)}")))
                + f" (it knows {', '.join(self.required + self.optional)})")
        super().__init__(name, account, csv, columns.values(), filename_pattern)
        self.columns = dict(columns)

    def date(self, filepath: str) -> datetime.date | None:
        """The latest date in the file, for the archive's file name."""
        try:
            read = self._read(filepath, None)
        except ImportFileError:
            return None
        return max((entry.date for entry in read.entries), default=None)

    def extract(self, filepath: str, existing: data.Entries) -> data.Entries:
        read = self._read(filepath, self.known(existing or ()))
        if read.errors:
            raise BadRows(filepath, read.errors, read.entries)
        return read.entries

    def known(self, existing: data.Entries) -> Any:
        """What the books know that the rows are checked against (given to `_entries`):
        here the member keys, None when the books declare none."""
        return members_of(existing)

    def _read(self, filepath: str, members: Any) -> _Read:
        file: _File | None = None

        def parse(row: Row) -> Iterable[Any]:
            nonlocal file
            if file is None:
                file = _File(filepath, self.csv, self.labels(filepath, row, self.columns))
            return list(self._entries(file, row, members))

        made, errors = self.read_all(filepath, parse)
        if made is None:
            raise BadRows(filepath, errors, [])
        return _Read([entry for entries in made for entry in entries], errors)

    def _entries(self, file: _File, row: Row, members: Any) -> Iterable[Any]:
        raise NotImplementedError


def members_of(entries: data.Entries) -> set[str] | None:
    """The member keys the books declare, or None when they declare none (nothing to check)."""
    keys = {e.values[0].value for e in entries
            if isinstance(e, data.Custom) and e.type == "coop-member" and e.values}
    return keys or None


def _unknown_member(key: str, members: set[str]) -> str:
    known = sorted(members)
    listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
    return (f"{key!r} is not a member in the books (members: {listed}); fix the key, or "
            "import the roster first")


class PatronageImporter(CsvRecordsImporter):
    """Patronage records (`coop-patronage`) from a CSV of member, date, quantity."""

    required = ("member", "date", "quantity")
    optional = ("description",)

    def __init__(self, name: str, account: str, measure: str, columns: dict[str, str],
                 csv: CsvFormat, filename_pattern: str | None = None) -> None:
        super().__init__(name, account, columns, csv, filename_pattern)
        self.measure = measure

    def _entries(self, file: _File, row: Row, members: set[str] | None) -> Iterable[Any]:
        key = file.key(row, "member")
        if members is not None and key not in members:
            raise file.error(row, _unknown_member(key, members))
        date = file.date(row, "date", parse_date_or_period)
        quantity = file.number(row, "quantity")
        description = clean_text(file.cell(row, "description"))
        values = [_value(key), _value(self.measure), _value(quantity)]
        if description:
            values.append(_value(description))
        # Two equal rows in one file are two records (two loads of the same size on one
        # day): RowIds counts equal rows, so their ids differ.
        row_id = file.ids("coop-patronage", date, key, self.measure, quantity, description)
        meta = data.new_metadata(file.path, row.number, {IMPORT_ID: row_id})
        yield data.Custom(meta, date, "coop-patronage", values)


class RosterImporter(CsvRecordsImporter):
    """Member directives (`coop-member`, `coop-leave`) from a spreadsheet of members."""

    required = ("key", "name", "joined")
    optional = ("left", "iban", "email")

    def _entries(self, file: _File, row: Row, members: set[str] | None) -> Iterable[Any]:
        key = file.key(row, "key")
        if key in file.keys:
            raise file.error(row, (f"member key {key!r} is also on row {file.keys[key]}; a "
                                   "roster lists each member once"))
        file.keys[key] = row.number
        name = clean_text(file.cell(row, "name"))
        if not name:
            raise file.error(row, f"{file.labels['name']!r} is empty: member {key!r} needs a "
                                  "name")
        joined = file.date(row, "joined")
        left = file.date(row, "left") if file.cell(row, "left") else None
        if left is not None and left < joined:
            raise file.error(row, f"member {key!r} left on {left}, before joining on {joined}")
        # As written: the bank matching ignores spaces, dashes and case in an iban.
        extra = {kind: clean_text(file.cell(row, kind)) for kind in ("iban", "email")}
        meta = {kind: text for kind, text in extra.items() if text}
        meta[IMPORT_ID] = file.ids("coop-member", joined, key, name, *meta.values())
        yield data.Custom(data.new_metadata(file.path, row.number, meta), joined, "coop-member",
                          [_value(key), _value(name)])
        if left is not None:
            leave = {IMPORT_ID: file.ids("coop-leave", left, key)}
            yield data.Custom(data.new_metadata(file.path, row.number, leave), left,
                              "coop-leave", [_value(key)])

    def deduplicate(self, entries: data.Entries, existing: data.Entries) -> None:
        """Also a duplicate: a member (or a leave) the books already declare for that key."""
        super().deduplicate(entries, existing)
        declared: dict[tuple[str, str], Any] = {}
        for entry in existing:
            if (isinstance(entry, data.Custom) and entry.type in ("coop-member", "coop-leave")
                    and entry.values):
                declared.setdefault((entry.type, entry.values[0].value), entry)
        for entry in entries:
            found = declared.get((entry.type, entry.values[0].value))
            if found is not None and not entry.meta.get(DUPLICATE):
                entry.meta[DUPLICATE] = True
                entry.meta[DUPLICATE_OF] = f"{found.meta['filename']}:{found.meta['lineno']}"
