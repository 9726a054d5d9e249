"""Members signing in to the members' site: passwords set by the treasurer, or a user
name from a reverse proxy the co-op trusts.

    coop password main.beancount Ana          # asks for Ana's password twice

The passwords live in `.coop-passwords` beside the books' main file, one member a line,
`KEY<TAB>HASH`, hashed with werkzeug's scrypt (werkzeug ships with Fava's Flask). The file
is readable by its owner only and git-ignored (the command adds it to the books'
`.gitignore`), so it never enters the books' history. The site reads it again when it
changes: a new or removed password counts at once, and a member whose line is removed is
signed out at their next click.

Repeated failures are slowed: after FREE_FAILURES failed tries from one address, or for
one member, within WINDOW seconds, each further try is refused for twice as long as the
one before (2 s, 4 s, ... up to MAX_WAIT) without the password being looked at.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from coop_beancount.books.files import atomic_write

PASSWORDS_FILE = ".coop-passwords"
GITIGNORE = ".gitignore"

#: werkzeug's scrypt (2^15 rounds, about 0.1 s a check): slow for a guesser by design.
HASH_METHOD = "scrypt"

FREE_FAILURES = 5
WINDOW = 15 * 60.0
MAX_WAIT = 15 * 60.0

# Checked when the member has no password, so an unknown name costs as long as a wrong
# password and the answer's timing does not tell which members have one.
_DUMMY_HASH = generate_password_hash("not a password")


class PasswordsError(Exception):
    """The passwords file cannot be read or written; the message says where and why."""


def passwords_path(books: Path) -> Path:
    return Path(books).resolve().parent / PASSWORDS_FILE


def read_passwords(path: Path) -> dict[str, str]:
    """Member key -> password hash; an absent file is no passwords."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise PasswordsError(f"{path}: cannot be read ({exc})") from None
    hashes: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, tab, hashed = line.partition("\t")
        if not tab or not key or not hashed:
            raise PasswordsError(f"{path}:{number}: not KEY<TAB>HASH; set the member's "
                                 "password again with `coop password` (or delete the line)")
        hashes[key] = hashed
    return hashes


def set_password(path: Path, member: str, password: str | None) -> None:
    """Set (or with None remove) a member's password: written atomically, owner-only,
    and git-ignored beside the books."""
    hashes = read_passwords(path)
    if password is None:
        hashes.pop(member, None)
    else:
        hashes[member] = generate_password_hash(password, method=HASH_METHOD)
    text = "".join(f"{key}\t{hashed}\n" for key, hashed in sorted(hashes.items()))
    atomic_write(path, text.encode("utf-8"), mode=0o600)
    _git_ignore(path)


def _git_ignore(path: Path) -> None:
    ignore = path.parent / GITIGNORE
    old = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
    if path.name in (line.strip().lstrip("/") for line in old.splitlines()):
        return
    separator = "" if not old or old.endswith("\n") else "\n"
    atomic_write(ignore, f"{old}{separator}{path.name}\n".encode())


class Passwords:
    """The passwords file as the site reads it: again whenever it changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._hashes: dict[str, str] = {}

    def hashes(self) -> dict[str, str]:
        try:
            status = os.stat(self.path)
            stamp = (status.st_mtime_ns, status.st_size)
        except FileNotFoundError:
            stamp = (0, 0)
        if stamp != self._stamp:
            self._hashes = read_passwords(self.path)
            self._stamp = stamp
        return self._hashes

    def has(self, member: str) -> bool:
        return member in self.hashes()

    def check(self, member: str, password: str) -> bool:
        hashed = self.hashes().get(member)
        matches = check_password_hash(hashed or _DUMMY_HASH, password)
        return hashed is not None and matches


@dataclass
class _Failures:
    times: list[float] = field(default_factory=list)
    blocked_until: float = 0.0
    wait: float = 1.0


class Throttle:
    """Failed sign-ins counted per address and per member name."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._failures: dict[str, _Failures] = {}

    def wait(self, *keys: str) -> float:
        """Seconds before another try is looked at (0: now)."""
        now = self.clock()
        return max((f.blocked_until - now for key in keys
                    if (f := self._failures.get(key))), default=0.0)

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            record = self._failures.setdefault(key, _Failures())
            record.times = [t for t in record.times if now - t < WINDOW] + [now]
            if len(record.times) > FREE_FAILURES:
                record.wait = min(record.wait * 2, MAX_WAIT)
                record.blocked_until = now + record.wait
            else:
                record.wait = 1.0
        if len(self._failures) > 10_000:  # forget the oldest, so memory stays bounded
            for key in list(self._failures)[:1_000]:
                del self._failures[key]

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
