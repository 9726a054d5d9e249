"""Exact largest-remainder allocation with a rotating tie-break (coop_beancount.core.allocation)."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from coop_beancount.core.allocation import allocate, quantum_of, rotation

D = Decimal
SEVEN = ("Ana", "Ben", "Chloe", "Dan", "Eve", "Fay", "Gus")


def plugin_seed(date: datetime.date, narration: str, occurrence: int = 1,
                account: str = "Expenses:Supplies", units: str = "100.00 USD",
                payee: str | None = None) -> str:
    """The seed the plugin builds for a split posting (see plugins/coop.py)."""
    return f"{date}|{payee}|{narration}|{account}|{units}|{occurrence}"


# --- examples ---------------------------------------------------------------------------------


def test_worked_example_from_the_domain_notes():
    barrels = {"G1": D(12000), "G2": D(7500), "G3": D(3333), "G4": D(950)}
    parts = allocate(D("43200.00"), barrels, seed=None)
    assert parts == {"G1": D("21797.08"), "G2": D("13623.18"), "G3": D("6054.14"),
                     "G4": D("1725.60")}
    assert sum(parts.values()) == D("43200.00")


def test_weights_one_one_two():
    parts = allocate(D("100.00"), {"Ana": D(1), "Ben": D(1), "Chloe": D(2)}, seed="x")
    assert parts == {"Ana": D("25.00"), "Ben": D("25.00"), "Chloe": D("50.00")}


def test_seven_ways_four_pay_the_odd_cent():
    parts = allocate(D("100.00"), dict.fromkeys(SEVEN, D(1)), seed="some split")
    assert sorted(parts.values()) == [D("14.28")] * 3 + [D("14.29")] * 4
    assert sum(parts.values()) == D("100.00")


def test_seed_none_ties_go_to_the_lower_keys():
    parts = allocate(D("100.00"), dict.fromkeys(SEVEN, D(1)), seed=None)
    assert [parts[k] for k in sorted(SEVEN)] == [D("14.29")] * 4 + [D("14.28")] * 3
    parts = allocate(D("0.02"), dict.fromkeys(("C", "A", "B"), D(1)), seed=None)
    assert parts == {"A": D("0.01"), "B": D("0.01"), "C": D("0.00")}


def test_largest_remainder_beats_tie_break():
    # 10.00 by 1:1:1:3 is 1.666.., 1.666.., 1.666.., 5.00: no ties on the big weight.
    parts = allocate(D("10.00"), {"A": D(1), "B": D(1), "C": D(1), "D": D(3)}, seed=None)
    assert parts["D"] == D("5.00")
    assert sorted(parts[k] for k in "ABC") == [D("1.66"), D("1.67"), D("1.67")]
    # 1.00 by 0.1 : 0.2 : 0.7 has exact parts.
    assert allocate(D("1.00"), {"a": D("0.1"), "b": D("0.2"), "c": D("0.7")}, seed="s") == {
        "a": D("0.10"), "b": D("0.20"), "c": D("0.70")}


def test_zero_weight_gets_zero():
    parts = allocate(D("10.00"), {"A": D(0), "B": D(1), "C": D(2)}, seed="s")
    assert parts["A"] == 0
    assert sum(parts.values()) == D("10.00")


def test_negative_amount_splits_with_signs_turned():
    weights = dict.fromkeys(SEVEN, D(1))
    for seed in ("a", "b", "c", None):
        positive = allocate(D("100.00"), weights, seed)
        negative = allocate(D("-100.00"), weights, seed)
        assert negative == {k: -v for k, v in positive.items()}
    assert allocate(D("-100.00"), {"A": D(1), "B": D(1), "C": D(2)}, "s") == {
        "A": D("-25.00"), "B": D("-25.00"), "C": D("-50.00")}


def test_three_decimals_split_to_the_tenth_of_a_cent():
    assert quantum_of(D("1.000")) == D("0.001")
    parts = allocate(D("1.000"), dict.fromkeys("ABC", D(1)), seed=None)
    assert parts == {"A": D("0.334"), "B": D("0.333"), "C": D("0.333")}
    assert all(p.as_tuple().exponent == -3 for p in parts.values())


def test_quantum_is_at_least_a_cent():
    assert quantum_of(D("100")) == D("0.01")
    assert quantum_of(D("100.0")) == D("0.01")
    assert quantum_of(D("100.00")) == D("0.01")
    assert quantum_of(D("1E+2")) == D("0.01")
    assert quantum_of(D("100.12345")) == D("0.00001")
    parts = allocate(D("100"), dict.fromkeys("ABC", D(1)), seed=None)
    assert parts == {"A": D("33.34"), "B": D("33.33"), "C": D("33.33")}


def test_fractional_weights_keep_their_ratio():
    assert allocate(D("35.00"), {"A": D("1.5"), "B": D("2")}, seed=None) == {
        "A": D("15.00"), "B": D("20.00")}
    assert allocate(D("35.00"), {"A": D("15"), "B": D("20")}, seed=None) == {
        "A": D("15.00"), "B": D("20.00")}


def test_one_member_takes_everything():
    assert allocate(D("123.45"), {"Solo": D("0.3")}, seed="s") == {"Solo": D("123.45")}


def test_rotation_is_in_range_and_stable():
    for size in (1, 2, 7, 60):
        values = {rotation(f"seed {i}", size) for i in range(500)}
        assert values <= set(range(size))
    assert len({rotation(f"seed {i}", 7) for i in range(500)}) == 7
    assert rotation("abc", 7) == rotation("abc", 7)


def test_same_result_in_another_process():
    """Deterministic across processes (no dependence on Python's hash randomization)."""
    seeds = [plugin_seed(datetime.date(2025, 3, 1), f"cost {i}") for i in range(50)]
    here = [rotation(seed, 7) for seed in seeds]
    code = (
        "import sys\n"
        "from coop_beancount.core.allocation import rotation\n"
        "seeds = sys.stdin.read().splitlines()\n"
        "print(' '.join(str(rotation(s, 7)) for s in seeds))\n"
    )
    for hash_seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code], input="\n".join(seeds), capture_output=True,
            text=True, check=True, env={**os.environ, "PYTHONHASHSEED": hash_seed})
        assert [int(x) for x in out.stdout.split()] == here


def test_the_odd_cents_move_around():
    weights = dict.fromkeys(SEVEN, D(1))
    results = {tuple(sorted(allocate(D("100.00"), weights, f"split {i}").items()))
               for i in range(100)}
    assert len(results) > 1


# --- fairness ---------------------------------------------------------------------------------


def _odd_cent_counts(seeds: list[str]) -> Counter:
    weights = dict.fromkeys(SEVEN, D(1))
    counts: Counter = Counter()
    for seed in seeds:
        parts = allocate(D("100.00"), weights, seed)
        assert sum(parts.values()) == D("100.00")
        assert sorted(parts.values()) == [D("14.28")] * 3 + [D("14.29")] * 4
        counts.update(key for key, part in parts.items() if part == D("14.29"))
    return counts


def assert_fair(counts: Counter, splits: int = 1000) -> None:
    assert set(counts) == set(SEVEN)
    mean = splits * 4 / 7
    assert sum(counts.values()) == splits * 4
    for key in SEVEN:
        assert abs(counts[key] - mean) <= mean / 10, (key, counts)


def test_fairness_distinct_dates():
    start = datetime.date(2025, 1, 1)
    seeds = [plugin_seed(start + datetime.timedelta(days=i), "Shared cost") for i in range(1000)]
    assert_fair(_odd_cent_counts(seeds))


def test_fairness_distinct_narrations():
    seeds = [plugin_seed(datetime.date(2025, 3, 1), f"Shared cost {i}") for i in range(1000)]
    assert_fair(_odd_cent_counts(seeds))


def test_fairness_identical_transactions_told_apart_by_occurrence():
    seeds = [plugin_seed(datetime.date(2025, 3, 1), "Milk", occurrence=i + 1)
             for i in range(1000)]
    assert_fair(_odd_cent_counts(seeds))


# --- properties -------------------------------------------------------------------------------

amounts = st.integers(min_value=-10**11, max_value=10**11).map(lambda c: D(c).scaleb(-2))
weight_values = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(D),
    st.integers(min_value=0, max_value=10**8).map(lambda n: D(n).scaleb(-2)),
    st.integers(min_value=0, max_value=10**6).map(lambda n: D(n).scaleb(-4)),
)
keys = st.from_regex(r"[A-Z][a-z0-9]{0,5}", fullmatch=True)
weight_maps = st.dictionaries(keys, weight_values, min_size=1, max_size=60)
seeds = st.one_of(st.none(), st.text(max_size=40))


def _positive(weights: dict[str, Decimal]) -> bool:
    return sum(weights.values()) > 0


@given(amount=amounts, weights=weight_maps, seed=seeds)
def test_parts_add_up_exactly(amount, weights, seed):
    assume(_positive(weights))
    parts = allocate(amount, weights, seed)
    assert set(parts) == set(weights)
    assert sum(parts.values()) == amount


@given(amount=amounts, weights=weight_maps, seed=seeds)
def test_each_part_within_one_quantum_of_its_exact_share(amount, weights, seed):
    assume(_positive(weights))
    parts = allocate(amount, weights, seed)
    total = sum(Fraction(w) for w in weights.values())
    quantum = Fraction(quantum_of(amount))
    for key, weight in weights.items():
        exact = Fraction(amount) * Fraction(weight) / total
        assert abs(Fraction(parts[key]) - exact) < quantum
        # And on the same side as the amount: never a charge on a refund or vice versa.
        assert parts[key] * amount >= 0
        assert Fraction(parts[key]) % quantum == 0


@given(amount=amounts, weights=weight_maps, seed=seeds)
def test_same_input_same_output(amount, weights, seed):
    assume(_positive(weights))
    first = allocate(amount, weights, seed)
    again = allocate(amount, dict(weights), seed)
    reordered = allocate(amount, dict(reversed(list(weights.items()))), seed)
    assert first == again == reordered


@given(amount=amounts, weights=weight_maps, seed=seeds)
def test_zero_weight_zero_part(amount, weights, seed):
    assume(_positive(weights))
    parts = allocate(amount, weights, seed)
    for key, weight in weights.items():
        if weight == 0:
            assert parts[key] == 0


@given(amount=amounts, weights=weight_maps, seed=seeds)
def test_refund_is_the_mirror_of_the_charge(amount, weights, seed):
    assume(_positive(weights))
    assert allocate(-amount, weights, seed) == {
        k: -v for k, v in allocate(amount, weights, seed).items()}


@given(amount=amounts, weights=weight_maps, seed=seeds,
       factor=st.sampled_from([D(2), D(10), D("0.5"), D(7)]))
def test_scaling_the_weights_changes_nothing(amount, weights, seed, factor):
    assume(_positive(weights))
    scaled = {k: w * factor for k, w in weights.items()}
    assert allocate(amount, scaled, seed) == allocate(amount, weights, seed)


@given(cents=st.integers(min_value=-10**12, max_value=10**12),
       weights=weight_maps, seed=seeds)
def test_three_decimal_amounts_add_up(cents, weights, seed):
    assume(_positive(weights))
    amount = D(cents).scaleb(-3)
    parts = allocate(amount, weights, seed)
    assert sum(parts.values()) == amount
    for part in parts.values():
        assert part == part.quantize(D("0.001"))


@pytest.mark.parametrize("amount", [D("0.00"), D("0")])
def test_nothing_to_split(amount):
    assert set(allocate(amount, {"A": D(1), "B": D(2)}, "s").values()) == {0}
