"""Do the `coop` commands and `coop serve` load the books faster than Beancount and Fava
alone? And what does the plugin cost books with no co-op directives? A benchmark, not a
test (issue 21).

Three parts (`--parts`, all by default), each timed side by side in one run, alternately,
the order rotated every round, after one untimed warm-up of each:

* `commands`: on large generated co-op books (benchmarks/bench_plugins.py's generator:
  members, shares, dues, hours, shared expenses, patronage records, a decision per fiscal
  year, a redemption per year), `bean-check BOOKS` against `coop members`, `coop
  patronage --year Y`, `coop equity` and `coop balances`, each a subprocess with its
  output to /dev/null: wall time, CPU time (user + system) and peak memory (max RSS).
  With `--plain`, each coop command also runs with `COOP_PLAIN_LOAD=1` (the collector
  left as Python runs it) for comparison.
* `serve`: plain `fava` and `coop serve` each serving its own copy of the same books
  (with the co-op pages' `fava-extension` line); each round a line opening a new account
  is appended to one server's copy and that account's page is requested: the first page
  after a file change, which is the reload plus a small page. The first request of each
  round is retried until it shows the new account (Fava's file watcher may take a moment
  to notice), and only the request that shows it is timed; the server's own CPU time from
  the change to that answer (from /proc) is reported beside the wall time. No new round
  starts after `--serve-deadline` seconds of rounds once one is timed (the first loads and
  that round are never cut short), so the part ends in bounded time at 100,000 transactions
  too. After the first load and each timed page, each server's Errors must be empty (a
  plugin that raises leaves a quicker load without its entries: no timing of the books).
* `scale` (not in the default): for each size in `--scale` (transactions), books
  generated as above with a member per 150 transactions, then `bean-check` and `coop
  members` once each: entries, wall and CPU seconds, peak memory (docs/scale.md).
* `plain`: ledgers made by `bean-example` (a small one, its default two years or so,
  and a large one from `--example-begin`) checked by `bean-check` as written and with
  the line `plugin "coop_beancount.plugins.coop"` added: what the plugin costs where
  it has nothing to do. The small ledger's check takes a fraction of a second, which the
  machine's load moves by more than the plugin costs, so it runs eight times as many
  rounds, and each round's ratio (the two checks ran one after the other) is reported
  with its median, quartiles and extremes beside the ratio of the medians. The plugin
  function alone is also timed in this process, and importing it in a fresh interpreter.

    .venv/bin/python benchmarks/bench_load.py --members 1000 --transactions 100000 \\
        --repeat 3 --seed 1

Ratios are medians of the coop side over medians of the baseline. The machine's load
average is printed at the start and the end of each part: on a shared machine, read the
CPU-time ratios beside the wall-time ones. Exit codes: 0; 2 when the books cannot be
generated or do not check clean, or a command or page fails. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"  # no pickle files beside the books

import bench_plugins  # benchmarks/bench_plugins.py, beside this script: its generator
from beancount.parser.version import VERSION as BEANCOUNT_VERSION
from common import BenchmarkError, progress, run_benchmark  # benchmarks/common.py

PLUGIN_LINE = 'plugin "coop_beancount.plugins.coop"'
EXTENSION = 'custom "fava-extension" "coop_beancount.fava_pages"'
SLUG = "benchmark-co-op"  # Fava's slug of the generated books' title, "Benchmark co-op"
PARTS = ("commands", "serve", "plain", "scale")
BIN = Path(sys.executable).parent


def child_env(workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of every command timed: compiled modules cached (in the workspace,
    not beside the sources), as a user's installation has them; without the cache the coop
    side would compile its modules on every run while Beancount's are compiled at install."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(workdir / "pycache"), **extra}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --------------------------------------------------------------------------------------
# Running a command: wall, CPU, peak memory


def run_once(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise BenchmarkError(f"{' '.join(argv)} exited {proc.returncode}:\n"
                             + err.decode(errors="replace")[-2000:])
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "max_rss_mb": usage.ru_maxrss / 1024}


def side_by_side(commands: dict[str, tuple[list[str], dict[str, str]]], repeat: int,
                 warmup: int) -> dict[str, list[dict[str, float]]]:
    """Every command `repeat` times, alternately, the order rotated each round."""
    names = list(commands)
    for _ in range(warmup):
        for name in names:
            progress(f"warm-up: {name}")
            run_once(*commands[name])
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for round_ in range(repeat):
        order = names[round_ % len(names):] + names[:round_ % len(names)]
        for name in order:
            runs[name].append(run_once(*commands[name]))
            progress(f"round {round_ + 1}: {name} {runs[name][-1]['wall_s']:.2f} s wall, "
                     f"{runs[name][-1]['cpu_s']:.2f} s CPU")
    return runs


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def spread(values: list[float]) -> dict[str, float]:
    """Median, quartiles and extremes."""
    if len(values) < 2:
        return {"median": values[0], "q1": values[0], "q3": values[0],
                "min": values[0], "max": values[0]}
    q1, _, q3 = statistics.quantiles(values, n=4)
    return {"median": statistics.median(values), "q1": q1, "q3": q3,
            "min": min(values), "max": max(values)}


def ratios(runs: dict[str, list[dict[str, float]]], baseline: str) -> dict[str, Any]:
    """Each side's medians over the baseline's; and each round's CPU time over the
    baseline's in the same round (`paired_cpu`): the two ran one after the other, so a
    change in the machine's load between rounds touches both, and the median of the
    rounds' ratios (with its quartiles) is steadier than the ratio of the medians."""
    base = medians(runs[baseline])
    result = {}
    for name, side in runs.items():
        m = medians(side)
        paired = [run["cpu_s"] / other["cpu_s"]
                  for run, other in zip(side, runs[baseline], strict=True)]
        result[name] = {**m, "runs": side,
                        "wall_ratio": m["wall_s"] / base["wall_s"],
                        "cpu_ratio": m["cpu_s"] / base["cpu_s"],
                        "rss_ratio": m["max_rss_mb"] / base["max_rss_mb"],
                        "paired_cpu": spread(paired)}
    return result


# --------------------------------------------------------------------------------------
# The co-op books


def write_books(args: argparse.Namespace, workdir: Path) -> Path:
    if args.books is not None:
        return args.books.resolve()
    book = bench_plugins.generate(args)
    path = workdir / "books.beancount"
    progress(f"writing {path}")
    path.write_text(book.text() + f"\n{book.start} {EXTENSION}\n")
    return path


def decided_year(path: Path) -> int:
    """A fiscal year the books hold a decision for (the latest)."""
    years = [int(line.split()[3]) for line in path.read_text().splitlines()
             if '"coop-allocation"' in line and line[:4].isdigit()]
    if not years:
        raise BenchmarkError(f"{path} holds no coop-allocation (generate with --patronage)")
    return max(years)


def time_commands(args: argparse.Namespace, books: Path, workdir: Path) -> dict[str, Any]:
    env = child_env(workdir)
    plain_env = child_env(workdir, COOP_PLAIN_LOAD="1")
    coop = str(BIN / "coop")
    year = str(decided_year(books))
    commands = {"bean-check": ([str(BIN / "bean-check"), str(books)], env)}
    for name, extra in (("members", []), ("patronage", ["--year", year]), ("equity", []),
                        ("balances", [])):
        commands[f"coop {name}"] = ([coop, name, str(books), *extra], env)
        if args.plain:
            commands[f"coop {name} (plain load)"] = ([coop, name, str(books), *extra],
                                                     plain_env)
    before = load_average()
    runs = side_by_side(commands, args.repeat, args.warmup)
    return {"load_average": [before, load_average()], "patronage_year": year,
            "sides": ratios(runs, "bean-check")}


# --------------------------------------------------------------------------------------
# Serving: the first page after a file change


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, timeout: float = 1800) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def process_cpu(pid: int) -> float:
    """A running process's CPU time so far (user + system, all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, name: str, argv: list[str], books: Path, port: int,
                 env: dict[str, str]) -> None:
        self.name, self.books, self.port = name, books, port
        self.log = books.with_suffix(".log").open("w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.changes = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{SLUG}/{path}"

    def wait_ready(self) -> float:
        started = time.perf_counter()
        while True:
            if self.proc.poll() is not None:
                raise BenchmarkError(f"{self.name} stopped: see {self.log.name}")
            try:
                status, _ = get(self.url("income_statement/"))
                if status == 200:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(1)

    def check_clean(self) -> None:
        """Stop if the served books do not load clean: a load that fails part-way (a plugin
        that raises is reported by the loader, which goes on without its entries) is no
        timing of the load."""
        status, body = get(self.url("api/errors"))
        errors = json.loads(body).get("data") if status == 200 else None
        if errors != []:
            first = errors[0].get("message", "")[:2000] if errors else body[:2000]
            raise BenchmarkError(f"{self.name} shows errors in the served books (status "
                                 f"{status}): {first}")

    def first_page_after_change(self) -> tuple[float, float]:
        """Wall seconds of the first request that shows the change, and the CPU seconds the
        server spent from the change to that answer (the reload and the page)."""
        self.changes += 1
        cpu = process_cpu(self.proc.pid)
        account = f"Assets:Bench:Reload{self.changes}"
        with self.books.open("a") as books:
            books.write(f"\n2020-01-01 open {account}\n")
        time.sleep(2.5)  # Fava's watcher (watchfiles) notices a change within about 2 s
        for _ in range(60):
            started = time.perf_counter()
            status, body = get(self.url(f"account/{account}/"))
            seconds = time.perf_counter() - started
            if status == 200 and account in body:
                used = process_cpu(self.proc.pid) - cpu
                self.check_clean()
                return seconds, used
            time.sleep(0.5)
        raise BenchmarkError(f"{self.name} never showed {account} (status {status})")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def time_serve(args: argparse.Namespace, books: Path, workdir: Path) -> dict[str, Any]:
    copies = {}
    for name in ("fava", "coop serve"):
        folder = workdir / name.replace(" ", "-")
        folder.mkdir(exist_ok=True)
        copies[name] = folder / "books.beancount"
        shutil.copyfile(books, copies[name])
    before = load_average()
    ports = {name: free_port() for name in copies}
    servers = {
        "fava": Server("fava", [str(BIN / "fava"), str(copies["fava"]), "-p",
                                str(ports["fava"])], copies["fava"], ports["fava"],
                       child_env(workdir)),
        "coop serve": Server("coop serve", [str(BIN / "coop"), "serve", str(copies["coop serve"]),
                                            "-p", str(ports["coop serve"])],
                             copies["coop serve"], ports["coop serve"], child_env(workdir)),
    }
    try:
        # One server loads at a time, so the first loads do not share the cores either.
        first = {}
        for name, server in servers.items():
            progress(f"{name}: first load")
            first[name] = server.wait_ready()
            server.check_clean()
        runs: dict[str, list[float]] = {name: [] for name in servers}
        cpu: dict[str, list[float]] = {name: [] for name in servers}
        names = list(servers)
        started = time.perf_counter()
        for round_ in range(args.warmup + args.repeat):
            if runs["fava"] and time.perf_counter() - started > args.serve_deadline:
                # Bounded: on a loaded machine one reload of large books can take minutes.
                progress(f"serve: --serve-deadline {args.serve_deadline:.0f} s reached after "
                         f"{len(runs['fava'])} timed round(s)")
                break
            order = names if round_ % 2 == 0 else names[::-1]
            for name in order:
                seconds, used = servers[name].first_page_after_change()
                label = ("warm-up" if round_ < args.warmup
                         else f"round {round_ - args.warmup + 1}")
                progress(f"{label}: {name} first page after a change {seconds:.2f} s, "
                         f"{used:.2f} s CPU")
                if round_ >= args.warmup:
                    runs[name].append(seconds)
                    cpu[name].append(used)
    finally:
        for server in servers.values():
            server.stop()
    fava = statistics.median(runs["fava"])
    coop = statistics.median(runs["coop serve"])
    return {"load_average": [before, load_average()], "first_load_s": first, "runs": runs,
            "rounds": len(runs["fava"]),
            "fava_median_s": fava, "coop_median_s": coop, "ratio": coop / fava, "cpu": cpu,
            "cpu_ratio": statistics.median(cpu["coop serve"]) / statistics.median(cpu["fava"])}


# --------------------------------------------------------------------------------------
# Books with no co-op directives


def example_ledgers(args: argparse.Namespace, workdir: Path) -> dict[str, tuple[Path, Path]]:
    made = {}
    end = datetime.date.fromisoformat(args.example_end)
    for size, begin in (("small", None), ("large", args.example_begin)):
        path = workdir / f"example-{size}.beancount"
        with_plugin = path.with_name(f"example-{size}-coop.beancount")
        if with_plugin.exists():  # made by an earlier run with the same --keep
            made[size] = (path, with_plugin)
            continue
        argv = [str(BIN / "bean-example"), "--seed", str(args.seed), "--date-end", str(end),
                "-o", str(path)]
        if begin is not None:
            argv += ["--date-begin", begin, "--date-birth", "1950-01-01"]
        else:
            argv += ["--date-begin", str(end.replace(year=end.year - 2))]
        progress(f"bean-example: {size}")
        subprocess.run(argv, check=True, capture_output=True)
        with_plugin.write_text(f"{PLUGIN_LINE}\n{path.read_text()}")
        made[size] = (path, with_plugin)
    return made


def plugin_alone(path: Path, repeat: int) -> dict[str, Any]:
    """The plugin function on what the loader hands it, and the whole load, in-process."""
    from beancount import loader
    from coop_beancount.plugins.coop import coop

    started = time.perf_counter()
    entries, errors, options = loader.load_file(str(path))
    load_s = time.perf_counter() - started
    if errors:
        raise BenchmarkError(f"{path} does not check clean: {errors[0].message}")
    calls = []
    for _ in range(repeat):
        started = time.perf_counter()
        out, problems = coop(entries, options)
        calls.append(time.perf_counter() - started)
        if problems or len(out) != len(entries):
            raise BenchmarkError(f"the plugin changed {path}: {problems[:3]}")
    return {"entries": len(entries), "load_s": load_s, "plugin_ms": [c * 1000 for c in calls],
            "plugin_median_ms": statistics.median(calls) * 1000}


def time_plain(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    ledgers = example_ledgers(args, workdir)
    env = child_env(workdir)
    result: dict[str, Any] = {"load_average": [load_average()]}
    for size, (plain_path, coop_path) in ledgers.items():
        commands = {"bean-check": ([str(BIN / "bean-check"), str(plain_path)], env),
                    "bean-check with the plugin": ([str(BIN / "bean-check"), str(coop_path)],
                                                   env)}
        # A check of the small ledger is a fraction of a second, which the machine's load
        # moves by more than the plugin's cost: many more rounds.
        repeat = args.example_repeat * (8 if size == "small" else 1)
        runs = side_by_side(commands, repeat, args.warmup)
        result[size] = {"sides": ratios(runs, "bean-check"),
                        "in_process": plugin_alone(plain_path, 5)}
    # Importing the plugin's modules, in a fresh interpreter that has loaded Beancount.
    code = ("import time, beancount.loader, beancount.core.data; t = time.process_time(); "
            "import coop_beancount.plugins.coop; print(time.process_time() - t)")
    imports = [float(subprocess.run([sys.executable, "-c", code], check=True, env=env,
                                    capture_output=True, text=True).stdout) * 1000
               for _ in range(15)]
    result["import_ms"] = statistics.median(imports)
    result["import_ms_spread"] = spread(imports)
    result["load_average"].append(load_average())
    return result


# --------------------------------------------------------------------------------------
# The curve


def time_scale(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    rows = []
    for size in args.scale:
        sized = argparse.Namespace(**{**vars(args), "transactions": size,
                                      "members": max(20, size // 150), "books": None})
        progress(f"scale: {size:,} transactions")
        book = bench_plugins.generate(sized)
        path = workdir / f"scale-{size}.beancount"
        path.write_text(book.text())
        entries = (sum(book.written.values()) + sum(book.derived.values())
                   + sum(book.directives.values()))
        before = load_average()
        runs = side_by_side({
            "bean-check": ([str(BIN / "bean-check"), str(path)], child_env(workdir)),
            "coop members": ([str(BIN / "coop"), "members", str(path)], child_env(workdir)),
        }, 1, 0)
        rows.append({"transactions": size, "members": sized.members, "entries": entries,
                     "megabytes": path.stat().st_size / 1e6,
                     "load_average": [before, load_average()], "runs": runs})
        path.unlink()
    return rows


# --------------------------------------------------------------------------------------


def report(figures: dict[str, Any]) -> str:
    lines = [f"Python {figures['python']}, {figures['beancount']}, "
             f"{figures['machine']['cpus']} CPUs; median of {figures['repeat']} runs."]
    if "commands" in figures:
        part = figures["commands"]
        lines += ["", f"Commands on {figures['books']} (load average before/after "
                  f"{part['load_average']}):", "",
                  f"{'':<30}{'wall (s)':>10}{'ratio':>8}{'CPU (s)':>10}{'ratio':>8}"
                  f"{'max RSS (MB)':>14}{'ratio':>8}"]
        for name, side in part["sides"].items():
            lines.append(f"{name:<30}{side['wall_s']:>10.2f}{side['wall_ratio']:>8.2f}"
                         f"{side['cpu_s']:>10.2f}{side['cpu_ratio']:>8.2f}"
                         f"{side['max_rss_mb']:>14.0f}{side['rss_ratio']:>8.2f}")
    if "serve" in figures:
        part = figures["serve"]
        lines += ["", f"First page after a file change (load average before/after "
                  f"{part['load_average']}): fava {part['fava_median_s']:.2f} s, coop serve "
                  f"{part['coop_median_s']:.2f} s, ratio {part['ratio']:.2f}; CPU ratio "
                  f"{part['cpu_ratio']:.2f} "
                  f"(single runs: {part['runs']}; first loads {part['first_load_s']})"]
    if "plain" in figures:
        part = figures["plain"]
        lines += ["", f"Books without co-op directives (load average {part['load_average']}); "
                  f"importing the plugin's modules: {part['import_ms']:.1f} ms (median of 15, "
                  f"{part['import_ms_spread']['min']:.1f} to "
                  f"{part['import_ms_spread']['max']:.1f}):"]
        for size in ("small", "large"):
            sides, alone = part[size]["sides"], part[size]["in_process"]
            base, coop = sides["bean-check"], sides["bean-check with the plugin"]
            paired = coop["paired_cpu"]
            lines.append(
                f"  {size}: {alone['entries']:,} entries, {len(coop['runs'])} runs a side; "
                f"bean-check {base['wall_s']:.3f} s wall, {base['cpu_s']:.3f} s CPU, with the "
                f"plugin {coop['wall_s']:.3f} s, {coop['cpu_s']:.3f} s: wall ratio "
                f"{coop['wall_ratio']:.3f}, CPU ratio {coop['cpu_ratio']:.3f}; CPU ratio of "
                f"the rounds {paired['median']:.3f} (quartiles {paired['q1']:.3f} to "
                f"{paired['q3']:.3f}, {paired['min']:.3f} to {paired['max']:.3f}); the plugin "
                f"function alone {alone['plugin_median_ms']:.1f} ms of a "
                f"{alone['load_s']:.2f} s load "
                f"({alone['plugin_median_ms'] / 10 / alone['load_s']:.2f}%)")
    if "scale" in figures:
        lines += ["", "Scale (one run each):",
                  f"{'transactions':>13}{'entries':>11}{'MB':>7}{'bean-check s':>14}"
                  f"{'CPU s':>8}{'RSS MB':>8}{'coop members s':>16}{'CPU s':>8}{'RSS MB':>8}"
                  "  load average"]
        for row in figures["scale"]:
            check, members = row["runs"]["bean-check"][0], row["runs"]["coop members"][0]
            lines.append(f"{row['transactions']:>13,}{row['entries']:>11,}"
                         f"{row['megabytes']:>7.0f}{check['wall_s']:>14.1f}"
                         f"{check['cpu_s']:>8.1f}{check['max_rss_mb']:>8.0f}"
                         f"{members['wall_s']:>16.1f}{members['cpu_s']:>8.1f}"
                         f"{members['max_rss_mb']:>8.0f}  {row['load_average']}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Time the coop commands and coop serve against "
                                 "bean-check and fava, and the plugin on books without co-op "
                                 "directives.")
    ap.add_argument("--parts", default="commands,serve,plain",
                    help=f"comma-separated, of {', '.join(PARTS)} (default all but scale)")
    ap.add_argument("--scale", default="10000,30000,100000,300000",
                    help="transactions of each size the scale part generates (comma-separated)")
    ap.add_argument("--members", type=int, default=1000, help="members (default 1000)")
    ap.add_argument("--transactions", type=int, default=100_000,
                    help="transactions in the loaded books (default 100000)")
    ap.add_argument("--years", type=int, default=5, help="years the books span (default 5)")
    ap.add_argument("--as-of", default="2030-12-31", help="the books' last day")
    ap.add_argument("--split-share", type=float, default=bench_plugins.SPLIT_SHARE)
    ap.add_argument("--founders", type=float, default=bench_plugins.FOUNDERS)
    ap.add_argument("--leave-rate", type=float, default=bench_plugins.LEAVE_RATE)
    ap.add_argument("--patronage", choices=bench_plugins.PATRONAGE, default="monthly")
    ap.add_argument("--retain-share", type=float, default=bench_plugins.RETAIN_SHARE)
    ap.add_argument("--clients", type=int, default=0,
                    help="client work, as bench_plugins.py --clients (default 0: none)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--books", type=Path, metavar="FILE",
                    help="time these co-op books (books.beancount kept by an earlier run, with "
                    "the fava-extension line) instead of generating new ones")
    ap.add_argument("--plain", action="store_true",
                    help="also run each coop command with COOP_PLAIN_LOAD=1")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each (default 3)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs of each (default 1)")
    ap.add_argument("--serve-deadline", type=float, default=1800, metavar="SECONDS",
                    help="serve part: start no new round after this many seconds of rounds, "
                    "once one is timed (default 1800)")
    ap.add_argument("--example-begin", default="1985-01-01",
                    help="first day of the large bean-example ledger (default 1985-01-01)")
    ap.add_argument("--example-end", default="2025-12-31",
                    help="last day of both bean-example ledgers (default 2025-12-31)")
    ap.add_argument("--example-repeat", type=int, default=5,
                    help="bean-check runs per side on the large example (eight times as many on "
                    "the small one; default 5)")
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="write the books into DIR and keep them (default: a temporary directory)")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE")
    args = ap.parse_args(argv)
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    args.scale = [int(n) for n in args.scale.split(",") if n.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown parts: {', '.join(sorted(unknown))}")
    if args.repeat < 1 or args.warmup < 0:
        ap.error("--repeat must be at least 1, --warmup at least 0")
    return args


def compile_sources(workdir: Path) -> None:
    """The project's modules compiled into the workspace's cache before anything is timed."""
    import coop_beancount.plugins

    import coop_beancount

    folders = [str(Path(coop_beancount.__file__).parent),
               str(Path(coop_beancount.plugins.__file__).parent)]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], check=True,
                   env=child_env(workdir), stdout=subprocess.DEVNULL)


def run(args: argparse.Namespace, workdir: Path, command: list[str]) -> dict[str, Any]:
    compile_sources(workdir)
    figures: dict[str, Any] = {
        "command": command, "python": platform.python_version(), "beancount": BEANCOUNT_VERSION,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "repeat": args.repeat, "books": None}
    if "commands" in args.parts or "serve" in args.parts:
        books = write_books(args, workdir)
        figures["books"] = f"{books.name} ({books.stat().st_size / 1e6:.1f} MB)"
        if "commands" in args.parts:
            figures["commands"] = time_commands(args, books, workdir)
        if "serve" in args.parts:
            figures["serve"] = time_serve(args, books, workdir)
    if "plain" in args.parts:
        figures["plain"] = time_plain(args, workdir)
    if "scale" in args.parts:
        figures["scale"] = time_scale(args, workdir)
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures = run_benchmark("bench_load", args, argv, run, report, lambda figures: {})
    return 2 if figures is None else 0


if __name__ == "__main__":
    sys.exit(main())
