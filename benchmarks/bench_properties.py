"""The property tests of generated co-op books, at scale. A benchmark run, not a test.

tests/test_property_books.py generates whole co-op books (members joining and leaving,
shares, dues, shared costs split every way, patronage, board decisions, redemptions),
loads them through the coop plugin and checks that money is conserved. The default test
run makes 100 examples of small books (up to 8 members). This script runs the same test
under the "coop-large" hypothesis profile (tests/conftest.py): more examples (400 by
default) of bigger books (up to 22 members, 60 shared costs, 30 other charges), and
reports how many examples ran, how big their books were and how long it took.

    .venv/bin/python benchmarks/bench_properties.py [--examples 400] [--seed 1] [--json FILE]

Exit codes: 0 when every example passes; 1 when hypothesis finds a failing example (it
is printed, shrunk, with the ledger text); 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# Cache off for this process's own loads too: no pickle files anywhere.
os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from beancount.parser.version import VERSION as BEANCOUNT_VERSION  # noqa: E402
from common import progress  # noqa: E402  (benchmarks/common.py, beside this script)
from hypothesis import seed as hypothesis_seed  # noqa: E402
from hypothesis import settings  # noqa: E402

import tests.conftest  # noqa: E402, F401  (registers the profiles; no files left behind)

PROFILE = "coop-large"
FIGURES = ("members", "leavers", "lines", "entries", "transactions", "splits", "pools",
           "redemptions")


def run(args: argparse.Namespace) -> dict[str, Any]:
    # The test's sizes follow the profile's name; its example count, the profile's.
    large = settings.get_profile(PROFILE)
    examples = args.examples or large.max_examples
    settings.register_profile(PROFILE, parent=large, max_examples=examples)
    settings.load_profile(PROFILE)
    from tests import test_property_books as properties

    books: list[dict[str, Any]] = []
    loading = [0.0]
    check_books, load = properties.check_books, properties.load

    def counted_check(draw: Any, generated: Any) -> dict[str, Any]:
        figures = check_books(draw, generated)
        books.append(figures)
        if len(books) % 50 == 0:
            progress(f"{len(books)} examples checked")
        return figures

    def timed_load(text: str) -> Any:
        started = time.perf_counter()
        try:
            return load(text)
        finally:
            loading[0] += time.perf_counter() - started

    properties.check_books, properties.load = counted_check, timed_load
    test = properties.test_money_is_conserved_in_generated_books
    if args.seed is not None:
        test = hypothesis_seed(args.seed)(test)
    progress(f"running {test.__name__} under the {PROFILE!r} profile, {examples} examples")
    started = time.perf_counter()
    failure = None
    try:
        test()
    except Exception as exc:  # hypothesis has printed the shrunk example
        failure = f"{type(exc).__name__}: {exc}"
    wall = time.perf_counter() - started
    progress("done")
    return {
        "python": platform.python_version(), "beancount": BEANCOUNT_VERSION,
        "cpus": os.cpu_count(), "load_average": os.getloadavg(),
        "profile": PROFILE, "max_examples": examples, "seed": args.seed,
        "examples": len(books), "wall_s": wall, "loading_s": loading[0],
        "books": {name: [b[name] for b in books] for name in FIGURES},
        "failure": failure,
    }


def report(figures: dict[str, Any]) -> str:
    count = figures["examples"]
    lines = [
        f"Python {figures['python']}, {figures['beancount']}, "
        f"{figures['cpus']} CPUs, load average {figures['load_average'][0]:.2f}.",
        f"Profile {figures['profile']!r}: {count} examples checked (max_examples "
        f"{figures['max_examples']}), {figures['wall_s']:.1f} s, "
        f"{figures['wall_s'] / max(count, 1) * 1000:.0f} ms per example; loading the books "
        f"(parse, plugin, validation; two loads an example) {figures['loading_s']:.1f} s.",
        "",
        f"{'per book':<14}{'min':>8}{'median':>8}{'max':>8}{'total':>10}",
    ]
    for name, values in figures["books"].items():
        if values:
            lines.append(f"{name:<14}{min(values):>8}{statistics.median(values):>8g}"
                         f"{max(values):>8}{sum(values):>10,}")
    with_ = {name: sum(1 for v in values if v) for name, values in figures["books"].items()}
    lines += ["", f"Books with leavers {with_['leavers']}, with splits {with_['splits']}, "
                  f"with allocations {with_['pools']}, with redemptions {with_['redemptions']}."]
    lines.append("" if figures["failure"] is None else f"\nFAILED: {figures['failure']}")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run the generated-books property tests under "
                                 f"the {PROFILE!r} hypothesis profile and report.")
    ap.add_argument("--examples", type=int, default=0,
                    help="examples to run (default: the profile's max_examples, 400)")
    ap.add_argument("--seed", type=int, help="hypothesis seed (default: random)")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE")
    args = ap.parse_args(argv)
    if args.examples < 0:
        ap.error("--examples must be at least 1")
    figures = run(args)
    print(report(figures), end="")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        progress(f"figures written to {args.json}")
    return 1 if figures["failure"] else 0


if __name__ == "__main__":
    sys.exit(main())
