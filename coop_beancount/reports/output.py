"""Rows out: a readable table for people, CSV and JSON for scripts.

Money (currency -> number) prints as "20.00 USD" in tables and CSV, and as
{"USD": "20.00"} in JSON, with numbers as strings so no float ever touches them.

CSV is opened in spreadsheets, so every cell is safe to open (`safe_cell`): text that a
spreadsheet would run as a formula (a member named `=HYPERLINK(...)`) is written with a `'`
in front, the OWASP rule; numbers (`-20.00`) and money (`-20.00 USD`) stay as they are.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

FORMATS = ("table", "csv", "json")
#: Nothing, in any currency.
ZERO = "0"

#: How a cell that a spreadsheet runs as a formula starts (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Cells that start like a formula but are only figures: a number, or money as `_text`
#: writes it ("-5.00 USD; 3 EUR"), digits, signs, points and currency letters.
_FIGURES = re.compile(r"[-+]?\d+(?:\.\d+)?(?: [A-Z][A-Z0-9'._-]*)?"
                      r"(?:; [-+]?\d+(?:\.\d+)? [A-Z][A-Z0-9'._-]*)*\Z")


def english(text: str) -> str:
    """gettext for the English, the `coop` command's words: the text as it is. The
    sentences worked out here take a gettext (`_`) so the Fava pages can show them in the
    language Fava shows (fava_pages/i18n.py)."""
    return text


def safe_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as the text it is: one that would start a formula
    gets a `'` in front; numbers and money stay figures a spreadsheet can read."""
    if text.startswith(FORMULA_STARTS) and not _FIGURES.match(text):
        return "'" + text
    return text


def amount_text(number: Decimal, currency: str) -> str:
    """One amount as people read it: "2,850.00 USD"."""
    return f"{number:,} {currency}"


def money_text(money: Mapping[str, Decimal]) -> str:
    """An amount that may hold several currencies: "2,850.00 USD, 10.00 EUR"; nothing is "0".

    The one way the reports, the notices and the Fava pages print money (CSV cells are
    written plain, without thousands separators, for spreadsheets to read).
    """
    nonzero = sorted((c, n) for c, n in money.items() if n != 0)
    if not nonzero:
        return ZERO
    return ", ".join(amount_text(number, currency) for currency, number in nonzero)


def total_row(rows: Iterable[Mapping[str, Any]], columns: Iterable[str],
              **labels: Any) -> dict[str, Any]:
    """A table's totals row: each of `columns` added up over `rows` (money by currency,
    plain numbers as numbers), with `labels` in the other columns (member="Total")."""
    rows = list(rows)
    total: dict[str, Any] = dict(labels)
    for column in columns:
        values = [row[column] for row in rows if row.get(column) is not None]
        if all(isinstance(value, Mapping) for value in values):
            money: dict[str, Decimal] = {}
            for value in values:
                for currency, number in value.items():
                    money[currency] = money.get(currency, Decimal(0)) + number
            total[column] = money
        else:
            total[column] = sum(values, Decimal(0))
    return total


def _text(value: Any, plain: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        if plain:
            nonzero = sorted((c, n) for c, n in value.items() if n != 0)
            return "; ".join(f"{n} {c}" for c, n in nonzero) if nonzero else ZERO
        return money_text(value)
    if isinstance(value, Decimal):
        return str(value) if plain else f"{value:,}"
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, Decimal | datetime.date):
        return str(value)
    return value


def render(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], fmt: str) -> str:
    """`columns` is (key, heading) pairs; `rows` are dicts with those keys."""
    if fmt == "json":
        return json.dumps([{k: _json_value(row.get(k)) for k, _ in columns} for row in rows],
                          indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([safe_cell(key) for key, _ in columns])
        for row in rows:
            writer.writerow([safe_cell(_text(row.get(key), plain=True)) for key, _ in columns])
        return out.getvalue()
    return table(rows, columns)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    cells = [[_text(row.get(key), plain=False) for key, _ in columns] for row in rows]
    headings = [heading for _, heading in columns]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headings)]
    numeric = [all(_looks_numeric(r[i]) for r in cells) and cells for i in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric,
                                                                           strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(headings), "  ".join("-" * w for w in widths)]
    out.extend(line(r) for r in cells)
    return "\n".join(out) + "\n"


def _looks_numeric(text: str) -> bool:
    head = text.split(" ", 1)[0].replace(",", "").replace(".", "").lstrip("-")
    return text == "" or head.isdigit()
