"""reports/view.py: each member's postings are listed only when a report asks, and are
the same postings the view's balances are made of."""

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from coop_beancount.books.loading import load_books
from coop_beancount.reports.view import CoopBooks

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*/main.beancount"))


@pytest.mark.parametrize("main", EXAMPLES, ids=lambda p: p.parent.name)
def test_postings_listed_on_first_use_agree_with_the_balances(main):
    loaded = load_books(main)
    books = CoopBooks.from_entries(loaded.entries, loaded.options)
    assert "postings" not in books._kept  # nothing listed until a report asks
    postings = books.postings
    assert books.postings is postings  # listed once, then kept
    assert postings and set(postings) == set(books.account_totals)
    totals: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(Decimal)))
    for key, listed in postings.items():
        for posting in listed:
            totals[key][posting.account][posting.currency] += posting.number
        assert {account: {c: n for c, n in money.items()}
                for account, money in totals[key].items()} == books.account_totals[key]
        # The retained equity postings are the same postings, in the same order.
        assert [p for p in listed if books.chart.retained_equity(p.account) is not None] \
            == books.retained_postings.get(key, [])
        dates = [p.entry.date for p in listed]
        assert dates == sorted(dates)
