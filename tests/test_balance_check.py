"""books/balance_check.py: exactly Beancount's balance check errors, with a fast path."""

import datetime
from decimal import Decimal

import pytest
from beancount.core import data, interpolate
from beancount.core.amount import Amount
from beancount.core.number import MISSING
from beancount.core.position import Cost
from beancount.ops import validation
from beancount.parser import options as beancount_options
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coop_beancount.books.balance_check import check_transaction_balances
from coop_beancount.books.collector import PLAIN
from coop_beancount.books.quick_loads import quick_beancount

CURRENCIES = ["USD", "EUR", "CAD"]

numbers = st.builds(
    lambda digits, exponent, negative: Decimal((int(negative), tuple(digits), exponent)),
    st.lists(st.integers(0, 9), min_size=1, max_size=8),
    st.integers(-4, 1),
    st.booleans(),
)
currencies = st.sampled_from(CURRENCIES)


@st.composite
def postings(draw, simple):
    """A posting as the books may hold one after booking and plugins; `simple`: units with
    a number, no cost, no price (most of a co-op's postings)."""
    if simple:
        units = Amount(draw(numbers), draw(currencies))
        kind = "plain"
    else:
        units_number = draw(st.one_of(numbers, numbers, st.sampled_from([None, MISSING])))
        units = draw(st.sampled_from([Amount(units_number, draw(currencies)), None]))
        kind = draw(st.sampled_from(["plain", "cost", "price", "total", "both"]))
    cost = price = None
    if kind in ("cost", "both"):
        cost = Cost(draw(st.one_of(numbers, st.none())), draw(currencies),
                    datetime.date(2025, 1, 1), None)
    if kind in ("price", "both"):
        price = Amount(draw(numbers), draw(currencies))
    if kind == "total" and isinstance(units, Amount) and isinstance(units.number, Decimal) \
            and units.number:
        # What the parser makes of `@@ total`: a price per unit, often a long quotient.
        price = Amount(draw(numbers) / abs(units.number), draw(currencies))
    meta = draw(st.sampled_from([
        None, {}, {"filename": "a", "lineno": 1},
        {interpolate.AUTOMATIC_META: True},
        {interpolate.AUTOMATIC_META: True, interpolate.AUTOMATIC_RESIDUAL: True},
        {interpolate.AUTOMATIC_RESIDUAL: False},
    ]))
    return data.Posting("Assets:A", units, cost, price, None, meta)


@st.composite
def transactions(draw):
    chosen = draw(st.lists(postings(simple=draw(st.booleans())), min_size=0, max_size=5))
    if draw(st.booleans()):
        # Balance the plain postings per currency (most co-op transactions), sometimes
        # with the last posting a little off.
        sums: dict[str, Decimal] = {}
        for posting in chosen:
            if isinstance(posting.units, Amount) and isinstance(posting.units.number, Decimal):
                currency = posting.units.currency
                sums[currency] = sums.get(currency, Decimal(0)) + posting.units.number
        for currency, total in sums.items():
            off = draw(st.sampled_from([Decimal(0), Decimal(0), Decimal("0.001"),
                                        Decimal("-0.01"), Decimal("1")]))
            # Sometimes the balancing posting is one Beancount added for the residual,
            # which the check leaves out.
            meta = draw(st.sampled_from([{}, {interpolate.AUTOMATIC_META: True,
                                              interpolate.AUTOMATIC_RESIDUAL: True}]))
            chosen.append(data.Posting("Assets:B", Amount(-total + off, currency),
                                       None, None, None, meta))
        chosen = draw(st.permutations(chosen))
    meta = data.new_metadata("main.beancount", draw(st.integers(1, 999)))
    return data.Transaction(meta, datetime.date(2025, 1, 2), "*", None, "t",
                            frozenset(), frozenset(), list(chosen))


@st.composite
def options_maps(draw):
    options = dict(beancount_options.OPTIONS_DEFAULTS)
    options["inferred_tolerance_default"] = draw(st.dictionaries(
        st.sampled_from(["*", *CURRENCIES]),
        st.sampled_from([Decimal("0.005"), Decimal("0"), Decimal("0.5"), Decimal("-0.01")]),
        max_size=3))
    options["tolerance_multiplier"] = draw(st.sampled_from(
        [Decimal("0.5"), Decimal("1.1"), Decimal("0"), Decimal("-1")]))
    options["infer_tolerance_from_cost"] = draw(st.booleans())
    return options


def _outcome(check, entries, options):
    try:
        errors = check(entries, options)
    except Exception as error:  # broken data must fail the same way
        return ("raised", type(error))
    return [(type(e), e.message, e.source, id(e.entry)) for e in errors]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(transactions(), max_size=6), options_maps())
def test_the_same_errors_as_beancounts_check(entries, options):
    entries = [data.Open(data.new_metadata("main.beancount", 1), datetime.date(2025, 1, 1),
                         "Assets:A", None, None), *entries]
    beancounts = validation.validate_check_transaction_balances
    assert (_outcome(check_transaction_balances, entries, options)
            == _outcome(beancounts, entries, options))
    # One by one too: broken data that makes both raise must not hide the others.
    for entry in entries:
        assert (_outcome(check_transaction_balances, [entry], options)
                == _outcome(beancounts, [entry], options))


def _transaction(*postings):
    return data.Transaction(data.new_metadata("main.beancount", 3), datetime.date(2025, 1, 2),
                            "*", None, "t", frozenset(), frozenset(), [
                                data.Posting(account, Amount(Decimal(number), currency),
                                             None, None, None, {})
                                for account, number, currency in postings])


def test_balanced_transactions_skip_beancounts_work_and_others_get_its_message(monkeypatch):
    calls = []
    compute = interpolate.compute_residual
    monkeypatch.setattr(interpolate, "compute_residual",
                        lambda postings: calls.append(postings) or compute(postings))
    balanced = _transaction(("Assets:Bank", "10.00", "USD"), ("Income:Sales", "-10.00", "USD"),
                            ("Assets:Bank", "3", "EUR"), ("Income:Sales", "-3.000", "EUR"))
    off = _transaction(("Assets:Bank", "10.00", "USD"), ("Income:Sales", "-9.98", "USD"))
    within = _transaction(("Assets:Bank", "10.00", "USD"), ("Income:Sales", "-9.996", "USD"))
    # A posting Beancount added for a rounding residual does not count in the check.
    residual = _transaction(("Assets:Bank", "10.00", "USD"), ("Income:Sales", "-10.00", "USD"))
    residual.postings[1] = residual.postings[1]._replace(
        meta={interpolate.AUTOMATIC_META: True, interpolate.AUTOMATIC_RESIDUAL: True})
    options = dict(beancount_options.OPTIONS_DEFAULTS)
    errors = check_transaction_balances([balanced, off, within, residual], options)
    assert [e.message for e in errors] == ["Transaction does not balance: (0.02 USD)",
                                           "Transaction does not balance: (10.00 USD)"]
    assert errors[0].entry is off and errors[0].source is off.meta
    # Only those that do not add up to exactly zero were given to Beancount's steps.
    assert calls == [off.postings, within.postings, residual.postings]


def _extra(entries, options_map):
    return []


def test_installed_while_the_block_runs_and_not_with_a_plain_load(monkeypatch):
    before = validation.VALIDATIONS
    original = validation.validate_check_transaction_balances
    with quick_beancount():
        inside = validation.VALIDATIONS
        with quick_beancount():
            assert validation.VALIDATIONS is inside
        assert validation.VALIDATIONS is inside
        assert inside == [check_transaction_balances if c is original else c for c in before]
        assert original not in inside and inside is not before
        # validate() may add extra validations to the list: Beancount's own stays as it was.
        validation.validate([], dict(beancount_options.OPTIONS_DEFAULTS), None, [_extra])
    assert validation.VALIDATIONS is before and _extra not in before
    monkeypatch.setenv(PLAIN, "1")
    with quick_beancount():
        assert validation.VALIDATIONS is before


def test_restored_when_the_load_fails():
    before = validation.VALIDATIONS
    with pytest.raises(ValueError), quick_beancount():
        raise ValueError
    assert validation.VALIDATIONS is before


UNBALANCED = """\
plugin "coop_beancount.plugins.coop"

2025-01-01 open Assets:Bank USD
2025-01-01 open Assets:Cash
2025-01-01 open Income:Sales USD

2025-01-02 * "Balanced"
  Assets:Bank               10.00 USD
  Income:Sales             -10.00 USD

2025-01-03 * "Off by two cents"
  Assets:Bank               10.00 USD
  Income:Sales              -9.98 USD

2025-01-04 * "Off at a price"
  Assets:Cash               10.00 EUR @ 1.10 USD
  Income:Sales             -11.20 USD
"""


def _spied(monkeypatch):
    from coop_beancount.books import balance_check

    seen = []
    check = balance_check.check_transaction_balances
    monkeypatch.setattr(balance_check, "check_transaction_balances",
                        lambda entries, options: seen.append(1) or check(entries, options))
    return seen


def test_the_commands_loads_use_it_with_the_same_errors(tmp_path, monkeypatch):
    from coop_beancount.books.loading import format_error, load_books

    books = tmp_path / "main.beancount"
    books.write_text(UNBALANCED)
    seen = _spied(monkeypatch)
    fast = [format_error(e) for e in load_books(books).errors]
    assert seen == [1]
    assert [m for m in fast if "does not balance" in m] == [
        f"{books}:11: Transaction does not balance: (0.02 USD)",
        f"{books}:15: Transaction does not balance: (-0.2000 USD)"]
    monkeypatch.setenv(PLAIN, "1")
    assert [format_error(e) for e in load_books(books).errors] == fast
    assert seen == [1]


def test_coop_serves_fava_loads_use_it_with_the_same_errors(tmp_path, monkeypatch):
    from fava.core import FavaLedger

    from coop_beancount.cli.books import quick_fava_loads

    load_file = FavaLedger.load_file
    if getattr(load_file, "collector_kept_out", False):
        load_file = load_file.__wrapped__
    monkeypatch.setattr(FavaLedger, "load_file", load_file)
    books = tmp_path / "main.beancount"
    books.write_text(UNBALANCED)

    def errors():
        ledger = FavaLedger(str(books))
        return [(e.source and e.source.get("lineno"), e.message) for e in ledger.errors]

    seen = _spied(monkeypatch)
    plain = errors()
    assert seen == [] and len([m for _, m in plain if "does not balance" in m]) == 2
    quick_fava_loads()
    assert errors() == plain and seen == [1]
