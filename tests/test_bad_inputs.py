"""The bad-input corpus: every mistake a treasurer can make is explained, and nothing is written.

Each case is a folder under tests/bad_inputs/<area>/ with the input files and a case.yaml
(the format is in tests/bad_inputs/README.md). For every case the `coop` command must:
exit non-zero; name the file and line (row, key or option) of the mistake; say what is wrong
in the expected words; print no traceback nor let an exception escape; and leave every file
of the case as it was, with no new file beside them.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from coop_beancount.cli import main

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
AREAS = ("plugin", "cli", "importers", "settings")
#: The corpus may grow, never shrink unnoticed.
MINIMUM_CASES = 60
CASE_KEYS = {"command", "message", "where", "fix", "subprocess", "exit_code", "creates"}


def _cases() -> list[Path]:
    return sorted(path.parent for path in CORPUS.glob("*/*/case.yaml"))


CASES = _cases()


def _spec(case: Path) -> dict:
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    assert isinstance(spec, dict), f"{case}/case.yaml is not a mapping"
    unknown = set(spec) - CASE_KEYS
    assert not unknown, f"{case}/case.yaml has unknown keys {sorted(unknown)}"
    for key in ("command", "message", "where"):
        assert spec.get(key), f"{case}/case.yaml needs {key}:"
    return spec


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder`, with a hash of each file's bytes."""
    found = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        found[name] = ("folder" if path.is_dir()
                       else hashlib.sha256(path.read_bytes()).hexdigest())
    return found


def _run(spec: dict, work: Path) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of the case's `coop` command, run in its folder."""
    command = [str(arg) for arg in spec["command"]]
    if spec.get("subprocess"):
        # The real exit path: a console process, its exit status and its two streams.
        env = {**os.environ, "BEANCOUNT_DISABLE_LOAD_CACHE": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        done = subprocess.run([sys.executable, "-m", "coop_beancount", *command], cwd=work,
                              env=env, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr
    result = CliRunner().invoke(main, command, catch_exceptions=True)
    # A mistake ends the command through click (an exit status), never an exception.
    assert isinstance(result.exception, SystemExit) or result.exception is None, (
        f"an exception escaped: {result.exception!r}\n{result.output}")
    return result.exit_code, result.stdout, result.stderr


def test_the_corpus_covers_every_area():
    counts = {area: sum(1 for case in CASES if case.parent.name == area) for area in AREAS}
    assert sum(counts.values()) == len(CASES), "a case is outside the known areas"
    assert len(CASES) >= MINIMUM_CASES, counts
    assert all(count >= 8 for count in counts.values()), counts
    assert any(_spec(case).get("subprocess") for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.parent.name}/{case.name}")
def test_a_bad_input_is_explained_and_changes_nothing(case, tmp_path, monkeypatch):
    spec = _spec(case)
    work = tmp_path / case.name
    shutil.copytree(case, work, ignore=shutil.ignore_patterns("case.yaml"))
    before = _snapshot(work)
    monkeypatch.chdir(work)

    status, stdout, stderr = _run(spec, work)

    output = stdout + stderr
    assert status != 0, f"exit status 0 for a bad input:\n{output}"
    if "exit_code" in spec:
        assert status == spec["exit_code"], output
    assert "Traceback" not in output, output
    # The place: `main.beancount:7` must not be found inside `main.beancount:71`.
    assert re.search(re.escape(str(spec["where"])) + r"(?![0-9])", output), (
        f"{spec['where']!r} is not named in:\n{output}")
    flat = " ".join(output.split())  # messages may wrap
    assert " ".join(str(spec["message"]).split()) in flat, output
    if "fix" in spec:
        assert " ".join(str(spec["fix"]).split()) in flat, output
    after = _snapshot(work)
    allowed = set(spec.get("creates", ()))
    new = {name for name in after if name not in before and name not in allowed}
    assert not new, f"files appeared: {sorted(new)}"
    changed = sorted(name for name in before if after.get(name) != before[name])
    assert not changed, f"files changed or went missing: {changed}"
