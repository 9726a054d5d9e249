"""Patronage dividends in the coop plugin: measures, retains, board decisions, redemptions."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from beancount import loader
from beancount.core import data
from hypothesis import given, settings
from hypothesis import strategies as st

from coop_beancount.core.errors import CoopError
from coop_beancount.core.patronage import FiscalCalendar
from tests.conftest import HEADER, PLUGIN
from tests.support import FILENAME, WORKED, assert_one_error_at, coop_errors, line_no

D = Decimal

# The domain notes' worked example, a year earlier so the default header (as_of 2025-12-31)
# sees the dividend paid: FY2024, paid 2025-03-15. Indented like the texts it is joined to.
BOOKS = """
    2024-01-01 open Assets:Cash USD
    2024-01-01 open Income:Patronage:Sales USD
    2024-01-01 open Expenses:Growing USD
    2024-01-01 open Income:NonPatronage:Interest USD
    2024-01-01 custom "coop-measure" "barrels"
    2024-01-01 custom "coop-consent" "G1" "written"
    2024-01-01 custom "coop-member" "G1" "Grower One"
    2024-01-01 custom "coop-consent" "G2" "written"
    2024-01-01 custom "coop-member" "G2" "Grower Two"
    2024-01-01 custom "coop-consent" "G3" "written"
    2024-01-01 custom "coop-member" "G3" "Grower Three"
    2024-01-01 custom "coop-consent" "G4" "written"
    2024-01-01 custom "coop-member" "G4" "Grower Four"
    2024-10-01 custom "coop-patronage" "G1" "barrels" 12000
    2024-10-01 custom "coop-patronage" "G2" "barrels" 7500
    2024-10-01 custom "coop-patronage" "G3" "barrels" 3333
    2024-10-01 custom "coop-patronage" "G4" "barrels" 950
    2024-11-01 * "Sales"
      Assets:Cash  60000.00 USD
      Income:Patronage:Sales
    2024-11-02 * "Costs"
      Assets:Cash  -12000.00 USD
      Expenses:Growing
    2024-11-03 * "Interest"
      Assets:Cash  2500.00 USD
      Income:NonPatronage:Interest
    """

DECISION_DEFAULTS = {
    "margin": '"Income:Patronage Expenses:Growing"',
    "non-patronage": '"Income:NonPatronage"',
    "measure": '"barrels"',
    "reserve": '"10%"',
    "cash": '"20%"',
    "paid": "2025-03-15",
    # These books never pay the cash parts out of the payables (test_cash_paid.py does):
    # the board's late: TRUE keeps the payment-period rule out of the tests of other rules.
    "late": "TRUE",
}

ALLOCATED = {"G1": D("17437.66"), "G2": D("10898.54"), "G3": D("4843.31"),
             "G4": D("1380.48")}
CASH = {"G1": D("4359.42"), "G2": D("2724.64"), "G3": D("1210.83"), "G4": D("345.12")}
ALLOCATIONS = {"G1": D("21797.08"), "G2": D("13623.18"), "G3": D("6054.14"),
               "G4": D("1725.60")}


def decision(year: str = "2024", pool: str | None = None, date: str = "2025-03-01",
             **changes: str | None) -> str:
    """A coop-allocation directive (indented like BOOKS); `non_patronage=None` drops a key."""
    meta = dict(DECISION_DEFAULTS)
    for key, value in changes.items():
        meta[key.replace("_", "-")] = value
    args = f'{year} "{pool}"' if pool is not None else year
    lines = [f'    {date} custom "coop-allocation" {args}']
    lines += [f"      {key}: {value}" for key, value in meta.items() if value is not None]
    return "\n" + "\n".join(lines) + "\n"


def plugin_header(config: str) -> str:
    return HEADER.replace("{'as_of': '2025-12-31'}", config)


def generated(entries: list, kind: str) -> list[data.Transaction]:
    return [e for e in entries if isinstance(e, data.Transaction)
            and e.meta.get("coop-generated") == kind]


def one(entries: list, kind: str) -> data.Transaction:
    found = generated(entries, kind)
    assert len(found) == 1, f"{len(found)} {kind} entries"
    return found[0]


def postings(entry: data.Transaction) -> dict[str, Decimal]:
    result: dict[str, Decimal] = defaultdict(Decimal)
    for posting in entry.postings:
        result[posting.account] += posting.units.number
    return dict(result)


def assert_balanced(entries: list) -> None:
    """Every transaction balances exactly, not merely within Beancount's tolerance."""
    for entry in entries:
        if isinstance(entry, data.Transaction):
            sums: dict[str, Decimal] = defaultdict(Decimal)
            for posting in entry.postings:
                sums[posting.units.currency] += posting.units.number
            assert all(total == 0 for total in sums.values()), (entry.narration, dict(sums))


def balance(entries: list, account: str) -> Decimal:
    return sum((p.units.number for e in entries if isinstance(e, data.Transaction)
                for p in e.postings if p.account == account), D(0))


def clean(load, text: str, header: str = HEADER) -> list:
    entries, errors, _ = load(text, header)
    assert errors == [], [(e.source, e.message) for e in errors]
    assert_balanced(entries)
    return entries


def opens(entries: list) -> dict[str, data.Open]:
    found: dict[str, data.Open] = {}
    for entry in entries:
        if isinstance(entry, data.Open):
            assert entry.account not in found, f"{entry.account} opened twice"
            found[entry.account] = entry
    return found


# --- the worked example -----------------------------------------------------------------------



def test_the_worked_example_derives_the_domain_notes_figures():
    entries, errors, _ = loader.load_string(WORKED)
    assert errors == [], [(e.source, e.message) for e in errors]
    assert_balanced(entries)
    entry = one(entries, "allocation")
    assert entry.date.isoformat() == "2026-03-15"
    assert entry.meta["filename"] == FILENAME
    assert entry.meta["lineno"] == WORKED.splitlines().index(
        '2026-03-01 custom "coop-allocation" 2025 "barrels"') + 1
    expected = {
        "Equity:Earnings:Previous": D("50500.00"),
        "Equity:Coop:Unallocated": D("-7300.00"),
    }
    for member in ALLOCATED:
        expected[f"Liabilities:Members:{member}:Payable"] = -CASH[member]
        expected[f"Equity:Members:{member}:Allocated:FY2025"] = -ALLOCATED[member]
    assert postings(entry) == expected
    meta = {key: value for key, value in entry.meta.items() if key.startswith("coop-")}
    assert meta == {
        "coop-generated": "allocation", "coop-year": D(2025), "coop-pool": "barrels",
        "coop-measure": "barrels", "coop-margin": D("48000.00"), "coop-reserve": D("4800.00"),
        "coop-non-patronage": D("2500.00"), "coop-pool-amount": D("43200.00"),
        "coop-patronage-total": D(23783), "coop-reserve-share": "10%",
        "coop-cash-share": "20%", "coop-qualified": True,
    }
    for posting in entry.postings:
        member = posting.account.split(":")[2]
        if member in ALLOCATED:
            assert posting.meta["coop-allocation"] == ALLOCATIONS[member]
            assert posting.meta["coop-kind"] == (
                "cash" if posting.account.endswith("Payable") else "qualified")
    assert sum(ALLOCATIONS.values()) == D("43200.00")

    redemption = one(entries, "equity-redemption")
    assert redemption.date.isoformat() == "2026-06-30"
    assert redemption.meta["coop-budget"] == D("10000.00")
    redeemed = {a: n for a, n in postings(redemption).items() if a.startswith("Equity")}
    assert sum(redeemed.values()) == D("10000.00")
    total = sum(ALLOCATED.values())
    for member, retained in ALLOCATED.items():
        exact = Fraction(10000) * Fraction(retained) / Fraction(total)
        part = redeemed[f"Equity:Members:{member}:Allocated:FY2025"]
        assert abs(Fraction(part) - exact) < Fraction(1, 100)
        assert postings(redemption)[f"Liabilities:Members:{member}:Payable"] == -part
    assert {p.meta.get("coop-kind") for p in redemption.postings
            if p.account.startswith("Equity")} == {"redeemed"}
    # The income and expense accounts are left as booked: the margin is drawn from earnings.
    assert balance(entries, "Income:Patronage:Sales") == D("-60000.00")
    assert balance(entries, "Equity:Coop:Unallocated") == D("-7300.00")


def test_the_worked_example_a_year_earlier_through_the_fixture(load):
    entries = clean(load, BOOKS + decision())
    entry = one(entries, "allocation")
    assert entry.date.isoformat() == "2025-03-15"
    for member in ALLOCATED:
        assert balance(entries, f"Equity:Members:{member}:Allocated:FY2024") == -ALLOCATED[
            member]
        assert balance(entries, f"Liabilities:Members:{member}:Payable") == -CASH[member]
    assert entry.meta["lineno"] == line_no(BOOKS + decision(), 'custom "coop-allocation"')


def test_opens_for_the_accounts_the_dividend_uses(load):
    text = BOOKS + decision()
    opened = opens(clean(load, text))
    allocated = opened["Equity:Members:G1:Allocated:FY2024"]
    assert allocated.date.isoformat() == "2024-01-01"  # member accounts open on joining
    assert allocated.meta["coop-generated"] == "open"
    assert allocated.meta["lineno"] == line_no(text, '"coop-member" "G1"')
    for account in ("Equity:Coop:Unallocated", "Equity:Earnings:Previous"):
        assert opened[account].date.isoformat() == "2025-03-15"
        assert opened[account].meta["coop-generated"] == "open"
    assert "Equity:Members:G1:Allocated:FY2024:NonQualified" not in opened


def test_an_account_the_user_opened_is_not_opened_again(load):
    text = BOOKS + decision() + """
    2020-01-01 open Equity:Coop:Unallocated USD
    """
    opened = opens(clean(load, text))
    assert "coop-generated" not in opened["Equity:Coop:Unallocated"].meta


def test_no_reserve_and_no_non_patronage(load):
    entries = clean(load, BOOKS + decision(reserve=None, non_patronage=None, cash='"100%"'))
    entry = one(entries, "allocation")
    assert postings(entry)["Equity:Earnings:Previous"] == D("48000.00")
    assert "Equity:Coop:Unallocated" not in postings(entry)
    assert entry.meta["coop-reserve-share"] == "0%"
    # All cash: no retained part, so no equity posting at all.
    assert not any(a.startswith("Equity:Members") for a in postings(entry))
    assert sum(v for a, v in postings(entry).items() if a.endswith("Payable")) == D(
        "-48000.00")


def test_the_pool_name_is_in_the_entry(load):
    entry = one(clean(load, BOOKS + decision(pool="cranberries")), "allocation")
    assert entry.meta["coop-pool"] == "cranberries"
    assert "cranberries" in entry.narration
    entry = one(clean(load, BOOKS + decision()), "allocation")
    assert entry.meta["coop-pool"] == "patronage"


def test_two_pools_of_one_year_are_both_allocated(load):
    text = BOOKS + """
    2024-01-01 open Income:Patronage:Juice USD
    2024-01-01 custom "coop-measure" "gallons"
    2024-05-01 custom "coop-patronage" "G1" "gallons" 1
    2024-05-01 custom "coop-patronage" "G2" "gallons" 3
    2024-11-04 * "Juice"
      Assets:Cash  400.00 USD
      Income:Patronage:Juice
    """ + decision(pool="cranberries", margin='"Income:Patronage:Sales Expenses:Growing"') + (
        decision(pool="juice", margin='"Income:Patronage:Juice"', measure='"gallons"',
                 non_patronage=None, reserve=None, cash='"50%"'))
    entries = clean(load, text)
    pools = {e.meta["coop-pool"]: e for e in generated(entries, "allocation")}
    assert set(pools) == {"cranberries", "juice"}
    assert pools["cranberries"].meta["coop-pool-amount"] == D("43200.00")
    juice = postings(pools["juice"])
    assert juice["Liabilities:Members:G1:Payable"] == D("-50.00")
    assert juice["Equity:Members:G2:Allocated:FY2024"] == D("-150.00")


def test_non_qualified_notices_go_to_their_own_account(load):
    entries = clean(load, BOOKS + decision(qualified="FALSE", cash='"10%"'))
    entry = one(entries, "allocation")
    assert entry.meta["coop-qualified"] is False
    assert "non-qualified" in entry.narration
    accounts = postings(entry)
    assert not any(a.endswith("Allocated:FY2024") for a in accounts)
    g1 = "Equity:Members:G1:Allocated:FY2024:NonQualified"
    assert accounts[g1] == D("-21797.08") + D("2179.71")
    assert accounts["Liabilities:Members:G1:Payable"] == D("-2179.71")  # 2179.708 rounded up
    kinds = {p.meta["coop-kind"] for p in entry.postings if p.account.startswith("Equity:Mem")}
    assert kinds == {"non-qualified"}
    assert g1 in opens(entries)


def test_a_zero_margin_allocates_nothing_without_error(load):
    text = BOOKS.replace("-12000.00 USD", "-60000.00 USD") + decision(non_patronage=None)
    entry = one(clean(load, text), "allocation")
    assert entry.meta["coop-pool-amount"] == 0


def test_a_margin_in_tenths_of_a_cent_still_balances_exactly(load):
    text = BOOKS.replace("60000.00 USD", "60000.005 USD") + decision(reserve=None)
    entry = one(clean(load, text), "allocation")
    assert entry.meta["coop-pool-amount"] == D("48000.00")
    assert entry.meta["coop-reserve"] == D("0.005")
    member_parts = {p.account.split(":")[2]: p.meta["coop-allocation"] for p in entry.postings
                    if p.meta and "coop-allocation" in p.meta}
    assert sum(member_parts.values()) == D("48000.00")


# --- measures from transactions ---------------------------------------------------------------

BILLINGS = """
    2024-01-01 open Assets:Cash USD
    2024-01-01 open Income:Patronage:Billings USD
    2024-01-01 open Income:Patronage:Billings:Consulting USD
    2024-01-01 open Expenses:Delivery USD
    2024-01-01 custom "coop-measure" "billings" Income:Patronage:Billings
    2024-01-01 custom "coop-consent" "G1" "written"
    2024-01-01 custom "coop-member" "G1" "Grower One"
    2024-01-01 custom "coop-consent" "G2" "written"
    2024-01-01 custom "coop-member" "G2" "Grower Two"
    2024-03-01 * "Billing G1"
      member: "G1"
      Assets:Members:G1:Receivable  300.00 USD
      Income:Patronage:Billings
    2024-04-01 * "Consulting for G2"
      Assets:Cash  100.00 USD
      Income:Patronage:Billings:Consulting  -100.00 USD
        member: "G2"
    2024-05-01 * "Credit note to G1"
      member: "G1"
      Income:Patronage:Billings  50.00 USD
      Assets:Members:G1:Receivable
    2024-06-01 * "Delivery costs"
      Expenses:Delivery  70.00 USD
      Assets:Cash
    """


def billings_decision(**changes: str | None) -> str:
    defaults = {"margin": '"Income:Patronage Expenses:Delivery"', "measure": '"billings"',
                "non_patronage": None, "reserve": None, "cash": '"100%"'}
    return decision(**{**defaults, **changes})


def member_parts(entry: data.Transaction) -> dict[str, tuple[Decimal, Decimal]]:
    """Member key -> (patronage, allocation), from the posting metadata."""
    return {p.account.split(":")[2]: (p.meta["coop-patronage"], p.meta["coop-allocation"])
            for p in entry.postings if p.meta and "coop-allocation" in p.meta}


def test_patronage_from_postings_to_the_measure_account(load):
    entry = one(clean(load, BILLINGS + billings_decision()), "allocation")
    # Income counts as -amount: G1 billed 300 less a 50 credit note; G2 100 on a sub-account.
    assert member_parts(entry) == {"G1": (D(250), D("200.00")), "G2": (D(100), D("80.00"))}
    assert entry.meta["coop-margin"] == D("280.00")  # 350 billed less 70 of costs
    assert entry.meta["coop-patronage-total"] == D(350)


def test_a_posting_member_wins_over_the_transaction_member(load):
    text = BILLINGS + """
    2024-07-01 * "Billing for G2 on a G1 invoice"
      member: "G1"
      Assets:Cash  350.00 USD
      Income:Patronage:Billings  -350.00 USD
        member: "G2"
    """ + billings_decision()
    entry = one(clean(load, text), "allocation")
    assert {m: p for m, (p, _) in member_parts(entry).items()} == {"G1": D(250), "G2": D(450)}


def test_records_add_to_a_transaction_measure(load):
    text = BILLINGS + """
    2024-08-01 custom "coop-patronage" "G2" "billings" 150
    """ + billings_decision()
    entry = one(clean(load, text), "allocation")
    assert member_parts(entry) == {"G1": (D(250), D("140.00")), "G2": (D(250), D("140.00"))}


def test_an_expense_measure_counts_the_amount_as_it_is(load):
    text = """
    2024-01-01 open Assets:Cash USD
    2024-01-01 open Income:Sales USD
    2024-01-01 open Expenses:Purchases:Milk USD
    2024-01-01 custom "coop-measure" "milk" Expenses:Purchases
    2024-01-01 custom "coop-consent" "G1" "written"
    2024-01-01 custom "coop-member" "G1" "Grower One"
    2024-01-01 custom "coop-consent" "G2" "written"
    2024-01-01 custom "coop-member" "G2" "Grower Two"
    2024-03-01 * "Milk from G1"
      member: "G1"
      Expenses:Purchases:Milk  30.00 USD
      Liabilities:Members:G1:Payable
    2024-03-02 * "Milk from G2"
      member: "G2"
      Expenses:Purchases:Milk  10.00 USD
      Liabilities:Members:G2:Payable
    2024-03-03 * "Sales"
      Assets:Cash  440.00 USD
      Income:Sales
    """ + decision(margin='"Income:Sales Expenses:Purchases"', measure='"milk"',
                   non_patronage=None, reserve=None, cash='"100%"')
    entry = one(clean(load, text), "allocation")
    assert member_parts(entry) == {"G1": (D(30), D("300.00")), "G2": (D(10), D("100.00"))}


def test_a_posting_to_the_measure_account_without_member_is_an_error(load):
    text = BILLINGS + """
    2024-09-01 * "Walk-in customer"
      Assets:Cash  20.00 USD
      Income:Patronage:Billings
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"Walk-in customer"', "Income:Patronage:Billings",
                        "'billings'", "member:")
    assert len(coop_errors(errors)) == 1


def test_unattributed_postings_that_cancel_out_are_still_errors(load):
    text = BILLINGS + """
    2024-09-01 * "Walk-in sale"
      Assets:Cash  20.00 USD
      Income:Patronage:Billings
    2024-09-02 * "Walk-in refund"
      Assets:Cash  -20.00 USD
      Income:Patronage:Billings
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"Walk-in sale"', "member:")
    assert_one_error_at(errors, text, '"Walk-in refund"', "member:")
    assert len(coop_errors(errors)) == 2


def test_measure_patronage_for_a_non_member(load):
    text = BILLINGS + """
    2024-09-01 * "Billing Z9"
      member: "Z9"
      Assets:Cash  20.00 USD
      Income:Patronage:Billings
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"Billing Z9"', "'Z9'", "not a member")
    assert len(coop_errors(errors)) == 1


def test_measure_patronage_after_leaving(load):
    text = BILLINGS + """
    2024-06-30 custom "coop-leave" "G2"
    2024-07-01 * "Billing G2 after leaving"
      member: "G2"
      Assets:Cash  20.00 USD
      Income:Patronage:Billings
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"Billing G2 after leaving"', "'G2'", "left 2024-06-30")
    assert len(coop_errors(errors)) == 1


def test_one_currency_per_measure(load):
    text = BILLINGS + """
    2024-01-01 open Income:Patronage:Billings:Euro EUR
    2024-07-01 * "Billing G2 in euros"
      member: "G2"
      Assets:Cash  20.00 EUR
      Income:Patronage:Billings:Euro
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"Billing G2 in euros"', "in USD", "in EUR")


def test_a_measure_account_must_be_income_or_expense_and_opened(load):
    text = """
    2024-01-01 custom "coop-measure" "cash" Assets:Cash
    2024-01-01 custom "coop-measure" "fees" Income:Fees
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"cash" Assets:Cash', "not an income or expense")
    assert_one_error_at(errors, text, '"fees" Income:Fees', "no such account is opened")


# --- per-unit retains -------------------------------------------------------------------------

RETAINS = """
    2024-01-01 custom "coop-measure" "barrels"
    2024-01-01 custom "coop-consent" "G1" "written"
    2024-01-01 custom "coop-member" "G1" "Grower One"
    2024-01-01 custom "coop-retain" "barrels" 0.50 USD
    2024-07-01 custom "coop-retain" "barrels" 0.75 USD
    2024-03-01 custom "coop-patronage" "G1" "barrels" 100
    2024-06-30 custom "coop-patronage" "G1" "barrels" 20
    2024-08-01 custom "coop-patronage" "G1" "barrels" 10
    """


def test_per_unit_retains_by_the_rate_of_the_day(load):
    entries = clean(load, RETAINS)
    retains = sorted(generated(entries, "retain"), key=lambda e: e.date)
    assert [postings(e) for e in retains] == [
        {"Liabilities:Members:G1:Payable": D("50.00"),
         "Equity:Members:G1:Retains:FY2024": D("-50.00")},
        {"Liabilities:Members:G1:Payable": D("10.00"),
         "Equity:Members:G1:Retains:FY2024": D("-10.00")},
        {"Liabilities:Members:G1:Payable": D("7.50"),
         "Equity:Members:G1:Retains:FY2024": D("-7.50")},
    ]
    first = retains[0]
    assert first.payee == "Grower One"
    assert {k: v for k, v in first.meta.items() if k.startswith("coop-")} == {
        "coop-generated": "retain", "coop-measure": "barrels", "coop-quantity": D(100),
        "coop-rate": D("0.50"), "coop-year": D(2024)}
    assert first.meta["lineno"] == line_no(RETAINS, '"barrels" 100')
    assert retains[2].meta["coop-rate"] == D("0.75")
    assert opens(entries)["Equity:Members:G1:Retains:FY2024"].date.isoformat() == "2024-01-01"


def test_retains_fall_in_the_fiscal_year_of_the_config(load):
    entries = clean(load, RETAINS, plugin_header(
        "{'as_of': '2025-12-31', 'fiscal_year_end': '06-30'}"))
    by_account: dict[str, Decimal] = defaultdict(Decimal)
    for entry in generated(entries, "retain"):
        for account, number in postings(entry).items():
            by_account[account] += number
    assert dict(by_account) == {
        "Liabilities:Members:G1:Payable": D("67.50"),
        "Equity:Members:G1:Retains:FY2024": D("-60.00"),  # to 2024-06-30
        "Equity:Members:G1:Retains:FY2025": D("-7.50"),   # from 2024-07-01
    }
    years = sorted(e.meta["coop-year"] for e in generated(entries, "retain"))
    assert years == [D(2024), D(2024), D(2025)]


def test_no_retain_before_the_first_rate_nor_after_as_of(load):
    text = """
    2024-01-01 custom "coop-measure" "barrels"
    2024-01-01 custom "coop-consent" "G1" "written"
    2024-01-01 custom "coop-member" "G1" "Grower One"
    2024-02-01 custom "coop-patronage" "G1" "barrels" 100
    2024-03-01 custom "coop-retain" "barrels" 0.50 USD
    2026-02-01 custom "coop-patronage" "G1" "barrels" 100
    """
    assert generated(clean(load, text), "retain") == []


def test_a_retain_is_rounded_half_up_to_the_cent(load):
    text = """
    2024-01-01 custom "coop-measure" "barrels"
    2024-01-01 custom "coop-consent" "G1" "written"
    2024-01-01 custom "coop-member" "G1" "Grower One"
    2024-01-01 custom "coop-retain" "barrels" 0.125 USD
    2024-03-01 custom "coop-patronage" "G1" "barrels" 1
    2024-03-02 custom "coop-patronage" "G1" "barrels" 0.2
    """
    retains = sorted(generated(clean(load, text), "retain"), key=lambda e: e.date)
    # 0.125 and 0.025 go up to 0.13 and 0.03 (banker's rounding would give 0.12 and 0.02).
    payable = [postings(e)["Liabilities:Members:G1:Payable"] for e in retains]
    assert payable == [D("0.13"), D("0.03")]


def test_a_retain_on_an_unknown_measure(load):
    text = """
    2024-01-01 custom "coop-retain" "bushels" 0.50 USD
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"bushels"', "unknown measure 'bushels'")


# --- redemptions ------------------------------------------------------------------------------

# FY2023 retains (1.00 USD a barrel) under the FY2024 allocation: two years to redeem.
OLDER = """
    2023-01-01 custom "coop-retain" "barrels" 1.00 USD
    2024-01-01 custom "coop-retain" "barrels" 0 USD
    2023-06-01 custom "coop-patronage" "G1" "barrels" 100
    2023-06-01 custom "coop-patronage" "G2" "barrels" 300
    """
OLDER_BOOKS = BOOKS.replace('2024-01-01 custom "coop-member"', '2023-01-01 custom "coop-member"'
                            ).replace('2024-01-01 custom "coop-consent"',
                                      '2023-01-01 custom "coop-consent"')


def redemption_of(entries: list) -> dict[str, Decimal]:
    return {a: n for a, n in postings(one(entries, "equity-redemption")).items()
            if a.startswith("Equity")}


def test_redemption_pays_the_oldest_year_first_then_pro_rata(load):
    text = OLDER_BOOKS + OLDER + decision() + """
    2025-06-30 custom "coop-redemption" 3855.99 USD
    """
    entries = clean(load, text)
    redeemed = redemption_of(entries)
    assert redeemed["Equity:Members:G1:Retains:FY2023"] == D("100.00")
    assert redeemed["Equity:Members:G2:Retains:FY2023"] == D("300.00")
    later = {a: n for a, n in redeemed.items() if "FY2024" in a}
    assert sum(later.values()) == D("3455.99")
    total = sum(ALLOCATED.values())
    for member, retained in ALLOCATED.items():
        exact = Fraction(D("3455.99")) * Fraction(retained) / Fraction(total)
        assert abs(Fraction(later[f"Equity:Members:{member}:Allocated:FY2024"]) - exact) < (
            Fraction(1, 100))
    entry = one(entries, "equity-redemption")
    assert "FY2023, FY2024" in entry.narration
    assert postings(entry)["Liabilities:Members:G1:Payable"] == -(
        D("100.00") + later["Equity:Members:G1:Allocated:FY2024"])
    years = {p.account: p.meta["coop-year"] for p in entry.postings if "coop-year" in p.meta}
    assert years["Equity:Members:G1:Retains:FY2023"] == D(2023)
    assert balance(entries, "Equity:Members:G1:Retains:FY2023") == 0


def test_a_budget_within_the_oldest_year_touches_no_later_year(load):
    text = OLDER_BOOKS + OLDER + decision() + """
    2025-06-30 custom "coop-redemption" 200.00 USD
    """
    assert redemption_of(clean(load, text)) == {
        "Equity:Members:G1:Retains:FY2023": D("50.00"),
        "Equity:Members:G2:Retains:FY2023": D("150.00"),
    }


def test_a_second_redemption_sees_what_the_first_paid(load):
    text = OLDER_BOOKS + OLDER + decision() + """
    2025-06-30 custom "coop-redemption" 200.00 USD
    2025-07-31 custom "coop-redemption" 200.00 USD
    """
    entries = clean(load, text)
    first, second = sorted(generated(entries, "equity-redemption"), key=lambda e: e.date)
    assert postings(second)["Equity:Members:G1:Retains:FY2023"] == D("50.00")
    assert postings(second)["Equity:Members:G2:Retains:FY2023"] == D("150.00")
    assert balance(entries, "Equity:Members:G2:Retains:FY2023") == 0
    assert first.date < second.date


def test_redemption_of_one_members_equity(load):
    text = OLDER_BOOKS + OLDER + decision() + """
    2025-06-30 custom "coop-redemption" 350.00 USD
      member: "G2"
    """
    entries = clean(load, text)
    assert redemption_of(entries) == {
        "Equity:Members:G2:Retains:FY2023": D("300.00"),
        "Equity:Members:G2:Allocated:FY2024": D("50.00"),
    }
    entry = one(entries, "equity-redemption")
    assert entry.payee == "Grower Two"
    assert postings(entry)["Liabilities:Members:G2:Payable"] == D("-350.00")


def test_redemption_after_as_of_is_not_booked(load):
    text = BOOKS + decision() + """
    2026-01-15 custom "coop-redemption" 99999999.00 USD
    """
    entries = clean(load, text)
    assert generated(entries, "equity-redemption") == []


def test_a_decision_paid_after_as_of_is_not_booked(load):
    entries = clean(load, BOOKS + decision(), plugin_header("{'as_of': '2025-03-14'}"))
    assert generated(entries, "allocation") == []
    assert "Equity:Members:G1:Allocated:FY2024" not in opens(entries)
    entries = clean(load, BOOKS + decision(), plugin_header("{'as_of': '2025-03-15'}"))
    assert len(generated(entries, "allocation")) == 1


def test_redemption_counts_equity_the_user_booked(load):
    text = BOOKS + """
    2024-01-01 open Equity:Coop:Merged
    2024-12-01 * "Retained equity taken over in a merger"
      Equity:Coop:Merged  120.00 USD
      Equity:Members:G1:Retains:FY2024  -120.00 USD
    2025-06-30 custom "coop-redemption" 100.00 USD
      member: "G1"
    2025-07-31 custom "coop-redemption" 30.00 USD
      member: "G1"
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-redemption" 30.00', "more than the 20.00 USD",
                        "G1's")
    assert redemption_of(entries) == {"Equity:Members:G1:Retains:FY2024": D("100.00")}


# --- members who leave ------------------------------------------------------------------------


def test_a_leaver_keeps_retained_equity_and_is_paid_it_later(load):
    text = OLDER_BOOKS + OLDER + decision() + """
    2024-12-31 custom "coop-leave" "G1"
    2025-06-30 custom "coop-redemption" 1000.00 USD
      member: "G1"
    """
    entries = clean(load, text)
    # Paid a dividend for the year they were a member, after leaving ...
    assert balance(entries, "Equity:Members:G1:Allocated:FY2024") == D("-17437.66") + D("900")
    # ... and paid back, oldest year first, after leaving too.
    assert redemption_of(entries) == {
        "Equity:Members:G1:Retains:FY2023": D("100.00"),
        "Equity:Members:G1:Allocated:FY2024": D("900.00"),
    }


def test_a_leaver_leaves_with_retained_equity_outstanding(load):
    text = BOOKS + decision() + """
    2025-04-01 custom "coop-leave" "G1"
    """
    entries = clean(load, text)
    assert balance(entries, "Equity:Members:G1:Allocated:FY2024") == -ALLOCATED["G1"]


# --- bad input, each reported at its line -----------------------------------------------------


def test_cash_under_20_percent_on_a_qualified_notice(load):
    text = BOOKS + decision(cash='"15%"')
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, 'custom "coop-allocation"', "15%", "20%", "qualified")
    assert len(coop_errors(errors)) == 1
    assert generated(entries, "allocation") == []


def test_payment_after_the_deadline(load):
    text = BOOKS + decision(paid="2025-09-16")
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, 'custom "coop-allocation"', "2025-09-16",
                        "deadline of 2025-09-15")
    assert generated(entries, "allocation") == []


def test_payment_on_the_deadline_counts(load):
    entry = one(clean(load, BOOKS + decision(paid="2025-09-15")), "allocation")
    assert entry.date.isoformat() == "2025-09-15"


def test_payment_by_the_deadline_of_a_june_year_end(load):
    text = BOOKS.replace("2024-10-0", "2024-05-0").replace("2024-11-0", "2024-06-0") + decision(
        paid="2025-03-16")
    header = plugin_header("{'as_of': '2025-12-31', 'fiscal_year_end': '06-30'}")
    entries, errors, _ = load(text, header)
    assert len(coop_errors(errors)) == 1
    assert "deadline of 2025-03-15" in coop_errors(errors)[0].message
    entries = clean(load, text.replace("2025-03-16", "2025-03-15"), header)
    assert one(entries, "allocation").meta["coop-pool-amount"] == D("43200.00")


def test_payment_before_the_year_ends(load):
    text = BOOKS + decision(paid="2024-12-31", date="2024-12-01")
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, 'custom "coop-allocation"', "before the year is over")


def test_patronage_for_a_non_member(load):
    text = BOOKS + """
    2024-10-01 custom "coop-patronage" "G9" "barrels" 5
    """ + decision()
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"G9"', "'G9'", "not a member")
    assert len(coop_errors(errors)) == 1
    # The others' dividend is still paid, without the stranger.
    assert one(entries, "allocation").meta["coop-patronage-total"] == D(23783)


def test_patronage_outside_membership(load):
    text = BOOKS + """
    2024-11-01 custom "coop-consent" "G5" "written"
    2024-11-01 custom "coop-member" "G5" "Grower Five"
    2024-10-01 custom "coop-patronage" "G5" "barrels" 5
    2024-06-30 custom "coop-leave" "G4"
    2024-07-01 custom "coop-patronage" "G4" "barrels" 5
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"G5" "barrels"', "'G5'", "2024-10-01", "joined 2024-11-01")
    assert_one_error_at(errors, text, '2024-07-01 custom "coop-patronage" "G4"', "'G4'",
                        "left 2024-06-30")


def test_negative_pool_margin(load):
    text = BOOKS.replace("-12000.00 USD", "-70000.00 USD") + decision()
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, 'custom "coop-allocation"', "negative margin (-10000.00)")
    assert generated(entries, "allocation") == []


def test_negative_patronage_of_a_member(load):
    text = BOOKS + """
    2024-12-01 custom "coop-patronage" "G4" "barrels" -1000 "returns"
    """ + decision()
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, 'custom "coop-allocation"', "negative barrels patronage",
                        "G4")


def test_redemption_larger_than_outstanding(load):
    text = BOOKS + decision() + """
    2025-06-30 custom "coop-redemption" 34560.00 USD
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-redemption"', "34560.00 USD",
                        "34559.99 USD", "at most 34559.99")
    assert len(coop_errors(errors)) == 1
    assert generated(entries, "equity-redemption") == []
    clean(load, text.replace("34560.00", "34559.99"))


def test_redemption_for_an_unknown_member(load):
    text = BOOKS + decision() + """
    2025-06-30 custom "coop-redemption" 10.00 USD
      member: "G9"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-redemption"', "unknown member 'G9'")


@pytest.mark.parametrize("margin, words", [
    ('"Income:Patronage Expenses:Nope"', ("Expenses:Nope", "not opened")),
    ('"Income:Patronage Assets:Cash"', ("Assets:Cash", "not an income or expense account")),
])
def test_decision_naming_a_bad_account(load, margin, words):
    text = BOOKS + decision(margin=margin)
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, 'custom "coop-allocation"', *words)
    assert generated(entries, "allocation") == []


def test_non_patronage_accounts_must_not_overlap_the_margin(load):
    text = BOOKS + decision(non_patronage='"Income:Patronage:Sales"')
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, 'custom "coop-allocation"', "Income:Patronage:Sales",
                        "Income:Patronage")
    assert generated(entries, "allocation") == []


def test_decision_naming_an_unknown_measure(load):
    text = BOOKS + decision(measure='"bushels"')
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, 'custom "coop-allocation"', "unknown measure 'bushels'",
                        "known: barrels")
    assert len(coop_errors(errors)) == 1


def test_patronage_in_an_unknown_measure(load):
    text = BOOKS + """
    2024-10-01 custom "coop-patronage" "G1" "bushels" 5
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"bushels"', "unknown measure 'bushels'",
                        'custom "coop-measure" "bushels"')


def test_a_year_with_no_patronage(load):
    text = BOOKS + """
    2024-01-01 custom "coop-measure" "hours"
    """ + decision(measure='"hours"')
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, 'custom "coop-allocation"',
                        "no 'hours' patronage recorded in FY2024")


def test_a_year_with_no_margin(load):
    text = BOOKS + decision(year="2023", date="2024-03-01", paid="2024-03-15")
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, 'custom "coop-allocation"', "nothing was booked",
                        "FY2023")


def test_two_decisions_for_one_year_and_pool(load):
    text = BOOKS + decision() + decision(date="2025-03-02", cash='"30%"')
    entries, errors, _ = load(text)
    error = assert_one_error_at(errors, text, '2025-03-02 custom "coop-allocation"',
                                "decided twice", "FY2024")
    assert f"{FILENAME}:{line_no(text, '2025-03-01 custom')}" in error.message
    assert len(coop_errors(errors)) == 1
    # The first decision stands.
    assert one(entries, "allocation").meta["coop-cash-share"] == "20%"


def test_a_decision_paid_late_is_reported_even_before_as_of_reaches_it(load):
    text = BOOKS + decision(paid="2025-09-16")
    _, errors, _ = load(text, plugin_header("{'as_of': '2025-06-30'}"))
    assert len(coop_errors(errors)) == 1
    assert "deadline" in coop_errors(errors)[0].message


@pytest.mark.parametrize("changes, words", [
    ({"reserve": "10"}, ("'reserve:'", "percentage in quotes", '"20%"')),
    ({"reserve": '"ten%"'}, ("'reserve:'", "not a percentage")),
    ({"cash": '"NaN%"'}, ("'cash:'", "not a percentage")),
    ({"cash": '"Infinity%"'}, ("'cash:'", "not a percentage")),
    ({"cash": None}, ("missing 'cash:'",)),
    ({"cash": '"120%"'}, ("cash share is 120%", "from 0% to 100%")),
    ({"reserve": '"-5%"'}, ("reserve share is -5%",)),
    ({"measure": None}, ("missing 'measure:'",)),
    ({"margin": None}, ("missing 'margin:'",)),
    ({"margin": '"income:patronage"'}, ("not an account name",)),
    ({"paid": '"2025-03-15"'}, ("'paid'", "a date")),
    ({"qualified": '"yes"'}, ("'qualified'", "TRUE or FALSE")),
    ({"year": '"2024"'}, ("value 1", "must be a number")),
    ({"year": "24"}, ("must be a year like 2025", "24")),
    ({"year": "2024.5"}, ("must be a year like 2025",)),
    ({"pool": "7"}, ("value 2", "must be a string")),
])
def test_malformed_decisions(load, changes, words):
    year = changes.pop("year", "2024")
    pool = changes.pop("pool", None)
    text = BOOKS + decision(year=year, **changes)
    if pool is not None:
        text = text.replace(f'"coop-allocation" {year}', f'"coop-allocation" {year} {pool}')
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, 'custom "coop-allocation"', *words)
    assert len(coop_errors(errors)) == 1
    assert generated(entries, "allocation") == []


@pytest.mark.parametrize("directive, words", [
    ('2024-01-01 custom "coop-measure" "two words"', ("one word",)),
    ('2024-01-01 custom "coop-measure" "hours" "not an account"', ("not an account name",)),
    ('2024-02-01 custom "coop-measure" "barrels"', ("declared twice",)),
    ('2024-10-01 custom "coop-patronage" "G1" "barrels" "12"', ("quantity", "a number")),
    ('2024-10-02 custom "coop-patronage" "G1" "barrels"', ("missing value 3",)),
    ('2024-10-01 custom "coop-patronage" "g one" "barrels" 1', ("cannot be part of an account",)),
    ('2024-01-01 custom "coop-retain" "barrels" -0.50 USD', ("cannot be negative",)),
    ('2024-01-01 custom "coop-retain" "barrels" 0.50', ("an amount",)),
    ('2025-06-30 custom "coop-redemption" 0 USD', ("more than zero",)),
    ('2025-06-30 custom "coop-redemption" 10.005 USD', ("whole cents", "10.005 USD")),
    ('2025-06-30 custom "coop-redemption" "lots"', ("an amount",)),
])
def test_malformed_patronage_directives(load, directive, words):
    text = BOOKS + f"    {directive}\n"
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, directive, *words)
    assert len(coop_errors(errors)) == 1


# --- no traceback, whatever the input ---------------------------------------------------------

# Mostly valid values, with a few wrong ones mixed in: enough clean ledgers to check the
# figures, enough bad ones to reach every error path.
MEMBER_KEYS = ("G1", "G1", "G1", "G2", "G2", "G2", "G3", "Z9")
MEASURES = ("barrels", "barrels", "barrels", "barrels", "billings", "ghost")
MARGINS = ("Income:Patronage Expenses:Growing",) * 4 + (
    "Income:Patronage", "Income:Patronage:Sales", "Income:Patronage:Billings Expenses:Growing",
    "Income:NonPatronage", "Income:Patronage Expenses:Nope", "Assets:Cash")
FUZZ_BASE = """\
2023-01-01 open Assets:Cash USD
2023-01-01 open Income:Patronage:Sales USD
2023-01-01 open Income:Patronage:Billings USD
2023-01-01 open Expenses:Growing USD
2023-01-01 open Income:NonPatronage:Interest USD
2023-01-01 custom "coop-measure" "barrels"
2023-01-01 custom "coop-measure" "billings" Income:Patronage:Billings
2023-01-01 custom "coop-consent" "G1" "written"
2023-01-01 custom "coop-member" "G1" "Grower One"
2023-06-01 custom "coop-consent" "G2" "written"
2023-06-01 custom "coop-member" "G2" "Grower Two"
2023-01-01 custom "coop-consent" "G3" "written"
2023-01-01 custom "coop-member" "G3" "Grower Three"
2024-08-31 custom "coop-leave" "G3"
""" + "".join(f"""\
{day} custom "coop-patronage" "G1" "barrels" 10
{day} custom "coop-patronage" "G2" "barrels" 7
{day} * "Sales"
  Assets:Cash  1000.00 USD
  Income:Patronage:Sales
""" for day in ("2023-06-01", "2023-12-01", "2024-03-01", "2024-09-01", "2025-03-01",
                "2025-09-01"))

dates = st.dates(min_value=datetime.date(2023, 1, 1), max_value=datetime.date(2026, 6, 30))
numbers = st.one_of(
    st.integers(min_value=-10**5, max_value=10**7).map(lambda c: D(c).scaleb(-2)),
    st.integers(min_value=-10, max_value=10**5).map(D),
    st.integers(min_value=0, max_value=10**6).map(lambda c: D(c).scaleb(-3)),
)
# Hypothesis favours edge cases; listing the valid shares several times keeps most decisions
# valid, so that enough of them are booked to check the figures.
percentages = st.sampled_from(
    ['"20%"', '"25%"', '"33.3%"', '"50%"', '"100%"', '"0%"', '"10%"', '"12.5%"'] * 3
    + ['"-5%"', '"120%"', '"NaN%"', '"%"', "20"])


@st.composite
def ledgers(draw) -> tuple[str, str]:
    """(fiscal_year_end, ledger text without the plugin line)."""
    fiscal_year_end = draw(st.sampled_from(["12-31", "06-30", "02-29"]))
    calendar = FiscalCalendar.parse(fiscal_year_end)
    lines = [FUZZ_BASE]
    for _ in range(draw(st.integers(0, 12))):
        lines.append(f'{draw(dates)} custom "coop-patronage" "{draw(st.sampled_from(MEMBER_KEYS))}"'
                     f' "{draw(st.sampled_from(MEASURES))}" {draw(numbers)}\n')
    for _ in range(draw(st.integers(0, 6))):
        account = draw(st.sampled_from(("Income:Patronage:Sales", "Income:Patronage:Billings",
                                        "Expenses:Growing", "Income:NonPatronage:Interest")))
        member = draw(st.sampled_from((None, *MEMBER_KEYS)))
        meta = f'\n  member: "{member}"' if member else ""
        lines.append(f'{draw(dates)} * "Business"{meta}\n  Assets:Cash  {draw(numbers)} USD\n'
                     f"  {account}\n")
    for _ in range(draw(st.integers(0, 2))):
        lines.append(f'{draw(dates)} custom "coop-retain" "{draw(st.sampled_from(MEASURES))}" '
                     f"{abs(draw(numbers)).scaleb(-2)} USD\n")
    for _ in range(draw(st.integers(0, 3))):
        year = draw(st.sampled_from((2023, 2024, 2024, 2025, 2022, 2026)))
        margin = draw(st.sampled_from(MARGINS))
        late = draw(st.integers(-2, 270))
        paid = calendar.end(year) + datetime.timedelta(days=draw(st.sampled_from((1, 60, late))))
        meta = {
            "margin": f'"{margin}"',
            "measure": f'"{draw(st.sampled_from(MEASURES))}"',
            "reserve": draw(percentages),
            "cash": draw(percentages),
            "qualified": draw(st.sampled_from(["TRUE", "TRUE", "TRUE", "FALSE"])),
            "paid": str(paid),
        }
        if draw(st.booleans()):
            meta["non-patronage"] = '"Income:NonPatronage"'
        body = "".join(f"  {k}: {v}\n" for k, v in meta.items())
        pool = draw(st.sampled_from(["", ' "a"', ' "b"']))
        lines.append(f'{paid - datetime.timedelta(days=1)} custom "coop-allocation" '
                     f'{year}{pool}\n{body}')
    for _ in range(draw(st.integers(0, 2))):
        member = draw(st.sampled_from(("", *MEMBER_KEYS)))
        meta = f'\n  member: "{member}"' if member else ""
        budget = abs(draw(numbers)).scaleb(-2) + D("0.01")
        lines.append(f'{draw(dates)} custom "coop-redemption" {budget} USD{meta}\n')
    return fiscal_year_end, "".join(lines)


@settings(max_examples=80)
@given(ledger=ledgers())
def test_no_traceback_and_clean_dividends_add_up(ledger):
    fiscal_year_end, text = ledger
    config = f"{{'as_of': '2026-06-30', 'fiscal_year_end': '{fiscal_year_end}'}}"
    entries, errors, _ = loader.load_string(
        f'plugin "coop_beancount.plugins.coop" "{config}"\n' + text)
    for error in errors:
        assert "Traceback" not in error.message, error.message
        assert error.source is None or error.source.get("filename") != "<load>", error.message
    assert_balanced(entries)
    for entry in generated(entries, "allocation"):
        meta = entry.meta
        assert meta["coop-pool-amount"] + meta["coop-reserve"] == meta["coop-margin"]
        parts = {p.account.split(":")[2]: p.meta["coop-allocation"] for p in entry.postings
                 if p.meta and "coop-allocation" in p.meta}
        if parts:
            assert sum(parts.values()) == meta["coop-pool-amount"]
        for posting in entry.postings:
            if posting.meta and posting.meta.get("coop-kind") == "cash" and meta["coop-qualified"]:
                assert -posting.units.number >= posting.meta["coop-allocation"] * D("0.2")
    for entry in generated(entries, "equity-redemption"):
        redeemed = sum(p.units.number for p in entry.postings
                       if p.meta and p.meta.get("coop-kind") == "redeemed")
        assert redeemed == entry.meta["coop-budget"]


def test_errors_are_coop_errors_at_the_directive():
    """The fuzz above checks no traceback; this checks a bad decision is ours, at its line."""
    text = (PLUGIN + FUZZ_BASE + '2025-03-01 custom "coop-allocation" 2024\n'
            '  margin: "Income:Patronage"\n  measure: "barrels"\n  cash: "NaN%"\n')
    _, errors, _ = loader.load_string(text)
    assert all(isinstance(e, CoopError) for e in errors), errors
    assert [e.source["lineno"] for e in errors] == [text.splitlines().index(
        '2025-03-01 custom "coop-allocation" 2024') + 1]


def test_payment_before_the_decision_is_an_error(load):
    text = """
        2025-01-01 custom "coop-measure" "hours"
        2026-03-01 custom "coop-allocation" 2025
          margin: "Income:Members:Dues"
          measure: "hours"
          cash: "20%"
          paid: 2026-02-15
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, 'custom "coop-allocation"', "paid on 2026-02-15",
                        "before the board decides on 2026-03-01")
