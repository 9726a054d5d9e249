"""books/quick_pad.py: Beancount's pad step, the same entries and errors."""

import datetime

import pytest
from beancount import loader
from beancount.core import data
from beancount.ops import pad as beancount_pad
from beancount.parser import booking, parser

from coop_beancount.books import quick_pad
from coop_beancount.books.quick_loads import quick_beancount

WITHOUT_PAD = """\
2025-01-01 open Assets:Bank USD
2025-01-01 open Income:Sales USD
2025-01-01 custom "budget" Assets:Bank "monthly" 100.00 USD

2025-01-02 * "A sale"
  Assets:Bank               10.00 USD
  Income:Sales             -10.00 USD

2025-01-03 balance Assets:Bank 10.00 USD
2025-01-04 note Assets:Bank "a note"
"""

WITH_PADS = WITHOUT_PAD + """\
2025-01-01 open Equity:Opening USD
2025-01-01 open Assets:Cash USD
2025-01-05 pad Assets:Bank Equity:Opening
2025-01-06 balance Assets:Bank 25.00 USD
2025-01-05 pad Assets:Cash Equity:Opening
"""


def _booked(text):
    entries, errors, options = parser.parse_string(text)
    assert not errors
    entries.sort(key=data.entry_sortkey)
    entries, errors = booking.book(entries, options)
    assert not errors
    return entries, options


def _outcome(function, entries, options):
    try:
        result, errors = function(entries, options)
    except Exception as error:  # broken entries must fail the same way
        return ("raised", type(error), str(error))
    return result, [(type(e), e.message, e.source, e.entry) for e in errors]


@pytest.mark.parametrize("text", [WITHOUT_PAD, WITH_PADS, ""])
def test_the_same_entries_and_errors_as_beancounts_pad(text):
    entries, options = _booked(text)
    ours = _outcome(quick_pad.pad, entries, options)
    assert ours == _outcome(quick_pad.BEANCOUNT_PAD, entries, options)
    assert ours[0] is not entries  # a new list, as Beancount's
    if text is WITH_PADS:
        # The padding transaction and the unused pad's error are Beancount's.
        assert any(e.flag == "P" for e in ours[0] if isinstance(e, data.Transaction))
        assert [m for _, m, *_ in ours[1]] == ["Unused Pad entry"]


def test_broken_entries_fail_as_in_beancounts_pad():
    entries, options = _booked(WITHOUT_PAD)
    broken = [*entries, data.Transaction(data.new_metadata("x", 1), datetime.date(2025, 2, 1),
                                         "*", None, "", frozenset(), frozenset(), None)]
    ours = _outcome(quick_pad.pad, broken, options)
    assert ours[0] == "raised"
    assert ours == _outcome(quick_pad.BEANCOUNT_PAD, broken, options)


def test_beancounts_pad_is_given_books_with_a_pad(monkeypatch):
    calls = []
    monkeypatch.setattr(quick_pad, "BEANCOUNT_PAD",
                        lambda entries, options: calls.append(1) or ([], []))
    for text in (WITHOUT_PAD, WITH_PADS):
        quick_pad.pad(*_booked(text))
    assert calls == [1]


def test_a_load_inside_quick_beancount_uses_it(monkeypatch):
    calls = []
    original = quick_pad.pad
    monkeypatch.setattr(quick_pad, "pad", lambda *a: calls.append(1) or original(*a))
    plain = loader.load_string(WITH_PADS)
    with quick_beancount():
        assert beancount_pad.pad is not quick_pad.BEANCOUNT_PAD
        quick = loader.load_string(WITH_PADS)
    assert beancount_pad.pad is quick_pad.BEANCOUNT_PAD
    assert calls == [1]
    assert [(type(e), e.message) for e in quick[1]] == [(type(e), e.message) for e in plain[1]]
    assert quick[0] == plain[0]
