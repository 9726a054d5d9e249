"""A statement's entries are written as a stream: made, checked for duplicates, printed into
a temporary file and let go; then written out in order, aligned, and checked before the
rename (issue 15, big statements)."""

from __future__ import annotations

import datetime
import shutil
import tracemalloc
from pathlib import Path

import pytest
from beancount.core import data
from beancount.core.amount import Amount
from click.testing import CliRunner

from coop_beancount.books.loading import append_streamed, load_books
from coop_beancount.books.lock import books_locked
from coop_beancount.books.printing import aligned, entries_text
from coop_beancount.books.spool import Spool, sort_key
from coop_beancount.cli import imports, main
from coop_beancount.importers.bank import BankImporter
from tests.test_import_big import COLUMNS, statement

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "yogurt-coop"


def coop(*arguments):
    return CliRunner().invoke(main, [str(a) for a in arguments])


def transaction(day: int, line: int, number: str) -> data.Transaction:
    meta = data.new_metadata("statement.csv", line)
    postings = [data.Posting("Assets:Bank:Checking", Amount(data.D(number), "USD"),
                             None, None, None, None),
                data.Posting("Income:Unknown", Amount(-data.D(number), "USD"),
                             None, None, None, None)]
    return data.Transaction(meta, datetime.date(2026, 1, day), "!", "SHOP", "Card", data.EMPTY_SET,
                            data.EMPTY_SET, postings)


def test_the_spool_writes_sections_in_the_order_asked_each_sorted_and_aligned():
    first = [transaction(3, 2, "1.00"), transaction(1, 3, "-1234.50"), transaction(2, 4, "7")]
    second = [transaction(9, 2, "20.00"), transaction(8, 3, "3.10")]
    with Spool(align=True) as spool:
        spool.section("; first\n\n")
        for entry in first:
            spool.add(sort_key(entry), entries_text([entry]) + "\n")
        spool.section("; nothing new\n\n")  # no text: left out, header and all
        spool.section("; second\n\n")
        for entry in second:
            spool.add(sort_key(entry), entries_text([entry]) + "\n")
        spool.section("; dropped\n\n")
        spool.add(0, "never written\n")
        spool.drop_section()
        written: list[str] = []
        spool.write_to(written.append, [2, 1, 0])
    by_key = sorted(second, key=data.entry_sortkey), sorted(first, key=data.entry_sortkey)
    expected = aligned("; second\n\n" + "".join(entries_text([e]) + "\n" for e in by_key[0])
                       + "; first\n\n" + "".join(entries_text([e]) + "\n" for e in by_key[1]))
    assert "".join(written) == expected
    assert "never" not in expected and "nothing new" not in expected


@pytest.fixture
def yogurt(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "books")
    return tmp_path / "books" / "main.beancount"


def test_a_statement_newest_first_is_written_oldest_first_aligned_and_checked(yogurt):
    target = yogurt.parent / "2025.beancount"
    before = target.read_text()
    document = yogurt.parent / "imports" / "checking-2026-01.csv"
    result = coop("import", "extract", yogurt, document, "--to", target)
    assert result.exit_code == 0, result.output
    added = target.read_text()[len(before):]
    assert aligned(added.lstrip("\n")) == added.lstrip("\n")  # bean-format changes nothing
    dates = [line[:10] for line in added.splitlines() if line[:2] == "20"]
    assert len(dates) > 5
    assert dates == sorted(dates)  # the bank lists newest first
    assert load_books(yogurt).errors == []
    assert not list(yogurt.parent.glob(".*.tmp"))
    again = coop("import", "extract", yogurt, document, "--to", target)
    assert again.exit_code == 0, again.output
    assert "Nothing new to import" in again.output
    assert target.read_text() == before + added


def test_a_streamed_write_that_would_not_check_clean_writes_nothing(yogurt):
    target = yogurt.parent / "2025.beancount"
    before = target.read_bytes()
    with books_locked(yogurt, timeout=5):
        errors = append_streamed(yogurt, target, lambda out: out.write(
            b'2026-01-02 * "Nowhere"\n  Assets:Nowhere  1.00 USD\n  Income:Nowhere\n'))
        assert errors and any("Assets:Nowhere" in str(e.message) for e in errors)
        assert target.read_bytes() == before
        assert not list(yogurt.parent.glob(".*.tmp"))
        assert append_streamed(yogurt, target, lambda out: out.write(b"; a note\n")) == []
    assert target.read_bytes() == before + b"\n; a note\n"
    with pytest.raises(RuntimeError, match="without the write lock"):
        append_streamed(yogurt, target, lambda out: None)


def test_making_and_printing_a_statements_entries_holds_no_entry(tmp_path):
    """Before: every entry held, about 27 times the file's size. Now the entries are let go
    once printed: what stays is a few dozen bytes per row."""
    importer = BankImporter("bank", "Assets:Bank:Checking", "USD", COLUMNS)

    def run(path: Path) -> int:
        documents = [imports.Document(path, importer)]
        with Spool(align=True) as spool:
            extraction = imports._Run(documents, [], spool, show_duplicates=False)
            assert extraction.extract_all() == []
            spool.write_to(lambda text: None, extraction.order())
        return documents[0].new

    run(statement(tmp_path / "warm-up", rows=10))  # first-use imports
    path = statement(tmp_path / "big", rows=12_000)
    tracemalloc.start()
    try:
        assert run(path) == 12_001  # and the balance assertion
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    size = path.stat().st_size
    assert peak < 4 * size, f"peak {peak:,} bytes for a {size:,}-byte statement"
