"""The year end of a large co-op, at a size that runs in seconds: `coop patronage`, `coop
notices` and `coop 1099-patr` on 600 owners (benchmarks/bench_pos.py --year-end times the
same books at 20,000). Each works, each names every owner once, and no line of the
patronage report grows with the number of owners."""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path

from click.testing import CliRunner

from coop_beancount.cli import main

OWNERS = 600
BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_pos.py"


def year_end_books(folder: Path) -> Path:
    """The benchmark's own books (one year of records and the board's allocation)."""
    import sys

    sys.path.insert(0, str(BENCH.parent))
    try:
        spec = importlib.util.spec_from_file_location("bench_pos", BENCH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH.parent))
    return module.year_end_books(folder, OWNERS, seed=1)


def test_patronage_notices_and_1099_for_many_owners(tmp_path):
    books = year_end_books(tmp_path / "books")
    runner = CliRunner()

    result = runner.invoke(main, ["patronage", str(books), "--year", "2025"])
    assert result.exit_code == 0, result.output
    report = result.output
    assert "Members' allocations add up to the pool" in report
    # The checks name a few members and count the rest: no line names all 600.
    assert f"and {OWNERS - 10:,} more ({OWNERS:,} members)" in report
    widest = max(len(line) for line in report.splitlines())
    assert widest < 400, widest

    result = runner.invoke(main, ["patronage", str(books), "--year", "2025", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == OWNERS

    out = tmp_path / "notices"
    result = runner.invoke(main, ["notices", str(books), "--year", "2025", "--out", str(out)])
    assert result.exit_code == 0, result.output
    notices = sorted(out.glob("FY2025-*.html"))
    assert len(notices) == OWNERS
    assert "Owner 600" in (out / "FY2025-600.html").read_text(encoding="utf-8")

    result = runner.invoke(main, ["1099-patr", str(books), "--year", "2026"])
    assert result.exit_code == 0, result.output
    recipients = {row["member"]: row for row in csv.DictReader(io.StringIO(result.output))}
    # Box 1 is the qualified notices (these books never pay the cash parts out): each owner
    # whose retained part is 10.00 or more is a recipient, with that figure.
    retained = {row["member"]: row["retained"].split()[0] for row in rows}
    assert {m: r["box1"] for m, r in recipients.items()} == {
        m: figure for m, figure in retained.items() if float(figure) >= 10}
    assert len(recipients) > OWNERS * 0.9
