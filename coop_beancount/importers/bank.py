"""A bank statement (CSV) as transactions matched to members, configured without code.

A statement such as::

    Date,Transaction ID,Counterparty,Counterparty Account,Memo,Debit,Credit,Balance
    12/15/2025,CSB-7741,CHLOE NGUYEN,0042117734,December dues,,5.00,290.07
    12/20/2025,CSB-7790,MARKET BASKET #412,,POS PURCHASE,33.21,,267.62

with the import.yaml section (config.py has every key)::

    - type: bank
      account: Assets:Bank:Checking
      currency: USD
      filename: "checking-*.csv"
      csv: {date_format: "%m/%d/%Y"}
      columns: {date: Date, transaction_id: Transaction ID, payee: Counterparty,
                counterparty_account: Counterparty Account, narration: Memo,
                reference: Memo, debit: Debit, credit: Credit, balance: Balance}

becomes, given the books' members and the matching rules (matching.py)::

    2025-12-15 * "CHLOE NGUYEN" "December dues"
      import-id: "1c0e53d4f2a8e61c079b"
      bank-id: "CSB-7741"
      counterparty-account: "0042117734"
      coop-match: "reference+iban"
      Assets:Bank:Checking        5.00 USD
      Assets:Members:Chloe:Dues  -5.00 USD

    2025-12-20 ! "MARKET BASKET #412" "POS PURCHASE"
      import-id: "..."
      coop-note: "no member matched: name 'MARKET BASKET #412' is no member's"
      Assets:Bank:Checking      -33.21 USD
      Expenses:Unknown           33.21 USD

    2025-12-21 balance Assets:Bank:Checking   267.62 USD

Amounts: one signed `amount` column (positive is money in, or with `positive: outflow`
money out), or `amount` and a `sign` column whose values say debit or credit, or `debit`
and `credit` columns (debits go out, whatever sign the bank writes them with). A column is
a header name or a position (1 is the first column). A `balance` column becomes a balance
assertion after the statement's last day (or after every day, `balances: daily`): the
balance on the last row of a day is the balance at the start of the next, which is when
Beancount checks a `balance` line.

Bad rows (a bad date, a bad number) are all reported together, each with its row
(BadRows); a row with the wrong number of cells ends the reading of the file.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core import data
from beancount.core.amount import Amount

from coop_beancount.core.accounts import MemberChart
from coop_beancount.importers import dedupe, matching
from coop_beancount.importers.csvbase import Column, CsvImporter, Reading
from coop_beancount.importers.csvformat import (
    BadRows,
    CsvFormat,
    ImportFileError,
    Row,
    parse_date,
    parse_number,
)

DEBIT_MARKS = ("D", "DR", "DEBIT", "-", "S")
CREDIT_MARKS = ("C", "CR", "CREDIT", "+", "H")
BALANCES = ("last", "daily")
POSITIVE = ("inflow", "outflow")


@dataclass(frozen=True)
class BankColumns:
    """Where each field is. Only `date`, and `amount` or `debit`/`credit`, are required."""

    date: Column
    amount: Column | None = None
    debit: Column | None = None
    credit: Column | None = None
    sign: Column | None = None
    payee: Column | None = None
    #: Several columns are joined with " / ".
    narration: tuple[Column, ...] = ()
    reference: Column | None = None
    counterparty_account: Column | None = None
    balance: Column | None = None
    transaction_id: Column | None = None
    currency: Column | None = None

    def __post_init__(self) -> None:
        if self.amount is None and self.debit is None and self.credit is None:
            raise ValueError("a bank importer needs an amount column or debit/credit columns")
        if self.amount is not None and (self.debit is not None or self.credit is not None):
            raise ValueError("a bank importer takes an amount column or debit/credit columns, "
                             "not both")
        if self.sign is not None and self.amount is None:
            raise ValueError("a sign column goes with an amount column")

    def all(self) -> list[Column]:
        found: list[Column] = []
        for item in dataclass_fields(self):
            value = getattr(self, item.name)
            for column in value if isinstance(value, tuple) else (value,):
                if column is not None and column not in found:
                    found.append(column)
        return found


#: Decimal places of a currency the books do not use yet (cents).
DEFAULT_PLACES = 2


def currency_places(entries: data.Entries | None, currency: str) -> int:
    """The most decimal places the books write amounts in `currency` with (cents when
    they have none yet)."""
    most = None
    for entry in entries or ():
        if type(entry) is not data.Transaction:
            continue
        for posting in entry.postings:
            units = posting.units
            if units is None or units.currency != currency or units.number is None:
                continue
            places = -units.number.as_tuple().exponent
            if most is None or places > most:
                most = places
    return DEFAULT_PLACES if most is None else max(most, 0)


class StatementRow(NamedTuple):
    """One statement row, parsed. (A named tuple: a statement has 100,000 of them.)"""

    number: int
    date: datetime.date
    amount: Decimal
    currency: str
    payee: str = ""
    narration: str = ""
    reference: str = ""
    counterparty_account: str = ""
    transaction_id: str = ""
    balance: Decimal | None = None


@dataclass(frozen=True)
class _Labels:
    """Each field's header name, once the header is known (positions resolved)."""

    fields: dict[str, str | None]
    narration: tuple[str, ...]

    def cell(self, row: Row, name: str) -> str:
        label = self.fields[name]
        return row.get(label) if label is not None else ""


class BankImporter(CsvImporter):
    """A bank's CSV statement for one account; see the module docstring."""

    def __init__(self, name: str, account: str, currency: str, columns: BankColumns,
                 csv: CsvFormat | None = None, filename_pattern: str | None = None,
                 matching_config: matching.MatchingConfig | None = None,
                 balances: str = "last", positive: str = "inflow",
                 debit_marks: Sequence[str] = DEBIT_MARKS,
                 credit_marks: Sequence[str] = CREDIT_MARKS,
                 chart: MemberChart | None = None) -> None:
        if balances not in BALANCES:
            raise ValueError(f"balances must be one of {', '.join(BALANCES)}")
        if positive not in POSITIVE:
            raise ValueError(f"positive must be one of {', '.join(POSITIVE)}")
        super().__init__(name, account, csv or CsvFormat(), columns.all(), filename_pattern)
        self.currency = currency
        self.columns = columns
        self.matching = matching_config or matching.MatchingConfig()
        self.balances = balances
        self.positive = positive
        self.debit_marks = frozenset(mark.upper() for mark in debit_marks)
        self.credit_marks = frozenset(mark.upper() for mark in credit_marks)
        self.chart = chart or MemberChart()

    # --- beangulp's interface ----------------------------------------------------------

    def date(self, filepath: str) -> datetime.date | None:
        """The statement's last day (for the archive's file name)."""
        reading = Reading()
        try:
            last = max((row.date for row in self._each(filepath, reading)), default=None)
        except ImportFileError:
            return None
        return None if reading.bad else last

    def extract(self, filepath: str, existing: data.Entries | None) -> data.Entries:
        """The statement's transactions and balance assertions.

        Raises ImportFileError for a file that cannot be read, BadRows (with the good
        rows' entries in `.entries`) when some rows cannot be. The good rows of a statement
        with bad ones give no balance assertion: without the bad rows it could not hold.
        """
        reading = Reading()
        entries = list(self.extract_each(filepath, existing, reading))
        if reading.broke_off:
            raise BadRows(filepath, reading.bad, [])
        if reading.bad:
            raise BadRows(filepath, reading.bad, entries)
        return entries

    def extract_each(self, filepath: str, existing: data.Entries | None,
                     reading: Reading) -> Iterator[Any]:
        """The statement's entries one at a time, as its rows are read: a transaction per
        good row, then (when no row was bad) the balance assertions. Bad rows, and amounts
        finer than the books' (`_too_fine`), go to `reading.bad` in row order; when the file
        breaks off, `reading.broke_off` is set and nothing of the file may be used.

        Only each day's first and last row are kept (for the balance assertions) and a small
        digest per row (for identical rows' ids): a statement of millions of rows is never
        held, nor are its entries.
        """
        members = matching.members_from_entries(existing or ())
        rules = matching.build_rules(members, self.matching)
        ids = dedupe.RowIds()
        places: dict[str, int] = {}
        closing = _Closing()
        for row in self._each(filepath, reading):
            error = self._too_fine(filepath, row, existing, places)
            if error is not None:
                reading.bad.append(error)
                continue
            closing.add(row)
            yield self._transaction(filepath, row, rules, ids)
        if reading.bad or reading.broke_off:
            return
        yield from self._balances(filepath, closing)

    def _too_fine(self, filepath: str, row: StatementRow, existing: data.Entries | None,
                  places: dict[str, int]) -> ImportFileError | None:
        """An error when the row's amount has more decimal places than the books use for its
        currency: with dot decimals `1.234` could be 1,234.00 written with a thousands dot;
        nothing can tell, so it is never written."""
        if row.currency not in places:
            places[row.currency] = currency_places(existing, row.currency)
        allowed = places[row.currency]
        written = max(-row.amount.as_tuple().exponent, 0)
        if written <= allowed:
            return None
        return ImportFileError(filepath, row.number, (
            f"the amount {row.amount} {row.currency} has {written} decimal places, more "
            f"than the {allowed} the books use for {row.currency}: read with csv.decimal "
            f"{self.csv.decimal!r} and csv.thousands {self.csv.thousands!r}, it cannot be "
            "told from a number with a thousands separator; check those two settings in "
            "import.yaml against the bank's file"))

    # --- reading -----------------------------------------------------------------------

    def read(self, filepath: str) -> list[StatementRow]:
        """The statement's rows; BadRows lists every bad row."""
        rows, bad = self._read(filepath)
        if bad is not None:
            raise BadRows(filepath, bad)
        return rows

    def _read(self, filepath: str,
              ) -> tuple[list[StatementRow] | None, list[ImportFileError] | None]:
        """(good rows, bad rows or None); good rows None when the file broke off."""
        reading = Reading()
        good = list(self._each(filepath, reading))
        return (None if reading.broke_off else good), reading.bad or None

    def _each(self, filepath: str, reading: Reading) -> Iterator[StatementRow]:
        """The good rows one at a time; bad rows go to `reading` (csvbase.read_each)."""
        labels: _Labels | None = None
        dates: dict[str, datetime.date] = {}  # a statement has few days and many rows

        def parse(row: Row) -> StatementRow:
            nonlocal labels
            if labels is None:
                labels = self._labels(filepath, row)
            return self._parse(filepath, row, labels, dates)

        return self.read_each(filepath, parse, reading)

    def _labels(self, filepath: str, row: Row) -> _Labels:
        fields = self.labels(filepath, row, {
            item.name: getattr(self.columns, item.name)
            for item in dataclass_fields(self.columns) if item.name != "narration"})
        narration = self.labels(filepath, row, {
            str(i): column for i, column in enumerate(self.columns.narration)})
        return _Labels(fields, tuple(label or "" for label in narration.values()))

    def _parse(self, filepath: str, row: Row, labels: _Labels,
               dates: dict[str, datetime.date]) -> StatementRow:
        number = row.number
        cell = labels.cell
        text = cell(row, "date")
        if not text:
            raise ImportFileError(filepath, number, (
                f"{labels.fields['date']!r} is empty: every row needs a date"))
        date = dates.get(text)
        if date is None:
            date = dates[text] = parse_date(text, self.csv, filepath, number,
                                            str(labels.fields["date"]))
        amount = self._amount(filepath, row, labels)
        balance = None
        if cell(row, "balance"):
            balance = parse_number(cell(row, "balance"), self.csv, filepath, number,
                                   str(labels.fields["balance"]))
        narration = " / ".join(part for part in (row.get(label) for label in labels.narration)
                               if part)
        return StatementRow(
            number=number, date=date, amount=amount,
            currency=cell(row, "currency") or self.currency,
            payee=cell(row, "payee"), narration=narration, reference=cell(row, "reference"),
            counterparty_account=cell(row, "counterparty_account"),
            transaction_id=cell(row, "transaction_id"), balance=balance)

    def _amount(self, filepath: str, row: Row, labels: _Labels) -> Decimal:
        number = row.number
        fields = labels.fields

        def value(name: str) -> Decimal:
            return parse_number(labels.cell(row, name), self.csv, filepath, number,
                                str(fields[name]))

        if fields["amount"] is not None:
            if not labels.cell(row, "amount"):
                raise ImportFileError(filepath, number, (
                    f"{fields['amount']!r} is empty: every row needs an amount"))
            amount = value("amount")
            if fields["sign"] is not None:
                mark = labels.cell(row, "sign").upper()
                if mark in self.debit_marks:
                    return -abs(amount)
                if mark in self.credit_marks:
                    return abs(amount)
                raise ImportFileError(filepath, number, (
                    f"{fields['sign']!r} is {mark!r}, neither a debit "
                    f"({', '.join(sorted(self.debit_marks))}) nor a credit "
                    f"({', '.join(sorted(self.credit_marks))}); if the bank writes it, add it "
                    "to sign_values: in the import configuration"))
            return -amount if self.positive == "outflow" else amount
        debit = labels.cell(row, "debit")
        credit = labels.cell(row, "credit")
        if not debit and not credit:
            named = " nor ".join(repr(fields[name]) for name in ("debit", "credit")
                                 if fields[name] is not None)
            raise ImportFileError(filepath, number, f"has no amount: neither {named}")
        total = Decimal(0)
        if credit:
            total += abs(value("credit"))
        if debit:
            total -= abs(value("debit"))
        return total

    # --- entries -----------------------------------------------------------------------

    def entries(self, filepath: str, rows: Sequence[StatementRow],
                existing: data.Entries | None, balances: bool = True) -> data.Entries:
        """Transactions for the rows, then the balance assertions."""
        members = matching.members_from_entries(existing or ())
        rules = matching.build_rules(members, self.matching)
        ids = dedupe.RowIds()
        closing = _Closing()
        entries: list[Any] = []
        for row in rows:
            closing.add(row)
            entries.append(self._transaction(filepath, row, rules, ids))
        if balances:
            entries.extend(self._balances(filepath, closing))
        return entries

    def row_id(self, ids: dedupe.RowIds, row: StatementRow) -> str:
        if row.transaction_id:
            # The bank's own id is the row's identity; the date and amount guard against a
            # bank that reuses ids.
            return ids(self.importer_account, "bank-id", row.transaction_id, row.date,
                       row.amount)
        return ids(self.importer_account, row.date, row.amount, row.currency, row.reference,
                   row.narration, row.payee, row.counterparty_account)

    def _transaction(self, filepath: str, row: StatementRow, rules: matching.Rules,
                     ids: dedupe.RowIds) -> data.Transaction:
        payment = matching.Payment(
            date=row.date, amount=row.amount, payee=row.payee, narration=row.narration,
            reference=row.reference, counterparty_account=row.counterparty_account)
        found = matching.match(payment, rules, self.chart)
        meta = data.new_metadata(filepath, row.number)
        meta[dedupe.IMPORT_ID] = self.row_id(ids, row)
        # The reference is kept unless it is the narration already (one column for both).
        reference = row.reference if row.reference != row.narration else ""
        for key, text in (("bank-id", row.transaction_id), ("reference", reference),
                          ("counterparty-account", row.counterparty_account)):
            if text:
                meta[key] = text
        if found.matched:
            meta["coop-match"] = found.how
        else:
            meta["coop-note"] = found.note
        postings = [
            data.Posting(self.importer_account, Amount(row.amount, row.currency),
                         None, None, None, None),
            data.Posting(found.account, Amount(-row.amount, row.currency),
                         None, None, None, None),
        ]
        return data.Transaction(
            meta, row.date, "*" if found.matched else "!", row.payee or None,
            row.narration or row.reference, data.EMPTY_SET, data.EMPTY_SET, postings)

    def _balances(self, filepath: str, closing: _Closing) -> list[data.Balance]:
        """One balance assertion per currency after the last day (or after every day)."""
        in_time_order = closing.in_time_order()
        if self.balances == "last":
            last: dict[str, StatementRow] = {}
            for row in in_time_order:
                if row.currency not in last or row.date >= last[row.currency].date:
                    last[row.currency] = row
            chosen = list(last.values())
        else:
            chosen = in_time_order
        balances = []
        for row in chosen:
            meta = data.new_metadata(filepath, row.number)
            day = row.date + datetime.timedelta(days=1)
            assert row.balance is not None
            meta[dedupe.IMPORT_ID] = dedupe.import_id(
                self.importer_account, "balance", day, row.balance, row.currency)
            balances.append(data.Balance(meta, day, self.importer_account,
                                         Amount(row.balance, row.currency), None, None))
        return balances


class _Closing:
    """Each (currency, day)'s closing balance row, gathered as the rows stream by.

    Banks list newest first or oldest first; the day's closing balance is on the row
    listed last for that day in time order. Which order the file is in is known only at
    its end (its first row's date against its last's), so each day's first and last row
    with a balance are kept (a statement has few days and many rows).
    """

    def __init__(self) -> None:
        self.first_date: datetime.date | None = None
        self.last_date: datetime.date | None = None
        #: (currency, day) -> [first row, last row, index of the last row] in file order.
        self.days: dict[tuple[str, datetime.date], list[Any]] = {}
        self.count = 0

    def add(self, row: StatementRow) -> None:
        if self.first_date is None:
            self.first_date = row.date
        self.last_date = row.date
        if row.balance is None:
            return
        self.count += 1
        key = (row.currency, row.date)
        day = self.days.get(key)
        if day is None:
            self.days[key] = [row, row, self.count]
        else:
            day[1], day[2] = row, self.count

    def in_time_order(self) -> list[StatementRow]:
        """Each day's closing row, days in the order they were first seen in time order."""
        assert self.first_date is None or self.last_date is not None
        if self.first_date is not None and self.first_date > self.last_date:  # type: ignore
            # Newest first: time order is the file read backwards.
            days = sorted(self.days.values(), key=lambda day: -day[2])
            return [day[0] for day in days]
        return [day[1] for day in self.days.values()]
