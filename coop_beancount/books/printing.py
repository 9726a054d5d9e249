"""Entries as Beancount's own text: what the project writes into the books.

Every entry a command writes (`coop settle --write`, `coop import extract --to`) is printed
by Beancount's printer, so names with quotes or backslashes come out escaped and read back
as they were, then aligned the way `bean-format` aligns a file: the numbers of what is
written in one column, so bean-format run on it finds nothing to change. The user's own
lines are never touched. (What is written is aligned on its own, not to the column of the
file it goes into: that would mean reading the whole year file on every write.)

    2025-12-31 ! "Settle-up: Ana \\"Nana\\" Souza pays the co-op"
      coop-settle: "payment"
      Assets:Bank:Checking            12.50 USD
      Assets:Members:Ana:Receivable  -12.50 USD
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from beancount.parser import printer


def entries_text(entries: Iterable[Any]) -> str:
    """The entries as Beancount prints them, a blank line between two."""
    render = printer.EntryPrinter()  # one printer for all: format_entry builds one per entry
    return "\n".join(render(entry) for entry in entries)


#: bean-format's line: a posting (indent, account) or a dated line, then number and currency
#: (its NUMBER_RE; account and currency as the printer writes them). The same shapes as
#: beancount.scripts.format.align_beancount, matched with `re`: that function's Unicode
#: patterns take seconds on the text of a large import.
_NUMBER = r"[-+]?\s*[\d,]+(?:\.\d*)?"
_LINE = re.compile(rf"(\d[^\";]*?|[ \t]+[^\W_a-z][^\s:]*(?::[^\s:]+)+)\s+({_NUMBER})\s+"
                   r"([A-Z/][A-Z0-9'._/-]*\b.*)")
_INDENT = re.compile(r"[ \t]+")


def aligned(text: str) -> str:
    """`text` with its numbers aligned as bean-format aligns a file: every number right-
    aligned in one column, the currencies after it, postings at the most common indent
    (whitespace only; bean-format run on the result changes nothing)."""
    alignment = Alignment()
    lines = text.splitlines()
    for line in lines:
        alignment.measure(line)
    if not alignment.found:
        return text
    return "\n".join(alignment.line(line) for line in lines) + "\n"


class Alignment:
    """`aligned` in two passes, for text too big to hold: `measure` every line first, then
    each `line` comes out as `aligned` of the whole text would have it."""

    def __init__(self) -> None:
        self.indents: Counter[int] = Counter()
        self.dated = 0      # widest prefix of a dated line
        self.indented = 0   # widest indented prefix, without its indent
        self.number = 0     # widest number
        self.found = False
        self._shape: tuple[str, int] | None = None  # (indent, prefix width), once measured

    def measure(self, line: str) -> None:
        match = _LINE.match(line)
        if match is None:
            return
        prefix, number, _ = match.groups()
        self.found = True
        self.number = max(self.number, len(number))
        if prefix[0] in " \t":
            self.indents[len(_INDENT.match(prefix).group())] += 1  # type: ignore[union-attr]
            self.indented = max(self.indented, len(prefix.lstrip()))
        else:
            self.dated = max(self.dated, len(prefix))

    def line(self, line: str) -> str:
        """The line (without its newline) as the measured text aligns it."""
        match = _LINE.match(line)
        if match is None:
            return line
        prefix, number, rest = match.groups()
        if self._shape is None:
            indent = self.indents.most_common(1)[0][0] if self.indents else 0
            self._shape = (" " * indent,
                           max(self.dated, indent + self.indented if self.indents else 0))
        indent, width = self._shape
        if prefix[0] in " \t":
            prefix = indent + prefix.lstrip()
        return f"{prefix.rstrip():<{width}}  {number:>{self.number}} {rest}"
