"""Nothing lost between writers, and the file stays the user's.

Two `coop` commands that write the same books at once take turns (the books' write lock),
so every import is written once: none lost, none doubled. A book file that is a symlink is
written through it, a read-only one is refused, and a file keeps its mode.
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from coop_beancount.books.files import atomic_write
from coop_beancount.books.loading import load_books
from coop_beancount.books.lock import books_locked
from coop_beancount.cli import main
from tests import test_import_cli as importing
from tests import test_settle as settling

MAIN = importing.MAIN.replace('include "2026.beancount"\n',
                              'include "2026.beancount"\n    include "other.beancount"\n')
#: Writers started at once in the parallel test, and tickets per statement.
WRITERS = 4
ROWS = 3


@pytest.fixture
def books(tmp_path):
    importing.dedent_write(tmp_path / "members.beancount", importing.MEMBERS)
    importing.dedent_write(tmp_path / "2026.beancount", importing.YEAR)
    importing.dedent_write(tmp_path / "other.beancount", "; other entries\n")
    importing.dedent_write(tmp_path / "import.yaml", importing.CONFIG)
    (tmp_path / "downloads").mkdir()
    return importing.dedent_write(tmp_path / "main.beancount", MAIN)


def statement(books: Path, number: int) -> Path:
    """A scale-house list with its own tickets (`number` tells the lists apart)."""
    rows = "".join(f"{number}-{row},2026-09-{10 + row:02d},{'Beaton' if row % 2 else 'Gomes'},"
                   f"{100 * number + row}\n" for row in range(ROWS))
    path = books.parent / "downloads" / f"scale-house-{number}.csv"
    path.write_text("Ticket,Date,Grower,Barrels\n" + rows)
    return path


def deliveries(books: Path) -> list[str]:
    """The ticket of every delivery the books hold (once per entry)."""
    loaded = load_books(books)
    assert loaded.errors == []
    return sorted(e.values[3].value for e in loaded.entries
                  if type(e).__name__ == "Custom" and e.type == "coop-patronage")


def start(books: Path, *arguments) -> subprocess.Popen:
    environment = {**os.environ, "BEANCOUNT_DISABLE_LOAD_CACHE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "coop_beancount", "import", "extract", str(books),
         *map(str, arguments)], cwd=books.parent, env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(processes: list[subprocess.Popen]) -> list[str]:
    """Wait for every process; each must succeed. Returns what each printed on stderr."""
    outputs = []
    for process in processes:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors
        outputs.append(errors)
    return outputs


# ---- two writers at once ---------------------------------------------------------------------

def test_writers_started_at_once_lose_no_entry(books):
    target = books.parent / "2026.beancount"
    files = [statement(books, number) for number in range(1, WRITERS + 1)]
    finish([start(books, path, "--to", target) for path in files])
    expected = sorted(f"{n}-{row}" for n in range(1, WRITERS + 1) for row in range(ROWS))
    assert deliveries(books) == expected


def test_one_statement_imported_into_two_files_at_once_is_written_once(books):
    path = statement(books, 7)
    outputs = finish([start(books, path, "--to", books.parent / name)
                      for name in ("2026.beancount", "other.beancount")])
    assert deliveries(books) == [f"7-{row}" for row in range(ROWS)]
    assert sum("Nothing new to import" in output for output in outputs) == 1


def test_a_writer_waits_for_the_lock_and_then_sees_what_was_written(books):
    target = books.parent / "2026.beancount"
    path = statement(books, 1)
    # What the first writer writes: the statement's entries, as a dry run prints them.
    dry_run = CliRunner().invoke(main, ["import", "extract", str(books), str(path), "--dry-run"])
    assert dry_run.exit_code == 0, dry_run.output

    def first_writer():
        with books_locked(books, timeout=5):
            time.sleep(1.0)
            atomic_write(target, target.read_bytes() + dry_run.stdout.encode())

    thread = threading.Thread(target=first_writer)
    thread.start()
    time.sleep(0.3)
    result = CliRunner().invoke(main, ["import", "extract", str(books), str(path),
                                       "--to", str(target), "--wait", "60"])
    thread.join()
    assert result.exit_code == 0, result.output
    assert "Waiting for another coop command writing the books in" in result.stderr
    assert "Nothing new to import" in result.stderr
    assert deliveries(books) == [f"1-{row}" for row in range(ROWS)]


@pytest.mark.parametrize("command", ["import", "settle"])
def test_a_writer_gives_up_after_the_wait_and_writes_nothing(books, tmp_path, command):
    if command == "settle":
        books = tmp_path / "settle" / "main.beancount"
        books.parent.mkdir()
        books.write_text(settling.BOOKS)
        arguments = ["settle", str(books), "--write", str(books), "--wait", "0.3"]
    else:
        arguments = ["import", "extract", str(books), str(statement(books, 1)),
                     "--to", str(books.parent / "2026.beancount"), "--wait", "0.3"]
    before = {p: p.read_bytes() for p in books.parent.iterdir() if p.is_file()}
    with books_locked(books, timeout=5):
        result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1
    assert "Waiting for another coop command" in result.stderr
    assert "another coop command has been writing the books in" in result.stderr
    assert "nothing was written" in result.stderr
    assert "Traceback" not in result.output
    assert {p: p.read_bytes() for p in books.parent.iterdir() if p.is_file()} == before


def test_readers_and_dry_runs_take_no_lock(books):
    with books_locked(books, timeout=5):
        result = CliRunner().invoke(main, ["import", "extract", str(books),
                                           str(statement(books, 1)), "--dry-run"])
        assert result.exit_code == 0, result.output
        assert CliRunner().invoke(main, ["check", str(books)]).exit_code == 0


def test_a_write_without_the_lock_is_a_programming_error(books):
    from coop_beancount.books.loading import append_checked

    with pytest.raises(RuntimeError, match="without the write lock"):
        append_checked(load_books(books), books.parent / "2026.beancount", "; more\n")


# ---- the file is the user's ----------------------------------------------------------------

def test_a_symlinked_book_file_is_written_through_the_link(books, tmp_path):
    kept = tmp_path / "elsewhere" / "2026-real.beancount"
    kept.parent.mkdir()
    link = books.parent / "2026.beancount"
    kept.write_bytes(link.read_bytes())
    link.unlink()
    link.symlink_to(kept)
    result = CliRunner().invoke(main, ["import", "extract", str(books), str(statement(books, 1)),
                                       "--to", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(kept)
    assert kept.read_text().count('custom "coop-patronage"') == ROWS
    assert [p.name for p in kept.parent.iterdir()] == ["2026-real.beancount"]


def test_a_read_only_book_file_is_refused_and_left_as_it_was(books):
    target = books.parent / "2026.beancount"
    target.chmod(0o444)
    before = target.read_bytes()
    result = CliRunner().invoke(main, ["import", "extract", str(books), str(statement(books, 1)),
                                       "--to", str(target)])
    assert result.exit_code == 1
    assert f"could not write {target}: the file is read-only" in result.stderr
    assert "Traceback" not in result.output
    assert target.read_bytes() == before
    assert os.stat(target).st_mode & 0o777 == 0o444
    assert not [p for p in books.parent.iterdir() if p.name.endswith(".tmp")]


def test_settle_write_keeps_the_mode_and_refuses_a_read_only_file(tmp_path):
    books = tmp_path / "main.beancount"
    for mode in (0o400, 0o600):
        books.write_text(settling.BOOKS)
        books.chmod(mode)
        before = books.read_bytes()
        result = CliRunner().invoke(main, ["settle", str(books), "--write", str(books),
                                           "--date", "2025-12-31"])
        assert "Traceback" not in result.output
        assert os.stat(books).st_mode & 0o777 == mode
        if mode == 0o400:
            assert result.exit_code == 1
            assert "the file is read-only" in result.stderr
            assert books.read_bytes() == before
        else:
            assert result.exit_code == 0, result.output
            assert "Settle-up" in books.read_text()


def test_atomic_write_writes_through_a_symlink_keeping_the_mode(tmp_path):
    real = tmp_path / "real.beancount"
    real.write_text("; old\n")
    real.chmod(0o664)
    link = tmp_path / "link.beancount"
    link.symlink_to(real)
    atomic_write(link, b"; new\n")
    assert link.is_symlink() and real.read_text() == "; new\n"
    assert os.stat(real).st_mode & 0o777 == 0o664
