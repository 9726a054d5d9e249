"""Shared-expense splits in the coop plugin: each member's part added to the split transaction."""

from __future__ import annotations

import datetime
import json
import textwrap
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from beancount import loader
from beancount.core import data
from click.testing import CliRunner

from coop_beancount.cli import main
from coop_beancount.core.errors import CoopError
from tests.conftest import HEADER, PLUGIN

D = Decimal
FILENAME = "<string>"
RECOVERY = "Income:Members:SharedCosts"
SPLIT_HEADER = HEADER + f"2025-01-01 open {RECOVERY} USD\n"

MEMBERS = """
    2025-01-01 custom "coop-member" "Ana" "Ana Alves"
    2025-01-01 custom "coop-member" "Ben" "Ben Brown"
    2025-01-01 custom "coop-member" "Chloe" "Chloe Cruz"
    """


def ledger(text: str, header: str = SPLIT_HEADER) -> str:
    return header + textwrap.dedent(text)


def load(text: str, header: str = SPLIT_HEADER):
    return loader.load_string(ledger(text, header))


def cost(rule: str, amount: str = "100.00 USD", narration: str = "Shared cost",
         date: str = "2025-03-01", other: str = "Assets:Bank") -> str:
    """A transaction with one split posting, indented like MEMBERS."""
    return f"""
    {date} * "{narration}"
      Expenses:Supplies   {amount}
        split: "{rule}"
      {other}
    """


def line_of(text: str, needle: str, header: str = SPLIT_HEADER) -> int:
    lines = ledger(text, header).splitlines()
    found = [number for number, line in enumerate(lines, 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}, expected exactly one"
    return found[0]


def split_posting_line(text: str, rule: str, header: str = SPLIT_HEADER) -> int:
    """The line of the posting that carries `split: "<rule>"` (the line above the metadata)."""
    meta_line = line_of(text, f'split: "{rule}"', header)
    lines = ledger(text, header).splitlines()
    assert lines[meta_line - 2].strip().split()[0].count(":") >= 1  # an account: a posting
    return meta_line - 1


def transaction(entries: list, narration: str) -> data.Transaction:
    found = [e for e in entries if isinstance(e, data.Transaction) and e.narration == narration]
    assert len(found) == 1, f"{len(found)} transactions named {narration!r}"
    return found[0]


def parts(entry: data.Transaction) -> dict[str, Decimal]:
    """Account -> amount of each posting the plugin added for a member."""
    return {p.account: p.units.number for p in entry.postings
            if p.meta and "coop-basis" in p.meta}


def member_parts(entry: data.Transaction) -> dict[str, Decimal]:
    """Member key -> amount of their part."""
    return {p.account.split(":")[2]: p.units.number for p in entry.postings
            if p.meta and "coop-basis" in p.meta}


def added(entry: data.Transaction) -> list[data.Posting]:
    return [p for p in entry.postings if p.meta and "coop-split" in p.meta]


def assert_balanced(entries: list) -> None:
    for entry in entries:
        if isinstance(entry, data.Transaction):
            sums: dict[str, Decimal] = defaultdict(Decimal)
            for posting in entry.postings:
                sums[posting.units.currency] += posting.units.number
            assert all(total == 0 for total in sums.values()), (entry.narration, dict(sums))


def balance(entries: list, account: str, currency: str = "USD") -> Decimal:
    return sum((p.units.number for e in entries if isinstance(e, data.Transaction)
                for p in e.postings if p.account == account and p.units.currency == currency),
               D(0))


def clean(text: str, header: str = SPLIT_HEADER) -> list:
    entries, errors, _ = load(text, header)
    assert errors == [], [(e.source, e.message) for e in errors]
    assert_balanced(entries)
    return entries


def without_plugin(text: str, narration: str, header: str = SPLIT_HEADER) -> data.Transaction:
    """The transaction as Beancount books it with no plugin at all: what 'unchanged' means."""
    entries, _, _ = loader.load_string(ledger(text, header).replace(PLUGIN, "\n" * PLUGIN.count(
        "\n")))
    return transaction(entries, narration)


def assert_reported_and_untouched(text: str, rule: str, *words: str,
                                  narration: str = "Shared cost") -> CoopError:
    entries, errors, _ = load(text)
    lineno = split_posting_line(text, rule)
    coop = [e for e in errors if isinstance(e, CoopError)]
    assert len(coop) == 1, [(e.source, e.message) for e in errors]
    assert len(errors) == 1, [(e.source, e.message) for e in errors]
    error = coop[0]
    assert error.source["filename"] == FILENAME
    assert error.source["lineno"] == lineno, error.message
    for word in words:
        assert word in error.message, f"{word!r} not in {error.message!r}"
    entry = transaction(entries, narration)  # still there: never dropped
    assert error.entry == entry
    assert added(entry) == []                 # never half-split
    assert entry == without_plugin(text, narration)
    assert_balanced(entries)
    return error


# --- every key, by example --------------------------------------------------------------------


def test_weights_one_one_two():
    text = MEMBERS + cost("weights: Ana 1, Ben 1, Chloe 2")
    entries = clean(text)
    entry = transaction(entries, "Shared cost")
    assert parts(entry) == {
        "Assets:Members:Ana:Receivable": D("25.00"),
        "Assets:Members:Ben:Receivable": D("25.00"),
        "Assets:Members:Chloe:Receivable": D("50.00"),
    }
    meta = {p.account: (p.meta["coop-split"], p.meta.get("coop-basis")) for p in added(entry)}
    assert meta == {
        "Assets:Members:Ana:Receivable": ("weights: Ana 1, Ben 1, Chloe 2", "weight 1 of 4"),
        "Assets:Members:Ben:Receivable": ("weights: Ana 1, Ben 1, Chloe 2", "weight 1 of 4"),
        "Assets:Members:Chloe:Receivable": ("weights: Ana 1, Ben 1, Chloe 2", "weight 2 of 4"),
        RECOVERY: ("weights: Ana 1, Ben 1, Chloe 2", None),
    }
    recovery = [p for p in entry.postings if p.account == RECOVERY]
    assert [p.units.number for p in recovery] == [D("-100.00")]
    # The cost stays where it was written.
    assert balance(entries, "Expenses:Supplies") == D("100.00")
    assert balance(entries, "Assets:Bank") == D("-100.00")


def test_equal_among_all_members_active_on_the_date():
    text = MEMBERS + """
    2025-01-01 custom "coop-member" "Dan" "Dan Diaz"
    2025-02-28 custom "coop-leave" "Dan"
    2025-04-01 custom "coop-member" "Eve" "Eve Evans"
    """ + cost("equal", "90.00 USD") + cost("equal", "80.00 USD", "Later", "2025-04-01")
    entries = clean(text)
    early = transaction(entries, "Shared cost")
    assert member_parts(early) == {"Ana": D("30.00"), "Ben": D("30.00"), "Chloe": D("30.00")}
    assert {p.meta["coop-basis"] for p in added(early) if "coop-basis" in p.meta} == {
        "share 1 of 3"}
    assert {p.meta["coop-split"] for p in added(early)} == {"equal"}
    later = transaction(entries, "Later")
    assert member_parts(later) == {"Ana": D("20.00"), "Ben": D("20.00"), "Chloe": D("20.00"),
                                   "Eve": D("20.00")}


def test_equal_odd_cents_add_up():
    entries = clean(MEMBERS + cost("equal"))
    amounts = sorted(member_parts(transaction(entries, "Shared cost")).values())
    assert amounts == [D("33.33"), D("33.33"), D("33.34")]


def test_equal_among_a_named_group():
    entries = clean(MEMBERS + cost("equal: Ana, Chloe", "10.00 USD"))
    entry = transaction(entries, "Shared cost")
    assert member_parts(entry) == {"Ana": D("5.00"), "Chloe": D("5.00")}
    assert {p.meta["coop-basis"] for p in added(entry) if "coop-basis" in p.meta} == {
        "share 1 of 2"}


def test_percent():
    entry = transaction(clean(MEMBERS + cost("percent: Ana 50, Ben 30, Chloe 20", "250.00 USD")),
                        "Shared cost")
    assert member_parts(entry) == {"Ana": D("125.00"), "Ben": D("75.00"), "Chloe": D("50.00")}
    assert {p.meta["coop-basis"] for p in added(entry) if "coop-basis" in p.meta} == {
        "percent 50 of 100", "percent 30 of 100", "percent 20 of 100"}


def test_usage_with_a_unit():
    entry = transaction(clean(MEMBERS + cost("usage quarts: Ana 3, Ben 2", "12.50 USD")),
                        "Shared cost")
    assert member_parts(entry) == {"Ana": D("7.50"), "Ben": D("5.00")}
    basis = {p.account: p.meta["coop-basis"] for p in added(entry) if "coop-basis" in p.meta}
    assert basis == {"Assets:Members:Ana:Receivable": "usage 3 quarts of 5 quarts",
                     "Assets:Members:Ben:Receivable": "usage 2 quarts of 5 quarts"}


def test_zero_usage_adds_no_posting():
    entry = transaction(clean(MEMBERS + cost("usage quarts: Ana 3, Ben 0", "12.50 USD")),
                        "Shared cost")
    assert member_parts(entry) == {"Ana": D("12.50")}


def test_fixed_and_rest_by_a_rule():
    entry = transaction(clean(MEMBERS + cost("fixed: Ana 10.00; rest: equal")), "Shared cost")
    assert member_parts(entry) == {"Ana": D("40.00"), "Ben": D("30.00"), "Chloe": D("30.00")}
    basis = {p.account: p.meta["coop-basis"] for p in added(entry) if "coop-basis" in p.meta}
    assert basis["Assets:Members:Ana:Receivable"] == "fixed 10.00 USD + share 1 of 3 of the rest"
    assert basis["Assets:Members:Ben:Receivable"] == "share 1 of 3 of the rest"
    assert {p.meta["coop-split"] for p in added(entry)} == {"fixed: Ana 10.00; rest: equal"}


def test_fixed_in_the_cost_currency():
    entry = transaction(clean(MEMBERS + cost("fixed: Ana 10.00 USD; rest: weights: Ben 1, "
                                             "Chloe 2")), "Shared cost")
    assert member_parts(entry) == {"Ana": D("10.00"), "Ben": D("30.00"), "Chloe": D("60.00")}


def test_fixed_and_rest_by_a_named_key():
    text = MEMBERS + """
    2025-01-01 custom "coop-split-key" "health-plan" "weights: Ana 1, Ben 1, Chloe 2"
    """ + cost("fixed: Chloe 20.00; rest: health-plan")
    entry = transaction(clean(text), "Shared cost")
    assert member_parts(entry) == {"Ana": D("20.00"), "Ben": D("20.00"), "Chloe": D("60.00")}
    basis = {p.account: p.meta["coop-basis"] for p in added(entry) if "coop-basis" in p.meta}
    assert basis["Assets:Members:Chloe:Receivable"] == (
        "fixed 20.00 USD + weight 2 of 4 of the rest")


def test_named_key_versions_apply_from_their_date_on():
    text = MEMBERS + """
    2025-01-01 custom "coop-split-key" "health-plan" "weights: Ana 1, Ben 1, Chloe 2"
    2025-07-01 custom "coop-split-key" "health-plan" "weights: Ana 1, Chloe 2"
    """ + cost("health-plan", "100.00 USD", "June premium", "2025-06-30") + cost(
        "health-plan", "90.00 USD", "July premium", "2025-07-01")
    entries = clean(text)
    june = transaction(entries, "June premium")
    assert member_parts(june) == {"Ana": D("25.00"), "Ben": D("25.00"), "Chloe": D("50.00")}
    assert {p.meta["coop-split"] for p in added(june)} == {
        "health-plan (from 2025-01-01: weights: Ana 1, Ben 1, Chloe 2)"}
    july = transaction(entries, "July premium")
    assert member_parts(july) == {"Ana": D("30.00"), "Chloe": D("60.00")}
    assert {p.meta["coop-split"] for p in added(july)} == {
        "health-plan (from 2025-07-01: weights: Ana 1, Chloe 2)"}
    basis = {p.account: p.meta["coop-basis"] for p in added(july) if "coop-basis" in p.meta}
    assert basis == {"Assets:Members:Ana:Receivable": "weight 1 of 3",
                     "Assets:Members:Chloe:Receivable": "weight 2 of 3"}


def test_key_declared_later_in_the_file_still_applies():
    text = MEMBERS + cost("health-plan") + """
    2025-01-01 custom "coop-split-key" "health-plan" "equal: Ana, Ben"
    """
    entry = transaction(clean(text), "Shared cost")
    assert member_parts(entry) == {"Ana": D("50.00"), "Ben": D("50.00")}


def test_member_paying_out_of_pocket():
    text = MEMBERS + cost("weights: Ana 1, Ben 1, Chloe 2", other="Liabilities:Members:Ana:Payable")
    entries = clean(text)
    entry = transaction(entries, "Shared cost")
    assert parts(entry) == {
        "Liabilities:Members:Ana:Payable": D("25.00"),
        "Assets:Members:Ben:Receivable": D("25.00"),
        "Assets:Members:Chloe:Receivable": D("50.00"),
    }
    # The co-op owes Ana what she paid less her own part.
    assert balance(entries, "Liabilities:Members:Ana:Payable") == D("-75.00")
    assert balance(entries, "Assets:Members:Ana:Receivable") == 0
    assert balance(entries, "Assets:Members:Ben:Receivable") == D("25.00")


def test_payer_outside_the_split_is_owed_everything():
    text = MEMBERS + cost("equal: Ben, Chloe", other="Liabilities:Members:Ana:Payable")
    entries = clean(text)
    assert member_parts(transaction(entries, "Shared cost")) == {"Ben": D("50.00"),
                                                                 "Chloe": D("50.00")}
    assert balance(entries, "Liabilities:Members:Ana:Payable") == D("-100.00")


def test_refund_splits_with_the_signs_turned():
    text = MEMBERS + cost("weights: Ana 1, Ben 1, Chloe 2", "-100.00 USD") + cost(
        "equal", "-100.00 USD", "Equal refund")
    entries = clean(text)
    assert parts(transaction(entries, "Shared cost")) == {
        "Assets:Members:Ana:Receivable": D("-25.00"),
        "Assets:Members:Ben:Receivable": D("-25.00"),
        "Assets:Members:Chloe:Receivable": D("-50.00"),
    }
    refund = transaction(entries, "Equal refund")
    assert sorted(member_parts(refund).values()) == [D("-33.34"), D("-33.33"), D("-33.33")]
    assert [p.units.number for p in refund.postings if p.account == RECOVERY] == [D("100.00")]


def test_refund_of_a_fixed_and_rest_split():
    entry = transaction(clean(MEMBERS + cost("fixed: Ana 10.00; rest: equal", "-100.00 USD")),
                        "Shared cost")
    assert member_parts(entry) == {"Ana": D("-40.00"), "Ben": D("-30.00"), "Chloe": D("-30.00")}


def test_three_decimals():
    entry = transaction(clean(MEMBERS + cost("equal", "1.000 USD")), "Shared cost")
    amounts = sorted(member_parts(entry).values())
    assert amounts == [D("0.333"), D("0.333"), D("0.334")]
    assert all(a.as_tuple().exponent == -3 for a in amounts)


def test_two_split_postings_in_one_transaction():
    text = MEMBERS + """
    2025-03-01 * "Milk and jars"
      Expenses:Supplies   30.00 USD
        split: "equal"
      Expenses:Supplies   10.00 USD
        split: "equal: Ana, Ben"
      Assets:Bank
    """
    entry = transaction(clean(text), "Milk and jars")
    by_member: dict[str, Decimal] = defaultdict(Decimal)
    for posting in added(entry):
        if "coop-basis" in posting.meta:
            by_member[posting.account] += posting.units.number
    assert dict(by_member) == {"Assets:Members:Ana:Receivable": D("15.00"),
                               "Assets:Members:Ben:Receivable": D("15.00"),
                               "Assets:Members:Chloe:Receivable": D("10.00")}
    assert sorted(p.units.number for p in entry.postings if p.account == RECOVERY) == [
        D("-30.00"), D("-10.00")]


def test_recovery_account_from_the_plugin_config():
    header = (HEADER.replace("'as_of': '2025-12-31'",
                             "'as_of': '2025-12-31', 'recovery_account': 'Income:Recovered'")
              + "2025-01-01 open Income:Recovered USD\n")
    entry = transaction(clean(MEMBERS + cost("equal", "90.00 USD"), header), "Shared cost")
    assert [p.units.number for p in entry.postings if p.account == "Income:Recovered"] == [
        D("-90.00")]
    assert not any(p.account == RECOVERY for p in entry.postings)


def test_the_same_books_always_split_the_same_way():
    text = MEMBERS + "".join(cost("equal", "100.00 USD", f"Cost {i}") for i in range(20))
    first = [parts(e) for e in clean(text) if isinstance(e, data.Transaction)]
    again = [parts(e) for e in clean(text) if isinstance(e, data.Transaction)]
    assert first == again


def test_transactions_without_split_are_untouched():
    text = MEMBERS + """
    2025-03-01 * "Plain"
      Expenses:Supplies   100.00 USD
      Assets:Bank
    """
    assert transaction(clean(text), "Plain") == without_plugin(text, "Plain")


def test_the_part_shows_in_the_member_statement(tmp_path):
    text = MEMBERS + cost("weights: Ana 1, Ben 1, Chloe 2", narration="Milk")
    books = tmp_path / "main.beancount"
    books.write_text(ledger(text))
    result = CliRunner().invoke(main, ["statement", str(books), "Chloe", "--format", "json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = json.loads(result.output)
    milk = [line for line in lines if line["description"].startswith("Milk")]
    assert [line["amount"] for line in milk] == [{"USD": "50.00"}]
    # The member sees how their part was worked out.
    assert [line["description"] for line in milk] == ["Milk (weight 2 of 4)"]
    assert lines[-1]["owes"] == {"USD": "50.00"}


# --- bad input: reported at the split posting, transaction left as written ---------------------

LATE_AND_LEFT = """
    2025-01-01 custom "coop-member" "Dan" "Dan Diaz"
    2025-02-28 custom "coop-leave" "Dan"
    2025-04-01 custom "coop-member" "Eve" "Eve Evans"
    """


@pytest.mark.parametrize("rule, extra, words", [
    ("weights: Ana -1, Ben 2", "", ("negative", "Ana")),
    ("usage: Ana 2, Ben -1", "", ("negative",)),
    ("weights: Ana 0, Ben 0", "", ("zero",)),
    ("percent: Ana 50, Ben 30", "", ("80", "100%")),
    ("percent: Ana 50, Ben 30, Chloe 30", "", ("110",)),
    ("weights: Ana 1, Zed 1", "", ("unknown member", "Zed")),
    ("equal: Ana, Zed", "", ("unknown member", "Zed")),
    ("dental", "", ("unknown split key", "dental")),
    ("equal: Ana, Eve", LATE_AND_LEFT, ("Eve", "not a member on 2025-03-01")),
    ("weights: Ana 1, Dan 1", LATE_AND_LEFT, ("Dan", "not a member on 2025-03-01",
                                              "2025-02-28")),
    ("fixed: Dan 5.00; rest: equal", LATE_AND_LEFT, ("Dan", "not a member")),
    ("usage:", "", ("empty",)),
    ("usage quarts:", "", ("empty",)),
    ("fixed: Ana 10.00 EUR; rest: equal", "", ("EUR", "USD")),
    ("fixed: Ana 60.00, Ben 50.00; rest: equal", "", ("more than the cost",)),
    ("fixed: Ana 10.00", "", ("unassigned", "90.00")),
    ("fixed: Ana 10.00; rest: dental", "", ("unknown split key",)),
    ("shares: Ana 1", "", ("unknown split rule",)),
    ("weights", "", ("needs a list",)),
    ("health plan", "", ("neither a rule",)),
    ("fixed: Ana 10.00; rest: weights: Ana -1", "", ("negative",)),
    ("fixed: Ana 5.00, Ana 5.00; rest: equal", "", ("Ana", "twice")),
])
def test_bad_split(rule, extra, words):
    text = MEMBERS + extra + cost(rule)
    error = assert_reported_and_untouched(text, rule, *words)
    assert error.message.startswith("cannot split this cost")


def test_bad_split_on_an_out_of_pocket_payment_is_left_as_written():
    text = MEMBERS + cost("weights: Ana 1, Zed 1", other="Liabilities:Members:Ana:Payable")
    assert_reported_and_untouched(text, "weights: Ana 1, Zed 1", "Zed")


def test_split_value_that_is_not_text():
    text = MEMBERS + """
    2025-03-01 * "Shared cost"
      Expenses:Supplies   100.00 USD
        split: TRUE
      Assets:Bank
    """
    entries, errors, _ = load(text)
    assert len(errors) == 1
    assert errors[0].source["lineno"] == line_of(text, "split: TRUE") - 1
    assert added(transaction(entries, "Shared cost")) == []


def test_key_version_dated_after_the_transaction():
    text = MEMBERS + """
    2025-07-01 custom "coop-split-key" "health-plan" "equal"
    """ + cost("health-plan")
    assert_reported_and_untouched(text, "health-plan", "2025-07-01", "after this transaction")


def test_split_on_a_posting_without_an_amount():
    text = MEMBERS + """
    2025-03-01 * "Shared cost"
      Assets:Bank   -100.00 USD
      Expenses:Supplies
        split: "equal"
    """
    assert_reported_and_untouched(text, "equal", "no amount", "Expenses:Supplies")


def test_second_split_posting_bad_leaves_the_whole_transaction_unsplit():
    text = MEMBERS + """
    2025-03-01 * "Shared cost"
      Expenses:Supplies   30.00 USD
        split: "equal"
      Expenses:Supplies   10.00 USD
        split: "weights: Ana 1, Zed 1"
      Assets:Bank
    """
    assert_reported_and_untouched(text, "weights: Ana 1, Zed 1", "Zed")


def test_first_split_posting_bad_is_reported_at_its_own_line():
    text = MEMBERS + """
    2025-03-01 * "Shared cost"
      Expenses:Supplies   30.00 USD
        split: "percent: Ana 10"
      Expenses:Supplies   10.00 USD
        split: "equal"
      Assets:Bank
    """
    assert_reported_and_untouched(text, "percent: Ana 10", "10%")


def test_a_bad_split_does_not_stop_the_others():
    text = MEMBERS + cost("weights: Zed 1") + cost("equal", "90.00 USD", "Good one")
    entries, errors, _ = load(text)
    assert len(errors) == 1
    assert member_parts(transaction(entries, "Good one")) == {
        "Ana": D("30.00"), "Ben": D("30.00"), "Chloe": D("30.00")}
    assert added(transaction(entries, "Shared cost")) == []


def test_key_defined_twice_on_the_same_date_is_reported_at_the_second():
    text = MEMBERS + """
    2025-01-01 custom "coop-split-key" "health-plan" "equal"
    2025-01-01 custom "coop-split-key" "health-plan" "weights: Ana 1, Chloe 2"
    """
    _, errors, _ = load(text)
    assert len(errors) == 1, [(e.source, e.message) for e in errors]
    assert errors[0].source["filename"] == FILENAME
    assert errors[0].source["lineno"] == line_of(text, '"weights: Ana 1, Chloe 2"')
    assert "two versions dated 2025-01-01" in errors[0].message


def test_key_defined_twice_on_the_same_date_splits_nothing_by_it():
    """Which of the two versions is meant cannot be known: the transaction using the key must be
    reported at its split posting and left as written, not split by whichever came first."""
    text = MEMBERS + """
    2025-01-01 custom "coop-split-key" "health-plan" "equal"
    2025-01-01 custom "coop-split-key" "health-plan" "weights: Ana 1, Chloe 2"
    """ + cost("health-plan")
    entries, errors, _ = load(text)
    at_posting = [e for e in errors
                  if e.source.get("lineno") == split_posting_line(text, "health-plan")]
    assert len(at_posting) == 1, [(e.source, e.message) for e in errors]
    assert added(transaction(entries, "Shared cost")) == []


@pytest.mark.parametrize("name", ["equal", "Weights", "health plan", "health:plan", ""])
def test_invalid_key_name(name):
    text = MEMBERS + f"""
    2025-01-01 custom "coop-split-key" "{name}" "weights: Ana 1, Ben 1"
    """
    _, errors, _ = load(text)
    assert len(errors) == 1, [(e.source, e.message) for e in errors]
    assert errors[0].source["filename"] == FILENAME
    assert errors[0].source["lineno"] == line_of(text, '"coop-split-key"')
    assert "split key name" in errors[0].message


def test_invalid_key_name_used_on_a_posting():
    text = MEMBERS + """
    2025-01-01 custom "coop-split-key" "health plan" "weights: Ana 1, Ben 1"
    """ + cost("health plan")
    entries, errors, _ = load(text)
    assert sorted(e.source["lineno"] for e in errors) == sorted(
        [line_of(text, '"coop-split-key"'), split_posting_line(text, "health plan")])
    assert added(transaction(entries, "Shared cost")) == []


@pytest.mark.parametrize("rule, words", [
    ("weights Ana 1", "needs a list"),
    ("health-plan", "must be a rule"),
    ("weights: Ana x", "not a number"),
])
def test_invalid_key_rule_is_reported_at_the_key_and_at_its_use(rule, words):
    text = MEMBERS + f"""
    2025-01-01 custom "coop-split-key" "dental" "{rule}"
    """ + cost("dental")
    entries, errors, _ = load(text)
    by_line = {e.source["lineno"]: e.message for e in errors}
    assert set(by_line) == {line_of(text, '"coop-split-key"'),
                            split_posting_line(text, "dental")}
    assert words in by_line[line_of(text, '"coop-split-key"')]
    assert "unknown split key 'dental'" in by_line[split_posting_line(text, "dental")]
    assert added(transaction(entries, "Shared cost")) == []


def test_missing_recovery_account_is_an_error():
    _, errors, _ = load(MEMBERS + cost("equal"), header=HEADER)
    assert any(RECOVERY in e.message for e in errors)


# --- fairness through the plugin --------------------------------------------------------------

SEVEN = ("Ana", "Ben", "Chloe", "Dan", "Eve", "Fay", "Gus")


def test_odd_cents_are_fair_over_a_thousand_splits():
    lines = [f'2025-01-01 custom "coop-member" "{key}" "{key} Example"' for key in SEVEN]
    start = datetime.date(2025, 1, 1)
    for i in range(1000):
        date = start + datetime.timedelta(days=i % 365)
        lines.append(f'{date} * "Shared cost {i}"\n  Expenses:Supplies  100.00 USD\n'
                     f'    split: "equal"\n  Assets:Bank')
    entries, errors, _ = loader.load_string(SPLIT_HEADER + "\n".join(lines) + "\n")
    assert errors == []
    counts: Counter = Counter()
    splits = 0
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        amounts = member_parts(entry)
        assert sorted(amounts.values()) == [D("14.28")] * 3 + [D("14.29")] * 4
        counts.update(key for key, amount in amounts.items() if amount == D("14.29"))
        splits += 1
    assert splits == 1000
    mean = 4000 / 7
    for key in SEVEN:
        assert abs(counts[key] - mean) <= mean / 10, counts


def test_split_on_the_transaction_instead_of_a_posting_is_reported(load):
    text = """
    2025-01-01 open Income:Members:SharedCosts USD
    2025-01-01 custom "coop-member" "Ana" "Ana"
    2025-03-01 * "Misplaced split"
      split: "equal"
      Expenses:Supplies   10.00 USD
      Assets:Bank
    """
    entries, errors, _ = load(text)
    assert [e.message for e in errors] == [
        "cannot split this cost: split: is on the transaction; put it under the posting that "
        "carries the cost, indented below that posting"]
    txn = next(e for e in entries if getattr(e, "narration", "") == "Misplaced split")
    assert len(txn.postings) == 2


def test_a_key_that_refers_to_itself_is_an_error_not_a_crash(load):
    text = """
    2025-01-01 open Income:Members:SharedCosts USD
    2025-01-01 custom "coop-member" "Ana" "Ana"
    2025-01-01 custom "coop-split-key" "loop" "fixed: Ana 0.00; rest: loop"
    2025-03-01 * "Looping"
      Expenses:Supplies   10.00 USD
        split: "loop"
      Assets:Bank
    """
    _, errors, _ = load(text)
    assert len(errors) == 1
    assert "refers back to itself (loop -> loop)" in errors[0].message
    assert "Traceback" not in errors[0].message


def test_a_refund_to_a_members_own_card_goes_against_their_payable(load):
    text = """
    2025-01-01 open Income:Members:SharedCosts USD
    2025-01-01 custom "coop-member" "Ana" "Ana"
    2025-01-01 custom "coop-member" "Bob" "Bob"
    2025-03-01 * "Stockpot on Bob's card"
      Expenses:Supplies   30.00 USD
        split: "equal"
      Liabilities:Members:Bob:Payable
    2025-03-05 * "Stockpot returned to Bob's card"
      Expenses:Supplies  -30.00 USD
        split: "equal"
      Liabilities:Members:Bob:Payable
    """
    entries, errors, _ = load(text)
    assert errors == []
    totals = {}
    for entry in entries:
        for posting in getattr(entry, "postings", []):
            if "Bob" in posting.account:
                totals[posting.account] = totals.get(posting.account, 0) + posting.units.number
    assert totals == {"Liabilities:Members:Bob:Payable": 0}


def test_recovery_account_follows_name_income():
    from beancount import loader

    entries, errors, _ = loader.load_string(
        'option "name_income" "Revenus"\n'
        "plugin \"coop_beancount.plugins.coop\" \"{'as_of': '2025-12-31'}\"\n"
        "2025-01-01 open Assets:Bank USD\n"
        "2025-01-01 open Expenses:Supplies USD\n"
        "2025-01-01 open Revenus:Members:SharedCosts USD\n"
        '2025-01-01 custom "coop-member" "Ana" "Ana"\n'
        '2025-03-01 * "Shared"\n'
        "  Expenses:Supplies  10.00 USD\n"
        '    split: "equal"\n'
        "  Assets:Bank\n")
    assert errors == []
    accounts = {p.account for e in entries for p in getattr(e, "postings", [])}
    assert "Revenus:Members:SharedCosts" in accounts
