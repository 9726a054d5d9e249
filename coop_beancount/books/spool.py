"""Entries as text kept in a temporary file, not in memory, then written out in order.

An import of a million-row statement makes a million entries. Each is printed by
Beancount's printer as it is made, and its text goes to a temporary file (`Spool.add`)
with its sort key (`sort_key`: the date, Beancount's order of directives on a day, the
row); the entry itself is let go. When every document is read, `write_to` writes the
texts out, a document (`section`) at a time in the order asked, each sorted by its keys,
and aligned as bean-format aligns the whole (`printing.Alignment`, measured as the texts
came). What stays in memory is 16 bytes per entry; the file is deleted when closed (or
by the system, whatever happens to the process).

    ; Imported from checking-2026-01.csv (checking)

    2026-01-02 * "CHLOE NGUYEN" "January dues"
      import-id: "1c0e53d4f2a8e61c079b"
      Assets:Bank:Checking        5.00 USD
      Assets:Members:Chloe:Dues  -5.00 USD
"""

from __future__ import annotations

import tempfile
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from beancount.core import data

from coop_beancount.books.printing import Alignment

#: How much text `write_to` gathers before handing it on.
CHUNK = 1 << 16


def sort_key(entry: Any) -> int:
    """`data.entry_sortkey` (date, type's order on its day, line) as one number."""
    order = data.SORT_ORDER.get(type(entry), 0) + 4
    line = (entry.meta or {}).get("lineno") or 0
    return (entry.date.toordinal() * 8 + order) << 32 | min(max(line, 0), (1 << 32) - 1)


@dataclass
class _Section:
    header: str
    first: int      # index of its first text
    start: int      # where its header starts in the file
    ordered: bool   # its texts are in their order already (not sorted by key)


class Spool:
    """Texts of entries in sections, on disk; see the module docstring."""

    def __init__(self, align: bool) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close)
        self._keys = array("q")
        self._starts = array("q")
        self._end = 0
        self._sections: list[_Section] = []
        self.alignment = Alignment() if align else None

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def __len__(self) -> int:
        return len(self._keys)

    def section(self, header: str, ordered: bool = False) -> int:
        """Start a section (a document's texts) under `header`; its number. `ordered`: its
        texts come in the order to write them (else they are sorted by key)."""
        self._sections.append(_Section(header, len(self._keys), self._end, ordered))
        return len(self._sections) - 1

    def add(self, key: int, text: str) -> None:
        """The text of one entry (with the blank line after it) in the current section."""
        if self.alignment is not None:
            for line in text.split("\n"):
                self.alignment.measure(line)
        encoded = text.encode("utf-8")
        self._keys.append(key)
        self._starts.append(self._end)
        self._file.write(encoded)
        self._end += len(encoded)

    def drop_section(self) -> None:
        """Forget the current section and its texts (a document that cannot be used)."""
        section = self._sections.pop()
        del self._keys[section.first:]
        del self._starts[section.first:]
        self._end = section.start
        self._file.seek(self._end)
        self._file.truncate()

    def write_to(self, write: Callable[[str], Any], order: Iterable[int] | None = None,
                 ) -> None:
        """Hand every text to `write`, in gathered chunks: the sections in `order` (every
        one, in the order made, by default), a section's header first, then its texts
        sorted by key (stable: equal keys keep their order); a section with no text is left
        out, header and all."""
        self._file.flush()
        chosen = range(len(self._sections)) if order is None else order
        pending: list[str] = []
        size = 0
        for number in chosen:
            section = self._sections[number]
            for text in self._texts(number, section):
                if self.alignment is not None:
                    text = "\n".join(map(self.alignment.line, text.split("\n")))
                pending.append(text)
                size += len(text)
                if size >= CHUNK:
                    write("".join(pending))
                    pending, size = [], 0
        if pending:
            write("".join(pending))

    def _texts(self, number: int, section: _Section) -> Iterable[str]:
        last = (self._sections[number + 1].first if number + 1 < len(self._sections)
                else len(self._keys))
        if last == section.first:
            return  # no text: no header either
        yield section.header
        keys = self._keys
        indexes: Iterable[int] = range(section.first, last)
        if not section.ordered and any(keys[i] > keys[i + 1]
                                       for i in range(section.first, last - 1)):
            indexes = sorted(indexes, key=keys.__getitem__)
        position = -1
        for i in indexes:
            start = self._starts[i]
            end = self._starts[i + 1] if i + 1 < last else self._section_end(number)
            if start != position:
                self._file.seek(start)
            yield self._file.read(end - start).decode("utf-8")
            position = end

    def _section_end(self, number: int) -> int:
        return (self._sections[number + 1].start if number + 1 < len(self._sections)
                else self._end)
