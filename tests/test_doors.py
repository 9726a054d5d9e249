"""The doors a Beancount user expects: BEANCOUNT_FILE, errors on stderr, beangulp
scripts, shell completion of member keys, a licence that matches the metadata."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from coop_beancount.cli import main

ROOT = Path(__file__).resolve().parent.parent
YOGURT = ROOT / "examples" / "yogurt-coop" / "main.beancount"


def coop(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.mark.parametrize("args", [("members",), ("statement", "Ana"), ("balances", "--all"),
                                  ("statement", "--format", "csv", "Ana")])
def test_books_default_to_beancount_file(args):
    named = coop(args[0], str(YOGURT), *args[1:])
    from_env = coop(*args, env={"BEANCOUNT_FILE": str(YOGURT)})
    assert named.exit_code == from_env.exit_code == 0, from_env.output
    assert from_env.stdout == named.stdout


def test_books_named_on_the_command_line_win_over_beancount_file(tmp_path):
    result = coop("members", str(YOGURT), env={"BEANCOUNT_FILE": str(tmp_path / "none")})
    assert result.exit_code == 0
    assert "Ana Souza" in result.stdout


def test_without_books_or_beancount_file_the_books_are_missing():
    result = coop("statement", "Ana", env={"BEANCOUNT_FILE": ""})
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_check_prints_errors_on_stderr_like_bean_check(tmp_path):
    books = tmp_path / "main.beancount"
    books.write_text('plugin "coop_beancount.plugins.coop"\n'
                     '2025-01-01 custom "coop-leave" "Nobody"\n')
    result = coop("check", str(books))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{books}:2:" in result.stderr


def complete(words: str, env_books: str = "") -> list[str]:
    """What bash completion offers for the last word of `words`."""
    parts = words.split(" ")
    env = {"COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1),
           "_COOP_COMPLETE": "bash_complete", "BEANCOUNT_FILE": env_books}
    result = CliRunner().invoke(main, [], env=env, prog_name="coop")
    return [line.split(",", 1)[1] for line in result.stdout.splitlines() if "," in line]


def test_member_keys_complete():
    assert complete(f"coop statement {YOGURT} ") == ["Ana", "Ben", "Chloe", "Dana", "Eli",
                                                      "Farah", "Gus", "Hana"]
    assert complete(f"coop statement {YOGURT} Ch") == ["Chloe"]
    assert complete("coop hours --member G", env_books=str(YOGURT)) == ["Gus"]


def test_commands_complete():
    assert "statement" in complete("coop sta")


def test_example_import_script_is_a_beangulp_script():
    folder = YOGURT.parent
    result = subprocess.run([sys.executable, "import.py", "extract", "imports/", "-e",
                             "main.beancount"], cwd=folder, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    # The statement is imported already, so beangulp prints its entries commented out.
    assert '; 2025-12-15 * "ANA SOUZA" "Shared costs to date"' in result.stdout
    assert "Assets:Members:Ana:Receivable  -10.76 USD" in result.stdout


def test_licence_matches_the_metadata():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert config["metadata"]["license"] == "GPL-2.0-only"
    text = (ROOT / config["metadata"]["license_files"].strip()).read_text()
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 2, June 1991" in text


def test_a_thing_declared_twice_points_at_the_first(load):
    text = """\
        2024-01-01 custom "coop-measure" "barrels"
        2024-02-01 custom "coop-measure" "barrels"
        2024-01-01 custom "coop-share-class" "Member" 20.00 USD
        2024-03-01 custom "coop-share-class" "Member" 20.00 USD
    """
    _, errors, _ = load(text)
    messages = [e.message for e in errors if "twice" in e.message]
    assert len(messages) == 2
    assert all("(first at <string>:" in message for message in messages)
