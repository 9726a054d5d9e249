"""The non-member part of a pool's margin, derived by the plugin from the till's
`coop-non-member-business` totals: the margin in proportion to the business done with
non-members, kept by the co-op as unallocated equity; the rest is allocated."""

from __future__ import annotations

from decimal import Decimal

from coop_beancount.core.patronage import non_member_part
from coop_beancount.reports.patronage import draft_pool
from coop_beancount.reports.view import CoopBooks
from tests.support import assert_one_error_at, coop_errors, line_no

D = Decimal

#: A grocery's FY2024: sales 1,000.00, costs 400.00 (a margin of 600.00); owners bought
#: 300 + 500, non-owners 200 in two months (one total in the next year, which is not FY2024's);
#: both owners consented in writing, so the pool's notices may be qualified.
BOOKS = """
    2024-01-01 open Assets:Cash USD
    2024-01-01 open Income:Sales USD
    2024-01-01 open Expenses:Goods USD
    2024-01-01 custom "coop-measure" "purchases"
    2024-01-01 custom "coop-member" "1001" "Ann"
    2024-01-01 custom "coop-member" "1002" "Bo"
    2024-01-01 custom "coop-consent" "1001" "written"
    2024-01-01 custom "coop-consent" "1002" "written"
    2024-06-30 custom "coop-patronage" "1001" "purchases" 300
    2024-06-30 custom "coop-patronage" "1002" "purchases" 500
    2024-06-30 custom "coop-non-member-business" "purchases" 150.00 "till 2024-06"
    2024-07-31 custom "coop-non-member-business" "purchases" 50.00 "till 2024-07"
    2025-01-31 custom "coop-non-member-business" "purchases" 999.00 "till 2025-01"
    2024-12-31 * "Sales"
      Assets:Cash  1000.00 USD
      Income:Sales
    2024-12-31 * "Goods"
      Assets:Cash  -400.00 USD
      Expenses:Goods
    """
DECISION = """
    2025-03-01 custom "coop-allocation" 2024 "purchases"
      margin: "Income:Sales Expenses:Goods"
      measure: "purchases"
      reserve: "10%"
      cash: "20%"
      paid: 2025-03-15
      late: TRUE
    """


def allocation(entries):
    found = [e for e in entries if e.meta.get("coop-generated") == "allocation"]
    assert len(found) == 1
    return found[0]


def test_the_margin_is_split_by_member_and_non_member_business(load):
    entries, errors, _ = load(BOOKS + DECISION)
    assert errors == []
    entry = allocation(entries)
    meta = entry.meta
    # 600.00 x 200 / (800 + 200) = 120.00 is the co-op's; 480.00 is the patronage margin.
    assert meta["coop-non-member-business"] == D("200.00")
    assert meta["coop-non-member-part"] == D("120.00")
    assert meta["coop-non-patronage"] == D("120.00")
    assert meta["coop-margin"] == D("480.00")
    assert meta["coop-reserve"] == D("48.00")
    assert meta["coop-pool-amount"] == D("432.00")
    amounts = {}
    for posting in entry.postings:
        amounts[posting.account] = amounts.get(posting.account, D(0)) + posting.units.number
    # The whole margin is drawn; reserve and non-member part stay the co-op's.
    assert amounts["Equity:Earnings:Previous"] == D("600.00")
    assert amounts["Equity:Coop:Unallocated"] == D("-168.00")
    assert sum(amounts.values()) == 0
    # The entry points back at the decision: its file and line.
    assert meta["lineno"] == line_no(BOOKS + DECISION, 'custom "coop-allocation"')


def test_without_non_member_business_the_whole_margin_is_patronage(load):
    books = "\n".join(line for line in BOOKS.splitlines() if "non-member" not in line)
    entries, errors, _ = load(books + DECISION)
    assert errors == []
    meta = allocation(entries).meta
    assert meta["coop-margin"] == D("600.00")
    assert "coop-non-member-part" not in meta


def test_the_odd_cent_is_rounded_half_up_and_the_parts_add_up():
    # 100.00 x 1 / 3 = 33.333...: 33.33 non-member, 66.67 patronage.
    assert non_member_part(D("100.00"), D(2), D(1)) == D("33.33")
    # 0.05 x 1 / 2 = 0.025: half up, 0.03.
    assert non_member_part(D("0.05"), D(1), D(1)) == D("0.03")
    assert non_member_part(D("100.00"), D(5), D(0)) == D("0.00")
    # The example's figures (examples/grocery-coop/README.md).
    assert non_member_part(D("36710.41"), D("593269.78"), D("140938.53")) == D("7046.93")


def test_negative_non_member_business_is_an_error_at_the_decision(load):
    books = BOOKS.replace('"purchases" 50.00 "till 2024-07"', '"purchases" -250.00 "till 2024-07"')
    entries, errors, _ = load(books + DECISION)
    assert_one_error_at(errors, books + DECISION, 'custom "coop-allocation"',
                        "non-members", "-100.00", "less than nothing")
    assert not [e for e in entries if e.meta.get("coop-generated") == "allocation"]


def test_the_what_if_of_a_draft_takes_the_same_part(load):
    draft = DECISION.replace("late: TRUE", "late: TRUE\n      draft: TRUE")
    entries, errors, options = load(BOOKS + draft)
    assert coop_errors(errors) == []
    books = CoopBooks.from_entries(entries, options)
    pool = draft_pool(books, books.records.decisions[0])
    assert (pool.non_member_part, pool.result.margin, pool.non_patronage) == (
        D("120.00"), D("480.00"), D("120.00"))
