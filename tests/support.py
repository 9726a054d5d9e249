"""Helpers shared by the plugin tests: find a line, assert an error is there."""

from __future__ import annotations

import textwrap

from coop_beancount.errors import CoopError
from tests.conftest import HEADER

FILENAME = "<string>"


def line_no(text: str, needle: str, header: str = HEADER) -> int:
    lines = (header + textwrap.dedent(text)).splitlines()
    found = [number for number, line in enumerate(lines, 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}, expected exactly one"
    return found[0]


def coop_errors(errors: list) -> list[CoopError]:
    return [e for e in errors if isinstance(e, CoopError)]


def assert_one_error_at(errors: list, text: str, needle: str, *words: str) -> CoopError:
    lineno = line_no(text, needle)
    found = [e for e in coop_errors(errors) if e.source and e.source.get("lineno") == lineno]
    assert len(found) == 1, f"expected one co-op error at line {lineno}, got {errors}"
    error = found[0]
    assert error.source["filename"] == FILENAME
    for word in words:
        assert word in error.message, f"{word!r} not in {error.message!r}"
    return error
