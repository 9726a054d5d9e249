"""Hours of work (`coop-hours`): recorded only for active members, and only positive."""

from __future__ import annotations

from beancount.core import data

from tests.support import assert_one_error_at

MEMBERS = """
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-05 custom "coop-member" "Bob" "Bob Jones"
    2025-06-30 custom "coop-leave" "Bob"
    """


def test_hours_of_an_active_member_are_fine_and_stay_in_the_entries(load):
    entries, errors, _ = load(MEMBERS + """
    2025-03-02 custom "coop-hours" "Alice" 3.5 "production shift"
    2025-03-09 custom "coop-hours" "Bob" 2
    2025-06-30 custom "coop-hours" "Bob" 1.25 "last shift, on the leave date"
    """)
    assert errors == []
    hours = [e for e in entries if isinstance(e, data.Custom) and e.type == "coop-hours"]
    assert len(hours) == 3
    # Hours are not money: no transaction is generated for them.
    assert not any(isinstance(e, data.Transaction) for e in entries)


def test_hours_for_an_unknown_member_is_an_error(load):
    text = MEMBERS + """
    2025-03-02 custom "coop-hours" "Carol" 3.5 "production shift"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"Carol"', "unknown member", "'Carol'")
    assert len(errors) == 1


def test_hours_before_joining_is_an_error(load):
    text = MEMBERS + """
    2025-01-04 custom "coop-hours" "Alice" 3.5 "production shift"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-hours"', "'Alice'", "not a member",
                        "2025-01-04", "joined 2025-01-05")
    assert len(errors) == 1


def test_hours_after_leaving_is_an_error(load):
    text = MEMBERS + """
    2025-07-01 custom "coop-hours" "Bob" 2 "after leaving"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-hours"', "'Bob'", "not a member",
                        "left 2025-06-30")
    assert len(errors) == 1


def test_zero_hours_is_an_error(load):
    text = MEMBERS + """
    2025-03-02 custom "coop-hours" "Alice" 0 "nothing"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-hours"', "more than zero", "0")
    assert len(errors) == 1


def test_negative_hours_is_an_error(load):
    text = MEMBERS + """
    2025-03-02 custom "coop-hours" "Alice" -2 "negative"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-hours"', "more than zero", "-2")
    assert len(errors) == 1


def test_hours_given_as_a_string_is_an_error(load):
    text = MEMBERS + """
    2025-03-02 custom "coop-hours" "Alice" "three" "shift"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-hours"', "value 2", "a number", '"three"')


def test_hours_missing_the_number_is_an_error(load):
    text = MEMBERS + """
    2025-03-02 custom "coop-hours" "Alice"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-hours"', "missing value 2", "hours")


def test_hours_with_an_invalid_key_is_an_error(load):
    text = MEMBERS + """
    2025-03-02 custom "coop-hours" "alice" 2
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-hours"', "'alice'", "account name")
