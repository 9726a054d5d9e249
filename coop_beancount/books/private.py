"""Private metadata taken out of loaded entries, for the members' site.

    2025-01-15 custom "coop-member" "Chloe" "Chloe Nguyen"
      iban: "DE02 1203 0000 0000 2020 51"      ; private by default: never shown to members
      bank-ref: "CHL-7"                         ; private once the books say so:

    2025-01-01 custom "coop-private" "bank-ref"

The keys in `core.site.DEFAULT_PRIVATE_KEYS` and those `coop-private` lines name are
removed from every entry's and every posting's metadata. The treasurer's own tools
(`coop import` matches payments by `iban:`) read the books as written; only what the
members' site hands Fava is stripped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

from beancount.core import data

from coop_beancount.books.directives import DirectiveError, read_private
from coop_beancount.core.site import DEFAULT_PRIVATE_KEYS


def private_keys(entries: Iterable[Any]) -> frozenset[str]:
    """The default private keys and those the books' `coop-private` lines add (a line
    with a mistake adds nothing here: the plugin reports it at its line)."""
    keys = set(DEFAULT_PRIVATE_KEYS)
    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type == "coop-private":
            with contextlib.suppress(DirectiveError):
                keys.update(read_private(entry))
    return frozenset(keys)


def _public(meta: dict[str, Any] | None, keys: frozenset[str]) -> dict[str, Any] | None:
    if not meta or keys.isdisjoint(meta):
        return meta
    return {key: value for key, value in meta.items() if key not in keys}


def strip_private(entries: Sequence[Any], keys: frozenset[str]) -> list[Any]:
    """`entries` with the private metadata keys removed. One pass; only an entry that
    carries a private key (on itself or a posting) is copied, the rest are the same
    objects."""
    stripped = []
    for entry in entries:
        meta = _public(entry.meta, keys)
        if meta is not entry.meta:
            entry = entry._replace(meta=meta)
        if isinstance(entry, data.Transaction) and any(
                p.meta and not keys.isdisjoint(p.meta) for p in entry.postings):
            entry = entry._replace(postings=[
                p._replace(meta=_public(p.meta, keys)) for p in entry.postings])
        stripped.append(entry)
    return stripped
