"""Settling up: balances, the fewest payments, and writing them atomically."""

import json
import textwrap
from decimal import Decimal

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from coop_beancount.books.files import atomic_append
from coop_beancount.books.loading import load_books
from coop_beancount.cli import main
from coop_beancount.core.settle import COOP, Position, set_offs, settle_up

BOOKS = textwrap.dedent("""\
    plugin "coop_beancount.plugins.coop" "{'as_of': '2025-12-31'}"
    2025-01-01 open Assets:Bank:Checking USD
    2025-01-01 open Expenses:Milk USD
    2025-01-01 open Income:Members:SharedCosts USD
    2025-01-01 custom "coop-member" "Ana" "Ana Souza"
    2025-01-01 custom "coop-member" "Ben" "Ben Okafor"
    2025-01-01 custom "coop-member" "Cy" "Cy Park"
    2025-01-01 custom "coop-retail-price" "quarts" 5.00 USD
    2025-07-01 custom "coop-retail-price" "quarts" 6.00 USD

    2025-02-01 * "Milk, Ana paid"
      Expenses:Milk  30.00 USD
        split: "usage quarts: Ana 1, Ben 1, Cy 1"
      Liabilities:Members:Ana:Payable

    2025-08-01 * "Milk"
      Expenses:Milk  12.00 USD
        split: "usage quarts: Ben 2, Cy 4"
      Assets:Bank:Checking
""")


@pytest.fixture
def books(tmp_path):
    path = tmp_path / "main.beancount"
    path.write_text(BOOKS)
    return path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_balances(books):
    rows = {r["member"]: r for r in json.loads(run("balances", books, "--format", "json").output)}
    # Ana paid 30.00 and her own part (10.00) is set against it: the co-op owes her 20.00.
    assert rows["Ana"]["payable"] == {"USD": "20.00"}
    assert rows["Ana"]["net"] == {"USD": "-20.00"}
    assert rows["Ben"]["receivable"] == {"USD": "14.00"}
    assert rows["Cy"]["receivable"] == {"USD": "18.00"}


def test_settle_proposes_fewest_payments(books):
    rows = json.loads(run("settle", books, "--format", "json").output)
    assert [(r["payer"], r["payee"], r["amount"]) for r in rows] == [
        ("Cy Park", "Ana Souza", {"USD": "18.00"}),
        ("Ben Okafor", "the co-op", {"USD": "12.00"}),
        ("Ben Okafor", "Ana Souza", {"USD": "2.00"}),
    ]


def test_settle_write_appends_and_clears_everyone(books):
    before = books.read_text()
    result = run("settle", books, "--write", books, "--date", "2025-12-31")
    assert result.exit_code == 0, result.output
    text = books.read_text()
    assert text.startswith(before)
    assert text.count('! "Settle-up:') == 3
    assert load_books(books).errors == []
    again = run("settle", books)
    assert "Everyone is settled" in again.output


def test_settle_refuses_books_that_do_not_check(books):
    books.write_text(BOOKS + '2025-03-01 custom "coop-hours" "Nobody" 1\n')
    before = books.read_bytes()
    result = run("settle", books, "--write", books)
    assert result.exit_code == 1
    assert "does not check clean" in result.output
    assert books.read_bytes() == before


def test_settle_refuses_a_file_outside_the_books(books, tmp_path):
    other = tmp_path / "other.beancount"
    other.write_text("")
    result = run("settle", books, "--write", other)
    assert result.exit_code == 1
    assert "not one of the files" in result.output
    assert other.read_text() == ""


def test_settle_refuses_an_unopened_bank_account(books):
    before = books.read_bytes()
    result = run("settle", books, "--write", books, "--bank", "Assets:Bank:Savings")
    assert result.exit_code == 1
    assert "Assets:Bank:Savings is not open" in result.output
    assert books.read_bytes() == before


def test_settle_rolls_back_when_the_result_would_not_check(books, tmp_path):
    # A date before the members joined makes the written entries invalid.
    before = books.read_bytes()
    result = run("settle", books, "--write", books, "--date", "2024-06-01")
    assert result.exit_code == 1
    assert "left as it was" in result.output
    assert books.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.beancount"]


def test_costs_per_unit_and_savings(books):
    rows = json.loads(run("costs", books, "--unit", "quarts", "--per", "member",
                          "--format", "json").output)
    by = {r["label"]: r for r in rows}
    assert by["Cy"]["units"] == "5"
    assert by["Cy"]["cost"] == {"USD": "18.00"}
    # 1 quart at 5.00 before July, 4 at 6.00 after.
    assert by["Cy"]["retail"] == {"USD": "29.00"}
    assert by["Cy"]["saved"] == {"USD": "11.00"}
    periods = json.loads(run("costs", books, "--unit", "quarts", "--format", "json").output)
    assert [(p["label"], p["cost_per_unit"]) for p in periods] == [
        ("2025-02", {"USD": "10.00"}), ("2025-08", {"USD": "2.00"})]


def test_costs_unknown_unit(books):
    result = run("costs", books, "--unit", "litres")
    assert result.exit_code == 1
    assert "no costs split by usage in 'litres'" in result.output


def test_atomic_append_keeps_the_original_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "books.beancount"
    path.write_text("; original\n")

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr("coop_beancount.books.files.os.fsync", broken_fsync)
    with pytest.raises(OSError):
        atomic_append(path, "2025-01-01 open Assets:Cash\n")
    assert path.read_text() == "; original\n"
    assert [p.name for p in tmp_path.iterdir()] == ["books.beancount"]


def test_set_offs_and_payments_by_hand():
    positions = {
        "Ana": Position("Ana", Decimal("5.00"), Decimal("8.00")),
        "Ben": Position("Ben", Decimal("10.00"), Decimal(0)),
    }
    assert [(o.member, o.amount) for o in set_offs(positions)] == [("Ana", Decimal("5.00"))]
    payments = settle_up(positions)
    assert [(p.payer, p.payee, p.amount) for p in payments] == [
        ("Ben", COOP, Decimal("7.00")), ("Ben", "Ana", Decimal("3.00"))]


money = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False,
                    allow_infinity=False)


@given(st.dictionaries(st.sampled_from("ABCDEFGHIJ"), st.tuples(money, money), max_size=10))
def test_settle_up_clears_everyone_in_few_payments(balances):
    positions = {k: Position(k, r, p) for k, (r, p) in balances.items()}
    payments = settle_up(positions)
    net = {k: p.net for k, p in positions.items()}
    net[COOP] = -sum(net.values(), Decimal(0))
    for payment in payments:
        assert payment.amount > 0
        net[payment.payer] -= payment.amount
        net[payment.payee] += payment.amount
    assert all(v == 0 for v in net.values())
    parties = sum(1 for k, p in positions.items() if p.net != 0) + 1
    assert len(payments) <= max(parties - 1, 0)
    assert settle_up(positions) == payments


def test_costs_count_a_members_units_once_a_day(tmp_path):
    path = tmp_path / "main.beancount"
    path.write_text(BOOKS + textwrap.dedent("""\
        2025-08-01 * "Culture for the same batch"
          Expenses:Milk  6.00 USD
            split: "usage quarts: Ben 2, Cy 4"
          Assets:Bank:Checking
    """))
    rows = json.loads(run("costs", path, "--unit", "quarts", "--format", "json").output)
    august = next(r for r in rows if r["label"] == "2025-08")
    assert august["units"] == "6"
    assert august["cost"] == {"USD": "18.00"}
    assert august["cost_per_unit"] == {"USD": "3.00"}


def test_settle_without_write_refuses_unclean_books_unless_asked(books):
    books.write_text(BOOKS + '2025-03-01 custom "coop-hours" "Nobody" 1\n')
    refused = run("settle", books)
    assert refused.exit_code == 1
    assert "--ignore-errors" in refused.output
    forced = run("settle", books, "--ignore-errors")
    assert forced.exit_code == 0
    assert "Cy Park" in forced.output
    write = run("settle", books, "--write", books, "--ignore-errors")
    assert write.exit_code == 1
    assert "pass --ignore-errors" not in write.output
