"""Patronage dividend rules, pure (coop_beancount.core.patronage): no ledger involved."""

from __future__ import annotations

import datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop_beancount.core.patronage import (
    FiscalCalendar,
    allocate_pool,
    cash_part,
    deadline_problem,
    fiscal_label,
    percent,
    pool_problems,
    redeem,
    share_problems,
)

D = Decimal
date = datetime.date
DECEMBER = FiscalCalendar(12, 31)
JUNE = FiscalCalendar(6, 30)
BARRELS = {"G1": D(12000), "G2": D(7500), "G3": D(3333), "G4": D(950)}


# --- the fiscal calendar ----------------------------------------------------------------------


@pytest.mark.parametrize("day, year", [
    (date(2025, 1, 1), 2025),
    (date(2025, 12, 31), 2025),
    (date(2026, 1, 1), 2026),
])
def test_calendar_year_ending_in_december(day, year):
    assert DECEMBER.year_of(day) == year


@pytest.mark.parametrize("day, year", [
    (date(2025, 6, 30), 2025),
    (date(2025, 7, 1), 2026),
    (date(2025, 12, 31), 2026),
    (date(2026, 1, 1), 2026),
    (date(2026, 6, 30), 2026),
    (date(2024, 7, 1), 2025),
])
def test_year_ending_in_june_is_named_by_the_year_it_ends_in(day, year):
    assert JUNE.year_of(day) == year


def test_start_and_end_of_a_year():
    assert (DECEMBER.start(2025), DECEMBER.end(2025)) == (date(2025, 1, 1), date(2025, 12, 31))
    assert (JUNE.start(2025), JUNE.end(2025)) == (date(2024, 7, 1), date(2025, 6, 30))


@pytest.mark.parametrize("calendar, year, deadline", [
    (DECEMBER, 2025, date(2026, 9, 15)),
    (DECEMBER, 2024, date(2025, 9, 15)),
    (JUNE, 2025, date(2026, 3, 15)),
    (FiscalCalendar(3, 31), 2025, date(2025, 12, 15)),
    (FiscalCalendar(4, 30), 2025, date(2026, 1, 15)),
    (FiscalCalendar(2, 28), 2025, date(2025, 11, 15)),
])
def test_deadline_is_the_15th_of_the_9th_month_after_year_end(calendar, year, deadline):
    assert calendar.deadline(year) == deadline


def test_a_february_29_year_end_falls_back_to_the_28th_in_common_years():
    leap = FiscalCalendar.parse("02-29")
    assert leap.end(2024) == date(2024, 2, 29)
    assert leap.end(2025) == date(2025, 2, 28)
    assert leap.start(2025) == date(2024, 3, 1)
    assert leap.start(2024) == date(2023, 3, 1)
    assert leap.year_of(date(2024, 2, 29)) == 2024
    assert leap.year_of(date(2024, 3, 1)) == 2025
    assert leap.year_of(date(2025, 2, 28)) == 2025
    assert leap.year_of(date(2025, 3, 1)) == 2026
    assert leap.deadline(2025) == date(2025, 11, 15)


def test_parse():
    assert FiscalCalendar.parse("06-30") == JUNE
    assert FiscalCalendar.parse("12-31") == DECEMBER


@pytest.mark.parametrize("text", ["02-30", "04-31", "13-31", "00-10", "12-00", "12", "June",
                                  "12-31-1", ""])
def test_parse_rejects_days_that_do_not_exist(text):
    with pytest.raises(ValueError):
        FiscalCalendar.parse(text)


@given(day=st.dates(min_value=date(1901, 1, 1), max_value=date(2998, 12, 31)),
       end=st.sampled_from(["12-31", "06-30", "09-30", "02-29", "01-31", "03-15"]))
def test_every_day_lies_in_the_year_year_of_names(day, end):
    calendar = FiscalCalendar.parse(end)
    year = calendar.year_of(day)
    assert calendar.start(year) <= day <= calendar.end(year)
    assert calendar.end(year) < calendar.deadline(year)


def test_labels_and_percentages():
    assert fiscal_label(2025) == "FY2025"
    assert percent(D("0.2")) == "20%"
    assert percent(D("0.20")) == "20%"
    assert percent(D("0.125")) == "12.5%"
    assert percent(D(1)) == "100%"
    assert percent(D(0)) == "0%"


# --- the worked example (docs: domain notes) --------------------------------------------------


def test_worked_example_from_the_domain_notes():
    result = allocate_pool(D("48000.00"), D("0.10"), D("0.20"), BARRELS)
    assert result.margin == D("48000.00")
    assert result.reserve == D("4800.00")
    assert result.pool == D("43200.00")
    assert result.total_patronage == D(23783)
    got = {d.member: (d.patronage, d.allocation, d.cash, d.retained) for d in result.dividends}
    assert got == {
        "G1": (D(12000), D("21797.08"), D("4359.42"), D("17437.66")),
        "G2": (D(7500), D("13623.18"), D("2724.64"), D("10898.54")),
        "G3": (D(3333), D("6054.14"), D("1210.83"), D("4843.31")),
        "G4": (D(950), D("1725.60"), D("345.12"), D("1380.48")),
    }
    assert [d.member for d in result.dividends] == ["G1", "G2", "G3", "G4"]
    assert sum(d.allocation for d in result.dividends) == D("43200.00")
    assert result.rate == D("43200.00") / D(23783)


def test_cash_part_is_rounded_up_never_under_the_share():
    assert cash_part(D("21797.08"), D("0.20")) == D("4359.42")  # 4359.416
    assert cash_part(D("6054.14"), D("0.20")) == D("1210.83")   # 1210.828
    assert cash_part(D("10.00"), D("0.20")) == D("2.00")
    assert cash_part(D("0.01"), D("0.20")) == D("0.01")
    assert cash_part(D("0.00"), D("0.20")) == D("0.00")


def test_members_with_no_patronage_get_nothing_and_are_left_out():
    result = allocate_pool(D("100.00"), D(0), D("0.5"), {"A": D(1), "B": D(0), "C": D(3)})
    assert {d.member: d.allocation for d in result.dividends} == {"A": D("25.00"),
                                                                  "C": D("75.00")}
    assert result.total_patronage == D(4)


def test_ties_go_to_the_lower_key():
    result = allocate_pool(D("100.00"), D(0), D("0.20"), dict.fromkeys("CAB", D(1)))
    assert [(d.member, d.allocation) for d in result.dividends] == [
        ("A", D("33.34")), ("B", D("33.33")), ("C", D("33.33"))]


def test_reserve_is_rounded_half_up_to_the_cent():
    result = allocate_pool(D("0.05"), D("0.10"), D("0.20"), {"A": D(1)})
    assert result.reserve == D("0.01")  # 0.005 rounds up
    assert result.pool == D("0.04")


def test_a_margin_in_tenths_of_a_cent_still_adds_up():
    """The part of the margin under a cent cannot be allocated: it stays in the reserve."""
    result = allocate_pool(D("100.005"), D(0), D("0.20"), {"A": D(1), "B": D(2)})
    assert result.pool == D("100.00")
    assert result.reserve == D("0.005")
    assert sum(d.allocation for d in result.dividends) == result.pool
    assert result.pool + result.reserve == result.margin


# --- allocation properties --------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10**11).map(lambda c: D(c).scaleb(-2))
margins = st.one_of(cents, st.integers(min_value=0, max_value=10**11).map(
    lambda c: D(c).scaleb(-3)))
shares = st.integers(min_value=0, max_value=1000).map(lambda n: D(n).scaleb(-3))
cash_shares = st.one_of(shares, st.sampled_from([D("0.2"), D("0.20"), D("0.25"), D(1)]))
quantities = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(D),
    st.integers(min_value=0, max_value=10**8).map(lambda n: D(n).scaleb(-2)),
)
keys = st.sampled_from([f"M{n:02}" for n in range(60)])
patronage_maps = st.dictionaries(keys, quantities, min_size=1, max_size=25).filter(
    lambda p: sum(p.values()) > 0)


@given(margin=margins, reserve=shares, cash=cash_shares, patronage=patronage_maps)
def test_allocations_add_up_exactly_to_the_pool(margin, reserve, cash, patronage):
    result = allocate_pool(margin, reserve, cash, patronage)
    assert sum((d.allocation for d in result.dividends), D(0)) == result.pool
    assert result.pool + result.reserve == margin
    assert result.pool == result.pool.quantize(D("0.01"))
    # The reserve is the board's share rounded half up to the cent, plus whatever part of the
    # margin is under a cent (only whole cents can be allocated).
    rounded = (margin * reserve).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    under_a_cent = margin - margin.quantize(D("0.01"), rounding=ROUND_FLOOR)
    assert result.reserve == (rounded + under_a_cent if rounded <= margin else margin)


@given(margin=margins, reserve=shares, cash=cash_shares, patronage=patronage_maps)
def test_each_allocation_within_a_cent_of_its_exact_share(margin, reserve, cash, patronage):
    result = allocate_pool(margin, reserve, cash, patronage)
    total = sum(Fraction(q) for q in patronage.values())
    assert {d.member for d in result.dividends} == {m for m, q in patronage.items() if q > 0}
    for dividend in result.dividends:
        exact = Fraction(result.pool) * Fraction(patronage[dividend.member]) / total
        assert abs(Fraction(dividend.allocation) - exact) < Fraction(1, 100)
        assert dividend.allocation >= 0
        assert dividend.patronage == patronage[dividend.member]


@given(margin=margins, reserve=shares, cash=cash_shares, patronage=patronage_maps)
def test_cash_never_under_the_share_and_the_parts_add_up(margin, reserve, cash, patronage):
    result = allocate_pool(margin, reserve, cash, patronage)
    for dividend in result.dividends:
        assert dividend.cash + dividend.retained == dividend.allocation
        assert dividend.cash >= dividend.allocation * cash
        # ... and by less than a cent: rounding up, not a bigger payout.
        assert dividend.cash - dividend.allocation * cash < D("0.01")
        assert 0 <= dividend.cash <= dividend.allocation
        assert dividend.retained >= 0
        if cash >= D("0.20"):
            assert dividend.cash >= dividend.allocation * D("0.20")


@given(margin=margins, reserve=shares, cash=cash_shares, patronage=patronage_maps)
def test_allocation_is_deterministic(margin, reserve, cash, patronage):
    first = allocate_pool(margin, reserve, cash, patronage)
    reordered = dict(reversed(list(patronage.items())))
    assert allocate_pool(margin, reserve, cash, reordered) == first
    assert allocate_pool(margin, reserve, cash, dict(patronage)) == first


# --- redemptions ------------------------------------------------------------------------------


def test_redeem_pays_the_oldest_year_first_then_pro_rata():
    outstanding = {
        (2023, "A", "Equity:Members:A:Allocated:FY2023"): D("100.00"),
        (2023, "B", "Equity:Members:B:Allocated:FY2023"): D("50.00"),
        (2024, "A", "Equity:Members:A:Allocated:FY2024"): D("200.00"),
        (2024, "B", "Equity:Members:B:Allocated:FY2024"): D("100.00"),
        (2025, "A", "Equity:Members:A:Allocated:FY2025"): D("999.00"),
    }
    paid = redeem(D("250.00"), outstanding)
    assert paid == {
        (2023, "A", "Equity:Members:A:Allocated:FY2023"): D("100.00"),
        (2023, "B", "Equity:Members:B:Allocated:FY2023"): D("50.00"),
        (2024, "A", "Equity:Members:A:Allocated:FY2024"): D("66.67"),
        (2024, "B", "Equity:Members:B:Allocated:FY2024"): D("33.33"),
    }


def test_redeem_exactly_a_whole_year():
    outstanding = {(2023, "A", "x"): D("10.00"), (2024, "A", "y"): D("5.00")}
    assert redeem(D("10.00"), outstanding) == {(2023, "A", "x"): D("10.00")}
    assert redeem(D("15.00"), outstanding) == outstanding


def test_redeem_ignores_empty_and_negative_balances():
    outstanding = {(2023, "A", "x"): D(0), (2023, "B", "y"): D("-5.00"),
                   (2024, "A", "z"): D("20.00")}
    assert redeem(D("10.00"), outstanding) == {(2024, "A", "z"): D("10.00")}


def test_redeem_ties_go_to_the_lower_key():
    outstanding = {(2024, "B", "b"): D("1.00"), (2024, "A", "a"): D("1.00")}
    assert redeem(D("0.01"), outstanding) == {(2024, "A", "a"): D("0.01")}


balances = st.integers(min_value=-10**6, max_value=10**9).map(lambda c: D(c).scaleb(-2))
equity_keys = st.tuples(st.integers(min_value=2015, max_value=2030), keys,
                        st.sampled_from(["Allocated", "Retains", "Allocated:NonQualified"]))
outstanding_maps = st.dictionaries(equity_keys, balances, min_size=1, max_size=30).map(
    lambda d: {(y, m, f"Equity:Members:{m}:{kind}"): v for (y, m, kind), v in d.items()})


def _positive_total(outstanding: dict) -> D:
    return sum((v for v in outstanding.values() if v > 0), D(0))


@st.composite
def redemptions(draw):
    outstanding = draw(outstanding_maps.filter(lambda o: _positive_total(o) > 0))
    total_cents = int(_positive_total(outstanding) * 100)
    budget = D(draw(st.integers(min_value=1, max_value=total_cents))).scaleb(-2)
    return budget, outstanding


@given(case=redemptions())
def test_redemption_parts_add_up_and_never_exceed_a_balance(case):
    budget, outstanding = case
    paid = redeem(budget, outstanding)
    assert sum(paid.values(), D(0)) == budget
    for key, amount in paid.items():
        assert 0 < amount <= outstanding[key]
        assert amount == amount.quantize(D("0.01"))


@given(case=redemptions())
def test_the_oldest_year_is_paid_in_full_before_a_later_year_gets_anything(case):
    budget, outstanding = case
    paid = redeem(budget, outstanding)
    years = sorted({key[0] for key in paid})
    last = years[-1]
    for key, balance in outstanding.items():
        if balance <= 0:
            assert key not in paid
        elif key[0] < last:
            assert paid[key] == balance
        elif key[0] > last:
            assert key not in paid


@given(case=redemptions())
def test_the_last_year_reached_is_paid_pro_rata_within_a_cent(case):
    budget, outstanding = case
    paid = redeem(budget, outstanding)
    last = max(key[0] for key in paid)
    in_last = {k: v for k, v in outstanding.items() if k[0] == last and v > 0}
    left = budget - sum((v for k, v in paid.items() if k[0] < last), D(0))
    total = sum(in_last.values(), D(0))
    for key, balance in in_last.items():
        exact = Fraction(left) * Fraction(balance) / Fraction(total)
        assert abs(Fraction(paid.get(key, D(0))) - exact) < Fraction(1, 100)


@given(case=redemptions())
def test_redemption_is_deterministic(case):
    budget, outstanding = case
    assert redeem(budget, dict(reversed(list(outstanding.items())))) == redeem(budget,
                                                                               outstanding)


# --- problems ---------------------------------------------------------------------------------


def test_a_qualified_notice_needs_20_percent_cash():
    assert share_problems(D("0.10"), D("0.20"), qualified=True) == []
    assert share_problems(D("0.10"), D("0.19"), qualified=False) == []
    [problem] = share_problems(D("0.10"), D("0.199"), qualified=True)
    assert "19.9%" in problem and "20%" in problem and "qualified: FALSE" in problem


@pytest.mark.parametrize("reserve, cash, words", [
    (D("-0.01"), D("0.5"), ("reserve share is -1%", "from 0% to 100%")),
    (D("1.5"), D("0.5"), ("reserve share is 150%",)),
    (D("0.1"), D("1.01"), ("cash share is 101%",)),
])
def test_shares_must_be_between_0_and_100_percent(reserve, cash, words):
    [problem] = share_problems(reserve, cash, qualified=False)
    for word in words:
        assert word in problem


@pytest.mark.parametrize("paid", [date(2026, 1, 1), date(2026, 9, 15)])
def test_paid_within_the_deadline(paid):
    assert deadline_problem(DECEMBER, 2025, paid) is None


def test_paid_after_the_deadline():
    problem = deadline_problem(DECEMBER, 2025, date(2026, 9, 16))
    assert "2026-09-16" in problem and "deadline of 2026-09-15" in problem
    assert "FY2025" in problem and "2025-12-31" in problem
    problem = deadline_problem(JUNE, 2025, date(2026, 3, 16))
    assert "deadline of 2026-03-15" in problem and "2025-06-30" in problem
    assert deadline_problem(JUNE, 2025, date(2026, 3, 15)) is None


def test_paid_before_the_year_ends():
    problem = deadline_problem(DECEMBER, 2025, date(2025, 12, 31))
    assert "before the year is over (it ends on 2025-12-31)" in problem
    assert deadline_problem(JUNE, 2025, date(2025, 7, 1)) is None


def test_pool_problems():
    assert pool_problems(2025, "p", D("10.00"), {"A": D(1)}, "barrels") == []
    assert pool_problems(2025, "p", D("0.00"), {"A": D(1)}, "barrels") == []
    [negative] = pool_problems(2025, "p", D("-10.00"), {"A": D(1)}, "barrels")
    assert "negative margin (-10.00)" in negative and "FY2025" in negative
    [returns] = pool_problems(2025, "p", D("10.00"), {"A": D(1), "B": D(-2), "C": D(-1)},
                              "barrels")
    assert "negative barrels patronage for B, C" in returns
    for empty in ({}, {"A": D(0)}):
        [nobody] = pool_problems(2025, "p", D("10.00"), empty, "barrels")
        assert "no 'barrels' patronage recorded in FY2025" in nobody
