"""Calendar periods: add_months, period_start, periods and calendar_period."""

from __future__ import annotations

import calendar
import datetime
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop_beancount.core.periods import ONE_DAY, add_months, calendar_period, period_start, periods
from coop_beancount.core.records import FREQUENCIES

D = datetime.date

dates = st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31))
frequencies = st.sampled_from(FREQUENCIES)


@pytest.mark.parametrize(("date", "months", "expected"), [
    (D(2025, 1, 31), 1, D(2025, 2, 28)),
    (D(2024, 1, 31), 1, D(2024, 2, 29)),
    (D(2025, 1, 31), 2, D(2025, 3, 31)),
    (D(2025, 3, 31), 1, D(2025, 4, 30)),
    (D(2025, 3, 31), -1, D(2025, 2, 28)),
    (D(2025, 1, 15), -1, D(2024, 12, 15)),
    (D(2025, 12, 1), 1, D(2026, 1, 1)),
    (D(2025, 11, 30), 3, D(2026, 2, 28)),
    (D(2024, 2, 29), 12, D(2025, 2, 28)),
    (D(2024, 2, 29), 48, D(2028, 2, 29)),
    (D(2025, 6, 10), 0, D(2025, 6, 10)),
    (D(2025, 6, 10), -18, D(2023, 12, 10)),
])
def test_add_months_examples(date, months, expected):
    assert add_months(date, months) == expected


@given(dates, st.integers(min_value=-600, max_value=600))
def test_add_months_moves_whole_months_and_clamps_the_day(date, months):
    result = add_months(date, months)
    assert (result.year * 12 + result.month) - (date.year * 12 + date.month) == months
    last_day = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(date.day, last_day)


@given(dates, st.integers(min_value=-600, max_value=600))
def test_add_months_round_trips_when_the_day_exists(date, months):
    result = add_months(date, months)
    if result.day == date.day:
        assert add_months(result, -months) == date


@given(dates, st.integers(min_value=0, max_value=600), st.integers(min_value=1, max_value=600))
def test_add_months_is_monotonic(date, a, extra):
    assert add_months(date, a) < add_months(date, a + extra)


@pytest.mark.parametrize(("frequency", "index", "expected"), [
    ("weekly", 0, D(2025, 1, 31)),
    ("weekly", 1, D(2025, 2, 7)),
    ("weekly", 52, D(2026, 1, 30)),
    ("monthly", 1, D(2025, 2, 28)),
    ("monthly", 2, D(2025, 3, 31)),  # from the anchor, not stepped from February
    ("quarterly", 1, D(2025, 4, 30)),
    ("quarterly", 4, D(2026, 1, 31)),
    ("yearly", 1, D(2026, 1, 31)),
])
def test_period_start_is_computed_from_the_anchor(frequency, index, expected):
    assert period_start(D(2025, 1, 31), frequency, index) == expected


def test_periods_of_a_month_end_anchor():
    got = list(periods(D(2025, 1, 31), "monthly", D(2025, 4, 30)))
    assert got == [
        (D(2025, 1, 31), D(2025, 2, 27)),
        (D(2025, 2, 28), D(2025, 3, 30)),
        (D(2025, 3, 31), D(2025, 4, 29)),
        (D(2025, 4, 30), D(2025, 5, 30)),
    ]


def test_periods_of_a_calendar_year():
    assert len(list(periods(D(2025, 1, 1), "monthly", D(2025, 12, 31)))) == 12
    assert list(periods(D(2025, 1, 1), "quarterly", D(2025, 12, 31)))[-1] == (
        D(2025, 10, 1), D(2025, 12, 31))
    assert list(periods(D(2025, 1, 1), "yearly", D(2025, 12, 31))) == [
        (D(2025, 1, 1), D(2025, 12, 31))]
    weeks = list(periods(D(2025, 1, 6), "weekly", D(2025, 1, 19)))
    assert weeks == [(D(2025, 1, 6), D(2025, 1, 12)), (D(2025, 1, 13), D(2025, 1, 19))]


def test_periods_include_the_one_starting_on_the_last_day():
    assert list(periods(D(2025, 1, 1), "monthly", D(2025, 2, 1)))[-1] == (
        D(2025, 2, 1), D(2025, 2, 28))


def test_no_periods_when_last_is_before_the_anchor():
    assert list(periods(D(2025, 1, 1), "monthly", D(2024, 12, 31))) == []


@given(dates, frequencies, st.integers(min_value=0, max_value=800))
def test_periods_are_contiguous_and_non_overlapping(anchor, frequency, span):
    last = anchor + datetime.timedelta(days=span)
    got = list(periods(anchor, frequency, last))
    assert got, "the anchor's own period always starts on or before last"
    assert got[0][0] == anchor
    for start, end in got:
        assert start <= end
        assert start <= last
    for (_, end), (next_start, _) in itertools.pairwise(got):
        assert next_start == end + ONE_DAY
    # The period after the last one starts after `last`: none was left out.
    assert got[-1][1] + ONE_DAY > last


@given(dates, frequencies, st.integers(min_value=0, max_value=200))
def test_period_lengths_fit_the_frequency(anchor, frequency, index):
    start = period_start(anchor, frequency, index)
    end = period_start(anchor, frequency, index + 1) - ONE_DAY
    days = (end - start).days + 1
    low, high = {"weekly": (7, 7), "monthly": (28, 31), "quarterly": (89, 92),
                 "yearly": (365, 366)}[frequency]
    assert low <= days <= high


@pytest.mark.parametrize(("date", "frequency", "label"), [
    (D(2025, 2, 14), "weekly", "2025-W07"),
    (D(2024, 12, 30), "weekly", "2025-W01"),  # ISO week of the following year
    (D(2025, 3, 9), "monthly", "2025-03"),
    (D(2025, 3, 31), "quarterly", "2025-Q1"),
    (D(2025, 4, 1), "quarterly", "2025-Q2"),
    (D(2025, 12, 31), "quarterly", "2025-Q4"),
    (D(2025, 7, 4), "yearly", "2025"),
])
def test_calendar_period_labels(date, frequency, label):
    assert calendar_period(date, frequency) == label


def test_calendar_period_rejects_an_unknown_frequency():
    with pytest.raises(ValueError, match="daily"):
        calendar_period(D(2025, 1, 1), "daily")
