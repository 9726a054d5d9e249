"""Who the books know, for an export that names people and clients its own way.

A timesheet or a payroll export names a member by their key or their name, and a client
by its key or its name::

    2025-01-01 custom "coop-member" "Tomas" "Tomás Herrera"
    2025-04-01 custom "coop-client" "CascadeOutfitters" "Cascade Outfitters"

so `Tomas`, `Tomás Herrera` and `TOMAS HERRERA` are all member Tomas (case, spaces and
accents do not count: `matching.normalize_name`), and `Cascade Outfitters` is client
CascadeOutfitters. A name two members share finds neither: the export must give the key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from beancount.core import data

from coop_beancount.importers.matching import MemberInfo, members_from_entries, normalize_name


def _listed(keys: Iterable[str]) -> str:
    known = sorted(keys)
    return ", ".join(known[:12]) + (", ..." if len(known) > 12 else "") if known else "none"


@dataclass(frozen=True)
class Directory:
    """The members and clients of the books, found by key or by name."""

    members: dict[str, MemberInfo]
    clients: dict[str, str]  # key -> name
    _member_names: dict[str, str | None]  # normalized name -> key (None: two members)
    _client_names: dict[str, str | None]

    @classmethod
    def of(cls, entries: Iterable[Any]) -> Directory:
        entries = list(entries)
        members = {m.key: m for m in members_from_entries(entries)}
        clients: dict[str, str] = {}
        for entry in entries:
            if isinstance(entry, data.Custom) and entry.type == "coop-client" and entry.values:
                values = [getattr(v, "value", v) for v in entry.values]
                if isinstance(values[0], str):
                    clients[values[0]] = values[1] if len(values) > 1 and isinstance(
                        values[1], str) else ""
        return cls(members, clients, _by_name((m.key, m.name) for m in members.values()),
                   _by_name(clients.items()))

    def member(self, text: str) -> tuple[str | None, str]:
        """(the member key `text` names, or None and why not)."""
        if text in self.members:
            return text, ""
        key = self._member_names.get(normalize_name(text))
        if key is not None:
            return key, ""
        why = ("names two members; give the member key" if normalize_name(text)
               in self._member_names else "is not a member's key or name in the books")
        return None, (f"{text!r} {why} (members: {_listed(self.members)}); fix the name, "
                      "or declare the member with coop-member")

    def client(self, text: str) -> tuple[str | None, str]:
        """(the client key `text` names, or None and why not)."""
        if text in self.clients:
            return text, ""
        key = self._client_names.get(normalize_name(text))
        if key is not None:
            return key, ""
        return None, (f"{text!r} is not a client's key or name in the books (clients: "
                      f"{_listed(self.clients)}); fix the name, or declare the client with "
                      f'custom "coop-client" "<key>" "{text}"')


def _by_name(pairs: Iterable[tuple[str, str]]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for key, name in pairs:
        if not name:
            continue
        normal = normalize_name(name)
        found[normal] = None if normal in found and found[normal] != key else key
    return found
