"""Beancount's `pad` step, with the same result, without its work on books with no pad.

    2025-01-01 pad Assets:Bank Equity:Opening-Balances
    2025-01-02 balance Assets:Bank 100.00 USD

Beancount runs `beancount.ops.pad.pad` on every load. Before it looks at a single `pad`
directive, it lists every posting of the books by account
(`realization.postings_by_account`: an object per posting, a tenth of a second per 10,000
transactions); co-op books seldom hold a `pad` at all. With none, `pad` finds nothing
to do: it returns a new list of the same entries, and no error.

`pad` here does exactly that when the books hold no `pad` directive, and hands the books
to Beancount's own `pad` otherwise. It first walks the entries the way
`postings_by_account` does (every posting's account, every account a `custom`
directive names), without making anything, so that entries a plugin left broken fail in
Beancount's own function, with Beancount's own exception (the loader's "Error applying
plugin" message then shows one more line of traceback, this module's call).

books/quick_loads.py puts it in the place of Beancount's while our loads run.
"""

from __future__ import annotations

from typing import Any

from beancount.core import account
from beancount.core.data import Balance, Close, Custom, Document, Note, Open, Pad, Transaction
from beancount.ops import pad as beancount_pad

#: Beancount's own, kept before anything is put in its place.
BEANCOUNT_PAD = beancount_pad.pad


def _without_pads(entries: list[Any]) -> bool:
    """Whether no entry is a `pad`; reads what `postings_by_account` reads (and so raises
    where it would, on entries a plugin left broken), making nothing."""
    accounts = set()
    seen = accounts.add
    for entry in entries:
        if isinstance(entry, Transaction):
            for posting in entry.postings:
                seen(posting.account)
        elif isinstance(entry, (Open, Close, Balance, Note, Document)):
            seen(entry.account)
        elif isinstance(entry, Pad):
            return False
        elif isinstance(entry, Custom):
            for value in entry.values:
                if value.dtype == account.TYPE:
                    seen(value.value)
    return True


def pad(entries: list[Any], options_map: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """`beancount.ops.pad.pad`: the same entries and errors."""
    try:
        nothing_to_do = _without_pads(entries)
    except Exception:  # Beancount's own raises it again, in its own words
        nothing_to_do = False
    if not nothing_to_do:
        return BEANCOUNT_PAD(entries, options_map)
    return list(entries), []
