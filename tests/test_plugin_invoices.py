"""Work to invoice (`coop-client`, `coop-rate`, `coop-work`, `coop-fee`, `coop-invoice`):
the invoice the plugin books, the co-op's fee, what members earn, and the wages check."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from beancount.core import data
from hypothesis import given
from hypothesis import strategies as st

from coop_beancount.core.invoicing import fee_and_earnings
from tests.conftest import HEADER
from tests.support import assert_one_error_at, coop_errors

D = Decimal
CENT = D("0.01")

BOOKS = """
    2025-01-01 open Expenses:Payroll:Wages USD
    2025-01-01 open Liabilities:Payroll USD
    2025-01-01 custom "coop-consent" "Priya" "written"
    2025-01-01 custom "coop-member" "Priya" "Priya Raman"
    2025-01-01 custom "coop-consent" "Jen" "written"
    2025-01-01 custom "coop-member" "Jen" "Jen Alvarez"
    2025-01-01 custom "coop-client" "Cascade" "Cascade Outfitters"
      terms: 15
    2025-01-01 custom "coop-client" "Pearl" "Pearl Street Press"
    2025-01-01 custom "coop-rate" "Priya" "Cascade" 120.00 USD
    2025-01-01 custom "coop-rate" "Priya" "Cascade" 150.00 USD
      project: "audit"
    2025-01-01 custom "coop-rate" "Jen" "Cascade" 110.00 USD
    2025-01-01 custom "coop-rate" "Jen" "Pearl" 95.50 USD
    2025-01-01 custom "coop-fee" "12%"
      billings: Income:Patronage:Billings
      pay-within: 400
    2025-01-01 custom "coop-fee" "10%"
      member: "Jen"
    2025-01-01 custom "coop-fee" "8%"
      member: "Jen"
      client: "Pearl"
    2025-04-07 custom "coop-work" "Priya" "Cascade" 35.5 "checkout"
    2025-04-14 custom "coop-work" "Priya" "Cascade" 4.25 "security review"
      project: "audit"
    2025-04-14 custom "coop-work" "Jen" "Cascade" 2000.00 USD "accessibility audit"
    2025-04-20 custom "coop-work" "Jen" "Pearl" 7.3
    2025-04-30 custom "coop-invoice" "Cascade" 1
    2025-04-30 custom "coop-invoice" "Pearl" 2
    2025-05-05 custom "coop-work" "Priya" "Cascade" 10
    2025-05-31 custom "coop-invoice" "Cascade" 3
    """


def cents(number: Decimal) -> Decimal:
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def invoices(entries: list) -> dict[int, data.Transaction]:
    return {int(e.meta["coop-invoice"]): e for e in entries if isinstance(e, data.Transaction)
            and e.meta.get("coop-generated") == "invoice"}


def billed(entry: data.Transaction) -> dict[str, Decimal]:
    return {p.meta["member"]: -p.units.number for p in entry.postings if "member" in p.meta}


def wages(*lines: tuple[str, str, Decimal]) -> str:
    text = ""
    for date, member, amount in lines:
        text += f"""
    {date} * "Gusto" "Payroll"
      Expenses:Payroll:Wages  {amount} USD
        member: "{member}"
      Liabilities:Payroll
    """
    return text


def test_an_invoice_bills_the_clients_work_at_the_members_rates(load):
    entries, errors, _ = load(BOOKS)
    assert coop_errors(errors) == [] and errors == []
    found = invoices(entries)
    assert sorted(found) == [1, 2, 3]
    first = found[1]
    assert first.payee == "Cascade Outfitters"
    assert first.meta["coop-due"] == datetime.date(2025, 5, 15)  # terms: 15
    priya = cents(D("35.5") * D("120.00")) + cents(D("4.25") * D("150.00"))  # project rate
    assert billed(first) == {"Priya": priya, "Jen": D("2000.00")}
    receivable = first.postings[0]
    assert receivable.account == "Assets:Clients:Cascade"
    assert receivable.units.number == priya + D("2000.00")
    # The client's second invoice bills only the work after the first.
    assert billed(found[3]) == {"Priya": cents(D(10) * D("120.00"))}
    # Another client: its own account, the default terms (30 days).
    assert billed(found[2]) == {"Jen": cents(D("7.3") * D("95.50"))}
    assert found[2].postings[0].account == "Assets:Clients:Pearl"
    assert found[2].meta["coop-due"] == datetime.date(2025, 5, 30)


def test_the_fee_is_the_most_specific_rule_and_fee_and_earnings_add_up(load):
    entries, _, _ = load(BOOKS)
    shares = {(1, "Priya"): D("0.12"), (1, "Jen"): D("0.10"), (2, "Jen"): D("0.08")}
    for (number, member), share in shares.items():
        posting = next(p for p in invoices(entries)[number].postings
                       if p.meta and p.meta.get("member") == member)
        amount = -posting.units.number
        assert posting.meta["coop-fee"] == cents(amount * share)
        assert posting.meta["coop-fee"] + posting.meta["coop-earned"] == amount


@given(st.decimals(min_value=D("0.01"), max_value=D("1000000"), places=2),
       st.decimals(min_value=D(0), max_value=D(1), places=4))
def test_fee_and_earnings_always_add_up_to_the_billings(amount, share):
    fee, earned = fee_and_earnings(amount, share)
    assert fee + earned == amount
    assert abs(fee - amount * share) <= D("0.005")


def test_billings_count_for_a_billings_measure(load):
    text = BOOKS + """
    2025-01-01 custom "coop-measure" "billings" Income:Patronage:Billings
    2025-01-01 open Assets:Bank USD
    2026-02-01 custom "coop-allocation" 2025
      margin: "Income:Patronage"
      measure: "billings"
      cash: "20%"
      paid: 2026-02-15
    """
    header = HEADER.replace("2025-01-01 open Assets:Bank USD\n", "").replace(
        "2025-12-31", "2026-03-31")
    entries, errors, _ = load(text, header)
    assert coop_errors(errors) == []
    allocation = next(e for e in entries if isinstance(e, data.Transaction)
                      and e.meta.get("coop-generated") == "allocation")
    expected: dict[str, Decimal] = {}
    for entry in invoices(entries).values():
        for member, amount in billed(entry).items():
            expected[member] = expected.get(member, D(0)) + amount
    patronage = {p.account.split(":")[2]: p.meta["coop-patronage"]
                 for p in allocation.postings if p.meta and "coop-patronage" in p.meta}
    assert patronage == expected


def earned_by(entries: list, member: str) -> list[tuple[datetime.date, Decimal]]:
    return [(e.date, p.meta["coop-earned"]) for e in invoices(entries).values()
            for p in e.postings if p.meta and p.meta.get("member") == member]


PROMPT = BOOKS.replace("pay-within: 400", "pay-within: 20")


def test_wages_that_match_the_earnings_check_clean(load):
    entries, _, _ = load(PROMPT)
    lines = [(str(date), member, amount) for member in ("Priya", "Jen")
             for date, amount in earned_by(entries, member)]
    assert len(lines) == 4
    _, errors, _ = load(PROMPT + wages(*lines))
    assert errors == []


def test_wages_above_the_earnings_are_an_error_at_the_payroll(load):
    entries, _, _ = load(BOOKS)
    (date, amount), *_ = earned_by(entries, "Priya")
    text = BOOKS + wages((str(date), "Priya", amount + D("0.01")))
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"Gusto"', "Priya's wages", f"{amount + CENT}",
                        f"more than the {amount}", "0.01 USD over")


def test_wages_short_after_the_days_allowed_are_an_error_at_the_invoice(load):
    entries, _, _ = load(PROMPT)
    earned = earned_by(entries, "Priya")
    date, amount = earned[0]
    # Paid 100.00 short for April; the as_of (2025-12-31) is past the 20 days.
    text = PROMPT + wages((str(date), "Priya", amount - D(100)))
    _, errors, _ = load(text)
    found = [e for e in coop_errors(errors) if "short" in e.message and "Priya" in e.message]
    assert len(found) == 1  # reported once, at the first invoice it is short after
    assert found[0].source["lineno"] == invoices(entries)[1].meta["lineno"]
    for words in ("Priya's invoices earned them", f"{amount} USD", "20 days", "100.00 USD short"):
        assert words in found[0].message


def test_wages_within_the_days_allowed_are_not_late_yet(load):
    header = HEADER.replace("'as_of': '2025-12-31'", "'as_of': '2025-05-19'")
    _, errors, _ = load(PROMPT, header)
    assert errors == []
    header = HEADER.replace("'as_of': '2025-12-31'", "'as_of': '2025-05-20'")
    _, errors, _ = load(PROMPT, header)
    assert len([e for e in coop_errors(errors) if "short" in e.message]) == 2


def test_invoice_numbers_reused_or_skipped_are_errors_at_the_invoice(load):
    text = BOOKS.replace('"Cascade" 3', '"Cascade" 2')
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, 'invoice" "Cascade" 2', "invoice number 2 is used twice",
                        "give this invoice the next number, 3")
    text = BOOKS.replace('"Cascade" 3', '"Cascade" 5')
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, 'invoice" "Cascade" 5', "invoice 5 follows invoice 2",
                        "number 3 is missing", "this one is 3")


def test_work_without_a_rate_is_an_error_and_its_invoice_is_not_booked(load):
    text = BOOKS + """
    2025-06-02 custom "coop-work" "Jen" "Pearl" 3 "design"
      project: "site"
    2025-06-03 custom "coop-work" "Priya" "Pearl" 3
    2025-06-30 custom "coop-invoice" "Pearl" 4
    """
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"Priya" "Pearl" 3', "no rate for Priya's work for Pearl",
                        'add custom "coop-rate" "Priya" "Pearl"')
    assert_one_error_at(errors, text, '"Pearl" 4', "invoice 4 for Pearl is not booked")
    assert 4 not in invoices(entries)


def test_work_by_a_non_member_or_outside_membership_is_an_error(load):
    text = BOOKS + """
    2025-06-01 custom "coop-leave" "Jen"
    2025-06-02 custom "coop-work" "Jen" "Pearl" 3
    2025-06-03 custom "coop-work" "Zed" "Pearl" 3
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"Jen" "Pearl" 3', "when they were not a member",
                        "left 2025-06-01")
    assert_one_error_at(errors, text, '"Zed" "Pearl" 3', "'Zed', who is not a member")


def test_unknown_client_and_invoice_without_work_are_errors(load):
    text = BOOKS + """
    2025-06-03 custom "coop-work" "Priya" "Acme" 3
    2025-06-30 custom "coop-invoice" "Pearl" 4
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"Acme" 3', "unknown client 'Acme'", "coop-client")
    assert_one_error_at(errors, text, '"Pearl" 4', "has no work to bill")


def test_wrong_directives_are_errors_at_their_lines(load):
    cases = [
        ('2025-01-01 custom "coop-fee" "120%"', "from 0% to 100%"),
        ('2025-01-01 custom "coop-fee" 0.12', 'write it as: 2025-01-01 custom "coop-fee" "12%"'),
        ('2025-01-01 custom "coop-fee" "5%"\n      member: "Jen"\n      pay-within: 10',
         "belong on the co-op's general fee"),
        ('2025-01-01 custom "coop-rate" "Jen" "Cascade" -10.00 USD', "more than zero"),
        ('2025-01-01 custom "coop-invoice" "Cascade" 1.5', "a whole number from 1"),
        ('2025-01-01 custom "coop-work" "Jen" "Cascade" 0', "more than zero"),
        ('2025-01-01 custom "coop-client" "cascade" "Cascade"', "cannot be part of an account"),
        ('2025-01-01 custom "coop-client" "Acme" "Acme"\n      terms: -3', "whole number of days"),
    ]
    for line, words in cases:
        text = f"\n    {line}\n"
        _, errors, _ = load(text)
        assert_one_error_at(errors, text, line.splitlines()[0].strip()[:30], words)


def test_the_quick_read_of_a_usual_work_line_is_the_checked_read():
    from beancount.parser import parser

    from coop_beancount.books.directives import _read_work, read_work

    entries, errors, _ = parser.parse_string(
        '2025-04-07 custom "coop-work" "Priya" "Cascade" 35 "checkout redesign"\n'
        '2025-04-08 custom "coop-work" "Priya" "Cascade" 7.5\n'
        '2025-04-09 custom "coop-work" "Priya" "Cascade" 2 "spike"\n  project: "Shop"\n'
        '2025-04-10 custom "coop-work" "Priya" "Cascade" 900.00 USD "audit"\n')
    assert errors == []
    for entry in entries:
        assert read_work(entry) == _read_work(entry)
