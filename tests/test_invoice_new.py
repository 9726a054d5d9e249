"""`coop invoice new`: a period's uninvoiced work to coop-invoice directives, written checked."""

from __future__ import annotations

import shutil
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from click.testing import CliRunner

from coop_beancount.cli import main
from coop_beancount.reports.invoices import booked_invoices, earnings_rows
from coop_beancount.reports.view import CoopBooks
from tests.conftest import HEADER

D = Decimal
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

BOOKS = """
    2025-01-01 open Expenses:Payroll:Wages USD
    2025-01-01 open Liabilities:Payroll USD
    2025-01-01 custom "coop-member" "Priya" "Priya Raman"
    2025-01-01 custom "coop-member" "Jen" "Jen Alvarez"
    2025-01-01 custom "coop-client" "Cascade" "Cascade Outfitters"
      terms: 15
    2025-01-01 custom "coop-client" "Pearl" "Pearl Street Press"
    2025-01-01 custom "coop-rate" "Priya" "Cascade" 120.00 USD
    2025-01-01 custom "coop-rate" "Jen" "Pearl" 95.50 USD
    2025-01-01 custom "coop-fee" "12%"
      pay-within: 400
    2025-04-07 custom "coop-work" "Priya" "Cascade" 35.5 "checkout"
    2025-04-30 custom "coop-invoice" "Cascade" 7
    2025-05-05 custom "coop-work" "Priya" "Cascade" 10
    2025-05-20 custom "coop-work" "Jen" "Pearl" 7.3
    2025-06-02 custom "coop-work" "Priya" "Cascade" 4
    """


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def ledger(tmp_path) -> Path:
    path = tmp_path / "main.beancount"
    path.write_text(HEADER + textwrap.dedent(BOOKS))
    return path


def loaded(path: Path) -> CoopBooks:
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    return CoopBooks.from_entries(entries, options)


def test_a_dry_run_prints_the_invoice_and_writes_nothing(ledger):
    before = ledger.read_text()
    result = run("invoice", "new", str(ledger), "Cascade", "--period", "2025-05", "--dry-run",
                 "--to", str(ledger))
    assert result.exit_code == 0, result.output
    assert '2025-05-31 custom "coop-invoice" "Cascade" 8\n' in result.output
    assert "Invoice 8 to Cascade Outfitters: 1 work line(s), 1,200.00 USD, due 2025-06-15" \
        in result.output
    assert ledger.read_text() == before


def test_invoices_are_written_numbered_on_and_booked_by_the_plugin(ledger):
    result = run("invoice", "new", str(ledger), "--period", "2025-05", "--to", str(ledger),
                 "--terms", "30")
    assert result.exit_code == 0, result.output
    text = ledger.read_text()
    # Every client with work up to the period's end, in key order, numbered on from 7.
    assert ('2025-05-31 custom "coop-invoice" "Cascade" 8\n  terms: 30\n\n'
            '2025-05-31 custom "coop-invoice" "Pearl" 9\n  terms: 30\n') in text
    found = {i.number: i for i in booked_invoices(loaded(ledger)).invoices}
    assert found[8].total == D("1200.00") and found[8].due.isoformat() == "2025-06-30"
    assert found[9].total == D("697.15")  # 7.3 h at 95.50, rounded half up
    # June's work is not billed yet; June's invoice takes it, and nothing else.
    result = run("invoice", "new", str(ledger), "Cascade", "--period", "2025-06", "--to",
                 str(ledger))
    assert result.exit_code == 0, result.output
    found = {i.number: i for i in booked_invoices(loaded(ledger)).invoices}
    assert found[10].total == D("480.00") and found[10].due.isoformat() == "2025-07-15"


@pytest.mark.parametrize("args, message", [
    (["Nobody", "--period", "2025-05"], "no client 'Nobody' in the books"),
    (["Cascade", "--period", "2025-04"], "invoice 7 is dated 2025-04-30: it already bills"),
    (["Pearl", "--period", "2025-03"], "after 2025-03-31: invoices are numbered in date order"),
    (["Cascade", "--period", "2025-05", "--number", "12"], "the next invoice number is 8"),
    (["Pearl", "--period", "2025-04"], "no work for Pearl to invoice up to 2025-04-30"),
    (["Cascade", "--period", "May"], "'May' is not a month written YYYY-MM"),
])
def test_what_cannot_be_invoiced_is_refused_and_nothing_written(ledger, args, message):
    before = ledger.read_text()
    result = run("invoice", "new", str(ledger), *args, "--to", str(ledger))
    assert result.exit_code != 0
    assert message in " ".join(result.output.split()), result.output
    assert ledger.read_text() == before


def test_work_before_the_period_that_no_invoice_billed_is_billed_and_said(ledger):
    result = run("invoice", "new", str(ledger), "Cascade", "--period", "2025-06", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "1,680.00 USD" in result.output  # May's 10 h and June's 4 h at 120.00
    assert "it also bills 1 work line(s) dated before 2025-06-01" in result.output


def test_work_without_a_rate_is_refused_at_its_line(ledger):
    with ledger.open("a") as handle:
        handle.write('2025-05-06 custom "coop-work" "Jen" "Cascade" 2\n')
    result = run("invoice", "new", str(ledger), "Cascade", "--period", "2025-05", "--dry-run")
    assert result.exit_code != 0
    assert "no rate for Jen's work for Cascade" in result.output


def test_print_keeps_its_old_spelling(ledger):
    ledger.write_text('option "title" "Bridge City"\n' + ledger.read_text())
    out = ledger.parent / "out"
    for args in (["invoice", "print", str(ledger), "7"], ["invoice", str(ledger), "7"]):
        result = run(*args, "--out", str(out))
        assert result.exit_code == 0, result.output
        assert (out / "invoice-7-Cascade.html").is_file()
    assert "new" in run("invoice", "--help").output


def test_the_dev_coop_month_from_timesheet_to_payroll(tmp_path):
    """examples/dev-coop: March's timesheet imported, every client invoiced, Gusto's export
    imported; the wages are exactly what the invoices earned, and the books check clean."""
    books = tmp_path / "dev-coop"
    shutil.copytree(EXAMPLES / "dev-coop", books)
    main_file, year = str(books / "main.beancount"), str(books / "2026.beancount")
    steps = [
        ["import", "extract", main_file, str(books / "imports" / "timesheet-2026-03.csv"),
         "--to", year],
        ["invoice", "new", main_file, "--period", "2026-03", "--to", year],
        ["import", "extract", main_file, str(books / "imports" / "payroll-2026-03.csv"),
         "--to", year],
    ]
    for step in steps:
        result = run(*step)
        assert result.exit_code == 0, result.output
    coop = loaded(books / "main.beancount")
    march = [i for i in booked_invoices(coop).invoices if i.date.isoformat() == "2026-03-31"]
    assert len(march) == 5
    rows = earnings_rows(coop, march[0].date.replace(day=1), march[0].date)
    assert len(rows) == 6
    for row in rows:
        assert row["earned"] == row["paid"] and row["to_be_paid"] == 0, row
    assert sum(r["billed"] for r in rows) == sum(i.total for i in march)
    # The figures examples/dev-coop/README.md gives.
    assert [sum(r[k] for r in rows) for k in ("billed", "fee", "earned")] == [
        D("100625.00"), D("12075.00"), D("88550.00")]


def test_print_writes_the_invoice_as_pdf_too(ledger):
    """--pdf: the invoice through reports/pdf.py (WeasyPrint), its text read back."""
    from tests.support import pdf_text

    ledger.write_text('option "title" "Bridge City Developers"\n' + ledger.read_text().replace(
        '"12%"\n  pay-within: 400', '"12%"\n  pay-within: 400\n'
        '  address: "1120 NW Couch St, Portland OR 97209"'))
    out = ledger.parent / "out"
    result = run("invoice", "print", str(ledger), "7", "--out", str(out), "--pdf")
    assert result.exit_code == 0, result.output
    text = pdf_text((out / "invoice-7-Cascade.pdf").read_bytes())
    total = next(i for i in booked_invoices(loaded(ledger)).invoices if i.number == 7).total
    for expected in ("Bridge City Developers", "1120 NW Couch St, Portland OR 97209",
                     "Invoice 7", "Cascade Outfitters", "Priya Raman", f"{total:,} USD",
                     "2025-05-15"):
        assert expected in text, expected
    assert (out / "invoice-7-Cascade.html").is_file()


def test_print_pdf_without_weasyprint_is_refused_and_writes_nothing(ledger, monkeypatch):
    import sys

    from coop_beancount.reports.pdf import INSTALL

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` fails
    ledger.write_text('option "title" "Bridge City"\n' + ledger.read_text())
    out = ledger.parent / "out"
    result = run("invoice", "print", str(ledger), "7", "--out", str(out), "--pdf")
    assert result.exit_code == 1 and INSTALL in result.output
    assert not out.exists()


def test_print_takes_the_coops_name_and_address_from_the_payer_setting(ledger):
    """No address: on the coop-fee: the plugin's payer setting (as on the 1099-PATR) names
    the co-op and gives its address."""
    payer = ("'payer': {'name': 'Bridge City Developers Cooperative', "
             "'address': '1120 NW Couch St; Portland OR 97209'}")
    ledger.write_text(ledger.read_text().replace("{'as_of': '2025-12-31'}",
                                                 "{'as_of': '2025-12-31', " + payer + "}"))
    out = ledger.parent / "out"
    result = run("invoice", "print", str(ledger), "7", "--out", str(out))
    assert result.exit_code == 0, result.output
    page = (out / "invoice-7-Cascade.html").read_text()
    assert "Bridge City Developers Cooperative" in page
    assert "1120 NW Couch St; Portland OR 97209" in page
