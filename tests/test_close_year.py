"""`coop close-year`: books split at a fiscal year's end give the same figures after the cut.

The growers' example has everything the split must carry: per-unit retains and two pools
decided every year after its end, a leaver (Harju, 2025) whose shares and retained equity
are paid back, and redemptions of retained equity oldest fiscal year first in 2025 and 2026.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from coop_beancount.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def coop(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return f"exit {result.exit_code}\n{result.output}"


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The growers' books (a copy) and the books split from them after fiscal year 2024."""
    base = tmp_path_factory.mktemp("close-year")
    old = base / "growers"
    shutil.copytree(EXAMPLES / "growers-coop", old)
    out = base / "from-2025"
    output = coop("close-year", str(old / "main.beancount"), "--year", "2024", "--out", str(out))
    return old / "main.beancount", out / "main.beancount", output


def test_the_new_books_check_clean_and_start_after_the_cut(split):
    old, new, output = split
    assert output.startswith("exit 0"), output
    assert "New books from 2025-01-01" in output
    assert coop("check", str(new)).startswith("exit 0")
    main_text = new.read_text()
    assert "'start': '2025-01-01'" in main_text
    assert 'include "opening-2025-01-01.beancount"' in main_text
    # 2023's file holds nothing after the cut: left out, with its include line.
    assert not (new.parent / "2023.beancount").exists()
    assert '"2023.beancount"' not in main_text
    # The closed year's decisions, dated after the cut, are commented out where they were.
    year_2025 = (new.parent / "2025.beancount").read_text()
    assert '; 2025-02-18 custom "coop-allocation" 2024 "cranberries"' in year_2025
    assert '\n2025-02-18 custom "coop-allocation"' not in year_2025
    # The closed books are left as they were.
    assert (old.parent / "2023.beancount").exists()
    assert "'start'" not in old.read_text()


def test_opening_carries_each_members_equity_by_fiscal_year(split):
    _, new, _ = split
    opening = (new.parent / "opening-2025-01-01.beancount").read_text()
    assert '2024-12-31 * "Opening balances: the books to the end of fiscal year 2024"' in opening
    for account in ("Equity:Members:Harju:Shares:Member", "Equity:Members:Harju:Retains:FY2023",
                    "Equity:Members:Andrade:Allocated:FY2024", "Equity:Earnings:Closed:FY2024"):
        assert f"  {account} " in opening
    assert "Income:" not in opening.split("Opening balances")[1].split("\n\n")[0]
    # The entries of the FY2024 decisions (dated 2025-02-18), with their metadata.
    assert opening.count("coop-generated: \"allocation\"") == 2


@pytest.mark.parametrize("command", [
    ["members"], ["members", "--as-of", "2025-06-30"], ["equity"], ["equity", "--redeemed"],
    ["equity", "--as-of", "2025-12-31"], ["balances"], ["patronage", "--year", "2025"],
    ["1099-patr", "--year", "2025"],
])
def test_same_figures_after_the_cut_as_the_whole_books(split, command):
    old, new, _ = split
    before = coop(command[0], str(old), *command[1:])
    assert before.startswith("exit 0"), before
    assert coop(command[0], str(new), *command[1:]) == before


def test_closing_the_same_year_again_from_the_new_books_is_refused(split, tmp_path):
    _, new, _ = split
    output = coop("close-year", str(new), "--year", "2024", "--out", str(tmp_path / "again"))
    assert output.startswith("exit 1") and "start on 2025-01-01" in output
    assert not (tmp_path / "again").exists()


def test_a_folder_that_is_not_empty_is_refused(split, tmp_path):
    old, _, _ = split
    (tmp_path / "notes.txt").write_text("mine")
    output = coop("close-year", str(old), "--year", "2024", "--out", str(tmp_path))
    assert output.startswith("exit 1") and "not empty" in output
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_year_not_yet_ended_is_refused(split, tmp_path):
    old, _, _ = split
    output = coop("close-year", str(old), "--year", "2026", "--out", str(tmp_path / "x"))
    assert output.startswith("exit 1") and "close a year that has ended" in output


SMALL = """\
option "operating_currency" "USD"
plugin "coop_beancount.plugins.coop" "{'as_of': '2026-06-30'}"
2024-01-01 open Assets:Bank USD
2024-01-01 open Income:Sales USD
2024-01-01 open Equity:Earnings:Previous USD
2024-01-01 custom "coop-member" "Ann" "Ann Lee"
2024-01-01 custom "coop-consent" "Ann" "written"
2024-01-01 custom "coop-measure" "sales" Income:Sales
2024-03-01 * "Sale"
  member: "Ann"
  Assets:Bank      100.00 USD
  Income:Sales    -100.00 USD
2025-03-01 * "Sale"
  member: "Ann"
  Assets:Bank       80.00 USD
  Income:Sales     -80.00 USD
2025-02-01 custom "coop-allocation" 2024 "sales"
  margin: "Income:Sales"
  measure: "sales"
  reserve: "10%"
  cash: "20%"
  paid: 2025-02-15
2025-02-20 * "Ann's cash part"
  Liabilities:Members:Ann:Payable   18.00 USD
  Assets:Bank
"""


def _small(tmp_path: Path, extra: str = "") -> Path:
    books = tmp_path / "books" / "main.beancount"
    books.parent.mkdir()
    books.write_text(SMALL + textwrap.dedent(extra))
    return books


def test_a_year_whose_dividend_is_undecided_is_refused(tmp_path):
    books = _small(tmp_path)
    output = coop("close-year", str(books), "--year", "2025", "--out", str(tmp_path / "new"))
    assert output.startswith("exit 1"), output
    assert "fiscal year 2025 has no coop-allocation for the pool 'sales'" in output
    assert "close fiscal year 2024 instead" in output
    assert not (tmp_path / "new").exists()
    # The year before, decided after its end, closes: its entries are carried.
    output = coop("close-year", str(books), "--year", "2024", "--out", str(tmp_path / "new"))
    assert output.startswith("exit 0"), output
    assert coop("balances", str(tmp_path / "new" / "main.beancount")) == coop(
        "balances", str(books))


def test_books_that_do_not_check_clean_are_refused(tmp_path):
    books = _small(tmp_path, """
        2025-04-01 * "To nobody"
          Assets:Bank       1.00 USD
          Income:Nowhere   -1.00 USD
        """)
    output = coop("close-year", str(books), "--year", "2024", "--out", str(tmp_path / "new"))
    assert output.startswith("exit 1") and "does not check clean" in output
    assert not (tmp_path / "new").exists()


def test_interest_on_capital_begun_before_the_cut_is_refused(tmp_path):
    books = _small(tmp_path, """
        2024-06-01 * "Ann's capital brought in"
          Assets:Bank                           10.00 USD
          Equity:Members:Ann:Allocated:FY2023  -10.00 USD
        2025-01-01 custom "coop-interest" "5%" "credited"
        """)
    output = coop("close-year", str(books), "--year", "2025", "--out", str(tmp_path / "new"))
    assert output.startswith("exit 1"), output
    assert "coop-interest begins before the cut" in output, output
    assert not (tmp_path / "new").exists()


def test_a_file_of_includes_is_kept_for_the_files_it_leads_to(tmp_path):
    books = tmp_path / "books"
    (books / "y").mkdir(parents=True)
    header, rest = SMALL.split('2024-03-01 * "Sale"')
    sale_2024, after = rest.split('2025-03-01 * "Sale"')
    (books / "main.beancount").write_text(header + 'include "years.beancount"\n')
    (books / "years.beancount").write_text('include "y/2024.beancount"\n'
                                           'include "y/2025.beancount"\n')
    (books / "y" / "2024.beancount").write_text('2024-03-01 * "Sale"' + sale_2024)
    (books / "y" / "2025.beancount").write_text('2025-03-01 * "Sale"' + after)
    output = coop("close-year", str(books / "main.beancount"), "--year", "2024", "--out",
                  str(tmp_path / "new"))
    assert output.startswith("exit 0"), output
    new = tmp_path / "new"
    assert (new / "years.beancount").read_text() == 'include "y/2025.beancount"\n'
    assert not (new / "y" / "2024.beancount").exists()
    assert coop("balances", str(new / "main.beancount")) == coop(
        "balances", str(books / "main.beancount"))


def _without_hours(members_csv: str) -> list[str]:
    """`coop members --format csv` without its last column: hours worked before the cut stay
    in the closed books."""
    return [line.rsplit(",", 1)[0] for line in members_csv.splitlines()]


@pytest.mark.parametrize(("example", "year"), [
    # Hours as the measure, a leaver at the year's end paid out over five years from 2026.
    ("worker-coop", 2024),
    # Quarterly dues, client invoices and the co-op's fee, a decision dated after the cut.
    ("dev-coop", 2025),
])
def test_other_examples_split_with_the_same_figures(tmp_path, example, year):
    old = tmp_path / example
    shutil.copytree(EXAMPLES / example, old)
    new = tmp_path / "new"
    output = coop("close-year", str(old / "main.beancount"), "--year", str(year), "--out",
                  str(new))
    assert output.startswith("exit 0"), output
    for command in (["equity"], ["balances"]):
        assert coop(command[0], str(new / "main.beancount")) == coop(
            command[0], str(old / "main.beancount"))
    members = [coop("members", str(books / "main.beancount"), "--format", "csv")
               for books in (old, new)]
    assert _without_hours(members[1]) == _without_hours(members[0])
