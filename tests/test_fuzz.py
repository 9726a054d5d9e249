"""Fuzzing everything that reads what a user wrote: only clean errors, never a crash.

Split rules, `coop-*` directives and their metadata in whole ledgers, CSV files through
every importer, import.yaml and the plugin's config string, and `coop import extract`
end to end. Each target may only fail the way a user can act on: its own error type, or a
Beancount error at a file and line.

The default run is quick. For a long run (for example before a release):

    COOP_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest -q tests/test_fuzz.py

(benchmarks/fuzz.sh does this). Inputs that once crashed are kept as @example.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import shutil
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from beancount import loader
from beancount.parser import parser, printer
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coop_beancount.books.config import ConfigError, parse_config
from coop_beancount.cli import main
from coop_beancount.core.errors import CoopError
from coop_beancount.core.records import Member
from coop_beancount.core.splits import KeyVersion, SplitError, SplitKeys, SplitRule, parse_rule
from coop_beancount.core.splits import split_amount as split
from coop_beancount.importers.bank import BankColumns, BankImporter
from coop_beancount.importers.config import ImportConfigError, load_config
from coop_beancount.importers.csvformat import (
    CsvFormat,
    ImportFileError,
    parse_date,
    parse_number,
    read_rows,
)
from coop_beancount.importers.records import PatronageImporter, RosterImporter

#: Examples per target; COOP_FUZZ_EXAMPLES=20000 for a long run.
EXAMPLES = int(os.environ.get("COOP_FUZZ_EXAMPLES", "200"))
#: Targets that load a whole ledger or run the command cost more per example.
LEDGER_EXAMPLES = max(EXAMPLES // 4, 10)
CLI_EXAMPLES = max(EXAMPLES // 10, 10)

FAST = settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
LEDGERS = settings(max_examples=LEDGER_EXAMPLES,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.function_scoped_fixture])
FILES = settings(max_examples=EXAMPLES,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
COMMANDS = settings(max_examples=CLI_EXAMPLES,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])

# ---- the pieces users write ---------------------------------------------------------------

KEYS = ("Alice", "Bob", "Carol", "Zed", "alice", "M042", "", "Alice Bob", "A:B")
#: Any text, odd unicode included (no surrogates: they cannot be written to a file).
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
NUMBER_TEXT = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3,
                min_value=-10**6, max_value=10**6).map(str),
    st.sampled_from(["0", "-0", "0.001", "1E+30", "1e-30", "NaN", "Infinity", "-inf", "1,5",
                     "9" * 40, "9" * 500, "1_000", "٣", "²", "0x10", "1.2.3", " 7 "]),
)


@st.composite
def rule_texts(draw) -> str:
    """Split rules in roughly the right shape, and everything near them."""
    kind = draw(st.sampled_from(["equal", "weights", "percent", "usage", "usage quarts",
                                 "fixed", "Equal", "rest", "bogus", "", "health-plan"]))
    items = draw(st.lists(st.tuples(st.sampled_from(KEYS), NUMBER_TEXT), max_size=4))
    body = draw(st.sampled_from([", ", ",", " ", ";", ",,"])).join(
        f"{key} {number}" if draw(st.booleans()) else key for key, number in items)
    colon = draw(st.sampled_from([": ", ":", " ", ":: "]))
    rest = draw(st.sampled_from(["", "; rest: equal", "; rest: health-plan", "; rest:",
                                 "; rest: fixed: Bob 1.00; rest: equal", "; more: equal",
                                 "; rest: weights: Alice 1"]))
    currency = draw(st.sampled_from(["", " USD", " EUR"])) if kind == "fixed" else ""
    return f"{kind}{colon}{body}{currency}{rest}"


RULE_TEXT = st.one_of(rule_texts(), ANY_TEXT)

# ---- split rules ----------------------------------------------------------------------------

MEMBERS = {
    "Alice": Member("Alice", "Alice Smith", datetime.date(2025, 1, 1), {}),
    "Bob": Member("Bob", "Bob Jones", datetime.date(2025, 1, 1), {}),
    "Carol": Member("Carol", "Carol King", datetime.date(2025, 3, 1), {},
                    left=datetime.date(2025, 6, 30)),
}


@FAST
@given(text=RULE_TEXT)
@example(text="fixed: Alice 1; rest: fixed: Bob 1; rest: equal")
@example(text="weights: Alice " + "9" * 500)
def test_parse_rule_gives_a_rule_a_key_name_or_a_split_error(text):
    try:
        rule = parse_rule(text)
    except SplitError as error:
        assert str(error)
        return
    assert isinstance(rule, (SplitRule, str))


def _keys(texts: list[str]) -> SplitKeys:
    keys = SplitKeys()
    for day, text in enumerate(texts, 1):
        try:
            rule = parse_rule(text)
            if isinstance(rule, SplitRule):
                keys.add(KeyVersion("health-plan", datetime.date(2025, 1, day), rule, {}))
        except SplitError:
            pass
    return keys


AMOUNTS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6,
                max_value=10**6),
    st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-100,
                max_value=100),
    st.sampled_from([Decimal("0"), Decimal("0.01"), Decimal("1E+30"), Decimal("9" * 26 + ".99"),
                     Decimal("-0.00"), Decimal("1" + "0" * 40)]),
)


@FAST
@given(text=RULE_TEXT, amount=AMOUNTS, currency=st.sampled_from(["USD", "EUR"]),
       day=st.dates(datetime.date(2024, 12, 1), datetime.date(2025, 12, 31)),
       key_texts=st.lists(RULE_TEXT, max_size=3))
@example(text="fixed: Alice 1" + "0" * 40 + "; rest: equal", amount=Decimal("10.00"),
         currency="USD", day=datetime.date(2025, 6, 1), key_texts=[])
@example(text="equal", amount=Decimal("1" + "0" * 40), currency="USD",
         day=datetime.date(2025, 6, 1), key_texts=[])
def test_a_split_adds_up_to_the_cost_or_says_why_not(text, amount, currency, day, key_texts):
    keys = _keys(key_texts)
    try:
        parts, label = split(parse_rule(text), amount, currency, day, MEMBERS, keys, "seed")
    except SplitError as error:
        assert str(error)
        return
    assert sum((part.amount for part in parts), Decimal(0)) == amount
    assert {part.member for part in parts} <= {k for k, m in MEMBERS.items() if m.is_active(day)}
    assert label


# ---- coop-* directives in whole ledgers --------------------------------------------------

LEDGER = """\
plugin "coop_beancount.plugins.coop" "{'as_of': '2025-12-31'}"
2024-01-01 open Assets:Bank USD,EUR
2024-01-01 open Expenses:Supplies USD,EUR
2024-01-01 open Income:Patronage:Sales USD
2024-01-01 open Income:Members:Dues USD
2024-01-01 open Income:Members:SharedCosts USD,EUR
2024-01-01 custom "coop-share-class" "Member" 20.00 USD
2024-01-01 custom "coop-measure" "barrels"
2024-01-01 custom "coop-consent" "Alice" "written"
2024-01-01 custom "coop-member" "Alice" "Alice Smith"
2024-01-01 custom "coop-consent" "Bob" "written"
2024-01-01 custom "coop-member" "Bob" "Bob Jones"
2024-03-01 custom "coop-consent" "Carol" "written"
2024-03-01 custom "coop-member" "Carol" "Carol King"
2024-09-30 custom "coop-leave" "Carol"
2024-05-01 * "Sales"
  Assets:Bank              900.00 USD
  Income:Patronage:Sales  -900.00 USD
2024-06-01 custom "coop-patronage" "Alice" "barrels" 10
2024-06-01 custom "coop-patronage" "Bob" "barrels" 20
"""

TYPES = ("coop-member", "coop-leave", "coop-share-class", "coop-subscription", "coop-dues",
         "coop-hours", "coop-split-key", "coop-retail-price", "coop-measure", "coop-patronage",
         "coop-retain", "coop-allocation", "coop-redemption", "coop-bogus")
META_KEYS = ("reserve", "cash", "paid", "margin", "non-patronage", "measure", "qualified",
             "members", "until", "prorate", "share-class", "account", "redeem-shares",
             "member", "split")
#: Text a Beancount string can hold as written: no `"` or `\\` (escapes are Beancount's).
STRING = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\'),
                 max_size=20).map(lambda s: f'"{s}"')
ACCOUNT = st.sampled_from(["Assets:Bank", "Income:Patronage:Sales", "Expenses:Supplies",
                           "Assets:Members:Alice:Dues", "Equity:Members:Bob:Shares:Member",
                           "Liabilities:Members:Zed:Payable", "Income:Nowhere"])
BEANCOUNT_NUMBER = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**5,
                max_value=10**5).map(lambda d: format(d, "f")),
    st.sampled_from(["0", "-1", "0.001", "1.5", "2025", "1850", "12345678901234567890123456.78",
                     "9" * 40, "(2+3)"]),
)
#: Mostly the books' own years (as_of is 2025-12-31), sometimes any date.
DATE = st.one_of(st.dates(datetime.date(2024, 1, 1), datetime.date(2026, 6, 30)),
                 st.dates(datetime.date(1990, 1, 1), datetime.date(2100, 12, 31))).map(str)
VALUE = st.one_of(
    STRING, BEANCOUNT_NUMBER, DATE, ACCOUNT, st.sampled_from(["TRUE", "FALSE"]),
    st.tuples(BEANCOUNT_NUMBER, st.sampled_from(["USD", "EUR", "BARRELS"])).map(" ".join),
    st.sampled_from(['"Alice"', '"Bob"', '"Zed"', '"Member"', '"barrels"', '"monthly"',
                     '"20%"', '"NaN%"', '"-5%"', '"500%"', '"equal"', '"weights: Alice 1"',
                     '"Income:Patronage:Sales"', '"Income:Patronage:Sales Expenses:Supplies"']),
)


MEMBER = st.sampled_from(['"Alice"', '"Bob"', '"Carol"', '"Zed"'])
AMOUNT = st.tuples(BEANCOUNT_NUMBER, st.sampled_from(["USD", "USD", "EUR"])).map(" ".join)
PERCENT = st.one_of(st.integers(-10, 120).map(lambda n: f'"{n}%"'),
                    st.sampled_from(['"20%"', '"0%"', '"100%"', '"12.5%"', '"NaN%"', '"%"',
                                     '"1E+30%"', "20", '"twenty"']))
#: Each directive's values and metadata as written when nearly right: one slot may be off.
SHAPES = {
    "coop-member": ([MEMBER, STRING], {}),
    "coop-leave": ([MEMBER], {"redeem-shares": st.sampled_from(["TRUE", "FALSE"])}),
    "coop-share-class": ([st.just('"Member"'), AMOUNT], {}),
    "coop-subscription": ([MEMBER, st.just('"Member"'), BEANCOUNT_NUMBER], {}),
    "coop-dues": ([STRING, AMOUNT, st.sampled_from(['"monthly"', '"weekly"', '"yearly"',
                                                     '"quarterly"', '"daily"'])],
                  {"until": DATE, "members": st.sampled_from(['"Alice Bob"', '"all"', '""',
                                                              '"Zed"']),
                   "prorate": st.sampled_from(["TRUE", "FALSE"]),
                   "share-class": st.just('"Member"'), "account": ACCOUNT.map(lambda a: f'"{a}"')}),
    "coop-hours": ([MEMBER, BEANCOUNT_NUMBER, STRING], {}),
    "coop-split-key": ([st.sampled_from(['"health-plan"', '"equal"', '""']),
                        rule_texts().map(lambda s: '"' + s.replace('"', "") + '"')], {}),
    "coop-retail-price": ([st.just('"quarts"'), AMOUNT], {}),
    "coop-measure": ([st.just('"barrels"'), ACCOUNT.map(lambda a: f'"{a}"')], {}),
    "coop-patronage": ([MEMBER, st.just('"barrels"'), BEANCOUNT_NUMBER, STRING], {}),
    "coop-retain": ([st.just('"barrels"'), AMOUNT], {}),
    "coop-allocation": ([st.sampled_from(["2024", "2025", "1850", "2024.5"]), STRING],
                        {"margin": st.sampled_from(['"Income:Patronage:Sales"',
                                                    '"Income:Patronage:Sales Expenses:Supplies"',
                                                    '"Assets:Bank"', '"sales"']),
                         "measure": st.just('"barrels"'), "reserve": PERCENT, "cash": PERCENT,
                         "paid": DATE, "qualified": st.sampled_from(["TRUE", "FALSE"]),
                         "non-patronage": st.just('"Expenses:Supplies"')}),
    "coop-redemption": ([AMOUNT], {"member": MEMBER}),
}


@st.composite
def directives(draw) -> str:
    """A co-op directive: nearly right (one value or key may be off), or anything at all."""
    kind = draw(st.sampled_from(TYPES))
    if kind in SHAPES and draw(st.booleans()):
        slots, meta = SHAPES[kind]
        values = [draw(st.one_of(slot, VALUE)) if draw(st.integers(0, 4)) == 0 else draw(slot)
                  for slot in slots[:draw(st.integers(0, len(slots)))] or slots]
        keys = draw(st.lists(st.sampled_from(sorted(meta) or list(META_KEYS)), unique=True,
                             max_size=len(meta)))
        metadata = [(key, draw(meta.get(key, VALUE))) for key in keys]
    else:
        values = draw(st.lists(VALUE, max_size=5))
        metadata = [(key, draw(VALUE)) for key in
                    draw(st.lists(st.sampled_from(META_KEYS), max_size=4, unique=True))]
    lines = [f'{draw(DATE)} custom "{kind}" {" ".join(values)}'.rstrip()]
    lines.extend(f"  {key}: {value}" for key, value in metadata)
    return "\n".join(lines) + "\n"


@st.composite
def split_transactions(draw) -> str:
    amount = draw(BEANCOUNT_NUMBER)
    quoted = rule_texts().map(lambda s: '"' + s.replace('"', "").replace("\\", "") + '"')
    rule = draw(st.one_of(quoted, quoted, quoted, STRING, VALUE))
    payer = draw(st.sampled_from(["Assets:Bank", "Liabilities:Members:Bob:Payable",
                                  "Liabilities:Members:Zed:Payable"]))
    return (f'{draw(DATE)} * "Shared cost"\n  Expenses:Supplies  {amount} USD\n'
            f"    split: {rule}\n  {payer}\n")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A folder for the files of one example at a time (a long run makes no pile of folders)."""
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def ledger_file(scratch) -> Path:
    """One file, written anew for each example: from a file, errors name its lines."""
    return scratch / "main.beancount"


def _check_load(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    _, errors, _ = loader.load_file(str(path))
    for error in errors:
        message = str(error.message)
        assert "Traceback" not in message, message
        assert error.source is not None, error
        assert "filename" in error.source and "lineno" in error.source, error
        if isinstance(error, CoopError):
            # A co-op error is at a line of the books, where the user can fix it.
            assert error.source["filename"] == str(path), error
            assert error.source["lineno"] > 0, error
            assert message.strip(), error


@LEDGERS
@given(pieces=st.lists(st.one_of(directives(), split_transactions()), min_size=1, max_size=6))
@example(pieces=['2025-01-01 custom "coop-dues" "Dues" 123456789012345678901234567890.12 USD'
                 ' "yearly"\n'])
@example(pieces=['2025-03-01 * "Shared cost"\n  Expenses:Supplies  10.00 USD\n'
                 '    split: "weights: Alice 1234567890123456789012345678901234567890, Bob 1"\n'
                 '  Assets:Bank\n'])
@example(pieces=['2024-01-01 custom "coop-retain" "barrels" 12345678901234567890123456.78 USD'
                 '\n'])
def test_any_coop_directive_loads_with_clean_errors(pieces, ledger_file):
    _check_load(ledger_file, LEDGER + "\n".join(pieces))


# ---- the plugin's config string --------------------------------------------------------------

CONFIG_VALUES = st.one_of(st.text(max_size=12), st.integers(), st.none(), st.booleans(),
                          st.sampled_from(["2025-12-31", "06-30", "02-30", "Income:X",
                                           "income", 10**40]))
CONFIG_TEXT = st.one_of(
    ANY_TEXT,
    st.dictionaries(st.one_of(st.sampled_from(["as_of", "recovery_account", "fiscal_year_end",
                                               "earnings_account"]), st.text(max_size=5),
                              st.integers()),
                    CONFIG_VALUES, max_size=4).map(repr),
    st.sampled_from(["{", "[" * 200, "{'as_of': " + "9" * 5000 + "}", "{1: 2}", "()", "''"]),
)


@FAST
@given(text=CONFIG_TEXT)
@example(text="{" + "9" * 4000 + ": 1}")
def test_the_plugin_config_is_read_or_refused_with_a_config_error(text):
    try:
        config = parse_config(text, today=datetime.date(2025, 6, 30))
    except ConfigError as error:
        assert str(error)
        return
    assert isinstance(config.as_of, datetime.date)


@LEDGERS
@given(text=CONFIG_TEXT.map(lambda s: s.replace("\\", "").replace('"', "'").replace("\n", " ")))
def test_a_bad_plugin_config_is_an_error_at_the_plugin_line(text, ledger_file):
    _check_load(ledger_file, f'plugin "coop_beancount.plugins.coop" "{text}"\n'
                '2025-01-01 custom "coop-member" "Alice" "Alice Smith"\n')


# ---- CSV files through the importers -----------------------------------------------------

CELL = st.one_of(ANY_TEXT, NUMBER_TEXT, DATE, st.sampled_from(["Alice", "Bob", "Zed", "carol",
                                                                 "2025-Q3", "2025-13", "D", "C"]))


@st.composite
def csv_bytes(draw, header: list[str]) -> bytes:
    """A CSV file: the header or a broken one, rows of any cells, in some encoding."""
    columns = draw(st.one_of(st.just(header), st.lists(st.sampled_from([*header, "X"]),
                                                       max_size=6)))
    rows = draw(st.lists(st.lists(CELL, min_size=max(len(columns) - 1, 0),
                                  max_size=len(columns) + 1), max_size=6))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    text = out.getvalue()
    if draw(st.booleans()):
        text = text.replace(draw(st.sampled_from([",", "\r\n", '"'])),
                            draw(st.sampled_from([";", "\n", "", '""'])))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


BANK_HEADER = ["Date", "Payee", "Memo", "Amount", "Balance", "Dr/Cr"]
ANY_BYTES = st.binary(max_size=300)


def _bank(**options) -> BankImporter:
    return BankImporter("bank", "Assets:Bank", "USD",
                        BankColumns(date="Date", amount="Amount", payee="Payee",
                                    narration=("Memo",), balance="Balance", **options))


IMPORTERS = {
    "bank": (BANK_HEADER, lambda: _bank()),
    "bank-sign": (BANK_HEADER, lambda: _bank(sign="Dr/Cr")),
    "bank-eu": (BANK_HEADER, lambda: BankImporter(
        "eu", "Assets:Bank", "USD", BankColumns(date=1, amount=4),
        csv=CsvFormat(delimiter=";", decimal=",", thousands=".", date_format="%d.%m.%Y"))),
    "patronage": (["Grower", "Date", "Barrels", "Bog"], lambda: PatronageImporter(
        "scale", "Equity:Members", "barrels",
        {"member": "Grower", "date": "Date", "quantity": "Barrels", "description": "Bog"},
        CsvFormat())),
    "roster": (["Key", "Name", "Joined", "Left", "IBAN"], lambda: RosterImporter(
        "roster", "Equity:Members",
        {"key": "Key", "name": "Name", "joined": "Joined", "left": "Left", "iban": "IBAN"},
        CsvFormat())),
}
BOOKS, _, _ = loader.load_string(LEDGER)


@st.composite
def documents(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(IMPORTERS)))
    content = draw(st.one_of(csv_bytes(IMPORTERS[name][0]), ANY_BYTES))
    return name, content


@FILES
@given(document=documents())
@example(document=("bank", b'"Date,Payee\n' + b"x" * 140000 + b"\n"))
@example(document=("bank", b"Date,Payee,Memo,Amount,Balance,Dr/Cr\n2025-01-01,A,m,1E+30,,\n"))
@example(document=("bank-eu", b"Date;Payee;Memo;Amount\n01.03.2025;A;m;1,234.50\n"))
def test_a_csv_file_is_imported_or_refused_at_its_row(document, scratch):
    name, content = document
    path = scratch / "statement.csv"
    path.write_bytes(content)
    importer = IMPORTERS[name][1]()
    # Identify never raises: a file it cannot read is simply not recognised.
    recognised = importer.identify(str(path))
    assert isinstance(recognised, bool)
    if not recognised:
        assert importer.mismatch(str(path))
    try:
        entries = importer.extract(str(path), BOOKS)
    except ImportFileError as error:
        assert error.path == str(path) and error.message
        return
    # What would be appended must be Beancount text that reads back as written.
    text = "".join(printer.format_entry(entry) + "\n" for entry in entries)
    parsed, errors, _ = parser.parse_string(text)
    assert not errors, (text, errors)
    assert len(parsed) == len(entries)


FORMATS = st.builds(CsvFormat, encoding=st.sampled_from(["utf-8-sig", "latin-1", "utf-16"]),
                    delimiter=st.sampled_from([",", ";", "\t", "|", " ", '"']),
                    skip_lines=st.integers(0, 3),
                    date_format=st.sampled_from(["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%d%%",
                                                 "%s"]),
                    decimal=st.sampled_from([".", ","]), thousands=st.sampled_from([",", ".",
                                                                                    "", " "]))


@FILES
@given(content=ANY_BYTES, fmt=FORMATS, required=st.lists(st.sampled_from(["Date", "Amount", ""]),
                                                         max_size=2))
def test_reading_rows_gives_rows_or_an_import_error(content, fmt, required, scratch):
    path = scratch / "file.csv"
    path.write_bytes(content)
    try:
        for row in read_rows(path, fmt, tuple(required)):
            assert row.number > fmt.skip_lines + 1
    except ImportFileError as error:
        assert error.message


@FAST
@given(text=st.one_of(NUMBER_TEXT, ANY_TEXT), fmt=FORMATS)
@example(text="1,234.50", fmt=CsvFormat(decimal=",", thousands="."))
@example(text="²", fmt=CsvFormat())
def test_a_cell_is_a_number_or_date_or_an_error_at_its_row(text, fmt):
    for parse in (parse_number, parse_date):
        try:
            value = parse(text, fmt, "f.csv", 7, "Cell")
        except ImportFileError as error:
            assert error.row == 7 and "'Cell'" in error.message
            continue
        if parse is parse_number:
            assert value.is_finite()
            assert len(value.as_tuple().digits) <= 28


# ---- import.yaml -------------------------------------------------------------------------

YAML_KEYS = ("importers", "matching", "type", "name", "account", "currency", "filename", "csv",
             "columns", "encoding", "delimiter", "skip_lines", "date_format", "decimal",
             "thousands", "date", "amount", "debit", "credit", "sign", "narration", "measure",
             "member", "quantity", "key", "joined", "names", "accounts", "references",
             "pattern", "to", "inflow", "positive", "balances", "sign_values")
YAML_LEAF = st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.none(),
                      st.floats(allow_nan=True),
                      st.sampled_from(["bank", "patronage", "roster", "Assets:Bank", "USD",
                                       "barrels", "%d.%m.%Y", ",", "klingon", "(", "dues",
                                       "shares:Member", "Date", 0, -1, 10**40]))


def _nested(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.lists(inner, max_size=3),
                     st.dictionaries(st.one_of(st.sampled_from(YAML_KEYS), st.integers()),
                                     inner, max_size=5))


YAML_DOCUMENT = st.recursive(YAML_LEAF, _nested, max_leaves=25)
VALID_IMPORTERS = [
    {"type": "bank", "name": "checking", "account": "Assets:Bank", "currency": "USD",
     "filename": "bank*.csv", "positive": "inflow", "balances": "last",
     "csv": {"encoding": "utf-8", "delimiter": ",", "skip_lines": 0, "date_format": "%Y-%m-%d",
             "decimal": ".", "thousands": ","},
     "columns": {"date": "Date", "amount": "Amount", "sign": "Dr/Cr", "narration": ["Memo"]},
     "sign_values": {"debit": ["D"], "credit": ["C"]},
     "matching": {"inflow": "dues", "names": {"ALICE SMITH": "Alice"},
                  "references": [{"pattern": "dues (?P<member>\\w+)", "to": "dues"}]}},
    {"type": "patronage", "name": "scale", "measure": "barrels", "filename": "scale*.csv",
     "columns": {"member": "Grower", "date": 2, "quantity": "Barrels"}},
    {"type": "roster", "filename": "roster*.csv",
     "columns": {"key": "Key", "name": "Name", "joined": "Joined", "left": "Left"}},
]


@st.composite
def near_configs(draw) -> str:
    """A valid import.yaml with one value replaced, one key dropped or one key added."""
    config = {"importers": yaml.safe_load(yaml.safe_dump(VALID_IMPORTERS)),
              "matching": {"unknown_inflow": "Income:Unknown", "accounts": {"0042": "Bob"}}}
    paths = []

    def walk(node, path):
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            paths.append((*path, key))
            if isinstance(value, (dict, list)):
                walk(value, (*path, key))

    walk(config, ())
    *parents, last = draw(st.sampled_from(paths))
    node = config
    for key in parents:
        node = node[key]
    change = draw(st.sampled_from(["replace", "drop", "add"]))
    if change == "replace":
        node[last] = draw(YAML_DOCUMENT)
    elif change == "drop":
        del node[last]
    elif isinstance(node, dict):
        node[draw(st.sampled_from(YAML_KEYS))] = draw(YAML_LEAF)
    return yaml.safe_dump(config, allow_unicode=True)


YAML_TEXT = st.one_of(
    near_configs(),
    YAML_DOCUMENT.map(lambda doc: yaml.safe_dump({"importers": [doc]} if isinstance(doc, dict)
                                                 else doc, allow_unicode=True)),
    YAML_DOCUMENT.map(lambda doc: yaml.safe_dump(doc)),
    ANY_TEXT,
    st.sampled_from(["importers: [", "a: b: c", "\t- x", "%YAML 9.9\n---\n", "*alias",
                     "importers: " + "[" * 600 + "]" * 600, "!!python/object:os.system {}"]),
)


@FILES
@given(text=YAML_TEXT)
@example(text="importers: " + "[" * 600 + "]" * 600)
def test_import_yaml_is_read_or_refused_with_its_key(text, scratch):
    path = scratch / "import.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        config = load_config(path)
    except ImportConfigError as error:
        assert error.path == str(path) and error.message
        return
    assert config.importers


# ---- the command, end to end -----------------------------------------------------------------

CLI_BOOKS = LEDGER.replace("'as_of': '2025-12-31'", "'as_of': '2024-12-31'")
CLI_CONFIG = textwrap.dedent("""\
    importers:
      - type: bank
        name: checking
        account: Assets:Bank
        currency: USD
        filename: "bank*.csv"
        columns: {date: Date, amount: Amount, payee: Payee, narration: Memo, balance: Balance,
                  sign: Dr/Cr}
      - type: patronage
        name: scale
        measure: barrels
        filename: "scale*.csv"
        columns: {member: Grower, date: Date, quantity: Barrels, description: Bog}
      - type: roster
        filename: "roster*.csv"
        columns: {key: Key, name: Name, joined: Joined, left: Left, iban: IBAN}
    """)
CLI_FILES = {"bank": "bank.csv", "bank-sign": "bank.csv", "patronage": "scale.csv",
             "roster": "roster.csv"}


@pytest.fixture(scope="module")
def import_books(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("books")
    (folder / "main.beancount").write_text(CLI_BOOKS)
    (folder / "import.yaml").write_text(CLI_CONFIG)
    return folder


@COMMANDS
@given(document=documents().filter(lambda d: d[0] in CLI_FILES))
@example(document=("bank", b"Date,Payee,Memo,Amount,Balance,Dr/Cr\n2025-01-01,A,m,"
                   + b"9" * 500 + b",,C\n"))
def test_import_extract_dry_run_is_clean_or_a_clean_error(document, import_books,
                                                           scratch):
    name, content = document
    folder = scratch / "downloads"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    path = folder / CLI_FILES[name]
    path.write_bytes(content)
    before = (import_books / "main.beancount").read_bytes()
    result = CliRunner().invoke(main, ["import", "extract", str(import_books / "main.beancount"),
                                       str(path), "--dry-run"])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception, result.output)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert "Error: " in result.output
    else:  # what it would append is Beancount text
        assert not parser.parse_string(result.stdout)[1], result.stdout
    assert (import_books / "main.beancount").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == [path.name]


@COMMANDS
@given(text=YAML_TEXT)
def test_coop_import_with_any_import_yaml_is_clean(text, scratch):
    folder = scratch / "settings"
    folder.mkdir(exist_ok=True)
    (folder / "main.beancount").write_text(CLI_BOOKS)
    (folder / "import.yaml").write_text(text, encoding="utf-8")
    (folder / "bank.csv").write_text("Date,Amount\n2024-03-01,5.00\n")
    result = CliRunner().invoke(main, ["import", "identify", str(folder / "main.beancount"),
                                       str(folder / "bank.csv")])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception, result.output)
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        assert "Error: " in result.output
