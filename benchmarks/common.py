"""What the benchmark scripts share: progress lines, their error, and timing bean-check."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

_STARTED = time.perf_counter()
_TIMING = re.compile(r"Operation: '([^']+)'\s+Time:\s+(\d+) ms")


class BenchmarkError(Exception):
    """The benchmark cannot go on (bad arguments, books that do not check, wrong results)."""


def progress(message: str) -> None:
    print(f"[{time.perf_counter() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def run_check(bean_check: Path, path: Path, env: dict[str, str]) -> tuple[float, dict[str, int]]:
    """One `bean-check -v` run: wall seconds and the loader's own phase timings (ms)."""
    started = time.perf_counter()
    proc = subprocess.run([str(bean_check), "-v", str(path)], env=env, capture_output=True,
                          text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        messages = [line for line in proc.stderr.splitlines() if not line.startswith("INFO")]
        raise BenchmarkError(f"bean-check {path} exited {proc.returncode}:\n"
                             + "\n".join(messages[:20]))
    return wall, {name: int(ms) for name, ms in _TIMING.findall(proc.stderr)}
