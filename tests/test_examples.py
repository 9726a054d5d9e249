"""The bundled books: every example and the starter set check clean, and the
yogurt co-op's figures are what its README says."""

from decimal import Decimal
from pathlib import Path

import pytest

from coop_beancount.books import load_books
from coop_beancount.reports import CoopBooks, member_rows

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/main.beancount"))


@pytest.mark.parametrize("main", [*EXAMPLES, ROOT / "ledgers" / "main.beancount"],
                         ids=lambda p: p.parent.name)
def test_books_check_clean(main):
    loaded = load_books(main)
    assert loaded.errors == []


def test_yogurt_coop_members():
    loaded = load_books(ROOT / "examples" / "yogurt-coop" / "main.beancount")
    rows = {row.key: row for row in member_rows(CoopBooks.from_entries(loaded.entries,
                                                                       loaded.options))}
    assert len(rows) == 8
    assert [k for k, r in rows.items() if r.left] == ["Dana"]
    assert str(rows["Dana"].left) == "2025-07-31"
    assert rows["Dana"].capital == {} and rows["Dana"].payable == {}
    owed = {k: str(r.dues_owed.get("USD", 0)) for k, r in rows.items() if r.dues_owed}
    assert owed == {"Eli": "5.00", "Gus": "10.00"}
    unpaid = {k: str(r.shares_paid.get("USD")) for k, r in rows.items()
              if r.shares_paid != r.shares_subscribed and not r.left}
    assert unpaid == {"Gus": "15.00", "Hana": "10.00"}
    assert sum(r.hours for r in rows.values()) == Decimal("370.5")
