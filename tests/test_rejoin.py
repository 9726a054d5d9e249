"""A member who left and comes back: the error says exactly what to write (a new key), and
the books with that line check clean."""

import textwrap

from click.testing import CliRunner

from coop_beancount.cli import main

BOOKS = textwrap.dedent("""\
    plugin "coop_beancount.plugins.coop" "{'as_of': '2026-12-31'}"
    2025-01-01 open Assets:Bank:Checking USD
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-01 custom "coop-member" "Dana" "Dana \\"D\\" Kowalski"
    2025-07-31 custom "coop-leave" "Dana"
    """)
AGAIN = '2026-03-01 custom "coop-member" "Dana" "Dana \\"D\\" Kowalski"\n'
INSTEAD = '2026-03-01 custom "coop-member" "Dana2" "Dana \\"D\\" Kowalski"\n'


def check(tmp_path, text):
    books = tmp_path / "main.beancount"
    books.write_text(text)
    return books, CliRunner().invoke(main, ["check", str(books)])


def test_a_returning_member_is_told_what_to_write(tmp_path):
    books, result = check(tmp_path, BOOKS + AGAIN)
    assert result.exit_code == 1
    line = len(BOOKS.splitlines()) + 1
    assert (f"{books}:{line}: member 'Dana' left on 2025-07-31 ({books}:5) and is declared "
            "again here") in result.output
    assert f"Write instead: {INSTEAD.strip()}" in result.output
    assert "Traceback" not in result.output

    books, result = check(tmp_path, BOOKS + INSTEAD)
    assert result.exit_code == 0, result.output


def test_the_new_key_suggested_is_free(tmp_path):
    taken = BOOKS + '2025-01-01 custom "coop-member" "Dana2" "Another Dana"\n'
    _, result = check(tmp_path, taken + AGAIN)
    assert 'custom "coop-member" "Dana3"' in result.output
