"""Timesheets (coop-work) and payroll exports (wages by member) imported from CSV."""

from __future__ import annotations

import textwrap
from decimal import Decimal

import pytest
from beancount import loader
from beancount.core import data
from beancount.parser import printer
from beangulp import extract

from coop_beancount.importers.config import ImportConfigError, parse_config
from coop_beancount.importers.csvformat import BadRows, CsvFormat
from coop_beancount.importers.dedupe import DUPLICATE, IMPORT_ID
from coop_beancount.importers.payroll import PayrollImporter
from coop_beancount.importers.timesheet import TimesheetImporter
from tests.conftest import HEADER

D = Decimal

BOOKS = """
    2025-01-01 custom "coop-member" "Priya" "Priya Raman"
    2025-01-01 custom "coop-member" "Tomas" "Tomás Herrera"
    2025-06-01 custom "coop-member" "Devon" "Devon Brooks"
    2025-01-01 custom "coop-client" "Cascade" "Cascade Outfitters"
    2025-01-01 custom "coop-client" "Rose" "Rose Quarter Analytics"
    2025-01-01 custom "coop-rate" "Priya" "Cascade" 120.00 USD
    2025-01-01 custom "coop-rate" "Tomas" "Cascade" 125.00 USD
    2025-01-01 custom "coop-rate" "Devon" "Rose" 95.00 USD
    2025-01-01 custom "coop-fee" "12%"
      pay-within: 3660
    2025-01-01 open Expenses:Payroll:Wages
    2025-01-01 open Liabilities:Payroll:NetPay
    2025-01-01 open Liabilities:Payroll:Taxes
    2025-01-01 open Expenses:Payroll:EmployerTaxes
    """

TIMESHEET_COLUMNS = {"date": "Date", "member": "Person", "client": "Client",
                     "project": "Project", "hours": "Hours", "fee": "Fee",
                     "description": "Notes"}
PAYROLL_COLUMNS = {"date": "Pay date", "member": "Employee", "gross": "Gross pay",
                   "employee_taxes": "Employee taxes", "net": "Net pay",
                   "employer_taxes": "Employer taxes"}

TIMESHEET = """\
    Date,Person,Client,Project,Hours,Fee,Notes
    2025-07-07,Priya Raman,Cascade Outfitters,checkout,6.5,,checkout "redesign"
    2025-07-07,TOMAS HERRERA,Cascade,,4,,review
    2025-07-07,Priya,Cascade Outfitters,checkout,6.5,,checkout "redesign"
    2025-07-25,Devon Brooks,Rose Quarter Analytics,,,"1,500.00",workshop
    """


def books(extra: str = "", clean: bool = True) -> list:
    """The test books; wages with no invoices behind them do not check clean (clean=False)."""
    entries, errors, _ = loader.load_string(HEADER + textwrap.dedent(BOOKS)
                                            + textwrap.dedent(extra))
    assert errors == [] or not clean
    return entries


def timesheet() -> TimesheetImporter:
    return TimesheetImporter("timesheets", "Income:Billings", TIMESHEET_COLUMNS, CsvFormat(),
                             "USD", "timesheet-*.csv")


def payroll() -> PayrollImporter:
    return PayrollImporter("gusto", "Expenses:Payroll:Wages", PAYROLL_COLUMNS, CsvFormat(),
                           "USD", payee="Gusto", filename_pattern="payroll-*.csv")


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def bad_rows(importer, path: str, existing: list) -> dict[int, str]:
    with pytest.raises(BadRows) as caught:
        importer.extract(path, existing)
    return {error.row: error.message for error in caught.value.errors}


# ---- timesheets ------------------------------------------------------------------------------

def test_a_timesheet_becomes_coop_work_lines_by_key_or_name(tmp_path):
    path = write(tmp_path, "timesheet-2025-07.csv", TIMESHEET)
    existing = books()
    entries = extract.extract_from_file(timesheet(), path, existing)
    assert [(e.date.isoformat(), *(v.value for v in e.values)) for e in entries] == [
        ("2025-07-07", "Priya", "Cascade", D("6.5"), "checkout 'redesign'"),
        ("2025-07-07", "Tomas", "Cascade", D("4"), "review"),
        ("2025-07-07", "Priya", "Cascade", D("6.5"), "checkout 'redesign'"),
        ("2025-07-25", "Devon", "Rose", data.Amount(D("1500.00"), "USD"), "workshop"),
    ]
    assert entries[0].meta["project"] == "checkout" and "project" not in entries[1].meta
    # Two equal rows are two pieces of work: two ids.
    assert entries[0].meta[IMPORT_ID] != entries[2].meta[IMPORT_ID]
    # Printed as Beancount prints them, they load clean into the books and are billed.
    text = "\n".join(printer.format_entry(e) for e in entries)
    invoice = ('\n2025-07-31 custom "coop-invoice" "Cascade" 1\n'
               '2025-07-31 custom "coop-invoice" "Rose" 2\n')
    loaded, errors, _ = loader.load_string(HEADER + textwrap.dedent(BOOKS) + text + invoice)
    assert errors == []
    billed = {e.meta["coop-client"]: e.postings[0].units.number for e in loaded
              if isinstance(e, data.Transaction) and "coop-invoice" in e.meta}
    assert billed == {"Cascade": D("13") * D("120.00") + D("4") * D("125.00"),
                      "Rose": D("1500.00")}


def test_a_timesheet_imported_again_is_all_duplicates(tmp_path):
    path = write(tmp_path, "timesheet-2025-07.csv", TIMESHEET)
    first = extract.extract_from_file(timesheet(), path, books())
    text = "\n".join(printer.format_entry(e) for e in first)
    existing = books(text)
    again = extract.extract_from_file(timesheet(), path, existing)
    timesheet().deduplicate(again, existing)
    assert again and all(e.meta.get(DUPLICATE) for e in again)
    # A coop-work line typed by hand with the same date and values is one too.
    typed = books('2025-07-07 custom "coop-work" "Tomas" "Cascade" 4 "review"\n')
    found = extract.extract_from_file(timesheet(), path, typed)
    timesheet().deduplicate(found, typed)
    assert [bool(e.meta.get(DUPLICATE)) for e in found] == [False, True, False, False]


def test_bad_timesheet_rows_are_errors_at_their_row(tmp_path):
    path = write(tmp_path, "timesheet-bad.csv", """\
        Date,Person,Client,Project,Hours,Fee,Notes
        2025-07-07,Zed Nobody,Cascade,,3,,
        2025-07-07,Priya,Nowhere Inc,,3,,
        2025-07-32,Priya,Cascade,,3,,
        2025-07-07,Priya,Cascade,,three,,
        2025-07-07,Priya,Cascade,,3,100.00,
        2025-07-07,Priya,Cascade,,,,
        2025-03-03,Devon,Rose,,3,,
        2025-07-07,Priya,Cascade,,-2,,
        2025-07-07,Priya,Cascade,,,10.001,
        2025-07-07,Priya,Cascade,,2,,fine
        """)
    errors = bad_rows(timesheet(), path, books())
    assert sorted(errors) == list(range(2, 11))
    assert "'Zed Nobody' is not a member's key or name" in errors[2]
    assert "'Nowhere Inc' is not a client's key or name" in errors[3]
    assert "not a date" in errors[4]
    assert "'three', not a number" in errors[5]
    assert "not both" in errors[6]
    assert "is empty" in errors[7]
    assert "when they were not a member (joined 2025-06-01)" in errors[8]
    assert "more than zero" in errors[9]
    assert "whole cents" in errors[10]


def test_a_name_two_members_share_finds_neither(tmp_path):
    path = write(tmp_path, "timesheet-x.csv", """\
        Date,Person,Client,Hours
        2025-07-07,Sam Lee,Cascade,3
        """)
    existing = books('2025-01-01 custom "coop-member" "Sam" "Sam Lee"\n'
                     '2025-01-01 custom "coop-member" "Sam2" "Sam Lee"\n')
    importer = TimesheetImporter("t", "Income:Billings", {"date": "Date", "member": "Person",
                                                          "client": "Client",
                                                          "hours": "Hours"}, CsvFormat())
    assert "names two members; give the member key" in bad_rows(importer, path, existing)[2]


# ---- payroll ---------------------------------------------------------------------------------

PAYROLL = """\
    Pay date,Employee,Gross pay,Employee taxes,Net pay,Employer taxes
    2025-07-31,Priya Raman,"1,000.00",296.50,703.50,86.50
    2025-07-31,Tomás Herrera,500.00,148.25,351.75,43.25
    2025-08-29,Priya,200.00,59.30,140.70,17.30
    """


def test_a_payroll_export_becomes_wages_by_member_per_pay_date(tmp_path):
    path = write(tmp_path, "payroll-2025-07.csv", PAYROLL)
    entries = extract.extract_from_file(payroll(), path, books())
    assert [e.date.isoformat() for e in entries] == ["2025-07-31", "2025-08-29"]
    july = entries[0]
    assert july.payee == "Gusto"
    postings = [(p.account, p.units.number, (p.meta or {}).get("member"))
                for p in july.postings]
    assert postings == [
        ("Liabilities:Payroll:NetPay", D("-1055.25"), None),
        ("Expenses:Payroll:Wages", D("1000.00"), "Priya"),
        ("Expenses:Payroll:Wages", D("500.00"), "Tomas"),
        ("Expenses:Payroll:EmployerTaxes", D("129.75"), None),
        # withheld (gross less net) and the employer's taxes, owed to the provider
        ("Liabilities:Payroll:Taxes", D("-574.50"), None),
    ]
    assert sum(p.units.number for p in july.postings) == 0


def test_imported_wages_are_checked_against_earnings(tmp_path):
    path = write(tmp_path, "payroll-2025-07.csv", """\
        Pay date,Employee,Gross pay,Employee taxes,Net pay,Employer taxes
        2025-07-31,Priya Raman,"1,056.00",313.10,742.90,91.34
        """)
    work = ('2025-07-10 custom "coop-work" "Priya" "Cascade" 10\n'
            '2025-07-31 custom "coop-invoice" "Cascade" 1\n')
    entries = extract.extract_from_file(payroll(), path, books(work, clean=False))
    text = "\n".join(printer.format_entry(e) for e in entries)
    # 10 h at 120.00 is 1,200.00; the co-op keeps 12%: Priya earned 1,056.00, as paid.
    _, errors, _ = loader.load_string(HEADER + textwrap.dedent(BOOKS) + work + text)
    assert errors == []
    # Paid one cent more than earned: the plugin says so at the imported transaction.
    over = text.replace("1056.00 USD", "1056.01 USD").replace("-742.90 USD", "-742.91 USD")
    _, errors, _ = loader.load_string(HEADER + textwrap.dedent(BOOKS) + work + over)
    assert len(errors) == 1 and "more than the 1056.00 USD" in errors[0].message


def test_bad_payroll_rows_are_errors_at_their_row(tmp_path):
    path = write(tmp_path, "payroll-bad.csv", """\
        Pay date,Employee,Gross pay,Employee taxes,Net pay,Employer taxes
        2025-07-31,Zed Nobody,100.00,29.65,70.35,8.65
        2025-07-31,Priya,100.00,29.65,170.35,8.65
        2025-07-31,Priya,100.00,29.65,70.00,8.65
        2025-07-31,Priya,100.001,0,100.001,0
        2025-07-31,Priya,100.00,29.65,70.35,-1
        2025-07-31,Priya,100.00,29.65,70.35,8.65
        """)
    errors = bad_rows(payroll(), path, books())
    assert sorted(errors) == [2, 3, 4, 5, 6]
    assert "employee 'Employee': 'Zed Nobody' is not a member's key or name" in errors[2]
    assert "more than the gross" in errors[3]
    assert "not the net pay 70.00" in errors[4]
    assert "whole cents" in errors[5] and "whole cents" in errors[6]


def test_a_payroll_export_imported_again_or_typed_by_hand_is_a_duplicate(tmp_path):
    path = write(tmp_path, "payroll-2025-07.csv", PAYROLL)
    first = extract.extract_from_file(payroll(), path, books())
    existing = books("\n".join(printer.format_entry(e) for e in first), clean=False)
    again = extract.extract_from_file(payroll(), path, existing)
    payroll().deduplicate(again, existing)
    assert [bool(e.meta.get(DUPLICATE)) for e in again] == [True, True]
    typed = books("""
        2025-08-29 * "Payroll" "August"
          Expenses:Payroll:Wages  200.00 USD
            member: "Priya"
          Liabilities:Payroll:NetPay  -140.70 USD
          Liabilities:Payroll:Taxes
        """, clean=False)
    found = extract.extract_from_file(payroll(), path, typed)
    payroll().deduplicate(found, typed)
    assert [bool(e.meta.get(DUPLICATE)) for e in found] == [False, True]


# ---- import.yaml -----------------------------------------------------------------------------

def config(text: str):
    return parse_config("import.yaml", __import__("yaml").safe_load(textwrap.dedent(text)))


def config_error(text: str) -> str:
    with pytest.raises(ImportConfigError) as caught:
        config(text)
    return str(caught.value)


def test_import_yaml_configures_timesheets_and_payroll():
    found = config("""
        importers:
          - type: timesheet
            filename: "timesheet-*.csv"
            currency: USD
            columns: {date: Date, member: Person, client: Client, hours: Hours, fee: Fee}
          - type: payroll
            currency: USD
            columns: {date: Pay date, member: Employee, gross: Gross, net: Net,
                      employer_taxes: Employer taxes}
            accounts: {taxes: Liabilities:Gusto}
        """)
    sheet, pay = found.importers
    assert isinstance(sheet, TimesheetImporter) and sheet.currency == "USD"
    assert sheet.name == "timesheet:Income:Billings"
    assert isinstance(pay, PayrollImporter)
    assert pay.accounts["taxes"] == "Liabilities:Gusto"
    assert pay.accounts["wages"] == "Expenses:Payroll:Wages"


@pytest.mark.parametrize("importer, message", [
    ("{type: timesheet, columns: {date: D, member: M, client: C}}",
     "importers[1].columns.hours: is missing: give the hours column, the fee column"),
    ("{type: timesheet, columns: {date: D, member: M, client: C, fee: F}}",
     "importers[1].currency: is missing"),
    ("{type: timesheet, columns: {date: D, member: M, hours: H}}",
     "importers[1].columns.client: is missing"),
    ("{type: payroll, currency: USD, columns: {date: D, member: M, gross: G, net: N}}",
     "importers[1].columns.employer_taxes: is missing"),
    ("{type: payroll, columns: {date: D, member: M, gross: G, net: N, employer_taxes: E}}",
     "importers[1].currency: is missing"),
    ("{type: payroll, currency: USD, accounts: {wage: Expenses:W}, columns: {date: D, "
     "member: M, gross: G, net: N, employer_taxes: E}}",
     "importers[1].accounts.wage: unknown key"),
])
def test_import_yaml_mistakes_in_timesheets_and_payroll(importer, message):
    assert message in config_error(f"importers:\n  - {importer}\n")
