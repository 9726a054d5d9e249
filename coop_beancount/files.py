"""Writing to the books without ever leaving a half-written file.

The new content goes to a temporary file in the same folder, is flushed to
disk, then renamed over the original: a reader (or a crash) sees either the
old file or the new one, never a mix.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, content: bytes) -> None:
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def atomic_append(path: Path, text: str) -> bytes:
    """Append `text` to `path` atomically; returns the old content (for a rollback)."""
    path = Path(path)
    old = path.read_bytes() if path.exists() else b""
    separator = b"" if not old or old.endswith(b"\n\n") else (b"\n" if old.endswith(b"\n")
                                                              else b"\n\n")
    atomic_write(path, old + separator + text.encode())
    return old
