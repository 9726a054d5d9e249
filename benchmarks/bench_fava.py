"""How fast are the co-op pages in Fava, next to Fava's own Income Statement? A benchmark,
not a test.

It generates large co-op books with benchmarks/bench_plugins.py's generator (members,
shares, dues, hours, purchases, shared expenses with `split:`, patronage records, a
decision per fiscal year and a redemption per year), adds the line that enables the
co-op pages, loads them once in Fava (`create_app` and Flask's test client, in this
process), and times, side by side:

* Fava's Income Statement: in Fava 1.30 it is drawn in the browser, so what the user
  waits for is GET /<slug>/income_statement/ (the page shell) plus the JSON the frontend
  then fetches, GET /<slug>/api/income_statement (no filters: the frontend sends only
  non-empty ones); the two are timed one after the other and added;
* each co-op page: Members, the busiest member's page, Shared costs, Patronage (every
  year) and Equity (with a redemption budget, so the next-redemption preview is computed).

Warm: after one untimed request of each page (both Fava and the co-op pages cache what
they compute per load of the books), the median of --repeat requests, pages in rotating
order. Cold: the first request of a page after a load of the books, median of --repeat:
before each, untimed, Fava's `load_file` runs again on the entries of the first load
(Beancount's parse is skipped: minutes on these books), so Fava and the co-op pages
start over as after a change to a file, then a full garbage collection (the load's own
collection debt, seconds on these books, would otherwise fall on whichever request is
next). The co-op pages share one `CoopBooks` per load, built in Fava's load_file with
every split cost and each usage unit's records (so in neither figure; it is timed on
its own and reported).

    .venv/bin/python benchmarks/bench_fava.py --members 1000 --transactions 100000 \\
        --repeat 3 --seed 1 --max-ratio 1.0

Exit codes: 0; 1 when a co-op page, warm or cold, takes longer than --max-ratio times the
Income Statement; 2 when the books cannot be generated, do not load clean, or a page
does not answer 200 with its content. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import html
import io
import os
import platform
import pstats
import statistics
import sys
import time
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"  # no pickle files beside the books

import bench_plugins  # benchmarks/bench_plugins.py, beside this script: its generator
import fava.core as fava_core
from beancount.parser.version import VERSION as BEANCOUNT_VERSION
from common import BenchmarkError, progress, run_benchmark  # benchmarks/common.py
from fava import __version__ as FAVA_VERSION
from fava.application import create_app

from coop_beancount.fava_pages import base
from coop_beancount.fava_pages.views import Settings
from coop_beancount.reports.patronage import outstanding_equity
from coop_beancount.reports.view import CoopBooks

SLUG = "benchmark-co-op"  # Fava's slug of the generated books' title, "Benchmark co-op"
EXTENSION = f'custom "fava-extension" "{base.MODULE}"'
REDEMPTION_SHARE = Decimal("0.25")  # the Equity page's budget: a quarter of what is outstanding
INCOME_STATEMENT = "Income Statement"
#: What a request's time is measured with: wall time (time.perf_counter, the default) or,
#: with --clock cpu, this process's CPU time (time.process_time): on a machine shared with
#: other work, the figure that does not count the time others had the CPU.
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter
SIZES: dict[str, int] = {}  # bytes sent for each target (its URLs together)


@dataclass(frozen=True)
class Target:
    """One thing timed: a name, the URLs requested one after the other, and text that
    must be in the (last) answer, so a page that renders nothing is not timed as fast."""

    name: str
    urls: tuple[str, ...]
    expect: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------
# The books


def write_books(args: argparse.Namespace, workdir: Path) -> tuple[Path, dict[str, Any]]:
    book = bench_plugins.generate(args)
    path = workdir / "fava-books.beancount"
    progress(f"writing {path}")
    path.write_text(book.text() + f"\n{book.start} {EXTENSION}\n")
    counts = {"written_transactions": sum(book.written.values()),
              "derived_transactions": sum(book.derived.values()),
              "other_directives": sum(book.directives.values()),
              "size_bytes": path.stat().st_size}
    return path, counts


def load_fava(path: Path) -> tuple[Any, Any, float]:
    progress(f"loading {path.name} in Fava")
    started = time.perf_counter()
    app = create_app([str(path)], load=True)
    seconds = time.perf_counter() - started
    ledgers = dict(app.config["LEDGERS"].items())
    if list(ledgers) != [SLUG]:
        raise BenchmarkError(f"Fava's ledgers are {list(ledgers)}, expected {SLUG!r}")
    ledger = ledgers[SLUG]
    if ledger.errors:
        shown = "\n".join(f"{(e.source or {}).get('lineno', '?')}: {e.message}"
                          for e in ledger.errors[:5])
        raise BenchmarkError(f"the books load with {len(ledger.errors)} error(s):\n{shown}")
    return app, ledger, seconds


def books_figures(ledger: Any) -> dict[str, Any]:
    """What the co-op pages have to show, from the co-op's view of the loaded books."""
    books = CoopBooks.from_entries(ledger.all_entries, ledger.options)
    busiest = max(books.postings, key=lambda key: len(books.postings[key]))
    outstanding = sum((n for row in outstanding_equity(books, None, "year")
                       for n in row.total.values()), Decimal(0))
    budget = (outstanding * REDEMPTION_SHARE).quantize(Decimal(1), rounding=ROUND_FLOOR)
    custom = ledger.all_entries_by_type.Custom
    return {
        "entries": len(ledger.all_entries),
        "transactions": len(ledger.all_entries_by_type.Transaction),
        "members": len(books.records.members),
        "busiest_member": busiest,
        "busiest_member_postings": len(books.postings[busiest]),
        "split_transactions": sum(1 for e in ledger.all_entries_by_type.Transaction
                                  if any(p.meta and "coop-split" in p.meta
                                         for p in e.postings)),
        "patronage_records": sum(1 for e in custom if e.type == "coop-patronage"),
        "allocation_decisions": sum(1 for e in custom if e.type == "coop-allocation"),
        "redemption_decisions": sum(1 for e in custom if e.type == "coop-redemption"),
        "equity_outstanding": str(outstanding),
        "redemption_budget": f"{budget:.2f}",
    }


def targets(books: dict[str, Any]) -> list[Target]:
    page = f"/{SLUG}/extension"
    return [
        Target(INCOME_STATEMENT, (f"/{SLUG}/income_statement/", f"/{SLUG}/api/income_statement"),
               ('"trees"', "Net Profit")),
        Target("Overview", (f"{page}/CoopOverview/",), ("coop-overview", "coop-months")),
        Target("Members", (f"{page}/CoopMembers/",), ("coop-members", "active members")),
        Target(f"Member page ({books['busiest_member']})",
               (f"{page}/CoopMembers/?member={books['busiest_member']}",),
               ("coop-closing-capital", "Capital over time")),
        Target("Shared costs", (f"{page}/CoopSharedCosts/",), ("Each member's part",
                                                               "Cost per unit: quarts")),
        Target("Patronage", (f"{page}/CoopPatronage/",), ("coop-allocations", "coop-checks")),
        Target("Equity", (f"{page}/CoopEquity/?budget={books['redemption_budget']}",),
               ("Outstanding by fiscal year", "Redemptions made", "would pay")),
    ]


# --------------------------------------------------------------------------------------
# Timing


def request(client: Any, target: Target) -> tuple[float, list[float]]:
    """Request the target's URLs one after the other: total and per-URL seconds."""
    parts = []
    body = ""
    size = 0
    for url in target.urls:
        started = clock()
        response = client.get(url)
        body = response.get_data(as_text=True)
        parts.append(clock() - started)
        if response.status_code != 200:
            raise BenchmarkError(f"{url} answered {response.status_code}:\n{body[-1500:]}")
        size += len(response.get_data())
    SIZES[target.name] = size
    shown = html.unescape(body)  # "Each member&#39;s part" is "Each member's part"
    missing = [text for text in target.expect if text not in shown]
    if missing:
        raise BenchmarkError(f"{target.urls[-1]} does not show {missing}")
    return sum(parts), parts


def reload(ledger: Any, parsed: tuple[list[Any], list[Any], dict[str, Any]]) -> float:
    """Load the books again, as Fava does when a file changes, but with Beancount's
    loader replaced by the entries of the first load (in a new list): every module of
    Fava and the co-op pages start over from the loaded entries, as after a change to a
    file, without the minutes of parsing, booking and the plugin. The seconds it took
    (load_file only)."""
    entries, errors, options = parsed
    gc.collect()
    original = fava_core.load_uncached
    fava_core.load_uncached = lambda *args, **kwargs: (list(entries), list(errors), options)
    try:
        started = clock()
        ledger.load_file()
        seconds = clock() - started
    finally:
        fava_core.load_uncached = original
    # The load's own garbage collection debt (seconds of full collections on these books),
    # paid here rather than by whichever request comes next.
    gc.collect()
    return seconds


def time_warm(client: Any, found: list[Target], repeat: int) -> dict[str, list[list[float]]]:
    progress("warm: one untimed request of each page")
    for target in found:
        request(client, target)
    runs: dict[str, list[list[float]]] = {t.name: [] for t in found}
    for round_ in range(repeat):
        order = found[round_ % len(found):] + found[:round_ % len(found)]
        for target in order:
            total, parts = request(client, target)
            runs[target.name].append([total, *parts])
        progress(f"warm round {round_ + 1}/{repeat}: " + ", ".join(
            f"{t.name} {runs[t.name][-1][0] * 1000:.0f} ms" for t in found))
    return runs


def time_cold(client: Any, ledger: Any, parsed: Any, found: list[Target], repeat: int,
              ) -> tuple[dict[str, list[list[float]]], list[float], list[float]]:
    """Each page's first request after a load; and, after the Income Statement's, building
    the co-op's view of the books alone (what the co-op pages do once per load, in Fava's
    load_file: `CoopBooks.from_entries`, then every split cost and each usage unit's
    records)."""
    runs: dict[str, list[list[float]]] = {t.name: [] for t in found}
    loads, views = [], []
    for round_ in range(repeat):
        order = found[round_ % len(found):] + found[:round_ % len(found)]
        for target in order:
            loads.append(reload(ledger, parsed))
            total, parts = request(client, target)
            runs[target.name].append([total, *parts])
            progress(f"cold round {round_ + 1}/{repeat}: {target.name} "
                     f"{total * 1000:.0f} ms (after a reload of {loads[-1]:.1f} s)")
            if target.name == INCOME_STATEMENT:
                started = clock()
                base._Loaded(ledger.all_entries, ledger.options, Settings())
                views.append(clock() - started)
    return runs, loads, views


def profile(client: Any, ledger: Any, parsed: Any, found: list[Target], rows: int,
            ) -> dict[str, str]:
    """cProfile of each co-op page, warm and cold (after a reload): the top `rows`
    functions by cumulative time."""
    found_profiles = {}
    for target in found:
        if target.name == INCOME_STATEMENT:
            continue
        for kind in ("cold", "warm"):
            if kind == "cold":
                reload(ledger, parsed)
            else:
                request(client, target)
            profiler = cProfile.Profile()
            profiler.runcall(request, client, target)
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(rows)
            found_profiles[f"{target.name}, {kind}"] = out.getvalue()
    return found_profiles


def summary(runs: dict[str, list[list[float]]]) -> dict[str, dict[str, Any]]:
    result = {}
    for name, values in runs.items():
        totals = [v[0] for v in values]
        parts = list(zip(*(v[1:] for v in values), strict=True))
        result[name] = {"runs_s": totals, "median_ms": statistics.median(totals) * 1000,
                        "min_ms": min(totals) * 1000,
                        "parts_median_ms": [statistics.median(p) * 1000 for p in parts]}
    return result


def with_ratios(side: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    reference = side[INCOME_STATEMENT]["median_ms"]
    for figures in side.values():
        figures["ratio"] = figures["median_ms"] / reference if reference else float("inf")
    return side


# --------------------------------------------------------------------------------------
# Report


def report(figures: dict[str, Any]) -> str:
    books = figures["books"]
    load_average = ", ".join(f"{n:.1f}" for n in figures["load_average"])
    lines = [
        f"Books: {books['transactions']:,} transactions ({books['entries']:,} entries), "
        f"{books['members']:,} members, {books['split_transactions']:,} split transactions, "
        f"{books['patronage_records']:,} patronage records, {books['allocation_decisions']} "
        f"allocation decisions, {books['redemption_decisions']} redemptions; "
        f"{books['size_bytes'] / 1e6:.1f} MB.",
        f"Loaded in Fava in {figures['load_s']:.1f} s (create_app); before each cold request "
        f"Fava's load_file on the parsed entries: median {figures['reload_median_s']:.1f} s.",
        f"Member page: {books['busiest_member']}, the member with the most postings "
        f"({books['busiest_member_postings']:,}). Equity: ?budget={books['redemption_budget']} "
        f"(a quarter of the {Decimal(books['equity_outstanding']):,} outstanding).",
        f"{INCOME_STATEMENT} = GET /{SLUG}/income_statement/ (the page shell) + GET "
        f"/{SLUG}/api/income_statement (the JSON its frontend fetches), one after the other.",
        f"Python {figures['python']}, {figures['beancount']}, Fava "
        f"{figures['fava']}, {figures['machine']['cpus']} CPUs; median of {figures['repeat']}; "
        f"{figures['clock']} time (load average {load_average}).",
        "",
        f"{'page':<34}{'warm (ms)':>11}{'ratio':>8}{'cold (ms)':>11}{'ratio':>8}{'KB':>9}",
    ]
    warm, cold = figures["warm"], figures["cold"]
    for name in warm:
        lines.append(f"{name:<34}{warm[name]['median_ms']:>11.1f}{warm[name]['ratio']:>8.2f}"
                     f"{cold[name]['median_ms']:>11.1f}{cold[name]['ratio']:>8.2f}"
                     f"{figures['bytes'][name] / 1000:>9,.0f}")
        if name == INCOME_STATEMENT:
            for label, index in (("  page shell", 0), ("  api/income_statement", 1)):
                lines.append(f"{label:<34}{warm[name]['parts_median_ms'][index]:>11.1f}"
                             f"{'':>8}{cold[name]['parts_median_ms'][index]:>11.1f}")
    lines += ["", f"Building the co-op's view of the books (CoopBooks.from_entries, every split "
              f"cost and each usage unit's records; once per load for all the co-op pages, "
              f"part of Fava's load_file above): median "
              f"{figures['coop_books_median_ms']:.0f} ms."]
    limit = figures["max_ratio"]
    slow = figures["slower"]
    lines += ["", f"Ratio = the page's median / the {INCOME_STATEMENT}'s median; limit {limit}: "
              + ("every co-op page within." if not slow else f"ABOVE: {', '.join(slow)}.")]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Time the co-op pages in Fava against Fava's Income Statement on large "
        "generated books (warm and cold).")
    ap.add_argument("--members", type=int, default=1000, help="members (default 1000)")
    ap.add_argument("--transactions", type=int, default=100_000,
                    help="transactions in the loaded books, derived ones included "
                    "(default 100000)")
    ap.add_argument("--years", type=int, default=5, help="years the books span (default 5)")
    ap.add_argument("--as-of", default="2030-12-31",
                    help="the last day of the books (default 2030-12-31)")
    ap.add_argument("--split-share", type=float, default=bench_plugins.SPLIT_SHARE,
                    metavar="FRACTION", help="fraction of the transactions with split: "
                    f"(default {bench_plugins.SPLIT_SHARE})")
    ap.add_argument("--founders", type=float, default=bench_plugins.FOUNDERS, metavar="FRACTION",
                    help=f"members joining on the first day (default {bench_plugins.FOUNDERS})")
    ap.add_argument("--leave-rate", type=float, default=bench_plugins.LEAVE_RATE,
                    metavar="FRACTION",
                    help=f"members who leave (default {bench_plugins.LEAVE_RATE})")
    ap.add_argument("--patronage", choices=bench_plugins.PATRONAGE, default="monthly",
                    help="patronage records, decisions and redemptions (default monthly)")
    ap.add_argument("--retain-share", type=float, default=bench_plugins.RETAIN_SHARE,
                    metavar="FRACTION", help="members delivering under a per-unit retain "
                    f"(default {bench_plugins.RETAIN_SHARE})")
    ap.add_argument("--clients", type=int, default=0,
                    help="client work, as bench_plugins.py --clients (default 0: none)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="timed requests per page, warm and cold (default 3)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                    help="time requests by wall time (default) or this process's CPU time "
                    "(on a machine shared with other work)")
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="write the books into DIR and keep them (default: a temporary directory)")
    ap.add_argument("--books", type=Path, metavar="FILE",
                    help="time these books (fava-books.beancount kept by an earlier run with "
                    "--keep) instead of generating new ones")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE")
    ap.add_argument("--max-ratio", type=float, default=1.0, metavar="R",
                    help="exit 1 when a co-op page's median, warm or cold, is above R times "
                    "the Income Statement's (default 1.0)")
    ap.add_argument("--profile", type=int, default=0, metavar="ROWS",
                    help="cProfile each co-op page once warm and once cold; print the top ROWS "
                    "functions by cumulative time")
    args = ap.parse_args(argv)
    if args.members < 1 or args.transactions < 1 or args.repeat < 1 or args.years < 1:
        ap.error("--members, --transactions, --years and --repeat must be at least 1")
    return args


def run(args: argparse.Namespace, workdir: Path, command: list[str]) -> dict[str, Any]:
    if args.books is not None:  # books written by an earlier run with --keep
        path = args.books.resolve()
        if EXTENSION not in path.read_text():
            raise BenchmarkError(f"{path} does not enable the co-op pages ({EXTENSION})")
        counts = {"size_bytes": path.stat().st_size}
    else:
        path, counts = write_books(args, workdir)
    global clock
    clock = CLOCKS[args.clock]
    gc.collect()
    app, ledger, load_s = load_fava(path)
    books = {**counts, **books_figures(ledger)}
    progress(f"loaded: {books['transactions']:,} transactions, {books['members']:,} members, "
             f"in {load_s:.1f} s")
    client = app.test_client()
    found = targets(books)
    warm = time_warm(client, found, args.repeat)
    parsed = (ledger.all_entries, ledger.load_errors, ledger.options)
    cold, loads, views = time_cold(client, ledger, parsed, found, args.repeat)
    profiles = profile(client, ledger, parsed, found, args.profile) if args.profile else {}
    warm_figures, cold_figures = with_ratios(summary(warm)), with_ratios(summary(cold))
    slower = [f"{name} ({kind} {side[name]['ratio']:.2f})"
              for kind, side in (("warm", warm_figures), ("cold", cold_figures))
              for name in side if name != INCOME_STATEMENT and side[name]["ratio"] > args.max_ratio]
    return {
        "command": command, "python": platform.python_version(), "beancount": BEANCOUNT_VERSION,
        "fava": FAVA_VERSION, "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "seed": args.seed, "repeat": args.repeat, "clock": args.clock,
        "load_average": os.getloadavg(),
        "books": {**books, "path": str(path) if args.keep else None},
        "load_s": load_s, "reload_s": loads, "reload_median_s": statistics.median(loads),
        "coop_books_s": views, "coop_books_median_ms": statistics.median(views) * 1000,
        "warm": warm_figures, "cold": cold_figures, "bytes": dict(SIZES),
        "max_ratio": args.max_ratio,
        "slower": slower, "profiles": profiles,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures = run_benchmark("bench_fava", args, argv, run, report,
                            lambda figures: figures["profiles"])
    if figures is None:
        return 2
    return 1 if figures["slower"] else 0


if __name__ == "__main__":
    sys.exit(main())
