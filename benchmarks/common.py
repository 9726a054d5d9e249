"""What the benchmark scripts share: progress lines, their error, timing bean-check, and
what their `main` does around the run."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any, NamedTuple

_STARTED = time.perf_counter()
_TIMING = re.compile(r"Operation: '([^']+)'\s+Time:\s+(\d+) ms")


class BenchmarkError(Exception):
    """The benchmark cannot go on (bad arguments, books that do not check, wrong results)."""


def progress(message: str) -> None:
    print(f"[{time.perf_counter() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


class CheckRun(NamedTuple):
    """One `bean-check -v` run."""

    wall_s: float
    #: The child's CPU time, user + system: what a loaded machine does not inflate much.
    cpu_s: float
    #: The 1-minute load average when the run started (the machine's business, for reading
    #: the wall time).
    load: float
    #: The loader's own phase timings (ms).
    phases_ms: dict[str, int]


def timed_check(bean_check: Path, path: Path, env: dict[str, str]) -> CheckRun:
    """One `bean-check -v` run: wall and CPU seconds, the load average, the loader's phases."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([str(bean_check), "-v", str(path)], env=env, capture_output=True,
                          text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        messages = [line for line in proc.stderr.splitlines() if not line.startswith("INFO")]
        raise BenchmarkError(f"bean-check {path} exited {proc.returncode}:\n"
                             + "\n".join(messages[:20]))
    return CheckRun(wall, cpu, load,
                    {name: int(ms) for name, ms in _TIMING.findall(proc.stderr)})


def run_check(bean_check: Path, path: Path, env: dict[str, str]) -> tuple[float, dict[str, int]]:
    """One `bean-check -v` run: wall seconds and the loader's own phase timings (ms)."""
    run = timed_check(bean_check, path, env)
    return run.wall_s, run.phases_ms


def run_benchmark(name: str, args: Any, argv: list[str] | None,
                  run: Callable[[Any, Path, list[str]], dict[str, Any]],
                  report: Callable[[dict[str, Any]], str],
                  profiles: Callable[[dict[str, Any]], dict[str, str]],
                  ) -> dict[str, Any] | None:
    """What every benchmark's `main` does around its `run`: a workspace (`--keep DIR`, else
    a temporary folder removed after), the report and any cProfile texts on stdout, the
    figures to `--json`. None (after saying why on stderr) when the run cannot go on."""
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
    workspace = (nullcontext(str(args.keep)) if args.keep is not None
                 else tempfile.TemporaryDirectory(prefix=f"coop-{name.replace('_', '-')}-"))
    try:
        with workspace as workdir:
            figures = run(args, Path(workdir), sys.argv[1:] if argv is None else argv)
    except BenchmarkError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return None
    print(report(figures))
    for title, text in profiles(figures).items():
        if text:
            print(f"\ncProfile of {title}:\n{text}")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
        progress(f"figures written to {args.json}")
    return figures
