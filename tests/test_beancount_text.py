"""What the project writes is Beancount's own text: printed by Beancount's printer (a name
with a quote or a backslash reads back as it is), and left unchanged by bean-format, like
the example and starter books."""

import textwrap
from pathlib import Path

import pytest
from beancount.parser import parser
from beancount.scripts.format import align_beancount
from beancount.scripts.format import main as bean_format
from click.testing import CliRunner

from coop_beancount.books.loading import load_books
from coop_beancount.books.printing import aligned
from coop_beancount.cli import main
from tests import test_import_cli as importing

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted([*ROOT.glob("examples/*/*.beancount"), *ROOT.glob("ledgers/*.beancount")])

#: Members whose names a hand-built entry would break: a quote, a backslash, both.
ODD_NAMES = textwrap.dedent(r'''
    plugin "coop_beancount.plugins.coop" "{'as_of': '2025-12-31'}"
    2025-01-01 open Assets:Bank:Checking USD
    2025-01-01 open Expenses:Milk USD
    2025-01-01 open Income:Members:SharedCosts USD
    2025-01-01 custom "coop-member" "Ana" "Ana \"Nana\" Souza"
    2025-01-01 custom "coop-member" "Ben" "Ben \\ Okafor"
    2025-01-01 custom "coop-member" "Cy" "Cy \"\\\" Park"

    2025-02-01 * "Milk, Ana paid"
      Expenses:Milk  30.00 USD
        split: "equal"
      Liabilities:Members:Ana:Payable

    2025-08-01 * "Milk"
      Expenses:Milk  12.00 USD
        split: "weights: Ben 1, Cy 3"
      Assets:Bank:Checking
    ''')


def formatted(text: str) -> str:
    """What bean-format prints for `text` (the real command, through its click entry)."""
    result = CliRunner().invoke(bean_format, ["-"], input=text)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_books_survive_bean_format(path):
    text = path.read_text()
    assert formatted(text) == text


def test_settle_write_prints_odd_names_as_beancount_reads_them(tmp_path):
    books = tmp_path / "main.beancount"
    books.write_text(ODD_NAMES)
    result = CliRunner().invoke(main, ["settle", str(books), "--write", str(books),
                                       "--date", "2025-12-31"])
    assert result.exit_code == 0, result.output
    written = books.read_text()[len(ODD_NAMES):]
    assert formatted(written) == written
    entries, errors, _ = parser.parse_string(written)
    assert errors == []
    narrations = {e.narration for e in entries}
    assert 'Settle-up: Ben \\ Okafor pays Ana "Nana" Souza' in narrations
    assert 'Settle-up: Cy "\\" Park pays Ana "Nana" Souza' in narrations
    assert load_books(books).errors == []
    again = CliRunner().invoke(main, ["settle", str(books)])
    assert "Everyone is settled" in again.output


def test_imported_entries_survive_bean_format(tmp_path):
    for name, text in (("members.beancount", importing.MEMBERS),
                       ("2026.beancount", importing.YEAR), ("import.yaml", importing.CONFIG)):
        importing.dedent_write(tmp_path / name, text)
    books = importing.dedent_write(tmp_path / "main.beancount", importing.MAIN)
    scale = importing.dedent_write(tmp_path / "scale-house-2026-09.csv", importing.SCALE)
    target = tmp_path / "2026.beancount"
    before = target.read_text()
    result = CliRunner().invoke(main, ["import", "extract", str(books), str(scale),
                                       "--to", str(target)])
    assert result.exit_code == 0, result.output
    written = target.read_text()[len(before):]
    assert 'custom "coop-patronage"' in written
    assert formatted(written) == written


@pytest.mark.parametrize("text", [
    '2025-01-01 * "x"\n  Assets:Bank:Checking  5.00 USD\n  Expenses:A\n',
    '2025-01-01 * "x"\n  import-id: "1"\n  Liabilities:Members:Ana:Payable  1,234.5 USD @ 2 EUR\n'
    '  ! Assets:X  5 USD\n  Assets:Members:Ben:Receivable  -1 ABC.D\n',
    '2025-01-01 balance Assets:Bank  100.00 USD\n2025-01-02 price ABC 3 USD\n'
    '2025-01-02 custom "coop-patronage" "G1" "barrels" 30 "t"\n',
    "; a comment 10 USD\n\n    Actifs:Banque:Épargne    -7.25 EUR\n  Equity:Ä:B 1 USD\n",
    "no numbers here\n",
])
def test_aligned_is_what_bean_format_prints(text):
    assert aligned(text) == align_beancount(text)
