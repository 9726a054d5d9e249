"""Interest on members' capital accounts (`coop-interest`), its Form 1099-INT figures, and
losses charged beyond a member's equity netted off what their capital account pays them."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from beancount import loader
from beancount.core import data
from click.testing import CliRunner

from coop_beancount.books.register import load_register
from coop_beancount.cli import main
from coop_beancount.reports.interest import form_1099_int
from coop_beancount.reports.view import CoopBooks
from tests.support import WORKED, coop_errors

D = Decimal
RATE = '2027-01-01 custom "coop-interest" "4%" "credited"\n'
BOOKS = WORKED.replace("'as_of': '2026-12-31'", "'as_of': '2028-12-31'") + RATE


def load(text: str) -> tuple[list, list]:
    entries, errors, _ = loader.load_string(text)
    return entries, errors


def line_of(text: str, needle: str) -> int:
    found = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) == 1
    return found[0]


def capital(entries: list, member: str, before: datetime.date) -> Decimal:
    """A member's capital account (retained equity, interest, losses) before a date."""
    roots = tuple(f"Equity:Members:{member}:{kind}"
                  for kind in ("Allocated", "Retains", "Interest", "Losses"))
    return -sum((p.units.number for e in entries if isinstance(e, data.Transaction)
                 and e.date < before for p in e.postings if p.account.startswith(roots)), D(0))


def generated(entries: list, kind: str) -> list[data.Transaction]:
    return [e for e in entries if isinstance(e, data.Transaction)
            and e.meta.get("coop-generated") == kind]


def test_interest_is_the_rate_on_each_balance_at_the_start_of_the_year_rounded_half_up():
    entries, errors = load(BOOKS)
    assert errors == []
    found = generated(entries, "interest")
    assert [e.date for e in found] == [datetime.date(2027, 12, 31), datetime.date(2028, 12, 31)]
    for entry in found:
        start = datetime.date(entry.date.year, 1, 1)
        credited = {p.account.split(":")[2]: -p.units.number for p in entry.postings
                    if p.account.startswith("Equity:Members:")}
        expected = {m: (capital(entries, m, start) * D("0.04")).quantize(
            D("0.01"), rounding=ROUND_HALF_UP) for m in ("G1", "G2", "G3", "G4")}
        assert credited == {m: v for m, v in expected.items() if v}
        assert all(p.account == f"Equity:Members:{p.account.split(':')[2]}:Interest:"
                   f"FY{entry.date.year}" for p in entry.postings if "Members" in p.account)
        expense = [p.units.number for p in entry.postings
                   if p.account == "Expenses:Interest:CapitalAccounts"]
        assert expense == [sum(credited.values())]
        # The entry and each posting point at the coop-interest line.
        assert entry.meta["lineno"] == line_of(BOOKS, '"coop-interest"')
        assert {p.meta["lineno"] for p in entry.postings} == {entry.meta["lineno"]}
    # Credited interest is capital: the second year's basis includes the first's.
    first = {p.account.split(":")[2]: -p.units.number for p in found[0].postings
             if "Members" in p.account}
    assert capital(entries, "G1", datetime.date(2028, 1, 1)) == (
        capital(entries, "G1", datetime.date(2027, 1, 1)) + first["G1"])


def test_paid_interest_goes_to_the_payable_and_a_leaver_is_paid_whatever_the_line_says():
    text = BOOKS.replace('"4%" "credited"', '"4%" "paid"')
    entries, errors = load(text)
    assert errors == []
    (entry, _) = generated(entries, "interest")
    assert {p.account for p in entry.postings if "Members" in p.account} == {
        f"Liabilities:Members:{m}:Payable" for m in ("G1", "G2", "G3", "G4")}
    text = BOOKS + '2026-12-31 custom "coop-leave" "G2"\n'
    entries, errors = load(text)
    (entry, _) = generated(entries, "interest")
    accounts = {p.account for p in entry.postings if "Members" in p.account}
    assert "Liabilities:Members:G2:Payable" in accounts
    assert "Equity:Members:G1:Interest:FY2027" in accounts


def test_a_later_rate_replaces_the_earlier_and_zero_stops_it():
    entries, errors = load(BOOKS + '2028-01-01 custom "coop-interest" "0%"\n')
    assert errors == []
    assert [e.date.year for e in generated(entries, "interest")] == [2027]
    entries, _ = load(BOOKS + '2028-01-01 custom "coop-interest" "10%"\n')
    assert [e.meta["coop-rate"] for e in generated(entries, "interest")] == ["4%", "10%"]


def test_bad_interest_lines_are_errors_at_their_line_saying_how_to_fix_them():
    cases = (
        ('"coop-interest" "four"', 'a percentage in quotes such as "20%"'),
        ('"coop-interest" "140%"', "from 0% to 100% a year"),
        ('"coop-interest" "4%" "compounded"', '"credited" (to the capital account) or "paid"'),
    )
    for line, words in cases:
        text = BOOKS.replace('"coop-interest" "4%" "credited"', line)
        _, errors = load(text)
        (error,) = coop_errors(errors)
        assert words in error.message, error.message
        assert error.source["lineno"] == line_of(text, '"coop-interest"')
    text = BOOKS.replace("2027-01-01 custom", "2027-02-01 custom")
    (error,) = coop_errors(load(text)[1])
    assert "date the coop-interest line on the first day of a fiscal year" in error.message
    # A rate from a year no member starts with capital in: nothing to pay interest on.
    text = BOOKS.replace("2027-01-01 custom", "2026-01-01 custom")
    entries, errors = load(text)
    (error,) = coop_errors(errors)
    assert "no member has a capital account balance at the start of FY2026" in error.message
    assert [e.date.year for e in generated(entries, "interest")] == [2027, 2028]
    # Booked to an account a margin counts: the margin would miss it.
    text = BOOKS.replace(RATE, RATE.replace("\n", '\n  account: "Expenses:Growing:Interest"\n'))
    (error,) = coop_errors(load(text)[1])
    assert "which pool 'barrels' for FY2025 counts" in error.message
    (error,) = coop_errors(load(BOOKS + RATE)[1])
    assert "keep one coop-interest line per date" in error.message


def test_form_1099_int_lists_box_1_from_ten_dollars_with_the_registers_tin(tmp_path):
    text = BOOKS.replace('"4%"', '"0.5%"')  # some members below the 10.00 threshold
    entries, errors, options = loader.load_string(text)
    assert errors == []
    books = CoopBooks.from_entries(entries, options)
    (entry, _) = generated(entries, "interest")
    credited = {p.account.split(":")[2]: -p.units.number for p in entry.postings
                if "Members" in p.account}
    register = tmp_path / "members-private.csv"
    register.write_text("member,tin,tin_type,address,email,phone,account\n"
                        'G1,123-45-6789,SSN,"1 Bog Road, Carver MA",,,\n')
    rows, currency = form_1099_int(books, 2027, load_register(register))
    assert currency == "USD"
    assert {r.member: r.box1 for r in rows} == {m: v for m, v in credited.items()
                                                if v >= D("10.00")}
    assert any(v < D("10.00") for v in credited.values())  # the threshold is tested
    g1 = next(r for r in rows if r.member == "G1")
    assert (g1.tin, g1.address) == ("123-45-6789", "1 Bog Road, Carver MA")
    assert form_1099_int(books, 2026)[0] == []


def test_coop_1099_int_prints_csv_and_a_table(tmp_path):
    books = tmp_path / "main.beancount"
    books.write_text(BOOKS)
    runner = CliRunner()
    result = runner.invoke(main, ["1099-int", str(books), "--year", "2027"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "member,name,tin,address,box1"
    result = runner.invoke(main, ["1099-int", str(books), "--year", "2027", "--format", "table"])
    assert result.exit_code == 0 and "Form 1099-INT, calendar year 2027" in result.stdout
    books.write_text(BOOKS.replace("'as_of'", "'rules': 'ca', 'as_of'"))
    result = runner.invoke(main, ["1099-int", str(books), "--year", "2027", "--ignore-errors"])
    assert result.exit_code != 0 and "Form 1099-INT is a US form" in result.output


# -- Losses netted off later payouts and redemptions ------------------------------------------

LOSS = """
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

2027-05-01 * "Sales"
  Assets:Bank  5000.00 USD
  Income:Patronage:Sales
2027-10-01 custom "coop-patronage" "G3" "barrels" 1000
2028-03-01 custom "coop-allocation" 2027 "barrels"
  margin: "Income:Patronage Expenses:Growing"
  measure: "barrels"
  reserve: "0%"
  cash: "20%"
  paid: 2028-03-15
  late: TRUE
2028-03-15 * "Grower Three" "FY2027 dividend, cash part"
  Liabilities:Members:G3:Payable  1000.00 USD
  Assets:Bank
"""
LOSS_BOOKS = WORKED.replace("'as_of': '2026-12-31'", "'as_of': '2030-12-31'") + LOSS


def losses_left(entries: list, member: str) -> Decimal:
    return sum((p.units.number for e in entries if isinstance(e, data.Transaction)
                for p in e.postings if p.account.startswith(f"Equity:Members:{member}:Losses")),
               D(0))


def test_a_leavers_losses_are_set_off_before_the_payout_instalments():
    text = LOSS_BOOKS + ('2028-06-30 custom "coop-leave" "G3"\n'
                         '2028-07-01 custom "coop-payout" "G3" 2 "yearly"\n')
    entries, errors = load(text)
    assert errors == []
    (loss,) = generated(entries, "loss")
    owed = sum(p.units.number for p in loss.postings if p.account.startswith(
        "Equity:Members:G3:Losses"))
    assert owed > 0
    equity = capital(entries, "G3", datetime.date(2028, 7, 1)) + owed  # retained equity only
    (set_off,) = generated(entries, "loss-set-off")
    assert set_off.date == datetime.date(2028, 7, 1)
    assert set_off.meta["coop-set-off"] == owed
    assert set_off.meta["lineno"] == line_of(text, '"coop-payout"')
    instalments = [e for e in generated(entries, "equity-redemption")
                   if "coop-instalment" in e.meta]
    paid = [-sum(p.units.number for p in e.postings if p.account.endswith(":Payable"))
            for e in instalments]
    assert sum(paid) == equity - owed  # the net of the capital account, in two instalments
    assert max(paid) - min(paid) <= D("0.01")
    assert losses_left(entries, "G3") == 0
    assert capital(entries, "G3", datetime.date(2031, 1, 1)) == 0


def test_a_members_losses_are_netted_off_a_redemption_of_their_equity():
    text = LOSS_BOOKS + '2028-06-30 custom "coop-redemption" 3000.00 USD\n  member: "G3"\n'
    entries, errors = load(text)
    assert errors == []
    (loss,) = generated(entries, "loss")
    owed = sum(p.units.number for p in loss.postings if p.account.startswith(
        "Equity:Members:G3:Losses"))
    (redemption,) = [e for e in generated(entries, "equity-redemption")
                     if e.date == datetime.date(2028, 6, 30)]
    payable = [p.units.number for p in redemption.postings if p.account.endswith(":Payable")]
    assert payable == [-(D("3000.00") - owed)]
    set_off = [p.units.number for p in redemption.postings
               if p.account == "Equity:Members:G3:Losses:FY2026"]
    assert set_off == [-owed]
    assert losses_left(entries, "G3") == 0


def test_a_member_who_leaves_during_the_year_is_paid_the_years_interest():
    text = BOOKS + '2027-06-30 custom "coop-leave" "G3"\n'
    entries, errors = load(text)
    assert errors == []
    (entry, _) = generated(entries, "interest")
    accounts = {p.account for p in entry.postings if "G3" in p.account}
    assert accounts == {"Liabilities:Members:G3:Payable"}
