"""Knowing what is imported already: an id on every imported row, duplicates found in O(n + m).

Every entry an importer writes carries the id of the row it came from::

    2025-12-15 * "CHLOE NGUYEN" "December dues"
      import-id: "9b1c0e53d4f2a8e61c07"
      Assets:Bank:Checking            5.00 USD
      Assets:Members:Chloe:Dues      -5.00 USD

The id is a hash of what identifies the row (for a bank statement: the account, the date,
the amount, the reference and description, or the bank's own transaction id when the export
has one) and of the row's occurrence among identical rows of the same file. So the same row
read from two overlapping statements gets the same id, and two genuinely identical payments
on one day (two 5.00 USD dues from one member) are occurrences 0 and 1, get two ids, and both
import. (A statement is assumed to hold whole days, as banks cut them.) The id
stays on the entry when the bookkeeper edits it: a changed account, a split into three
postings, a new narration, even a changed date do not make the row importable again.

Finding duplicates (`mark_duplicates`):

1. An extracted entry whose `import-id` is on an existing entry is a duplicate: one set
   built from the existing entries, one lookup per new entry.
2. Books written by hand before the importers were used have no ids. For them, and only
   for existing entries without an `import-id`, the fallback is an index: a count of
   (date, account, amount) over their postings (of (date, type, values) for `custom`
   directives, of (date, account, amount) for balance assertions). A new transaction whose
   first posting (the statement's account) is in that index, on the same day or else up to
   two days apart, is a duplicate, and uses up one count, so one hand-written payment hides
   one imported row, not two. Exact-day matches are taken for all rows first, so a nearby
   day never steals another row's exact match.

Why not beangulp's default (`Importer.deduplicate` with `similar.heuristic_comparator`):
it compares every new entry with every existing entry within two days of it, building each
side's amounts per account, so its cost is rows x (entries in five days). Measured here on
books of 100,000 transactions (50 a day): 5,000 statement rows took 123 s, so a 100,000-row
statement would take about 40 minutes; `mark_duplicates` takes under a second for all
100,000. It is also wrong in two ways that matter here: it calls two different payments of
one amount a few days apart that both wait on the placeholder (two 5.00 USD transfers nobody
matched yet) duplicates, so a real payment is hidden; and it misses a duplicate once the
bookkeeper has replaced the placeholder `Expenses:Unknown` leg (one entry's accounts must be
a subset of the other's), so the row comes back. The id has neither problem. (The fallback
for hand-written books, step 2, is as blunt as beangulp's on amounts and days: it is the
bridge to the first import, after which every imported entry has its id.)
"""

from __future__ import annotations

import datetime
import hashlib
import unicodedata
from collections.abc import Hashable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from beancount.core import data

#: The metadata key of a row's id on every imported entry.
IMPORT_ID = "import-id"
#: beangulp's marker of a duplicate (extract prints such entries commented out).
DUPLICATE = "__duplicate__"
#: Where the duplicate's original is, "file:line", when known (private: never printed).
DUPLICATE_OF = "__duplicate_of__"
#: How many days apart a hand-written entry may be dated from the bank's row.
WINDOW_DAYS = 2



def normalize(part: object) -> str:
    """One part of a row's identity as text that does not change between two exports."""
    if type(part) is str:  # the common case first: a statement row is mostly text
        if not part:
            return ""
        if not part.isascii():
            part = unicodedata.normalize("NFC", part)
        return " ".join(part.split()).casefold()
    if part is None:
        return ""
    if isinstance(part, Decimal):
        # 5, 5.0 and 5.00 are one amount; -0 is 0.
        return "0" if part == 0 else format(part.normalize(), "f")
    if isinstance(part, datetime.date):
        return part.isoformat()
    return normalize(str(part))


def import_id(*parts: object) -> str:
    """The stable id of a row: a hash of its normalized identifying parts.

    >>> import_id("Assets:Bank:Checking", datetime.date(2025, 12, 15), Decimal("5.00"),
    ...           "December dues", 0) == import_id("Assets:Bank:Checking",
    ...           datetime.date(2025, 12, 15), Decimal("5"), "  december   DUES", 0)
    True
    """
    return _hash(tuple(map(normalize, parts)))


def _hash(normalized: tuple[str, ...]) -> str:
    return _id_of("\x1f".join(normalized))


def _id_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


class RowIds:
    """Ids for the rows of one file, counting identical rows: 0 for the first, 1, 2 ...

    Call it once per row, in file order, with the row's identifying parts. What it keeps
    of a row is an 8-byte digest of its parts (not the parts: a statement of a million
    rows would hold them all), enough to count identical rows.
    """

    def __init__(self) -> None:
        self._seen: dict[bytes, int] = {}

    def __call__(self, *parts: object) -> str:
        text = "\x1f".join(map(normalize, parts))
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
        occurrence = self._seen.get(digest, 0)
        self._seen[digest] = occurrence + 1
        return _id_of(f"{text}\x1f{occurrence}")


def _where(entry: Any) -> str | None:
    if isinstance(entry, str):  # an entry of this import, remembered by its place
        return entry
    meta = getattr(entry, "meta", None) or {}
    if meta.get("filename") is None or meta.get("lineno") is None:
        return None
    return f"{meta['filename']}:{meta['lineno']}"


def _custom_key(entry: data.Custom) -> Hashable:
    values = tuple(getattr(value, "value", value) for value in entry.values or ())
    return ("custom", entry.date, entry.type, values)


def _fallback_key(entry: Any, date: datetime.date) -> Hashable | None:
    """The key a new entry is looked up with in the index of hand-written entries."""
    if isinstance(entry, data.Transaction) and entry.postings:
        units = entry.postings[0].units
        if units is not None and isinstance(units.number, Decimal):
            return (date, entry.postings[0].account, units.number, units.currency)
    if isinstance(entry, data.Balance):
        return ("balance", date, entry.account, entry.amount.number, entry.amount.currency)
    if isinstance(entry, data.Custom):
        return _custom_key(entry._replace(date=date))
    return None


class Index:
    """The existing entries as keys: their ids, and counts of the hand-written ones' keys.

    Only what a new entry can be looked up by is counted: postings to `accounts`, balance
    assertions of `accounts`, `custom` directives of `types`, dated from `low` to `high`.
    The books' other entries cost one comparison each. Built once from the books, it then
    answers for new entries one at a time (`original`, `may_be_near`, `near`), so a
    statement's entries need not be held together to find their duplicates.
    """

    def __init__(self, existing: Iterable[Any], accounts: set[str], types: set[str],
                 low: datetime.date = datetime.date.min,
                 high: datetime.date = datetime.date.max,
                 window_days: int = WINDOW_DAYS) -> None:
        #: import-id -> the existing entry with it (or, for an entry of this import,
        #: where it was read: `remember`)
        self.ids: dict[str, Any] = {}
        #: key -> [hand-written entries left with this key, the first of them]
        self.slots: dict[Hashable, list[Any]] = {}
        self.window_days = window_days
        for entry in existing:
            meta = entry.meta
            known = meta.get(IMPORT_ID) if meta else None
            if known is not None:
                self.ids.setdefault(known, entry)
                continue
            date = entry.date
            if date < low or date > high:
                continue
            if isinstance(entry, data.Transaction):
                keys = [(date, posting.account, posting.units.number, posting.units.currency)
                        for posting in entry.postings
                        if posting.account in accounts and posting.units is not None
                        and isinstance(posting.units.number, Decimal)]
                # One entry counts once per account and amount, however many postings.
                for key in (set(keys) if len(keys) > 1 else keys):
                    self._add(key, entry)
            elif isinstance(entry, data.Balance) and entry.account in accounts:
                self._add(("balance", date, entry.account, entry.amount.number,
                           entry.amount.currency), entry)
            elif isinstance(entry, data.Custom) and entry.type in types:
                self._add(_custom_key(entry), entry)

    @classmethod
    def around(cls, existing: Iterable[Any], new_entries: Sequence[Any],
               window_days: int = WINDOW_DAYS) -> Index:
        """The index for these new entries: their accounts and types, their days and the
        window around them."""
        accounts: set[str] = set()
        types: set[str] = set()
        for entry in new_entries:
            if isinstance(entry, data.Transaction) and entry.postings:
                accounts.add(entry.postings[0].account)
            elif isinstance(entry, data.Balance):
                accounts.add(entry.account)
            elif isinstance(entry, data.Custom):
                types.add(entry.type)
        window = datetime.timedelta(days=window_days)
        dates = [entry.date for entry in new_entries]
        if not dates:
            return cls(existing, accounts, types, datetime.date.max, datetime.date.min)
        return cls(existing, accounts, types, min(dates) - window, max(dates) + window,
                   window_days)

    def _add(self, key: Hashable, entry: Any) -> None:
        slot = self.slots.get(key)
        if slot is None:
            self.slots[key] = [1, entry]
        else:
            slot[0] += 1

    def take(self, key: Hashable | None) -> Any | None:
        """Use up one hand-written entry with this key; the entry, or None if none is left."""
        slot = self.slots.get(key) if key is not None else None
        if slot is None or slot[0] <= 0:
            return None
        slot[0] -= 1
        return slot[1]

    def original(self, entry: Any) -> Any | None:
        """The entry's original by its import-id, or else a hand-written entry of its day
        (used up); None when it has neither."""
        known = entry.meta.get(IMPORT_ID)
        original = self.ids.get(known) if known is not None else None
        if original is None:
            original = self.take(_fallback_key(entry, entry.date))
        return original

    def may_be_near(self, entry: Any) -> bool:
        """Whether a hand-written transaction is left on a nearby day (within the window)
        for this one: only such an entry is looked for there (`near`), after every exact
        day has had its match."""
        if not isinstance(entry, data.Transaction):
            return False  # balances and records: their own day only
        for days in range(1, self.window_days + 1):
            for offset in (-days, days):
                slot = self.slots.get(_fallback_key(
                    entry, entry.date + datetime.timedelta(days=offset)))
                if slot is not None and slot[0] > 0:
                    return True
        return False

    def near(self, entry: Any, offset: int) -> Any | None:
        """Use up a hand-written entry `offset` days from this one's; None if none is left."""
        return self.take(_fallback_key(entry, entry.date + datetime.timedelta(days=offset)))

    def remember(self, entry: Any) -> None:
        """Count a new entry as existing (for the later files of one import), by its id and
        where it was read: the entry itself is not kept."""
        known = entry.meta.get(IMPORT_ID)
        if known is not None:
            self.ids.setdefault(known, _where(entry) or "this import")


def mark(entry: Any, original: Any) -> None:
    """Mark `entry` a duplicate of `original` (an entry, or where it is: "file:line")."""
    entry.meta[DUPLICATE] = True
    where = _where(original)
    if where:
        entry.meta[DUPLICATE_OF] = where


def mark_nearby(index: Index, pending: Sequence[Any]) -> list[Any]:
    """Of the entries with no original on their own day, mark those with a hand-written
    entry on the nearest day in the window, nearest first, each day tried for all of them
    before the next (-1, +1, -2, +2); returns those marked."""
    found = []
    for days in range(1, index.window_days + 1):
        for offset in (-days, days):
            still = []
            for entry in pending:
                original = index.near(entry, offset)
                if original is None:
                    still.append(entry)
                else:
                    mark(entry, original)
                    found.append(entry)
            pending = still
    return found


def mark_duplicates(new_entries: Sequence[Any], existing: Iterable[Any] | None,
                    window_days: int = WINDOW_DAYS) -> list[Any]:
    """Mark the new entries already in `existing`; return them (marked in place).

    Sets `meta["__duplicate__"] = True` (and `__duplicate_of__`, "file:line", when the
    original has a place) on each duplicate. See the module docstring for the rules.
    """
    index = Index.around(existing or (), new_entries, window_days)
    found: set[int] = set()
    pending = []
    for entry in new_entries:
        # Hand-written books: the same day first, for every row ...
        original = index.original(entry)
        if original is not None:
            mark(entry, original)
            found.add(id(entry))
        elif index.may_be_near(entry):
            pending.append(entry)
    # ... then the nearest day in the window (balances and records: their own day only).
    found.update(id(entry) for entry in mark_nearby(index, pending))
    return [entry for entry in new_entries if id(entry) in found]
