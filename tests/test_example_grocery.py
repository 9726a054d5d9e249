"""The grocery co-op example: its generated till lines, their import, its FY2025 dividend.

The figures are those of examples/grocery-coop/README.md; the import's are worked out by
DuckDB from the shipped till file, the dividend's by the plugin from the imported records.
"""

from __future__ import annotations

import gzip
import importlib.util
import shutil
from decimal import Decimal
from pathlib import Path

from beancount.core import data
from click.testing import CliRunner

from coop_beancount.books.loading import load_books
from coop_beancount.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "grocery-coop"
README = (EXAMPLE / "README.md").read_text(encoding="utf-8")


def _line(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [number for number, line in enumerate(lines, 1) if needle in line]
    assert len(found) == 1
    return found[0]


def generator():
    spec = importlib.util.spec_from_file_location("grocery_generate",
                                                  EXAMPLE / "tills" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_makes_the_shipped_till_lines(tmp_path):
    made = tmp_path / "till.csv.gz"
    count = generator().write(made)
    shipped = gzip.decompress((EXAMPLE / "tills" / "till-2025.csv.gz").read_bytes())
    assert gzip.decompress(made.read_bytes()) == shipped
    assert count == shipped.count(b"\n") - 1 == 50227
    assert "50,227 lines" in README


def test_importing_the_till_gives_the_shipped_records(tmp_path):
    copy = tmp_path / "grocery-coop"
    shutil.copytree(EXAMPLE, copy)
    (copy / "purchases-2025.beancount").write_text("")
    # The allocation needs the records; without them the books are checked without it.
    (copy / "2026.beancount").write_text("")
    result = CliRunner().invoke(main, [
        "import", "till", str(copy / "main.beancount"),
        str(copy / "tills" / "till-2025.csv.gz"), "--to",
        str(copy / "purchases-2025.beancount")])
    assert result.exit_code == 0, result.output
    assert (copy / "purchases-2025.beancount").read_text() == (
        EXAMPLE / "purchases-2025.beancount").read_text()
    assert "Wrote 2901 owner records and 12 non-member totals" in result.output
    assert "1401: 368 line(s), 7029.27" in result.output
    for line in result.output.splitlines():
        if line.startswith("2025-"):
            assert line in README  # each month's row, as the README shows it


def test_the_example_imported_again_writes_nothing(tmp_path):
    copy = tmp_path / "grocery-coop"
    shutil.copytree(EXAMPLE, copy)
    before = (copy / "purchases-2025.beancount").read_bytes()
    result = CliRunner().invoke(main, [
        "import", "till", str(copy / "main.beancount"), str(copy / "tills"), "--to",
        str(copy / "purchases-2025.beancount")])
    assert result.exit_code == 0, result.output
    assert "same totals: nothing was written" in result.output
    assert (copy / "purchases-2025.beancount").read_bytes() == before


def test_the_dividend_of_fy2025():
    loaded = load_books(EXAMPLE / "main.beancount")
    assert not loaded.errors
    allocation = [e for e in loaded.entries if e.meta.get("coop-generated") == "allocation"]
    assert len(allocation) == 1
    meta = allocation[0].meta
    figures = {
        "coop-patronage-total": "593269.78", "coop-margin": "29663.48",
        "coop-non-patronage": "7046.93", "coop-reserve": "5932.70",
        "coop-pool-amount": "23730.78",
        # Derived by the plugin from the till's non-member totals, not written by hand.
        "coop-non-member-business": "140938.53", "coop-non-member-part": "7046.93",
    }
    for key, expected in figures.items():
        assert Decimal(str(meta[key])) == Decimal(expected), key
        assert f"{Decimal(expected):,}" in README, expected
    # It points back at the board's decision (2026.beancount), and no entry of the books
    # moves the non-member part by hand.
    assert (Path(meta["filename"]).name, meta["lineno"]) == (
        "2026.beancount", _line(EXAMPLE / "2026.beancount", 'custom "coop-allocation"'))
    assert not [e for e in loaded.entries if isinstance(e, data.Transaction)
                and "coop-generated" not in e.meta
                and any("NonPatronage" in p.account for p in e.postings)]
    result = CliRunner().invoke(main, ["patronage", str(EXAMPLE / "main.beancount"),
                                       "--year", "2025", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = {row.split(",")[2]: row.split(",") for row in result.output.splitlines()[1:]}
    cash = sum(Decimal(r[7].split()[0]) for r in rows.values())
    retained = sum(Decimal(r[8].split()[0]) for r in rows.values())
    assert (cash, retained) == (Decimal("7120.60"), Decimal("16610.18"))
    assert cash + retained == Decimal("23730.78")
    for owner, purchases, dividend, cash_part, kept in (
            ("1001", "1759.44", "70.38", "21.12", "49.26"),
            ("1010", "349.62", "13.99", "4.20", "9.79"),
            ("1281", "2054.40", "82.18", "24.66", "57.52")):
        row = rows[owner]
        assert [Decimal(row[5]), *(Decimal(v.split()[0]) for v in row[6:9])] == [
            Decimal(purchases), Decimal(dividend), Decimal(cash_part), Decimal(kept)]
        assert f"| {owner} |" in README and f"| {dividend} |" in README
