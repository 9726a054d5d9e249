"""Dues schedules in the coop plugin: charges generated per member and period."""

from __future__ import annotations

import datetime
from decimal import Decimal

from beancount.core import data, realization

from tests.conftest import HEADER
from tests.support import FILENAME, assert_one_error_at, coop_errors, line_no

AS_OF = datetime.date(2025, 12, 31)  # the header's config


def charges(entries: list, member: str | None = None) -> list[tuple[str, Decimal]]:
    """(date, amount) of each generated dues charge, optionally for one member."""
    result = []
    for entry in entries:
        if entry.meta.get("coop-generated") != "dues":
            continue
        debit = entry.postings[0]
        if member is None or debit.account == f"Assets:Members:{member}:Dues":
            result.append((entry.date.isoformat(), debit.units.number))
    return result


def dues_balance(entries: list, member: str) -> Decimal:
    root = realization.realize(entries)
    node = realization.get(root, f"Assets:Members:{member}:Dues")
    return node.balance.get_currency_units("USD").number


ALICE = """
    2025-01-01 custom "coop-member" "Alice" "Alice Smith"
    """


def test_monthly_dues_charge_every_month_up_to_as_of(load):
    text = ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
    """
    entries, errors, _ = load(text)
    assert errors == []
    got = charges(entries, "Alice")
    assert got == [(f"2025-{m:02d}-01", Decimal("5.00")) for m in range(1, 13)]


def test_monthly_dues_anchor_on_the_schedule_day(load):
    entries, errors, _ = load(ALICE + """
    2025-01-15 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
    """)
    assert errors == []
    dates = [date for date, _ in charges(entries)]
    assert dates == [f"2025-{m:02d}-15" for m in range(1, 13)]


def test_monthly_dues_from_the_31st_stay_on_month_ends(load):
    entries, errors, _ = load(ALICE + """
    2025-01-31 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      until: 2025-05-31
    """)
    assert errors == []
    dates = [date for date, _ in charges(entries)]
    assert dates == ["2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31"]


def test_quarterly_dues(load):
    entries, errors, _ = load(ALICE + """
    2025-01-01 custom "coop-dues" "Quarterly dues" 15.00 USD "quarterly"
    """)
    assert errors == []
    assert charges(entries) == [
        ("2025-01-01", Decimal("15.00")), ("2025-04-01", Decimal("15.00")),
        ("2025-07-01", Decimal("15.00")), ("2025-10-01", Decimal("15.00")),
    ]


def test_yearly_dues(load):
    header = HEADER.replace("2025-01-01 open", "2023-01-01 open")
    entries, errors, _ = load("""
    2023-01-01 custom "coop-member" "Alice" "Alice Smith"
    2023-03-01 custom "coop-dues" "Yearly dues" 60.00 USD "yearly"
    """, header=header)
    assert errors == []
    assert charges(entries) == [
        ("2023-03-01", Decimal("60.00")), ("2024-03-01", Decimal("60.00")),
        ("2025-03-01", Decimal("60.00")),
    ]


def test_weekly_dues(load):
    entries, errors, _ = load(ALICE + """
    2025-01-06 custom "coop-dues" "Weekly dues" 1.25 USD "weekly"
    """)
    assert errors == []
    got = charges(entries)
    # Mondays from 2025-01-06 through 2025-12-29.
    expected = [datetime.date(2025, 1, 6) + datetime.timedelta(weeks=n) for n in range(52)]
    assert [date for date, _ in got] == [d.isoformat() for d in expected]
    assert {amount for _, amount in got} == {Decimal("1.25")}


def test_generated_entries_are_never_after_as_of(load):
    entries, errors, _ = load(ALICE + """
    2025-01-20 custom "coop-dues" "Weekly dues" 1.00 USD "weekly"
    2025-02-28 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      prorate: TRUE
    2025-12-31 custom "coop-member" "Bob" "Bob Jones"
    """)
    assert errors == []
    generated = [e for e in entries if e.meta.get("coop-generated") == "dues"]
    assert generated
    assert max(e.date for e in generated) <= AS_OF
    # Bob joined on as_of itself: the weekly period began before he joined (no charge),
    # the monthly one (Dec 28 - Jan 27, 31 days) is prorated over his 28 days in it and
    # dated the day he joined, never later.
    assert charges(entries, "Bob") == [("2025-12-31", Decimal("4.52"))]
    assert charges(entries, "Alice")[-2:] == [
        ("2025-12-28", Decimal("5.00")), ("2025-12-29", Decimal("1.00"))]


def test_as_of_in_the_config_stops_the_schedule(load):
    header = HEADER.replace("2025-12-31", "2025-03-15")
    entries, errors, _ = load(ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
    """, header=header)
    assert errors == []
    assert [date for date, _ in charges(entries)] == ["2025-01-01", "2025-02-01", "2025-03-01"]


def test_until_ends_the_schedule(load):
    entries, errors, _ = load(ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      until: 2025-03-31
    """)
    assert errors == []
    assert [date for date, _ in charges(entries)] == ["2025-01-01", "2025-02-01", "2025-03-01"]


def test_until_mid_period_without_prorate_charges_the_whole_last_period(load):
    entries, errors, _ = load(ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      until: 2025-03-15
    """)
    assert errors == []
    assert charges(entries)[-1] == ("2025-03-01", Decimal("5.00"))
    assert len(charges(entries)) == 3


def test_until_mid_period_with_prorate_charges_part_of_the_last_period(load):
    entries, errors, _ = load(ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      until: 2025-03-15
      prorate: TRUE
    """)
    assert errors == []
    # 15 of March's 31 days: 5.00 x 15/31 = 2.419... -> 2.42
    assert charges(entries) == [
        ("2025-01-01", Decimal("5.00")), ("2025-02-01", Decimal("5.00")),
        ("2025-03-01", Decimal("2.42")),
    ]


def test_until_before_the_start_is_an_error(load):
    text = ALICE + """
    2025-03-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      until: 2025-02-01
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-dues"', "before it starts")
    assert charges(entries) == []


def test_until_must_be_a_date(load):
    text = ALICE + """
    2025-03-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      until: "next year"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-dues"', "until", "a date")


def test_members_filter_charges_only_the_named_members(load):
    entries, errors, _ = load(ALICE + """
    2025-01-01 custom "coop-member" "Bob" "Bob Jones"
    2025-01-01 custom "coop-member" "Carol" "Carol King"
    2025-01-01 custom "coop-dues" "Board dues" 2.00 USD "quarterly"
      members: "Alice Carol"
    """)
    assert errors == []
    assert len(charges(entries, "Alice")) == 4
    assert len(charges(entries, "Carol")) == 4
    assert charges(entries, "Bob") == []


def test_members_all_charges_everyone(load):
    entries, errors, _ = load(ALICE + """
    2025-01-01 custom "coop-member" "Bob" "Bob Jones"
    2025-01-01 custom "coop-dues" "Dues" 2.00 USD "quarterly"
      members: "all"
    """)
    assert errors == []
    assert len(charges(entries, "Alice")) == 4
    assert len(charges(entries, "Bob")) == 4


def test_unknown_member_in_the_members_filter_is_an_error(load):
    text = ALICE + """
    2025-01-01 custom "coop-dues" "Board dues" 2.00 USD "quarterly"
      members: "Alice Zed"
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-dues"', "unknown member", "Zed")
    assert "Alice" not in coop_errors(errors)[0].message.split("member(s)")[1]
    assert charges(entries) == []
    assert len(errors) == 1


def test_share_class_filter_charges_only_subscribers_from_their_subscription(load):
    entries, errors, _ = load(ALICE + """
    2025-01-01 custom "coop-member" "Bob" "Bob Jones"
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-01 custom "coop-share-class" "Preferred" 100.00 USD
    2025-03-10 custom "coop-subscription" "Alice" "Member" 1
    2025-01-01 custom "coop-subscription" "Bob" "Preferred" 1
    2025-01-01 custom "coop-dues" "Member dues" 5.00 USD "monthly"
      share-class: "Member"
    """)
    assert errors == []
    assert charges(entries, "Bob") == []
    # Not prorated: Alice's first period starting after she subscribed is April.
    assert [date for date, _ in charges(entries, "Alice")] == [
        f"2025-{m:02d}-01" for m in range(4, 13)]


def test_unknown_share_class_filter_is_an_error(load):
    text = ALICE + """
    2025-01-01 custom "coop-dues" "Member dues" 5.00 USD "monthly"
      share-class: "Gold"
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-dues"', "unknown share class", "'Gold'")
    assert charges(entries) == []


def test_prorate_on_joining_charges_exact_cents(load):
    entries, errors, _ = load("""
    2025-06-29 custom "coop-member" "Alice" "Alice Smith"
    2025-06-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      until: 2025-07-31
      prorate: TRUE
    """)
    assert errors == []
    # 2 days (29, 30) of June's 30: 5.00 x 2/30 = 0.333... -> 0.33, charged on joining.
    assert charges(entries) == [("2025-06-29", Decimal("0.33")), ("2025-07-01", Decimal("5.00"))]


def test_prorate_on_leaving_charges_exact_cents(load):
    text = """
    2025-05-01 custom "coop-member" "Alice" "Alice Smith"
    2025-05-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      prorate: TRUE
    2025-06-02 custom "coop-leave" "Alice"
    """
    entries, errors, _ = load(text)
    # 2 days (1, 2) of June's 30.
    assert charges(entries) == [("2025-05-01", Decimal("5.00")), ("2025-06-01", Decimal("0.33"))]
    # Unpaid at leaving: exactly what was charged.
    assert_one_error_at(errors, text, '"coop-leave"', "5.33 USD", "Assets:Members:Alice:Dues")


def test_prorate_rounds_half_up(load):
    entries, errors, _ = load("""
    2025-04-30 custom "coop-member" "Alice" "Alice Smith"
    2025-04-01 custom "coop-dues" "Monthly dues" 0.45 USD "monthly"
      until: 2025-04-30
      prorate: TRUE
    """)
    assert errors == []
    # 0.45 x 1/30 = 0.015 -> 0.02 (half up, not half even).
    assert charges(entries) == [("2025-04-30", Decimal("0.02"))]


def test_prorate_keeps_a_finer_precision_of_the_amount(load):
    entries, errors, _ = load("""
    2025-06-29 custom "coop-member" "Alice" "Alice Smith"
    2025-06-01 custom "coop-dues" "Monthly dues" 5.000 USD "monthly"
      until: 2025-06-30
      prorate: TRUE
    """)
    assert errors == []
    assert charges(entries) == [("2025-06-29", Decimal("0.333"))]


def test_without_prorate_a_member_joining_mid_period_pays_from_the_next(load):
    entries, errors, _ = load("""
    2025-03-10 custom "coop-member" "Alice" "Alice Smith"
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      until: 2025-05-31
    """)
    assert errors == []
    assert charges(entries) == [("2025-04-01", Decimal("5.00")), ("2025-05-01", Decimal("5.00"))]


def test_without_prorate_a_leaver_pays_the_period_they_leave_in_in_full(load):
    text = """
    2025-01-01 custom "coop-member" "Alice" "Alice Smith"
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
    2025-03-02 custom "coop-leave" "Alice"
    """
    entries, errors, _ = load(text)
    assert [date for date, _ in charges(entries)] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert_one_error_at(errors, text, '"coop-leave"', "15.00 USD")


def test_unknown_frequency_is_an_error(load):
    text = ALICE + """
    2025-01-01 custom "coop-dues" "Daily dues" 1.00 USD "daily"
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-dues"', "unknown frequency", "'daily'", "monthly")
    assert charges(entries) == []
    assert len(errors) == 1


def test_negative_amount_is_an_error(load):
    text = ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" -5.00 USD "monthly"
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-dues"', "more than zero", "-5.00 USD")
    assert charges(entries) == []


def test_zero_amount_is_an_error(load):
    text = ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" 0.00 USD "monthly"
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-dues"', "more than zero")
    assert charges(entries) == []


def test_dues_missing_the_frequency_is_an_error(load):
    text = ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-dues"', "missing value 3", "frequency")


def test_prorate_must_be_boolean(load):
    text = ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      prorate: "yes"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-dues"', "prorate", "TRUE or FALSE")


def test_payments_clear_the_dues(load):
    entries, errors, _ = load(ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      until: 2025-06-30
    2025-03-15 * "Alice pays Jan-Mar"
      Assets:Bank                  15.00 USD
      Assets:Members:Alice:Dues   -15.00 USD
    2025-06-15 * "Alice pays Apr-Jun"
      Assets:Bank                  15.00 USD
      Assets:Members:Alice:Dues   -15.00 USD
    """)
    assert errors == []
    assert len(charges(entries)) == 6
    assert dues_balance(entries, "Alice") == 0
    root = realization.realize(entries)
    income = realization.get(root, "Income:Members:Dues").balance
    assert income.get_currency_units("USD").number == Decimal("-30.00")


def test_arrears_show_on_the_dues_account(load):
    entries, errors, _ = load(ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
    2025-03-15 * "Alice pays once"
      Assets:Bank                  5.00 USD
      Assets:Members:Alice:Dues   -5.00 USD
    """)
    assert errors == []
    assert dues_balance(entries, "Alice") == Decimal("55.00")


def test_generated_entries_carry_meta_and_point_at_the_schedule(load):
    text = ALICE + """
    2025-01-01 custom "coop-member" "Bob" "Bob Jones"
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      until: 2025-02-28
    """
    entries, errors, _ = load(text)
    assert errors == []
    generated = [e for e in entries if e.meta.get("coop-generated") == "dues"]
    assert len(generated) == 4
    lineno = line_no(text, '"coop-dues"')
    for entry in generated:
        assert isinstance(entry, data.Transaction)
        assert entry.meta["filename"] == FILENAME
        assert entry.meta["lineno"] == lineno
        assert entry.meta["coop-schedule"] == "Monthly dues"
        assert entry.meta["coop-period"] in ("2025-01-01/2025-01-31", "2025-02-01/2025-02-28")
    assert {e.payee for e in generated} == {"Alice Smith", "Bob Jones"}


def test_generated_transactions_balance_and_use_the_income_account(load):
    header = HEADER + "2025-01-01 open Income:Members:BoardDues USD\n"
    entries, errors, _ = load(ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      prorate: TRUE
    2025-01-01 custom "coop-dues" "Board dues" 3.00 USD "quarterly"
      account: "Income:Members:BoardDues"
    2025-03-17 custom "coop-member" "Bob" "Bob Jones"
    """, header=header)
    assert errors == []
    generated = [e for e in entries if e.meta.get("coop-generated") == "dues"]
    assert len(generated) == 12 + 4 + 10 + 3  # Alice monthly, Alice quarterly, Bob, Bob
    for entry in generated:
        assert len(entry.postings) == 2
        assert sum(p.units.number for p in entry.postings) == 0
        assert entry.postings[0].account.endswith(":Dues")
        assert entry.postings[0].units.number > 0
    board = [e for e in generated if e.meta["coop-schedule"] == "Board dues"]
    assert {e.postings[1].account for e in board} == {"Income:Members:BoardDues"}


def test_invalid_income_account_is_an_error(load):
    text = ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      account: "dues"
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-dues"', "invalid account", "'dues'")
    assert charges(entries) == []


def test_inactive_periods_are_not_charged(load):
    entries, errors, _ = load("""
    2025-04-01 custom "coop-member" "Alice" "Alice Smith"
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
    2025-06-30 * "paid up"
      Assets:Bank                  15.00 USD
      Assets:Members:Alice:Dues   -15.00 USD
    2025-06-30 custom "coop-leave" "Alice"
    """)
    assert errors == []
    assert [date for date, _ in charges(entries)] == ["2025-04-01", "2025-05-01", "2025-06-01"]


def test_a_full_ledger_with_dues_loads_without_errors(load):
    entries, errors, _ = load("""
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      prorate: TRUE
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-05 custom "coop-subscription" "Alice" "Member" 1
    2025-01-05 * "Alice's share"
      Assets:Bank                          20.00 USD
      Equity:Members:Alice:Shares:Member  -20.00 USD
    2025-07-01 * "Alice pays her dues"
      Assets:Bank                  34.35 USD
      Assets:Members:Alice:Dues   -34.35 USD
    2025-07-31 custom "coop-leave" "Alice"
    """)
    # Jan: 27/31 x 5 = 4.354... -> 4.35, then Feb..Jul 6 x 5.00 = 30.00.
    assert charges(entries)[0] == ("2025-01-05", Decimal("4.35"))
    assert errors == []
    assert dues_balance(entries, "Alice") == 0
    assert max(e.date for e in entries) <= AS_OF
