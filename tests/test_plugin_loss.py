"""A year's loss charged to the collective account and to members' capital accounts
(`coop-allocation ... loss: "charge"`)."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from beancount import loader
from beancount.core import data

from coop_beancount.core.allocation import allocate
from tests.support import WORKED, coop_errors

D = Decimal

LOSS_YEAR = """
2026-05-01 * "Sales"
  Assets:Bank  1000.00 USD
  Income:Patronage:Sales
2026-05-02 * "Costs"
  Assets:Bank  -9000.00 USD
  Expenses:Growing
2026-10-01 custom "coop-patronage" "G1" "barrels" 1000
2026-10-01 custom "coop-patronage" "G2" "barrels" 3000
2026-10-01 custom "coop-patronage" "G3" "barrels" 6000

2027-03-01 custom "coop-allocation" 2026 "barrels"
  margin: "Income:Patronage Expenses:Growing"
  measure: "barrels"
  reserve: "25%"
  loss: "charge"
"""
BOOKS = WORKED.replace("'as_of': '2026-12-31'", "'as_of': '2027-12-31'") + LOSS_YEAR
PATRONAGE = {"G1": D(1000), "G2": D(3000), "G3": D(6000)}


def load(text: str) -> tuple[list, list]:
    entries, errors, _ = loader.load_string(text)
    return entries, errors


def capital(entries: list, member: str, before: datetime.date) -> Decimal:
    """The member's retained equity (allocated and losses) before a date: a credit is positive."""
    roots = (f"Equity:Members:{member}:Allocated", f"Equity:Members:{member}:Losses")
    return -sum((p.units.number for e in entries if isinstance(e, data.Transaction)
                 and e.date < before for p in e.postings if p.account.startswith(roots)), D(0))


def test_a_loss_is_shared_by_the_collective_share_and_by_patronage_to_the_cent():
    entries, errors = load(BOOKS)
    assert errors == []
    (entry,) = [e for e in entries if isinstance(e, data.Transaction)
                and e.meta.get("coop-generated") == "loss"]
    loss = D("8000.00")
    collective = (loss * D("0.25")).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert entry.meta["coop-loss"] == loss and entry.meta["coop-collective"] == collective
    parts = allocate(loss - collective, PATRONAGE, None)
    charged: dict[str, Decimal] = {}
    for posting in entry.postings:
        if posting.meta.get("coop-kind") == "loss":
            member = posting.account.split(":")[2]
            charged[member] = charged.get(member, D(0)) + posting.units.number
    assert charged == parts
    unallocated = [p.units.number for p in entry.postings
                   if p.account == "Equity:Coop:Unallocated"]
    assert unallocated == [collective]
    # Each member's capital account goes down by their part, to the cent.
    after = datetime.date(2027, 3, 2)
    for member, part in parts.items():
        assert capital(entries, member, after) == capital(entries, member, entry.date) - part


def test_the_part_beyond_a_members_equity_is_left_on_losses():
    entries, _ = load(BOOKS)
    (entry,) = [e for e in entries if isinstance(e, data.Transaction)
                and e.meta.get("coop-generated") == "loss"]
    parts = allocate(D("6000.00"), PATRONAGE, None)
    g3_equity = capital(entries, "G3", entry.date)
    assert parts["G3"] > g3_equity  # G3's part is more than their retained equity
    losses = [p.units.number for p in entry.postings
              if p.account == "Equity:Members:G3:Losses:FY2026"]
    assert losses == [parts["G3"] - g3_equity]
    # G1's part fits in their equity: nothing on a Losses account.
    assert not any(p.account.startswith("Equity:Members:G1:Losses") for p in entry.postings)


def test_a_negative_margin_without_loss_is_an_error_that_names_the_fix():
    text = BOOKS.replace('  loss: "charge"\n', '  cash: "20%"\n  paid: 2027-03-15\n')
    _, errors = load(text)
    (error,) = coop_errors(errors)
    assert "negative margin (-8000.00)" in error.message
    assert 'add loss: "charge"' in error.message


def test_loss_on_a_year_with_a_surplus_or_an_unknown_way_is_an_error():
    text = BOOKS.replace("Assets:Bank  -9000.00 USD", "Assets:Bank  -900.00 USD")
    _, errors = load(text)
    (error,) = coop_errors(errors)
    assert "has a margin of 100.00 USD, not a loss" in error.message
    _, errors = load(BOOKS.replace('loss: "charge"', 'loss: "spread"'))
    (error,) = coop_errors(errors)
    assert "'spread' is not a way to book a loss" in error.message
