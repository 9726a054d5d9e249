"""The pre-commit hook never stops checking silently: it finds the books from the setting
`coop init` writes (`git config coop.books`, changed by `coop hook`), refuses a commit when
it cannot find them and says why; `coop diff` works across a rename of the main file."""

import json

import pytest
from click.testing import CliRunner

from coop_beancount.books.starter import init_books
from coop_beancount.cli import main
from tests.test_init import git

STRANGER = '\n2026-03-01 custom "coop-hours" "Nobody" 2 "shift"\n'


@pytest.fixture
def committed(tmp_path):
    target = tmp_path / "books"
    init_books(target)
    git(target, "add", ".")
    first = git(target, "commit", "-m", "New books")
    assert first.returncode == 0, first.stderr
    return target


def commits(repo):
    return int(git(repo, "rev-list", "--count", "HEAD").stdout)


def test_init_records_where_the_books_are(committed):
    assert git(committed, "config", "--get", "coop.books").stdout.strip() == "main.beancount"


@pytest.mark.parametrize("move", ["rename", "folder"])
def test_a_renamed_main_file_is_refused_until_coop_is_told(committed, move):
    new = "books.beancount" if move == "rename" else "ledger/main.beancount"
    if move == "folder":
        (committed / "ledger").mkdir()
        for name in [p.name for p in committed.glob("*.beancount")]:
            assert git(committed, "mv", name, f"ledger/{name}").returncode == 0
    else:
        assert git(committed, "mv", "main.beancount", new).returncode == 0
    refused = git(committed, "commit", "-m", "Move the books")
    assert refused.returncode != 0
    assert "the books' main file main.beancount is not in this commit" in refused.stderr
    assert "git config coop.books NEW/PATH.beancount" in refused.stderr
    assert commits(committed) == 1

    told = CliRunner().invoke(main, ["hook", str(committed / new)])
    assert told.exit_code == 0, told.output
    assert git(committed, "config", "--get", "coop.books").stdout.strip() == new
    # Broken books under the new name are refused: the hook checks them again.
    members = committed / new.replace("main.beancount", "members.beancount").replace(
        "books.beancount", "members.beancount")
    good = members.read_text()
    members.write_text(good + STRANGER)
    git(committed, "add", "-A")
    broken = git(committed, "commit", "-m", "Move the books, and a stranger")
    assert broken.returncode != 0
    assert "hours recorded for unknown member 'Nobody'" in broken.stderr
    members.write_text(good)
    git(committed, "add", "-A")
    accepted = git(committed, "commit", "-m", "Move the books")
    assert accepted.returncode == 0, accepted.stderr


def test_no_setting_is_a_refusal_that_says_what_to_do(committed):
    git(committed, "config", "--unset", "coop.books")
    (committed / "notes.txt").write_text("minutes\n")
    git(committed, "add", "notes.txt")
    refused = git(committed, "commit", "-m", "Minutes")
    assert refused.returncode != 0
    assert "does not say where its books are" in refused.stderr
    assert "git config coop.books main.beancount" in refused.stderr
    assert commits(committed) == 1


def test_coop_hook_leaves_a_hook_that_is_not_coops(committed):
    hook = committed / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 0\n")
    result = CliRunner().invoke(main, ["hook", str(committed / "main.beancount")])
    assert result.exit_code == 1
    assert "is a pre-commit hook that is not coop's" in result.output
    assert hook.read_text() == "#!/bin/sh\nexit 0\n"


def test_coop_diff_across_a_rename_of_the_main_file(committed):
    git(committed, "mv", "main.beancount", "books.beancount")
    members = committed / "members.beancount"
    members.write_text(members.read_text()
                       + '\n2026-03-01 custom "coop-member" "Dora" "Dora Diaz"\n')
    result = CliRunner().invoke(main, ["diff", str(committed / "books.beancount")])
    assert result.exit_code == 0, result.output
    assert "books.beancount was main.beancount at HEAD." in result.stderr
    assert "New members: Dora." in result.stdout
    git(committed, "add", "-A")
    CliRunner().invoke(main, ["hook", str(committed / "books.beancount")])
    assert git(committed, "commit", "-m", "Rename, Dora").returncode == 0
    last = CliRunner().invoke(main, ["diff", str(committed / "books.beancount"),
                                     "--from", "HEAD~1", "--to", "HEAD", "--format", "json"])
    assert last.exit_code == 0, last.output
    assert {row["member"] for row in json.loads(last.stdout)} >= {"Dora"}
