"""How fast is `coop import till` on a large grocery co-op's year? A benchmark, not a test.

Issue 20's targets, on a 20,000-owner co-op's year of 10 million till lines (a CSV of about
300 MB, CORE-POS's column names):

1. Adding the lines up into each owner's monthly totals (`read_till`, the statement of
   `coop_beancount/importers/till.sql`, with the books' 20,000 owners joined in) takes at
   most **3 times** DuckDB's own bare `GROUP BY card_no, month` over the same file, timed
   side by side in one run (`--repeat` times each, alternately, each in a fresh process);
   its peak memory (the process's maximum resident set) is at most **1.5 GB**.
2. The whole import, `coop import till main.beancount till.csv --to purchases.beancount`
   on books with the 20,000 owners (loading them, adding up, writing about 240,000 records
   checked and atomic) takes at most **60 seconds**.
3. With `--books`, the books of that co-op with 10 years of yearly records (200,000
   `coop-patronage` lines and a dividend a year): `bean-check` with the plugin against the
   same books written out by hand (the plugin's derived entries printed as ordinary
   directives, the plugin line removed), time and peak memory, at most **1.15 times**.
4. With `--year-end`, the year end of --owners owners (one year's records and the board's
   allocation): `coop patronage`, `coop notices --out` and `coop 1099-patr`, each a fresh
   process: wall time, CPU time and peak memory (issue 20, part 3).

With `--monthly`, the books of 3. hold a record per owner and month (2.4 million at the
defaults). Every command's CPU time (user and system) is reported with its wall time: on a
shared machine the CPU time is the figure to compare.

    .venv/bin/python benchmarks/bench_pos.py                       # the issue's sizes
    .venv/bin/python benchmarks/bench_pos.py --lines 1000000 --owners 2000 --repeat 1
    .venv/bin/python benchmarks/bench_pos.py --books --owners 20000 --years 10
    .venv/bin/python benchmarks/bench_pos.py --lines 0 --year-end   # 20,000 owners' year end

The till lines are made by DuckDB itself in the workspace (a temporary folder, or --keep
DIR), deterministically: the 10 million lines take a few seconds to write. See
benchmarks/README.md for the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BenchmarkError, progress, run_benchmark

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
COOP = Path(sys.executable).with_name("coop")
BEAN_CHECK = Path(sys.executable).with_name("bean-check")
#: The CPU seconds of each command `run_one` ran, in order (the machine may be shared: the
#: CPU time is the figure to compare; the wall time is the user's wait on an idle machine).
CPU: list[float] = []

#: The till lines of a year: CORE-POS's names; 10% of the lines rung to no owner (card 0),
#: 1 line in 25 a discount (S), 1 in 50 a tender (T), 1 in 97 a void (V), 1 in 89 a return.
GENERATE = """
COPY (
  SELECT
    strftime(TIMESTAMP '{year}-01-01 08:00:00'
             + to_seconds(CAST(i * (364 * 86400.0 / {lines}) AS BIGINT)),
             '%Y-%m-%d %H:%M:%S') AS datetime,
    CASE WHEN hash(i // 20) % 10 = 0 THEN 0 ELSE 1 + hash(i // 20 + 7) % {owners} END
      AS card_no,
    1 + hash(i) % 20 AS department,
    CASE WHEN i % 25 = 0 THEN 'S' WHEN i % 50 = 1 THEN 'T' ELSE 'I' END AS trans_type,
    CASE WHEN i % 97 = 0 THEN 'V' WHEN i % 89 = 0 THEN 'R' ELSE '' END AS trans_status,
    CAST(CASE WHEN i % 25 = 0 THEN -0.50 ELSE (hash(i + 3) % 2000) / 100.0 END
         AS DECIMAL(10, 2)) AS total
  FROM range({lines}) t(i)
) TO '{path}' (HEADER)
"""

#: DuckDB alone: the same file, typed by its own sniffer, grouped by owner and month.
BARE = """
import resource, sys, time, duckdb
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
connection = duckdb.connect()
connection.execute("SET enable_progress_bar = false")
started, cpu_started = time.perf_counter(), cpu()
rows = connection.execute(
    "SELECT card_no, date_trunc('month', datetime) AS month, sum(total) "
    "FROM read_csv(?) GROUP BY ALL", [sys.argv[1]]).fetchall()
print(time.perf_counter() - started, len(rows), cpu() - cpu_started)
"""

#: The import's aggregation: read_till with the CORE-POS preset and the books' owners.
OURS = """
import datetime, resource, sys, time
from pathlib import Path
from coop_beancount.core.records import Member
from coop_beancount.importers.config import parse_config
importer = parse_config("import.yaml", {"importers": [
    {"type": "till", "measure": "purchases", "preset": "core-pos"}]}).tills[0]
members = [Member(key=str(n), name=f"Owner {n}", joined=datetime.date(2000, 1, 1),
                  source={}) for n in range(1, int(sys.argv[2]) + 1)]
from coop_beancount.importers.till import read_till
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
started, cpu_started = time.perf_counter(), cpu()
totals = read_till(importer, [Path(sys.argv[1])], members)
print(time.perf_counter() - started, len(totals.records), cpu() - cpu_started,
      "typed" if totals.typed else "text")
"""


def run_one(command: list[str], cwd: Path | None = None) -> tuple[str, float, int]:
    """Run a command in a wrapper process of its own: its stdout, wall seconds and peak
    memory (the largest resident set of the wrapper's children: the command alone).
    Its CPU seconds (user and system, DuckDB's threads included) go to `CPU`."""
    wrapper = textwrap.dedent("""
        import resource, subprocess, sys, time
        started = time.perf_counter()
        proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
        wall = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        sys.stderr.write(proc.stderr)
        print(proc.returncode, wall, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime)
        print(proc.stdout, end="")
    """)
    env = dict(os.environ, BEANCOUNT_DISABLE_LOAD_CACHE="1")
    proc = subprocess.run([PYTHON, "-c", wrapper, *command], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)
    first, _, out = proc.stdout.partition("\n")
    try:
        code, wall, peak, cpu = first.split()
    except ValueError:
        raise BenchmarkError(f"{command[:3]} could not be run:\n{proc.stderr[-2000:]}") from None
    if int(code):
        raise BenchmarkError(f"{' '.join(map(str, command[:4]))} exited {code}:\n"
                             f"{proc.stderr[-2000:]}")
    CPU.append(float(cpu))
    return out, float(wall), int(peak)


def make_till(workdir: Path, lines: int, owners: int, year: int) -> Path:
    import duckdb

    path = workdir / "till.csv"
    if not path.exists():
        progress(f"writing {lines:,} till lines for {owners:,} owners ...")
        with duckdb.connect() as connection:
            connection.execute("SET enable_progress_bar = false")
            connection.execute(GENERATE.format(year=year, lines=lines, owners=owners,
                                               path=str(path).replace("'", "''")))
    progress(f"{path}: {path.stat().st_size / 1e6:,.0f} MB")
    return path


def make_books(workdir: Path, owners: int) -> Path:
    books = workdir / "books"
    books.mkdir(exist_ok=True)
    (books / "main.beancount").write_text(textwrap.dedent("""\
        option "operating_currency" "USD"
        plugin "coop_beancount.plugins.coop" "{'as_of': '2026-12-31'}"
        include "owners.beancount"
        include "purchases.beancount"
        2000-01-01 custom "coop-measure" "purchases"
        """))
    (books / "owners.beancount").write_text("".join(
        f'2000-01-01 custom "coop-member" "{n}" "Owner {n}"\n' for n in range(1, owners + 1)))
    (books / "purchases.beancount").write_text("")
    (books / "import.yaml").write_text(
        "importers:\n  - {type: till, measure: purchases, preset: core-pos}\n")
    return books


def run(args: Any, workdir: Path, argv: list[str]) -> dict[str, Any]:
    figures: dict[str, Any] = {"argv": argv, "lines": args.lines, "owners": args.owners}
    if args.lines:
        till = make_till(workdir, args.lines, args.owners, 2025)
        figures["csv_mb"] = round(till.stat().st_size / 1e6)
        bare, ours, peaks, bare_cpu, ours_cpu = [], [], [], [], []
        for round_ in range(args.repeat):
            out, _, _ = run_one([PYTHON, "-c", BARE, str(till)])
            bare.append(float(out.split()[0]))
            bare_cpu.append(float(out.split()[2]))
            out, _, peak = run_one([PYTHON, "-c", OURS, str(till), str(args.owners)])
            ours.append(float(out.split()[0]))
            ours_cpu.append(float(out.split()[2]))
            figures["read_as"] = out.split()[3]
            peaks.append(peak)
            figures["owner_periods"] = int(out.split()[1])
            progress(f"round {round_ + 1}: bare GROUP BY {bare[-1]:.2f} s "
                     f"({bare_cpu[-1]:.2f} s CPU), read_till {ours[-1]:.2f} s "
                     f"({ours_cpu[-1]:.2f} s CPU, {figures['read_as']}), peak "
                     f"{peak / 2**20:,.0f} MiB, load average {os.getloadavg()[0]:.1f}")
        figures.update(bare_s=statistics.median(bare), ours_s=statistics.median(ours),
                       ratio=statistics.median(ours) / statistics.median(bare),
                       bare_cpu_s=statistics.median(bare_cpu),
                       ours_cpu_s=statistics.median(ours_cpu),
                       cpu_ratio=statistics.median(ours_cpu) / statistics.median(bare_cpu),
                       peak_mib=max(peaks) / 2**20)
        books = make_books(workdir, args.owners)
        progress("the whole import: coop import till ... --to purchases.beancount")
        (books / "purchases.beancount").write_text("")
        _, wall, peak = run_one([str(COOP), "import", "till", "main.beancount", str(till),
                                 "--to", "purchases.beancount"], cwd=books)
        figures.update(import_s=wall, import_cpu_s=CPU[-1], import_peak_mib=peak / 2**20)
        progress(f"whole import {wall:.1f} s ({CPU[-1]:.1f} s CPU), peak "
                 f"{peak / 2**20:,.0f} MiB")
    if args.books:
        figures.update(books_figures(args, workdir))
    if args.year_end:
        figures.update(year_end_figures(args, workdir))
    return figures


def books_figures(args: Any, workdir: Path) -> dict[str, Any]:
    """bean-check on 10 years of yearly records, with the plugin and written out by hand."""
    import random

    from beancount import loader
    from beancount.parser import printer

    rng = random.Random(args.seed)
    months = 12 if args.monthly else 1
    folder = workdir / ("monthly" if args.monthly else "yearly")
    folder.mkdir(exist_ok=True)
    first = 2026 - args.years
    lines = ['option "operating_currency" "USD"',
             "plugin \"coop_beancount.plugins.coop\" \"{'as_of': '2026-12-31'}\"",
             f"{first}-01-01 open Assets:Bank USD", f"{first}-01-01 open Income:Sales USD",
             f"{first}-01-01 open Expenses:Goods USD",
             f"{first}-01-01 open Equity:Earnings:Previous USD",
             f"{first}-01-01 open Equity:Coop:Unallocated USD",
             f'{first}-01-01 custom "coop-measure" "purchases"']
    lines += [f'{first}-01-01 custom "coop-member" "{n}" "Owner {n}"'
              for n in range(1, args.owners + 1)]
    # Consent to qualified notices (IRC 1388(c)), signed with the application.
    lines += [f'{first}-01-01 custom "coop-consent" "{n}" "written"'
              for n in range(1, args.owners + 1)]
    for year in range(first, 2026):
        total = 0
        for month in range(13 - months, 13):
            # A month's records on its last day (the 28th: every month has one).
            day = f"{year}-{month:02d}-{28 if months > 1 else 31}"
            for n in range(1, args.owners + 1):
                cents = rng.randint(20_000, 900_000) // months
                total += cents
                lines.append(f'{day} custom "coop-patronage" "{n}" "purchases" '
                             f"{cents // 100}.{cents % 100:02d}")
        lines += [f'{year}-12-31 * "Sales"', f"  Assets:Bank  {total // 100}.{total % 100:02d} USD",
                  "  Income:Sales",
                  f'{year}-12-31 * "Goods"', f"  Expenses:Goods  {total * 95 // 10000}.00 USD",
                  "  Assets:Bank",
                  f'{year + 1}-03-01 custom "coop-allocation" {year} "purchases"',
                  '  margin: "Income:Sales Expenses:Goods"', '  measure: "purchases"',
                  '  reserve: "10%"', '  cash: "30%"', f"  paid: {year + 1}-03-15",
                  # The cash parts are not paid out of the payables in these books.
                  "  late: TRUE"]
    plugin_books = folder / "plugin.beancount"
    plugin_books.write_text("\n".join(lines) + "\n")
    records = args.owners * args.years * months
    progress(f"{plugin_books}: {records:,} {folder.name} records; loading to print the "
             "hand-written books ...")
    entries, errors, _ = loader.load_file(str(plugin_books))
    if errors:
        raise BenchmarkError(f"the plugin books do not check: {errors[0].message}")
    hand = folder / "hand.beancount"
    with open(hand, "w") as out:
        out.write('option "operating_currency" "USD"\n')
        printer.print_entries(entries, file=out)
    del entries
    checks: dict[str, list[tuple[float, float, int]]] = {"plugin": [], "hand": []}
    for _ in range(args.repeat):
        for name, path in (("plugin", plugin_books), ("hand", hand)):
            _, wall, peak = run_one([str(BEAN_CHECK), str(path)])
            checks[name].append((wall, CPU[-1], peak))
            progress(f"bean-check {name}: {wall:.1f} s ({CPU[-1]:.1f} s CPU), peak "
                     f"{peak / 2**20:,.0f} MiB")
    figures: dict[str, Any] = {"records": records, "record_period": folder.name}
    for name, runs in checks.items():
        figures[f"check_{name}_s"] = statistics.median(w for w, _, _ in runs)
        figures[f"check_{name}_cpu_s"] = statistics.median(c for _, c, _ in runs)
        figures[f"check_{name}_mib"] = max(p for _, _, p in runs) / 2**20
    figures["check_ratio"] = figures["check_plugin_cpu_s"] / figures["check_hand_cpu_s"]
    figures["check_memory_ratio"] = figures["check_plugin_mib"] / figures["check_hand_mib"]
    return figures


def year_end_books(folder: Path, owners: int, seed: int) -> Path:
    """Books of `owners` owners with one fiscal year (2025) of yearly purchases records,
    the year's sales and costs, and the board's allocation paid in 2026."""
    import random

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lines = ['option "title" "Riverside Grocery Co-op"', 'option "operating_currency" "USD"',
             "plugin \"coop_beancount.plugins.coop\" \"{'as_of': '2026-12-31'}\"",
             "2025-01-01 open Assets:Bank USD", "2025-01-01 open Income:Sales USD",
             "2025-01-01 open Expenses:Goods USD",
             '2025-01-01 custom "coop-measure" "purchases"']
    lines += [f'2025-01-01 custom "coop-member" "{n}" "Owner {n}"'
              for n in range(1, owners + 1)]
    # Consent to qualified notices (IRC 1388(c)), signed with the application.
    lines += [f'2025-01-01 custom "coop-consent" "{n}" "written"' for n in range(1, owners + 1)]
    total = 0
    for n in range(1, owners + 1):
        cents = rng.randint(20_000, 900_000)
        total += cents
        lines.append(f'2025-12-31 custom "coop-patronage" "{n}" "purchases" '
                     f"{cents // 100}.{cents % 100:02d}")
    lines += ['2025-12-31 * "Sales"', f"  Assets:Bank  {total // 100}.{total % 100:02d} USD",
              "  Income:Sales", '2025-12-31 * "Goods"',
              f"  Expenses:Goods  {total * 95 // 10000}.00 USD", "  Assets:Bank",
              '2026-03-01 custom "coop-allocation" 2025 "purchases"',
              '  margin: "Income:Sales Expenses:Goods"', '  measure: "purchases"',
              '  reserve: "10%"', '  cash: "30%"', "  paid: 2026-03-15",
              "  late: TRUE"]  # the cash parts are not paid out of the payables here
    books = folder / "main.beancount"
    books.write_text("\n".join(lines) + "\n")
    return books


#: The year-end commands timed by --year-end: (name, arguments after BOOKS).
YEAR_END = (("coop patronage", ["patronage", "{books}", "--year", "2025"]),
            ("coop notices", ["notices", "{books}", "--year", "2025", "--out", "{notices}",
                              "--replace"]),
            ("coop 1099-patr", ["1099-patr", "{books}", "--year", "2026"]))


def year_end_figures(args: Any, workdir: Path) -> dict[str, Any]:
    """`coop patronage`, `coop notices` and `coop 1099-patr` on a year of --owners owners."""
    books = year_end_books(workdir / "year-end", args.owners, args.seed)
    notices = workdir / "year-end" / "notices"
    progress(f"{books}: {args.owners:,} owners, one year's records and allocation")
    figures: dict[str, Any] = {"year_end_owners": args.owners, "year_end": {}}
    for name, arguments in YEAR_END:
        command = [str(COOP)] + [a.format(books=books, notices=notices) for a in arguments]
        out, wall, peak = run_one(command)
        figures["year_end"][name] = {"wall_s": wall, "cpu_s": CPU[-1],
                                     "peak_mib": peak / 2**20, "output_kb": len(out) / 1000}
        progress(f"{name}: {wall:.1f} s ({CPU[-1]:.1f} s CPU), peak {peak / 2**20:,.0f} MiB")
    written = len(list(notices.glob("FY2025-*.html")))
    if written != args.owners:
        raise BenchmarkError(f"coop notices wrote {written} notices for {args.owners} owners")
    figures["year_end_notices"] = written
    return figures


def report(figures: dict[str, Any]) -> str:
    out = [f"bench_pos {' '.join(figures['argv'])}"]
    if "ratio" in figures:
        out += [
            f"till: {figures['lines']:,} lines ({figures['csv_mb']:,} MB CSV), "
            f"{figures['owners']:,} owners, {figures['owner_periods']:,} owner-months",
            f"  DuckDB's bare GROUP BY     {figures['bare_s']:8.2f} s   "
            f"({figures['bare_cpu_s']:.2f} s CPU)",
            f"  read_till (till.sql)       {figures['ours_s']:8.2f} s   "
            f"({figures['ours_cpu_s']:.2f} s CPU, read {figures['read_as']})",
            f"  ratio of the medians       {figures['ratio']:8.2f}     (target at most 3; "
            f"CPU {figures['cpu_ratio']:.2f})",
            f"  read_till peak memory      {figures['peak_mib']:8,.0f} MiB (target at most "
            "1,536 MiB)",
            f"  whole import, written      {figures['import_s']:8.1f} s   "
            f"({figures['import_cpu_s']:.1f} s CPU) peak {figures['import_peak_mib']:,.0f} MiB "
            "(target at most 60 s)"]
    if "check_ratio" in figures:
        out += [
            f"books: {figures['records']:,} {figures['record_period']} records",
            f"  bean-check, plugin         {figures['check_plugin_s']:8.1f} s   "
            f"({figures['check_plugin_cpu_s']:.1f} s CPU) peak "
            f"{figures['check_plugin_mib']:,.0f} MiB",
            f"  bean-check, by hand        {figures['check_hand_s']:8.1f} s   "
            f"({figures['check_hand_cpu_s']:.1f} s CPU) peak "
            f"{figures['check_hand_mib']:,.0f} MiB",
            f"  ratio (CPU)                {figures['check_ratio']:8.2f}     memory "
            f"{figures['check_memory_ratio']:.2f} (target at most 1.15)"]
    if "year_end" in figures:
        out.append(f"year end: {figures['year_end_owners']:,} owners, one allocation "
                   f"({figures['year_end_notices']:,} notices written)")
        for name, run in figures["year_end"].items():
            out.append(f"  {name:<25}{run['wall_s']:8.1f} s   ({run['cpu_s']:.1f} s CPU) "
                       f"peak {run['peak_mib']:,.0f} MiB")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=10_000_000,
                    help="till lines (default 10,000,000; 0 skips the till figures)")
    ap.add_argument("--owners", type=int, default=20_000, help="owners (default 20,000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each, alternately")
    ap.add_argument("--books", action="store_true",
                    help="also bean-check books of --years yearly records per owner")
    ap.add_argument("--years", type=int, default=10, help="years of records (default 10)")
    ap.add_argument("--monthly", action="store_true",
                    help="with --books: a record per owner and month (2.4 million at the "
                         "defaults), not per year")
    ap.add_argument("--year-end", action="store_true",
                    help="also time coop patronage, notices and 1099-patr on --owners owners")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="work in DIR and keep it (the till file is reused)")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE")
    args = ap.parse_args(argv)
    figures = run_benchmark("bench_pos", args, argv, run, report, lambda figures: {})
    return 0 if figures is not None else 1


if __name__ == "__main__":
    sys.exit(main())
