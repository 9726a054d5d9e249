"""Problems with the files of the books, named at the `include` line that brings them in.

Beancount reports a missing include or an include cycle at `<load>:0`, and stops with a
traceback on an included folder or a file it cannot read; a byte-order mark at the start
of a file comes out as "Invalid token" errors. These turn each into an error at the
`include` line (or the file's first line) that says what to do:

    include "2026.beancount"     ; no file matches it: correct the name, or remove the line
    include "main.beancount"     ; the main file again: a cycle
    include "2026"               ; a folder: include "2026/*.beancount"

Only read when something went wrong: the books' files are scanned for their `include`
lines (a line scan, no parse).
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coop_beancount.core.errors import CoopError

#: An include line as Beancount reads it (a directive starts at the line's first column).
_INCLUDE = re.compile(r'include\s+"((?:[^"\\]|\\.)*)"')
_MISSING = re.compile(r'File glob "(.*)" does not match any files')
_DUPLICATE = re.compile(r'Duplicate filename parsed: "(.*)"')
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Include:
    filename: str
    lineno: int
    pattern: str
    matched: tuple[str, ...]  # normalized absolute paths, in glob's order

    def error(self, message: str) -> CoopError:
        return CoopError({"filename": self.filename, "lineno": self.lineno},
                         f'include "{self.pattern}": {message}', None)


def include_lines(main: Path, contents: Mapping[Path, bytes] | None = None) -> list[Include]:
    """Every `include` line of the books, file by file in the loader's order (the main
    file first, then what it includes, breadth first). A file in `contents` (by its
    resolved path) is read from there, not from disk: the books as a write would leave them."""
    return walk(main, contents)[1]


def book_files(main: Path, contents: Mapping[Path, bytes] | None = None) -> list[str]:
    """The main file and every file it includes, in the loader's order (see `walk`)."""
    return walk(main, contents)[0]


def walk(main: Path, contents: Mapping[Path, bytes] | None = None,
         ) -> tuple[list[str], list[Include]]:
    """(the books' files, their `include` lines): the one walk of the includes, a line scan
    of each file (no parse), following each include as Beancount's loader globs it."""
    replaced = {Path(p).resolve(): content for p, content in (contents or {}).items()}
    files: list[str] = []
    found: list[Include] = []
    seen: set[str] = set()
    queue = [os.path.normpath(os.path.abspath(main))]
    while queue:
        filename = queue.pop(0)
        if filename in seen:
            continue
        seen.add(filename)
        files.append(filename)
        try:
            content = replaced.get(Path(filename).resolve())
            text = (Path(filename).read_bytes() if content is None
                    else content).decode("utf-8", "replace")
        except OSError:
            continue
        folder = os.path.dirname(filename)
        for lineno, line in enumerate(text.splitlines(), 1):
            match = _INCLUDE.match(line)
            if not match:
                continue
            pattern = match.group(1)
            matched = tuple(os.path.normpath(os.path.join(folder, name)) for name in
                            glob.glob(os.path.join(folder, pattern), recursive=True))
            found.append(Include(filename, lineno, pattern, matched))
            queue.extend(matched)
    return files, found


def located(main: Path, errors: list[Any]) -> list[Any]:
    """`errors` with the loader's `<load>:0` include errors moved to their include lines."""
    if not any(_MISSING.match(str(e.message)) or _DUPLICATE.match(str(e.message))
               for e in errors if (e.source or {}).get("filename") == "<load>"):
        return errors
    lines = include_lines(main)
    top = os.path.normpath(os.path.abspath(main))
    out: list[Any] = []
    for error in errors:
        message = str(error.message)
        if (error.source or {}).get("filename") != "<load>":
            out.append(error)
        elif missing := _MISSING.match(message):
            places = [i for i in lines if i.pattern == missing.group(1) and not i.matched]
            out.extend(i.error("no file matches it; correct the name, or remove the line")
                       for i in places)
            out.extend([error] if not places else [])
        elif duplicate := _DUPLICATE.match(message):
            again = os.path.normpath(duplicate.group(1))
            places = [i for i in lines if again in i.matched]
            if again == top:
                out.extend(i.error(f"{os.path.basename(again)} is the main file: including it "
                                   "again is a cycle; remove this line") for i in places)
            else:
                first, later = (places[0], places[1:]) if places else (None, [])
                out.extend(i.error(
                    f"{again} is already a file of the books (included at "
                    f"{first.filename}:{first.lineno}); a file is included once (twice, or "
                    "in a cycle, its entries would count twice): remove this line")
                    for i in later if first is not None)
            out.extend([error] if not places else [])
        else:
            out.append(error)
    return out


def unreadable(main: Path, error: OSError) -> list[CoopError]:
    """The error for a file of the books the loader could not open, at its include line."""
    filename = os.path.normpath(os.path.abspath(error.filename or main))
    if isinstance(error, IsADirectoryError):
        what = f"{filename} is a folder, not a file; include the files in it (like "
    else:
        what = f"{filename} cannot be read ({error.strerror}); "
    places = [i for i in include_lines(main) if filename in i.matched]
    if not places:
        return [CoopError({"filename": filename, "lineno": 0},
                          f"{filename} cannot be read ({error.strerror})", None)]
    return [i.error(what + (f'include "{i.pattern.rstrip("/")}/*.beancount")'
                            if isinstance(error, IsADirectoryError)
                            else "make it readable, or remove the line"))
            for i in places]


def byte_order_marks(files: list[str]) -> list[CoopError]:
    """An error at the first line of each file that starts with a byte-order mark."""
    found = []
    for filename in files:
        try:
            with open(filename, "rb") as handle:
                start = handle.read(len(BOM))
        except OSError:
            continue
        if start == BOM:
            found.append(CoopError(
                {"filename": filename, "lineno": 1},
                "this file starts with a byte-order mark (BOM, the bytes EF BB BF some editors "
                "write first), which Beancount cannot read; save it as UTF-8 without a BOM",
                None))
    return found
