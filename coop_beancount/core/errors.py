"""Errors in Beancount's own shape, so bean-check and Fava show them at file:line."""

from __future__ import annotations

import datetime
from decimal import Decimal, getcontext
from typing import Any, NamedTuple


class CoopError(NamedTuple):
    """A mistake in the co-op's books: where it is, what is wrong and how to fix it."""

    source: dict[str, Any] | None
    message: str
    entry: Any


def location(source: dict[str, Any] | None) -> str:
    """`file:line` for a meta dict, the way bean-check prints it."""
    if not source:
        return "<unknown>"
    return f"{source.get('filename', '<unknown>')}:{source.get('lineno', 0)}"


def twice(subject: str, first: dict[str, Any] | None, fix: str, verb: str = "declared") -> str:
    """The message for a thing said twice where once is the rule, pointing at the first."""
    return f"{subject} is {verb} twice (first at {location(first)}); {fix}"


def written(value: Any) -> str:
    """A value the way the ledger writes it, for messages: "no", 10, 2025-02-01, 20.00 USD,
    TRUE (not Python's Decimal('10') or datetime.date(2025, 2, 1))."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def too_many_digits(number: Decimal) -> str | None:
    """Why Beancount cannot calculate with `number` exactly, or None when it can.

    Decimal arithmetic keeps 28 significant digits (the context's precision): a longer
    number would be rounded when added up, so books that use it would not balance. So
    would a short one written with a large exponent (`1E+999999`): written out it has a
    million digits, and added to a cent it would need them all (and working with it
    takes minutes, not a moment).
    """
    if not number.is_finite():
        return None
    digits = len(number.as_tuple().digits)
    precision = getcontext().prec
    if digits <= precision and (not number or number.adjusted() < precision):
        return None  # the usual case, decided before writing the number out (every directive)
    text = str(number)
    shown = text if len(text) <= 40 else f"{text[:20]}...{text[-6:]}"
    if digits > precision:
        return (f"{shown} has {digits} digits, more than the {precision} Beancount "
                "calculates with, so it would be rounded; write it with fewer digits")
    if number and number.adjusted() >= precision:
        return (f"{shown} is too large: written out it has {number.adjusted() + 1:,} digits, "
                f"more than the {precision} Beancount calculates with; write a smaller number")
    return None
