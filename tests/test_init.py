"""`coop init`: starter books that check clean, in a git repository whose
pre-commit hook refuses books that do not (tested with real git)."""

import os
import subprocess

import pytest
from click.testing import CliRunner

from coop_beancount.books.loading import load_books
from coop_beancount.books.starter import InitError, init_books
from coop_beancount.cli import main

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Treasurer", "GIT_AUTHOR_EMAIL": "treasurer@example.org",
    "GIT_COMMITTER_NAME": "Treasurer", "GIT_COMMITTER_EMAIL": "treasurer@example.org",
    "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent",
}


def git(repo, *args):
    return subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, capture_output=True, text=True,
                          check=False)


def test_init_makes_books_that_check_clean(tmp_path):
    target = tmp_path / "books"
    result = CliRunner().invoke(main, ["init", str(target)])
    assert result.exit_code == 0, result.output
    loaded = load_books(target / "main.beancount")
    assert loaded.errors == []
    names = {p.name for p in target.iterdir()}
    assert {"main.beancount", "accounts.beancount", "settings.beancount",
            "members.beancount", ".git"} <= names
    hook = target / ".git" / "hooks" / "pre-commit"
    assert os.access(hook, os.X_OK)


def test_init_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_init_into_an_empty_folder_and_without_git(tmp_path):
    target = tmp_path / "empty"
    target.mkdir()
    init_books(target, git=False)
    assert (target / "main.beancount").is_file()
    assert not (target / ".git").exists()
    with pytest.raises(InitError):
        init_books(target, git=False)


def test_hook_rejects_broken_books_and_accepts_good_ones(tmp_path):
    target = tmp_path / "books"
    init_books(target)
    assert git(target, "add", ".").returncode == 0
    first = git(target, "commit", "-m", "New books")
    assert first.returncode == 0, first.stderr

    members = target / "members.beancount"
    good = members.read_text()
    members.write_text(good + '\n2026-03-01 custom "coop-hours" "Nobody" 2 "shift"\n')
    git(target, "add", "members.beancount")
    refused = git(target, "commit", "-m", "Hours for a stranger")
    assert refused.returncode != 0
    assert "commit refused" in refused.stderr
    # The error names the file as it is in the repository, with its line.
    line = len((good + "\n").splitlines()) + 1
    assert f"members.beancount:{line}: hours recorded for unknown member 'Nobody'" in refused.stderr
    assert git(target, "rev-list", "--count", "HEAD").stdout.strip() == "1"

    # The hook checks what is staged: fixing only the working tree is not enough.
    members.write_text(good)
    still = git(target, "commit", "-m", "Hours for a stranger")
    assert still.returncode != 0

    git(target, "add", "members.beancount")
    members.write_text(good + '\n2026-03-01 custom "coop-member" "Dora" "Dora Diaz"\n')
    git(target, "add", "members.beancount")
    accepted = git(target, "commit", "-m", "Dora joins")
    assert accepted.returncode == 0, accepted.stderr
    assert git(target, "rev-list", "--count", "HEAD").stdout.strip() == "2"


@pytest.fixture
def committed(tmp_path):
    """New books with their first commit."""
    target = tmp_path / "books"
    init_books(target)
    git(target, "add", ".")
    first = git(target, "commit", "-m", "New books")
    assert first.returncode == 0, first.stderr
    return target


def commits(repo):
    return int(git(repo, "rev-list", "--count", "HEAD").stdout)


def test_hook_refuses_a_new_years_file_that_is_not_staged(committed):
    # The new year is included from main.beancount, but the file itself is only in the
    # working tree: the books as committed would not load.
    main_file = committed / "main.beancount"
    main_file.write_text(main_file.read_text() + 'include "2027.beancount"\n')
    (committed / "2027.beancount").write_text("; 2027\n")
    git(committed, "add", "main.beancount")
    refused = git(committed, "commit", "-m", "Start 2027")
    assert refused.returncode != 0
    line = len(main_file.read_text().splitlines())
    assert f'main.beancount:{line}: include "2027.beancount": no file matches it' in (
        refused.stderr)
    assert "commit refused" in refused.stderr
    git(committed, "add", "2027.beancount")
    accepted = git(committed, "commit", "-m", "Start 2027")
    assert accepted.returncode == 0, accepted.stderr
    assert commits(committed) == 2


def test_hook_refuses_removing_a_file_the_books_include(committed):
    git(committed, "rm", "--quiet", "accounts.beancount")
    refused = git(committed, "commit", "-m", "Tidy up")
    assert refused.returncode != 0
    assert "commit refused" in refused.stderr
    assert commits(committed) == 1


def test_hook_judges_what_is_committed_not_the_working_tree(committed):
    # Broken books in the working tree do not block committing an unrelated file...
    members = committed / "members.beancount"
    good = members.read_text()
    members.write_text(good + '\n2026-03-01 custom "coop-hours" "Nobody" 2 "shift"\n')
    (committed / "NOTES.md").write_text("Board meeting on Friday.\n")
    git(committed, "add", "NOTES.md")
    accepted = git(committed, "commit", "-m", "Notes")
    assert accepted.returncode == 0, accepted.stderr
    # ...but books broken in the index block every commit until they are fixed, even one
    # of an unrelated file (here the broken file was committed past the hook).
    git(committed, "add", "members.beancount")
    assert git(committed, "commit", "--no-verify", "-m", "Broken on purpose").returncode == 0
    (committed / "NOTES.md").write_text("Board meeting moved to Monday.\n")
    git(committed, "add", "NOTES.md")
    refused = git(committed, "commit", "-m", "Notes")
    assert refused.returncode != 0
    assert "hours recorded for unknown member 'Nobody'" in refused.stderr
    members.write_text(good)
    git(committed, "add", "members.beancount", "NOTES.md")
    fixed = git(committed, "commit", "-m", "Fix the hours, move the meeting")
    assert fixed.returncode == 0, fixed.stderr
    assert commits(committed) == 4
