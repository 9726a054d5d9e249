"""One writer at a time: an exclusive lock over a ledger's books while a command writes.

Every command that writes to the books (`coop settle --write`, `coop import extract --to`,
`coop import till`) holds the lock from before it reads them until its rename, and so does
every write Fava makes while `coop serve` runs it (cli/books.locked_fava_writes). A second
writer waits (or gives up after a timeout), and then reads what the first one wrote: its
duplicate detection sees the first import, and its check runs on the books as they now are.
So two imports started at once never lose one another's entries, nor write the same
statement twice.

The lock is `flock(2)` on the folder of the main file (of the file it points to, when it is
a symlink): one lock for every file of the books, however a file is named, whichever file
is written. It leaves nothing on disk, and the system releases it when the process ends,
even killed. Two sets of books whose main files share a folder share the lock: their
writers take turns, which costs nothing but a wait.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: How often a waiting writer tries the lock again (seconds).
RETRY = 0.1

#: The folders whose lock this process holds: `append_checked` refuses to write without it.
_held: set[str] = set()


class BooksBusy(Exception):
    """Another writer held the lock for longer than the timeout."""


def lock_folder(books: Path) -> str:
    """The folder whose lock covers `books` (a ledger's main file)."""
    return os.path.dirname(os.path.realpath(books))


@contextmanager
def books_locked(books: Path, timeout: float,
                 waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the books' write lock; if another writer has it, call `waiting` once, then wait
    up to `timeout` seconds for it (BooksBusy after that)."""
    folder = lock_folder(books)
    handle = os.open(folder, os.O_RDONLY)
    try:
        if not _try_lock(handle):
            if waiting is not None:
                waiting()
            deadline = time.monotonic() + timeout
            while not _try_lock(handle):
                if time.monotonic() >= deadline:
                    raise BooksBusy(
                        f"another coop command has been writing the books in {folder} for "
                        f"{timeout:g} s; nothing was written. Try again when it has finished")
                time.sleep(RETRY)
        _held.add(folder)
        try:
            yield
        finally:
            _held.discard(folder)
    finally:
        os.close(handle)  # closing the folder releases the lock


def holds_lock(books: Path) -> bool:
    """Whether this process holds the write lock of `books`."""
    return lock_folder(books) in _held


def _try_lock(handle: int) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
