"""Fava's ledger for the members' site: the same loading, with private metadata taken out
before any of Fava's modules (or the co-op pages) read the entries.

Fava's `FavaLedger.load_file` assigns `self.all_entries` once per load and builds every
report from it; this subclass turns that attribute into a property whose setter strips
the private keys (`books.private`), so there is no second copy of Fava's load sequence to
keep in step with Fava.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fava.application import _LedgerSlugLoader
from fava.core import FavaLedger

from coop_beancount.books.private import private_keys, strip_private

_SLOT = FavaLedger.all_entries  # the base class's storage for the attribute (__slots__)


class MembersLedger(FavaLedger):
    """A FavaLedger whose entries never carry private metadata."""

    @property  # type: ignore[override]
    def all_entries(self) -> Sequence[Any]:
        return _SLOT.__get__(self, FavaLedger)

    @all_entries.setter
    def all_entries(self, entries: Sequence[Any]) -> None:
        self.private_keys = keys = private_keys(entries)
        _SLOT.__set__(self, strip_private(entries, keys))


class MembersLedgers(_LedgerSlugLoader):
    """Fava's loader of ledgers by slug, loading MembersLedger."""

    def _load(self) -> list[FavaLedger]:
        return [MembersLedger(path, poll_watcher=self.poll_watcher)
                for path in self.fava_app.config["BEANCOUNT_FILES"]]
