"""Writing to the books without ever leaving a half-written file.

The new content goes to a temporary file in the same folder, is flushed to
disk, then renamed over the original: a reader (or a crash) sees either the
old file or the new one, never a mix. A crash before the rename can leave the
temporary file behind (`.main.beancount.<random>.tmp`): a hidden file the
books never include, safe to delete.

A file of the books is the user's: written through a symlink, never when read-only, with
its mode kept (`atomic_write`). Writers hold the books' lock (`books.lock`) around the
read, the check and the write.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: Path, content: bytes, mode: int | None = None) -> None:
    """Replace the content of `path` with `content`, whole or not at all.

    The file stays the user's: a symlink is written through (the file it points to gets
    the content, the link stays a link), a read-only file is refused (PermissionError,
    nothing changed), and the file keeps its mode (and, where allowed, its owner), unless
    `mode` is given (0o600 for a secret: never readable by others, not even for a
    moment, as the temporary file is made owner-only).
    """
    path = Path(os.path.realpath(path))
    temporary = _staged(path, content, mode, flush=True)
    try:
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    _sync_folder(path.parent)


def atomic_write_all(files: Iterable[tuple[Path, bytes]], mode: int | None = None,
                     ) -> list[Path]:
    """Write many files, each whole or not at all, as `atomic_write` writes one (through
    symlinks, never over a read-only file, modes kept), with one flush to disk for all of
    them: each goes to a temporary file beside it, then the system writes everything out
    (`os.sync`), then each is renamed, then each folder is synced once. (A flush per file
    made 20,000 notices take 40,000 fsyncs: minutes on a busy disk.) If anything fails,
    the temporary files are removed and the exception raised; files renamed already stay
    written. With `mode`, every file gets it (as `atomic_write`'s). The paths written, in
    order."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, content in files:
            path = Path(os.path.realpath(path))
            staged.append((_staged(path, content, mode, flush=False), path))
        os.sync()
        for temporary, path in staged:
            os.replace(temporary, path)
    except BaseException:
        for temporary, _ in staged:
            if os.path.exists(temporary):
                os.unlink(temporary)
        raise
    for folder in dict.fromkeys(path.parent for _, path in staged):
        _sync_folder(folder)
    return [path for _, path in staged]


def _staged(path: Path, content: bytes, mode: int | None, flush: bool) -> str:
    """`content` in a temporary file beside `path`, with the mode and owner `path` has
    (or `mode`); flushed to disk when `flush`. PermissionError for a read-only `path`."""
    status, mode = _writable(path, mode)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            if flush:
                out.flush()
                os.fsync(out.fileno())
        _give(temporary, mode, status)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return temporary


@dataclass
class Pending:
    """The new content of a file while it is written: `file` (binary, open for writing)
    and its `path` (a hidden temporary file beside the file). Set `keep` to False to
    leave the file as it was."""

    file: BinaryIO
    path: Path
    keep: bool = True


@contextmanager
def atomic_replacement(path: Path, mode: int | None = None) -> Iterator[Pending]:
    """Write the new content of `path` as it comes (never held whole), then put it in the
    file's place in one rename when the block ends, unless it set `keep` False or raised:
    then the file is left as it was and the temporary file removed. `atomic_write` with
    the content streamed: the same checks (read-only refused first), mode and owner kept.
    The block may read `pending.path` (after flushing) to check the content first."""
    path = Path(os.path.realpath(path))
    status, mode = _writable(path, mode)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            pending = Pending(out, Path(temporary))
            yield pending
            if not pending.keep:
                return
            out.flush()
            os.fsync(out.fileno())
        _give(temporary, mode, status)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    _sync_folder(path.parent)


def staging_folder(target: Path) -> Path:
    """A private, hidden folder beside `target` (`.name.<random>`) to build a new folder's
    content in, so that `land_folder` can put it in place whole. OSError when the parent
    cannot be made or written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))


def land_folder(staging: Path, target: Path, last: str | None = None) -> None:
    """What was built in `staging` put in `target`: one rename of the folder when `target`
    does not exist; into an empty folder given, item by item (`last` moved last), so that a
    shell inside it stays inside, and the staging folder removed."""
    if target.exists():
        for item in sorted(staging.iterdir(), key=lambda item: item.name == last):
            os.replace(item, target / item.name)
        staging.rmdir()
    else:
        # mkdtemp makes a private folder; books are shared like any other folder.
        staging.chmod(0o777 & ~_umask())
        os.replace(staging, target)


def _writable(path: Path, mode: int | None) -> tuple[os.stat_result | None, int]:
    """(the file's status, the mode its new content gets); PermissionError when read-only."""
    try:
        status: os.stat_result | None = path.stat()
    except FileNotFoundError:
        status = None
    if status is not None and not status.st_mode & 0o222:
        # Checked by its mode, not os.access: root may write anything, and must not
        # replace what its owner made read-only either.
        raise PermissionError(errno.EACCES, "the file is read-only (make it writable to "
                              "write to it); it was left as it was", str(path))
    if mode is None:
        mode = stat.S_IMODE(status.st_mode) if status else 0o666 & ~_umask()
    return status, mode


def _give(temporary: str, mode: int, status: os.stat_result | None) -> None:
    """The temporary file gets the mode, and the owner of the file it replaces."""
    os.chmod(temporary, mode)
    if status is not None and (status.st_uid, status.st_gid) != _owner(temporary):
        with contextlib.suppress(OSError):  # only root may give a file away
            os.chown(temporary, status.st_uid, status.st_gid)


def _owner(path: str) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_uid, status.st_gid


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _sync_folder(folder: Path) -> None:
    """Make the rename itself survive a power cut (where the system allows it)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still atomic
    finally:
        os.close(handle)


def appended(old: bytes, text: str) -> bytes:
    """`old` with `text` after it, a blank line between them."""
    return old + separator(old[-2:]) + text.encode()


def separator(end: bytes) -> bytes:
    """What goes between a file that ends with `end` (its last two bytes) and what is
    appended to it: a blank line."""
    return b"" if not end or end.endswith(b"\n\n") else (b"\n" if end.endswith(b"\n")
                                                         else b"\n\n")


def atomic_append(path: Path, text: str) -> bytes:
    """Append `text` to `path` atomically; returns the old content."""
    path = Path(path)
    old = path.read_bytes() if path.exists() else b""
    atomic_write(path, appended(old, text))
    return old


def move_whole(source: Path, target: Path) -> None:
    """Move `source` to `target` (its folders made), never over an existing file, and so
    a crash leaves either file whole: a rename on one device; across devices a copy into
    a hidden temporary file beside `target`, flushed, then linked to its name, and only
    then the source deleted (`shutil.move` copies straight to `target`, so a crash
    mid-copy would leave half a document under its name)."""
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise FileExistsError(errno.EEXIST, "already exists", str(target))
    try:
        os.rename(source, target)
        return
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                         dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out, open(source, "rb") as original:
            shutil.copyfileobj(original, out)
            out.flush()
            os.fsync(out.fileno())
        shutil.copystat(source, temporary)
        try:
            os.link(temporary, target)  # unlike a rename, refuses to replace a file
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links (FAT on a USB stick)
            if target.exists():
                raise FileExistsError(errno.EEXIST, "already exists", str(target)) from None
            os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    _sync_folder(target.parent)
    os.unlink(source)
