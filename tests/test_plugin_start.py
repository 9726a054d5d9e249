"""The plugin's `start` setting: books split by fiscal year derive nothing before it and
take what members paid in and were allocated from the opening balances."""

from __future__ import annotations

from decimal import Decimal

import pytest
from beancount.core import data, realization

from coop_beancount.books.config import ConfigError, parse_config
from tests.support import coop_errors, line_no

CONFIG = "{'as_of': '2026-12-31', 'start': '2026-01-01'}"
START = f'plugin "coop_beancount.plugins.coop" "{CONFIG}"\n'
HEADER = START + """
2024-01-01 open Assets:Bank USD
2024-01-01 open Income:Members:Dues USD
2024-01-01 open Income:Sales USD
2024-01-01 open Equity:Earnings:Previous USD
2024-01-01 open Equity:Opening-Balances USD
2024-01-01 custom "coop-share-class" "Member" 100.00 USD
2024-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
2024-01-01 custom "coop-member" "Alice" "Alice Smith"
2024-01-01 custom "coop-subscription" "Alice" "Member" 1
2024-01-01 custom "coop-member" "Bob" "Bob Jones"
2024-01-01 custom "coop-subscription" "Bob" "Member" 1
2024-01-01 custom "coop-measure" "sales" Income:Sales

; The opening balances, as coop close-year writes them: the day before the start.
2025-12-31 * "Opening balances"
  Assets:Bank                                    215.00 USD
  Assets:Members:Alice:Dues                       10.00 USD
  Equity:Members:Alice:Shares:Member            -100.00 USD
  Equity:Members:Bob:Shares:Member               -60.00 USD
  Equity:Members:Bob:Allocated:FY2024            -40.00 USD
  Equity:Members:Bob:Allocated:FY2025            -25.00 USD
"""


def _load(load, text: str):
    return load(text, header=HEADER)


def _balance(entries, account: str) -> Decimal:
    node = realization.get(realization.realize(entries), account)
    return node.balance.get_currency_units("USD").number if node is not None else Decimal(0)


def _generated(entries, kind: str) -> list[data.Transaction]:
    return [e for e in entries if e.meta.get("coop-generated") == kind]


def test_dues_charge_from_the_start_only(load):
    entries, errors, _ = _load(load, "")
    assert not errors, errors
    dues = _generated(entries, "dues")
    assert dues and min(e.date for e in dues).isoformat() == "2026-01-01"
    # Two years of schedule, one charged: the opening's 10.00 plus twelve months.
    assert _balance(entries, "Assets:Members:Alice:Dues") == Decimal("70.00")


def test_a_leaver_after_the_start_is_paid_back_what_the_opening_says(load):
    entries, errors, _ = _load(load, """
        2026-06-30 custom "coop-leave" "Bob"
        2026-06-30 * "Bob's dues settled"
          Assets:Bank                  30.00 USD
          Assets:Members:Bob:Dues     -30.00 USD
        """)
    assert not errors, errors
    (redemption,) = _generated(entries, "redemption")
    assert redemption.postings[0].units.number == Decimal("60.00")  # paid in before the start
    assert _balance(entries, "Liabilities:Members:Bob:Payable") == Decimal("-60.00")


def test_redemption_of_retained_equity_oldest_year_first_from_the_opening(load):
    entries, errors, _ = _load(load, """
        2026-05-01 custom "coop-redemption" 50.00 USD
        """)
    assert not errors, errors
    assert _balance(entries, "Equity:Members:Bob:Allocated:FY2024") == Decimal(0)
    assert _balance(entries, "Equity:Members:Bob:Allocated:FY2025") == Decimal("-15.00")


def test_share_payments_count_what_the_opening_paid_in(load):
    text = """
        2026-02-01 * "Bob pays the rest of his share"
          Assets:Bank                        40.00 USD
          Equity:Members:Bob:Shares:Member  -40.00 USD
        2026-03-01 * "Alice pays again"
          Assets:Bank                          1.00 USD
          Equity:Members:Alice:Shares:Member  -1.00 USD
        """
    _, errors, _ = _load(load, text)
    (error,) = coop_errors(errors)
    assert "Alice" in error.message and "Bob" not in error.message


def test_a_decision_for_a_year_before_the_start_is_reported_and_not_derived(load):
    text = """
        2026-02-15 custom "coop-allocation" 2025 "sales"
          margin: "Income:Sales"
          measure: "sales"
          reserve: "10%"
          cash: "20%"
          paid: 2026-03-15
        """
    entries, errors, _ = _load(load, text)
    (error,) = coop_errors(errors)
    assert error.source["lineno"] == line_no(text, "coop-allocation", header=HEADER)
    for words in ("fiscal year 2025", "before these books start", "close-year"):
        assert words in error.message
    assert not _generated(entries, "allocation")


def test_nothing_is_derived_before_the_start(load):
    # A retain on a delivery before the start was credited in the earlier books.
    entries, errors, _ = _load(load, """
        2024-01-01 custom "coop-measure" "barrels"
        2024-01-01 custom "coop-retain" "barrels" 0.10 USD
        2024-01-01 custom "coop-consent" "Alice" "written"
        2025-10-01 custom "coop-patronage" "Alice" "barrels" 100
        2026-10-01 custom "coop-patronage" "Alice" "barrels" 50
        """)
    assert not errors, errors
    (retain,) = _generated(entries, "retain")
    assert retain.date.isoformat() == "2026-10-01"
    assert _balance(entries, "Equity:Members:Alice:Retains:FY2026") == Decimal("-5.00")


@pytest.mark.parametrize(("start", "words"), [
    ("2026-02-01", "first day of a fiscal year"),
    ("next year", "YYYY-MM-DD"),
])
def test_a_start_that_is_not_a_fiscal_year_s_first_day_is_an_error(start, words):
    with pytest.raises(ConfigError, match=words):
        parse_config(f"{{'start': '{start}'}}")


def test_start_follows_the_fiscal_year_end():
    config = parse_config("{'start': '2025-07-01', 'fiscal_year_end': '06-30'}")
    assert config.start is not None and config.start.isoformat() == "2025-07-01"
