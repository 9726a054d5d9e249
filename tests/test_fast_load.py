"""The `coop` command loads the books with the garbage collector kept out
(books/collector.py): the same errors and the same report bytes as a plain load."""

import gc
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from coop_beancount.books.collector import PLAIN
from coop_beancount.books.loading import load_books
from coop_beancount.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

BAD_BOOKS = textwrap.dedent("""\
    plugin "coop_beancount.plugins.coop" "{'as_of': '2025-06-30'}"

    2025-01-01 open Assets:Bank USD
    2025-01-01 open Income:Patronage:Sales USD
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-01 custom "coop-member" "Alice" "Alice Smith"
    2025-01-01 custom "coop-subscription" "Alice" "Member" 1
    2025-01-01 custom "coop-measure" "sales" Income:Patronage:Sales

    2025-01-02 * "Bob is no member"
      Assets:Bank                       20.00 USD
      Equity:Members:Bob:Shares:Member -20.00 USD

    2025-02-01 * "A sale to nobody in particular"
      Assets:Bank               10.00 USD
      Income:Patronage:Sales   -10.00 USD

    2025-03-01 custom "coop-hours" "Carol" 2 "shift"

    2025-03-02 * "A sale a cent short"
      Assets:Bank               10.00 USD
      Income:Patronage:Sales    -9.99 USD
    """)


def _run(args: list[str], plain: bool) -> tuple[int, bytes]:
    result = CliRunner().invoke(main, args, env={PLAIN: "1" if plain else None})
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout_bytes + b"\0" + result.stderr_bytes


@pytest.mark.parametrize("args", [
    ["members", "growers-coop/main.beancount", "--format", "csv"],
    ["patronage", "growers-coop/main.beancount", "--year", "2024"],
    ["equity", "growers-coop/main.beancount", "--format", "json"],
    ["balances", "dev-coop/main.beancount", "--all"],
    ["check", "yogurt-coop/main.beancount"],
])
def test_reports_print_the_same_bytes(args):
    args = [args[0], str(EXAMPLES / args[1]), *args[2:]]
    fast = _run(args, plain=False)
    assert fast[0] == 0 and len(fast[1]) > 10
    assert fast == _run(args, plain=True)


def test_the_same_errors(tmp_path):
    books = tmp_path / "main.beancount"
    books.write_text(BAD_BOOKS)
    fast = _run(["check", str(books)], plain=False)
    assert fast[0] != 0
    assert b"Bob" in fast[1] and b"Carol" in fast[1] and b"does not say whose" in fast[1]
    assert b"Transaction does not balance: (0.01 USD)" in fast[1]
    assert fast == _run(["check", str(books)], plain=True)


def test_the_load_freezes_what_it_made_and_restores_the_collector(monkeypatch):
    books = EXAMPLES / "yogurt-coop" / "main.beancount"
    monkeypatch.setenv(PLAIN, "1")
    gc.unfreeze()
    load_books(books)
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
    monkeypatch.delenv(PLAIN)
    loaded = load_books(books)
    assert gc.isenabled()
    # The entries are in the permanent generation, which collections never walk.
    frozen = gc.get_freeze_count()
    assert frozen > 10 * len(loaded.entries)
    gc.disable()
    try:
        load_books(books)
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


def _program(args: list[str], plain: bool) -> tuple[int, bytes, bytes]:
    """`coop` run as a program: the console script, in its own process."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != PLAIN}
    if plain:
        env[PLAIN] = "1"
    done = subprocess.run([str(Path(sys.executable).with_name("coop")), *args],
                          capture_output=True, env=env, timeout=300)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("args, status", [
    (["members", str(EXAMPLES / "growers-coop" / "main.beancount"), "--format", "csv"], 0),
    (["members", str(EXAMPLES / "growers-coop" / "main.beancount"), "--format", "nope"], 2),
    (["statement", str(EXAMPLES / "growers-coop" / "main.beancount"), "Nobody"], 1),
])
def test_a_command_ends_without_freeing_the_books_with_the_same_output_and_status(
        args, status):
    fast = _program(args, plain=False)
    assert fast[0] == status and (fast[1] if status == 0 else fast[2])
    assert fast == _program(args, plain=True)


def test_the_books_are_held_only_while_a_command_asks(monkeypatch):
    from coop_beancount.books import collector

    monkeypatch.delenv(PLAIN, raising=False)
    books = EXAMPLES / "yogurt-coop" / "main.beancount"
    collector.keep_until_exit()
    try:
        loaded = load_books(books)
        assert any(kept is loaded for kept in collector._KEPT)
    finally:
        collector.keep_until_exit(False)
    assert not collector._KEPT
    load_books(books)
    assert not collector._KEPT  # a server's reloads are not held


def test_the_plugin_pauses_the_collector_inside_anyone_elses_load(monkeypatch):
    """Inside bean-check or Fava the plugin's pass runs with the collector off, and leaves
    it as it found it, freezing nothing (the load is not ours)."""
    from beancount import loader
    from coop_beancount.plugins import coop as plugin

    seen = []
    derive = plugin._derive

    def spy(*args):
        seen.append(gc.isenabled())
        return derive(*args)

    monkeypatch.setattr(plugin, "_derive", spy)
    gc.unfreeze()
    _, errors, _ = loader.load_string(BAD_BOOKS)
    assert seen == [False] and gc.isenabled() and gc.get_freeze_count() == 0
    assert any("Carol" in e.message for e in errors)  # the same checks ran
    monkeypatch.setenv(PLAIN, "1")
    loader.load_string(BAD_BOOKS)
    assert seen == [False, True]
