"""PDF output (reports/pdf.py, through WeasyPrint, the pdf extra): `coop notices --pdf`
prints each notice to PDF, whose text (read back with pypdf, of the test extra) has the
co-op, the member and the figures; `coop statement --pdf` prints a member's statement
with its head (co-op, member, period, print date), opening and closing balances and
subtotals by kind. Without WeasyPrint, asking for a PDF is a clean error saying what to
install, and nothing is written.
"""

from __future__ import annotations

import datetime
import io
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from coop_beancount.cli import main
from coop_beancount.reports.output import money_text
from coop_beancount.reports.pdf import INSTALL, PdfUnavailable, html_to_pdf, pdf_available
from tests.support import pdf_text

ROOT = Path(__file__).resolve().parent.parent
GROWERS = str(ROOT / "examples" / "growers-coop" / "main.beancount")
CO_OP = "Plymouth County Cranberry Growers' Cooperative"


def test_html_to_pdf_prints_the_page_with_its_print_css():
    html = ("<!DOCTYPE html><html><head><style>@page { size: A4 } "
            "@media print { .no-print { display: none } }</style></head><body>"
            "<h1>Notice for Ruth Beaton</h1><p>25,355.69 USD</p>"
            "<p class='no-print'>Only on screen</p>"
            "<img src='http://198.51.100.1/never-fetched.png'></body></html>")
    data = html_to_pdf(html)
    text = pdf_text(data)
    assert "Notice for Ruth Beaton" in text and "25,355.69 USD" in text
    assert "Only on screen" not in text
    [page] = PdfReader(io.BytesIO(data)).pages
    assert round(float(page.mediabox.width)) == 595  # A4 (points), as the page asked


def test_coop_notices_pdf(tmp_path):
    out = tmp_path / "FY2025"
    result = CliRunner().invoke(main, ["notices", GROWERS, "--year", "2025", "--out",
                                       str(out), "--pdf", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows
    for row in rows:
        html = out / f"FY2025-{row['member']}.html"
        pdf = out / f"FY2025-{row['member']}.pdf"
        assert html.exists() and pdf.exists()
    assert not (out / "index.pdf").exists()
    row = rows[0]
    text = pdf_text((out / f"FY2025-{row['member']}.pdf").read_bytes())
    assert CO_OP in text
    assert f"Member {row['name']}" in text and f"Member key {row['member']}" in text
    for column in ("allocation", "cash", "retained"):
        assert f"{Decimal(str(row[column]['USD'])):,} USD" in text, column
    assert "(HTML and PDF)" in result.stderr
    # Written before: refused (PDFs too) unless --replace.
    again = CliRunner().invoke(main, ["notices", GROWERS, "--year", "2025", "--out",
                                      str(out), "--pdf"])
    assert again.exit_code != 0 and "--replace" in again.stderr


@pytest.fixture
def no_weasyprint(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` fails


def test_without_weasyprint_a_pdf_is_a_clean_error(no_weasyprint, tmp_path):
    assert not pdf_available()
    with pytest.raises(PdfUnavailable, match=r"pip install 'coop-beancount\[pdf\]'"):
        html_to_pdf("<p>x</p>")
    out = tmp_path / "notices"
    result = CliRunner().invoke(main, ["notices", GROWERS, "--year", "2025", "--out",
                                       str(out), "--pdf"])
    assert result.exit_code == 1
    assert INSTALL in result.stderr and "Traceback" not in result.output
    assert not out.exists()  # refused before anything was written
    # Without --pdf, notices are written as before.
    result = CliRunner().invoke(main, ["notices", GROWERS, "--year", "2025", "--out",
                                       str(out)])
    assert result.exit_code == 0, result.output
    assert not list(out.glob("*.pdf"))


def test_a_notice_prints_with_its_head(tmp_path):
    """The notice's head names the co-op, the fiscal year, the member and the print day."""
    out = tmp_path / "n"
    result = CliRunner().invoke(main, ["notices", GROWERS, "--year", "2025", "--out",
                                       str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)[0]
    html = (out / f"FY2025-{row['member']}.html").read_text()
    assert (f'<p class="printed">{row["name"]} ({row["member"]}); printed '
            f'{datetime.date.today()}</p>') in html
    text = pdf_text(html_to_pdf(html))
    assert text.startswith(f"{CO_OP} Written notice of allocation Patronage dividend for fiscal "
                           f"year 2025 (FY2025) {row['name']} ({row['member']}); printed "
                           f"{datetime.date.today()}")
    assert "Page 1 of 1" in text


def statement_json(*args: str) -> list[dict]:
    result = CliRunner().invoke(main, ["statement", GROWERS, *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def money(value: dict) -> str:
    """Money as the printed pages write it."""
    return money_text({c: Decimal(str(n)) for c, n in value.items()})


def test_coop_statement_pdf(tmp_path):
    member, start = "Andrade", "2025-06-01"
    lines = statement_json(member, "--from", start)
    before = statement_json(member, "--to", "2025-05-31")
    assert lines and before  # an opening balance, and postings after it
    path = tmp_path / "out" / "Andrade.pdf"
    result = CliRunner().invoke(main, ["statement", GROWERS, member, "--from", start,
                                       "--pdf", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # the statement is the file
    text = pdf_text(path.read_bytes())
    assert text.startswith(f"{CO_OP} Statement of account From {start} to the end of the "
                           f"books; printed {datetime.date.today()} Member Manuel Andrade "
                           "Member key Andrade")
    # Opening balances: where the statement to the day before closed; closing: its last line.
    assert (f"Opening balances ({start}) {money(before[-1]['owes'])} "
            f"{money(before[-1]['capital'])}") in text
    closing = f"{money(lines[-1]['owes'])} {money(lines[-1]['capital'])}"
    assert f"Closing balances {closing}" in text
    assert text.count(f"Closing balances {closing}") == 2  # the summary, the table's end
    # Subtotals by kind: each kind's postings and amount, added up here from the CLI's lines.
    kinds: dict[str, list] = {}
    for line in lines:
        kind = kinds.setdefault(line["account"], [0, Decimal(0)])
        kind[0] += 1
        kind[1] += Decimal(str(line["amount"]["USD"]))
    section = text[text.index("Subtotals by kind"):]
    for name, (count, amount) in kinds.items():
        assert f"{name} {count} {money({'USD': amount})}" in section, name
    assert f"Total {len(lines)}" in section
    assert "Retained patronage equity by fiscal year" in text


def test_statement_pdf_without_weasyprint(no_weasyprint, tmp_path):
    path = tmp_path / "G.pdf"
    result = CliRunner().invoke(main, ["statement", GROWERS, "Andrade", "--pdf", str(path)])
    assert result.exit_code == 1 and INSTALL in result.stderr
    assert not path.exists()


def test_coop_certificates_pdf(tmp_path):
    """Per-unit retain certificates print to PDF like the notices: the co-op, the member,
    their retains and the kind of certificate read back from the PDF."""
    out = tmp_path / "certificates"
    result = CliRunner().invoke(main, ["certificates", GROWERS, "--year", "2025", "--out",
                                       str(out), "--pdf", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"FY2025-{r['member']}.{ext}" for r in rows for ext in ("html", "pdf")]
        + ["index.html"])
    row = rows[0]
    text = pdf_text((out / f"FY2025-{row['member']}.pdf").read_bytes())
    assert CO_OP in text and "Per-unit retain certificate" in text
    assert f"Member {row['name']}" in text
    assert f"{Decimal(str(row['retained']['USD'])):,} USD" in text
    assert "1388(h)" in text
