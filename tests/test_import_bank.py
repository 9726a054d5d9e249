"""The bank statement importer: formats, amounts, balances, matching to members, duplicates.

Every bad input names the file and the row.
"""

from __future__ import annotations

import datetime
import re
import textwrap
from decimal import Decimal

import pytest
from beancount import loader
from beancount.core import data
from beancount.parser import printer
from beancount.parser.grammar import ValueType
from beangulp import extract

from coop_beancount.importers import dedupe, matching
from coop_beancount.importers.bank import BankColumns, BankImporter
from coop_beancount.importers.csvformat import BadRows, CsvFormat, ImportFileError

D = Decimal
BANK = "Assets:Bank:Checking"

BOOKS = """
2025-01-01 custom "coop-member" "Ana" "Ana Souza"
  iban: "DE89 3704 0044 0532 0130 00, 0042117701"
2025-01-01 custom "coop-member" "Ben" "Ben Okafor"
  bank-name: "B OKAFOR"
2025-01-01 custom "coop-member" "Tomas" "Tomás Herrera"
2025-02-01 custom "coop-member" "Dana" "Dana Kowalski"
2025-07-31 custom "coop-leave" "Dana"
2025-09-01 custom "coop-member" "Hana" "Hana Sato"
"""

SIMPLE = BankColumns(date="Date", amount="Amount", payee="Payee", narration=("Memo",),
                     reference="Memo", counterparty_account="Account")


def books(*more: str) -> list:
    entries, errors, _ = loader.load_string(BOOKS + "".join(textwrap.dedent(t) for t in more))
    assert not errors
    return entries


def write(tmp_path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(textwrap.dedent(text).encode(encoding))
    return str(path)


def importer(columns: BankColumns = SIMPLE, **kwargs) -> BankImporter:
    kwargs.setdefault("currency", "USD")
    return BankImporter("test", BANK, columns=columns, **kwargs)


def run(imp: BankImporter, path: str, existing=None) -> list:
    return extract.extract_from_file(imp, path, books() if existing is None else existing)


def txns(entries) -> list[data.Transaction]:
    return [e for e in entries if isinstance(e, data.Transaction)]


def amounts(entries) -> list[Decimal]:
    return [t.postings[0].units.number for t in txns(entries)]


# --- formats ---------------------------------------------------------------------------------

def test_a_signed_amount_becomes_a_balanced_transaction_with_its_row(tmp_path):
    path = write(tmp_path, "stmt.csv", """\
        Date,Payee,Account,Memo,Amount
        2025-12-15,Ana Souza,,Shared costs,"1,210.76"
        2025-12-20,MARKET BASKET,,POS PURCHASE,-33.21
        """)
    first, second = txns(run(importer(), path))
    assert (first.date, first.payee, first.narration) == (
        datetime.date(2025, 12, 15), "Ana Souza", "Shared costs")
    assert [(p.account, p.units.number, p.units.currency) for p in first.postings] == [
        (BANK, D("1210.76"), "USD"), ("Assets:Members:Ana:Receivable", D("-1210.76"), "USD")]
    assert first.meta["filename"] == path and first.meta["lineno"] == 2
    assert second.meta["lineno"] == 3
    assert first.meta["import-id"] != second.meta["import-id"]
    # The memo is the narration already: no `reference:` line repeating it.
    assert "reference" not in first.meta


def test_comma_decimals_semicolons_latin1_and_a_title_block(tmp_path):
    path = write(tmp_path, "konto.csv", """\
        Rose City Credit Union;Account statement
        Period;01.01.2026;31.01.2026

        Booking date;Payee/Payer;Purpose;Amount
        05.01.2026;Tomás Herrera;Dues;1.180,83
        09.01.2026;Alder Street CPA;Invoice;-725,00
        """, encoding="latin-1")
    fmt = CsvFormat(encoding="latin-1", delimiter=";", skip_lines=3, date_format="%d.%m.%Y",
                    decimal=",", thousands=".")
    columns = BankColumns(date="Booking date", amount="Amount", payee="Payee/Payer",
                          narration=("Purpose",))
    entries = run(importer(columns, csv=fmt), path)
    assert amounts(entries) == [D("1180.83"), D("-725.00")]
    first = txns(entries)[0]
    assert first.payee == "Tomás Herrera"
    assert first.meta["lineno"] == 5
    assert first.meta["coop-match"] == "name"  # accents and case are no obstacle


def test_a_byte_order_mark_does_not_hide_the_first_column(tmp_path):
    path = write(tmp_path, "bom.csv", "\ufeffDate,Payee,Account,Memo,Amount\n"
                                      "2025-12-15,Ana Souza,,x,5.00\n")
    imp = importer()
    assert imp.identify(path)
    assert amounts(run(imp, path)) == [D("5.00")]


def test_latin1_read_as_utf8_says_which_encoding_to_set(tmp_path):
    path = write(tmp_path, "latin.csv", "Date,Payee,Account,Memo,Amount\n"
                                        "2025-12-15,Tomás,,x,5.00\n", encoding="latin-1")
    imp = importer()
    assert not imp.identify(path)
    assert "encoding" in imp.mismatch(path)
    with pytest.raises(ImportFileError, match="latin-1") as raised:
        imp.extract(path, [])
    assert raised.value.path == path


def test_debit_and_credit_columns(tmp_path):
    path = write(tmp_path, "dc.csv", """\
        Date,Memo,Debit,Credit
        2025-12-01,in,,5.00
        2025-12-02,out,33.21,
        2025-12-03,out written negative,-12.50,
        2025-12-04,both,1.00,3.00
        """)
    columns = BankColumns(date="Date", debit="Debit", credit="Credit", narration=("Memo",))
    assert amounts(run(importer(columns), path)) == [D("5.00"), D("-33.21"), D("-12.50"),
                                                     D("2.00")]


def test_a_sign_column_and_a_bank_that_writes_outflows_positive(tmp_path):
    path = write(tmp_path, "sign.csv", """\
        Date,Amount,Dr/Cr
        2025-12-01,5.00,CR
        2025-12-02,33.21,dr
        """)
    columns = BankColumns(date="Date", amount="Amount", sign="Dr/Cr")
    assert amounts(run(importer(columns), path)) == [D("5.00"), D("-33.21")]
    path = write(tmp_path, "card.csv", "Date,Amount\n2025-12-01,5.00\n2025-12-02,-2.00\n")
    columns = BankColumns(date="Date", amount="Amount")
    assert amounts(run(importer(columns, positive="outflow"), path)) == [D("-5.00"), D("2.00")]


def test_an_unknown_sign_value_names_the_file_and_row(tmp_path):
    path = write(tmp_path, "sign.csv", "Date,Amount,S/H\n2025-12-01,5.00,S\n2025-12-02,1.00,X\n")
    columns = BankColumns(date="Date", amount="Amount", sign="S/H")
    with pytest.raises(BadRows) as raised:
        run(importer(columns, debit_marks=("S",), credit_marks=("H",)), path)
    assert f"{path}: 1 row cannot be imported" in str(raised.value)
    assert "row 3: 'S/H' is 'X', neither a debit (S) nor a credit (H)" in str(raised.value)


def test_columns_by_position_count_from_one(tmp_path):
    path = write(tmp_path, "pos.csv", "Buchung,Text,Betrag\n2025-12-01,Dues,\"5,00\"\n")
    fmt = CsvFormat(decimal=",", thousands=".")
    imp = importer(BankColumns(date=1, amount=3, narration=(2,)), csv=fmt,
                   filename_pattern="pos*.csv")
    assert imp.identify(path)
    (entry,) = run(imp, path)
    assert (entry.narration, entry.postings[0].units.number) == ("Dues", D("5.00"))
    too_far = importer(BankColumns(date=1, amount=7), filename_pattern="pos*.csv")
    assert "names column 7, the header has 3" in too_far.mismatch(path)


def test_narration_from_several_columns_and_a_currency_column(tmp_path):
    path = write(tmp_path, "multi.csv", """\
        Date,Type,Memo,Amount,Ccy
        2025-12-01,ZELLE,Dues,5.00,EUR
        2025-12-02,FEE,,1.00,
        """)
    columns = BankColumns(date="Date", amount="Amount", narration=("Type", "Memo"),
                          currency="Ccy")
    first, second = txns(run(importer(columns), path))
    assert first.narration == "ZELLE / Dues"
    assert first.postings[0].units.currency == "EUR"
    assert (second.narration, second.postings[0].units.currency) == ("FEE", "USD")


# --- balance assertions ----------------------------------------------------------------------

BALANCED = """\
    Date,Memo,Amount,Balance
    2025-12-01,a,5.00,105.00
    2025-12-01,b,-2.00,103.00
    2025-12-03,c,10.00,113.00
    """
BALANCE_COLUMNS = BankColumns(date="Date", amount="Amount", narration=("Memo",),
                              balance="Balance")


def balances(entries) -> list[tuple[datetime.date, Decimal]]:
    return [(e.date, e.amount.number) for e in entries if isinstance(e, data.Balance)]


def test_the_balance_column_is_checked_the_morning_after_the_last_day(tmp_path):
    path = write(tmp_path, "bal.csv", BALANCED)
    entries = run(importer(BALANCE_COLUMNS), path)
    assert balances(entries) == [(datetime.date(2025, 12, 4), D("113.00"))]
    (balance,) = [e for e in entries if isinstance(e, data.Balance)]
    assert balance.account == BANK and balance.meta["lineno"] == 4
    assert balance.meta["import-id"]


def test_daily_balances_take_each_days_last_row(tmp_path):
    path = write(tmp_path, "bal.csv", BALANCED)
    entries = run(importer(BALANCE_COLUMNS, balances="daily"), path)
    assert balances(entries) == [(datetime.date(2025, 12, 2), D("103.00")),
                                 (datetime.date(2025, 12, 4), D("113.00"))]


def test_a_newest_first_statement_closes_each_day_on_its_first_listed_row(tmp_path):
    path = write(tmp_path, "bal.csv", """\
        Date,Memo,Amount,Balance
        2025-12-03,c,10.00,113.00
        2025-12-01,b,-2.00,103.00
        2025-12-01,a,5.00,105.00
        """)
    entries = run(importer(BALANCE_COLUMNS, balances="daily"), path)
    assert balances(entries) == [(datetime.date(2025, 12, 2), D("103.00")),
                                 (datetime.date(2025, 12, 4), D("113.00"))]


def test_a_statement_with_bad_rows_offers_no_balance_assertion(tmp_path):
    path = write(tmp_path, "bal.csv", BALANCED.replace("-2.00", "-2.0O"))
    with pytest.raises(BadRows) as raised:
        run(importer(BALANCE_COLUMNS), path)
    assert amounts(raised.value.entries) == [D("5.00"), D("10.00")]
    assert balances(raised.value.entries) == []


def test_the_balance_assertion_holds_in_the_books(tmp_path):
    path = write(tmp_path, "bal.csv", BALANCED)
    entries = run(importer(BALANCE_COLUMNS), path, existing=[])
    text = ('2025-01-01 open Assets:Bank:Checking\n2025-01-01 open Income:Unknown\n'
            '2025-01-01 open Expenses:Unknown\n2025-01-01 open Equity:Opening\n'
            '2025-11-30 * "opening"\n  Assets:Bank:Checking  100.00 USD\n  Equity:Opening\n'
            + "".join(printer.format_entry(e) for e in entries))
    _, errors, _ = loader.load_string(text)
    assert errors == []
    # And a wrong closing balance would be caught: the assertion is not vacuous.
    _, errors, _ = loader.load_string(text.replace("113.00 USD", "114.00 USD"))
    assert len(errors) == 1


# --- identify, date --------------------------------------------------------------------------

def test_identify_by_file_name_and_header(tmp_path):
    path = write(tmp_path, "checking-2026-01.csv", "Date,Payee,Account,Memo,Amount\n"
                                                   "2025-12-15,Ana Souza,,x,5.00\n")
    assert importer(filename_pattern="checking-*.csv").identify(path)
    wrong_name = importer(filename_pattern="savings-*.csv")
    assert not wrong_name.identify(path)
    assert "does not match 'savings-*.csv'" in wrong_name.mismatch(path)
    other = write(tmp_path, "scale.csv", "Ticket,Date,Grower,Barrels\n1,2025-09-01,A,3\n")
    assert not importer().identify(other)
    assert "no column 'Amount'" in importer().mismatch(other)
    assert importer().date(path) == datetime.date(2025, 12, 15)


def test_a_file_whose_rows_are_bad_is_still_recognised(tmp_path):
    path = write(tmp_path, "bad.csv", "Date,Payee,Account,Memo,Amount\n"
                                      "2025-12-15,Ana,x,5.00\n")
    assert importer().identify(path)  # extract then says what is wrong with row 2


# --- bad input -------------------------------------------------------------------------------

def test_a_bad_date_names_the_file_and_row(tmp_path):
    path = write(tmp_path, "s.csv", "Date,Payee,Account,Memo,Amount\n"
                                    "2025-12-15,Ana,,x,5.00\n"
                                    "15/12/2025,Ben,,y,5.00\n")
    with pytest.raises(BadRows) as raised:
        run(importer(), path)
    error = raised.value
    assert str(error).startswith(f"{path}: 1 row cannot be imported")
    assert "row 3: 'Date' is '15/12/2025', not a date in the format '%Y-%m-%d'" in str(error)
    assert [e.row for e in error.errors] == [3]
    # The good row is offered, for a caller who chooses to write it and list the bad one.
    assert amounts(error.entries) == [D("5.00")]


def test_a_bad_number_and_an_empty_amount_are_listed_together(tmp_path):
    path = write(tmp_path, "s.csv", "Date,Payee,Account,Memo,Amount\n"
                                    "2025-12-15,Ana,,x,5.OO\n"
                                    "2025-12-16,Ana,,x,\n"
                                    "2025-12-17,Ana,,x,1.00\n")
    with pytest.raises(BadRows) as raised:
        run(importer(), path)
    message = str(raised.value)
    assert message.startswith(f"{path}: 2 rows cannot be imported")
    assert "row 2: 'Amount' is '5.OO', not a number" in message
    assert "row 3: 'Amount' is empty" in message
    assert amounts(raised.value.entries) == [D("1.00")]


def test_a_row_with_no_debit_nor_credit(tmp_path):
    path = write(tmp_path, "dc.csv", "Date,Debit,Credit\n2025-12-01,,\n")
    with pytest.raises(BadRows, match="row 2: has no amount: neither 'Debit' nor 'Credit'"):
        run(importer(BankColumns(date="Date", debit="Debit", credit="Credit")), path)


def test_a_wrong_column_count_names_the_row_and_offers_nothing(tmp_path):
    path = write(tmp_path, "s.csv", "Date,Payee,Account,Memo,Amount\n"
                                    "2025-12-15,Ana,,x,5.00\n"
                                    "2025-12-16,Ana,x,5.00\n")
    with pytest.raises(ImportFileError) as raised:
        run(importer(), path)
    assert str(raised.value).startswith(f"{path}, row 3: has 4 cells, the header has 5")
    # After a bad row the break is listed with it, and nothing of a half-read file is offered.
    path = write(tmp_path, "t.csv", "Date,Payee,Account,Memo,Amount\n"
                                    "2025-12-15,Ana,,x,five\n"
                                    "2025-12-16,Ana,,x,5.00\n"
                                    "2025-12-16,Ana,x,5.00\n")
    with pytest.raises(BadRows) as raised:
        run(importer(), path)
    assert [e.row for e in raised.value.errors] == [2, 4]
    assert raised.value.entries == []


@pytest.mark.parametrize("text, message", [
    ("", "is empty: no header line"),
    ("Date,Payee,Account,Memo,Amount\n", "has a header but no rows"),
])
def test_an_empty_file_names_the_file(tmp_path, text, message):
    path = write(tmp_path, "empty.csv", text)
    with pytest.raises(ImportFileError) as raised:
        run(importer(), path)
    assert str(raised.value) == f"{path}: {message}" + (
        "" if "header but" not in message else ": nothing to import")


# --- matching --------------------------------------------------------------------------------

RULES = matching.MatchingConfig(
    references=(
        matching.ReferenceRule(re.compile(r"dues for (?P<member>\w+)", re.I),
                               to="dues"),
        matching.ReferenceRule(re.compile(r"\bPEA-\d{4}-\d{2}\b", re.I),
                               to="Assets:Clients:PearlStreetPress"),
        matching.ReferenceRule(re.compile(r"\bshares?\b", re.I),
                               to="shares:Member"),
        matching.ReferenceRule(re.compile(r"jar deposit", re.I), to="payable",
                               member="Hana"),
    ),
    names={matching.normalize_name("SOUZA, ANA"): "Ana",
           matching.normalize_name("GHOST"): "Zed"},
)


def match(amount="5.00", date=datetime.date(2025, 12, 1), config=RULES, existing=None,
          **payment):
    members = matching.members_from_entries(books() if existing is None else existing)
    rules = matching.build_rules(members, config)
    return matching.match(matching.Payment(date=date, amount=D(amount), **payment), rules)


def test_match_by_iban_ignores_spaces_and_case():
    found = match(counterparty_account="de89370400440532013000", payee="Someone")
    assert (found.account, found.member, found.how) == (
        "Assets:Members:Ana:Receivable", "Ana", "iban")
    assert match(counterparty_account="0042-1177-01").member == "Ana"  # a second account


def test_match_by_name_bank_name_and_alias():
    assert match(payee="  tomas   HERRERA ").how == "name"
    assert match(payee="  tomas   HERRERA ").member == "Tomas"
    assert match(payee="B OKAFOR").member == "Ben"
    assert match(payee="Souza, Ana").member == "Ana"


def test_match_by_reference_member_group_fixed_member_and_account():
    found = match(payee="Ben Okafor", reference="Dues for ana")
    assert (found.account, found.how) == ("Assets:Members:Ana:Dues", "reference")
    invoice = match(payee="Pearl Street Press", narration="INV PEA-2025-12", amount="9600")
    assert (invoice.account, invoice.member, invoice.how) == (
        "Assets:Clients:PearlStreetPress", None, "reference")
    fixed = match(reference="jar deposit back", amount="-2.00")
    assert (fixed.account, fixed.how) == ("Liabilities:Members:Hana:Payable", "reference")


def test_a_reference_says_what_for_and_the_iban_or_name_says_who():
    found = match(reference="Share instalment 2 of 4", counterparty_account="0042117701")
    assert (found.account, found.how) == ("Equity:Members:Ana:Shares:Member", "reference+iban")
    found = match(reference="Share", payee="Hana Sato")
    assert (found.account, found.how) == ("Equity:Members:Hana:Shares:Member", "reference+name")
    nobody = match(reference="Share", payee="Stranger")
    assert not nobody.matched
    assert "whose?" in nobody.note and "'Stranger' is no member's" in nobody.note


def test_the_reference_comes_first_and_a_group_naming_nobody_skips_the_rule():
    # Ben pays Ana's dues: the reference decides, not Ben's name.
    assert match(payee="Ben Okafor", reference="dues for Ana").member == "Ana"
    # "dues for March" names no member: the rule is skipped, the name decides.
    found = match(payee="Ben Okafor", reference="dues for March")
    assert (found.member, found.how, found.account) == (
        "Ben", "name", "Assets:Members:Ben:Receivable")


def test_an_outflow_to_a_member_goes_to_their_payable():
    found = match(payee="Hana Sato", amount="-12.50")
    assert found.account == "Liabilities:Members:Hana:Payable"


def test_a_member_who_has_left_or_not_joined_is_not_matched():
    left = match(payee="Dana Kowalski", date=datetime.date(2026, 1, 6))
    assert not left.matched
    assert left.account == "Income:Unknown"
    assert "Dana is not a member on 2026-01-06 (left on 2025-07-31)" in left.note
    assert match(payee="Dana Kowalski", date=datetime.date(2025, 7, 31)).matched
    early = match(payee="Hana Sato", date=datetime.date(2025, 8, 31))
    assert not early.matched and "joins on 2025-09-01" in early.note


def test_unmatched_payments_get_the_placeholder_and_a_note():
    found = match(payee="MARKET BASKET", amount="-33.21")
    assert (found.matched, found.account) == (False, "Expenses:Unknown")
    assert found.note == "no member matched: name 'MARKET BASKET' is no member's"
    assert match(payee="X", amount="1").account == "Income:Unknown"
    config = matching.MatchingConfig(unknown_inflow="Income:Suspense",
                                     unknown_outflow="Expenses:Suspense")
    assert match(payee="X", amount="-1", config=config).account == "Expenses:Suspense"
    bare = match()
    assert bare.note == ("no member matched: the statement has no reference, account number "
                         "or name")


def test_a_shared_account_or_a_shared_name_is_not_a_guess():
    twins = books("""
        2025-01-01 custom "coop-member" "Ana2" "Ana Souza"
          iban: "0042117701"
        """)
    found = match(existing=twins, counterparty_account="0042117701", payee="Ana Souza")
    assert not found.matched
    assert "belongs to Ana and Ana2" in found.note
    assert "is the name of Ana and Ana2" in found.note


def test_an_alias_to_a_key_the_books_do_not_have():
    found = match(payee="GHOST")
    assert not found.matched and "the books have no coop-member 'Zed'" in found.note


def test_matched_and_unmatched_transactions(tmp_path):
    path = write(tmp_path, "s.csv", """\
        Date,Payee,Account,Memo,Amount
        2025-12-15,ANA SOUZA,0042117701,Shared costs,10.76
        2026-01-06,DANA KOWALSKI,,Dues,5.00
        """)
    ana, dana = txns(run(importer(), path))
    assert (ana.flag, ana.meta["coop-match"]) == ("*", "iban")
    assert ana.meta["counterparty-account"] == "0042117701"
    assert "coop-note" not in ana.meta
    assert dana.flag == "!" and "coop-match" not in dana.meta
    assert "left on 2025-07-31" in dana.meta["coop-note"]
    assert [p.account for p in dana.postings] == [BANK, "Income:Unknown"]


def test_without_books_nothing_is_matched(tmp_path):
    path = write(tmp_path, "s.csv", "Date,Payee,Account,Memo,Amount\n"
                                    "2025-12-15,ANA SOUZA,0042117701,Shared costs,10.76\n")
    (entry,) = run(importer(), path, existing=[])
    assert entry.flag == "!"


# --- duplicates ------------------------------------------------------------------------------

STATEMENT = """\
    Date,Payee,Account,Memo,Amount
    2025-12-01,ANA SOUZA,0042117701,Dues,5.00
    2025-12-01,ANA SOUZA,0042117701,Dues,5.00
    2025-12-02,MARKET BASKET,,POS,-33.21
    """


def dedupe_run(imp: BankImporter, path: str, existing: list) -> tuple[list, list]:
    entries = run(imp, path, existing)
    imp.deduplicate(entries, existing)
    return ([e for e in entries if not e.meta.get(dedupe.DUPLICATE)],
            [e for e in entries if e.meta.get(dedupe.DUPLICATE)])


def test_identical_rows_on_one_day_both_import_and_the_same_file_twice_adds_nothing(tmp_path):
    path = write(tmp_path, "s.csv", STATEMENT)
    imp = importer()
    new, duplicates = dedupe_run(imp, path, books())
    assert (len(new), duplicates) == (3, [])
    assert new[0].meta["import-id"] != new[1].meta["import-id"]
    again, duplicates = dedupe_run(imp, path, books() + new)
    assert (again, len(duplicates)) == ([], 3)
    assert duplicates[0].meta[dedupe.DUPLICATE_OF] == f"{path}:{new[0].meta['lineno']}"


def test_overlapping_statements_import_the_overlap_once(tmp_path):
    header = "Date,Payee,Account,Memo,Amount\n"
    rows = [f"2025-12-{day:02d},ANA SOUZA,0042117701,Dues,5.00\n" for day in range(1, 21)]
    first = write(tmp_path, "a.csv", header + "".join(rows[:15]))
    second = write(tmp_path, "b.csv", header + "".join(rows[10:]))
    imp = importer()
    new, _ = dedupe_run(imp, first, books())
    later, duplicates = dedupe_run(imp, second, books() + new)
    assert [e.date.day for e in later] == list(range(16, 21))
    assert [e.date.day for e in duplicates] == list(range(11, 16))


def test_an_edited_entry_keeps_its_id_and_stays_a_duplicate(tmp_path):
    path = write(tmp_path, "s.csv", STATEMENT)
    imp = importer()
    new, _ = dedupe_run(imp, path, books())
    market = new[2]
    edited = market._replace(flag="*", date=market.date + datetime.timedelta(days=5), postings=[
        market.postings[0], market.postings[1]._replace(account="Expenses:Milk")])
    _, duplicates = dedupe_run(imp, path, books() + new[:2] + [edited])
    assert len(duplicates) == 3


def test_hand_written_books_are_matched_by_date_account_and_amount(tmp_path):
    hand = books("""
        2025-12-01 open Assets:Bank:Checking
        2025-12-01 open Assets:Members:Ana:Dues
        2025-12-01 open Expenses:Milk
        2025-12-01 * "Ana Souza" "December dues"
          Assets:Bank:Checking   5.00 USD
          Assets:Members:Ana:Dues
        2025-12-03 * "Market Basket" "Milk: dated the day it was bought"
          Assets:Bank:Checking   -33.21 USD
          Expenses:Milk
        """)
    path = write(tmp_path, "s.csv", STATEMENT)
    new, duplicates = dedupe_run(importer(), path, hand)
    # One hand-written dues payment hides one of the two identical rows, not both.
    assert amounts(new) == [D("5.00")]
    assert amounts(duplicates) == [D("5.00"), D("-33.21")]


def test_a_nearby_day_never_takes_another_rows_exact_match():
    def txn(day, number="5.00", meta=None):
        return data.Transaction(
            {"filename": "x", "lineno": day, **(meta or {})}, datetime.date(2025, 12, day),
            "*", None, "", data.EMPTY_SET, data.EMPTY_SET,
            [data.Posting(BANK, data.Amount(D(number), "USD"), None, None, None, None)])
    new = [txn(1), txn(2)]
    found = dedupe.mark_duplicates(new, [txn(2)])
    assert found == [new[1]]
    assert "__duplicate__" not in new[0].meta
    # An imported entry in the books is known by its id only: a different row of the same
    # amount on the same day is not its duplicate.
    imported = txn(5, meta={"import-id": "abc"})
    assert dedupe.mark_duplicates([txn(5, meta={"import-id": "def"})], [imported]) == []
    assert dedupe.mark_duplicates([txn(5, meta={"import-id": "abc"})], [imported]) != []


def test_balances_and_records_written_by_hand_are_duplicates_too():
    meta = {"filename": "x", "lineno": 1}
    balance = data.Balance(meta, datetime.date(2026, 1, 1), BANK, data.Amount(D("1"), "USD"),
                           None, None)
    assert dedupe.mark_duplicates([balance._replace(meta=dict(meta))], [balance]) != []
    value = [ValueType("Ana", str)]
    custom = data.Custom(meta, datetime.date(2026, 1, 1), "coop-member", value)
    assert dedupe.mark_duplicates([custom._replace(meta=dict(meta))], [custom]) != []
    other = custom._replace(meta=dict(meta), date=datetime.date(2026, 1, 2))
    assert dedupe.mark_duplicates([other], [custom]) == []


def test_the_id_is_stable_across_formatting():
    day = datetime.date(2025, 12, 1)
    assert dedupe.import_id(BANK, day, D("5.00"), "December  DUES") == dedupe.import_id(
        BANK, day, D("5"), " december dues")
    assert dedupe.import_id(BANK, day, D("5.00")) != dedupe.import_id(BANK, day, D("-5.00"))
    ids = dedupe.RowIds()
    assert len({ids(BANK, day, D(5)), ids(BANK, day, D(5)), ids(BANK, day, D(6))}) == 3


def test_a_bank_transaction_id_is_the_rows_identity(tmp_path):
    columns = BankColumns(date="Date", amount="Amount", narration=("Memo",),
                          transaction_id="Id")
    first = write(tmp_path, "a.csv", "Date,Memo,Amount,Id\n2025-12-01,Dues (pending),5.00,T1\n")
    later = write(tmp_path, "b.csv", "Date,Memo,Amount,Id\n2025-12-01,DUES ANA,5.00,T1\n")
    imp = importer(columns)
    new, _ = dedupe_run(imp, first, [])
    assert new[0].meta["bank-id"] == "T1"
    _, duplicates = dedupe_run(imp, later, new)
    assert len(duplicates) == 1


def test_more_decimal_places_than_the_books_use_is_a_bad_row(tmp_path):
    path = write(tmp_path, "s.csv", "Date,Payee,Account,Memo,Amount\n"
                                    "2025-12-15,Ana,,x,1.234\n"
                                    "2025-12-16,Ana,,x,1.50\n")
    with pytest.raises(BadRows) as raised:
        run(importer(), path)
    message = str(raised.value)
    assert message.startswith(f"{path}: 1 row cannot be imported")
    assert ("row 2: the amount 1.234 USD has 3 decimal places, more than the 2 the books use "
            "for USD") in message
    assert "csv.decimal '.'" in message and "csv.thousands ','" in message
    assert amounts(raised.value.entries) == [D("1.50")]
    # Books that count in tenths of a cent take them.
    fine = books("""
        2025-01-01 open Assets:Bank:Checking USD
        2025-01-01 open Equity:Opening USD
        2025-01-02 * "Opening"
          Assets:Bank:Checking  0.001 USD
          Equity:Opening
        """)
    assert amounts(run(importer(), path, fine)) == [D("1.234"), D("1.50")]
