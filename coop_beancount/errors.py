"""Errors in Beancount's own shape, so bean-check and Fava show them at file:line."""

from __future__ import annotations

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
