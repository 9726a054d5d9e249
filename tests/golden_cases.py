"""The reports the `coop` command prints for the example co-ops, kept byte for byte.

A change meant to move code (not behaviour) must leave every one of these outputs as it
was; tests/test_golden.py compares. A change meant to alter a report rewrites them, and
the diff of tests/golden/ shows the reviewer exactly what a treasurer will now see:

    python -m tests.golden_cases          # rewrite tests/golden/ from the current code
"""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = ("dev-coop", "growers-coop", "yogurt-coop")

#: Commands run on every example; BOOKS is the example's main file.
EVERY_EXAMPLE = (
    ("check",),
    ("members",),
    ("members", "--format", "csv"),
    ("members", "--active", "--as-of", "2025-06-30"),
    ("balances", "--all"),
    ("settle", "--date", "2026-01-01"),
    ("hours",),
    ("shared-costs",),
    ("shared-costs", "--per", "member", "--by", "yearly"),
    ("shared-costs", "--format", "csv"),
    ("equity",),
    ("equity", "--by", "member", "--format", "csv"),
    ("patronage", "--year", "2023"),
    ("patronage", "--year", "2025"),
    ("patronage", "--year", "2025", "--per", "check"),
    ("patronage", "--year", "2025", "--format", "json"),
    ("1099-patr", "--year", "2025"),
    ("1099-patr", "--year", "2026", "--format", "table"),
)
#: Commands only one example has the data for.
ONE_EXAMPLE = {
    "yogurt-coop": (("costs", "--unit", "quarts"), ("costs", "--unit", "quarts", "--per", "member"),
                    ("costs", "--unit", "quarts", "--by", "quarterly")),
    "growers-coop": (("equity", "--redeem", "5000.00", "--as-of", "2026-08-31"),
                     ("patronage", "--year", "2025", "--what-if", "--reserve", "20%",
                      "--cash", "40%")),
}


def member_keys(books: Path) -> list[str]:
    """The example's members (the first few get a statement each)."""
    result = run("members", books, "--format", "csv")
    return [row["key"] for row in csv.DictReader(io.StringIO(result.stdout))]


def cases(example: str) -> list[tuple[str, ...]]:
    books = ROOT / "examples" / example / "main.beancount"
    found = [*EVERY_EXAMPLE, *ONE_EXAMPLE.get(example, ())]
    for key in member_keys(books)[:3]:
        found.append(("statement", key))
        found.append(("statement", key, "--equity", "--format", "csv"))
    return found


def run(command: str, books: Path, *args: str):
    from coop_beancount.cli import main

    return CliRunner().invoke(main, [command, str(books), *args], catch_exceptions=False)


def name(case: tuple[str, ...]) -> str:
    return "_".join(part.strip("-").replace("%", "pct").replace(".", "_") for part in case)


def output(example: str, case: tuple[str, ...]) -> str:
    """What a treasurer sees: the exit code, then standard output, then standard error."""
    books = ROOT / "examples" / example / "main.beancount"
    result = run(case[0], books, *case[1:])
    stderr = result.stderr.replace(str(ROOT / "examples"), "EXAMPLES")
    stdout = result.stdout.replace(str(ROOT / "examples"), "EXAMPLES")
    return f"exit {result.exit_code}\n--- stdout\n{stdout}--- stderr\n{stderr}"


def main() -> None:
    os.environ.setdefault("BEANCOUNT_DISABLE_LOAD_CACHE", "1")
    for example in EXAMPLES:
        folder = GOLDEN / example
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.txt"):
            old.unlink()
        for case in cases(example):
            (folder / f"{name(case)}.txt").write_text(output(example, case))
        print(f"{example}: {len(cases(example))} outputs", file=sys.stderr)


if __name__ == "__main__":
    main()
