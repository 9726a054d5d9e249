"""`coop import till`: till lines to owners' patronage per period; re-imports; bad input."""

import datetime
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from beancount import loader
from click.testing import CliRunner

from coop_beancount.books.loading import without_entries
from coop_beancount.cli import main
from coop_beancount.core.periods import months_period
from coop_beancount.core.records import Member
from coop_beancount.importers import till
from coop_beancount.importers.config import ImportConfigError, parse_config
from coop_beancount.importers.till import TillTotals, owner_number, read_till

MAIN = """\
    option "operating_currency" "USD"
    plugin "coop_beancount.plugins.coop" "{'as_of': '2026-12-31'}"
    include "members.beancount"
    include "purchases.beancount"
    2020-01-01 custom "coop-measure" "purchases"
    """
MEMBERS = """\
    2020-01-01 custom "coop-member" "1001" "Ann Lee"
    2020-01-01 custom "coop-member" "1002" "Bo Diaz"
    2020-01-01 custom "coop-member" "1003" "Cy Park"
    2026-01-20 custom "coop-leave" "1003"
    """
CONFIG = """\
    importers:
      - type: till
        name: till
        measure: purchases
        preset: core-pos
        exclude_departments: [60]
        non_owners: [0, 99999]
    """
HEADER = "datetime,upc,trans_type,trans_status,department,total,card_no\n"
#: What each line tests, in the order of the rows (row 2 is the first line after the header).
TILL = HEADER + """\
2026-01-05 10:00:00,0001,I,,1,10.00,1001
2026-01-05 10:00:01,0002,I,,60,5.00,1001
2026-01-05 10:00:02,0003,I,,1,2.00,1001
2026-01-05 10:00:03,0003,I,V,1,-2.00,1001
2026-01-05 10:00:04,DISCOUNT,S,,0,-0.50,1001
2026-01-05 10:00:05,0,T,,0,-11.50,1001
2026-01-06 11:00:00,0004,I,R,1,-3.00,01002
2026-01-06 11:00:01,0005,I,,1,20.00,01002
2026-01-06 11:00:02,0006,I,X,1,100.00,01002
2026-01-07 12:00:00,0005,I,,1,7.25,0
2026-01-07 12:00:01,0005,I,,1,4.00,4242
2026-01-15 13:00:00,0005,I,,1,1.00,1003
2026-01-25 13:00:00,0005,I,,1,9.00,1003
2026-02-15 14:00:00,0007,D,,3,12.34,01002
"""


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def books(tmp_path):
    write(tmp_path / "main.beancount", MAIN)
    write(tmp_path / "members.beancount", MEMBERS)
    write(tmp_path / "purchases.beancount", "")
    write(tmp_path / "import.yaml", CONFIG)
    (tmp_path / "till.csv").write_text(TILL, encoding="utf-8")
    return tmp_path


def run(folder: Path, *args: str):
    result = CliRunner().invoke(main, ["import", "till", str(folder / "main.beancount"),
                                       *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output)
    return result


def records(folder: Path) -> dict:
    entries, errors, _ = loader.load_file(str(folder / "main.beancount"))
    assert not errors
    return {(e.date.isoformat(), e.type, *(v.value for v in e.values)) for e in entries
            if getattr(e, "type", None) in ("coop-patronage", "coop-non-member-business")}


# ---- what counts ------------------------------------------------------------------------

def test_owners_purchases_per_month_with_core_pos_rules(books):
    result = run(books, str(books / "till.csv"), "--to", str(books / "purchases.beancount"))
    assert result.exit_code == 0, result.output
    assert records(books) == {
        # 10.00 + 2.00 - 2.00 (its void) - 0.50 (discount); department 60 and tenders left out
        ("2026-01-31", "coop-patronage", "1001", "purchases", Decimal("9.50")),
        # 20.00 less a 3.00 return; 01002 is 1002; the cancelled (X) line left out
        ("2026-01-31", "coop-patronage", "1002", "purchases", Decimal("17.00")),
        # Cy left on 2026-01-20: his record is dated then, his later sale is not his
        ("2026-01-20", "coop-patronage", "1003", "purchases", Decimal("1.00")),
        # owner 0, unknown 4242 and Cy after leaving: 7.25 + 4.00 + 9.00
        ("2026-01-31", "coop-non-member-business", "purchases", Decimal("20.25"),
         "till 2026-01"),
        ("2026-02-28", "coop-patronage", "1002", "purchases", Decimal("12.34")),
        ("2026-02-28", "coop-non-member-business", "purchases", Decimal("0.00"),
         "till 2026-02"),
    }
    assert "4242: 1 line(s), 4.00" in result.output
    assert "1003: 1 line(s), 9.00" in result.output


def test_quarters_follow_the_fiscal_year(books):
    text = (books / "main.beancount").read_text().replace(
        "'as_of': '2026-12-31'", "'as_of': '2026-12-31', 'fiscal_year_end': '06-30'")
    (books / "main.beancount").write_text(text)
    write(books / "import.yaml", CONFIG.rstrip(" ") + "        period: quarter\n")
    result = run(books, str(books / "till.csv"), "--to", str(books / "purchases.beancount"))
    assert result.exit_code == 0, result.output
    found = {r for r in records(books) if r[2] == "1002"}
    # A fiscal year from July: January and February are in the quarter January to March.
    assert found == {("2026-03-31", "coop-patronage", "1002", "purchases", Decimal("29.34"))}


def test_parquet_gives_the_same_records_as_csv(books, tmp_path_factory):
    import duckdb

    other = tmp_path_factory.mktemp("parquet")
    for name in ("main.beancount", "members.beancount", "purchases.beancount", "import.yaml"):
        (other / name).write_bytes((books / name).read_bytes())
    # Partitioned by month, as a co-op's data lake keeps it; the timestamps typed.
    with duckdb.connect() as connection:
        connection.execute(
            "COPY (SELECT * REPLACE (CAST(datetime AS TIMESTAMP) AS datetime), "
            "strftime(CAST(datetime AS TIMESTAMP), '%Y-%m') AS month "
            f"FROM read_csv('{books / 'till.csv'}', all_varchar = true)) "
            f"TO '{other / 'till'}' (FORMAT parquet, PARTITION_BY (month))")
    assert run(books, str(books / "till.csv"), "--to",
               str(books / "purchases.beancount")).exit_code == 0
    result = run(other, str(other / "till"), "--to", str(other / "purchases.beancount"))
    assert result.exit_code == 0, result.output
    assert records(other) == records(books)


def test_months_period_and_owner_numbers():
    assert months_period(2026 * 12 + 1, 1) == (datetime.date(2026, 2, 1),
                                               datetime.date(2026, 2, 28))
    # Fiscal years from July, by quarter: index 0 of 2026 is July to September 2025.
    assert months_period((2025 * 12 + 7 - 7) // 3, 3, 7) == (datetime.date(2025, 7, 1),
                                                         datetime.date(2025, 9, 30))
    assert owner_number(" 0042 ") == "42"
    assert owner_number("A-7") == "A-7"


# ---- re-importing a period ----------------------------------------------------------------

def test_reimport_same_totals_writes_nothing_changed_totals_need_replace(books):
    target = books / "purchases.beancount"
    assert run(books, str(books / "till.csv"), "--to", str(target)).exit_code == 0
    first = target.read_bytes()
    again = run(books, str(books / "till.csv"), "--to", str(target))
    assert again.exit_code == 0
    assert "same totals: nothing was written" in again.output
    assert target.read_bytes() == first

    (books / "till.csv").write_text(TILL.replace("20.00,01002", "21.00,01002"))
    refused = run(books, str(books / "till.csv"), "--to", str(target))
    assert refused.exit_code == 1
    assert "2026-01   1002   17.00  18.00    1.00" in refused.output
    assert "pass --replace" in refused.output
    assert target.read_bytes() == first

    replaced = run(books, str(books / "till.csv"), "--to", str(target), "--replace")
    assert replaced.exit_code == 0, replaced.output
    after = records(books)
    assert ("2026-01-31", "coop-patronage", "1002", "purchases", Decimal("18.00")) in after
    assert ("2026-01-31", "coop-patronage", "1002", "purchases", Decimal("17.00")) not in after
    assert len(after) == 6  # replaced, never added twice
    assert b"\n\n\n" not in target.read_bytes()


def test_a_period_imported_alone_leaves_the_others(books):
    target = books / "purchases.beancount"
    assert run(books, str(books / "till.csv"), "--to", str(target)).exit_code == 0
    february = books / "feb.csv"
    february.write_text(HEADER + "2026-02-16 09:00:00,0007,D,,3,1.66,01002\n")
    result = run(books, str(february), "--to", str(target), "--replace")
    assert result.exit_code == 0, result.output
    found = records(books)
    assert ("2026-02-28", "coop-patronage", "1002", "purchases", Decimal("1.66")) in found
    assert ("2026-01-31", "coop-patronage", "1001", "purchases", Decimal("9.50")) in found


def test_records_of_the_period_in_another_file_are_not_replaced(books):
    write(books / "members.beancount", MEMBERS.rstrip(" ")
          + '    2026-01-31 custom "coop-patronage" "1001" "purchases" 3.00\n')

    target = books / "purchases.beancount"
    result = run(books, str(books / "till.csv"), "--to", str(target), "--replace")
    assert result.exit_code == 1
    assert "not in" in result.output and "members.beancount:5" in result.output
    assert target.read_text() == ""


def test_without_entries_removes_whole_entries():
    text = (b'2026-01-31 custom "coop-patronage" "1" "p" 1\n  note: "x"\n\n'
            b'2026-01-31 custom "coop-patronage" "2" "p" 2\n\n; kept\n')
    assert without_entries(text, {1}) == (b'2026-01-31 custom "coop-patronage" "2" "p" 2\n'
                                          b'\n; kept\n')


# ---- bad input ----------------------------------------------------------------------------

def test_columns_that_do_not_match_the_mapping(books):
    (books / "till.csv").write_text(TILL.replace("card_no", "member_no"))
    result = run(books, str(books / "till.csv"), "--to", str(books / "purchases.beancount"))
    assert result.exit_code == 1
    assert "the header has no column 'card_no'" in result.output
    assert "'member_no'" in result.output
    assert (books / "purchases.beancount").read_text() == ""


def test_unreadable_amount_and_date_are_named_by_file_and_row(books):
    bad = TILL.replace("2026-01-06 11:00:01,0005,I,,1,20.00", "2026-01-06 11:00:01,0005,I,,1,2O.00")
    bad = bad.replace("2026-01-07 12:00:00", "07/01/2026 12:00")
    (books / "till.csv").write_text(bad)
    result = run(books, str(books / "till.csv"), "--to", str(books / "purchases.beancount"))
    assert result.exit_code == 1
    assert "2 till line(s) cannot be read" in result.output
    assert "till.csv, row 9: 'total' is '2O.00', not an amount" in result.output
    assert "till.csv, row 11: 'datetime' is '07/01/2026 12:00', not a date" in result.output
    assert (books / "purchases.beancount").read_text() == ""


def test_an_owner_number_in_two_formats(books):
    (books / "till.csv").write_text(TILL + "2026-02-20 10:00:00,0001,I,,1,1.00,001001\n")
    result = run(books, str(books / "till.csv"), "--to", str(books / "purchases.beancount"))
    assert result.exit_code == 1
    assert "owner numbers written in two formats: '001001' and '1001'" in result.output
    assert (books / "purchases.beancount").read_text() == ""


def test_a_file_that_is_not_csv_as_configured(books):
    (books / "till.csv").write_text(TILL + '2026-02-20 10:00:00,"0001,I,,1,1.00,1\n')
    result = run(books, str(books / "till.csv"), "--to", str(books / "purchases.beancount"))
    assert result.exit_code == 1
    assert "is not CSV as configured" in result.output
    assert "Traceback" not in result.output


def test_a_measure_the_books_do_not_declare(books):
    write(books / "import.yaml", CONFIG.replace("measure: purchases", "measure: sales"))
    result = run(books, str(books / "till.csv"), "--dry-run")
    assert result.exit_code == 1
    assert "the books declare no measure 'sales'" in result.output


@pytest.mark.parametrize(("extra", "message"), [
    ({"preset": "square"}, "unknown preset 'square'"),
    ({"period": "week"}, "period: must be month, quarter, year"),
    ({"owner_key": "member"}, "must make a member key from {owner}"),
    ({"statuses": {"return": ["R"], "void": ["R"]}}, "'R' cannot mean both return and void"),
    ({"kinds": {"discount": ["S"]}, "preset": None,
      "columns": {"owner": "o", "datetime": "d", "amount": "a"}}, "needs columns.kind"),
])
def test_configuration_mistakes(extra, message):
    document = yaml.safe_load(textwrap.dedent(CONFIG))
    document["importers"][0].update(extra)
    with pytest.raises(ImportConfigError) as caught:
        parse_config("import.yaml", document)
    assert message in str(caught.value)


def test_a_mapping_without_a_preset_needs_the_columns():
    document = {"importers": [{"type": "till", "measure": "purchases",
                               "columns": {"owner": "Member", "amount": "Amount"}}]}
    with pytest.raises(ImportConfigError) as caught:
        parse_config("import.yaml", document)
    assert "importers[1].columns.datetime: is missing" in str(caught.value)


# ---- the text written: Beancount's printer's, byte for byte -----------------------------------

def test_records_text_is_what_beancounts_printer_prints():
    """records_text builds its lines by hand (the printer costs seconds at 240,000 records):
    over 6,000 records of every shape a till total takes, it is byte for byte what
    Beancount's printer prints for the same directives, bean-format leaves it as it is, and
    it parses back to those directives."""
    import random

    from beancount.parser import parser, printer
    from beancount.scripts.format import main as bean_format

    from coop_beancount.importers.till import (
        NON_MEMBER,
        Group,
        Period,
        TillTotals,
        record_entries,
        records_text,
    )

    rng = random.Random(20)
    shapes = [lambda: Decimal(rng.randint(-5_000, 900_000)) / 100,  # cents, returns > sales
              lambda: Decimal(rng.randint(0, 10**6)) / 10_000,      # a till that writes 4 places
              lambda: Decimal(rng.randint(0, 10**12)) / 100,        # ten-digit totals
              lambda: Decimal(rng.randint(0, 9)),                   # whole dollars
              lambda: Decimal("0.00"), lambda: Decimal("-0.10")]
    keys = [str(n) for n in range(1, 400)] + [f"O{n:04d}" for n in range(100)] + ["A-7"]
    periods, groups, records = {}, [], {}
    for index in range(2025 * 12, 2025 * 12 + 12):
        start, end = months_period(index, 1)
        periods[index] = Period(index, start, end, start, end)
        groups.append(Group("non-owner", "0", None, index, rng.choice(shapes)(), 5))
        for key in rng.sample(keys, 500):
            date = end if rng.random() > 0.05 else start  # an owner who left in the month
            records[(index, key)] = (date, rng.choice(shapes)())
    totals = TillTotals("purchases", periods, groups, records)

    entries = record_entries(totals)
    render = printer.EntryPrinter()
    printed = "".join(render(e) + ("\n" if e.type == NON_MEMBER else "") for e in entries)
    text = records_text(totals)
    assert len(entries) == 6_012
    assert text == printed
    result = CliRunner().invoke(bean_format, ["-"], input=text)
    assert result.exit_code == 0, result.output
    assert result.output == text
    parsed, errors, _ = parser.parse_string(text)
    assert not errors
    def read(entries):
        return sorted((e.date, e.type, *(str(v.value) for v in e.values)) for e in entries)

    assert read(parsed) == read(entries)


# ---- the CSV reader's types and the text rules ----------------------------------------------

OWNERS = [Member(key="1001", name="Ann Lee", joined=datetime.date(2020, 1, 1), source={}),
          Member(key="1002", name="Bo Diaz", joined=datetime.date(2020, 1, 1), source={}),
          Member(key="1003", name="Cy Park", joined=datetime.date(2020, 1, 1), source={},
                 left=datetime.date(2026, 1, 20))]


def read_both(path: Path, config: str, monkeypatch) -> tuple[TillTotals, TillTotals]:
    """The totals read with the CSV reader's types (if it takes the file), and with the
    text rules of till_text.sql alone."""
    importer = parse_config("import.yaml", yaml.safe_load(textwrap.dedent(config))).tills[0]
    typed = read_till(importer, [path], OWNERS)
    with monkeypatch.context() as patched:
        patched.setattr(till, "_typed_relation", lambda *args: None)
        text = read_till(importer, [path], OWNERS)
    assert not text.typed
    return typed, text


def test_the_csv_readers_types_read_what_the_text_rules_read(tmp_path, monkeypatch):
    # Odd but readable cells: spaces around amounts, owners and codes, more decimals than
    # four, an exponent, a date without a time, a quoted empty owner and a missing one
    # (no owner), a discount column, a line left before Cy left and one after.
    path = tmp_path / "till.csv"
    path.write_text(
        "datetime,trans_type,trans_status,department,total,card_no,memDiscount\n"
        "2026-01-05 10:00:00,I,,1,10.00,1001,0.50\n"
        "2026-01-05 10:00:01, I ,,1, 12.50 , 1001 ,\n"
        "2026-01-05 10:00:02,I,,1,1.23456,1002,\n"
        "2026-01-06,I,R,1,-3.00,1002,0.25\n"
        "2026-01-06 11:00:00,S,,0,-0.50,1002,\n"
        "2026-01-07 12:00:00,I,,1,1e1,\"\",\n"
        "2026-01-07 12:00:01,I,,1,4.00,,\n"
        "2026-01-07 12:00:02,I, X ,1,99.00,1001,\n"
        "2026-01-15 13:00:00,I,,1,1.00,1003,\n"
        "2026-01-25 13:00:00,I,,1,9.00,1003,\n"
        "2026-02-15 14:00:00,D,,60,12.34,1002,\n", encoding="utf-8")
    config = CONFIG.rstrip(" ") + "        columns: {discount: memDiscount}\n"
    typed, text = read_both(path, config, monkeypatch)
    assert typed.typed
    assert typed.groups == text.groups
    assert typed.records == text.records
    assert typed.periods == text.periods
    assert typed.records[(2026 * 12, "1001")][1] == Decimal("22.0000")  # 10 - 0.50 + 12.50
    # 1.2346 (rounded to four places) - 3.00 - 0.25 (a return) - 0.50 (a discount)
    assert typed.records[(2026 * 12, "1002")][1] == Decimal("-2.5154")
    assert typed.records[(2026 * 12, "1003")] == (datetime.date(2026, 1, 20), Decimal("1"))
    # An empty owner number is no owner: 10 + 4.00; Cy after leaving is inactive
    assert typed.listed("non-owner") == [("", 2, Decimal("14.0000"))]
    assert typed.listed("inactive") == [("1003", 1, Decimal("9.0000"))]


def test_european_amounts_and_dates_are_read_with_types_unless_thousands_are_written(
        tmp_path, monkeypatch):
    config = CONFIG.rstrip(" ") + ('        csv: {delimiter: ";", decimal: ",", thousands: ".", '
                       'date_format: "%d.%m.%Y %H:%M"}\n')
    path = tmp_path / "till.csv"
    lines = ("datetime;trans_type;trans_status;department;total;card_no\n"
             "05.01.2026 10:00;I;;1;10,50;1001\n"
             "05.01.2026 10:01;I;;1;{big};1001\n")
    path.write_text(lines.format(big="1234,00"), encoding="utf-8")
    typed, text = read_both(path, config, monkeypatch)
    assert typed.typed and typed.groups == text.groups
    assert typed.records[(2026 * 12, "1001")][1] == Decimal("1244.5000")
    # A thousands separator: the CSV reader refuses the file, the text rules read it.
    path.write_text(lines.format(big="1.234,00"), encoding="utf-8")
    typed, text = read_both(path, config, monkeypatch)
    assert not typed.typed and typed.groups == text.groups
    assert typed.records[(2026 * 12, "1001")][1] == Decimal("1244.5000")


def test_an_unreadable_cell_on_a_line_that_does_not_count_is_no_error(books, monkeypatch):
    # A voided line's amount cannot be read: the CSV reader refuses the file, the text
    # rules read it, and the line is not counted, as before.
    path = books / "till.csv"
    path.write_text(TILL + "2026-02-16 10:00:00,0008,I,X,1,n/a,1001\n")
    typed, text = read_both(path, CONFIG, monkeypatch)
    assert not typed.typed
    assert typed.records == text.records
    assert typed.records[(2026 * 12 + 1, "1002")][1] == Decimal("12.34")


def test_an_empty_amount_read_with_types_is_named_by_file_and_row(books):
    (books / "till.csv").write_text(TILL + "2026-02-16 10:00:00,0008,I,,1,,1001\n")
    result = run(books, str(books / "till.csv"), "--to", str(books / "purchases.beancount"))
    assert result.exit_code == 1
    assert "1 till line(s) cannot be read" in result.output
    assert "till.csv, row 16: 'total' is empty, not an amount" in result.output
    assert (books / "purchases.beancount").read_text() == ""


def test_several_csv_files_are_read_with_types_as_one(books, tmp_path, monkeypatch):
    lines = TILL.splitlines(keepends=True)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("".join(lines[:8]))
    second.write_text(HEADER + "".join(lines[8:]))
    importer = parse_config("import.yaml", yaml.safe_load(textwrap.dedent(CONFIG))).tills[0]
    both = read_till(importer, [first, second], OWNERS)
    whole = read_till(importer, [books / "till.csv"], OWNERS)
    assert both.typed and whole.typed
    assert both.records == whole.records and both.periods == whole.periods
