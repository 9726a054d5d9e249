"""The `coop` command: exit codes, file:line errors, report formats."""

import csv
import io
import json
import textwrap

import pytest
from click.testing import CliRunner

from coop_beancount.cli import main

BOOKS = textwrap.dedent("""\
    option "operating_currency" "USD"
    plugin "coop_beancount.plugins.coop" "{'as_of': '2025-06-30'}"

    2025-01-01 open Assets:Bank USD
    2025-01-01 open Income:Members:Dues USD
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"

    2025-01-01 custom "coop-member" "Alice" "Alice Smith"
    2025-01-01 custom "coop-subscription" "Alice" "Member" 1
    2025-02-10 custom "coop-member" "Bob" "Bob <b> Jones"
    2025-02-10 custom "coop-subscription" "Bob" "Member" 1

    2025-01-02 * "Alice: share in full"
      Assets:Bank                          20.00 USD
      Equity:Members:Alice:Shares:Member  -20.00 USD

    2025-02-10 * "Bob: first instalment"
      Assets:Bank                          5.00 USD
      Equity:Members:Bob:Shares:Member    -5.00 USD

    2025-03-05 * "Alice: dues"
      Assets:Bank                 15.00 USD
      Assets:Members:Alice:Dues  -15.00 USD

    2025-03-01 custom "coop-hours" "Alice" 3 "shift"
    2025-03-08 custom "coop-hours" "Alice" 2.5 "shift"
    2025-04-01 custom "coop-hours" "Bob" 4 "shift"
""")


@pytest.fixture
def books(tmp_path):
    path = tmp_path / "main.beancount"
    path.write_text(BOOKS)
    return path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_check_clean_books(books):
    result = run("check", books)
    assert result.exit_code == 0, result.output
    assert "clean" in result.output
    assert "2 members" in result.output


def test_check_reports_each_problem_at_file_and_line(tmp_path):
    path = tmp_path / "main.beancount"
    text = BOOKS + textwrap.dedent("""\
        2025-04-01 * "Payment from a stranger"
          Assets:Bank                  10.00 USD
          Assets:Members:Zed:Dues     -10.00 USD
    """)
    path.write_text(text)
    line = text.splitlines().index('2025-04-01 * "Payment from a stranger"') + 1
    result = run("check", path)
    assert result.exit_code == 1
    expected = f"{path}:{line}: Assets:Members:Zed:Dues belongs to unknown member 'Zed'"
    assert expected in result.output
    assert "Traceback" not in result.output


def test_check_syntax_error_exits_nonzero(tmp_path):
    path = tmp_path / "main.beancount"
    path.write_text(BOOKS + "2025-13-45 this is not beancount\n")
    result = run("check", path)
    assert result.exit_code == 1
    assert f"{path}:" in result.output
    assert "Traceback" not in result.output


def test_check_missing_file_is_a_clean_error(tmp_path):
    result = CliRunner().invoke(main, ["check", str(tmp_path / "nope.beancount")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_check_requires_the_coop_plugin(tmp_path):
    path = tmp_path / "plain.beancount"
    path.write_text("2025-01-01 open Assets:Bank USD\n")
    result = run("check", path)
    assert result.exit_code == 1
    assert "do not load the co-op plugin" in result.output


def test_check_quiet_prints_nothing(tmp_path):
    path = tmp_path / "main.beancount"
    path.write_text(BOOKS + '2025-03-01 custom "coop-hours" "Nobody" 1\n')
    result = run("check", "--quiet", path)
    assert result.exit_code == 1
    assert result.output == ""


def test_members_table(books):
    result = run("members", books)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["Key", "Name", "Joined", "Left"]
    alice = next(line for line in lines if line.startswith("Alice"))
    # Dues Jan-Jun (6 x 5.00) less 15.00 paid; share paid in full.
    assert "15.00 USD" in alice
    assert alice.count("20.00 USD") == 3  # subscribed, paid in, capital


def test_members_json_figures(books):
    result = run("members", books, "--format", "json")
    rows = {row["key"]: row for row in json.loads(result.output)}
    assert rows["Alice"]["shares_paid"] == {"USD": "20.00"}
    assert rows["Alice"]["dues_owed"] == {"USD": "15.00"}
    assert rows["Alice"]["hours"] == "5.5"
    # Bob joined 2025-02-10 without proration: dues from March, 4 months.
    assert rows["Bob"]["dues_owed"] == {"USD": "20.00"}
    assert rows["Bob"]["shares_subscribed"] == {"USD": "20.00"}
    assert rows["Bob"]["shares_paid"] == {"USD": "5.00"}
    assert rows["Bob"]["name"] == "Bob <b> Jones"
    assert rows["Bob"]["left"] is None


def test_members_csv(books):
    result = run("members", books, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["key"] for r in rows] == ["Alice", "Bob"]
    assert rows[1]["capital"] == "5.00 USD"


def test_reports_refuse_books_with_errors(tmp_path):
    path = tmp_path / "main.beancount"
    path.write_text(BOOKS + '2025-03-01 custom "coop-hours" "Nobody" 1\n')
    result = CliRunner().invoke(main, ["members", str(path)])
    assert result.exit_code == 1
    assert "does not check clean" in result.output
    assert "unknown member 'Nobody'" in result.output
    forced = run("members", path, "--ignore-errors")
    assert forced.exit_code == 0
    assert "Alice" in forced.output


def test_statement_running_balances(books):
    result = run("statement", books, "Alice", "--format", "json")
    lines = json.loads(result.output)
    assert [line["date"] for line in lines][:3] == ["2025-01-01", "2025-01-02", "2025-02-01"]
    assert lines[-1]["owes"] == {"USD": "15.00"}
    assert lines[-1]["capital"] == {"USD": "20.00"}
    payment = next(line for line in lines if line["description"] == "Alice: dues")
    assert payment["amount"] == {"USD": "-15.00"}


def test_statement_period_has_opening_balance(books):
    result = run("statement", books, "Alice", "--from", "2025-03-01", "--to", "2025-04-30")
    assert result.exit_code == 0, result.output
    assert "Opening: owes 10.00 USD, capital 20.00 USD" in result.output
    assert "Closing: owes 5.00 USD, capital 20.00 USD" in result.output
    assert "2025-05-01" not in result.output


def test_statement_unknown_member(books):
    result = CliRunner().invoke(main, ["statement", str(books), "Zed"])
    assert result.exit_code == 1
    assert "no member 'Zed'" in result.output
    assert "Alice, Bob" in result.output


def test_statement_bad_date(books):
    result = CliRunner().invoke(main, ["statement", str(books), "Alice", "--from", "March"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_hours_by_month_and_year(books):
    monthly = json.loads(run("hours", books, "--format", "json").output)
    assert monthly == [
        {"member": "Alice", "period": "2025-03", "hours": "5.5", "shifts": 2},
        {"member": "Bob", "period": "2025-04", "hours": "4", "shifts": 1},
    ]
    yearly = json.loads(run("hours", books, "--by", "yearly", "--member", "Bob",
                            "--format", "json").output)
    assert yearly == [{"member": "Bob", "period": "2025", "hours": "4", "shifts": 1}]
