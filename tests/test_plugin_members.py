"""The coop plugin's membership rules, loaded through Beancount as a user would."""

from __future__ import annotations

from decimal import Decimal

from beancount.core import data
from beancount.parser import printer

from tests.support import FILENAME, assert_one_error_at, coop_errors, line_no


def errors_at(errors: list, lineno: int) -> list:
    return [
        e for e in errors
        if e.source and e.source.get("filename") == FILENAME and e.source.get("lineno") == lineno
    ]



def no_tracebacks(errors: list) -> None:
    for error in errors:
        assert "Traceback" not in error.message, error.message
        assert error.source is None or error.source.get("filename") != "<load>", error


def opens(entries: list) -> dict[str, list[data.Open]]:
    result: dict[str, list[data.Open]] = {}
    for entry in entries:
        if isinstance(entry, data.Open):
            result.setdefault(entry.account, []).append(entry)
    return result


def balance(entries: list, account: str, currency: str = "USD") -> Decimal:
    return sum(
        (p.units.number for e in entries if isinstance(e, data.Transaction)
         for p in e.postings if p.account == account and p.units.currency == currency),
        Decimal(0),
    )


# Indented like the test texts it is prepended to, so the loader's dedent works on the sum.
ALICE = """
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    """


# --- accounts opened on joining ---------------------------------------------------------


def test_joining_opens_receivable_dues_and_payable_on_the_join_date(load):
    entries, errors, _ = load(ALICE)
    assert errors == []
    opened = opens(entries)
    for account in (
        "Assets:Members:Alice:Receivable",
        "Assets:Members:Alice:Dues",
        "Liabilities:Members:Alice:Payable",
    ):
        assert len(opened[account]) == 1, account
        entry = opened[account][0]
        assert entry.date.isoformat() == "2025-01-05"
        assert entry.meta["coop-generated"] == "open"
        assert entry.meta["filename"] == FILENAME
        assert entry.meta["lineno"] == line_no(ALICE, '"coop-member" "Alice"')
    # No shares account without a subscription.
    assert not any(a.startswith("Equity:Members:Alice") for a in opened)


def test_subscribing_opens_the_share_class_account(load):
    text = ALICE + """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-02-10 custom "coop-subscription" "Alice" "Member" 1
    """
    entries, errors, _ = load(text)
    assert errors == []
    opened = opens(entries)["Equity:Members:Alice:Shares:Member"]
    assert len(opened) == 1
    assert opened[0].date.isoformat() == "2025-02-10"
    assert opened[0].meta["lineno"] == line_no(text, '"coop-subscription"')


def test_two_subscriptions_to_one_class_open_the_account_once(load):
    text = ALICE + """
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-02-10 custom "coop-subscription" "Alice" "Member" 1
    2025-04-10 custom "coop-subscription" "Alice" "Member" 2
    """
    entries, errors, _ = load(text)
    assert errors == []
    opened = opens(entries)["Equity:Members:Alice:Shares:Member"]
    assert [o.date.isoformat() for o in opened] == ["2025-02-10"]


def test_no_duplicate_open_when_the_user_opened_an_account(load):
    text = """
    2025-01-01 open Assets:Members:Alice:Receivable USD
    2025-01-01 open Equity:Members:Alice:Shares:Member USD
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-05 custom "coop-subscription" "Alice" "Member" 1
    """
    entries, errors, _ = load(text)
    assert errors == []
    opened = opens(entries)
    receivable = opened["Assets:Members:Alice:Receivable"]
    assert len(receivable) == 1
    assert receivable[0].currencies == ["USD"]  # the user's own open survives
    assert "coop-generated" not in receivable[0].meta
    assert len(opened["Equity:Members:Alice:Shares:Member"]) == 1
    # The accounts the user did not open are still opened by the plugin.
    assert len(opened["Assets:Members:Alice:Dues"]) == 1
    assert len(opened["Liabilities:Members:Alice:Payable"]) == 1


def test_two_members_each_get_their_own_accounts(load):
    text = ALICE + """
    2025-03-01 custom "coop-member" "Bob" "Bob Jones"
    """
    entries, errors, _ = load(text)
    assert errors == []
    opened = opens(entries)
    assert opened["Assets:Members:Bob:Receivable"][0].date.isoformat() == "2025-03-01"
    assert opened["Assets:Members:Alice:Receivable"][0].date.isoformat() == "2025-01-05"


# --- malformed member directives -----------------------------------------------------------


def test_duplicate_member_key_is_an_error_at_the_second_declaration(load):
    text = """
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-02-01 custom "coop-member" "Alice" "Alice Jones"
    """
    entries, errors, _ = load(text)
    error = assert_one_error_at(errors, text, "Alice Jones", "'Alice'", "twice")
    # It names where the first declaration is.
    assert f"{FILENAME}:{line_no(text, 'Alice Smith')}" in error.message
    assert len(coop_errors(errors)) == 1
    # The first declaration wins: accounts open on its date.
    assert opens(entries)["Assets:Members:Alice:Dues"][0].date.isoformat() == "2025-01-05"


def test_lowercase_member_key_is_an_error(load):
    text = """
    2025-01-05 custom "coop-member" "alice" "Alice Smith"
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"alice"', "'alice'", "account name")
    assert not any("alice" in account for account in opens(entries))


def test_member_key_with_a_colon_is_an_error(load):
    text = """
    2025-01-05 custom "coop-member" "A:B" "Alice Smith"
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"A:B"', "'A:B'", "account name")
    assert not any(":A:" in account for account in opens(entries))


def test_empty_member_key_is_an_error(load):
    text = """
    2025-01-05 custom "coop-member" "" "Alice Smith"
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-member"', "''", "account name")
    assert not any(a.startswith("Assets:Members") for a in opens(entries))


def test_member_with_a_number_for_the_name_is_an_error(load):
    text = """
    2025-01-05 custom "coop-member" "Alice" 42
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-member"', "value 2", "display name", "42")
    assert "Assets:Members:Alice:Dues" not in opens(entries)


def test_member_with_a_number_for_the_key_is_an_error(load):
    text = """
    2025-01-05 custom "coop-member" 7 "Alice Smith"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-member"', "value 1", "member key")


def test_member_without_a_name_is_an_error(load):
    text = """
    2025-01-05 custom "coop-member" "Alice"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-member"', "missing value 2")


def test_member_with_an_empty_name_is_an_error(load):
    text = """
    2025-01-05 custom "coop-member" "Alice" "  "
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-member"', "empty display name")


def test_member_with_extra_values_is_an_error(load):
    text = """
    2025-01-05 custom "coop-member" "Alice" "Alice Smith" "extra"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-member"', "at most 2 values", '"extra"')


def test_member_with_no_values_at_all_is_a_clean_error(load):
    """`custom "coop-member"` alone: an error at its line, not a crash of a later plugin."""
    text = """
    2025-01-05 custom "coop-member"
    """
    _, errors, _ = load(text)
    no_tracebacks(errors)
    assert_one_error_at(errors, text, '"coop-member"', "missing value 1", "member key")
    # Every error must print: bean-check formats each error's entry.
    for error in errors:
        printer.format_error(error)


def test_unknown_coop_directive_type_is_an_error(load):
    text = ALICE + """
    2025-02-01 custom "coop-xyz" "Alice"
    """
    _, errors, _ = load(text)
    error = assert_one_error_at(errors, text, '"coop-xyz"', "unknown co-op directive",
                                "'coop-xyz'")
    assert "coop-member" in error.message  # it lists the known ones
    assert len(coop_errors(errors)) == 1


def test_custom_directives_of_other_tools_are_left_alone(load):
    text = ALICE + """
    2025-02-01 custom "budget" "Expenses:Supplies" "monthly" 10.00 USD
    """
    entries, errors, _ = load(text)
    assert errors == []
    assert any(isinstance(e, data.Custom) and e.type == "budget" for e in entries)


# --- leaving ----------------------------------------------------------------------------


def test_leave_before_join_is_an_error(load):
    text = """
    2025-03-01 custom "coop-member" "Alice" "Alice Smith"
    2025-02-01 custom "coop-leave" "Alice"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-leave"', "before joining", "2025-03-01",
                        "2025-02-01")
    assert len(coop_errors(errors)) == 1


def test_leave_on_the_join_date_is_allowed(load):
    _, errors, _ = load("""
    2025-03-01 custom "coop-member" "Alice" "Alice Smith"
    2025-03-01 custom "coop-leave" "Alice"
    """)
    assert errors == []


def test_leave_of_an_unknown_member_is_an_error(load):
    text = ALICE + """
    2025-02-01 custom "coop-leave" "Bob"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-leave"', "unknown member", "'Bob'")


def test_leave_with_an_invalid_key_is_an_error(load):
    text = ALICE + """
    2025-02-01 custom "coop-leave" "alice"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-leave"', "'alice'")


def test_leave_with_a_non_boolean_redeem_flag_is_an_error(load):
    text = ALICE + """
    2025-02-01 custom "coop-leave" "Alice"
      redeem-shares: "no"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-leave"', "redeem-shares", "TRUE or FALSE")


def test_double_leave_is_an_error_at_the_second_leave(load):
    text = ALICE + """
    2025-06-01 custom "coop-leave" "Alice"
    2025-07-01 custom "coop-leave" "Alice"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, "2025-07-01", "left already", "2025-06-01")
    assert len(coop_errors(errors)) == 1


# --- postings to member accounts ----------------------------------------------------------


def test_posting_to_an_unknown_member_is_an_error(load):
    text = ALICE + """
    2025-01-01 open Assets:Members:Bob:Receivable
    2025-02-01 * "Bob's jars"
      Assets:Members:Bob:Receivable   10.00 USD
      Expenses:Supplies
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, "Bob's jars", "unknown member", "'Bob'",
                        "Assets:Members:Bob:Receivable", "Alice")
    assert len(errors) == 1


def test_posting_before_joining_is_an_error(load):
    text = ALICE + """
    2025-01-02 * "too early"
      Assets:Members:Alice:Receivable   10.00 USD
      Expenses:Supplies
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, "too early", "before member 'Alice' joined",
                        "2025-01-05", "2025-01-02")


def test_posting_on_the_join_date_is_allowed(load):
    entries, errors, _ = load(ALICE + """
    2025-01-05 * "welcome"
      Assets:Members:Alice:Receivable   10.00 USD
      Expenses:Supplies
    """)
    assert errors == []
    assert balance(entries, "Assets:Members:Alice:Receivable") == Decimal("10.00")


def test_posting_after_leaving_is_an_error(load):
    text = ALICE + """
    2025-06-30 custom "coop-leave" "Alice"
    2025-07-01 * "too late"
      Assets:Members:Alice:Receivable   10.00 USD
      Expenses:Supplies
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, "too late", "after member 'Alice' left", "2025-06-30",
                        "Liabilities:Members:Alice:Payable")
    assert len(errors) == 1


def test_posting_on_the_leave_date_counts_towards_the_leaving_balance(load):
    text = ALICE + """
    2025-06-30 * "last jars"
      Assets:Members:Alice:Receivable   10.00 USD
      Expenses:Supplies
    2025-06-30 custom "coop-leave" "Alice"
    """
    _, errors, _ = load(text)
    # Not "after leaving", but not cleared either.
    assert not any("after member" in e.message for e in errors)
    assert_one_error_at(errors, text, '"coop-leave"', "10.00 USD",
                        "Assets:Members:Alice:Receivable")


def test_paying_the_payable_after_leaving_is_allowed(load):
    text = ALICE + """
    2025-03-01 * "reimbursement owed"
      Expenses:Supplies                    30.00 USD
      Liabilities:Members:Alice:Payable   -30.00 USD
    2025-06-30 custom "coop-leave" "Alice"
    2025-09-01 * "pay Alice what we owe"
      Liabilities:Members:Alice:Payable    30.00 USD
      Assets:Bank
    """
    entries, errors, _ = load(text)
    assert errors == []
    assert balance(entries, "Liabilities:Members:Alice:Payable") == 0


def test_balance_left_on_receivable_at_leaving_is_an_error_with_account_and_amount(load):
    text = ALICE + """
    2025-03-01 * "jars"
      Assets:Members:Alice:Receivable   12.50 USD
      Expenses:Supplies
    2025-06-30 custom "coop-leave" "Alice"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-leave"', "Assets:Members:Alice:Receivable",
                        "12.50 USD", "'Alice'", "2025-06-30")
    assert len(errors) == 1


def test_balance_left_on_dues_at_leaving_is_an_error_with_account_and_amount(load):
    text = ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
    2025-03-01 * "dues paid"
      Assets:Bank                    5.00 USD
      Assets:Members:Alice:Dues     -5.00 USD
    2025-04-15 custom "coop-leave" "Alice"
    """
    _, errors, _ = load(text)
    # Charged Feb, Mar, Apr (Jan started before joining): 15.00, paid 5.00.
    assert_one_error_at(errors, text, '"coop-leave"', "Assets:Members:Alice:Dues", "10.00 USD")
    assert len(errors) == 1


def test_payment_after_leaving_does_not_clear_the_leaving_balance(load):
    text = ALICE + """
    2025-03-01 * "jars"
      Assets:Members:Alice:Receivable   12.50 USD
      Expenses:Supplies
    2025-06-30 custom "coop-leave" "Alice"
    2025-07-02 * "late payment"
      Assets:Bank                         12.50 USD
      Assets:Members:Alice:Receivable    -12.50 USD
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-leave"', "12.50 USD", "Receivable")
    assert_one_error_at(errors, text, "late payment", "after member 'Alice' left")
    assert len(errors) == 2


def test_clean_leave_has_no_errors(load):
    text = ALICE + """
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      until: 2025-03-31
    2025-03-01 * "jars"
      Assets:Members:Alice:Receivable   12.50 USD
      Expenses:Supplies
    2025-03-20 * "Alice settles up"
      Assets:Bank                        22.50 USD
      Assets:Members:Alice:Receivable   -12.50 USD
      Assets:Members:Alice:Dues         -10.00 USD
    2025-06-30 custom "coop-leave" "Alice"
    """
    entries, errors, _ = load(text)
    assert errors == []
    assert balance(entries, "Assets:Members:Alice:Receivable") == 0
    assert balance(entries, "Assets:Members:Alice:Dues") == 0


def test_set_off_against_the_payable_on_the_leave_date_clears_the_receivable(load):
    text = ALICE + """
    2025-03-01 * "reimbursement owed"
      Expenses:Supplies                    30.00 USD
      Liabilities:Members:Alice:Payable   -30.00 USD
    2025-03-01 * "jars"
      Assets:Members:Alice:Receivable   12.50 USD
      Expenses:Supplies
    2025-06-30 * "set-off"
      Liabilities:Members:Alice:Payable   12.50 USD
      Assets:Members:Alice:Receivable    -12.50 USD
    2025-06-30 custom "coop-leave" "Alice"
    """
    entries, errors, _ = load(text)
    assert errors == []
    assert balance(entries, "Liabilities:Members:Alice:Payable") == Decimal("-17.50")


# --- whole-ledger properties ----------------------------------------------------------------


FULL = """
2025-01-01 custom "coop-share-class" "Member" 20.00 USD
2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
2025-01-05 custom "coop-member" "Alice" "Alice Smith"
2025-01-05 custom "coop-subscription" "Alice" "Member" 1
2025-02-01 custom "coop-member" "Bob" "Bob Jones"
2025-01-05 * "Alice's share"
  Assets:Bank                          20.00 USD
  Equity:Members:Alice:Shares:Member  -20.00 USD
2025-03-02 custom "coop-hours" "Alice" 3.5 "production shift"
2025-07-01 * "Alice pays dues"
  Assets:Bank                  30.00 USD
  Assets:Members:Alice:Dues   -30.00 USD
2025-07-15 custom "coop-leave" "Alice"
"""


def test_loading_the_same_text_twice_gives_identical_entries(load):
    first, errors1, _ = load(FULL)
    second, errors2, _ = load(FULL)
    assert errors1 == errors2
    assert first == second
    assert [printer.format_entry(e) for e in first] == [printer.format_entry(e) for e in second]
    assert any(e.meta.get("coop-generated") == "redemption" for e in first)


def test_generated_entries_are_well_formed_and_the_books_balance(load):
    entries, errors, _ = load(FULL)
    assert errors == []
    generated = [e for e in entries if "coop-generated" in e.meta]
    assert generated
    for entry in generated:
        assert isinstance(entry.meta["lineno"], int) and entry.meta["lineno"] > 0
        assert entry.meta["filename"] == FILENAME
        if isinstance(entry, data.Transaction):
            totals: dict[str, Decimal] = {}
            for posting in entry.postings:
                assert isinstance(posting.units.number, Decimal)
                totals[posting.units.currency] = (
                    totals.get(posting.units.currency, Decimal(0)) + posting.units.number)
            assert all(total == 0 for total in totals.values()), entry
