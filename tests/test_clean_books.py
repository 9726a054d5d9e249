"""When the books check clean, every figure is right (issue 14).

Each case here loaded clean while a figure a member or the IRS sees was wrong; now each
gives the right figure, or an error at the file and line that causes it.
"""

from __future__ import annotations

import textwrap
from decimal import Decimal

import beanquery
from beancount import loader
from beancount.core import data
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import HEADER
from tests.support import FILENAME, line_no
from tests.test_cash_paid import payments
from tests.test_plugin_patronage import (
    BOOKS,
    assert_balanced,
    balance,
    clean,
    decision,
    generated,
    one,
)

D = Decimal


# --- 3. the plugin twice ----------------------------------------------------------------------

TWICE = """\
plugin "coop_beancount.plugins.coop" "{'as_of': '2025-03-31'}"
plugin "coop_beancount.plugins.coop" "{'as_of': '2025-03-31'}"
2025-01-01 open Assets:Bank USD
2025-01-01 open Income:Members:Dues USD
2025-01-01 open Income:Members:SharedCosts USD
2025-01-01 open Expenses:Rent USD
2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
2025-01-01 custom "coop-consent" "Ana" "written"
2025-01-01 custom "coop-member" "Ana" "Ana A"
2025-01-01 custom "coop-consent" "Ben" "written"
2025-01-01 custom "coop-member" "Ben" "Ben B"
2025-02-01 * "Landlord" "Rent"
  Expenses:Rent  100.00 USD
    split: "equal"
  Assets:Bank
"""


def test_the_plugin_loaded_twice_is_an_error_at_the_second_line(tmp_path):
    path = tmp_path / "main.beancount"
    path.write_text(TWICE)
    entries, errors, _ = loader.load_file(str(path))
    assert [(e.source["filename"], e.source["lineno"]) for e in errors] == [(str(path), 2)]
    assert "loaded 2 times" in errors[0].message and "remove this one" in errors[0].message
    # Derived once, not twice: three months of dues each, the rent split once.
    assert len(generated(entries, "dues")) == 6
    assert balance(entries, "Assets:Members:Ana:Dues") == D("15.00")
    assert balance(entries, "Assets:Members:Ana:Receivable") == D("50.00")
    assert_balanced(entries)


# --- 10. derived postings carry their file and line ----------------------------------------------

def test_every_derived_posting_points_at_the_line_that_caused_it(load):
    text = BOOKS + """
    2024-01-01 open Income:Members:SharedCosts USD
    2024-01-01 open Expenses:Rent USD
    2024-01-01 open Income:Members:Dues USD
    2024-01-01 custom "coop-dues" "Dues" 10.00 USD "yearly"
    2024-01-01 custom "coop-share-class" "Member" 20.00 USD
    2024-01-01 custom "coop-subscription" "G4" "Member" 1
    2024-01-02 * "G4" "Share"
      Assets:Cash  20.00 USD
      Equity:Members:G4:Shares:Member
    2025-07-01 * "G4" "Dues and rent"
      Assets:Cash  45.00 USD
      Assets:Members:G4:Dues  -20.00 USD
      Assets:Members:G4:Receivable  -25.00 USD
    2024-01-01 custom "coop-retain" "barrels" 0.01 USD
    2024-03-01 * "Landlord" "Rent"
      Expenses:Rent  100.00 USD
        split: "equal"
      Assets:Cash
    2025-06-30 custom "coop-redemption" 100.00 USD
    2025-07-01 custom "coop-leave" "G4"
    """ + decision()
    header = HEADER.replace("2025-01-01 open Income:Members:Dues USD\n", "")
    entries, errors, options = loader.load_string(header + textwrap.dedent(text))
    assert errors == [], [(e.source, e.message) for e in errors]
    kinds = {e.meta.get("coop-generated") for e in entries}
    assert {"dues", "retain", "allocation", "equity-redemption", "open"} <= kinds
    connection = beanquery.connect("beancount:", entries=entries, errors=errors,
                                   options=options)
    cursor = connection.execute("SELECT location, filename, lineno, account")
    rows = cursor.fetchall()
    assert rows
    for location, filename, lineno, account in rows:
        assert location == f"{filename}:{lineno}:"
        assert filename == FILENAME and lineno > 0, account

    def lines(entry: data.Transaction) -> set[int]:
        return {p.meta["lineno"] for p in entry.postings if p.meta}

    rent = next(e for e in entries if getattr(e, "narration", None) == "Rent")
    split_lines = {p.meta["lineno"] for p in rent.postings if "coop-split" in p.meta}
    assert split_lines == {line_no(text, "Expenses:Rent  100.00", header)}
    for kind, needle in (("dues", 'custom "coop-dues"'),
                         ("allocation", 'custom "coop-allocation"'),
                         ("equity-redemption", 'custom "coop-redemption"'),
                         ("redemption", 'custom "coop-leave"')):
        assert generated(entries, kind)
        for entry in generated(entries, kind):
            assert lines(entry) == {line_no(text, needle, header)}, kind
    retains = generated(entries, "retain")
    assert len(retains) == 4
    for entry in retains:
        assert lines(entry) == {entry.meta["lineno"]}
        assert "coop-patronage" in (header + textwrap.dedent(text)).splitlines()[
            entry.meta["lineno"] - 1]
    opens = {e.account: e for e in entries if isinstance(e, data.Open)}
    assert opens["Equity:Coop:Unallocated"].meta["lineno"] == line_no(
        text, 'custom "coop-allocation"', header)


# --- 4. a split on a posting held at cost or with a price ----------------------------------------

def test_a_split_at_cost_or_price_splits_what_was_paid(load):
    text = """
    2025-01-01 open Assets:Brokerage HOOL
    2025-01-01 open Income:Members:SharedCosts USD
    2025-01-01 custom "coop-consent" "Ana" "written"
    2025-01-01 custom "coop-member" "Ana" "Ana A"
    2025-01-01 custom "coop-consent" "Ben" "written"
    2025-01-01 custom "coop-member" "Ben" "Ben B"
    2025-02-01 * "Broker" "Shares bought for the members"
      Assets:Brokerage  10 HOOL {100.00 USD}
        split: "equal"
      Assets:Bank
    2025-02-02 * "Broker" "Bought at a price"
      Assets:Brokerage  3 HOOL @ 33.33 USD
        split: "weights: Ana 1, Ben 2"
      Assets:Bank
    """
    entries, errors, _ = load(text)
    assert errors == [], [(e.source, e.message) for e in errors]
    assert balance(entries, "Assets:Members:Ana:Receivable") == D("500.00") + D("33.33")
    assert balance(entries, "Assets:Members:Ben:Receivable") == D("500.00") + D("66.66")
    assert balance(entries, "Income:Members:SharedCosts") == D("-1099.99")


# --- 2. derived charges are in the margin --------------------------------------------------------

def test_a_margin_counts_the_dues_the_plugin_charges(load):
    text = """
    2024-01-01 open Assets:Cash USD
    2024-01-01 open Income:Dues USD
    2024-01-01 custom "coop-measure" "hours"
    2024-01-01 custom "coop-consent" "Ana" "written"
    2024-01-01 custom "coop-member" "Ana" "Ana A"
    2024-01-01 custom "coop-consent" "Ben" "written"
    2024-01-01 custom "coop-member" "Ben" "Ben B"
    2024-01-01 custom "coop-dues" "Yearly dues" 100.00 USD "yearly"
      account: Income:Dues
    2024-05-01 custom "coop-patronage" "Ana" "hours" 1
    2024-05-01 custom "coop-patronage" "Ben" "hours" 3
    2024-06-01 * "Late fee"
      Assets:Cash  20.00 USD
      Income:Dues
    """ + decision(margin='"Income:Dues"', measure='"hours"', non_patronage=None,
                   reserve=None, cash='"100%"')
    entries = clean(load, text)
    entry = one(entries, "allocation")
    assert entry.meta["coop-margin"] == D("220.00")
    assert balance(entries, "Liabilities:Members:Ana:Payable") == D("-55.00")
    assert balance(entries, "Liabilities:Members:Ben:Payable") == D("-165.00")


def test_a_margin_counts_recovered_split_costs(load):
    text = BOOKS + """
    2024-01-01 open Income:Members:SharedCosts USD
    2024-03-01 * "Landlord" "Rent"
      Expenses:Growing  100.00 USD
        split: "equal"
      Assets:Cash
    """ + decision(margin='"Income:Patronage Income:Members Expenses:Growing"')
    entry = one(clean(load, text), "allocation")
    assert entry.meta["coop-margin"] == D("48000.00")  # the rent, recovered, nets to zero


def test_errors_in_twice_loaded_books_are_not_doubled(tmp_path):
    path = tmp_path / "main.beancount"
    path.write_text(TWICE + '2025-02-02 custom "coop-hours" "Zed" 2 "shift"\n')
    _, errors, _ = loader.load_file(str(path))
    assert len([e for e in errors if "Zed" in e.message]) == 1


# --- 1. one margin allocated twice ---------------------------------------------------------------

def assert_one_error_at_line(errors: list, text: str, needle: str, *words: str) -> None:
    lineno = line_no(text, needle)
    found = [e.message for e in errors if e.source and e.source.get("lineno") == lineno
             and all(word in e.message for word in words)]
    assert len(found) == 1, [(e.source, e.message) for e in errors]


def test_two_decisions_drawing_one_margin_is_an_error_at_the_later(load):
    text = BOOKS + decision(pool="one", non_patronage=None) + decision(
        pool="two", date="2025-03-02", margin='"Income:Patronage:Sales"', non_patronage=None)
    entries, errors, _ = load(text)
    first = line_no(text, 'custom "coop-allocation" 2024 "one"')
    assert_one_error_at_line(
        errors, text, 'custom "coop-allocation" 2024 "two"',
        "margin account Income:Patronage:Sales is already counted as margin (Income:Patronage)",
        "pool 'one'", f"{FILENAME}:{first}")
    assert len(errors) == 1
    # The margin is allocated once: 48,000.00, not 96,000.00.
    [booked] = generated(entries, "allocation")
    assert booked.meta["coop-pool"] == "one"
    assert balance(entries, "Equity:Earnings:Previous") == D("48000.00")


def test_margin_and_non_patronage_swapped_between_pools_is_an_error(load):
    text = BOOKS + decision(pool="one", margin='"Income:Patronage:Sales"',
                            non_patronage='"Income:NonPatronage"') + decision(
        pool="two", date="2025-03-02", margin='"Income:NonPatronage"',
        non_patronage='"Income:Patronage:Sales"')
    _, errors, _ = load(text)
    assert_one_error_at_line(errors, text, 'custom "coop-allocation" 2024 "two"',
                             "margin account Income:NonPatronage is already counted as "
                             "non-patronage")


def test_pools_with_their_own_accounts_and_other_years_are_fine(load):
    text = BOOKS + """
    2024-01-01 open Income:Patronage:Juice USD
    2024-05-01 custom "coop-patronage" "G1" "barrels" 1
    2024-11-04 * "Juice"
      Assets:Cash  400.00 USD
      Income:Patronage:Juice
    """ + decision(pool="cranberries", margin='"Income:Patronage:Sales Expenses:Growing"') + (
        decision(pool="juice", date="2025-03-02", margin='"Income:Patronage:Juice"',
                 non_patronage=None))
    entries = clean(load, text)
    assert len(generated(entries, "allocation")) == 2


def test_one_pool_paid_part_in_qualified_part_in_non_qualified_notices(load):
    from decimal import ROUND_HALF_UP

    from coop_beancount.core.accounts import MemberChart
    from coop_beancount.reports.patronage import (
        booked_pools,
        form_1099_patr,
        member_notices,
        render_notices,
    )
    from coop_beancount.reports.view import CoopBooks
    from tests.test_plugin_patronage import ALLOCATED, CASH, postings

    text = BOOKS + decision(qualified='"50%"', late=None) + payments("2025-03-15", CASH)
    entries, errors, options = load(text)
    assert errors == [], [(e.source, e.message) for e in errors]
    assert_balanced(entries)
    entry = one(entries, "allocation")
    assert entry.meta["coop-qualified-share"] == "50%"
    booked = postings(entry)
    for member, retained in ALLOCATED.items():
        qualified = booked[f"Equity:Members:{member}:Allocated:FY2024"]
        non_qualified = booked[f"Equity:Members:{member}:Allocated:FY2024:NonQualified"]
        assert qualified + non_qualified == -retained  # to the cent
        assert -qualified == (retained / 2).quantize(D("0.01"), ROUND_HALF_UP)
    # G3's 4,843.31 retained: the odd cent to the qualified notice, by the stated rule.
    assert booked["Equity:Members:G3:Allocated:FY2024"] == D("-2421.66")
    books = CoopBooks.from_entries(entries, options)
    rows, _ = form_1099_patr(books, 2025)
    box1 = {row.member: row.box1 for row in rows}
    for member in ALLOCATED:
        assert box1[member] == CASH[member] - booked[f"Equity:Members:{member}:Allocated:FY2024"]
    [pool] = booked_pools(entries, MemberChart(), 2024)
    assert pool.notice == "50% qualified" and pool.qualified_share == D("0.5")
    files = render_notices(member_notices(books, [pool]), "Growers", "letter")
    g3 = files["FY2024-G3.html"]
    assert "2,421.66 USD" in g3 and "2,421.65 USD" in g3
    assert "Qualified notice of allocation" in g3 and "Non-qualified notice of allocation" in g3


def test_a_qualified_share_that_is_no_percentage_is_an_error(load):
    for value, words in (("0.5", "must be TRUE or FALSE, or the share"),
                         ('"150%"', "the qualified share is 150%")):
        text = BOOKS + decision(qualified=value)
        _, errors, _ = load(text)
        assert_one_error_at_line(errors, text, 'custom "coop-allocation"', words)


# --- 5. money in a member's sub-account ----------------------------------------------------------

SUB_ACCOUNTS = """
    2025-01-01 open Assets:Members:Ana:Receivable:Extra USD
    2025-01-01 open Liabilities:Members:Ben:Payable:Travel USD
    2025-01-01 custom "coop-consent" "Ana" "written"
    2025-01-01 custom "coop-member" "Ana" "Ana A"
    2025-01-01 custom "coop-consent" "Ben" "written"
    2025-01-01 custom "coop-member" "Ben" "Ben B"
    2025-02-01 * "Ana A" "Tools taken home"
      Assets:Members:Ana:Receivable:Extra  140.00 USD
      Expenses:Supplies
    2025-02-02 * "Ben B" "Train to the fair, paid by Ben"
      Expenses:Supplies  60.00 USD
      Liabilities:Members:Ben:Payable:Travel
    """


def test_a_sub_account_counts_in_the_account_it_sits_under(load):
    from coop_beancount.core.settle import settle_up
    from coop_beancount.reports.members import member_rows, positions, statement
    from coop_beancount.reports.view import CoopBooks

    entries, errors, options = load(SUB_ACCOUNTS)
    assert errors == [], [(e.source, e.message) for e in errors]
    books = CoopBooks.from_entries(entries, options)
    rows = {row.key: row for row in member_rows(books)}
    assert rows["Ana"].other_owed == {"USD": D("140.00")}
    assert rows["Ben"].payable == {"USD": D("60.00")}
    found = positions(books, "USD")
    assert (found["Ana"].receivable, found["Ben"].payable) == (D("140.00"), D("60.00"))
    assert statement(books, "Ana").closing_owes == {"USD": D("140.00")}
    plan = settle_up(found)
    assert plan, "Ana owes 140.00: not everyone is settled"


def test_a_member_account_the_chart_does_not_know_is_an_error(load):
    text = """
    2025-01-01 open Assets:Members:Ana:Loan USD
    2025-01-01 custom "coop-consent" "Ana" "written"
    2025-01-01 custom "coop-member" "Ana" "Ana A"
    2025-02-01 * "Ana A" "Loan"
      Assets:Members:Ana:Loan  140.00 USD
      Assets:Bank
    """
    _, errors, _ = load(text)
    [error] = [e for e in errors if "Loan" in e.message]
    assert error.source["lineno"] == line_no(text, '"Ana A" "Loan"')
    assert "none of the accounts the co-op keeps for a member" in error.message
    assert "Assets:Members:Ana:Receivable:Loan" in error.message


def test_a_leaver_must_clear_a_sub_account_too(load):
    text = SUB_ACCOUNTS + """
    2025-03-01 custom "coop-leave" "Ana"
    """
    _, errors, _ = load(text)
    assert [e.source["lineno"] for e in errors if "Receivable" in e.message] == [
        line_no(text, 'custom "coop-leave"')]


# --- 8. a linked refund undoes its cost exactly --------------------------------------------------

def test_a_linked_refund_gives_each_member_the_negative_of_their_part(load):
    pairs = "".join(f"""
    2025-0{month}-01 * "Shop" "Jars" ^jars-{month}
      Expenses:Supplies  100.00 USD
        split: "equal"
      Assets:Bank
    2025-0{month}-02 * "Shop" "Jars returned" ^jars-{month}
      Expenses:Supplies  -100.00 USD
        split: "refund"
      Assets:Bank
    """ for month in range(1, 7))
    text = """
    2025-01-01 open Income:Members:SharedCosts USD
    2025-01-01 custom "coop-consent" "Ana" "written"
    2025-01-01 custom "coop-member" "Ana" "Ana A"
    2025-01-01 custom "coop-consent" "Ben" "written"
    2025-01-01 custom "coop-member" "Ben" "Ben B"
    2025-01-01 custom "coop-consent" "Cy" "written"
    2025-01-01 custom "coop-member" "Cy" "Cy C"
    """ + pairs
    entries = clean(load, text)
    for key in ("Ana", "Ben", "Cy"):
        assert balance(entries, f"Assets:Members:{key}:Receivable") == 0, key
    # Without the link, the same rule places the odd cent anew each time: no longer zero.
    unlinked = clean(load, text.replace('split: "refund"', 'split: "equal"'))
    assert any(balance(unlinked, f"Assets:Members:{key}:Receivable") != 0
               for key in ("Ana", "Ben", "Cy"))


def test_a_partial_refund_follows_the_cost_parts(load):
    text = """
    2025-01-01 open Income:Members:SharedCosts USD
    2025-01-01 custom "coop-consent" "Ana" "written"
    2025-01-01 custom "coop-member" "Ana" "Ana A"
    2025-01-01 custom "coop-consent" "Ben" "written"
    2025-01-01 custom "coop-member" "Ben" "Ben B"
    2025-02-01 * "Shop" "Jars" ^jars
      Expenses:Supplies  90.00 USD
        split: "weights: Ana 1, Ben 2"
      Assets:Bank
    2025-02-03 * "Shop" "One box returned" ^jars
      Expenses:Supplies  -30.00 USD
        split: "refund"
      Assets:Bank
    """
    entries = clean(load, text)
    assert balance(entries, "Assets:Members:Ana:Receivable") == D("20.00")
    assert balance(entries, "Assets:Members:Ben:Receivable") == D("40.00")


def test_a_refund_without_its_cost_is_an_error(load):
    for links, words in (("", "give this transaction the link"),
                         ("^jars", "is more than the cost")):
        text = f"""
        2025-01-01 open Income:Members:SharedCosts USD
        2025-01-01 custom "coop-consent" "Ana" "written"
        2025-01-01 custom "coop-member" "Ana" "Ana A"
        2025-02-01 * "Shop" "Jars" ^jars
          Expenses:Supplies  10.00 USD
            split: "equal"
          Assets:Bank
        2025-02-03 * "Shop" "Returned" {links}
          Expenses:Supplies  -30.00 USD
            split: "refund"
          Assets:Bank
        """
        _, errors, _ = load(text)
        [error] = errors
        assert error.source["lineno"] == line_no(text, "Expenses:Supplies  -30.00 USD")
        assert words in error.message, error.message


# --- 7. redemptions by hand reach 1099-PATR; a negative box is an error --------------------------

def test_hand_redemptions_of_non_qualified_notices_are_box_5(load):
    from coop_beancount.reports.patronage import form_1099_patr
    from coop_beancount.reports.view import CoopBooks
    from tests.test_plugin_patronage import CASH

    text = BOOKS + decision(qualified="FALSE", late=None) + payments("2025-03-15", CASH) + """
    2025-05-01 * "G4" "Seed bought for G4"
      Assets:Members:G4:Receivable  100.00 USD
      Assets:Cash
    2025-06-01 * "G4" "Notice of FY2024 set off against what G4 owes"
      Equity:Members:G4:Allocated:FY2024:NonQualified  100.00 USD
      Assets:Members:G4:Receivable
    2025-06-02 * "G3" "Cheque for part of the FY2024 notice"
      Equity:Members:G3:Allocated:FY2024:NonQualified  200.00 USD
      Assets:Cash
    """
    entries, errors, options = load(text)
    assert errors == [], [(e.source, e.message) for e in errors]
    rows, _ = form_1099_patr(CoopBooks.from_entries(entries, options), 2025)
    box5 = {row.member: row.box5 for row in rows}
    assert box5["G4"] == D("100.00") and box5["G3"] == D("200.00")
    assert box5["G1"] == 0


def test_a_negative_1099_patr_box_is_an_error(load):
    import pytest

    from coop_beancount.reports.patronage import ReportError, form_1099_patr
    from coop_beancount.reports.view import CoopBooks

    text = BOOKS + """
    2025-01-01 custom "coop-retain" "barrels" 0.01 USD
    2025-05-01 custom "coop-patronage" "G1" "barrels" 1000
    2025-06-01 custom "coop-patronage" "G1" "barrels" -2500 "FY2024 scale error"
    """
    entries, errors, options = load(text)
    assert errors == [], [(e.source, e.message) for e in errors]
    with pytest.raises(ReportError, match=r"negative box .*G1 box 3 -15\.00.*corrected 1099-PATR"):
        form_1099_patr(CoopBooks.from_entries(entries, options), 2025)


# --- properties ---------------------------------------------------------------------------------

MEMBERS = ("Ana", "Ben", "Cy", "Dee", "Eve")


@settings(max_examples=40)
@given(st.lists(st.tuples(st.integers(1, 10**7),
                          st.lists(st.integers(0, 9), min_size=5, max_size=5),
                          st.booleans()), min_size=1, max_size=8))
def test_a_cost_and_its_linked_refund_leave_every_member_at_zero(costs):
    lines = ['2025-01-01 open Income:Members:SharedCosts USD\n']
    lines += [f'2025-01-01 custom "coop-member" "{key}" "{key}"\n' for key in MEMBERS]
    for number, (cents, weights, equal) in enumerate(costs):
        if not any(weights):
            weights = [1, *weights[1:]]
        rule = "equal" if equal else "weights: " + ", ".join(
            f"{key} {weight}" for key, weight in zip(MEMBERS, weights, strict=True))
        amount = Decimal(cents).scaleb(-2)
        lines.append(f'2025-02-01 * "Shop" "Cost {number}" ^cost-{number}\n'
                     f'  Expenses:Supplies  {amount} USD\n    split: "{rule}"\n'
                     '  Assets:Bank\n'
                     f'2025-02-02 * "Shop" "Refund {number}" ^cost-{number}\n'
                     f'  Expenses:Supplies  -{amount} USD\n    split: "refund"\n'
                     '  Assets:Bank\n')
    entries, errors, _ = loader.load_string(HEADER + "".join(lines))
    assert errors == [], [(e.source, e.message) for e in errors]
    for key in MEMBERS:
        assert balance(entries, f"Assets:Members:{key}:Receivable") == 0, key
    assert balance(entries, "Income:Members:SharedCosts") == 0
