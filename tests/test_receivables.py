"""Clients' open invoices and their age, members' earnings statements, printable invoices."""

from __future__ import annotations

import datetime
import textwrap
from decimal import Decimal

from beancount import loader
from click.testing import CliRunner

from coop_beancount.cli import main
from coop_beancount.reports.invoices import (
    age_bucket,
    booked_invoices,
    earnings_rows,
    receivable_rows,
)
from coop_beancount.reports.view import CoopBooks
from tests.conftest import HEADER
from tests.test_plugin_invoices import BOOKS

D = Decimal

PAYMENTS = """
    2025-05-10 * "Cascade Outfitters" "Part of invoice 1"
      Assets:Bank  1000.00 USD
      Assets:Clients:Cascade
    2025-05-20 * "Gusto" "Payroll"
      Expenses:Payroll:Wages  1800.00 USD
        member: "Jen"
      Expenses:Payroll:Wages  500.00 USD
        member: "Priya"
      Liabilities:Payroll
    """


def books(extra: str = "") -> CoopBooks:
    entries, errors, options = loader.load_string(HEADER + textwrap.dedent(BOOKS + PAYMENTS
                                                                           + extra))
    assert errors == []
    return CoopBooks.from_entries(entries, options)


def test_age_buckets():
    assert [age_bucket(d) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400)] == [
        "current", "current", "1-30", "1-30", "31-60", "31-60", "61-90", "61-90", "90+", "90+"]


def test_payments_pay_the_oldest_open_invoice_first():
    coop = books("""
    2025-06-10 * "Cascade Outfitters" "Rest of invoice 1 and part of 3"
      Assets:Bank  10000.00 USD
      Assets:Clients:Cascade
    """)
    receivables = booked_invoices(coop)
    found = {i.number: i for i in receivables.invoices}
    first, third = found[1], found[3]
    assert first.open == 0 and third.open == 0
    # What no open invoice was left for is kept apart (a prepayment, or a mistake).
    assert receivables.unapplied == {("Cascade", "USD"): D("11000.00") - first.total
                                     - third.total}
    assert found[2].paid == 0  # another client's account


def test_open_invoices_with_their_age_per_invoice_client_and_member():
    coop = books()
    as_of = datetime.date(2025, 7, 1)
    rows = receivable_rows(coop, as_of, "invoice")
    by_number = {row["invoice"]: row for row in rows}
    invoices = {i.number: i for i in booked_invoices(coop).invoices}
    assert by_number[1]["open"] == {"USD": invoices[1].total - D("1000.00")}
    assert by_number[1]["days_late"] == (as_of - invoices[1].due).days
    assert by_number[1]["age"] == age_bucket((as_of - invoices[1].due).days)
    assert by_number[3]["age"] == "1-30"  # due 2025-06-30 (terms: 15)
    clients = {row["client"]: row for row in receivable_rows(coop, as_of, "client")}
    cascade = clients["Cascade Outfitters"]
    assert cascade["invoices"] == 2
    assert cascade["open"]["USD"] == sum(r["open"]["USD"] for r in rows
                                         if r["client"] == "Cascade Outfitters")
    members = receivable_rows(coop, as_of, "member")
    # Members' parts of the open invoices add up to what the clients owe, to the cent.
    assert sum(r["open"]["USD"] for r in members) == sum(r["open"]["USD"] for r in rows)
    assert {r["member"] for r in members} == {"Priya", "Jen"}


def test_an_invoice_not_yet_due_is_current():
    rows = receivable_rows(books(), datetime.date(2025, 5, 31), "invoice")
    assert {row["invoice"]: row["age"] for row in rows}[3] == "current"


def test_earnings_statement_billed_fee_earned_paid_to_be_paid():
    coop = books()
    rows = {row["member"]: row for row in earnings_rows(coop, None, datetime.date(2025, 12, 31))}
    for key, paid in (("Jen", D("1800.00")), ("Priya", D("500.00"))):
        row = rows[key]
        assert row["fee"] + row["earned"] == row["billed"]
        assert row["paid"] == paid
        assert row["to_be_paid"] == row["earned"] - paid
    # --from counts only what is in the period; to be paid stays everything to --to.
    may = {row["member"]: row for row in earnings_rows(
        coop, datetime.date(2025, 5, 1), datetime.date(2025, 12, 31))}
    assert may["Priya"]["billed"] == D("1200.00")  # invoice 3: 10 h at 120.00
    assert may["Priya"]["to_be_paid"] == rows["Priya"]["to_be_paid"]


def test_coop_invoice_writes_a_printable_invoice(tmp_path):
    ledger = tmp_path / "main.beancount"
    ledger.write_text('option "title" "Bridge City <Developers>"\n' + HEADER + textwrap.dedent(
        BOOKS.replace('"Cascade Outfitters"\n      terms: 15',
                      '"Cascade Outfitters"\n      terms: 15\n      address: "1 Main St"')))
    out = tmp_path / "invoices"
    result = CliRunner().invoke(main, ["invoice", str(ledger), "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "invoice-1-Cascade.html").read_text()
    for text in ("Bridge City &lt;Developers&gt;", "Invoice 1", "Cascade Outfitters", "1 Main St",
                 "Priya Raman", "audit", "2025-05-15", "<td class=\"num\">35.5</td>"):
        assert text in page, text
    total = next(i for i in booked_invoices(books()).invoices if i.number == 1).total
    assert f"{total:,} USD" in page
    result = CliRunner().invoke(main, ["invoice", str(ledger), "9", "--out", str(out)])
    assert result.exit_code != 0 and "no invoice 9" in result.output


def test_coop_receivables_and_earnings_print(tmp_path):
    ledger = tmp_path / "main.beancount"
    ledger.write_text(HEADER + textwrap.dedent(BOOKS + PAYMENTS))
    for args in (["receivables", "--as-of", "2025-07-01", "--per", "client"],
                 ["earnings", "--member", "Priya"]):
        result = CliRunner().invoke(main, [args[0], str(ledger), *args[1:]])
        assert result.exit_code == 0, result.output
    assert "Cascade Outfitters" in CliRunner().invoke(
        main, ["receivables", str(ledger), "--as-of", "2025-07-01"]).output
    result = CliRunner().invoke(main, ["earnings", str(ledger), "--member", "Zed"])
    assert result.exit_code != 0 and "no member 'Zed'" in result.output
