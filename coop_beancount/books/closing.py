"""Splitting the books at a fiscal year's end: `coop close-year`.

    coop close-year main.beancount --year 2024 --out ../books-2025

The new books start on the first day of fiscal year 2025. They are the same files, less the
history up to 2024-12-31, plus one file the command writes, `opening-2025-01-01.beancount`:

    2024-12-31 * "Opening balances: the books to the end of fiscal year 2024"
      Assets:Bank:Checking                      51234.56 USD
      Equity:Members:G1:Shares:Member           -1000.00 USD
      Equity:Members:G1:Allocated:FY2024        -1811.02 USD
      Equity:Earnings:Closed:FY2024           -92200.00 USD
      ...

and the plugin line gains `'start': '2025-01-01'` (books/config.py), so the plugin derives
nothing before it and reads what each member paid in and was allocated, by fiscal year, from
the opening entry. What is kept, dropped or carried:

* kept: the co-op's directives still in force, whatever their date (members and leaves,
  share classes, subscriptions, dues schedules, split keys, measures, retains, consents,
  clients, rates, fees, private keys, the site's policy, backup withholding, retail
  prices), `open`, `close`, `commodity`, `price`, `event`, `query` and non-co-op `custom`
  lines, and every entry dated on or after the start;
* dropped (its effect is in the opening balances): transactions, balances, pads, notes,
  documents and the co-op's records (hours, patronage, non-member business, work,
  invoices, allocations, redemptions, qualified checks) dated up to the cut;
* carried: a decision for a closed fiscal year dated after the cut (the board decides in
  the next year) reads its margin and patronage from the closed year, which the new books
  do not hold: the entries the plugin made from it are written into the opening file, as
  it made them, and the decision's own lines are commented out where they were.

The rule for a year still to be decided: the command refuses to close a fiscal year in
which a pool the co-op allocates (a pool some `coop-allocation` names) has no decision, or
has a draft one; decide it first (it may be dated after the cut), or close the year before.
It refuses books with payout schedules or interest on capital begun before the cut, and
work invoiced after the cut for a client with work before it: those rules read history
the opening balances do not carry (not yet supported).

Nothing is written unless the new books check clean and every account ends with the
balance it has in the closed books (income and expenses up to the cut closed to the
earnings account): they are written into a new folder, which appears whole or not at all.
"""

from __future__ import annotations

import ast
import datetime
import glob
import os
import re
import shutil
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount.core import convert, data, inventory
from beancount.core.amount import Amount

from coop_beancount.books.config import ConfigError, PluginConfig, parse_config
from coop_beancount.books.files import land_folder, staging_folder
from coop_beancount.books.loading import (
    PLUGIN_NAME,
    Loaded,
    format_error,
    load_books,
    written_entries,
)
from coop_beancount.books.printing import aligned, entries_text
from coop_beancount.core.accounts import MemberChart

#: The co-op directives that state what is in force: kept whatever their date.
IN_FORCE = frozenset({
    "coop-member", "coop-leave", "coop-share-class", "coop-subscription", "coop-dues",
    "coop-split-key", "coop-measure", "coop-retain", "coop-consent", "coop-client",
    "coop-rate", "coop-fee", "coop-private", "coop-site", "coop-backup-withholding",
    "coop-retail-price",
})
#: The co-op directives whose rules read history the opening cannot carry (yet).
UNSUPPORTED = {
    "coop-payout": "a payout schedule pays a leaver's equity from what it was at the leave",
    "coop-interest": "interest on capital is worked out from each year's equity history",
}
#: Entries that are history: dropped up to the cut, their effect in the opening balances.
HISTORY = (data.Transaction, data.Balance, data.Pad, data.Note, data.Document)
#: Decisions and qualified checks name the fiscal year they belong to: the value's index.
BY_YEAR = {"coop-allocation": 0, "coop-check-cashed": 1}


class CloseError(Exception):
    """Why the year cannot be closed; nothing was written."""


@dataclass(frozen=True)
class Closed:
    main: Path
    start: datetime.date
    files: list[str]
    carried: int
    opening_postings: int


def close_year(books: Path, year: int, out: Path) -> Closed:
    """Write the books from the first day of fiscal year `year + 1` into `out` (a folder
    that does not exist, or is empty). CloseError, with nothing written, when it cannot."""
    given, out = out, Path(os.path.abspath(out))
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CloseError(f"{out} already exists and is not empty; choose a new folder")
    loaded = load_books(books)
    if loaded.errors:
        raise CloseError(_errors_text(f"{books} does not check clean", loaded.errors)
                         + f"; fix them first (coop check {books})")
    main = Path(loaded.options["filename"])
    config_text, config = _plugin_config(loaded)
    calendar = config.fiscal_year
    start = calendar.start(year + 1)
    cut = calendar.end(year)
    if config.start is not None and cut < config.start:
        raise CloseError(f"these books start on {config.start}; fiscal year {year} is not in "
                         "them")
    if config.as_of < cut:
        raise CloseError(f"fiscal year {year} ends on {cut}, after the plugin's as_of "
                         f"({config.as_of}); close a year that has ended")
    raw = written_entries(main)
    _refusals(raw, year, cut, start)
    folder = main.parent
    files = loaded.options["include"]
    outside = [f for f in files if not Path(f).resolve().is_relative_to(folder.resolve())]
    if outside:
        raise CloseError(f"{outside[0]} is outside the folder of {main.name}; the new books "
                         "keep the same layout, so move it beside the main file first")

    closed_sources = {(e.meta["filename"], e.meta["lineno"]) for e in raw
                      if isinstance(e, data.Custom) and e.type in BY_YEAR
                      and _fiscal_year(e) is not None and _fiscal_year(e) <= year}
    dropped: dict[str, set[int]] = defaultdict(set)
    commented: dict[str, set[int]] = defaultdict(set)
    kept_files: set[str] = {str(main)}
    for entry in raw:
        filename, lineno = entry.meta["filename"], entry.meta["lineno"]
        if (filename, lineno) in closed_sources:
            (dropped if entry.date <= cut else commented)[filename].add(lineno)
        elif (entry.date <= cut and _is_history(entry)) or (
                isinstance(entry, data.Balance) and entry.date == start):
            # (A balance line on the first day checks the closed year's last: history.)
            dropped[filename].add(lineno)
        else:
            kept_files.add(filename)
    kept_files |= _including(files, kept_files)

    chart = MemberChart.from_options(loaded.options)
    # Not the earnings account the decisions draw on: its balance (and any balance line
    # the treasurer wrote for it) stays what it is, and the closed margin stays visible.
    earnings = f"{chart.equity}:Earnings:Closed:FY{year}"
    conversions = f"{chart.equity}:{loaded.options['account_previous_conversions']}"
    carried = [e for e in loaded.entries if isinstance(e, data.Transaction)
               and e.date >= start and "coop-generated" in e.meta
               and (e.meta.get("filename"), e.meta.get("lineno")) in closed_sources]
    opening = _opening(loaded.entries, cut, chart, earnings, conversions, year)
    opening_name = f"opening-{start}.beancount"
    if (folder / opening_name).exists():
        raise CloseError(f"{folder / opening_name} exists already; rename it")
    opening_text = _opening_text(loaded, raw, opening, carried, year, books)

    texts: dict[str, bytes] = {}
    for filename in files:
        if filename not in kept_files:
            continue
        content = Path(filename).read_bytes()
        content = _rewritten(content, dropped.get(filename, set()),
                             commented.get(filename, set()))
        content = _includes(content, Path(filename).parent, kept_files)
        if filename == str(main):
            content = _main_text(content, config_text, start, opening_name)
        texts[os.path.relpath(filename, folder)] = content
    texts[opening_name] = opening_text.encode()

    staging = _stage(out, texts)
    try:
        new_main = staging / os.path.relpath(main, folder)
        new = load_books(new_main)
        if new.errors:
            # Where each error would be once written, not in the staging folder.
            text = _errors_text("the new books would not check clean", new.errors)
            raise CloseError(text.replace(str(staging), str(given)) + "; nothing was written")
        differences = _differences(loaded.entries, new.entries, cut, chart, earnings,
                                   conversions)
        if differences:
            raise CloseError("the new books would not end with the balances of these ones ("
                             + "; ".join(differences[:5]) + "); nothing was written")
        _land(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Closed(given / os.path.relpath(main, folder), start, sorted(texts), len(carried),
                  len(opening.postings))


def _including(files: list[str], kept: set[str]) -> set[str]:
    """The files whose include lines lead to a kept file (a file of nothing but includes,
    `years.beancount`, is kept for them)."""
    including: set[str] = set()
    changed = True
    while changed:
        changed = False
        for filename in files:
            if filename in kept or filename in including:
                continue
            folder = Path(filename).parent
            for line in Path(filename).read_bytes().splitlines():
                match = _INCLUDE.match(line)
                if match and any(f in kept or f in including
                                 for f in _matches(folder, match.group(1))):
                    including.add(filename)
                    changed = True
                    break
    return including


def _matches(folder: Path, pattern: bytes) -> list[str]:
    return [os.path.normpath(f) for f in
            glob.glob(os.path.join(folder, pattern.decode()), recursive=True)]


def _plugin_config(loaded: Loaded) -> tuple[str, PluginConfig]:
    for name, text in loaded.options.get("plugin", ()):
        if name == PLUGIN_NAME:
            try:
                return text or "", parse_config(text)
            except ConfigError as exc:  # a clean load has a good config: belt and braces
                raise CloseError(str(exc)) from None
    raise CloseError(f'the books do not load the plugin "{PLUGIN_NAME}"')


def _fiscal_year(entry: data.Custom) -> int | None:
    value = _value(entry, BY_YEAR.get(entry.type, 0))
    return int(value) if isinstance(value, Decimal) and value == value.to_integral() else None


def _is_history(entry: Any) -> bool:
    if isinstance(entry, HISTORY):
        return True
    return (isinstance(entry, data.Custom) and entry.type.startswith("coop-")
            and entry.type not in IN_FORCE)


def _refusals(raw: list[Any], year: int, cut: datetime.date, start: datetime.date) -> None:
    """What the opening balances cannot carry: an undecided year, a rule on history."""
    customs = [e for e in raw if isinstance(e, data.Custom) and e.type.startswith("coop-")]
    for entry in customs:
        reason = UNSUPPORTED.get(entry.type)
        if reason is not None and entry.date <= cut:
            raise CloseError(
                f"{_where(entry)}: {entry.type} begins before the cut ({cut}) and {reason}, "
                "which the opening balances do not carry; splitting such books is not "
                "supported yet: keep them whole")
    decisions = [e for e in customs if e.type == "coop-allocation"]
    pools = {_pool(e) for e in decisions}
    for pool in sorted(pools):
        found = [e for e in decisions if _pool(e) == pool and _fiscal_year(e) == year]
        if not found:
            raise CloseError(
                f"fiscal year {year} has no coop-allocation for the pool {pool!r} (decided "
                "in other years): its margin and patronage are read from that year's "
                f"entries, which the new books would not hold; decide it first (`coop "
                f"patronage --year {year} --what-if`; it may be dated after {cut}), or "
                f"close fiscal year {year - 1} instead")
        drafts = [e for e in found if e.meta.get("draft") is True]
        if drafts:
            raise CloseError(
                f"{_where(drafts[0])}: the decision for fiscal year {year} is a draft; the "
                "board's decision must be final (remove draft: TRUE) before the year is closed")
    late_work = {_value(e, 1) for e in customs if e.type == "coop-work" and e.date <= cut}
    for entry in customs:
        if entry.type == "coop-invoice" and entry.date >= start and _value(entry, 0) in late_work:
            raise CloseError(
                f"{_where(entry)}: this invoice to {_value(entry, 0)!r} is dated after the "
                f"cut ({cut}) and the client has work recorded before it; invoice the work "
                "up to the cut before closing the year (coop invoice new)")


def _pool(entry: data.Custom) -> str:
    return str(_value(entry, 1) or "")


def _value(entry: data.Custom, index: int) -> Any:
    values = entry.values or []
    return values[index].value if len(values) > index else None


def _where(entry: Any) -> str:
    return f"{entry.meta.get('filename')}:{entry.meta.get('lineno')}"


def _errors_text(what: str, errors: list[Any]) -> str:
    shown = "\n".join(format_error(error) for error in errors[:5])
    more = f"\n... and {len(errors) - 5} more" if len(errors) > 5 else ""
    return f"{shown}{more}\n{what} ({len(errors)} error(s), above)"


def _opening(entries: list[Any], cut: datetime.date, chart: MemberChart, earnings: str,
             conversions: str, year: int) -> data.Transaction:
    """One transaction on the cut's day: every account's balance at the end of it (held at
    cost as it is held), income and expenses closed to `earnings` (Beancount's
    summarize); what rounding or conversions at a price leave goes to `conversions`."""
    balances: dict[str, inventory.Inventory] = defaultdict(inventory.Inventory)
    pl = (chart.income + ":", chart.expenses + ":")
    for entry in entries:
        if isinstance(entry, data.Transaction) and entry.date <= cut:
            for posting in entry.postings:
                account = earnings if posting.account.startswith(pl) else posting.account
                balances[account].add_position(posting)
    postings = []
    for account in sorted(balances):
        for position in sorted(balances[account]):
            if position.units.number != 0:
                postings.append(data.Posting(account, position.units, position.cost, None,
                                             None, None))
    weights: dict[str, Decimal] = defaultdict(Decimal)
    for posting in postings:
        weight = convert.get_weight(posting)
        weights[weight.currency] += weight.number
    for currency, number in sorted(weights.items()):
        if number != 0:
            postings.append(data.Posting(conversions, Amount(-number, currency), None, None,
                                         None, None))
    meta = data.new_metadata("<close-year>", 0)
    return data.Transaction(meta, cut, "*", None,
                            f"Opening balances: the books to the end of fiscal year {year}",
                            data.EMPTY_SET, data.EMPTY_SET, postings)


def _opening_text(loaded: Loaded, raw: list[Any], opening: data.Transaction,
                  carried: list[data.Transaction], year: int, books: Path) -> str:
    """The opening file: opens for the accounts it uses that no kept line opens, the
    opening entry, then the entries of closed years' decisions dated after the cut."""
    written = {e.account for e in raw if isinstance(e, data.Open)}
    opens = {e.account: e for e in loaded.entries if isinstance(e, data.Open)}
    used = {p.account for e in [opening, *carried] for p in e.postings}
    needed = [opens[a] for a in sorted(used - written) if a in opens]
    missing = sorted(a for a in used - written if a not in opens)
    lines = [
        f"; The opening balances of these books: the closed books ({books}) to the end of",
        f"; fiscal year {year}, written by `coop close-year`. Do not edit: close the year",
        "; again from the closed books if they change.",
        "",
    ]
    new_opens = [data.Open(_plain_meta(o.meta), o.date, o.account, o.currencies, o.booking)
                 for o in needed]
    earliest = min((o.date for o in new_opens), default=opening.date)
    new_opens += [data.Open(_plain_meta({}), earliest, a, None, None) for a in missing]
    # One open a line, as a chart of accounts is written.
    text = entries_text(sorted(new_opens, key=lambda o: (o.date, o.account))).replace("\n\n", "\n")
    parts = [text, entries_text([opening._replace(meta=_plain_meta({}))])]
    if carried:
        parts.append(
            f"; The entries the plugin made from the decisions for fiscal year {year} and "
            "before,\n; dated after the cut: the decisions read the closed year's margin and "
            "patronage,\n; so they stay in the closed books (commented out in these) and "
            "what they booked is here.\n")
        parts.append(entries_text([_written(e) for e in carried]))
    return "\n".join(lines) + aligned("\n".join(parts))


def _plain_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """Metadata to print: the entry's own keys, not where it was read or made."""
    kept = {k: v for k, v in meta.items()
            if k not in ("filename", "lineno", "coop-generated") and not k.startswith("__")}
    return {"filename": "", "lineno": 0, **kept}


def _written(entry: data.Transaction) -> data.Transaction:
    """A derived entry as written lines: its metadata kept (the reports read the kind of
    entry and each posting's part from it), where it was made left out."""
    meta = {k: v for k, v in entry.meta.items()
            if k not in ("filename", "lineno") and not k.startswith("__")}
    postings = [p._replace(meta={k: v for k, v in (p.meta or {}).items()
                                 if k not in ("filename", "lineno") and not k.startswith("__")}
                           or None) for p in entry.postings]
    return entry._replace(meta={"filename": "", "lineno": 0, **meta}, postings=postings)


_INCLUDE = re.compile(rb'^include\s+"((?:[^"\\]|\\.)*)"')


def _includes(content: bytes, folder: Path, kept: set[str]) -> bytes:
    """`content` without the include lines whose files are all left out."""
    lines = []
    for line in content.splitlines(keepends=True):
        match = _INCLUDE.match(line)
        if match:
            found = _matches(folder, match.group(1))
            if found and not any(f in kept for f in found):
                continue
        lines.append(line)
    return b"".join(lines)


def _rewritten(content: bytes, removed: set[int], commented: set[int]) -> bytes:
    """`content` without the entries that start on the lines `removed` (as
    `loading.without_entries` takes them out), and with those on the lines `commented`
    commented out under a note saying why."""
    out = []
    mode = ""  # "removed" or "commented" while inside such an entry
    for number, line in enumerate(content.splitlines(keepends=True), 1):
        if number in removed:
            mode = "removed"
            continue
        if number in commented:
            mode = "commented"
            out.append(b"; For a closed fiscal year, kept in the closed books (the entries "
                       b"its decision made are in the opening file):\n")
            out.append(b"; " + line)
            continue
        if mode and line[:1] in (b" ", b"\t") and line.strip():
            if mode == "commented":
                out.append(b"; " + line)
            continue
        if mode == "removed" and not line.strip():
            mode = ""
            continue  # the blank line after a removed entry
        mode = ""
        out.append(line)
    return b"".join(out)


def _main_text(content: bytes, config_text: str, start: datetime.date,
               opening_name: str) -> bytes:
    """The main file with `'start'` in the plugin's config and the opening file included."""
    try:
        config = ast.literal_eval(config_text) if config_text.strip() else {}
    except (ValueError, SyntaxError):
        config = {}
    config = {**config, "start": start.isoformat()}
    plugin = f'plugin "{PLUGIN_NAME}" "{_escaped(repr(config))}"\n'.encode()
    lines = content.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(b"plugin") and PLUGIN_NAME.encode() in line:
            lines[index] = plugin
            lines.insert(index + 1, f'include "{opening_name}"\n'.encode())
            return b"".join(lines)
    raise CloseError(f'the main file has no line starting plugin "{PLUGIN_NAME}"; write the '
                     "plugin line on one line of its own in the main file")


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _stage(out: Path, texts: dict[str, bytes]) -> Path:
    try:
        staging = staging_folder(out)
    except OSError as error:
        raise CloseError(f"cannot make {out}: {error.strerror or error}") from None
    try:
        for name, content in texts.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise CloseError(f"cannot write the new books in {out}: "
                         f"{error.strerror or error}") from None
    return staging


def _land(staging: Path, out: Path) -> None:
    """The checked books into `out`, whole, once they are on disk."""
    os.sync()
    land_folder(staging, out)


def _totals(entries: Iterable[Any], cut: datetime.date | None, chart: MemberChart,
            earnings: str) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    pl = (chart.income + ":", chart.expenses + ":")
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        closed = cut is not None and entry.date <= cut
        for posting in entry.postings:
            account = posting.account
            if closed and account.startswith(pl):
                account = earnings
            totals[(account, posting.units.currency)] += posting.units.number
    return totals


def _differences(old: list[Any], new: list[Any], cut: datetime.date, chart: MemberChart,
                 earnings: str, conversions: str) -> list[str]:
    """Accounts whose balance at the end differs between the closed books (income and
    expenses to the cut closed to `earnings`) and the new ones."""
    before = _totals(old, cut, chart, earnings)
    after = _totals(new, None, chart, earnings)
    found = []
    for key in sorted(set(before) | set(after)):
        if key[0] == conversions:
            continue  # the opening's own rounding line
        if before.get(key, Decimal(0)) != after.get(key, Decimal(0)):
            found.append(f"{key[0]}: {after.get(key, 0)} {key[1]} against "
                         f"{before.get(key, 0)} {key[1]}")
    return found
