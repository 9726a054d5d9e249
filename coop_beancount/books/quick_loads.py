"""Our loads of the books with quicker equivalents of two of Beancount's steps.

    with quick_beancount():
        entries, errors, options = loader.load_file("main.beancount")

While the block runs, Beancount's loader uses

- `balance_check.check_transaction_balances` in the place of its last validation,
  `validate_check_transaction_balances` (in `beancount.ops.validation.VALIDATIONS`);
- `quick_pad.pad` in the place of `beancount.ops.pad.pad`;

each gives exactly Beancount's entries and errors (their modules say why). The `coop`
commands' loads (`books/loading.load_books`, and so the checks before an import writes)
and `coop serve`'s Fava loads (`cli/books.quick_fava_loads`) run inside it; bean-check and
plain Fava are not touched. `COOP_PLAIN_LOAD=1` leaves Beancount's own steps in place
(books/collector.py).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from beancount.ops import pad as beancount_pad
from beancount.ops import validation

from coop_beancount.books import balance_check, quick_pad
from coop_beancount.books.collector import plain

_lock = threading.Lock()
_depth = 0
#: Beancount's own, while ours are in their place.
_saved: list[Any] = []


@contextlib.contextmanager
def quick_beancount() -> Iterator[None]:
    """Beancount's loader with our equivalents while the block runs (nested or from several
    threads: the first in puts them there, the last out puts Beancount's back)."""
    global _depth
    if plain():
        yield
        return
    with _lock:
        if _depth == 0:
            _saved[:] = [validation.VALIDATIONS, beancount_pad.pad]
            # A new list, not Beancount's changed in place: validate() adds its
            # extra_validations to the list it is given with +=.
            validation.VALIDATIONS = [
                balance_check.check_transaction_balances
                if check is validation.validate_check_transaction_balances else check
                for check in validation.VALIDATIONS]
            # The loader looks the plugin's function up by name on every load.
            beancount_pad.pad = quick_pad.pad
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                validation.VALIDATIONS, beancount_pad.pad = _saved
                _saved.clear()
