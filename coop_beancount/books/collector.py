"""Python's garbage collector kept out of loading the books and of what is built from them.

    with kept_out():
        entries, errors, options = loader.load_file("main.beancount")

Loaded books are hundreds of thousands of long-lived objects (entries, postings,
amounts, metadata dicts) with next to no garbage cycles among them. Left to itself,
CPython's collector walks all of them again and again while they are being made
(Beancount's load of 100,000 transactions spends about 40% of its time in some 18 full
collections that free nothing), and pausing it only defers the bill: once it is on
again, the objects made during the pause are walked as young objects, then as old
ones, in collections of seconds.

`kept_out()` turns the collector off while its block runs, then *freezes* everything
alive (`gc.freeze()`: moves it to the permanent generation, which collections never
walk) and turns it back on as it was. Nothing changes for reference counting: an entry
no longer referred to is freed at once, frozen or not (a Fava reload frees the last
load). Only a garbage cycle among frozen objects is never collected; the load and the
co-op's view make next to none (see docs/scale.md).

`COOP_PLAIN_LOAD=1` in the environment leaves the collector as Python runs it, for
comparing: the books load to the same entries and errors, the reports print the same
bytes (tests/test_fast_load.py).

A `coop` command run as a program also ends without freeing the books one object at a
time (`keep_until_exit`, `quick_exit`): the process's end frees its memory at once, as
it does for any program; Python would otherwise spend about 3% of the command's time
taking apart every entry, posting and amount it is about to throw away.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

#: Set to 1 to load as plain Beancount does: the collector running throughout.
PLAIN = "COOP_PLAIN_LOAD"


def plain() -> bool:
    """Whether the environment asks for the collector to be left alone."""
    return os.environ.get(PLAIN, "") not in ("", "0")


@contextlib.contextmanager
def kept_out() -> Iterator[None]:
    """The collector off during the block; what is alive after it frozen, never walked."""
    with paused():
        try:
            yield
        finally:
            # Frozen before `paused` turns it on again: otherwise the first collections
            # after the pause would walk everything the block made (the pause's debt,
            # seconds on large books) to free nothing.
            if not plain():
                gc.freeze()


#: What the running `coop` command loaded, held until the process ends (`keep`).
_KEPT: list[object] = []
_keeping = False


def keep_until_exit(on: bool = True) -> None:
    """From now on, hold what `keep` is given until the process ends (`coop` commands run
    as a program); off for a server, which loads the books again on every change."""
    global _keeping
    _keeping = on and not plain()
    if not _keeping:
        _KEPT.clear()


def keep(value: T) -> T:
    """`value`, held to the process's end when a command asked for it (`keep_until_exit`):
    freeing it when the command's function returns would take it apart object by object."""
    if _keeping:
        _KEPT.append(value)
    return value


def release(value: object) -> None:
    """Stop holding `value` (`keep`): a big import lets go of the books it loaded before
    it loads them again with its new entries to check them, so the two are never in
    memory at once."""
    _KEPT[:] = [kept for kept in _KEPT if kept is not value]


def quick_exit(code: int | str | None) -> None:
    """End the process with `code` as `sys.exit` would, without taking its objects apart:
    what Python runs at exit (atexit handlers: logging, finalizers) runs, the standard
    streams are flushed, then the process ends."""
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    code = code or 0
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            # A closed pipe (`coop members | head`): what Python reports as exit status 120.
            code = code or 120
    os._exit(code)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The collector off during the block and back on after it, as it was; nothing frozen.

    For the plugin inside someone else's load (bean-check, Fava): its one pass makes a
    few hundred thousand objects (postings, amounts, metadata) and no garbage cycles, and
    with the collector running, every one of the full collections they set off walks the
    whole of the books parsed so far, to free nothing. What the block made is walked
    afterwards as the loader's own objects are: once young, once old."""
    if plain():
        yield
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
