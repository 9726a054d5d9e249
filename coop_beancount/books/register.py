"""Members' private details, in a register beside the books and out of git.

    members-private.csv          (beside main.beancount; mode 0600; in .gitignore)

    member,tin,tin_type,address,email,phone,account
    G1,123-45-6789,SSN,"12 Bog Road, Carver MA 02330",ana@example.org,,G1-0001

Taxpayer numbers, postal addresses, e-mails and phone numbers never go in the books: the
books live in git, and whatever is committed stays in its history, on every clone, for
good. `coop init` makes the register (a header line), readable by its owner only, and
lists it in `.gitignore`; only the commands that print for the tax authority or for one
member read it (`coop notices` for the member's address). `coop check` reports a value in
the books' metadata that looks like a taxpayer number (docs/private-data.md says how to
move one out).
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beancount.core import data

from coop_beancount.core.accounts import is_valid_key
from coop_beancount.core.errors import CoopError

REGISTER_FILE = "members-private.csv"
COLUMNS = ("member", "tin", "tin_type", "address", "email", "phone", "account")
TIN_TYPES = ("SSN", "EIN", "ITIN", "ATIN")
#: 123-45-6789 (SSN, ITIN, ATIN) or 12-3456789 (EIN), or the nine digits alone.
TIN = re.compile(r"^(\d{3}-\d{2}-\d{4}|\d{2}-\d{7}|\d{9})$")
#: Written with dashes inside a longer text: unmistakably a taxpayer number.
TIN_IN_TEXT = re.compile(r"(?<![\d-])(\d{3}-\d{2}-\d{4}|\d{2}-\d{7})(?![\d-])")
#: Metadata keys that say they hold a taxpayer number, whatever the value.
TIN_KEYS = frozenset({"tin", "ssn", "ein", "itin", "atin", "taxid", "tax-id", "tax_id"})
HEADER = ",".join(COLUMNS) + "\n"


class RegisterError(ValueError):
    """A mistake in the register, as `file:line: message`."""


@dataclass(frozen=True)
class PrivateDetails:
    """What the register says of one member."""

    member: str
    tin: str = ""
    tin_type: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    account: str = ""


def register_path(books: Path) -> Path:
    """The register beside the books' main file."""
    return Path(books).parent / REGISTER_FILE


def load_register(path: Path) -> dict[str, PrivateDetails]:
    """Member key -> details; {} when there is no register. RegisterError names the file and
    line of a mistake (an unknown column, a member twice, a malformed TIN)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise RegisterError(f"{path}: cannot read the members' register: {exc}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))  # addresses keep their lines
    unknown = [c for c in reader.fieldnames or () if c not in COLUMNS]
    if reader.fieldnames is None or "member" not in reader.fieldnames or unknown:
        raise RegisterError(
            f"{path}:1: the register's first line names its columns: {', '.join(COLUMNS)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
    found: dict[str, PrivateDetails] = {}
    for row in reader:
        line = reader.line_num
        values = {key: (value or "").strip() for key, value in row.items() if key}
        key = values.get("member", "")
        if not is_valid_key(key):
            raise RegisterError(f"{path}:{line}: {key!r} is not a member key")
        if key in found:
            raise RegisterError(f"{path}:{line}: member {key!r} is in the register twice")
        tin, tin_type = values.get("tin", ""), values.get("tin_type", "").upper()
        if tin and not TIN.match(tin):
            raise RegisterError(f"{path}:{line}: {key}'s TIN is not 9 digits written like "
                                "123-45-6789 (SSN, ITIN) or 12-3456789 (EIN)")
        if tin and tin_type not in TIN_TYPES:
            raise RegisterError(f"{path}:{line}: {key}'s tin_type must be one of "
                                f"{', '.join(TIN_TYPES)}, not {tin_type!r}")
        values["tin_type"] = tin_type
        found[key] = PrivateDetails(**{c: values.get(c, "") for c in COLUMNS})
    return found


def create_register(folder: Path) -> Path:
    """An empty register (its header) in `folder`, readable and writable by its owner only,
    and `.gitignore` listing it (added to an existing one)."""
    path = Path(folder) / REGISTER_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(HEADER)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)  # whatever the umask
    ignore = Path(folder) / ".gitignore"
    lines = ignore.read_text().splitlines() if ignore.exists() else []
    if REGISTER_FILE not in lines:
        lines += ["# Members' private details (TINs, addresses): never in git.", REGISTER_FILE]
        ignore.write_text("\n".join(lines) + "\n")
    return path


def tin_problems(entries: Iterable[data.Directive]) -> list[CoopError]:
    """Metadata in the books that holds a taxpayer number: a key named like one (`tin:`,
    `ssn:`, `ein:`) or a value written like one (123-45-6789, 12-3456789)."""
    errors = []
    for entry in entries:
        if entry.meta.get("coop-generated"):
            continue
        metas: list[tuple[dict[str, Any], dict[str, Any]]] = [(entry.meta, entry.meta)]
        if isinstance(entry, data.Transaction):
            metas += [(p.meta, entry.meta) for p in entry.postings if p.meta]
        for meta, source in metas:
            for key, value in meta.items():
                if key in ("filename", "lineno") or key.startswith("__"):
                    continue
                text = value if isinstance(value, str) else ""
                if key.lower() in TIN_KEYS or TIN_IN_TEXT.search(text):
                    # A posting's own line when its metadata has one, else its transaction's.
                    errors.append(CoopError(
                        meta if "lineno" in meta else source,
                        f"{key}: {_masked(text)} looks like a taxpayer number (SSN, ITIN or "
                        "EIN); the books are kept in git, whose history keeps it for good: "
                        f"move it to {REGISTER_FILE} beside the books (docs/private-data.md) "
                        "and remove it here", None))
    return errors


def _masked(text: str) -> str:
    """The last four digits only, as the IRS truncates a TIN on a recipient's copy."""
    digits = re.sub(r"\D", "", text)
    return f'"***-**-{digits[-4:]}"' if len(digits) >= 4 else "(a value)"
