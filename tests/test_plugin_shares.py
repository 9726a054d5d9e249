"""The coop plugin's share rules: classes, subscriptions, instalments and redemption."""

from __future__ import annotations

from decimal import Decimal

from beancount.core import data, realization

from tests.support import FILENAME, assert_one_error_at, line_no


def balance(entries: list, account: str, currency: str = "USD") -> Decimal:
    root = realization.realize(entries)
    node = realization.get(root, account)
    if node is None:
        return Decimal(0)
    return node.balance.get_currency_units(currency).number


def generated(entries: list, kind: str) -> list:
    return [e for e in entries if e.meta.get("coop-generated") == kind]


BASE = """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-05 custom "coop-subscription" "Alice" "Member" 1
    """

SHARES = "Equity:Members:Alice:Shares:Member"
PAYABLE = "Liabilities:Members:Alice:Payable"


def test_instalments_up_to_the_subscription_are_fine(load):
    text = BASE + """
    2025-01-05 * "first instalment"
      Assets:Bank                          5.00 USD
      Equity:Members:Alice:Shares:Member  -5.00 USD
    2025-02-05 * "second instalment"
      Assets:Bank                          5.00 USD
      Equity:Members:Alice:Shares:Member  -5.00 USD
    2025-03-05 * "last instalment"
      Assets:Bank                         10.00 USD
      Equity:Members:Alice:Shares:Member  -10.00 USD
    """
    entries, errors, _ = load(text)
    assert errors == []
    assert balance(entries, SHARES) == Decimal("-20.00")


def test_partly_paid_share_is_fine(load):
    entries, errors, _ = load(BASE + """
    2025-01-05 * "first instalment"
      Assets:Bank                          5.00 USD
      Equity:Members:Alice:Shares:Member  -5.00 USD
    """)
    assert errors == []
    assert balance(entries, SHARES) == Decimal("-5.00")


def test_overpaying_is_an_error_with_the_amounts(load):
    text = BASE + """
    2025-01-05 * "full share"
      Assets:Bank                          20.00 USD
      Equity:Members:Alice:Shares:Member  -20.00 USD
    2025-02-05 * "one instalment too many"
      Assets:Bank                          5.00 USD
      Equity:Members:Alice:Shares:Member  -5.00 USD
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, "one instalment too many", "'Alice'", "25.00 USD",
                        "20.00 USD", "Member")
    assert len(errors) == 1


def test_two_shares_subscribed_allow_twice_the_par(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-05 custom "coop-subscription" "Alice" "Member" 2
    2025-01-05 * "two shares"
      Assets:Bank                          40.00 USD
      Equity:Members:Alice:Shares:Member  -40.00 USD
    2025-01-06 * "a third"
      Assets:Bank                          0.01 USD
      Equity:Members:Alice:Shares:Member  -0.01 USD
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, "a third", "40.01 USD", "40.00 USD")
    assert len(errors) == 1


def test_a_later_subscription_raises_the_limit(load):
    entries, errors, _ = load(BASE + """
    2025-01-05 * "full share"
      Assets:Bank                          20.00 USD
      Equity:Members:Alice:Shares:Member  -20.00 USD
    2025-03-01 custom "coop-subscription" "Alice" "Member" 1
    2025-03-01 * "second share"
      Assets:Bank                          20.00 USD
      Equity:Members:Alice:Shares:Member  -20.00 USD
    """)
    assert errors == []
    assert balance(entries, SHARES) == Decimal("-40.00")


def test_paying_before_subscribing_is_an_error(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-10 * "paid too soon"
      Assets:Bank                          20.00 USD
      Equity:Members:Alice:Shares:Member  -20.00 USD
    2025-02-01 custom "coop-subscription" "Alice" "Member" 1
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, "paid too soon", "20.00 USD", "subscribed only 0")


def test_paying_without_any_subscription_is_an_error(load):
    text = """
    2025-01-01 open Equity:Members:Alice:Shares:Member USD
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-10 * "no subscription"
      Assets:Bank                          20.00 USD
      Equity:Members:Alice:Shares:Member  -20.00 USD
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, "no subscription", "subscribed only 0")
    assert len(errors) == 1


def test_subscription_to_an_unknown_share_class_is_an_error(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-05 custom "coop-subscription" "Alice" "Preferred" 1
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"Preferred"', "unknown share class", "'Preferred'",
                        "Member")
    assert not any(isinstance(e, data.Open) and "Preferred" in e.account for e in entries)
    assert len(errors) == 1


def test_posting_to_shares_of_an_unknown_class_is_an_error(load):
    text = """
    2025-01-01 open Equity:Members:Alice:Shares:Gold USD
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-10 * "gold"
      Assets:Bank                        20.00 USD
      Equity:Members:Alice:Shares:Gold  -20.00 USD
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"gold"', "unknown class", "'Gold'")
    assert len(errors) == 1


def test_zero_par_value_is_an_error(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 0.00 USD
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-share-class"', "'Member'", "more than zero")
    assert len(errors) == 1


def test_negative_par_value_is_an_error(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" -5 USD
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-share-class"', "-5 USD", "more than zero")
    assert len(errors) == 1


def test_par_value_must_be_an_amount(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 20
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-share-class"', "value 2", "an amount")


def test_share_class_with_a_lowercase_name_is_an_error(load):
    text = """
    2025-01-01 custom "coop-share-class" "member" 20.00 USD
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-share-class"', "'member'", "account name")


def test_share_class_with_a_colon_in_the_name_is_an_error(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member:A" 20.00 USD
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-share-class"', "'Member:A'", "account name")


def test_share_class_declared_twice_is_an_error(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-02-01 custom "coop-share-class" "Member" 25.00 USD
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, "25.00 USD", "'Member'", "twice")
    assert len(errors) == 1


def test_subscription_by_a_non_member_is_an_error(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-subscription" "Bob" "Member" 1
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-subscription"', "unknown member", "'Bob'")
    assert not any(isinstance(e, data.Open) and ":Bob:" in e.account for e in entries)


def test_subscription_before_joining_is_an_error(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-02 custom "coop-subscription" "Alice" "Member" 1
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-subscription"', "'Alice'", "not a member",
                        "2025-01-02")


def test_subscription_after_leaving_is_an_error(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-03-01 custom "coop-leave" "Alice"
    2025-04-01 custom "coop-subscription" "Alice" "Member" 1
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-subscription"', "not a member", "left 2025-03-01")


def test_subscription_for_a_fraction_of_a_share_is_an_error(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-05 custom "coop-subscription" "Alice" "Member" 1.5
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-subscription"', "whole number", "1.5")


def test_subscription_for_zero_shares_is_an_error(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-05 custom "coop-subscription" "Alice" "Member" 0
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-subscription"', "whole number")


def test_subscription_count_defaults_to_one(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-05 custom "coop-subscription" "Alice" "Member"
    2025-01-05 * "full share"
      Assets:Bank                          20.00 USD
      Equity:Members:Alice:Shares:Member  -20.00 USD
    2025-01-06 * "more"
      Assets:Bank                          1.00 USD
      Equity:Members:Alice:Shares:Member  -1.00 USD
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"more"', "21.00 USD", "subscribed only 20.00 USD")
    assert len(errors) == 1


def test_paying_shares_in_another_currency_is_an_error(load):
    text = BASE + """
    2025-01-01 open Assets:Bank:EUR EUR
    2025-01-10 * "paid in euros"
      Assets:Bank:EUR                      20.00 EUR
      Equity:Members:Alice:Shares:Member  -20.00 EUR
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, "paid in euros", "USD", "EUR", "Member")


def test_refunding_more_than_paid_in_is_an_error(load):
    text = BASE + """
    2025-01-05 * "paid"
      Assets:Bank                          5.00 USD
      Equity:Members:Alice:Shares:Member  -5.00 USD
    2025-02-05 * "refund too much"
      Equity:Members:Alice:Shares:Member   10.00 USD
      Assets:Bank
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, "refund too much", "negative", "-5.00 USD")


# --- leaving and redemption ----------------------------------------------------------------


def test_leaving_redeems_paid_in_shares_into_the_payable(load):
    text = BASE + """
    2025-01-05 * "first instalment"
      Assets:Bank                          5.00 USD
      Equity:Members:Alice:Shares:Member  -5.00 USD
    2025-02-05 * "second instalment"
      Assets:Bank                          7.50 USD
      Equity:Members:Alice:Shares:Member  -7.50 USD
    2025-07-15 custom "coop-leave" "Alice"
    """
    entries, errors, _ = load(text)
    assert errors == []
    redemptions = generated(entries, "redemption")
    assert len(redemptions) == 1
    redemption = redemptions[0]
    assert isinstance(redemption, data.Transaction)
    assert redemption.date.isoformat() == "2025-07-15"
    assert redemption.meta["filename"] == FILENAME
    assert redemption.meta["lineno"] == line_no(text, '"coop-leave"')
    postings = [(p.account, p.units.number, p.units.currency) for p in redemption.postings]
    assert postings == [
        (SHARES, Decimal("12.50"), "USD"),
        (PAYABLE, Decimal("-12.50"), "USD"),
    ]
    assert balance(entries, SHARES) == 0
    assert balance(entries, PAYABLE) == Decimal("-12.50")


def test_redeemed_capital_can_be_paid_out_after_leaving(load):
    entries, errors, _ = load(BASE + """
    2025-01-05 * "share"
      Assets:Bank                          20.00 USD
      Equity:Members:Alice:Shares:Member  -20.00 USD
    2025-07-15 custom "coop-leave" "Alice"
    2026-01-15 * "pay back Alice's share"
      Liabilities:Members:Alice:Payable    20.00 USD
      Assets:Bank
    """)
    assert errors == []
    assert balance(entries, PAYABLE) == 0
    assert balance(entries, SHARES) == 0
    assert balance(entries, "Assets:Bank") == 0


def test_leaving_with_nothing_paid_in_redeems_nothing(load):
    entries, errors, _ = load(BASE + """
    2025-07-15 custom "coop-leave" "Alice"
    """)
    assert errors == []
    assert generated(entries, "redemption") == []


def test_redeem_shares_false_leaves_it_to_the_treasurer(load):
    text = BASE + """
    2025-01-05 * "share"
      Assets:Bank                          20.00 USD
      Equity:Members:Alice:Shares:Member  -20.00 USD
    2025-07-15 * "treasurer moves the share to the payable"
      Equity:Members:Alice:Shares:Member   20.00 USD
      Liabilities:Members:Alice:Payable   -20.00 USD
    2025-07-15 custom "coop-leave" "Alice"
      redeem-shares: FALSE
    """
    entries, errors, _ = load(text)
    assert errors == []
    assert generated(entries, "redemption") == []
    assert balance(entries, SHARES) == 0
    assert balance(entries, PAYABLE) == Decimal("-20.00")


def test_redeem_shares_false_with_a_balance_left_is_an_error(load):
    text = BASE + """
    2025-01-05 * "share"
      Assets:Bank                          20.00 USD
      Equity:Members:Alice:Shares:Member  -20.00 USD
    2025-07-15 custom "coop-leave" "Alice"
      redeem-shares: FALSE
    """
    entries, errors, _ = load(text)
    assert generated(entries, "redemption") == []
    assert_one_error_at(errors, text, '"coop-leave"', SHARES, "20.00 USD", "'Alice'")
    assert len(errors) == 1
    assert balance(entries, SHARES) == Decimal("-20.00")


def test_several_share_classes_for_one_member_are_each_redeemed(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-01 custom "coop-share-class" "Preferred" 100.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-05 custom "coop-subscription" "Alice" "Member" 1
    2025-02-01 custom "coop-subscription" "Alice" "Preferred" 3
    2025-01-05 * "member share"
      Assets:Bank                          20.00 USD
      Equity:Members:Alice:Shares:Member  -20.00 USD
    2025-02-01 * "preferred shares"
      Assets:Bank                             250.00 USD
      Equity:Members:Alice:Shares:Preferred  -250.00 USD
    2025-07-15 custom "coop-leave" "Alice"
    """
    entries, errors, _ = load(text)
    assert errors == []
    opened = {e.account: e.date.isoformat() for e in entries if isinstance(e, data.Open)}
    assert opened[SHARES] == "2025-01-05"
    assert opened["Equity:Members:Alice:Shares:Preferred"] == "2025-02-01"
    redemptions = generated(entries, "redemption")
    moved = sorted(
        (p.account, p.units.number) for e in redemptions for p in e.postings
    )
    assert moved == sorted([
        (SHARES, Decimal("20.00")),
        (PAYABLE, Decimal("-20.00")),
        ("Equity:Members:Alice:Shares:Preferred", Decimal("250.00")),
        (PAYABLE, Decimal("-250.00")),
    ])
    assert balance(entries, SHARES) == 0
    assert balance(entries, "Equity:Members:Alice:Shares:Preferred") == 0
    assert balance(entries, PAYABLE) == Decimal("-270.00")


def test_overpaying_one_class_does_not_borrow_from_another(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-01 custom "coop-share-class" "Preferred" 100.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-05 custom "coop-subscription" "Alice" "Member" 1
    2025-01-05 custom "coop-subscription" "Alice" "Preferred" 1
    2025-01-05 * "too much on member shares"
      Assets:Bank                          30.00 USD
      Equity:Members:Alice:Shares:Member  -30.00 USD
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, "too much on member", "30.00 USD", "20.00 USD")
    assert len(errors) == 1


def test_two_members_have_separate_share_limits(load):
    text = """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-05 custom "coop-member" "Bob" "Bob Jones"
    2025-01-05 custom "coop-subscription" "Alice" "Member" 1
    2025-01-05 custom "coop-subscription" "Bob" "Member" 1
    2025-01-05 * "Alice"
      Assets:Bank                          20.00 USD
      Equity:Members:Alice:Shares:Member  -20.00 USD
    2025-01-06 * "Bob"
      Assets:Bank                        20.00 USD
      Equity:Members:Bob:Shares:Member  -20.00 USD
    """
    entries, errors, _ = load(text)
    assert errors == []
    assert balance(entries, "Equity:Members:Bob:Shares:Member") == Decimal("-20.00")
