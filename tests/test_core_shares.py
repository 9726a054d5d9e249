"""The pure share rules: subscriptions and payments replayed in date order."""

from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from coop_beancount.core.records import Member, ShareClass, Subscription
from coop_beancount.core.shares import Holding, SharePayment, track_shares

D = datetime.date

MEMBER_CLASS = ShareClass("Member", Decimal("20.00"), "USD", D(2025, 1, 1), {"lineno": 1})
PREFERRED = ShareClass("Preferred", Decimal("100.00"), "USD", D(2025, 1, 1), {"lineno": 2})
CLASSES = {"Member": MEMBER_CLASS, "Preferred": PREFERRED}
ALICE = Member("Alice", "Alice Smith", D(2025, 1, 5), {"lineno": 3})
MEMBERS = {"Alice": ALICE}


def sub(date: D, count: int = 1, member: str = "Alice", share_class: str = "Member",
        lineno: int = 10) -> Subscription:
    return Subscription(date, member, share_class, Decimal(count), {"lineno": lineno})


def pay(date: D, amount: str, member: str = "Alice", share_class: str = "Member",
        currency: str = "USD", lineno: int = 20) -> SharePayment:
    return SharePayment(date, member, share_class, Decimal(amount), currency,
                        {"lineno": lineno})


def test_holding_subscribed_and_unpaid():
    holding = Holding("Alice", "Member", "USD", Decimal("20.00"), Decimal(3), Decimal("25.00"))
    assert holding.subscribed == Decimal("60.00")
    assert holding.unpaid == Decimal("35.00")


def test_instalments_accumulate():
    result = track_shares(CLASSES, MEMBERS, [sub(D(2025, 1, 5))], [
        pay(D(2025, 1, 5), "5.00"), pay(D(2025, 2, 5), "5.00"), pay(D(2025, 3, 5), "10.00")])
    assert result.problems == []
    holding = result.holdings[("Alice", "Member")]
    assert holding.paid == Decimal("20.00")
    assert holding.unpaid == 0


def test_subscription_and_payment_on_the_same_day_are_fine_in_any_input_order():
    result = track_shares(CLASSES, MEMBERS, [sub(D(2025, 1, 5))], [pay(D(2025, 1, 5), "20.00")])
    assert result.problems == []


def test_overpayment_is_reported_at_the_payment_with_the_amounts():
    result = track_shares(CLASSES, MEMBERS, [sub(D(2025, 1, 5))], [
        pay(D(2025, 1, 5), "20.00", lineno=21), pay(D(2025, 2, 5), "0.01", lineno=22)])
    assert len(result.problems) == 1
    source, message = result.problems[0]
    assert source == {"lineno": 22}
    assert "20.01 USD" in message and "20.00 USD" in message


def test_payment_before_the_subscription_is_an_overpayment():
    result = track_shares(CLASSES, MEMBERS, [sub(D(2025, 2, 1))], [pay(D(2025, 1, 10), "5.00")])
    assert len(result.problems) == 1
    assert "subscribed only 0" in result.problems[0][1]


def test_refund_beyond_paid_in_is_reported():
    result = track_shares(CLASSES, MEMBERS, [sub(D(2025, 1, 5))], [
        pay(D(2025, 1, 5), "5.00"), pay(D(2025, 1, 6), "-6.00", lineno=23)])
    assert [(s, "negative" in m) for s, m in result.problems] == [({"lineno": 23}, True)]


def test_unknown_class_member_and_inactive_member():
    left = Member("Bob", "Bob Jones", D(2025, 1, 1), {}, left=D(2025, 3, 1))
    result = track_shares(CLASSES, {"Alice": ALICE, "Bob": left}, [
        sub(D(2025, 1, 5), share_class="Gold", lineno=11),
        sub(D(2025, 1, 5), member="Zed", lineno=12),
        sub(D(2025, 1, 4), lineno=13),          # before Alice joined
        sub(D(2025, 3, 2), member="Bob", lineno=14),  # after Bob left
    ], [pay(D(2025, 1, 5), "1.00", share_class="Gold", lineno=24)])
    by_line = {source["lineno"]: message for source, message in result.problems}
    assert sorted(by_line) == [11, 12, 13, 14, 24]
    assert "'Gold'" in by_line[11] and "Member, Preferred" in by_line[11]
    assert "'Zed'" in by_line[12]
    assert "not a member on 2025-01-04" in by_line[13]
    assert "left 2025-03-01" in by_line[14]
    assert "'Gold'" in by_line[24]
    assert result.holdings == {}


def test_payment_in_the_wrong_currency_is_not_counted():
    result = track_shares(CLASSES, MEMBERS, [sub(D(2025, 1, 5))], [
        pay(D(2025, 1, 5), "20.00", currency="EUR", lineno=25), pay(D(2025, 1, 6), "20.00")])
    assert len(result.problems) == 1
    assert result.problems[0][0] == {"lineno": 25}
    assert "EUR" in result.problems[0][1] and "USD" in result.problems[0][1]
    assert result.holdings[("Alice", "Member")].paid == Decimal("20.00")


def test_classes_are_tracked_separately():
    result = track_shares(CLASSES, MEMBERS, [sub(D(2025, 1, 5)), sub(D(2025, 1, 5), 2,
                                                                      share_class="Preferred")],
                          [pay(D(2025, 1, 5), "20.00"),
                           pay(D(2025, 1, 5), "200.00", share_class="Preferred")])
    assert result.problems == []
    assert result.holdings[("Alice", "Preferred")].subscribed == Decimal("200.00")
    assert result.holdings[("Alice", "Member")].unpaid == 0


# --- properties ----------------------------------------------------------------------------

cents = st.integers(min_value=-500, max_value=3000).map(lambda n: Decimal(n).scaleb(-2))


@given(st.integers(min_value=1, max_value=5), st.lists(cents, max_size=12))
def test_a_problem_is_reported_exactly_when_paid_leaves_zero_to_subscribed(count, amounts):
    payments = [pay(D(2025, 2, 1) + datetime.timedelta(days=i), str(a), lineno=100 + i)
                for i, a in enumerate(amounts)]
    result = track_shares(CLASSES, MEMBERS, [sub(D(2025, 1, 5), count)], payments)
    subscribed = MEMBER_CLASS.par * count
    expected, running = [], Decimal(0)
    for i, amount in enumerate(amounts):
        running += amount
        if running > subscribed or running < 0:
            expected.append(100 + i)
    assert [source["lineno"] for source, _ in result.problems] == expected
    assert result.holdings[("Alice", "Member")].paid == sum(amounts, Decimal(0))


@given(st.lists(st.integers(min_value=1, max_value=2000), min_size=1, max_size=10))
def test_instalments_that_add_up_to_the_subscription_are_never_a_problem(parts):
    total = Decimal(sum(parts)).scaleb(-2)
    par_class = ShareClass("Member", total, "USD", D(2025, 1, 1), {})
    payments = [pay(D(2025, 1, 5) + datetime.timedelta(days=i), str(Decimal(p).scaleb(-2)))
                for i, p in enumerate(parts)]
    result = track_shares({"Member": par_class}, MEMBERS, [sub(D(2025, 1, 5))], payments)
    assert result.problems == []
    assert result.holdings[("Alice", "Member")].unpaid == 0
