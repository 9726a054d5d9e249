"""Loading a co-op's books from disk for the `coop` command.

The only place the command reads a ledger: Beancount's loader, plus the checks
that the books are co-op books at all (the coop plugin is loaded).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beancount import loader

from coop_beancount.errors import CoopError, location
from coop_beancount.files import atomic_append, atomic_write

PLUGIN_NAME = "coop_beancount.plugins.coop"


@dataclass(frozen=True)
class Loaded:
    path: Path
    entries: list[Any]
    errors: list[Any]
    options: dict[str, Any]


def load_books(path: str | os.PathLike[str]) -> Loaded:
    """Load a ledger with its plugins; every problem ends up in `errors`."""
    path = Path(path)
    entries, errors, options = loader.load_file(str(path))
    errors = list(errors)
    plugins = [name for name, _ in options.get("plugin", [])]
    if PLUGIN_NAME not in plugins:
        errors.append(CoopError(
            {"filename": str(path), "lineno": 1},
            f'these books do not load the co-op plugin; add the line: plugin "{PLUGIN_NAME}"',
            None,
        ))
    return Loaded(path, entries, errors, options)


def format_error(error: Any) -> str:
    """`file:line: message`, one line, the way bean-check starts its reports."""
    message = " ".join(str(error.message).split())
    return f"{location(error.source)}: {message}"


def includes(loaded: Loaded, target: Path) -> bool:
    """Whether `target` is one of the files the books are loaded from."""
    files = {Path(f).resolve() for f in loaded.options.get("include", [])}
    return Path(target).resolve() in files


def append_checked(loaded: Loaded, target: Path, text: str) -> list[Any]:
    """Append `text` to a file of the books, atomically, and check the books again.

    If they no longer check clean, the file is put back as it was and the errors are
    returned: a command that writes to the books never leaves them worse than it found
    them. Raises OSError if the file cannot be written (nothing is changed then).
    """
    old = atomic_append(target, text)
    after = load_books(loaded.path)
    if after.errors:
        atomic_write(target, old)
    return after.errors
