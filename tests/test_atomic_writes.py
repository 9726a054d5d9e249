"""Writes to the books are atomic and checked first: a command killed halfway leaves the
books as they were, and a write that would not check clean is never made.

The kill tests run the real `coop` command in a subprocess, through a small wrapper that
stalls it at a known point of the write (signalling the test through a file), and SIGKILL
it there: no cleanup code of the command runs, as in a power cut or an OOM kill.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from coop_beancount.books.loading import load_books
from coop_beancount.cli import main
from tests import test_import_cli as importing
from tests import test_settle as settling

#: The wrapper: `python stall.py SIGNAL POINT coop-arguments...`. It patches the write path
#: at POINT so that, when reached, it writes SIGNAL and sleeps until killed.
STALL = textwrap.dedent('''\
    import os, subprocess, sys, time
    from beancount import loader

    signal_file, point, arguments = sys.argv[1], sys.argv[2], sys.argv[3:]

    def stall():
        with open(signal_file, "w") as out:
            out.write(point)
        time.sleep(600)

    def stalling(real, when=lambda *a, **k: True):
        def wrapper(*args, **kwargs):
            if when(*args, **kwargs):
                stall()
            return real(*args, **kwargs)
        return wrapper

    loads = []
    def second_load(*args, **kwargs):
        loads.append(1)
        return len(loads) == 2

    if point == "check":       # checking the books with the new content (the second load)
        loader.run_transformations = stalling(loader.run_transformations, second_load)
    elif point == "fsync":     # the new content is in the temporary file, not yet renamed
        os.fsync = stalling(os.fsync)
    elif point == "replace":   # just before the rename
        os.replace = stalling(os.replace)
    elif point == "git":       # coop init, while making the repository
        subprocess.run = stalling(subprocess.run, lambda args, **k: args[0] == "git")

    from coop_beancount.cli import main
    main(arguments, prog_name="coop")
''')
#: How long the command may take to reach the stall point (imports and loads, on a busy
#: machine). Only a limit for a hung test, not a measurement.
REACH = 120


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".git" not in p.parts}


def kill_at(tmp_path: Path, point: str, *arguments) -> str:
    """Run `coop ARGUMENTS`, SIGKILL it at `point`; returns what it printed."""
    script = tmp_path / "stall.py"
    script.write_text(STALL)
    reached = tmp_path / "reached"
    process = subprocess.Popen(
        [sys.executable, str(script), str(reached), point, *map(str, arguments)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + REACH
    while not reached.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    at_point = reached.exists()
    process.send_signal(signal.SIGKILL)
    output, _ = process.communicate()
    script.unlink()
    reached.unlink(missing_ok=True)
    assert at_point, f"coop never reached {point!r}; it printed:\n{output}"
    assert process.returncode == -signal.SIGKILL
    return output


def assert_books_unharmed(books: Path, before: dict[str, bytes]) -> list[Path]:
    """The books' files are byte for byte as before and check clean; returns the leftovers
    (temporary files), after checking that they are not part of the books."""
    folder = books.parent
    after = files_under(folder)
    leftovers = [folder / name for name in set(after) - set(before)]
    assert {name: after[name] for name in before} == before
    loaded = load_books(books)
    assert loaded.errors == []
    included = {Path(f).resolve() for f in loaded.options["include"]}
    for leftover in leftovers:
        assert leftover.name.startswith(".") and leftover.name.endswith(".tmp"), leftover
        assert leftover.resolve() not in included
    check = CliRunner().invoke(main, ["check", str(books)])
    assert check.exit_code == 0, check.output
    return leftovers


# ---- coop settle --write -------------------------------------------------------------------

@pytest.fixture
def settle_books(tmp_path):
    folder = tmp_path / "books"
    folder.mkdir()
    path = folder / "main.beancount"
    path.write_text(settling.BOOKS)
    return path


@pytest.mark.parametrize("point, leaves_temporary", [("check", False), ("fsync", True),
                                                     ("replace", True)])
def test_settle_killed_mid_write_leaves_the_books_as_they_were(tmp_path, settle_books, point,
                                                               leaves_temporary):
    before = files_under(settle_books.parent)
    kill_at(tmp_path, point, "settle", settle_books, "--write", settle_books,
            "--date", "2025-12-31")
    leftovers = assert_books_unharmed(settle_books, before)
    # Killed while checking, nothing was written yet; killed at the write, the
    # temporary file is all that is left.
    assert bool(leftovers) == leaves_temporary
    if leaves_temporary:
        assert leftovers[0].read_text().count('! "Settle-up:') == 3
    # The books still take the write once the command is let through.
    done = CliRunner().invoke(main, ["settle", str(settle_books), "--write", str(settle_books),
                                     "--date", "2025-12-31"])
    assert done.exit_code == 0, done.output
    assert settle_books.read_text().count('! "Settle-up:') == 3


# ---- coop import extract --to ----------------------------------------------------------------

@pytest.fixture
def import_books(tmp_path):
    folder = tmp_path / "imported"
    folder.mkdir()
    (folder / "downloads").mkdir()
    importing.dedent_write(folder / "members.beancount", importing.MEMBERS)
    importing.dedent_write(folder / "2026.beancount", importing.YEAR)
    importing.dedent_write(folder / "import.yaml", importing.CONFIG)
    importing.dedent_write(folder / "downloads" / "scale-house-2026-09.csv", importing.SCALE)
    return importing.dedent_write(folder / "main.beancount", importing.MAIN)


# An import streams its entries into the write's temporary file and checks the books with
# that file in the target's place (loading.append_streamed): killed while checking, it leaves
# that hidden temporary file behind (never a file of the books), as killed at the fsync.
@pytest.mark.parametrize("point, leaves_temporary", [("check", True), ("fsync", True)])
def test_import_killed_mid_write_leaves_the_books_as_they_were(tmp_path, import_books, point,
                                                               leaves_temporary):
    folder = import_books.parent
    year = folder / "2026.beancount"
    before = files_under(folder)
    kill_at(tmp_path, point, "import", "extract", import_books, folder / "downloads",
            "--to", year)
    leftovers = assert_books_unharmed(import_books, before)
    assert bool(leftovers) == leaves_temporary
    # A temporary file is not a document to import either (hidden files are skipped).
    done = CliRunner().invoke(main, ["import", "extract", str(import_books),
                                     str(folder / "downloads"), "--to", str(year)])
    assert done.exit_code == 0, done.output
    assert year.read_text().count('custom "coop-patronage"') == 2


# ---- coop init -------------------------------------------------------------------------------

@pytest.mark.parametrize("point", ["git", "replace"])
def test_a_killed_init_leaves_no_books_that_look_finished(tmp_path, point):
    parent = tmp_path / "work"
    parent.mkdir()
    target = parent / "books"
    kill_at(tmp_path, point, "init", target)
    # The target was never made; what was assembled is in a hidden staging folder
    # beside it, which is not the books and can be deleted.
    assert not target.exists()
    leftovers = list(parent.iterdir())
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".books.")
    # A new init into the same folder goes through.
    done = CliRunner().invoke(main, ["init", str(target)])
    assert done.exit_code == 0, done.output
    assert load_books(target / "main.beancount").errors == []


# ---- writes are checked before they are made ---------------------------------------------------

def test_a_write_that_would_not_check_is_reported_at_its_own_lines(settle_books):
    # Settling before the members joined: the new entries are at fault, and the errors
    # point at them in the file as it would have been, although it was never written.
    before = settle_books.read_bytes()
    old_lines = len(before.decode().splitlines())
    result = CliRunner().invoke(main, ["settle", str(settle_books), "--write",
                                       str(settle_books), "--date", "2024-06-01"])
    assert result.exit_code == 1
    assert "left as it was" in result.output
    lines = [int(line.split(":")[1]) for line in result.output.splitlines()
             if line.startswith(f"{settle_books}:")]
    assert lines and all(line > old_lines for line in lines), result.output
    assert settle_books.read_bytes() == before
    assert sorted(p.name for p in settle_books.parent.iterdir()) == ["main.beancount"]


def test_a_failing_write_never_touches_the_file(settle_books, monkeypatch):
    # The old way appended first and put the file back after the check; now a refused
    # write never opens the file for writing at all.
    writes = []
    monkeypatch.setattr("coop_beancount.books.loading.atomic_write",
                        lambda path, content: writes.append(path))
    result = CliRunner().invoke(main, ["settle", str(settle_books), "--write",
                                       str(settle_books), "--date", "2024-06-01"])
    assert result.exit_code == 1
    assert writes == []


def test_an_imported_entry_that_breaks_the_books_is_reported_at_its_line(import_books):
    folder = import_books.parent
    year = folder / "2026.beancount"
    early = importing.dedent_write(folder / "downloads" / "scale-house-2025.csv", """\
        Ticket,Date,Grower,Barrels
        2025-001,2025-12-01,Gomes,100
        """)
    before = year.read_bytes()
    result = CliRunner().invoke(main, ["import", "extract", str(import_books), str(early),
                                       "--to", str(year)])
    assert result.exit_code == 1
    [error] = [line for line in result.output.splitlines() if "not a member" in line]
    filename, line, _ = error.split(":", 2)
    assert Path(filename) == year.resolve()
    assert int(line) > len(before.decode().splitlines())
    assert year.read_bytes() == before


def test_a_check_with_a_file_that_is_not_in_the_books_is_refused(settle_books, tmp_path):
    other = tmp_path / "other.beancount"
    other.write_text("")
    with pytest.raises(ValueError, match="is not a file of"):
        load_books(settle_books, replaced={other: b"2025-01-01 open Assets:Cash\n"})


def test_a_replaced_file_is_found_by_any_name(settle_books, tmp_path):
    # A symlink to the target names the same file: the check must read the new content.
    link = tmp_path / "link.beancount"
    link.symlink_to(settle_books)
    broken = settle_books.read_bytes() + b'\n2025-03-01 custom "coop-hours" "Nobody" 1\n'
    loaded = load_books(settle_books, replaced={link: broken})
    [error] = loaded.errors
    assert error.message.startswith("hours recorded for unknown member 'Nobody'")
    assert error.source == {"filename": str(settle_books),
                            "lineno": len(broken.decode().splitlines())}


# ---- every writing command refuses books that do not check clean ----------------------------

BROKEN = '\n2025-03-01 custom "coop-hours" "Nobody" 1\n'


def _with_error(path: Path) -> int:
    """Add a line the books refuse to `path`; returns its line number."""
    path.write_text(path.read_text() + BROKEN)
    return len(path.read_text().splitlines())


@pytest.mark.parametrize("command", ["settle", "import", "notices"])
def test_every_writing_command_refuses_unclean_books_and_says_where(command, tmp_path,
                                                                      settle_books,
                                                                      import_books):
    if command == "import":
        books, target = import_books, import_books.parent / "members.beancount"
        arguments = ["import", "extract", books, books.parent / "downloads",
                     "--to", books.parent / "2026.beancount"]
    else:
        books = target = settle_books
        out = tmp_path / "notices"
        arguments = (["settle", books, "--write", books] if command == "settle"
                     else ["notices", books, "--year", "2025", "--out", out])
    line = _with_error(target)
    before = files_under(tmp_path)
    result = CliRunner().invoke(main, [str(a) for a in arguments])
    assert result.exit_code == 1
    assert f"{target}:{line}: hours recorded for unknown member 'Nobody'" in result.output
    assert "does not check clean" in result.output
    assert files_under(tmp_path) == before


def test_a_leftover_temporary_file_is_ignored_by_the_books(settle_books):
    # What a write killed after the temporary file was made leaves: a hidden file that no
    # include pattern of the books matches, even a glob of every file in the folder.
    folder = settle_books.parent / "years"
    folder.mkdir()
    (folder / "2025.beancount").write_text("2025-01-01 open Assets:Cash USD\n")
    (folder / ".2025.beancount.x1y2.tmp").write_text("2025-01-01 open Assets:Junk\n")
    settle_books.write_text('include "years/*"\n' + settling.BOOKS)
    loaded = load_books(settle_books)
    assert loaded.errors == []
    assert sorted(Path(f).name for f in loaded.options["include"]) == [
        "2025.beancount", "main.beancount"]


def test_atomic_write_keeps_the_file_mode(tmp_path):
    from coop_beancount.books.files import atomic_write

    path = tmp_path / "main.beancount"
    path.write_text("; old\n")
    path.chmod(0o640)
    atomic_write(path, b"; new\n")
    assert path.read_text() == "; new\n"
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["main.beancount"]
