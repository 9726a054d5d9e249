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
    lines = text.splitlines()
    found = [(i, m.groups()) for i, line in enumerate(lines) if (m := _LINE.match(line))]
    if not found:
        return text
    indents = Counter(len(_INDENT.match(prefix).group()) for _, (prefix, _, _) in found
                      if prefix[0] in " \t")
    indent = " " * indents.most_common(1)[0][0] if indents else ""
    shaped = [(i, indent + prefix.lstrip() if prefix[0] in " \t" else prefix, number, rest)
              for i, (prefix, number, rest) in found]
    prefix_width = max(len(prefix) for _, prefix, _, _ in shaped)
    number_width = max(len(number) for _, _, number, _ in shaped)
    for i, prefix, number, rest in shaped:
        lines[i] = f"{prefix.rstrip():<{prefix_width}}  {number:>{number_width}} {rest}"
    return "\n".join(lines) + "\n"
