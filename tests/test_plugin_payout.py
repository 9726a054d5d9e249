"""A leaver's payout schedule (`coop-payout`): their retained equity paid back in instalments."""

from __future__ import annotations

import datetime
from decimal import Decimal

from beancount import loader
from beancount.core import data

from tests.support import WORKED, coop_errors

D = Decimal

BOOKS = WORKED.replace("'as_of': '2026-12-31'", "'as_of': '2031-12-31'") + """
2026-12-31 custom "coop-leave" "G1"
2027-01-15 custom "coop-payout" "G1" 5 "yearly"
"""


def load(text: str) -> tuple[list, list]:
    entries, errors, _ = loader.load_string(text)
    return entries, errors


def line_of(text: str, needle: str) -> int:
    found = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) == 1
    return found[0]


def outstanding(entries: list, member: str, before: datetime.date) -> Decimal:
    root = f"Equity:Members:{member}:Allocated"
    return -sum((p.units.number for e in entries if isinstance(e, data.Transaction)
                 and e.date < before for p in e.postings if p.account.startswith(root)),
                D(0))


def instalments(entries: list) -> list[data.Transaction]:
    return [e for e in entries if isinstance(e, data.Transaction) and "coop-instalment" in e.meta]


def test_five_yearly_instalments_pay_back_what_was_outstanding_to_the_cent():
    entries, errors = load(BOOKS)
    assert errors == []
    total = outstanding(entries, "G1", datetime.date(2027, 1, 15))
    assert total > 0
    found = instalments(entries)
    assert [e.date for e in found] == [datetime.date(2027 + i, 1, 15) for i in range(5)]
    assert [e.meta["coop-instalment"] for e in found] == [f"{i} of 5" for i in range(1, 6)]
    amounts = [sum(p.units.number for p in e.postings if p.account.startswith(
        "Equity:Members:G1:")) for e in found]
    assert sum(amounts) == total
    assert max(amounts) - min(amounts) <= D("0.01")
    assert amounts == sorted(amounts, reverse=True)  # odd cents to the earliest
    # Each is credited to the leaver's payable, where the co-op pays it from.
    for entry, amount in zip(found, amounts, strict=True):
        payable = [p for p in entry.postings if p.account == "Liabilities:Members:G1:Payable"]
        assert [p.units.number for p in payable] == [-amount]
    assert outstanding(entries, "G1", datetime.date(2032, 1, 1)) == 0


def test_only_the_instalments_up_to_as_of_are_booked():
    entries, errors = load(BOOKS.replace("'as_of': '2031-12-31'", "'as_of': '2028-06-30'"))
    assert errors == []
    assert [e.date.year for e in instalments(entries)] == [2027, 2028]


def test_a_payout_for_a_member_still_active_is_an_error_at_its_line():
    text = BOOKS.replace('2026-12-31 custom "coop-leave" "G1"\n', "")
    entries, errors = load(text)
    found = [e for e in coop_errors(errors) if e.source.get("lineno") ==
             line_of(text, '"coop-payout"')]
    assert len(found) == 1
    assert "'G1', who is still a member" in found[0].message
    assert "coop-leave" in found[0].message
    assert instalments(entries) == []


def test_a_payout_with_nothing_outstanding_or_for_an_unknown_member_is_an_error():
    text = BOOKS.replace('"coop-payout" "G1"', '"coop-payout" "G9"')
    _, errors = load(text)
    assert any("unknown member 'G9'" in e.message for e in coop_errors(errors))
    # Before the FY2025 dividend is paid (2026-03-15), G1 has no retained equity yet.
    text = BOOKS.replace('2027-01-15 custom "coop-payout"', '2026-03-01 custom "coop-payout"')
    text = text.replace('2026-12-31 custom "coop-leave"', '2026-02-01 custom "coop-leave"')
    _, errors = load(text)
    assert any("nothing of G1's retained equity is outstanding" in e.message
               for e in coop_errors(errors))


def test_wrong_payout_values_are_errors():
    for line, words in (('"coop-payout" "G1" 0 "yearly"', "whole number of instalments"),
                        ('"coop-payout" "G1" 5 "weekly"', "monthly, quarterly, yearly")):
        text = BOOKS.replace('"coop-payout" "G1" 5 "yearly"', line)
        _, errors = load(text)
        assert any(words in e.message for e in coop_errors(errors)), errors
