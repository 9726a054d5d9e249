"""The books as they were at a git revision, for `coop diff`.

A revision's files are written to a temporary folder through a temporary index (`git
read-tree` then `git checkout-index`, as the pre-commit hook does with the staged
books): the repository, its index and its working tree are never touched, and the
folder is removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


class RevisionError(Exception):
    """Why the books cannot be read at a revision, in words for the user."""


def _git(folder: Path, *args: str, env: dict[str, str] | None = None) -> str:
    if shutil.which("git") is None:
        raise RevisionError("git is not installed")
    result = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                            check=False, env=env)
    if result.returncode != 0:
        raise RevisionError(result.stderr.strip() or f"git {args[0]} failed")
    return result.stdout.strip()


def repository(books: Path) -> tuple[Path, str]:
    """The top folder of the git repository holding `books`, and its path in there."""
    folder = Path(books).resolve().parent
    if not folder.is_dir():
        raise RevisionError(f"{folder} does not exist")
    try:
        top = Path(_git(folder, "rev-parse", "--show-toplevel")).resolve()
    except RevisionError:
        raise RevisionError(f"{books} is not in a git repository (coop init makes one; or "
                            "run `git init` where the books are)") from None
    return top, Path(books).resolve().relative_to(top).as_posix()


def commit_of(top: Path, revision: str) -> str:
    """The commit `revision` names (a hash, a branch, HEAD~1...), or a clean error."""
    try:
        return _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options",
                    f"{revision}^{{commit}}")
    except RevisionError:
        if revision == "HEAD":
            raise RevisionError("the repository has no commit yet, so there is nothing to "
                                "compare with; commit the books first") from None
        raise RevisionError(f"unknown revision {revision!r}: not a commit, branch or tag "
                            "of this repository (see `git log --oneline`)") from None


def path_before(top: Path, relative: str, before: str, after: str | None) -> str:
    """Where the file now at `relative` was at commit `before`: the same path, or its
    old name when git finds it renamed between `before` and `after` (a commit; None for
    the working tree, where a rename counts once it is staged: `git mv`)."""
    try:
        _git(top, "cat-file", "-e", f"{before}:{relative}")
        return relative
    except RevisionError:
        pass
    changes = _git(top, "diff", "--name-status", "-z", "--find-renames", before,
                   *([after] if after else []), "--").split("\0")
    position = 0
    while position < len(changes) - 1:
        status = changes[position]
        if status.startswith(("R", "C")):
            old, new = changes[position + 1], changes[position + 2]
            if new == relative and status.startswith("R"):
                return old
            position += 3
        else:
            position += 2
    return relative


@contextlib.contextmanager
def checked_out(top: Path, commit: str) -> Iterator[Path]:
    """A temporary folder holding the files of `commit`; removed on leaving."""
    with tempfile.TemporaryDirectory(prefix="coop-diff-") as scratch:
        folder = Path(scratch) / "tree"
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        _git(top, "read-tree", commit, env=env)
        _git(top, "checkout-index", "--all", f"--prefix={folder}/", env=env)
        folder.mkdir(exist_ok=True)  # a commit with no files at all
        yield folder
