"""A grocery co-op's patronage from its point of sale: till lines to each owner's purchases.

    importers:
      - type: till
        name: till
        measure: purchases            # a coop-measure of the books
        preset: core-pos              # CORE-POS's dtransactions / transarchive columns
        filename: "dtrans-*.csv"      # CSV, or Parquet (*.parquet)
        exclude_departments: [60, 61] # left out of patronage by the bylaws
        non_owners: [0, 99999]        # owner numbers of sales to non-owners

A year of till lines (tens of millions for a 20,000-owner co-op) is never read row by row
in Python: DuckDB runs the one statement of `till.sql` over the files (CSV or Parquet, in
parallel, spilling to disk past `MEMORY_LIMIT`) and returns one row per owner and period.
From those rows this module makes, per period (a month by default; `period: quarter` or
`year`, counted from the fiscal year's first month)::

    2026-01-31 custom "coop-patronage" "1042" "purchases" 212.37
    2026-01-31 custom "coop-non-member-business" "purchases" 18233.10 "till 2026-01"

one record per owner with purchases in the period (dated the period's last day, or the day
the owner left if that is earlier), and one total of the non-member business: sales to no
owner, to owner numbers the books do not know, and to members outside their membership.
Unknown owner numbers are listed, never dropped silently.

How a file is read: DuckDB's CSV reader reads a CSV file's dates and amounts itself (typed
columns, `_typed_relation`), which costs little more than its bare `GROUP BY`; when it refuses
the file (a cell it cannot read: a bad row, thousands separators) or the files are Parquet,
the statement runs again over the text, read with the rules of `till_text.sql`, which make a
bad cell NULL so that the rows can be listed by file and row. Both reads give the same rows.

Nothing here writes: `coop import till` (cli/till.py) compares the totals with the records
the books already hold for those periods and replaces them, checked and atomic.
"""

from __future__ import annotations

import csv
import datetime
import fnmatch
import gzip
import os
import re
import tempfile
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from beancount.core import data
from beancount.parser.grammar import ValueType  # what the parser wraps custom values in

from coop_beancount.core.periods import months_period
from coop_beancount.core.records import Member
from coop_beancount.importers.csvformat import CsvFormat, ImportFileError

#: The statement, in a file of its own so that it can be read and audited as it is.
SQL_FILE = Path(__file__).with_name("till.sql")
#: How the text of a till file is read when DuckDB's CSV reader cannot type its columns.
TEXT_SQL_FILE = Path(__file__).with_name("till_text.sql")
#: The parameters only till_text.sql takes.
TEXT_PARAMETERS = ("date_format", "decimal", "thousands")
#: DuckDB's memory before it spills to disk: a year of till lines never needs more.
MEMORY_LIMIT = "1GB"
PERIODS = {"month": 1, "quarter": 3, "year": 12}
#: The columns of `till.sql`'s relation `till`: those a mapping must name, and the others.
REQUIRED = ("owner", "datetime", "amount")
OPTIONAL = ("department", "discount", "kind", "status")
#: The `till` relation's name of each column (`datetime` is `sold_at` there: DuckDB
#: reads `datetime` as a type name in some places).
SQL_NAMES = {"owner": "owner", "datetime": "sold_at", "amount": "amount",
             "department": "department", "discount": "discount", "kind": "kind",
             "status": "status"}
NON_MEMBER = "coop-non-member-business"
#: Bad rows listed (the rest are counted).
SHOWN_BAD_ROWS = 20

#: CORE-POS (the point of sale of many US food co-ops): its transaction log, the tables
#: `dtransactions` and `transarchive` (and the `dlog` views, whose date column is `tdate`:
#: give `columns: {datetime: tdate}`). Purchases are item (I) and open department (D)
#: rings, less the transaction discounts (S), as its own patronage pages count them; a voided
#: item is a second line with status V and the amount negated, so it is counted as written
#: and cancels the sale; returns (R) are subtracted; cancelled transactions (X) and the lines
#: its `dlog` view leaves out (D, Z) are not counted.
PRESETS: dict[str, dict[str, Any]] = {
    "core-pos": {
        "columns": {"owner": "card_no", "datetime": "datetime", "amount": "total",
                    "department": "department", "kind": "trans_type",
                    "status": "trans_status"},
        "kinds": {"sale": ("I", "D"), "discount": ("S",)},
        "statuses": {"return": ("R",), "void": ("X", "D", "Z")},
        "non_owners": ("0",),
        "date_format": "%Y-%m-%d %H:%M:%S",
    },
}


@dataclass(frozen=True)
class TillImporter:
    """How one point of sale's exports are read: what import.yaml's `type: till` says."""

    name: str
    measure: str
    columns: dict[str, str | int]
    csv: CsvFormat = field(default_factory=lambda: CsvFormat(date_format="%Y-%m-%d %H:%M:%S"))
    filename_pattern: str | None = None
    period: str = "month"
    #: The member key of an owner number: "{owner}" (the number is the key) or "O{owner}".
    owner_key: str = "{owner}"
    non_owners: tuple[str, ...] = ("0",)
    excluded_departments: tuple[str, ...] = ()
    sale_kinds: tuple[str, ...] = ()
    discount_kinds: tuple[str, ...] = ()
    return_statuses: tuple[str, ...] = ()
    void_statuses: tuple[str, ...] = ()
    account: str = "Income:Sales"

    def mismatch(self, path: str | Path) -> str | None:
        """Why this importer does not read the file, or None when it does."""
        if self.filename_pattern and not fnmatch.fnmatch(os.path.basename(path),
                                                         self.filename_pattern):
            return f"the file name does not match {self.filename_pattern!r}"
        try:
            _labels(self, path, header(self, path))
        except ImportFileError as error:
            return error.message
        return None

    def identify(self, path: str | Path) -> bool:
        return self.mismatch(path) is None


def is_parquet(path: str | Path) -> bool:
    return str(path).lower().endswith(".parquet")


def header(importer: TillImporter, path: str | Path) -> list[str]:
    """The column names of a till file (CSV: its header line; Parquet: its schema)."""
    if is_parquet(path):
        import duckdb

        try:
            with duckdb.connect() as connection:
                rows = connection.execute("DESCRIBE SELECT * FROM read_parquet(?)",
                                          [str(path)]).fetchall()
        except duckdb.Error as error:
            raise ImportFileError(path, None, f"is not a Parquet file: {_first_line(error)}"
                                  ) from None
        return [row[0] for row in rows]
    fmt = importer.csv
    opener: Any = gzip.open if str(path).lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding=fmt.encoding, newline="") as handle:
            for _ in range(fmt.skip_lines):
                handle.readline()
            line = handle.readline()
    except OSError as error:
        raise ImportFileError(path, None, f"cannot be read: {error.strerror}") from None
    except (gzip.BadGzipFile, EOFError):
        raise ImportFileError(path, None, "is not a gzip file, though its name ends in .gz"
                              ) from None
    except UnicodeDecodeError:
        raise ImportFileError(path, None, f"is not {fmt.encoding} text; set csv: encoding: "
                                          "in the import configuration") from None
    if not line.strip():
        raise ImportFileError(path, None, "is empty: no header line")
    return [cell.strip() for cell in next(csv.reader([line], delimiter=fmt.delimiter))]


def _labels(importer: TillImporter, path: str | Path, names: list[str]) -> dict[str, str]:
    """Each mapped column's name in the file; ImportFileError names what is missing."""
    labels = {}
    missing = []
    for column, where in importer.columns.items():
        if isinstance(where, int):
            if where > len(names):
                raise ImportFileError(path, None, (
                    f"the configuration names column {where} ({column}), the header has "
                    f"{len(names)}"))
            labels[column] = names[where - 1]
        elif where in names:
            labels[column] = where
        else:
            missing.append(where)
    if missing:
        shown = ", ".join(repr(name) for name in names[:30])
        delimiter = "" if is_parquet(path) else (
            f" and the delimiter {importer.csv.delimiter!r}")
        raise ImportFileError(path, None, (
            f"the header has no column {', '.join(repr(m) for m in missing)}; it has {shown} "
            f"(check the column names{delimiter} in the import configuration)"))
    return labels


# ---- the books' owners ------------------------------------------------------------------------

def owner_number(text: str) -> str:
    """An owner number as the SQL compares it: digits as a number (0042 is 42)."""
    text = text.strip()
    return str(int(text)) if text.isdigit() else text


def owners(importer: TillImporter, members: Iterable[Member]) -> list[tuple[Any, ...]]:
    """(owner number, key, joined, last day) of each member whose key fits `owner_key`."""
    prefix, _, suffix = importer.owner_key.partition("{owner}")
    pattern = re.compile(re.escape(prefix) + "(.+)" + re.escape(suffix) + "$")
    found = []
    for member in members:
        match = pattern.match(member.key)
        if match:
            found.append((owner_number(match.group(1)), member.key, member.joined,
                          member.left or datetime.date(9999, 12, 31)))
    return found


# ---- reading: the statement ------------------------------------------------------------------

@dataclass
class Period:
    index: int
    start: datetime.date
    end: datetime.date
    first_day: datetime.date
    last_day: datetime.date
    lines: int = 0

    @property
    def label(self) -> str:
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        if months == 1:
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m} to {self.end:%Y-%m}"


class Group(NamedTuple):
    """One row of the statement: a class of lines of one owner number in one period.
    (A named tuple: a year of 20,000 owners is 240,000 of them, made in a blink.)"""

    kind: str  # owner, non-owner, unknown, inactive
    owner: str
    key: str | None
    period: int
    total: Decimal
    lines: int


@dataclass
class TillTotals:
    measure: str
    periods: dict[int, Period]
    groups: list[Group]
    #: Each owner's record: (period index, member key) -> (date, total).
    records: dict[tuple[int, str], tuple[datetime.date, Decimal]]
    #: Whether DuckDB's CSV reader read the dates and amounts (else the text rules did).
    typed: bool = False
    _by_period: dict[tuple[int, Any], Any] | None = field(default=None, repr=False,
                                                           compare=False)

    @property
    def lines(self) -> int:
        return sum(group.lines for group in self.groups)

    def non_member(self, period: int) -> Decimal:
        return self._sums()[(period, False)]

    def owner_total(self, period: int) -> Decimal:
        return self._sums()[(period, True)]

    def owners(self, period: int) -> int:
        """How many owners have a record in the period."""
        return int(self._sums()[(period, "count")])

    def _sums(self) -> dict[tuple[int, Any], Any]:
        # Once for all periods: each period's figures summed over every group (a 20,000-
        # owner year has 240,000 groups) would be a pass per period.
        if self._by_period is None:
            sums: dict[tuple[int, Any], Any] = defaultdict(Decimal)
            for group in self.groups:
                sums[(group.period, group.kind == "owner")] += group.total
            for index, _ in self.records:
                sums[(index, "count")] += 1
            self._by_period = sums
        return self._by_period

    def listed(self, kind: str) -> list[tuple[str, int, Decimal]]:
        """(owner number, lines, total) of each owner number of a kind, all periods."""
        lines: dict[str, int] = defaultdict(int)
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for group in self.groups:
            if group.kind == kind:
                lines[group.owner] += group.lines
                totals[group.owner] += group.total
        return sorted(((owner, lines[owner], totals[owner]) for owner in lines),
                      key=lambda row: (len(row[0]), row[0]))


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _listed(files: Sequence[Path]) -> str:
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"


def _csv_options(importer: TillImporter) -> str:
    fmt = importer.csv
    delimiter = fmt.delimiter.replace("'", "''")
    encoding = "utf-8" if fmt.encoding.startswith("utf-8") else fmt.encoding
    return (f"header = true, all_varchar = true, delim = '{delimiter}', quote = '\"', "
            f"skip = {fmt.skip_lines}, encoding = '{encoding}'")


def _relation(importer: TillImporter, files: Sequence[Path], labels: dict[str, str]) -> str:
    """The `till_text` view: the files' mapped columns as text, under the statement's names
    (what `till_text.sql` parses, and the bad rows are listed from)."""
    columns = ", ".join(
        f"CAST({_quoted(labels[column])} AS VARCHAR) AS {SQL_NAMES[column]}"
        if column in labels else f"CAST(NULL AS VARCHAR) AS {SQL_NAMES[column]}"
        for column in REQUIRED + OPTIONAL)
    if is_parquet(files[0]):
        source = f"read_parquet({_listed(files)}, filename = true)"
    else:
        source = f"read_csv({_listed(files)}, {_csv_options(importer)}, filename = true)"
    return f"SELECT {columns}, filename FROM {source}"


#: Date formats that DuckDB's CSV reader reads without being told (its ISO dates): the text
#: rules (the format, else an ISO date) read nothing else from them, and nothing differently.
ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
#: The types of till.sql's columns that the CSV reader reads itself (the rest are text).
TYPED = {"datetime": "TIMESTAMP", "amount": "DECIMAL(18, 4)", "discount": "DECIMAL(18, 4)"}


def _typed_relation(importer: TillImporter, files: Sequence[Path],
                    labels: dict[str, str]) -> str | None:
    """The `till` view with the dates and amounts read by DuckDB's CSV reader itself, or
    None when the format is one it cannot read that way (Parquet goes through the text).

    The reader either reads every cell as the text rules of `till_text.sql` would (the same
    casts: tests/test_import_till.py compares the two) or refuses the file, and then the
    import reads the text. Refused are amounts with thousands separators, dates not in the
    format, and any other cell it cannot read, however few."""
    fmt = importer.csv
    if (is_parquet(files[0]) or fmt.decimal not in (".", ",") or fmt.decimal == fmt.delimiter
            or "%z" in fmt.date_format or "%Z" in fmt.date_format):
        return None
    types = ", ".join(f"'{labels[column].replace(chr(39), chr(39) * 2)}': '{kind}'"
                      for column, kind in TYPED.items() if column in labels)
    options = f"{_csv_options(importer)}, types = {{{types}}}"
    if fmt.decimal != ".":
        options += f", decimal_separator = '{fmt.decimal}'"
    if fmt.date_format not in ISO_FORMATS:
        options += ", timestampformat = '" + fmt.date_format.replace("'", "''") + "'"
    columns = ", ".join(
        f"{_quoted(labels[column])} AS {SQL_NAMES[column]}" if column in labels
        else f"CAST(NULL AS {TYPED.get(column, 'VARCHAR')}) AS {SQL_NAMES[column]}"
        for column in REQUIRED + OPTIONAL)
    return f"SELECT {columns} FROM read_csv({_listed(files)}, {options})"


def read_till(importer: TillImporter, files: Sequence[Path], members: Iterable[Member],
              first_month: int = 1,
              progress: Callable[[float], None] | None = None) -> TillTotals:
    """Run the statement over the till files; each owner's total per period.

    Raises ImportFileError for a file whose columns do not match the mapping, or that is not
    CSV (or Parquet) as configured; BadLines listing the rows whose date or amount cannot be
    read; OwnerSpellings when one owner number is written two ways. Nothing is written.
    """
    import duckdb

    if not files:
        raise ValueError("no till file to read")
    kinds = {is_parquet(f) for f in files}
    if len(kinds) > 1:
        raise ImportFileError(files[0], None, "CSV and Parquet files in one import: import "
                                              "them separately")
    labels: dict[str, str] = {}
    for path in files:
        if os.path.getsize(path) == 0:
            raise ImportFileError(path, None, "is empty: nothing to import")
        found = _labels(importer, path, header(importer, path))
        if labels and found != labels:
            raise ImportFileError(path, None, "its columns are not those of "
                                              f"{files[0]}; import them separately")
        labels = found
    # Past its memory limit DuckDB spills to disk: to a folder of its own here, removed
    # after (its default is `.tmp` in the current folder: the books' folder, as often as not).
    spill = tempfile.TemporaryDirectory(prefix="coop-till-")
    connection = duckdb.connect()
    try:
        connection.execute("SET enable_progress_bar = false")
        connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        connection.execute("SET temp_directory = '" + spill.name.replace("'", "''") + "'")
        # One statement of four lists (executemany is a statement per owner: slow).
        columns = list(zip(*owners(importer, members), strict=True)) or [[], [], [], []]
        connection.execute(
            "CREATE TEMP TABLE owners AS SELECT * FROM (SELECT "
            "unnest(CAST($owner AS VARCHAR[])) AS owner, unnest(CAST($key AS VARCHAR[])) AS key, "
            "unnest(CAST($joined AS DATE[])) AS joined, "
            "unnest(CAST($left AS DATE[])) AS left_on)",
            {"owner": list(columns[0]), "key": list(columns[1]), "joined": list(columns[2]),
             "left": list(columns[3])})
        parameters = _parameters(importer, first_month)
        reported = _monotonic(progress)
        result = _run_typed(connection, importer, files, labels, parameters, reported)
        typed = result is not None
        if result is None:
            try:
                connection.execute(
                    f"CREATE TEMP VIEW till_text AS {_relation(importer, files, labels)}")
                result = _run(connection, _text_statement(), parameters, reported)
            except duckdb.Error as error:
                raise _not_readable(files, error) from None
        if progress is not None:
            progress(1.0)
        groups = _groups(result)
        bad = sum(row[5] for row in result if row[0] == "bad")
        if bad:
            try:
                if typed:  # the rows are listed from the text (a typed read left cells empty)
                    connection.execute(
                        f"CREATE TEMP VIEW till_text AS {_relation(importer, files, labels)}")
                rows = _bad_rows(connection, importer, labels, parameters)
            except duckdb.Error as error:
                raise _not_readable(files, error) from None
            raise BadLines(files[0] if len(files) == 1 else files[0].parent, bad, rows)
    finally:
        connection.close()
        spill.cleanup()
    spellings = _spellings(result)
    if spellings:
        raise OwnerSpellings(files[0], spellings)
    if not result:
        raise ImportFileError(files[0], None, "has no till lines that count as purchases "
                                              "(check kinds, statuses and departments)")
    return _totals(importer, groups, result, first_month, members, typed)


def _parameters(importer: TillImporter, first_month: int) -> dict[str, Any]:
    fmt = importer.csv
    return {
        "date_format": fmt.date_format, "decimal": fmt.decimal, "thousands": fmt.thousands,
        "sale_kinds": list(importer.sale_kinds), "discount_kinds": list(importer.discount_kinds),
        "return_statuses": list(importer.return_statuses),
        "void_statuses": list(importer.void_statuses),
        "excluded_departments": list(importer.excluded_departments),
        "non_owners": [owner_number(n) for n in importer.non_owners],
        "first_month": first_month, "months": PERIODS[importer.period],
    }


def _run_typed(connection: Any, importer: TillImporter, files: Sequence[Path],
               labels: dict[str, str], parameters: dict[str, Any],
               progress: Callable[[float], None] | None) -> list[tuple] | None:
    """The statement over the typed read, or None when the CSV reader refuses the files
    (or their format is not one it reads): then the text is read instead."""
    import duckdb

    typed = _typed_relation(importer, files, labels)
    if typed is None:
        return None
    try:
        connection.execute(f"CREATE TEMP VIEW till AS {typed}")
        return _run(connection, SQL_FILE.read_text(encoding="utf-8"),
                    {k: v for k, v in parameters.items() if k not in TEXT_PARAMETERS},
                    progress)
    except duckdb.Error:
        # A cell the reader cannot read (or a file it cannot read at all): the text read
        # says which rows, or what is wrong with the file.
        connection.execute("DROP VIEW IF EXISTS till")
        return None


def _text_statement() -> str:
    """The statement over the text read: till.sql with `till` made by till_text.sql."""
    return (f"WITH till AS (\n{TEXT_SQL_FILE.read_text(encoding='utf-8')}\n)\n"
            f"SELECT * FROM (\n{SQL_FILE.read_text(encoding='utf-8')}\n)")


def _monotonic(progress: Callable[[float], None] | None) -> Callable[[float], None] | None:
    """Progress that never goes back (the text read after a refused typed one starts over)."""
    if progress is None:
        return None
    done = [0.0]

    def report(fraction: float) -> None:
        if fraction > done[0]:
            done[0] = fraction
            progress(fraction)
    return report


def _run(connection: Any, sql: str, parameters: dict[str, Any],
         progress: Callable[[float], None] | None) -> list[tuple]:
    """The statement's rows; DuckDB's progress reported while it runs (in another thread).
    Raises the statement's duckdb.Error."""
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["rows"] = connection.execute(sql, parameters).fetchall()
        except Exception as error:  # raised again below, in the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.2)
        if progress is not None and thread.is_alive():
            done = connection.query_progress()
            if done >= 0:
                progress(done / 100)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["rows"]


def _not_readable(files: Sequence[Path], error: Exception) -> ImportFileError:
    where = files[0] if len(files) == 1 else f"{files[0]} (or another of the files)"
    what = "a Parquet file" if is_parquet(files[0]) else "CSV as configured"
    return ImportFileError(where, None, f"is not {what}: {_first_line(error)}")


def _groups(result: list[tuple]) -> list[Group]:
    # The statement gives the total as text (exact, and much quicker for DuckDB to hand over
    # than a DECIMAL): a Decimal here.
    return [Group(row[0], row[1], row[2], row[3], Decimal(row[4]), row[5])
            for row in result if row[0] != "bad"]


def _spellings(result: list[tuple]) -> list[tuple[str, str]]:
    """Owner numbers written two ways, over every period (0042 in one and 42 in another
    too): the first two spellings of each."""
    first: dict[str, str] = {}
    mixed = set()
    for kind, owner, _, _, _, _, first_spelling, last_spelling, _, _ in result:
        if kind != "bad" and (first_spelling != last_spelling
                              or first.setdefault(owner, first_spelling) != first_spelling):
            mixed.add(owner)
    spelled: dict[str, set[str]] = defaultdict(set)
    for row in result:
        if row[1] in mixed and row[0] != "bad":
            spelled[row[1]].update((row[6], row[7]))
    return [tuple(sorted(spellings)[:2]) for spellings in spelled.values()]


def _totals(importer: TillImporter, groups: list[Group], result: list[tuple],
            first_month: int, members: Iterable[Member], typed: bool = False) -> TillTotals:
    months = PERIODS[importer.period]
    periods: dict[int, Period] = {}
    for _, _, _, index, _, lines, _, _, first_day, last_day in result:
        period = periods.get(index)
        if period is None:
            start, end = months_period(index, months, first_month)
            period = periods[index] = Period(index, start, end, first_day, last_day)
        elif first_day < period.first_day:
            period.first_day = first_day
        if last_day > period.last_day:
            period.last_day = last_day
        period.lines += lines
    ends = {index: period.end for index, period in periods.items()}
    left = {member.key: member.left for member in members if member.left is not None}
    records = {}
    for group in groups:
        if group.kind == "owner":
            end = ends[group.period]
            gone = left.get(group.key)
            records[(group.period, group.key)] = (
                gone if gone is not None and gone < end else end, group.total)
    return TillTotals(importer.measure, dict(sorted(periods.items())), groups, records,
                      typed)


# ---- bad input -----------------------------------------------------------------------------

class BadLines(ImportFileError):
    """Counted till lines whose date or amount cannot be read: the first few, by file and row."""

    def __init__(self, path: str | Path, count: int, rows: list[str]) -> None:
        self.count = count
        self.rows = rows
        more = f"\n  ... and {count - len(rows)} more" if count > len(rows) else ""
        super().__init__(path, None, (
            f"{count} till line(s) cannot be read, so nothing was imported:\n"
            + "\n".join(f"  {row}" for row in rows) + more))


class OwnerSpellings(ImportFileError):
    """One owner number written two ways (0042 and 42): which of them is meant is a guess."""

    def __init__(self, path: str | Path, spellings: list[tuple[str, str]]) -> None:
        pairs = sorted(set(spellings))
        shown = "; ".join(f"{a!r} and {b!r}" for a, b in pairs[:10])
        super().__init__(path, None, (
            f"owner numbers written in two formats: {shown}"
            + (f" (and {len(pairs) - 10} more)" if len(pairs) > 10 else "")
            + "; export them one way (as numbers, or all with leading zeros)"))


def _cell(text: str | None) -> str:
    return "empty" if text is None or not text.strip() else repr(text)


def _bad_rows(connection: Any, importer: TillImporter, labels: dict[str, str],
              parameters: dict[str, Any]) -> list[str]:
    """The first bad lines, with their file and row (only run when there are some)."""
    fmt = importer.csv
    # Row numbers as the file counts lines (the header is line skip_lines + 1), so the lines
    # are numbered in the order they are read: one thread.
    connection.execute("SET threads = 1")
    rows = connection.execute(
        """
        SELECT filename, row + $first_row, sold_at, amount,
               coalesce(try_strptime(trim(sold_at), $date_format),
                        try_cast(trim(sold_at) AS TIMESTAMP)) IS NULL AS bad_date
        FROM (SELECT *, row_number() OVER (PARTITION BY filename) AS row FROM till_text)
        WHERE (kind IS NULL OR list_contains($sale_kinds, trim(kind))
               OR list_contains($discount_kinds, trim(kind)))
          AND NOT list_contains($void_statuses, coalesce(trim(status), ''))
          AND NOT list_contains($excluded_departments, coalesce(trim(department), ''))
          AND (coalesce(try_strptime(trim(sold_at), $date_format),
                        try_cast(trim(sold_at) AS TIMESTAMP)) IS NULL
               OR try_cast(replace(replace(trim(amount), $thousands, ''), $decimal, '.')
                           AS DECIMAL(18, 4)) IS NULL)
        ORDER BY filename, row
        LIMIT $limit
        """,
        {"first_row": fmt.skip_lines + 1, "limit": SHOWN_BAD_ROWS,
         **{k: parameters[k] for k in ("date_format", "decimal", "thousands", "sale_kinds",
                                       "discount_kinds", "void_statuses",
                                       "excluded_departments")}}).fetchall()
    shown = []
    for filename, row, sold_at, amount, bad_date in rows:
        if bad_date:
            what = (f"{labels['datetime']!r} is {_cell(sold_at)}, not a date and time in the "
                    f"format {fmt.date_format!r}")
        else:
            what = (f"{labels['amount']!r} is {_cell(amount)}, not an amount written with "
                    f"decimal {fmt.decimal!r}"
                    + (f" and thousands {fmt.thousands!r}" if fmt.thousands else ""))
        shown.append(f"{filename}, row {row}: {what}")
    return shown


# ---- the books' side: what they hold for these periods, and the new records ----------------

@dataclass(frozen=True)
class Held:
    """What the books hold for the imported periods, in the measure."""

    #: (period index, member key) -> total of its records.
    totals: dict[tuple[int, str], Decimal]
    non_member: dict[int, Decimal]
    entries: list[data.Custom]


def held(entries: Iterable[Any], totals: TillTotals) -> Held:
    """The books' patronage records (and non-member totals) in the measure and periods."""
    bounds = [(p.start, p.end, p.index) for p in totals.periods.values()]
    first, last = bounds[0][0], bounds[-1][1]
    found: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    non_member: dict[int, Decimal] = defaultdict(Decimal)
    kept = []
    for entry in entries:
        if (not isinstance(entry, data.Custom) or not first <= entry.date <= last
                or entry.type not in ("coop-patronage", NON_MEMBER)):
            continue
        values = [v.value for v in entry.values or ()]
        measure_at = 1 if entry.type == "coop-patronage" else 0
        if len(values) <= measure_at + 1 or values[measure_at] != totals.measure:
            continue
        index = next((i for start, end, i in bounds if start <= entry.date <= end), None)
        if index is None:
            continue
        kept.append(entry)
        if entry.type == "coop-patronage":
            found[(index, values[0])] += values[2]
        else:
            non_member[index] += values[1]
    return Held(dict(found), dict(non_member), kept)


@dataclass(frozen=True)
class Change:
    period: str
    key: str
    before: Decimal | None
    after: Decimal | None


def changes(before: Held, totals: TillTotals) -> list[Change]:
    """Each owner (and the non-member total) whose figure for a period differs."""
    after = {key: total for key, (_, total) in totals.records.items()}
    found = []
    for index, key in sorted(set(before.totals) | set(after),
                             key=lambda k: (k[0], len(k[1]), k[1])):
        old, new = before.totals.get((index, key)), after.get((index, key))
        if old != new:
            found.append(Change(totals.periods[index].label, key, old, new))
    for index, period in totals.periods.items():
        old, new = before.non_member.get(index), totals.non_member(index)
        if old != new:
            found.append(Change(period.label, "(non-members)", old, new))
    return found


def money(number: Decimal) -> str:
    """A total as the books write it: two decimals unless the till wrote more."""
    normal = number.quantize(Decimal("0.01")) if number == number.quantize(
        Decimal("0.01")) else number.normalize()
    return format(normal, "f")


def _in_order(totals: TillTotals) -> Iterator[tuple[Period, list[tuple[str, datetime.date,
                                                                        Decimal]]]]:
    """Each period with its owners' (key, date, total), in the order they are written."""
    by_period: dict[int, list[tuple[str, datetime.date, Decimal]]] = defaultdict(list)
    for (index, key), (date, total) in totals.records.items():
        by_period[index].append((key, date, total))
    for index, period in totals.periods.items():
        yield period, sorted(by_period[index], key=lambda r: (len(r[0]), r[0]))


def record_entries(totals: TillTotals) -> list[data.Custom]:
    """The records of the periods as Beancount directives: each period's owners (by key),
    then its total of non-member business. What `records_text` writes is these, printed."""
    measure = ValueType(totals.measure, str)
    entries = []
    for period, owners_ in _in_order(totals):
        for key, date, total in owners_:
            entries.append(data.Custom(
                data.new_metadata("<till>", 0), date, "coop-patronage",
                [ValueType(key, str), measure, ValueType(Decimal(money(total)), Decimal)]))
        entries.append(data.Custom(
            data.new_metadata("<till>", 0), period.end, NON_MEMBER,
            [measure, ValueType(Decimal(money(totals.non_member(period.index))), Decimal),
             ValueType(f"till {period.label}", str)]))
    return entries


def records_text(totals: TillTotals) -> str:
    """`record_entries` as Beancount's printer prints them (`printer.EntryPrinter`), a blank
    line after each period.

    Built here line by line, not through the printer: at 240,000 records the printer takes
    several seconds (making the directives and printing them: 4.6 s of CPU time, against
    0.5 s), and its line for a custom directive is one format string (`{date} custom
    "{type}" {values}`, strings in double quotes, numbers as `str(Decimal)`), which this
    writes the same way. tests/test_import_till.py compares the two byte for byte over
    thousands of records, and runs bean-format over the text."""
    measure = totals.measure
    out = []
    for period, owners_ in _in_order(totals):
        for key, date, total in owners_:
            out.append(f'{date} custom "coop-patronage" "{key}" "{measure}" {money(total)}\n')
        out.append(f'{period.end} custom "{NON_MEMBER}" "{measure}" '
                   f'{money(totals.non_member(period.index))} "till {period.label}"\n\n')
    return "".join(out)
