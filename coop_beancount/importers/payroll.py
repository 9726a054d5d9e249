"""Wages from the payroll provider's export, matched to members.

A payroll run's export (Gusto's, ADP's or any provider's "payroll journal" saved as
CSV), one row per employee::

    Pay date,Employee,Gross pay,Employee taxes,Net pay,Employer taxes
    2026-03-31,Priya Raman,"15,628.80","4,633.94","10,994.86","1,351.89"

with, in import.yaml::

    - type: payroll
      filename: "payroll-*.csv"
      currency: USD
      columns: {date: Pay date, member: Employee, gross: Gross pay, net: Net pay,
                employer_taxes: Employer taxes, employee_taxes: Employee taxes}
      accounts:                         # the defaults
        wages: Expenses:Payroll:Wages
        employer_taxes: Expenses:Payroll:EmployerTaxes
        net_pay: Liabilities:Payroll:NetPay
        taxes: Liabilities:Payroll:Taxes

becomes one transaction per pay date::

    2026-03-31 * "Payroll" "Wages paid 2026-03-31: 6 members"
      import-id: "5c38e0a24f1c0e9a7b2d"
      Liabilities:Payroll:NetPay           -55417.15 USD
      Expenses:Payroll:Wages                15628.80 USD
        member: "Priya"
      ...
      Expenses:Payroll:EmployerTaxes         6800.12 USD
      Liabilities:Payroll:Taxes            -31231.19 USD

Each wage posting says whose it is (`member:`), so the plugin checks the wages against
what the member's invoices earned (books/invoices.py). Payroll taxes stay with the
provider: the books take its totals, the taxes withheld (gross less net) and the
employer's taxes owed to it together. The employee is a member key or name
(`directory.Directory`); an unknown employee, a net pay above the gross, an amount that
is not whole cents or (with an employee_taxes column) a row whose gross less employee
taxes is not its net: an error naming the file and the row. The import-id hashes the pay
date's rows: the same export imported again is a duplicate, and so is a transaction typed
by hand with the same date and net pay.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from beancount.core import data
from beancount.core.amount import Amount

from coop_beancount.importers.csvformat import CsvFormat, Row
from coop_beancount.importers.dedupe import IMPORT_ID, import_id
from coop_beancount.importers.directory import Directory
from coop_beancount.importers.records import CsvRecordsImporter, _File, _Read, clean_text

CENT = Decimal("0.01")
#: Where each part of a payroll run is booked, unless import.yaml says.
ACCOUNTS = {
    "wages": "Expenses:Payroll:Wages",
    "employer_taxes": "Expenses:Payroll:EmployerTaxes",
    "net_pay": "Liabilities:Payroll:NetPay",
    "taxes": "Liabilities:Payroll:Taxes",
}


@dataclass(frozen=True)
class PayRow:
    """One employee's pay on one pay date, as the export gives it."""

    date: Any
    member: str
    gross: Decimal
    net: Decimal
    employer_taxes: Decimal
    row: int


class PayrollImporter(CsvRecordsImporter):
    """A wages transaction per pay date from a payroll export."""

    required = ("date", "member", "gross", "net", "employer_taxes")
    optional = ("employee_taxes",)

    def __init__(self, name: str, account: str, columns: dict[str, Any], csv: CsvFormat,
                 currency: str, accounts: dict[str, str] | None = None,
                 payee: str = "Payroll", filename_pattern: str | None = None) -> None:
        super().__init__(name, account, columns, csv, filename_pattern)
        self.currency = currency
        self.accounts = {**ACCOUNTS, **(accounts or {})}
        self.payee = payee

    def known(self, existing: data.Entries) -> Directory | None:
        return Directory.of(existing) if existing else None

    def _entries(self, file: _File, row: Row, books: Directory | None) -> Iterable[PayRow]:
        date = file.date(row, "date")
        text = file.cell(row, "member")
        if not text:
            raise file.error(row, f"{file.labels['member']!r} is empty: whose pay is it?")
        if books is None:  # no books to look names up in: as written (timesheet.py)
            member = clean_text(text)
        else:
            found, why = books.member(text)
            if found is None:
                raise file.error(row, (
                    f"employee {file.labels['member']!r}: {why}; the co-op's payroll pays its "
                    "members, matched by key or name"))
            member = found
        amounts = {}
        for column in ("gross", "net", "employer_taxes", "employee_taxes"):
            if column not in file.labels:
                continue
            number = file.number(row, column)
            if number < 0 or number != number.quantize(CENT):
                raise file.error(row, (f"{file.labels[column]!r} is {number}: pay is whole "
                                       "cents, 0 or more"))
            amounts[column] = number.quantize(CENT)
        if amounts["net"] > amounts["gross"]:
            raise file.error(row, (f"net pay {amounts['net']} is more than the gross "
                                   f"{amounts['gross']}: are the columns mapped right?"))
        taxes = amounts.get("employee_taxes")
        if taxes is not None and amounts["gross"] - taxes != amounts["net"]:
            raise file.error(row, (
                f"gross {amounts['gross']} less employee taxes {taxes} is "
                f"{amounts['gross'] - taxes}, not the net pay {amounts['net']}; the books "
                "take the export's figures as they are, so they must add up"))
        yield PayRow(date, member, amounts["gross"], amounts["net"], amounts["employer_taxes"],
                     row.number)

    def _read(self, filepath: str, members: Any) -> _Read:
        read = super()._read(filepath, members)
        by_date: dict[Any, list[PayRow]] = defaultdict(list)
        for pay in read.entries:
            by_date[pay.date].append(pay)
        return _Read([self._transaction(filepath, date, rows)
                      for date, rows in sorted(by_date.items())], read.errors)

    def _transaction(self, filepath: str, date: Any, rows: list[PayRow]) -> data.Transaction:
        currency = self.currency
        accounts = self.accounts

        def posting(account: str, number: Decimal, meta: dict | None = None) -> data.Posting:
            return data.Posting(account, Amount(number, currency), None, None, None, meta)

        gross = sum((r.gross for r in rows), Decimal(0))
        net = sum((r.net for r in rows), Decimal(0))
        employer = sum((r.employer_taxes for r in rows), Decimal(0))
        ident = import_id("payroll", date, currency, *(part for pay in sorted(
            (r.member, r.gross, r.net, r.employer_taxes) for r in rows) for part in pay))
        # The net pay first: it is what a hand-typed payroll transaction is recognised by
        # (dedupe's fallback looks at the first posting).
        postings = [posting(accounts["net_pay"], -net)]
        postings += [posting(accounts["wages"], r.gross,
                             data.new_metadata(filepath, r.row, {"member": r.member}))
                     for r in rows]
        if employer:
            postings.append(posting(accounts["employer_taxes"], employer))
        if gross - net + employer:
            postings.append(posting(accounts["taxes"], -(gross - net + employer)))
        members = len({r.member for r in rows})
        meta = data.new_metadata(filepath, rows[0].row, {IMPORT_ID: ident})
        return data.Transaction(meta, date, "*", self.payee,
                                f"Wages paid {date}: {members} member"
                                f"{'s' if members != 1 else ''}", data.EMPTY_SET,
                                data.EMPTY_SET, postings)
