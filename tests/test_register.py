"""Members' private details: the register beside the books, kept out of git (issue 18, part 1)."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from coop_beancount.books.register import (
    REGISTER_FILE,
    RegisterError,
    load_register,
    tin_problems,
)
from coop_beancount.books.starter import init_books
from coop_beancount.cli import main
from tests.support import WORKED

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_init_makes_a_private_git_ignored_register(tmp_path):
    main_file = init_books(tmp_path / "books")
    register = main_file.parent / REGISTER_FILE
    assert register.read_text() == "member,tin,tin_type,address,email,phone,account\n"
    assert stat.S_IMODE(register.stat().st_mode) == 0o600
    assert load_register(register) == {}
    ignored = subprocess.run(["git", "-C", str(main_file.parent), "check-ignore", "-q",
                              REGISTER_FILE], check=False)
    assert ignored.returncode == 0
    # `git add .` stages the books and .gitignore, never the register.
    subprocess.run(["git", "-C", str(main_file.parent), "add", "."], check=True)
    staged = subprocess.run(["git", "-C", str(main_file.parent), "diff", "--cached",
                             "--name-only"], capture_output=True, text=True, check=True).stdout
    assert ".gitignore" in staged.split() and REGISTER_FILE not in staged


def test_the_register_is_read_by_member(tmp_path):
    path = tmp_path / REGISTER_FILE
    path.write_text("member,tin,tin_type,address,email\n"
                    'G1,123-45-6789,ssn,"12 Bog Road\nCarver MA 02330",g1@example.org\n'
                    "G2,,,,\n")
    found = load_register(path)
    assert found["G1"].tin == "123-45-6789" and found["G1"].tin_type == "SSN"
    assert found["G1"].address == "12 Bog Road\nCarver MA 02330"
    assert found["G2"].tin == "" and found["G2"].phone == ""
    assert load_register(tmp_path / "none.csv") == {}


@pytest.mark.parametrize("text, words", [
    ("key,tin\nG1,1\n", [":1:", "member"]),
    ("member,tin,nickname\n", [":1:", "unknown: nickname"]),
    ("member,tin,tin_type\nG1,123-45-6789,SSN\nG1,,\n", [":3:", "'G1'", "twice"]),
    ("member,tin,tin_type\nG1,12345,SSN\n", [":2:", "G1's TIN"]),
    ("member,tin,tin_type\nG1,123-45-6789,VAT\n", [":2:", "tin_type", "'VAT'"]),
    ("member,tin\nnot a key,\n", [":2:", "'not a key'"]),
])
def test_a_mistake_in_the_register_is_named_at_its_line(tmp_path, text, words):
    path = tmp_path / REGISTER_FILE
    path.write_text(text)
    with pytest.raises(RegisterError) as caught:
        load_register(path)
    for word in [str(path), *words]:
        assert word in str(caught.value)


def test_coop_check_refuses_taxpayer_numbers_in_the_books(tmp_path):
    books = tmp_path / "main.beancount"
    text = WORKED.replace('"coop-member" "G2" "Grower Two"\n',
                          '"coop-member" "G2" "Grower Two"\n  tin: "12-3456789"\n')
    text = text.replace('  Assets:Bank  60000.00 USD\n',
                        '  Assets:Bank  60000.00 USD\n    note: "buyer SSN 123-45-6789"\n')
    books.write_text(text)
    lines = text.splitlines()
    result = run("check", books)
    assert result.exit_code == 1
    # At the directive that carries it, and at the posting for a posting's metadata.
    tin_line = lines.index('  tin: "12-3456789"')
    note_line = lines.index('    note: "buyer SSN 123-45-6789"')
    assert lines[tin_line - 1].endswith('"coop-member" "G2" "Grower Two"')
    assert lines[note_line - 1] == "  Assets:Bank  60000.00 USD"
    assert f"{books}:{tin_line}: tin: \"***-**-6789\" looks like a taxpayer number" \
        in result.output
    assert f"{books}:{note_line}: note: \"***-**-6789\"" in result.output
    assert "12-3456789" not in result.output and "123-45-6789" not in result.output
    assert REGISTER_FILE in result.output and "2 error(s)" in result.output


def test_the_shipped_books_hold_no_taxpayer_number():
    from coop_beancount.books.loading import load_books

    for main_file in [*ROOT.glob("examples/*/main.beancount"), ROOT / "ledgers/main.beancount"]:
        assert tin_problems(load_books(main_file).entries) == [], main_file


def test_the_pre_commit_hook_refuses_a_tin(tmp_path):
    main_file = init_books(tmp_path / "books")
    folder = main_file.parent
    members = folder / "members.beancount"
    members.write_text(members.read_text() + '\n2026-01-05 custom "coop-member" "Zed" "Zed"\n'
                       '  ssn: "123-45-6789"\n')
    subprocess.run(["git", "-C", str(folder), "add", "."], check=True)
    commit = subprocess.run(["git", "-C", str(folder), "-c", "user.name=T", "-c",
                             "user.email=t@example.org", "commit", "-qm", "books"],
                            capture_output=True, text=True, check=False)
    assert commit.returncode != 0
    assert "looks like a taxpayer number" in commit.stderr


def test_notices_print_the_address_from_the_register(tmp_path):
    books = tmp_path / "main.beancount"
    books.write_text(WORKED)
    (tmp_path / REGISTER_FILE).write_text(
        'member,address\nG1,"12 Bog Road, Carver MA 02330"\nG2,<b>Lot 4</b>\n')
    result = run("notices", books, "--year", "2025", "--out", tmp_path / "notices")
    assert result.exit_code == 0, result.output
    assert "12 Bog Road, Carver MA 02330" in (tmp_path / "notices" / "FY2025-G1.html").read_text()
    assert "&lt;b&gt;Lot 4&lt;/b&gt;" in (tmp_path / "notices" / "FY2025-G2.html").read_text()
    assert "Address" not in (tmp_path / "notices" / "FY2025-G3.html").read_text()
    shutil.rmtree(tmp_path / "notices")
    (tmp_path / REGISTER_FILE).write_text("member,tin\nG1,9\n")
    result = run("notices", books, "--year", "2025", "--out", tmp_path / "notices")
    assert result.exit_code == 1 and f"{REGISTER_FILE}:2:" in result.output
    assert not (tmp_path / "notices").exists()
