"""Failures are messages: each mistake or mishap below ends in a clean error that names the
file (and line), a non-zero exit, no traceback, and nothing changed."""

import errno
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from coop_beancount.cli import main
from tests import test_cli_patronage as patronage
from tests import test_settle as settling

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(result, *expected: str) -> None:
    assert result.exit_code not in (0, None), result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), result.exception
    for text in expected:
        assert text in result.output


def coop(*arguments, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in arguments], **kwargs)


@pytest.fixture
def yogurt(tmp_path):
    folder = tmp_path / "yogurt"
    shutil.copytree(EXAMPLES / "yogurt-coop", folder)
    return folder / "main.beancount"


@pytest.fixture
def settle_books(tmp_path):
    books = tmp_path / "books" / "main.beancount"
    books.parent.mkdir()
    books.write_text(settling.BOOKS)
    return books


# ---- writing the books: the disk says no --------------------------------------------------

@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_settle_write_when_the_disk_refuses(settle_books, monkeypatch, code):
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    # The temporary file beside the target cannot be made (read-only folder or disk), or
    # its content cannot be flushed (full disk).
    monkeypatch.setattr("coop_beancount.books.files.tempfile.mkstemp"
                        if code != errno.ENOSPC else "coop_beancount.books.files.os.fsync",
                        refuse)
    before = files_under(settle_books.parent)
    result = coop("settle", settle_books, "--write", settle_books, "--date", "2025-12-31")
    refused(result, f"could not write {settle_books}", os.strerror(code), "left as it was")
    assert files_under(settle_books.parent) == before


def test_settle_write_over_the_file_size_limit(settle_books):
    limit = len(settle_books.read_bytes()) + 100

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    before = files_under(settle_books.parent)
    result = subprocess.run(
        [sys.executable, "-B", "-m", "coop_beancount", "settle", str(settle_books), "--write",
         str(settle_books), "--date", "2025-12-31"], preexec_fn=small_files,
        env={**os.environ, "BEANCOUNT_DISABLE_LOAD_CACHE": "1"}, capture_output=True,
        text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"could not write {settle_books}: File too large" in result.stderr
    assert files_under(settle_books.parent) == before


# ---- files of the books ----------------------------------------------------------------------

@pytest.mark.parametrize("line, message", [
    ('include "years"', 'include "years": {folder}/years is a folder, not a file; include the '
     'files in it (like include "years/*.beancount")'),
    ('include "2024.beancount"', 'include "2024.beancount": no file matches it'),
    ('include "main.beancount"', 'include "main.beancount": main.beancount is the main file: '
     "including it again is a cycle"),
    ('include "2025.beancount"', 'include "2025.beancount": {folder}/2025.beancount is already '
     "a file of the books (included at {folder}/main.beancount:{first})"),
])
def test_an_include_that_cannot_be_loaded_is_named_at_its_line(yogurt, line, message):
    (yogurt.parent / "years").mkdir()
    first = yogurt.read_text().splitlines().index('include "2025.beancount"') + 1
    yogurt.write_text(yogurt.read_text() + line + "\n")
    number = len(yogurt.read_text().splitlines())
    result = coop("check", yogurt)
    refused(result, f"{yogurt}:{number}: " + message.format(folder=yogurt.parent, first=first))
    assert "<load>" not in result.output


def test_a_byte_order_mark_is_named_as_such(yogurt):
    year = yogurt.parent / "2025.beancount"
    year.write_bytes(b"\xef\xbb\xbf" + year.read_bytes())
    refused(coop("check", yogurt), f"{year}:1: this file starts with a byte-order mark")


def test_a_non_utf8_byte_and_a_plugin_config_mistake(tmp_path):
    books = tmp_path / "main.beancount"
    books.write_bytes(b'plugin "coop_beancount.plugins.coop" "{bad"\n; caf\xe9\n'
                      b"2025-01-01 open Assets:Cash USD\n")
    refused(coop("check", books), f"{books}:1: the coop plugin's config '{{bad'")


def test_a_split_weight_too_large_to_work_with_answers_at_once(tmp_path):
    books = tmp_path / "main.beancount"
    books.write_text(settling.BOOKS.replace('split: "usage quarts: Ben 2, Cy 4"',
                                            'split: "weights: Ben 1E+999999, Cy 1"'))
    line = settling.BOOKS.splitlines().index("  Expenses:Milk  12.00 USD") + 1
    start = time.perf_counter()
    result = coop("check", books)
    assert time.perf_counter() - start < 1.0
    refused(result, f"{books}:{line}: cannot split this cost", "1E+999999 is too large")


# ---- commands --------------------------------------------------------------------------------

def test_init_in_the_current_empty_folder(tmp_path, monkeypatch):
    folder = tmp_path / "books"
    folder.mkdir()
    monkeypatch.chdir(folder)
    result = coop("init", ".", "--no-git")
    assert result.exit_code == 0, result.output
    assert (folder / "main.beancount").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["books"]
    assert coop("check", folder / "main.beancount").exit_code == 0


@pytest.mark.parametrize("where", ["through-a-file", "impossible"])
def test_init_where_no_folder_can_be_made(tmp_path, where):
    (tmp_path / "a-file").write_text("x")
    target = (tmp_path / "a-file" / "books" if where == "through-a-file"
              else Path("/proc/no-such-process/books"))
    before = files_under(tmp_path)
    refused(coop("init", target, "--no-git"), f"cannot make {target}")
    assert files_under(tmp_path) == before


def test_init_into_a_read_only_parent(tmp_path, monkeypatch):
    def read_only(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(tmp_path))

    monkeypatch.setattr("coop_beancount.books.files.tempfile.mkdtemp", read_only)
    refused(coop("init", tmp_path / "books", "--no-git"),
            f"cannot make {tmp_path / 'books'}: Permission denied")
    assert list(tmp_path.iterdir()) == []


def test_serve_on_a_port_that_cannot_be(yogurt):
    result = coop("serve", yogurt, "--port", "99999")
    assert result.exit_code == 2
    assert "99999 is not in the range 1<=x<=65535" in result.output


def test_a_currency_no_member_uses_is_an_error_naming_those_used(yogurt):
    for command in ("settle", "balances"):
        refused(coop(command, yogurt, "--currency", "XYZ"),
                "no member's receivable or payable is in XYZ; the currencies in use are USD")


def test_notices_do_not_replace_notices_already_written(tmp_path):
    books = patronage.write(tmp_path, patronage.MULTI_YEAR)
    out = tmp_path / "out"
    assert coop("notices", books, "--year", "2025", "--out", out).exit_code == 0
    sent = files_under(out)
    (out / "index.html").write_text("the notices as sent")
    before = files_under(out)
    refused(coop("notices", books, "--year", "2025", "--out", out),
            "already has", "index.html", "nothing was written", "--replace")
    assert files_under(out) == before
    assert coop("notices", books, "--year", "2025", "--out", out, "--replace").exit_code == 0
    assert files_under(out) == sent


def test_a_document_that_cannot_be_read_is_named_as_unreadable(tmp_path):
    from tests import test_import_cli as importing

    for name, text in (("members.beancount", importing.MEMBERS),
                       ("2026.beancount", importing.YEAR), ("import.yaml", importing.CONFIG)):
        importing.dedent_write(tmp_path / name, text)
    books = importing.dedent_write(tmp_path / "main.beancount", importing.MAIN)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "scale-house-2026-09.csv").symlink_to(tmp_path / "gone.csv")
    before = files_under(tmp_path)
    result = coop("import", "extract", books, downloads, "--to", tmp_path / "2026.beancount")
    refused(result, "scale-house-2026-09.csv: cannot be read: No such file or directory")
    assert "not recognised" not in result.output
    assert files_under(tmp_path) == before


def test_a_number_too_long_to_book_is_found_in_an_included_file_and_in_a_write(tmp_path):
    # One walk of the includes (includes.walk) finds the books' files for the loader's
    # messages and for this search: an included file, and a file as a write would leave it.
    from coop_beancount.books.includes import book_files, include_lines
    from coop_beancount.books.loading import load_books

    main_file = tmp_path / "main.beancount"
    year = tmp_path / "years" / "2025.beancount"
    year.parent.mkdir()
    main_file.write_text('plugin "coop_beancount.plugins.coop"\ninclude "years/*.beancount"\n'
                         "2025-01-01 open Assets:Bank USD\n2025-01-01 open Expenses:Milk USD\n")
    year.write_text("; nothing yet\n")
    assert book_files(main_file) == [str(main_file), str(year)]
    assert [(i.filename, i.lineno, i.matched) for i in include_lines(main_file)] == [
        (str(main_file), 2, (str(year),))]
    long = "2025-03-01 * \"Milk\"\n  Expenses:Milk  123456789012345678901234567890.12 USD\n" \
           "  Assets:Bank\n"
    errors = load_books(main_file, replaced={year: b"; nothing yet\n" + long.encode()}).errors
    assert [(e.source["filename"], e.source["lineno"]) for e in errors] == [(str(year), 3)]
    assert "has 32 digits" in errors[0].message
    assert year.read_text() == "; nothing yet\n"
    year.write_text(long)
    result = coop("check", main_file)
    refused(result, f"{year}:2: Beancount cannot book this number")
