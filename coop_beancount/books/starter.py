"""`coop init`: new books from the starter set, in a git repository that
refuses a commit whose books do not check clean, with members' private register
(`members-private.csv`, owner-only, git-ignored; books/register.py) beside them.

The books are assembled in a temporary folder beside the target and renamed
into place, so an interrupted init leaves nothing half-made: the target does
not exist, and at most a hidden `.DIR.<random>` folder is left beside it, safe
to delete. An empty folder given (`coop init .` in an empty folder) stays: the
finished books' files are moved into it one by one, `.git` last. A folder that
cannot be made (a read-only parent, a path through a file) is an InitError.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from coop_beancount.books.files import land_folder, staging_folder
from coop_beancount.books.register import create_register

MAIN_FILE = "main.beancount"

HOOK = """#!/bin/sh
# coop-beancount: refuse a commit whose books do not check clean.
# It checks the books as they will be committed (the index), not the working
# tree. Which file is the books' main file is a setting of the repository:
#   git config coop.books main.beancount      (or: coop hook PATH/TO/main.beancount)
# Bypass once with `git commit --no-verify` if you really must.
books=$(git config --get coop.books)
if [ -z "$books" ]; then
    echo "coop: commit refused: this repository does not say where its books are, so they" >&2
    echo "cannot be checked. Name the main file (its path from the top of the repository):" >&2
    echo "  git config coop.books main.beancount" >&2
    exit 1
fi
coop_python={python}
staged=$(mktemp -d) || exit 1
trap 'rm -rf "$staged"' EXIT
git checkout-index --all --prefix="$staged/" || exit 1
if [ ! -f "$staged/$books" ]; then
    echo "coop: commit refused: the books' main file $books is not in this commit, so the" >&2
    echo "books cannot be checked. If it was renamed or moved, tell coop its new path:" >&2
    echo "  git config coop.books NEW/PATH.beancount" >&2
    echo "(or stage it: git add $books), then commit again." >&2
    exit 1
fi
if [ -x "$coop_python" ]; then
    set -- "$coop_python" -m coop_beancount
elif command -v coop >/dev/null 2>&1; then
    set -- coop
else
    echo "coop pre-commit hook: cannot find the coop command (was {python})" >&2
    exit 1
fi
output=$("$@" check "$staged/$books" 2>&1)
status=$?
if [ "$status" -ne 0 ]; then
    printf '%s\n' "$output" | sed "s|$staged/||g" >&2
    echo "coop: commit refused: the books do not check clean. Fix the errors above," >&2
    echo "stage the fix (git add), then commit again." >&2
    exit 1
fi
"""


class InitError(Exception):
    pass


def starter_files() -> list[tuple[str, bytes]]:
    """(name, content) of every file of the starter books."""
    files = []
    root = _starter_folder()
    for item in sorted(root.iterdir(), key=lambda i: i.name):
        if item.is_file() and item.name.endswith(".beancount"):
            files.append((item.name, item.read_bytes()))
    if not any(name == MAIN_FILE for name, _ in files):
        raise InitError(
            f"the starter books are incomplete: no {MAIN_FILE} (reinstall coop-beancount)")
    return files


def _starter_folder() -> Any:
    # An installed wheel ships the starter books as coop_beancount/ledgers/;
    # a source checkout (and an editable install) has them in ledgers/ at the top.
    installed = resources.files("coop_beancount").joinpath("ledgers")
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "ledgers"


#: What marks a pre-commit hook as coop's (so `coop hook` may replace it).
HOOK_MARK = "# coop-beancount: refuse a commit"


def hook_text(python: str = sys.executable) -> str:
    return HOOK.format(python=shlex.quote(python))


def install_hook(top: Path, main: str) -> Path:
    """Make the git repository at `top` check the books whose main file is `main` (its path
    from `top`) before every commit: coop's pre-commit hook, and the setting it reads
    (`git config coop.books`). A pre-commit hook that is not coop's is left alone (InitError).
    Returns the hook's path."""
    hooks = Path(top, _git(top, "rev-parse", "--git-path", "hooks"))
    hook = hooks / "pre-commit"
    if hook.exists() and HOOK_MARK not in hook.read_text(errors="replace"):
        raise InitError(f"{hook} is a pre-commit hook that is not coop's; it was left as it "
                        f"is. Add this to it: coop check \"$(git rev-parse --show-toplevel)/"
                        f"{main}\" || exit 1")
    _git(top, "config", "coop.books", main)
    hooks.mkdir(parents=True, exist_ok=True)
    hook.write_text(hook_text())
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return hook


def _git(folder: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise InitError(f"git {args[0]} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def init_books(target: Path, git: bool = True) -> Path:
    """Create new books in `target` (which must not exist, or be empty); returns the main file.

    InitError, with nothing made, when it cannot: a folder that is not empty, no git, a
    parent that cannot be written or made."""
    # By its absolute name: `coop init .` (or "") means the current folder, by its name.
    target = Path(os.path.abspath(target))
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InitError(f"{target} already exists and is not empty; choose a new folder")
    if git and shutil.which("git") is None:
        raise InitError("git is not installed; install it, or pass --no-git")
    try:
        staging = staging_folder(target)
    except OSError as error:
        raise InitError(f"cannot make {target}: {_reason(error)}") from None
    try:
        for name, content in starter_files():
            (staging / name).write_bytes(content)
        # Members' TINs and addresses: a register beside the books, owner-only, git-ignored.
        create_register(staging)
        if git:
            _make_repository(staging)
        # Into an empty folder given (often the current one), .git last.
        land_folder(staging, target, last=".git")
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):
            raise InitError(f"cannot make the books in {target}: {_reason(error)}") from None
        raise
    return target / MAIN_FILE


def _reason(error: OSError) -> str:
    where = f" ({error.filename})" if error.filename else ""
    return f"{error.strerror or error}{where}"


def _make_repository(folder: Path) -> None:
    _git(folder, "init", "--quiet")
    install_hook(folder, MAIN_FILE)
