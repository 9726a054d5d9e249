"""The members' site's rules: which metadata is private, and what a member may see.

Set in the books (both optional):

    2025-01-01 custom "coop-private" "bank-ref" "nickname"   ; more private metadata keys
    2025-01-01 custom "coop-site" "own statement"             ; or "open books", the default

Private metadata keys are removed from every entry before the members' site shows the
books; the default keys below are always private, `coop-private` adds to them. The
policy says what a signed-in member sees: *open books*, everything the site shows;
*own statement*, the co-op-wide pages and their own member page only.
"""

from __future__ import annotations

import re

#: Always private: bank details, tax ids, and how to reach a member.
DEFAULT_PRIVATE_KEYS = frozenset(
    {"iban", "tin", "ssn", "ein", "address", "email", "phone", "birth-date"})

OPEN_BOOKS = "open books"
OWN_STATEMENT = "own statement"
POLICIES = (OPEN_BOOKS, OWN_STATEMENT)

# Beancount's own syntax for a metadata key (lexer: [a-z][a-zA-Z0-9\-_]*).
_METADATA_KEY = re.compile(r"[a-z][a-zA-Z0-9_-]*")


def is_metadata_key(text: str) -> bool:
    return _METADATA_KEY.fullmatch(text) is not None
