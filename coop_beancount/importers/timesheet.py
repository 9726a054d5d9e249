"""Members' billable work from a timesheet export, as `coop-work` lines.

A timesheet tool's export (Harvest, Toggl, Clockify, a spreadsheet)::

    Date,Person,Client,Project,Hours,Fee,Notes
    2026-03-02,Priya Raman,Cascade Outfitters,checkout,6.5,,checkout redesign
    2026-03-27,Devon Brooks,Rose Quarter Analytics,,,"1,500.00",data workshop

with, in import.yaml::

    - type: timesheet
      filename: "timesheet-*.csv"
      currency: USD           # the fixed fees' currency (needed with a fee column)
      columns: {date: Date, member: Person, client: Client, project: Project,
                hours: Hours, fee: Fee, description: Notes}

becomes::

    2026-03-02 custom "coop-work" "Priya" "CascadeOutfitters" 6.5 "checkout redesign"
      project: "checkout"
      import-id: "1c0e9a7b2d5c38e0a24f"
    2026-03-27 custom "coop-work" "Devon" "RoseQuarterAnalytics" 1500.00 USD "data workshop"
      import-id: "7b2d5c38e0a24f1c0e9a"

A row holds hours (billed at the member's `coop-rate` for the client, or for the project
when there is one) or a fixed fee, not both. The person and the client are each a key or
a name the books declare (`directory.Directory`). Each row is checked as it is read: an
unknown member or client, work on a day the person was not a member, hours or a fee that
are not a positive number, a bad date: an error naming the file and the row, and nothing
is written (`coop import extract --skip-bad-rows` writes the others).

Every line carries an `import-id` (a hash of what the row says and its occurrence among
equal rows, dedupe.RowIds): importing the same export again, or an overlapping one, marks
its rows duplicates; so does a `coop-work` line typed by hand with the same date and values.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from beancount.core import data
from beancount.core.amount import Amount

from coop_beancount.importers.csvformat import CsvFormat, Row
from coop_beancount.importers.dedupe import IMPORT_ID
from coop_beancount.importers.directory import Directory
from coop_beancount.importers.records import CsvRecordsImporter, _File, _value, clean_text

CENT = Decimal("0.01")


class TimesheetImporter(CsvRecordsImporter):
    """`coop-work` lines from a CSV of member, client, date, hours or fee."""

    required = ("member", "client", "date")
    optional = ("hours", "fee", "project", "description")

    def __init__(self, name: str, account: str, columns: dict[str, Any], csv: CsvFormat,
                 currency: str | None = None, filename_pattern: str | None = None) -> None:
        if "hours" not in columns and "fee" not in columns:
            raise ValueError(f"importer {name!r}: columns needs hours or fee (or both)")
        if "fee" in columns and not currency:
            raise ValueError(f"importer {name!r}: a fee column needs the currency")
        super().__init__(name, account, columns, csv, filename_pattern)
        self.currency = currency

    def known(self, existing: data.Entries) -> Directory | None:
        """The books' members and clients; None without books (nothing to check)."""
        return Directory.of(existing) if existing else None

    def _entries(self, file: _File, row: Row, books: Directory | None) -> Iterable[Any]:
        date = file.date(row, "date")
        member = self._who(file, row, "member", books)
        client = self._who(file, row, "client", books)
        if books is not None:
            info = books.members[member]
            if not info.is_active(date):
                left = f", left {info.left}" if info.left else ""
                raise file.error(row, (
                    f"{member} worked on {date}, when they were not a member (joined "
                    f"{info.joined}{left}); the co-op invoices its members' work only: fix "
                    "the date or the person"))
        quantity = self._quantity(file, row)
        project = clean_text(file.cell(row, "project"))
        description = clean_text(file.cell(row, "description"))
        values = [_value(member), _value(client), _value(quantity)]
        if description:
            values.append(_value(description))
        meta = {"project": project} if project else {}
        # Two equal rows are two pieces of work (two mornings on one task): RowIds counts them.
        meta[IMPORT_ID] = file.ids("coop-work", date, member, client, project, quantity,
                                   description)
        yield data.Custom(data.new_metadata(file.path, row.number, meta), date, "coop-work",
                          values)

    @staticmethod
    def _who(file: _File, row: Row, column: str, books: Directory | None) -> str:
        text = file.cell(row, column)
        label = file.labels[column]
        if not text:
            raise file.error(row, f"{label!r} is empty: every row needs the {column}")
        if books is None:
            # No books to look names up in (a beangulp script run without the ledger, or
            # the archive's date): as written; the plugin then checks the keys.
            return clean_text(text)
        key, why = books.member(text) if column == "member" else books.client(text)
        if key is None:
            raise file.error(row, f"{label!r}: {why}")
        return key

    def _quantity(self, file: _File, row: Row) -> Decimal | Amount:
        hours = file.cell(row, "hours")
        fee = file.cell(row, "fee")
        if hours and fee:
            raise file.error(row, (
                f"both {file.labels['hours']!r} ({hours}) and {file.labels['fee']!r} ({fee}) "
                "are given: a row is hours at the member's rate or a fixed fee, not both"))
        if not hours and not fee:
            given = " or ".join(repr(file.labels[c]) for c in ("hours", "fee")
                                if c in file.labels)
            raise file.error(row, f"{given} is empty: how much work is it?")
        column = "hours" if hours else "fee"
        number = file.number(row, column)
        if number <= 0:
            raise file.error(row, (
                f"{file.labels[column]!r} is {number}: work is more than zero (a correction "
                "changes or removes the line in the books)"))
        if column == "hours":
            return number
        if number != number.quantize(CENT):
            raise file.error(row, f"{file.labels['fee']!r} is {number}: a fee is whole cents")
        assert self.currency is not None
        return Amount(number.quantize(CENT), self.currency)
