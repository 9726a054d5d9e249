"""Big statements are read as a stream: memory does not grow with the rows read.

A bank's statement can be millions of rows (issue 15: 200 MB, 4 million rows took 10 GB).
Reading and checking its rows keeps no row once it is checked, so reading a statement
through the bank importer takes a fraction of the file's size, however long the file.
"""

from __future__ import annotations

import datetime
import tracemalloc

from coop_beancount.importers import csvformat
from coop_beancount.importers.bank import BankColumns, BankImporter

ROWS = 6_000
COLUMNS = BankColumns(date="Date", amount="Amount", payee="Payee", narration=("Memo",),
                      transaction_id="Id", balance="Balance")


def statement(tmp_path, rows: int = ROWS):
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "statement.csv"
    day = datetime.date(2025, 1, 1)
    lines = ["Date,Id,Payee,Memo,Amount,Balance\n"]
    balance = 0
    for number in range(rows):
        cents = (number * 7919) % 100_001 - 50_000
        balance += cents
        lines.append(f"{day + datetime.timedelta(days=number // 500)},TX{number:08d},"
                     f"SHOP {number % 977},Card purchase {number % 31},{cents / 100:.2f},"
                     f"{balance / 100:.2f}\n")
    path.write_text("".join(lines))
    return path


def peak_while(run) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reading_every_row_takes_a_fraction_of_the_files_size(tmp_path):
    path = statement(tmp_path)
    size = path.stat().st_size
    importer = BankImporter("bank", "Assets:Bank:Checking", "USD", COLUMNS)
    importer.date(str(statement(tmp_path / "warm-up", rows=10)))  # first-use imports
    last = []
    # date() reads, parses and checks every row (dates, amounts, balances) and keeps none.
    peak = peak_while(lambda: last.append(importer.date(str(path))))
    assert last == [datetime.date(2025, 1, 1) + datetime.timedelta(days=(ROWS - 1) // 500)]
    # Held whole, the file's bytes, its text and its lines were 4 to 5 times its size.
    assert peak < size / 2, f"peak {peak:,} bytes reading a {size:,}-byte statement"


def test_progress_is_told_rows_and_bytes_read(tmp_path):
    path = statement(tmp_path, rows=3 * csvformat.PROGRESS_EVERY + 5)
    size = path.stat().st_size
    told: list[tuple[str, int, int, int]] = []
    token = csvformat.PROGRESS.set(lambda *report: told.append(report))
    try:
        rows = sum(1 for _ in csvformat.read_rows(path, csvformat.CsvFormat()))
    finally:
        csvformat.PROGRESS.reset(token)
    assert rows == 3 * csvformat.PROGRESS_EVERY + 5
    assert [count for _, count, _, _ in told] == [
        csvformat.PROGRESS_EVERY, 2 * csvformat.PROGRESS_EVERY, 3 * csvformat.PROGRESS_EVERY,
        rows]
    done = [read for _, _, read, _ in told]
    assert done == sorted(done) and done[-1] == size
    assert {(name, total) for name, _, _, total in told} == {(str(path), size)}
