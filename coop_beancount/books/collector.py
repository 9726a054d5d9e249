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
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator

#: Set to 1 to load as plain Beancount does: the collector running throughout.
PLAIN = "COOP_PLAIN_LOAD"


def plain() -> bool:
    """Whether the environment asks for the collector to be left alone."""
    return os.environ.get(PLAIN, "") not in ("", "0")


@contextlib.contextmanager
def kept_out() -> Iterator[None]:
    """The collector off during the block; what is alive after it frozen, never walked."""
    if plain():
        yield
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # Frozen before it is turned on again: otherwise the first collections after the
        # pause would walk everything the block made (the pause's debt, seconds on large
        # books) to free nothing.
        gc.freeze()
        if enabled:
            gc.enable()
