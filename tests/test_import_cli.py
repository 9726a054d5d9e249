"""`coop import`: identify, extract (dry run, duplicates, refusals, rollback), archive."""

import datetime
import errno
import os
import shutil
import textwrap
from decimal import Decimal
from pathlib import Path

import beangulp
import pytest
from beancount.core import data
from beancount.core.amount import Amount
from click.testing import CliRunner

from coop_beancount.books.files import move_whole
from coop_beancount.cli import imports as import_cli
from coop_beancount.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

MAIN = """\
    option "operating_currency" "USD"
    plugin "coop_beancount.plugins.coop" "{'as_of': '2026-12-31'}"
    include "members.beancount"
    include "2026.beancount"
    2026-01-01 custom "coop-measure" "barrels"
    """
MEMBERS = """\
    2026-01-01 custom "coop-member" "Beaton" "Ruth Beaton"
    2026-01-01 custom "coop-member" "Gomes" "Antonio Gomes"
    """
YEAR = "; 2026: deliveries\n"
CONFIG = """\
    importers:
      - name: barrels
        type: patronage
        account: Income:Patronage:Cranberries
        measure: barrels
        filename: "scale-house-*.csv"
        columns: {member: Grower, date: Date, quantity: Barrels, description: Ticket}
      - name: roster
        type: roster
        account: Equity:Members
        filename: "roster*.csv"
        columns: {key: Key, name: Name, joined: Joined, left: Left}
    """
SCALE = """\
    Ticket,Date,Grower,Barrels
    2026-001,2026-09-21,Beaton,"3,860"
    2026-002,2026-09-23,Gomes,1790
    """


def dedent_write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def books(tmp_path):
    dedent_write(tmp_path / "members.beancount", MEMBERS)
    dedent_write(tmp_path / "2026.beancount", YEAR)
    dedent_write(tmp_path / "import.yaml", CONFIG)
    (tmp_path / "downloads").mkdir()
    return dedent_write(tmp_path / "main.beancount", MAIN)


@pytest.fixture
def scale(books):
    return dedent_write(books.parent / "downloads" / "scale-house-2026-09.csv", SCALE)


def run(*args):
    return CliRunner().invoke(main, ["import", *map(str, args)], catch_exceptions=False)


def year_file(books):
    return (books.parent / "2026.beancount").read_text()


# ---- identify -----------------------------------------------------------------------------

def test_identify_names_the_importer_and_account(books, scale):
    result = run("identify", books, scale)
    assert result.exit_code == 0, result.output
    assert "barrels" in result.stdout
    assert "Income:Patronage:Cranberries" in result.stdout


def test_identify_skips_unknown_files_in_a_folder_but_not_named_ones(books, scale):
    other = dedent_write(books.parent / "downloads" / "notes.txt", "hello\n")
    result = run("identify", books, books.parent / "downloads")
    assert result.exit_code == 0, result.output
    assert "notes.txt" in result.stdout and "not recognised: skipped" in result.stdout
    result = run("identify", books, other)
    assert result.exit_code == 1
    assert f"{other}: no importer recognises this file" in result.stderr
    assert "barrels: the file name does not match 'scale-house-*.csv'" in result.stderr


# ---- extract ------------------------------------------------------------------------------

def test_dry_run_prints_the_entries_and_writes_nothing(books, scale):
    before = {p: p.read_bytes() for p in books.parent.iterdir() if p.is_file()}
    result = run("extract", books, scale, "--to", books.parent / "2026.beancount", "--dry-run")
    assert result.exit_code == 0, result.output
    assert '2026-09-21 custom "coop-patronage" "Beaton" "barrels" 3860 "2026-001"' in (
        result.stdout)
    assert "import-id:" in result.stdout
    assert "2 new entries would be appended to" in result.stderr
    assert {p: p.read_bytes() for p in books.parent.iterdir() if p.is_file()} == before


def test_extract_appends_once_and_lists_duplicates_the_second_time(books, scale):
    target = books.parent / "2026.beancount"
    first = run("extract", books, scale, "--to", target)
    assert first.exit_code == 0, first.output
    assert "Appended 2 entries" in first.stderr
    written = year_file(books)
    assert written.startswith(YEAR)
    assert written.count('custom "coop-patronage"') == 2
    assert CliRunner().invoke(main, ["check", str(books)]).exit_code == 0

    second = run("extract", books, scale, "--to", target)
    assert second.exit_code == 0, second.output
    assert "Nothing new to import" in second.stderr
    assert "duplicate: scale-house-2026-09.csv, row 2:" in second.stderr
    line = written.splitlines().index(
        '2026-09-21 custom "coop-patronage" "Beaton" "barrels" 3860 "2026-001"') + 1
    assert f"already in {target}:{line}" in second.stderr
    assert year_file(books) == written


def test_an_overlapping_file_adds_only_its_new_rows(books, scale):
    target = books.parent / "2026.beancount"
    assert run("extract", books, scale, "--to", target).exit_code == 0
    later = dedent_write(books.parent / "downloads" / "scale-house-2026-10.csv", SCALE + """\
        2026-003,2026-10-02,Beaton,4080
        """)
    result = run("extract", books, later, "--to", target)
    assert result.exit_code == 0, result.output
    assert "Appended 1 entry" in result.stderr
    assert year_file(books).count('custom "coop-patronage"') == 3


def test_refuses_books_that_do_not_check_clean(books, scale):
    dedent_write(books.parent / "2026.beancount", YEAR + """\
        2026-02-01 * "Unbalanced"
          Assets:Bank  10.00 USD
          Income:Misc  -5.00 USD
        """)
    before = year_file(books)
    result = run("extract", books, scale, "--to", books.parent / "2026.beancount")
    assert result.exit_code == 1
    assert "does not check clean" in result.stderr
    assert "nothing was imported" in result.stderr
    assert year_file(books) == before


def test_entries_that_break_the_books_are_taken_back(books):
    # Gomes joins on 2026-01-01: a delivery before that passes the importer (he is a member)
    # but not the co-op plugin; the file must be as it was.
    early = dedent_write(books.parent / "downloads" / "scale-house-2025.csv", """\
        Ticket,Date,Grower,Barrels
        2025-001,2025-12-01,Gomes,100
        """)
    result = run("extract", books, early, "--to", books.parent / "2026.beancount")
    assert result.exit_code == 1
    assert "when they were not a member" in result.stderr
    assert "was left as it was" in result.stderr
    assert year_file(books) == YEAR
    assert not [p for p in books.parent.iterdir() if p.name.endswith(".tmp")]


class PlaceholderImporter(beangulp.Importer):
    """A bank-like importer whose one line goes to a placeholder account."""

    name = "fake-bank"

    def identify(self, filepath):
        return filepath.endswith(".bank")

    def account(self, filepath):
        return "Assets:Bank"

    def extract(self, filepath, existing):
        meta = data.new_metadata(filepath, 2, {"import-id": "x1"})
        units = Amount(Decimal("5.00"), "USD")
        return [data.Transaction(meta, datetime.date(2026, 2, 1), "!", "SOMEONE", "?",
                                 frozenset(), frozenset(), [
                                     data.Posting("Assets:Bank", units, None, None, None, None),
                                     data.Posting("Income:Unknown", -units, None, None, None,
                                                  None)])]


def test_an_unopened_placeholder_is_taken_back_with_a_hint(books, monkeypatch):
    monkeypatch.setattr(import_cli, "load_importers", lambda path: [PlaceholderImporter()])
    statement = dedent_write(books.parent / "downloads" / "feb.bank", "whatever\n")
    result = run("extract", books, statement, "--to", books.parent / "2026.beancount")
    assert result.exit_code == 1
    assert "Invalid reference to unknown account 'Income:Unknown'" in result.stderr
    assert "Hint: open Assets:Bank, Income:Unknown in the books" in result.stderr
    assert year_file(books) == YEAR


def test_a_dry_run_on_books_that_do_not_check_clean_warns(books, scale):
    dedent_write(books.parent / "2026.beancount", YEAR + "2026-02-01 open Assets:Bank XYZ ABC\n"
                 "2026-02-01 open Assets:Bank USD\n")
    result = run("extract", books, scale, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Warning:" in result.stderr and "does not check clean" in result.stderr
    assert 'custom "coop-patronage" "Beaton"' in result.stdout


def test_an_unrecognised_file_is_a_clean_error(books, scale):
    statement = dedent_write(books.parent / "downloads" / "statement.csv",
                             "Date,Amount\n2026-01-01,5.00\n")
    result = run("extract", books, scale, statement, "--to", books.parent / "2026.beancount")
    assert result.exit_code == 1
    assert f"{statement}: no importer recognises this file" in result.stderr
    assert "Traceback" not in result.output
    assert year_file(books) == YEAR


def test_an_empty_file_is_named(books):
    empty = dedent_write(books.parent / "downloads" / "scale-house-empty.csv", "")
    result = run("extract", books, empty, "--to", books.parent / "2026.beancount")
    assert result.exit_code == 1
    assert f"{empty}: is empty: nothing to import" in result.stderr
    assert year_file(books) == YEAR


@pytest.mark.parametrize("row, message", [
    ("2026-003,2026-09-24,Pina", "row 4: has 3 cells, the header has 4"),
    ("2026-003,09/24/2026,Beaton,1", "row 4: 'Date' is '09/24/2026'"),
    ("2026-003,2026-09-24,Beaton,1O0", "row 4: 'Barrels' is '1O0', not a number"),
    ("2026-003,2026-09-24,Pina,100", "row 4: 'Pina' is not a member in the books"),
])
def test_a_bad_row_names_the_file_and_row_and_nothing_is_written(books, row, message):
    bad = dedent_write(books.parent / "downloads" / "scale-house-bad.csv", SCALE + row + "\n")
    result = run("extract", books, bad, "--to", books.parent / "2026.beancount")
    assert result.exit_code == 1
    assert f"{bad}, {message}" in result.stderr
    assert "nothing was written" in result.stderr
    assert year_file(books) == YEAR


def test_skip_bad_rows_writes_the_good_ones_and_lists_the_bad(books):
    bad = dedent_write(books.parent / "downloads" / "scale-house-bad.csv",
                       SCALE + "2026-003,2026-09-24,Beaton,lots\n")
    result = run("extract", books, bad, "--to", books.parent / "2026.beancount",
                 "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    assert f"bad row: {bad}, row 4: 'Barrels' is 'lots'" in result.stderr
    assert year_file(books).count('custom "coop-patronage"') == 2


def test_the_target_must_be_a_file_of_the_books(books, scale):
    stray = dedent_write(books.parent / "stray.beancount", "")
    result = run("extract", books, scale, "--to", stray)
    assert result.exit_code == 1
    assert "is not one of the files of" in result.stderr
    assert stray.read_text() == ""


def test_a_missing_configuration_is_a_clean_error(books, scale):
    (books.parent / "import.yaml").unlink()
    result = run("extract", books, scale, "--dry-run")
    assert result.exit_code == 1
    assert "no import configuration" in result.stderr and "import.yaml" in result.stderr


def test_a_configuration_mistake_names_the_file_and_key(books, scale):
    config = books.parent / "import.yaml"
    config.write_text(config.read_text().replace("measure: barrels", "mesure: barrels"))
    result = run("extract", books, scale, "--to", books.parent / "2026.beancount")
    assert result.exit_code == 1
    assert f"{config}: importers[1].mesure: unknown key" in result.stderr
    assert "Traceback" not in result.output
    assert year_file(books) == YEAR


def test_a_file_two_importers_recognise_is_a_clean_error(books, scale):
    config = books.parent / "import.yaml"
    config.write_text(config.read_text().replace('filename: "roster*.csv"',
                                                 'filename: "*.csv"').replace(
        "key: Key, name: Name, joined: Joined, left: Left",
        "key: Grower, name: Ticket, joined: Date"))
    result = run("extract", books, scale, "--dry-run")
    assert result.exit_code == 1
    assert f"{scale}: recognised by more than one importer (barrels, roster)" in result.stderr


def test_a_roster_and_its_members_patronage_in_one_run(books, scale):
    roster = dedent_write(books.parent / "downloads" / "roster.csv", """\
        Key,Name,Joined,Left
        Beaton,Ruth Beaton,2026-01-01,
        Pina,Lucia Pina,2026-05-01,
        """)
    patronage = dedent_write(books.parent / "downloads" / "scale-house-pina.csv", """\
        Ticket,Date,Grower,Barrels
        2026-010,2026-09-25,Pina,1515
        """)
    # The roster is read first whatever the order given, so Pina is a member by then.
    result = run("extract", books, patronage, roster, "--to", books.parent / "2026.beancount")
    assert result.exit_code == 0, result.output
    assert "Extracting" in result.stderr  # the progress bar, over several files
    written = year_file(books)
    assert 'custom "coop-member" "Pina" "Lucia Pina"' in written
    assert 'custom "coop-member" "Beaton"' not in written
    assert 'custom "coop-patronage" "Pina" "barrels" 1515' in written


# ---- archive ------------------------------------------------------------------------------

def test_archive_files_documents_by_account_and_date(books, scale):
    documents = books.parent / "documents"
    dry = run("archive", books, books.parent / "downloads", "--to", documents, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert scale.exists() and not documents.exists()
    result = run("archive", books, books.parent / "downloads", "--to", documents)
    assert result.exit_code == 0, result.output
    filed = documents / "Income" / "Patronage" / "Cranberries" / (
        "2026-09-23.scale-house-2026-09.csv")
    assert filed.read_text() == textwrap.dedent(SCALE)
    assert not scale.exists()


def test_archive_moves_nothing_when_one_file_has_no_place(books, scale):
    documents = books.parent / "documents"
    taken = documents / "Income" / "Patronage" / "Cranberries" / (
        "2026-09-23.scale-house-2026-09.csv")
    taken.parent.mkdir(parents=True)
    taken.write_text("older\n")
    roster = dedent_write(books.parent / "downloads" / "roster.csv",
                          "Key,Name,Joined,Left\nPina,Lucia Pina,2026-05-01,\n")
    result = run("archive", books, scale, roster, "--to", documents)
    assert result.exit_code == 1
    assert "is already taken" in result.stderr
    assert scale.exists() and roster.exists() and taken.read_text() == "older\n"


def test_archive_defaults_to_the_books_documents_folder(books, scale):
    dedent_write(books, 'option "documents" "docs"\n' + textwrap.dedent(MAIN))
    result = run("archive", books, scale)
    assert result.exit_code == 0, result.output
    assert (books.parent / "docs" / "Income" / "Patronage" / "Cranberries").is_dir()


def cross_device(monkeypatch) -> None:
    """os.rename fails as it does between two file systems."""
    def rename(source, target):
        raise OSError(errno.EXDEV, "Invalid cross-device link")
    monkeypatch.setattr(os, "rename", rename)


def test_archive_across_devices_copies_whole_then_deletes(books, scale, monkeypatch):
    cross_device(monkeypatch)
    documents = books.parent / "documents"
    result = run("archive", books, scale, "--to", documents)
    assert result.exit_code == 0, result.output
    folder = documents / "Income" / "Patronage" / "Cranberries"
    assert [p.name for p in folder.iterdir()] == ["2026-09-23.scale-house-2026-09.csv"]
    assert (folder / "2026-09-23.scale-house-2026-09.csv").read_text() == textwrap.dedent(SCALE)
    assert not scale.exists()


def test_a_copy_cut_short_leaves_the_document_where_it_was(tmp_path, monkeypatch):
    cross_device(monkeypatch)
    source = tmp_path / "statement.csv"
    source.write_bytes(b"x" * 100_000)
    target = tmp_path / "documents" / "Assets" / "2026-01-01.statement.csv"

    def copy_half(original, out):
        out.write(original.read(50_000))
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(shutil, "copyfileobj", copy_half)
    with pytest.raises(OSError, match="No space"):
        move_whole(source, target)
    assert source.read_bytes() == b"x" * 100_000
    assert list(target.parent.iterdir()) == []  # neither half a document nor a temporary


def test_move_across_devices_to_a_disk_without_hard_links(tmp_path, monkeypatch):
    cross_device(monkeypatch)

    def no_links(source, target):
        raise PermissionError(errno.EPERM, "Operation not permitted")
    monkeypatch.setattr(os, "link", no_links)
    source = tmp_path / "statement.csv"
    source.write_text("date,amount\n")
    target = tmp_path / "usb" / "2026-01-01.statement.csv"
    move_whole(source, target)
    assert not source.exists()
    assert [p.name for p in target.parent.iterdir()] == [target.name]
    assert target.read_text() == "date,amount\n"


def test_move_whole_never_replaces_a_file(tmp_path):
    source, target = tmp_path / "new.csv", tmp_path / "old.csv"
    source.write_text("new\n")
    target.write_text("old\n")
    with pytest.raises(FileExistsError):
        move_whole(source, target)
    assert source.read_text() == "new\n" and target.read_text() == "old\n"


def test_archive_that_cannot_move_a_file_says_so_cleanly(books, scale, monkeypatch):
    def refuse(source, target):
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(os, "rename", refuse)
    result = run("archive", books, scale, "--to", books.parent / "documents")
    assert result.exit_code == 1
    assert "could not be moved" in result.stderr and "Permission denied" in result.stderr
    assert "Traceback" not in result.output
    assert scale.exists()


# ---- the examples -------------------------------------------------------------------------

@pytest.mark.parametrize("example, document, target, new", [
    ("growers-coop", "scale-house-2026-09.csv", "2026.beancount", 7),
    ("dev-coop", "members-roster.csv", "members.beancount", 2),
])
def test_the_examples_import_their_sample_documents(tmp_path, example, document, target, new):
    books = tmp_path / example
    shutil.copytree(EXAMPLES / example, books)
    doc = books / "imports" / document
    result = run("extract", books / "main.beancount", doc, "--to", books / target)
    assert result.exit_code == 0, result.output
    assert f"Appended {new} entr" in result.stderr
    again = run("extract", books / "main.beancount", doc, "--to", books / target)
    assert "Nothing new to import" in again.stderr
