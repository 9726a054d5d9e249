"""The pure dues rules: records in, charges out, no ledger."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from coop_beancount.core.dues import dues_charges, precision, schedule_problems
from coop_beancount.core.records import FREQUENCIES, DuesSchedule, Member

D = datetime.date
SOURCE = {"filename": "books.beancount", "lineno": 7}


JAN_1 = D(2025, 1, 1)


def member(key: str = "Alice", joined: D = JAN_1, left: D | None = None) -> Member:
    return Member(key=key, name=f"{key} Smith", joined=joined, source={}, left=left)


def schedule(**changes) -> DuesSchedule:
    values = dict(name="Monthly dues", start=D(2025, 1, 1), amount=Decimal("5.00"),
                  currency="USD", frequency="monthly", source=SOURCE)
    values.update(changes)
    return DuesSchedule(**values)


def summary(charges) -> list[tuple[str, str, Decimal]]:
    return [(c.date.isoformat(), c.member, c.amount) for c in charges]


@pytest.mark.parametrize(("amount", "quantum"), [
    ("5", "0.01"), ("5.0", "0.01"), ("5.00", "0.01"), ("5.000", "0.001"),
    ("1.2345", "0.0001"), ("100", "0.01"),
])
def test_precision_is_the_amounts_own_decimals_at_least_cents(amount, quantum):
    assert precision(Decimal(amount)) == Decimal(quantum)


def test_schedule_problems_names_unknown_members_and_classes():
    members = {"Alice": member()}
    assert schedule_problems(schedule(), members, ["Member"]) == []
    problems = schedule_problems(
        schedule(members=("Alice", "Zed", "Yan"), share_class="Gold"), members, ["Member"])
    assert len(problems) == 2
    assert "Zed, Yan" in problems[0]
    assert "'Gold'" in problems[1]


def test_monthly_charges_in_date_then_member_order():
    charges = dues_charges(schedule(), [member("Bob"), member("Alice")], {}, D(2025, 2, 15))
    assert summary(charges) == [
        ("2025-01-01", "Bob", Decimal("5.00")), ("2025-01-01", "Alice", Decimal("5.00")),
        ("2025-02-01", "Bob", Decimal("5.00")), ("2025-02-01", "Alice", Decimal("5.00")),
    ]
    first = charges[0]
    assert (first.period_start, first.period_end) == (D(2025, 1, 1), D(2025, 1, 31))
    assert first.source is SOURCE
    assert first.schedule == "Monthly dues"
    assert first.currency == "USD"
    assert first.income_account is None  # the plugin uses <name_income>:Members:Dues


def test_nothing_after_as_of():
    charges = dues_charges(schedule(frequency="weekly"), [member()], {}, D(2025, 1, 14))
    assert [c.date for c in charges] == [D(2025, 1, 1), D(2025, 1, 8)]


def test_until_limits_the_schedule():
    charges = dues_charges(schedule(until=D(2025, 3, 31)), [member()], {}, D(2025, 12, 31))
    assert len(charges) == 3


def test_members_filter():
    charges = dues_charges(schedule(members=("Bob",)), [member("Alice"), member("Bob")], {},
                           D(2025, 1, 31))
    assert summary(charges) == [("2025-01-01", "Bob", Decimal("5.00"))]


def test_share_class_filter_uses_the_subscription_date():
    charges = dues_charges(
        schedule(share_class="Member"), [member("Alice"), member("Bob")],
        {("Alice", "Member"): D(2025, 2, 1), ("Bob", "Preferred"): D(2025, 1, 1)},
        D(2025, 3, 31))
    assert summary(charges) == [
        ("2025-02-01", "Alice", Decimal("5.00")), ("2025-03-01", "Alice", Decimal("5.00"))]


def test_share_class_filter_with_prorate_starts_on_the_subscription_day():
    charges = dues_charges(
        schedule(share_class="Member", prorate=True), [member("Alice")],
        {("Alice", "Member"): D(2025, 4, 29)}, D(2025, 5, 31))
    assert summary(charges) == [
        ("2025-04-29", "Alice", Decimal("0.33")), ("2025-05-01", "Alice", Decimal("5.00"))]


def test_prorate_on_joining_two_days_of_thirty():
    charges = dues_charges(schedule(prorate=True), [member(joined=D(2025, 6, 29))], {},
                           D(2025, 7, 1))
    assert summary(charges) == [
        ("2025-06-29", "Alice", Decimal("0.33")), ("2025-07-01", "Alice", Decimal("5.00"))]


def test_prorate_on_leaving_two_days_of_thirty():
    charges = dues_charges(schedule(prorate=True),
                           [member(joined=D(2025, 5, 1), left=D(2025, 6, 2))], {},
                           D(2025, 12, 31))
    assert summary(charges) == [
        ("2025-05-01", "Alice", Decimal("5.00")), ("2025-06-01", "Alice", Decimal("0.33"))]


def test_prorate_join_and_leave_in_the_same_period():
    charges = dues_charges(schedule(prorate=True),
                           [member(joined=D(2025, 4, 10), left=D(2025, 4, 19))], {},
                           D(2025, 12, 31))
    # 10 of April's 30 days.
    assert summary(charges) == [("2025-04-10", "Alice", Decimal("1.67"))]


def test_without_prorate_a_mid_period_joiner_pays_from_the_next_period():
    charges = dues_charges(schedule(), [member(joined=D(2025, 1, 2))], {}, D(2025, 3, 31))
    assert [c.date for c in charges] == [D(2025, 2, 1), D(2025, 3, 1)]


def test_without_prorate_a_leaver_pays_the_period_that_started_while_a_member():
    charges = dues_charges(schedule(), [member(left=D(2025, 3, 1))], {}, D(2025, 12, 31))
    assert [c.date for c in charges] == [D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)]


def test_a_member_who_left_before_the_schedule_pays_nothing():
    old = member(joined=D(2024, 1, 1), left=D(2024, 12, 31))
    assert dues_charges(schedule(), [old], {}, D(2025, 12, 31)) == []
    assert dues_charges(schedule(prorate=True), [old], {}, D(2025, 12, 31)) == []


def test_a_tiny_prorated_charge_that_rounds_to_zero_is_not_booked():
    charges = dues_charges(schedule(amount=Decimal("0.10"), prorate=True),
                           [member(joined=D(2025, 1, 31))], {}, D(2025, 1, 31))
    # 0.10 x 1/31 = 0.0032 -> 0.00: no zero charge.
    assert charges == []


# --- properties ----------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000"), places=2)
days = st.integers(min_value=0, max_value=800)
START = D(2024, 1, 1)


@st.composite
def membership(draw):
    joined = START + datetime.timedelta(days=draw(st.integers(min_value=-60, max_value=700)))
    left = None
    if draw(st.booleans()):
        left = joined + datetime.timedelta(days=draw(st.integers(min_value=0, max_value=500)))
    return member(joined=joined, left=left)


@given(amounts, st.sampled_from(FREQUENCIES), membership(), days, st.booleans())
def test_charges_never_exceed_the_amount_and_full_periods_charge_it_exactly(
    amount, frequency, who, span, prorate
):
    as_of = START + datetime.timedelta(days=span)
    sched = schedule(start=START, amount=amount, frequency=frequency, prorate=prorate)
    charges = dues_charges(sched, [who], {}, as_of)
    quantum = precision(amount)
    for charge in charges:
        assert Decimal(0) < charge.amount <= amount
        assert charge.amount == charge.amount.quantize(quantum)
        assert charge.date <= as_of
        assert charge.period_start <= charge.date <= charge.period_end
        assert who.is_active(charge.date)
        whole_period = who.joined <= charge.period_start and (
            who.left is None or who.left >= charge.period_end)
        if whole_period or not prorate:
            assert charge.amount == amount
    # At most one charge per period, and periods in order.
    starts = [c.period_start for c in charges]
    assert starts == sorted(set(starts))


@given(amounts, st.sampled_from(FREQUENCIES), membership(), days)
def test_prorating_changes_the_total_by_less_than_one_period(amount, frequency, who, span):
    """Prorating only reprices the joining and the leaving period, each by at most `amount`.

    Without prorate the joining period is free and the leaving one is paid in full; with
    prorate both are paid in part, so the totals differ by at most one period's amount.
    """
    as_of = START + datetime.timedelta(days=span)
    full = dues_charges(schedule(start=START, amount=amount, frequency=frequency),
                        [who], {}, as_of)
    prorated = dues_charges(schedule(start=START, amount=amount, frequency=frequency,
                                     prorate=True), [who], {}, as_of)
    difference = sum(c.amount for c in prorated) - sum(c.amount for c in full)
    assert abs(difference) <= amount
    # A period charged without prorate is charged with it too (when a day is worth a cent).
    if amount >= Decimal("3.66"):
        assert {c.period_start for c in full} <= {c.period_start for c in prorated}


@given(amounts, st.sampled_from(FREQUENCIES), days)
def test_a_member_for_the_whole_time_pays_every_period_in_full(amount, frequency, span):
    as_of = START + datetime.timedelta(days=span)
    for prorate in (False, True):
        charges = dues_charges(
            schedule(start=START, amount=amount, frequency=frequency, prorate=prorate),
            [member(joined=START - datetime.timedelta(days=1))], {}, as_of)
        assert charges
        assert charges[0].date == START
        assert all(c.amount == amount for c in charges)
        assert all(c.date == c.period_start for c in charges)


@given(st.integers(min_value=1, max_value=30), st.integers(min_value=0, max_value=29))
def test_prorate_is_days_over_period_rounded_half_up(active_days, offset):
    assume(offset + active_days <= 30)
    joined = D(2025, 6, 1) + datetime.timedelta(days=offset)
    left = joined + datetime.timedelta(days=active_days - 1)
    charges = dues_charges(schedule(prorate=True, amount=Decimal("5.00")),
                           [member(joined=joined, left=left)], {}, D(2025, 12, 31))
    june = [c for c in charges if c.period_start == D(2025, 6, 1)]
    assert len(june) == 1
    exact = Decimal("5.00") * active_days / 30
    assert abs(june[0].amount - exact) <= Decimal("0.005")
    assert june[0].date == joined
