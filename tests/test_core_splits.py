"""Split rules and named keys (coop_beancount.core.splits), without a ledger."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from coop_beancount.core.records import Member
from coop_beancount.core.splits import (
    KeyVersion,
    SplitError,
    SplitKeys,
    SplitRule,
    parse_rule,
    split_amount,
)

D = Decimal
JAN1 = datetime.date(2025, 1, 1)
MAR1 = datetime.date(2025, 3, 1)


def member(key: str, joined: datetime.date = JAN1, left: datetime.date | None = None) -> Member:
    return Member(key=key, name=f"{key} Example", joined=joined, source={}, left=left)


MEMBERS = {k: member(k) for k in ("Ana", "Ben", "Chloe")}


def split(text, amount="100.00", currency="USD", date=MAR1, members=None, keys=None, seed="s"):
    parts, label = split_amount(parse_rule(text), D(amount), currency, date,
                                MEMBERS if members is None else members,
                                keys or SplitKeys(), seed)
    return {p.member: p.amount for p in parts}, {p.member: p.basis for p in parts}, label


def version(name: str, date: datetime.date, text: str) -> KeyVersion:
    rule = parse_rule(text)
    assert isinstance(rule, SplitRule)
    return KeyVersion(name=name, date=date, rule=rule, source={})


# --- parsing ----------------------------------------------------------------------------------


def test_parse_every_kind():
    assert parse_rule("equal") == SplitRule("equal", text="equal")
    group = parse_rule("equal: Ana, Ben, Chloe")
    assert group.kind == "equal"
    assert group.items == (("Ana", D(1)), ("Ben", D(1)), ("Chloe", D(1)))
    assert parse_rule("weights: Ana 1, Ben 1, Chloe 2").items == (
        ("Ana", D(1)), ("Ben", D(1)), ("Chloe", D(2)))
    assert parse_rule("percent: Ana 50, Ben 30, Chloe 20").kind == "percent"
    usage = parse_rule("usage quarts: Ana 3, Ben 2")
    assert (usage.kind, usage.unit, usage.items) == ("usage", "quarts", (("Ana", D(3)),
                                                                         ("Ben", D(2))))
    assert parse_rule("usage: Ana 3").unit is None
    fixed = parse_rule("fixed: Ana 10.00; rest: equal")
    assert fixed.kind == "fixed"
    assert fixed.items == (("Ana", D("10.00")),)
    assert fixed.rest == SplitRule("equal", text="equal")
    assert fixed.currency is None
    assert parse_rule("fixed: Ana 10.00 EUR; rest: equal").currency == "EUR"
    assert parse_rule("fixed: Ana 10.00; rest: health-plan").rest == "health-plan"
    assert parse_rule("health-plan") == "health-plan"


@pytest.mark.parametrize("text, words", [
    ("", "rule or a key name"),
    ("   ", "rule or a key name"),
    ("weights", "needs a list"),
    ("usage quarts:", "empty list"),
    ("usage:", "empty list"),
    ("weights:", "empty list"),
    ("equal:", "names no members"),
    ("weights: Ana", "member key and a number"),
    ("weights: Ana 1 Ben 2", "member key and a number"),
    ("weights: Ana one", "not a number"),
    ("weights: Ana NaN", "not a number"),
    ("weights: Ana Infinity", "not a number"),
    ("weights: Ana 1, Ana 2", "twice"),
    ("shares: Ana 1", "unknown split rule"),
    ("weights kg: Ana 1", "only a usage split takes a unit"),
    ("health plan", "neither a rule"),
    ("fixed: Ana 10.00; Ben 2", "rest:"),
    ("fixed: ; rest: equal", "names no fixed amounts"),
    ("fixed: Ana 10.00 USD, Ben 5.00 EUR; rest: equal", "mixes currencies"),
    ("fixed: Ana; rest: equal", "member key and an"),
    # Like every other list: a member named twice is a mistake, not a silent overwrite.
    ("fixed: Ana 5.00, Ana 5.00; rest: equal", "twice"),
])
def test_parse_errors(text, words):
    with pytest.raises(SplitError, match=words):
        parse_rule(text)


def test_parse_rejects_non_text():
    with pytest.raises(SplitError):
        parse_rule(True)  # type: ignore[arg-type]
    with pytest.raises(SplitError):
        parse_rule(D(3))  # type: ignore[arg-type]


# --- every kind, by example -------------------------------------------------------------------


def test_equal_among_everyone_active():
    members = {
        "Ana": member("Ana"),
        "Ben": member("Ben"),
        "Chloe": member("Chloe"),
        "Dan": member("Dan", left=datetime.date(2025, 2, 28)),     # has left
        "Eve": member("Eve", joined=datetime.date(2025, 4, 1)),    # not yet joined
    }
    amounts, bases, label = split("equal", "90.00", members=members)
    assert amounts == {"Ana": D("30.00"), "Ben": D("30.00"), "Chloe": D("30.00")}
    assert set(bases.values()) == {"share 1 of 3"}
    assert label == "equal"
    # On the leave date itself the member still shares.
    amounts, _, _ = split("equal", "80.00", date=datetime.date(2025, 2, 28), members=members)
    assert set(amounts) == {"Ana", "Ben", "Chloe", "Dan"}
    # From the join date on, too.
    amounts, _, _ = split("equal", "80.00", date=datetime.date(2025, 4, 1), members=members)
    assert set(amounts) == {"Ana", "Ben", "Chloe", "Eve"}


def test_equal_with_nobody_active():
    with pytest.raises(SplitError, match="no member is active"):
        split("equal", date=datetime.date(2024, 12, 31))


def test_equal_among_a_group():
    amounts, bases, _ = split("equal: Ana, Chloe", "10.00")
    assert amounts == {"Ana": D("5.00"), "Chloe": D("5.00")}
    assert bases == {"Ana": "share 1 of 2", "Chloe": "share 1 of 2"}


def test_weights():
    amounts, bases, label = split("weights: Ana 1, Ben 1, Chloe 2")
    assert amounts == {"Ana": D("25.00"), "Ben": D("25.00"), "Chloe": D("50.00")}
    assert bases == {"Ana": "weight 1 of 4", "Ben": "weight 1 of 4", "Chloe": "weight 2 of 4"}
    assert label == "weights: Ana 1, Ben 1, Chloe 2"


def test_percent():
    amounts, bases, _ = split("percent: Ana 50, Ben 30, Chloe 20", "250.00")
    assert amounts == {"Ana": D("125.00"), "Ben": D("75.00"), "Chloe": D("50.00")}
    assert bases["Ben"] == "percent 30 of 100"


def test_percent_with_decimals():
    amounts, _, _ = split("percent: Ana 33.33, Ben 33.33, Chloe 33.34", "100.00")
    assert amounts == {"Ana": D("33.33"), "Ben": D("33.33"), "Chloe": D("33.34")}


def test_usage_with_a_unit():
    amounts, bases, _ = split("usage quarts: Ana 3, Ben 2", "12.50")
    assert amounts == {"Ana": D("7.50"), "Ben": D("5.00")}
    assert bases == {"Ana": "usage 3 quarts of 5 quarts", "Ben": "usage 2 quarts of 5 quarts"}


def test_usage_zero_for_one_member():
    amounts, bases, _ = split("usage quarts: Ana 3, Ben 0", "12.50")
    assert amounts == {"Ana": D("12.50"), "Ben": D("0.00")}
    assert bases["Ben"] == "usage 0 quarts of 3 quarts"


def test_fixed_and_rest_by_a_rule():
    amounts, bases, label = split("fixed: Ana 10.00; rest: equal", "100.00")
    assert amounts == {"Ana": D("40.00"), "Ben": D("30.00"), "Chloe": D("30.00")}
    assert bases == {"Ana": "fixed 10.00 USD + share 1 of 3 of the rest",
                     "Ben": "share 1 of 3 of the rest", "Chloe": "share 1 of 3 of the rest"}
    assert label == "fixed: Ana 10.00; rest: equal"


def test_fixed_and_rest_among_the_others():
    amounts, bases, _ = split("fixed: Ana 10.00 USD; rest: weights: Ben 1, Chloe 2", "100.00")
    assert amounts == {"Ana": D("10.00"), "Ben": D("30.00"), "Chloe": D("60.00")}
    assert bases["Ana"] == "fixed 10.00 USD"
    assert bases["Chloe"] == "weight 2 of 3 of the rest"


def test_fixed_and_rest_by_a_named_key():
    keys = SplitKeys()
    keys.add(version("health-plan", JAN1, "weights: Ana 1, Ben 1, Chloe 2"))
    amounts, bases, _ = split("fixed: Chloe 20.00; rest: health-plan", "100.00", keys=keys)
    assert amounts == {"Ana": D("20.00"), "Ben": D("20.00"), "Chloe": D("60.00")}
    assert bases["Chloe"] == "fixed 20.00 USD + weight 2 of 4 of the rest"


def test_fixed_covering_the_whole_cost_needs_no_rest():
    amounts, _, _ = split("fixed: Ana 60.00, Ben 40.00", "100.00")
    assert amounts == {"Ana": D("60.00"), "Ben": D("40.00")}


def test_fixed_on_a_refund():
    amounts, _, _ = split("fixed: Ana 10.00; rest: equal", "-100.00")
    assert amounts == {"Ana": D("-40.00"), "Ben": D("-30.00"), "Chloe": D("-30.00")}


def test_named_key_versions():
    keys = SplitKeys()
    keys.add(version("health-plan", datetime.date(2025, 7, 1), "weights: Ana 1, Chloe 2"))
    keys.add(version("health-plan", JAN1, "weights: Ana 1, Ben 1, Chloe 2"))
    assert "health-plan" in keys
    assert keys.names() == ["health-plan"]

    amounts, _, label = split("health-plan", "100.00", keys=keys, date=datetime.date(2025, 6, 30))
    assert amounts == {"Ana": D("25.00"), "Ben": D("25.00"), "Chloe": D("50.00")}
    assert label == "health-plan (from 2025-01-01: weights: Ana 1, Ben 1, Chloe 2)"

    amounts, _, label = split("health-plan", "90.00", keys=keys, date=datetime.date(2025, 7, 1))
    assert amounts == {"Ana": D("30.00"), "Chloe": D("60.00")}
    assert label == "health-plan (from 2025-07-01: weights: Ana 1, Chloe 2)"

    assert keys.in_force("health-plan", datetime.date(2026, 1, 1)).date == datetime.date(
        2025, 7, 1)


def test_three_decimals():
    amounts, _, _ = split("equal", "1.000")
    assert sorted(amounts.values()) == [D("0.333"), D("0.333"), D("0.334")]
    assert sum(amounts.values()) == D("1.000")


def test_refund_turns_the_signs():
    amounts, _, _ = split("weights: Ana 1, Ben 1, Chloe 2", "-100.00")
    assert amounts == {"Ana": D("-25.00"), "Ben": D("-25.00"), "Chloe": D("-50.00")}


def test_same_seed_same_parts_other_seed_may_differ():
    first, _, _ = split("equal", "100.00", seed="a")
    assert split("equal", "100.00", seed="a")[0] == first
    seen = {tuple(sorted(split("equal", "100.00", seed=str(i))[0].items())) for i in range(50)}
    assert len(seen) == 3  # each of the three members takes the odd cent sometimes


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, words", [
    ("weights: Ana -1, Ben 3", "negative"),
    ("usage: Ana 2, Ben -1", "negative"),
    ("weights: Ana 0, Ben 0", "zero"),
    ("usage quarts: Ana 0", "zero"),
    ("percent: Ana 0, Ben 0", "adds up to 0%"),
    ("percent: Ana 50, Ben 30", "adds up to 80%, not 100%"),
    ("percent: Ana 50, Ben 60", "110"),
    ("weights: Ana 1, Zed 1", "unknown member 'Zed'"),
    ("equal: Ana, Zed", "unknown member 'Zed'"),
    ("fixed: Zed 1.00; rest: equal", "unknown member 'Zed'"),
    ("fixed: Ana -1.00; rest: equal", "negative fixed amount"),
    ("fixed: Ana 10.00 EUR; rest: equal", "in EUR, but the cost is in USD"),
    ("fixed: Ana 60.00, Ben 50.00; rest: equal", "more than the cost"),
    ("fixed: Ana 10.00", "leaves 90.00 USD unassigned"),
    ("fixed: Ana 10.00; rest: weights: Zed 1", "unknown member 'Zed'"),
    ("no-such-key", "unknown split key 'no-such-key'"),
    ("fixed: Ana 10.00; rest: no-such-key", "unknown split key"),
])
def test_split_errors(text, words):
    with pytest.raises(SplitError, match=words):
        split(text)


def test_member_not_active_on_the_date():
    members = {"Ana": member("Ana"), "Ben": member("Ben", joined=datetime.date(2025, 4, 1)),
               "Dan": member("Dan", left=datetime.date(2025, 2, 28))}
    with pytest.raises(SplitError, match=r"'Ben', who is not a member on 2025-03-01 \(joined "
                                         r"2025-04-01\)"):
        split("weights: Ana 1, Ben 1", members=members)
    with pytest.raises(SplitError, match=r"'Dan', who is not a member on 2025-03-01 .*left "
                                         r"2025-02-28"):
        split("equal: Ana, Dan", members=members)
    with pytest.raises(SplitError, match="'Dan'"):
        split("fixed: Dan 5.00; rest: equal", members=members)


def test_key_dated_after_the_transaction():
    keys = SplitKeys()
    keys.add(version("health-plan", datetime.date(2025, 7, 1), "equal"))
    with pytest.raises(SplitError, match="starts on 2025-07-01, after this transaction"):
        split("health-plan", keys=keys)


def test_key_defined_twice_on_the_same_date():
    keys = SplitKeys()
    keys.add(version("health-plan", JAN1, "equal"))
    with pytest.raises(SplitError, match="two versions dated 2025-01-01"):
        keys.add(version("health-plan", JAN1, "weights: Ana 1"))
    # Which version was meant is unknowable, so nothing is split by the key.
    with pytest.raises(SplitError, match="two versions on the same date"):
        keys.in_force("health-plan", MAR1)


def test_unknown_key_lists_the_known_ones():
    keys = SplitKeys()
    keys.add(version("health-plan", JAN1, "equal"))
    with pytest.raises(SplitError, match="known keys: health-plan"):
        split("dental", keys=keys)


# --- properties -------------------------------------------------------------------------------

member_keys = st.lists(st.from_regex(r"M[0-9]{3}", fullmatch=True), min_size=1, max_size=60,
                       unique=True)
amounts = st.integers(min_value=-10**11, max_value=10**11).map(lambda c: D(c).scaleb(-2))


@st.composite
def weighted_members(draw):
    keys = draw(member_keys)
    weights = [draw(st.integers(min_value=0, max_value=1000)) for _ in keys]
    return keys, weights


@given(group=weighted_members(), amount=amounts, seed=st.text(max_size=20))
def test_weights_split_adds_up(group, amount, seed):
    keys, weights = group
    assume(sum(weights) > 0)
    members = {k: member(k) for k in keys}
    text = "weights: " + ", ".join(f"{k} {w}" for k, w in zip(keys, weights, strict=True))
    parts, label = split_amount(parse_rule(text), amount, "USD", MAR1, members, SplitKeys(), seed)
    assert label == text
    assert sum(p.amount for p in parts) == amount
    assert sorted(p.member for p in parts) == sorted(keys)
    total = sum(weights)
    for part, weight in zip(sorted(parts, key=lambda p: p.member),
                            [w for _, w in sorted(zip(keys, weights, strict=True))], strict=True):
        assert abs(Fraction(part.amount) - Fraction(amount) * weight / total) < Fraction(1, 100)
        assert part.basis == f"weight {weight} of {total}"
        if weight == 0:
            assert part.amount == 0
    again, _ = split_amount(parse_rule(text), amount, "USD", MAR1, members, SplitKeys(), seed)
    assert again == parts


@given(keys=member_keys, amount=amounts, seed=st.text(max_size=20),
       joins=st.lists(st.integers(min_value=0, max_value=120), min_size=60, max_size=60))
def test_equal_split_adds_up_among_the_active(keys, amount, seed, joins):
    members = {k: member(k, joined=JAN1 + datetime.timedelta(days=j))
               for k, j in zip(keys, joins, strict=False)}
    active = {k for k, m in members.items() if m.is_active(MAR1)}
    assume(active)
    parts, _ = split_amount(parse_rule("equal"), amount, "USD", MAR1, members, SplitKeys(), seed)
    assert {p.member for p in parts} == active
    assert sum(p.amount for p in parts) == amount
    amounts_ = [p.amount for p in parts]
    assert max(amounts_) - min(amounts_) <= D("0.01")


@given(group=weighted_members(), amount=amounts, seed=st.text(max_size=20),
       fixed_cents=st.integers(min_value=0, max_value=10**6))
def test_fixed_and_rest_adds_up(group, amount, seed, fixed_cents):
    keys, weights = group
    assume(sum(weights) > 0)
    fixed = D(fixed_cents).scaleb(-2)
    assume(fixed <= abs(amount))
    members = {k: member(k) for k in keys}
    rest = "weights: " + ", ".join(f"{k} {w}" for k, w in zip(keys, weights, strict=True))
    text = f"fixed: {keys[0]} {fixed} USD; rest: {rest}"
    parts, _ = split_amount(parse_rule(text), amount, "USD", MAR1, members, SplitKeys(), seed)
    assert sum(p.amount for p in parts) == amount
    assert len({p.member for p in parts}) == len(parts)


@given(group=weighted_members(), amount=amounts, seed=st.text(max_size=20),
       day=st.integers(min_value=0, max_value=364))
def test_named_key_adds_up(group, amount, seed, day):
    keys, weights = group
    assume(sum(weights) > 0)
    members = {k: member(k) for k in keys}
    split_keys = SplitKeys()
    text = "weights: " + ", ".join(f"{k} {w}" for k, w in zip(keys, weights, strict=True))
    split_keys.add(version("pool", JAN1, text))
    split_keys.add(version("pool", datetime.date(2025, 7, 1), "equal"))
    date = JAN1 + datetime.timedelta(days=day)
    parts, label = split_amount("pool", amount, "USD", date, members, split_keys, seed)
    assert sum(p.amount for p in parts) == amount
    if date < datetime.date(2025, 7, 1):
        assert label == f"pool (from 2025-01-01: {text})"
    else:
        assert label == "pool (from 2025-07-01: equal)"
