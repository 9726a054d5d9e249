"""Patronage records and member rosters from CSV: entries, bad rows, duplicates, samples."""

import datetime
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from beancount.parser import printer
from beangulp import extract, testing

from coop_beancount.importers.config import load_config
from coop_beancount.importers.csvformat import BadRows, CsvFormat, ImportFileError
from coop_beancount.importers.dedupe import DUPLICATE, DUPLICATE_OF, IMPORT_ID
from coop_beancount.importers.records import PatronageImporter, RosterImporter

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

PATRONAGE_COLUMNS = {"member": "Grower", "date": "Date", "quantity": "Barrels",
                     "description": "Ticket"}
ROSTER_COLUMNS = {"key": "Member no.", "name": "Name", "joined": "Joined", "left": "Left",
                  "iban": "IBAN", "email": "E-mail"}


def patronage(fmt=None, pattern=None, columns=PATRONAGE_COLUMNS):
    return PatronageImporter("barrels", "Income:Patronage:Cranberries", "barrels", columns,
                             fmt or CsvFormat(), pattern)


def roster(pattern=None):
    return RosterImporter("roster", "Equity:Members", ROSTER_COLUMNS, CsvFormat(), pattern)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def extracted(importer, path, existing=()):
    return extract.extract_from_file(importer, path, list(existing))


def bad_rows(importer, path, existing=()):
    with pytest.raises(BadRows) as caught:
        importer.extract(path, list(existing))
    return caught.value


SCALE = """\
    Ticket,Date,Grower,Barrels
    2026-001,2026-09-21,Beaton,"3,860"
    2026-002,2026-09-23,Gomes,1790.5
    """


# ---- patronage ----------------------------------------------------------------------------

def test_patronage_rows_become_coop_patronage_records(tmp_path):
    path = write(tmp_path, "scale.csv", SCALE)
    entries = extracted(patronage(), path)
    assert [(e.date, e.type) for e in entries] == [
        (datetime.date(2026, 9, 21), "coop-patronage"),
        (datetime.date(2026, 9, 23), "coop-patronage")]
    first = entries[0]
    assert [(v.value, v.dtype) for v in first.values] == [
        ("Beaton", str), ("barrels", str), (Decimal("3860"), Decimal), ("2026-001", str)]
    assert first.meta["filename"] == path
    assert first.meta["lineno"] == 2
    assert entries[1].meta["lineno"] == 3
    assert len(first.meta[IMPORT_ID]) == 20


def test_printed_records_parse_back_identically(tmp_path):
    path = write(tmp_path, "scale.csv", """\
        Ticket,Date,Grower,Barrels
        "load ""A"" \\ bog 3",2026-09-21,Beaton,-12.50
        """)
    entries = extracted(patronage(), path)
    text = "".join(printer.format_entry(e) for e in entries)
    parsed, errors, _ = loader.load_string(text)
    assert not errors
    assert [p.values for p in parsed] == [e.values for e in entries]
    assert entries[0].values[3].value == "load 'A' / bog 3"
    assert parsed[0].meta[IMPORT_ID] == entries[0].meta[IMPORT_ID]


def test_description_is_optional(tmp_path):
    path = write(tmp_path, "hours.csv", """\
        Who,When,Hours
        Ana,2026-01-05,3.5
        """)
    importer = PatronageImporter("hours", "Income:Patronage", "hours",
                                 {"member": "Who", "date": "When", "quantity": "Hours"},
                                 CsvFormat())
    (entry,) = extracted(importer, path)
    assert [v.value for v in entry.values] == ["Ana", "hours", Decimal("3.5")]


def test_a_period_is_dated_its_last_day(tmp_path):
    path = write(tmp_path, "pos.csv", """\
        Ticket,Date,Grower,Barrels
        a,2026-02,Beaton,1
        b,2026-Q3,Beaton,1
        c,2025q4,Beaton,1
        """)
    dates = {e.meta["lineno"]: e.date for e in extracted(patronage(), path)}
    assert dates == {2: datetime.date(2026, 2, 28), 3: datetime.date(2026, 9, 30),
                     4: datetime.date(2025, 12, 31)}


def test_local_number_and_date_formats(tmp_path):
    path = tmp_path / "kassa.csv"
    path.write_bytes("Ticket;Date;Grower;Barrels\nÄ1;21.09.2026;Beaton;1.234,5\n"
                     .encode("latin-1"))
    fmt = CsvFormat(encoding="latin-1", delimiter=";", date_format="%d.%m.%Y", decimal=",",
                    thousands=".")
    (entry,) = extracted(patronage(fmt), str(path))
    assert entry.date == datetime.date(2026, 9, 21)
    assert entry.values[2].value == Decimal("1234.5")
    assert entry.values[3].value == "Ä1"


def test_columns_by_position(tmp_path):
    path = write(tmp_path, "scale.csv", SCALE)
    importer = patronage(columns={"member": 3, "date": 2, "quantity": 4})
    assert importer.identify(path)
    (first, _) = extracted(importer, path)
    assert [v.value for v in first.values] == ["Beaton", "barrels", Decimal("3860")]
    too_far = patronage(columns={"member": 3, "date": 2, "quantity": 7})
    assert too_far.mismatch(path) == "the configuration names column 7, the header has 4"


def test_identify_by_file_name_and_header(tmp_path):
    path = write(tmp_path, "scale-house-2026.csv", SCALE)
    assert patronage(pattern="scale-house-*.csv").identify(path)
    assert not patronage(pattern="timesheet-*.csv").identify(path)
    assert "does not match 'timesheet-*.csv'" in patronage(
        pattern="timesheet-*.csv").mismatch(path)
    other = write(tmp_path, "bank.csv", "Date,Amount,Payee\n2026-01-01,5.00,X\n")
    assert not patronage().identify(other)
    assert "no column 'Grower'" in patronage().mismatch(other)
    assert not patronage().identify(write(tmp_path, "empty.csv", ""))


def test_a_bad_row_past_the_header_is_still_recognised(tmp_path):
    # identify() says "mine"; extract() then names the row (not "no importer").
    path = write(tmp_path, "scale.csv", SCALE + "2026-003,2026-09-24,Pina\n")
    assert patronage().identify(path)


@pytest.mark.parametrize("row, words", [
    ("2026-003,2026-09-24,beaton,100", ["'Grower' is 'beaton'", "cannot be a member key"]),
    ("2026-003,2026-09-24,,100", ["'Grower' is empty"]),
    ("2026-003,24/09/2026,Pina,100", ["'Date' is '24/09/2026'", "'%Y-%m-%d'", "2026-Q3"]),
    ("2026-003,2026-09-24,Pina,lots", ["'Barrels' is 'lots'", "not a number"]),
])
def test_a_bad_value_names_the_file_and_row(tmp_path, row, words):
    path = write(tmp_path, "scale.csv", SCALE + row + "\n")
    error = bad_rows(patronage(), path)
    assert error.path == path
    assert [e.row for e in error.errors] == [4]
    assert str(error).startswith(f"{path}: 1 row cannot be imported:\n  row 4: ")
    for word in words:
        assert word in str(error.errors[0])
    # The good rows are there for a caller who chooses to write them.
    assert [e.meta["lineno"] for e in error.entries] == [2, 3]


def test_every_bad_row_is_listed(tmp_path):
    path = write(tmp_path, "scale.csv", SCALE + "x,2026-13-01,Pina,1\ny,2026-09-01,Pina,?\n")
    error = bad_rows(patronage(), path)
    assert [e.row for e in error.errors] == [4, 5]


def test_wrong_column_count_names_the_row(tmp_path):
    path = write(tmp_path, "scale.csv", SCALE + "2026-003,2026-09-24,Pina\n")
    with pytest.raises(ImportFileError) as caught:
        patronage().extract(path, [])
    assert not isinstance(caught.value, BadRows)
    assert caught.value.row == 4
    assert str(caught.value).startswith(f"{path}, row 4: has 3 cells, the header has 4")


def test_an_empty_file_is_an_error_naming_it(tmp_path):
    path = write(tmp_path, "scale.csv", "")
    with pytest.raises(ImportFileError, match=r"scale\.csv: is empty"):
        patronage().extract(path, [])
    header_only = write(tmp_path, "header.csv", "Ticket,Date,Grower,Barrels\n")
    with pytest.raises(ImportFileError, match=r"header\.csv: has a header but no rows"):
        patronage().extract(header_only, [])


def test_a_member_the_books_do_not_have_is_a_bad_row(tmp_path):
    books, _, _ = loader.load_string('2026-01-01 custom "coop-member" "Beaton" "Ruth Beaton"')
    path = write(tmp_path, "scale.csv", SCALE)
    error = bad_rows(patronage(), path, books)
    assert [e.row for e in error.errors] == [3]
    assert "'Gomes' is not a member in the books (members: Beaton)" in str(error.errors[0])


def test_import_ids_are_stable_and_tell_equal_rows_apart(tmp_path):
    first = extracted(patronage(), write(tmp_path, "a.csv", SCALE))
    # The same rows in another file, another order and number format: the same ids.
    again = extracted(patronage(), write(tmp_path, "b.csv", """\
        Ticket,Date,Grower,Barrels
        2026-002,2026-09-23,Gomes,"1,790.50"
        2026-001,2026-09-21,Beaton,3860
        """))
    assert {e.meta[IMPORT_ID] for e in first} == {e.meta[IMPORT_ID] for e in again}
    # Two equal loads on one day are two records.
    twice = extracted(patronage(), write(tmp_path, "c.csv", """\
        Ticket,Date,Grower,Barrels
        ,2026-09-21,Beaton,100
        ,2026-09-21,Beaton,100
        """))
    assert len({e.meta[IMPORT_ID] for e in twice}) == 2


def test_deduplicate_marks_rows_already_imported_or_written_by_hand(tmp_path):
    path = write(tmp_path, "scale.csv", SCALE)
    importer = patronage()
    books_text = "".join(printer.format_entry(e) for e in extracted(importer, path)[:1])
    books_text += '2026-09-23 custom "coop-patronage" "Gomes" "barrels" 1790.5 "2026-002"\n'
    books, errors, _ = loader.load_string(books_text)
    assert not errors
    entries = extracted(importer, path)
    importer.deduplicate(entries, books)
    assert [bool(e.meta.get(DUPLICATE)) for e in entries] == [True, True]
    assert entries[0].meta[DUPLICATE_OF] == "<string>:1"
    fresh = extracted(importer, path)
    importer.deduplicate(fresh, [])
    assert not any(e.meta.get(DUPLICATE) for e in fresh)


def test_archive_date_is_the_latest_row(tmp_path):
    assert patronage().date(write(tmp_path, "scale.csv", SCALE)) == datetime.date(2026, 9, 23)
    assert patronage().date(write(tmp_path, "empty.csv", "")) is None


def test_columns_are_checked_when_the_importer_is_made():
    with pytest.raises(ValueError, match="needs quantity; has no use for weight"):
        patronage(columns={"member": "M", "date": "D", "weight": "W"})


# ---- roster -------------------------------------------------------------------------------

ROSTER = """\
    Member no.,Name,Joined,Left,IBAN,E-mail
    Ana,Ana Souza,2025-01-01,,DE89 3704 0044 0532 0130 00,ana@example.org
    Ben,"Ben ""Benny"" Okoro",2025-02-10,2025-12-31,,
    """


def test_roster_rows_become_members_and_leaves(tmp_path):
    path = write(tmp_path, "roster.csv", ROSTER)
    entries = extracted(roster(), path)
    assert [(e.date, e.type, [v.value for v in e.values]) for e in entries] == [
        (datetime.date(2025, 1, 1), "coop-member", ["Ana", "Ana Souza"]),
        (datetime.date(2025, 2, 10), "coop-member", ["Ben", "Ben 'Benny' Okoro"]),
        (datetime.date(2025, 12, 31), "coop-leave", ["Ben"])]
    ana = entries[0]
    assert ana.meta["iban"] == "DE89 3704 0044 0532 0130 00"
    assert ana.meta["email"] == "ana@example.org"
    assert "iban" not in entries[1].meta and "email" not in entries[1].meta
    assert entries[2].meta["lineno"] == 3
    assert len({e.meta[IMPORT_ID] for e in entries}) == 3


def test_an_imported_roster_loads_as_members(tmp_path):
    entries = extracted(roster(), write(tmp_path, "roster.csv", ROSTER))
    text = ('plugin "coop_beancount.plugins.coop" "{\'as_of\': \'2026-12-31\'}"\n'
            + "".join(printer.format_entry(e) for e in entries))
    loaded, errors, _ = loader.load_string(text)
    assert not errors
    members = [e for e in loaded if isinstance(e, data.Custom) and e.type == "coop-member"]
    assert [m.meta["iban"] for m in members[:1]] == ["DE89 3704 0044 0532 0130 00"]


@pytest.mark.parametrize("row, words", [
    ("Ana,Ana Again,2025-03-01,,,", ["member key 'Ana' is also on row 2",
                                     "lists each member once"]),
    ("ana s,Ana S,2025-03-01,,,", ["'Member no.' is 'ana s'", "cannot be a member key"]),
    ("Cy,,2025-03-01,,,", ["'Name' is empty: member 'Cy' needs a name"]),
    ("Cy,Cy Li,2025-03-01,2025-02-01,,", ["left on 2025-02-01, before joining on 2025-03-01"]),
    ("Cy,Cy Li,1 March,,,", ["'Joined' is '1 March', not a date"]),
    ("Cy,Cy Li,2025-03-01,soon,,", ["'Left' is 'soon', not a date"]),
])
def test_a_bad_roster_row_names_the_file_and_row(tmp_path, row, words):
    path = write(tmp_path, "roster.csv", ROSTER + row + "\n")
    error = bad_rows(roster(), path)
    assert [e.row for e in error.errors] == [4]
    assert error.errors[0].path == path
    for word in words:
        assert word in str(error.errors[0])


def test_a_roster_with_the_wrong_column_count_or_nothing_in_it(tmp_path):
    with pytest.raises(ImportFileError, match=r"roster\.csv, row 3: has 5 cells"):
        roster().extract(write(tmp_path, "roster.csv", ROSTER.replace(
            "2025-12-31,,", "2025-12-31,")), [])
    with pytest.raises(ImportFileError, match="no column 'E-mail'"):
        roster().extract(write(tmp_path, "short.csv", "Member no.,Name,Joined,Left,IBAN\n"), [])


def test_roster_members_the_books_declare_are_duplicates(tmp_path):
    books, _, _ = loader.load_string(textwrap.dedent("""\
        2024-06-01 custom "coop-member" "Ana" "Ana Souza-Lima"
        2025-12-31 custom "coop-leave" "Ben"
        """))
    importer = roster()
    entries = extracted(importer, write(tmp_path, "roster.csv", ROSTER), books)
    importer.deduplicate(entries, books)
    marked = [(e.type, e.values[0].value, e.meta.get(DUPLICATE_OF)) for e in entries
              if e.meta.get(DUPLICATE)]
    # Ana joined on another day under another name: still the same member, not a second one.
    assert marked == [("coop-member", "Ana", "<string>:1"), ("coop-leave", "Ben", "<string>:2")]


# ---- regression: the samples in examples/*/imports, with beangulp's harness --------------

SAMPLES = [("growers-coop", "scale-house-2026-09.csv"), ("dev-coop", "members-roster.csv")]


@pytest.mark.parametrize("example, name", SAMPLES)
def test_sample_documents_give_the_expected_entries(example, name):
    # Read with the example's own import.yaml: the configuration and the importer together.
    folder = EXAMPLES / example
    document = str(folder / "imports" / name)
    importers = load_config(folder / "import.yaml").importers
    (importer,) = [i for i in importers if i.identify(document)]
    assert isinstance(importer, PatronageImporter | RosterImporter)
    account, date, name, entries = testing.run_importer(importer, document)
    diff = testing.compare_expected(f"{document}.beancount", account, date, name, entries)
    assert not diff, "".join(diff)
