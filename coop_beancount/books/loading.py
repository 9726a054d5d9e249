"""Loading a co-op's books from disk for the `coop` command.

The only place the command reads a ledger: Beancount's loader, plus the checks
that the books are co-op books at all (the coop plugin is loaded). A command
that writes to the books first loads them with the file's new content in its
place (`replaced`), and writes only if that checks clean.
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from beancount import loader
from beancount.core import data
from beancount.ops import validation
from beancount.parser import booking, parser
from beancount.parser import options as beancount_options
from beancount.utils import encryption

from coop_beancount.books.collector import keep, kept_out
from coop_beancount.books.files import appended, atomic_replacement, atomic_write, separator
from coop_beancount.books.includes import book_files, byte_order_marks, located, unreadable
from coop_beancount.books.lock import holds_lock
from coop_beancount.books.printing import aligned
from coop_beancount.books.quick_loads import quick_beancount
from coop_beancount.core.errors import CoopError, location, too_many_digits

PLUGIN_NAME = "coop_beancount.plugins.coop"


@dataclass(frozen=True)
class Loaded:
    path: Path
    entries: list[Any]
    errors: list[Any]
    options: dict[str, Any]


def load_books(path: str | os.PathLike[str],
               replaced: Mapping[Path, bytes | Path] | None = None) -> Loaded:
    """Load a ledger with its plugins; every problem ends up in `errors`.

    `replaced` maps files of the books to the content to load in their place
    (what a file would hold after a write), as bytes or as the path of a file that holds
    it (a write's temporary file): the files on disk are not touched, and errors point at
    the file and its lines as if the content were written.
    """
    path = Path(path)
    try:
        # Without the collector's full passes over the entries being made (about 40% of
        # Beancount's own load time on large books): see books/collector.py; and with
        # quick equivalents of Beancount's balance check and pad (books/quick_loads.py).
        with kept_out(), quick_beancount():
            if replaced:
                entries, errors, options = _load_replacing(path, replaced)
            else:
                entries, errors, options = loader.load_file(str(path))
    except ArithmeticError as error:
        # Beancount's booking stops with an exception, not an error, on a number longer
        # than Decimal's 28 digits: find the number, so the message says where it is.
        return Loaded(path, [], _unbookable(path, replaced or {}, error), {})
    except OSError as error:
        # An included folder, or a file that cannot be read: the loader stops with the
        # exception; say so at the include line.
        return Loaded(path, [], unreadable(path, error), {})
    errors = list(errors)
    if errors:
        errors = byte_order_marks(options.get("include", [])) + located(path, errors)
    plugins = [name for name, _ in options.get("plugin", [])]
    if PLUGIN_NAME not in plugins:
        errors.append(CoopError(
            {"filename": str(path), "lineno": 1},
            f'these books do not load the co-op plugin; add the line: plugin "{PLUGIN_NAME}"',
            None,
        ))
    # Held to the end of a `coop` command (books/collector.py): nothing to take apart.
    return keep(Loaded(path, entries, errors, options))


def format_error(error: Any) -> str:
    """`file:line: message`, one line, the way bean-check starts its reports."""
    message = " ".join(str(error.message).split())
    return f"{location(error.source)}: {message}"


def includes(loaded: Loaded, target: Path) -> bool:
    """Whether `target` is one of the files the books are loaded from."""
    files = {Path(f).resolve() for f in loaded.options.get("include", [])}
    return Path(target).resolve() in files


def member_names(path: str | os.PathLike[str]) -> dict[str, str]:
    """Member key -> name from the books' `coop-member` lines.

    The files are parsed, not loaded (no plugins, no booking), so this is quick
    enough for shell completion on large books; errors are left to `coop check`.
    """
    entries, _, _, _ = _parse_books(os.path.abspath(path), {})
    names = {}
    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type == "coop-member" and entry.values:
            key, *rest = (value.value for value in entry.values)
            if isinstance(key, str):
                names[key] = rest[0] if rest and isinstance(rest[0], str) else ""
    return names


def append_checked(loaded: Loaded, target: Path, text: str) -> list[Any]:
    """Append `text` to a file of the books, only if the books then check clean.

    `text` is aligned the way bean-format aligns a file (`printing.aligned`); the file's
    own lines are left as they are.

    The books are loaded with the file's new content in its place; if they would not
    check clean, nothing is written and the errors are returned. Otherwise the new
    content replaces the file in one atomic write: a command that writes to the books
    never leaves them worse than it found them, even if it is killed halfway. Raises
    OSError if the file cannot be read or written (nothing is changed then). The caller
    holds the books' write lock (`books_locked`) from before it loaded `loaded`.
    """
    return replace_checked(loaded, target, (), text)


def replace_checked(loaded: Loaded, target: Path, removed: Iterable[int], text: str,
                    ) -> list[Any]:
    """Take the entries that start on the lines `removed` out of a file of the books and
    append `text`, only if the books then check clean (as `append_checked`, which is this
    with nothing removed): one atomic write, or none and the errors returned. The caller
    holds the books' write lock, as for `append_checked`."""
    _require_lock(loaded.path)
    target = Path(target)
    new = appended(without_entries(target.read_bytes(), set(removed)), aligned(text))
    after = load_books(loaded.path, replaced={target: new})
    if not after.errors:
        atomic_write(target, new)
    return after.errors


def append_streamed(books: Path, target: Path, write: Callable[[BinaryIO], None],
                    ) -> list[Any]:
    """`append_checked` for text too big to hold: `write` writes the (aligned) text to the
    file it is given, which is the end of the target's new content in a temporary file
    beside it; the books are then loaded with that file in the target's place, and it
    replaces the target (one rename) only if they check clean. Else nothing is written and
    the errors are returned. Nothing of the old or new content is held in memory, so the
    caller should let go of its own loaded books first: this load is the write's peak. The
    caller holds the books' write lock, as for `append_checked`."""
    _require_lock(books)
    target = Path(target)
    with atomic_replacement(target) as pending, open(target, "rb") as old:
        shutil.copyfileobj(old, pending.file, 1 << 20)
        old.seek(max(old.tell() - 2, 0))
        pending.file.write(separator(old.read()))
        write(pending.file)
        pending.file.flush()
        errors = load_books(books, replaced={target: pending.path}).errors
        pending.keep = not errors
    return errors


def written_entries(path: Path) -> list[Any]:
    """The entries of every file of the books as they are written, each with its file and
    line: no plugin, no booking (what `coop close-year` keeps or drops line by line)."""
    entries, _, _, _ = _parse_books(str(path), {})
    return entries


def _require_lock(books: Path) -> None:
    if not holds_lock(books):
        # A programming error, not a user's: without the lock a second writer could read
        # the books between this load and the rename, and one write would be lost.
        raise RuntimeError(f"a write to the books without the write lock of {books} "
                           "(take it with books.lock.books_locked before loading)")


def without_entries(content: bytes, starts: set[int]) -> bytes:
    """`content` without the entries that start on the lines `starts` (1 is the first line):
    each is its line and the indented lines under it (metadata, postings), and a blank line
    right after it (so that removed blocks leave no run of blank lines)."""
    if not starts:
        return content
    kept = []
    inside = False
    for number, line in enumerate(content.splitlines(keepends=True), 1):
        if number in starts:
            inside = True
            continue
        if inside and line[:1] in (b" ", b"\t") and line.strip():
            continue
        if inside and not line.strip():
            inside = False
            continue
        inside = False
        kept.append(line)
    return b"".join(kept)


# ---- loading with a file's content replaced ---------------------------------------------------
# Beancount's loader reads every file from disk. These mirror its `_load` and
# `_parse_recursive` (beancount 3.2, loader.py) step by step, with one difference: a file
# named in `replaced` is parsed from the given bytes, under its own name. The steps after
# parsing are the loader's own public functions, so the plugins, booking and validation
# are exactly those of `loader.load_file`.

def _identity(filename: str) -> tuple[int, int] | None:
    try:
        status = os.stat(filename)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _load_replacing(path: Path, replaced: Mapping[Path, bytes | Path],
                    ) -> tuple[list, list, dict]:
    # By the file itself (device and inode), not its name: a symlink or another spelling
    # of the path must not let the check read the old content.
    contents = {_identity(str(p)): content for p, content in replaced.items()}
    if None in contents:
        raise FileNotFoundError(f"cannot check a write to a file that does not exist: "
                                f"{', '.join(map(str, replaced))}")
    filename = os.path.expandvars(os.path.expanduser(str(path)))
    filename = os.path.normpath(os.path.join(os.getcwd(), filename))
    entries, errors, options_map, used = _parse_books(filename, contents)
    if used != set(contents):
        raise ValueError(f"{', '.join(map(str, replaced))} is not a file of {path}")
    entries.sort(key=data.entry_sortkey)
    entries, booking_errors = booking.book(entries, options_map)
    errors.extend(booking_errors)
    saved_path = list(sys.path)
    try:
        sys.path[0:0] = options_map.get("pythonpath", [])
        entries, errors = loader.run_transformations(entries, errors, options_map, None)
    finally:
        sys.path[:] = saved_path
    errors.extend(validation.validate(entries, options_map, None, None))
    return entries, errors, options_map


def _parse_books(top: str, contents: Mapping[Any, bytes | Path],
                 ) -> tuple[list, list, dict, set]:
    """Every file of the books parsed, following includes; and which replacements were used."""
    with contextlib.ExitStack() as stack_files:
        return _parse_each(top, contents, stack_files)


def _parse_each(top: str, contents: Mapping[Any, bytes | Path],
                stack_files: contextlib.ExitStack) -> tuple[list, list, dict, set]:
    entries: list[Any] = []
    errors: list[Any] = []
    options_map = None
    others = []
    seen: set[str] = set()
    used = set()
    stack = [top]
    while stack:
        filename = stack.pop(0)
        if filename in seen:
            errors.append(loader.LoadError(data.new_metadata("<load>", 0),
                                           f'Duplicate filename parsed: "{filename}"'))
            continue
        if not os.path.exists(filename):
            errors.append(loader.LoadError(data.new_metadata("<load>", 0),
                                           f'File "{filename}" does not exist'))
            continue
        seen.add(filename)
        identity = _identity(filename)
        if identity in contents:
            used.add(identity)
            content = contents[identity]
            source = (io.BytesIO(content) if isinstance(content, bytes)
                      # (closed by the ExitStack when every file is parsed)
                      else stack_files.enter_context(open(content, "rb")))  # noqa: SIM115
        elif encryption.is_encrypted_file(filename):
            source = io.BytesIO(encryption.read_encrypted_file(filename).encode())
        else:
            source = filename
        file_entries, file_errors, file_options = parser.parse_file(
            source, report_filename=filename if source is not filename else None)
        entries.extend(file_entries)
        errors.extend(file_errors)
        if options_map is None:
            options_map = file_options
        else:
            others.append(file_options)
        folder = os.path.dirname(filename)
        for include in file_options["include"]:
            matched = glob.glob(os.path.join(folder, include), recursive=True)
            if not matched:
                errors.append(loader.LoadError(data.new_metadata("<load>", 0),
                                               f'File glob "{include}" does not match any files'))
            stack.extend(os.path.normpath(os.path.join(folder, m)) for m in matched)
    if options_map is None:
        options_map = beancount_options.OPTIONS_DEFAULTS.copy()
    options_map["include"] = sorted(seen)
    return entries, errors, loader.aggregate_options_map(options_map, others), used


# ---- books Beancount cannot book ---------------------------------------------------------------

#: A number as the ledger writes it (outside strings and comments): 1,234.56 or -20.
_NUMBER = re.compile(r"(?<![\w.:-])-?\d[\d,]*(?:\.\d*)?(?![\w-])")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _unbookable(path: Path, replaced: Mapping[Path, bytes | Path], error: ArithmeticError,
                ) -> list[CoopError]:
    """Where the numbers too long for Beancount's arithmetic are, as errors at their lines."""
    contents = {Path(p).resolve(): content if isinstance(content, bytes)
                else Path(content).read_bytes() for p, content in replaced.items()}
    found = []
    for filename in book_files(path, contents):
        text = contents.get(Path(filename).resolve())
        try:
            if text is None:
                text = Path(filename).read_bytes()
        except OSError:
            continue
        for lineno, line in enumerate(text.decode("utf-8", "replace").splitlines(), 1):
            code = _STRING.sub('""', line).split(";", 1)[0]
            for token in _NUMBER.findall(code):
                try:
                    problem = too_many_digits(Decimal(token.replace(",", "")))
                except ArithmeticError:
                    continue
                if problem:
                    found.append(CoopError({"filename": filename, "lineno": lineno},
                                           f"Beancount cannot book this number: {problem}", None))
    return found or [CoopError(
        {"filename": str(path), "lineno": 0},
        f"Beancount stopped loading these books on a calculation it cannot make "
        f"({type(error).__name__}); look for a number with more than 28 digits", None)]
