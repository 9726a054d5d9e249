"""The co-op pages in Fava (coop_beancount.fava_pages), through Fava's own Flask test client.

Every page of every example answers 200 and shows the figures the `coop` command prints
for the same books (run through click's CliRunner with --format json): members,
each member's statement and equity, shared costs, cost per quart, patronage (pools,
members, compliance checks, notices) and equity (by year, redemptions, the next
redemption). Then Fava's time filter, URLs naming what is not there, HTML in the books,
settings that are not valid, read-only mode, requests that would write, and a reload.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import os
import re
import shutil
import sys
import textwrap
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from beancount import loader
from beancount.core import data
from click.testing import CliRunner
from fava.application import create_app

from coop_beancount.cli import main
from tests.support import WORKED, pdf_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("yogurt-coop", "dev-coop", "growers-coop")
PAGES = ("CoopOverview", "CoopMembers", "CoopSharedCosts", "CoopPatronage", "CoopEquity",
         "CoopClients")
BUDGET = "25000.00"


# -- The `coop` command ---------------------------------------------------------------------

def books_path(example: str) -> str:
    return str(ROOT / "examples" / example / "main.beancount")


def cli_run(*args: str) -> tuple[int, str]:
    """`coop ARGS`: the exit code, and stdout (or the error message when it fails)."""
    stamps = tuple(os.stat(arg).st_mtime_ns for arg in args if os.path.isfile(arg))
    return _cli_run(args, stamps)


@functools.cache
def _cli_run(args: tuple[str, ...], stamps: tuple[int, ...]) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    # A clean refusal exits (SystemExit); any other exception is a crash.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout if result.exit_code == 0 else result.stderr


def cli(*args: str) -> Any:
    """`coop ARGS --format json`, parsed (money numbers are strings: made Decimal below)."""
    code, out = cli_run(*args, "--format", "json")
    assert code == 0, f"coop {' '.join(args)}: {out}"
    return json.loads(out)


def cli_table(*args: str) -> str:
    code, out = cli_run(*args)
    assert code == 0, f"coop {' '.join(args)}: {out}"
    return out


def member_of(href: str) -> str | None:
    """The member a link is to (Fava adds its filters, like time=, to the query)."""
    return parse_qs(urlsplit(href).query).get("member", [None])[0]


def money(value: dict[str, Any]) -> dict[str, Decimal]:
    """A money cell of either side ({"USD": "1.00"} from the CLI, Decimals from the page),
    without its zeros (a page writes no money as "0")."""
    return {currency: Decimal(str(number)) for currency, number in value.items()
            if Decimal(str(number)) != 0}


def money_of_text(text: str) -> dict[str, Decimal]:
    """Money as the pages print it: "1,234.50 USD, 3.00 EUR", or "0"."""
    text = text.strip()
    if text == "0":
        return {}
    found = {}
    for part in text.split(", "):
        number, currency = part.rsplit(" ", 1)
        found[currency] = Decimal(number.replace(",", ""))
    return found


def nonzero(value: dict[str, Any]) -> dict[str, Decimal]:
    return {c: n for c, n in money(value).items() if n != 0}


# -- Reading a page ---------------------------------------------------------------------------

@dataclass
class Cell:
    text: str = ""
    sort: str | None = None  # data-sort-value
    href: str | None = None
    kind: str = ""  # of a coop-table's cell: its class coop-money, coop-number, ...

    @property
    def value(self) -> Any:
        """The cell's value as the page shows it: money as {currency: Decimal}, numbers
        as Decimal, the rest as text."""
        if self.kind == "coop-money" and self.text:
            return money_of_text(self.text)
        if self.kind in ("coop-number", "coop-count") and self.text:
            return Decimal(self.text.replace(",", ""))
        return self.text


@dataclass
class Table:
    headings: dict[int, str] = field(default_factory=dict)  # the h2..h5 above it
    head: list[list[Cell]] = field(default_factory=list)
    body: list[list[Cell]] = field(default_factory=list)
    foot: list[list[Cell]] = field(default_factory=list)


@dataclass
class Component:
    """A Fava svelte-component (query-table, charts): its JSON, parsed with Decimal numbers."""

    type: str
    headings: dict[int, str]  # the h2..h5 above it
    raw: str
    data: Any = None


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}


class Page(HTMLParser):
    """The parts of a page the tests read: the svelte components with the headings above
    them, the HTML tables by class, and the text of every element with a coop-* class."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.components: list[Component] = []
        self.tables: dict[str, list[Table]] = defaultdict(list)
        self.texts: dict[str, list[str]] = defaultdict(list)
        self._headings: dict[int, str] = {}
        self._open: list[tuple[str, dict[str, str | None], list[str]]] = []
        self._component: Component | None = None
        self._table: Table | None = None
        self._section = "body"
        self._row: list[Cell] | None = None
        self._cell: Cell | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        attributes = dict(attrs)
        self._open.append((tag, attributes, []))
        classes = (attributes.get("class") or "").split()
        if tag == "svelte-component":
            self._component = Component(attributes.get("type") or "", dict(self._headings), "")
        elif tag == "table":
            self._table = Table(dict(self._headings))
            for name in classes or ["-"]:
                self.tables[name].append(self._table)
        elif tag in ("thead", "tbody", "tfoot") and self._table is not None:
            self._section = tag[1:]
        elif tag == "tr" and self._table is not None:
            self._row = []
            getattr(self._table, self._section).append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = Cell(sort=attributes.get("data-sort-value"),
                              kind=next((c for c in classes if c.startswith("coop-")), ""))
            self._row.append(self._cell)
        elif tag == "a" and self._cell is not None:
            self._cell.href = attributes.get("href")

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, attributes, parts = self._open.pop()
            self._closed(open_tag, attributes, "".join(parts))
            if open_tag == tag:
                break

    def _closed(self, tag: str, attributes: dict[str, str | None], text: str) -> None:
        classes = (attributes.get("class") or "").split()
        for name in classes:
            if name.startswith("coop-"):
                self.texts[name].append(" ".join(text.split()))
        if tag in ("h2", "h3", "h4", "h5"):
            level = int(tag[1])
            self._headings = {k: v for k, v in self._headings.items() if k < level}
            self._headings[level] = " ".join(text.split())
        elif tag == "script" and self._component is not None:
            self._component.raw = text
            self._component.data = json.loads(text, parse_float=Decimal)
        elif tag == "svelte-component" and self._component is not None:
            self.components.append(self._component)
            self._component = None
        elif tag in ("td", "th") and self._cell is not None:
            self._cell.text = " ".join(text.split())
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = "body"
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        for _, _, parts in self._open:
            parts.append(data)

    def query_tables(self, **headings: str) -> list[Any]:
        """The pages' tables (class coop-table) under the given headings (h3="Statement"),
        as {"types": [{"name": heading}], "rows": [...], "totals": [...]}: money cells
        read back from their text ("1,234.50 USD" -> {"USD": Decimal}), numbers as Decimal."""
        wanted = {int(level[1]): text for level, text in headings.items()}
        return [{"types": [{"name": c.text} for c in t.head[0]],
                 "rows": [[c.value for c in row] for row in t.body],
                 "totals": [[c.value for c in row] for row in t.foot]}
                for t in self.tables["coop-table"]
                if all(t.headings.get(level) == text for level, text in wanted.items())]

    def query_table(self, **headings: str) -> Any:
        found = self.query_tables(**headings)
        assert len(found) == 1, f"{len(found)} tables under {headings}"
        return found[0]

    def html_tables(self, name: str, **headings: str) -> list[Table]:
        """The HTML tables of class `name` under the given headings."""
        wanted = {int(level[1]): text for level, text in headings.items()}
        return [t for t in self.tables[name]
                if all(t.headings.get(level) == text for level, text in wanted.items())]

    def charts(self, **headings: str) -> list[Any]:
        wanted = {int(level[1]): text for level, text in headings.items()}
        return [c.data for c in self.components if c.type == "charts"
                and all(c.headings.get(level) == text for level, text in wanted.items())]

    def text(self, name: str) -> str:
        assert len(self.texts[name]) == 1, f"{name}: {self.texts[name]}"
        return self.texts[name][0]


def rows(query_table: Any) -> list[list[Any]]:
    return query_table["rows"]


# -- Fava on the examples ---------------------------------------------------------------------

class Fava:
    """One Fava app over books; `get` checks the status and parses the page."""

    def __init__(self, paths: list[str], **options: Any) -> None:
        self.app = create_app(paths, load=True, poll_watcher=True, **options)
        self.client = self.app.test_client()
        self.slugs = {Path(ledger.beancount_file_path).parent.name: slug
                      for slug, ledger in self.app.config["LEDGERS"].items()}

    def url(self, example: str, page: str, query: str = "") -> str:
        return f"/{self.slugs[example]}/extension/{page}/{query}"

    def get(self, example: str, page: str, query: str = "", status: int = 200) -> Page:
        response = self.client.get(self.url(example, page, query))
        html = response.get_data(as_text=True)
        assert response.status_code == status, (page, query, html[-2000:])
        assert "Traceback" not in html
        return Page(html)


@pytest.fixture(scope="module")
def fava() -> Fava:
    return Fava([books_path(example) for example in EXAMPLES])


def member_keys(example: str) -> list[str]:
    return [row["key"] for row in cli("members", books_path(example))]


def patronage_years(example: str) -> list[int]:
    """The fiscal years `coop patronage` knows, of those the books span."""
    return [year for year in range(2020, 2031)
            if cli_run("patronage", books_path(example), "--year", str(year),
                        "--format", "json")[0] == 0]


# -- Every page answers ---------------------------------------------------------------------

@pytest.mark.parametrize("example", EXAMPLES)
def test_every_page_of_every_example_answers_200(fava, example):
    queries = [(page, "") for page in PAGES]
    queries += [("CoopMembers", f"?member={key}") for key in member_keys(example)]
    queries += [("CoopPatronage", f"?year={year}") for year in patronage_years(example)]
    queries += [("CoopEquity", f"?budget={BUDGET}")]
    for page, query in queries:
        parsed = fava.get(example, page, query)
        assert "<h2" in parsed.html
    for year in patronage_years(example):
        for row in cli("patronage", books_path(example), "--year", str(year), "--per", "member"):
            response = fava.client.get(fava.url(example, "CoopPatronage",
                                                f"notice?year={year}&member={row['member']}"))
            assert response.status_code == 200
            assert response.mimetype == "text/html"


def every_page(fava: Fava, example: str) -> list[Page]:
    queries = [(page, "") for page in PAGES]
    queries += [("CoopMembers", f"?member={key}") for key in member_keys(example)]
    queries += [("CoopPatronage", f"?year={year}") for year in patronage_years(example)]
    queries += [("CoopEquity", f"?budget={BUDGET}")]
    return [fava.get(example, page, query) for page, query in queries]


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_table_of_money_has_a_totals_row_that_adds_up(fava, example):
    checked = 0
    for page in every_page(fava, example):
        for table in page.tables["coop-table"]:
            kinds = [cell.kind for cell in table.head[0]]
            if "coop-money" not in kinds or len(table.body) < 2:
                continue
            (foot,) = table.foot
            if foot[1].text == "Closing balances":  # a statement: its running balances
                assert [c.text for c in foot[4:]] == [c.text for c in table.body[-1][4:]]
                continue
            assert foot[0].text == "Total", table.headings
            for index, kind in enumerate(kinds):
                if kind != "coop-money" or not foot[index].text:
                    continue  # a running balance or a price: not added up
                assert money_of_text(foot[index].text) == total(
                    money_of_text(row[index].text) for row in table.body), table.headings
                checked += 1
    assert checked


@pytest.mark.parametrize("example", EXAMPLES)
def test_numbers_are_written_one_way_and_nothing_is_taken_for_an_entry_hash(fava, example):
    for page in every_page(fava, example):
        # Fava's query-table made a link to "#context-<hash>" of any 32-character text.
        assert "#context-" not in page.html and 'type="query-table"' not in page.html
        for table in page.tables["coop-table"]:
            for row in table.body + table.foot:
                for cell in row:
                    if cell.kind == "coop-money" and cell.text:
                        # money_text's way: 1,234.50 USD; zero is 0; never 1234.50 USD.
                        assert re.fullmatch(r"0|-?\d{1,3}(,\d{3})*(\.\d+)? [A-Z][A-Z0-9'._-]*"
                                            r"(, -?\d{1,3}(,\d{3})*(\.\d+)? [A-Z][A-Z0-9'._-]*)*",
                                            cell.text), cell.text


# -- Overview ---------------------------------------------------------------------------------

def bank_balance(example: str, end: str | None) -> dict[str, Decimal]:
    """What the loaded books have in the accounts under Assets:Bank and Assets:Cash."""
    entries, _, _ = loader.load_file(books_path(example))
    found: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction) and (end is None or str(entry.date) <= end):
            for posting in entry.postings:
                if posting.account.split(":")[:2] in (["Assets", "Bank"], ["Assets", "Cash"]):
                    found[posting.units.currency] += posting.units.number
    return {c: n for c, n in found.items() if n}


@pytest.mark.parametrize(("example", "time", "start", "end"), [
    ("yogurt-coop", "", None, None), ("dev-coop", "", None, None),
    ("growers-coop", "", None, None), ("yogurt-coop", "2025-Q2", "2025-04-01", "2025-06-30"),
    ("growers-coop", "2025", "2025-01-01", "2025-12-31")])
def test_overview_figures_are_the_clis(fava, example, time, start, end):
    path = books_path(example)
    page = fava.get(example, "CoopOverview", f"?time={time}" if time else "")
    assert money_of_text(page.text("coop-bank")) == bank_balance(example, end)
    as_of = ("--as-of", end) if end else ()
    members = cli("members", path, *as_of)
    active = sum(1 for m in members if m["left"] is None)
    assert page.text("coop-active").startswith(f"{active} active")
    outstanding = total(row["total"] for row in cli("equity", path, "--by", "year", *as_of))
    assert money_of_text(page.text("coop-equity")) == nonzero(outstanding)
    dates = (("--from", start, "--to", end) if end else ())
    hours = cli("hours", path, "--by", "yearly", *dates)
    assert page.text("coop-hours").startswith(
        f"{sum((Decimal(h['hours']) for h in hours), Decimal(0)):,} in "
        f"{sum(h['shifts'] for h in hours)} shift")
    if example == "yogurt-coop" and not time:
        saved = total(r["saved"] for r in cli("costs", path, "--unit", "quarts"))
        assert money_of_text(page.text("coop-saved")) == nonzero(saved)
    # Income and expenses by month, with a totals row that adds up.
    months = page.query_table(h3="Income and expenses by month")
    assert months["rows"] and all(
        row[3] == nonzero(total([row[1], {c: -n for c, n in row[2].items()}]))
        for row in months["rows"])
    if start:
        assert all(start[:7] <= row[0] <= end[:7] for row in months["rows"])
    (charts,) = page.charts(h3="Income and expenses by month")
    assert len(charts[0]["data"]) == len(months["rows"])


def test_overview_says_the_next_patronage_steps(fava):
    page = fava.get("growers-coop", "CoopOverview")
    steps = page.text("coop-steps")
    years = patronage_years("growers-coop")
    assert f"FY{max(years)}:" in steps and "allocated to members" in steps
    assert "coop-steps" not in fava.get("yogurt-coop", "CoopOverview").html  # no patronage


# -- Members ----------------------------------------------------------------------------------

#: The members table's money columns, in order, and the CLI's names for them.
MEMBER_MONEY = ("shares_subscribed", "shares_paid", "dues_owed", "other_owed", "payable",
                "net", "capital", "allocated")


def check_members_table(page: Page, expected: list[dict[str, Any]]) -> None:
    (members_table,) = page.tables["coop-members"]
    assert [row[0].text for row in members_table.body] == [r["key"] for r in expected]
    totals = {column: defaultdict(Decimal) for column in MEMBER_MONEY}
    for row, want in zip(members_table.body, expected, strict=True):
        key, name, status, joined, *cells = row
        assert member_of(key.href) == want["key"]
        assert name.text == want["name"]
        assert joined.text == want["joined"]
        assert ("left" in status.text) == (want["left"] is not None)
        if want["left"]:
            assert want["left"] in status.text
        assert len(cells) == len(MEMBER_MONEY)
        for cell, column in zip(cells, MEMBER_MONEY, strict=True):
            assert money_of_text(cell.text) == nonzero(want[column]), (want["key"], column)
            assert Decimal(cell.sort) == sum(money(want[column]).values(), Decimal(0))
            for currency, number in money(want[column]).items():
                totals[column][currency] += number
    (foot,) = members_table.foot
    for cell, column in zip(foot[4:], MEMBER_MONEY, strict=True):
        assert money_of_text(cell.text) == nonzero(totals[column]), column
    active = sum(1 for r in expected if r["left"] is None)
    assert f"{active} active member" in page.html


@pytest.mark.parametrize("example", EXAMPLES)
def test_members_table_matches_coop_members(fava, example):
    expected = cli("members", books_path(example))
    assert expected
    check_members_table(fava.get(example, "CoopMembers"), expected)


def test_net_owed_is_one_figure_on_members_the_member_page_and_the_cli(fava):
    path = books_path("yogurt-coop")
    (table,) = fava.get("yogurt-coop", "CoopMembers").tables["coop-members"]
    net_column = [c.text for c in table.head[0]].index("Net owed")
    for row, member in zip(table.body, cli("members", path), strict=True):
        parts = total([member["dues_owed"], member["other_owed"],
                       {c: -Decimal(n) for c, n in member["payable"].items()}])
        assert money_of_text(row[net_column].text) == money(member["net"]) == nonzero(parts)
        lines = cli("statement", path, member["key"])
        if lines:
            assert money(lines[-1]["owes"]) == money(member["net"])


#: The summary in words on a member's page (and, about them, at the end of `coop statement`).
STANDING = [
    ("Gus", "You owe the co-op 34.80 USD: dues 10.00 USD, shared costs and other charges "
            "24.80 USD.", "Gus Almeida owes the co-op 34.80 USD: dues 10.00 USD, shared costs "
            "and other charges 24.80 USD."),
    ("Eli", "The co-op owes you 26.07 USD: 31.07 USD it owes you, less dues 5.00 USD.",
     "The co-op owes Eli Rosen 26.07 USD: 31.07 USD it owes Eli Rosen, less dues 5.00 USD."),
    ("Chloe", "You and the co-op are square: neither owes the other anything.",
     "Chloe Nguyen and the co-op are square: neither owes the other anything."),
]


@pytest.mark.parametrize(("key", "to_them", "about_them"), STANDING)
def test_a_members_page_opens_with_what_they_owe_in_words(fava, key, to_them, about_them):
    path = books_path("yogurt-coop")
    [member] = [m for m in cli("members", path) if m["key"] == key]
    page = fava.get("yogurt-coop", "CoopMembers", f"?member={key}")
    assert page.text("coop-standing") == to_them
    # The figure in the words is the members table's net owed and the statement's last.
    net = money(member["net"])
    assert money_text_in(to_them) == ({c: abs(n) for c, n in net.items()})
    assert cli_table("statement", path, key).rstrip().splitlines()[-1] == about_them
    assert ("coop-pay" in page.html) == any(n > 0 for n in net.values())
    assert page.text("coop-capital-words").startswith(
        f"Your capital in the co-op: {page.text('coop-closing-capital')} (shares paid in")


@pytest.mark.parametrize("key", ["Ana", "Gus", "Hana"])
def test_a_members_page_tells_their_usage_savings_and_hours_as_the_cli_counts_them(fava, key):
    path = books_path("yogurt-coop")
    page = fava.get("yogurt-coop", "CoopMembers", f"?member={key}")
    [usage] = [r for r in cli("costs", path, "--unit", "quarts", "--per", "member")
               if r["label"] == key]
    units = Decimal(usage["units"])
    retail = (Decimal(usage["retail"]["USD"]) / units).quantize(Decimal("0.01"))
    assert page.text("coop-usage-words") == (
        f"{units:,} quarts at {usage['cost_per_unit']['USD']} USD against {retail} USD retail: "
        f"you saved {Decimal(usage['saved']['USD']):,} USD.")
    hours = cli("hours", path, "--member", key, "--by", "yearly")
    total_hours = sum((Decimal(h["hours"]) for h in hours), Decimal(0))
    shifts = sum(h["shifts"] for h in hours)
    assert page.text("coop-hours-words") == (
        f"You gave {total_hours:,} hours of work in {shifts} shift{'' if shifts == 1 else 's'}.")


@pytest.mark.parametrize(("time", "period"), [("", "the whole of the books"),
                                               ("2025-Q3", "2025-07-01 to 2025-09-30")])
def test_a_members_page_prints_with_the_coop_the_member_the_period_and_the_day(fava, time,
                                                                               period):
    path = books_path("yogurt-coop")
    query = "?member=Gus" + (f"&time={time}" if time else "")
    page = fava.get("yogurt-coop", "CoopMembers", query)
    head = page.text("coop-print-head")
    assert head.startswith("Somerville Yogurt Making Co-op: statement of Gus Almeida (Gus), ")
    assert period in head and f"printed {datetime.date.today()}." in head
    # Subtotals by account: the statement's amounts added up per kind of account.
    dates = ("--from", "2025-07-01", "--to", "2025-09-30") if time else ()
    lines = cli("statement", path, "Gus", *dates)
    by_kind: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for line in lines:
        for currency, number in money(line["amount"]).items():
            by_kind[line["account"]][currency] = by_kind[line["account"]].get(
                currency, Decimal(0)) + number
    shown = page.query_table(h3="Subtotals by account")
    assert [(r[0], r[2]) for r in shown["rows"]] == [
        (kind, {c: n for c, n in by_kind[kind].items() if n}) for kind in sorted(by_kind)]
    assert sum(r[1] for r in shown["rows"]) == len(lines) == shown["totals"][0][1]


def money_text_in(words: str) -> dict[str, Decimal]:
    """The first amount in a sentence ("... 34.80 USD: ..."), or nothing."""
    found = re.search(r"([\d,]+\.\d+) ([A-Z]+)", words)
    return {found[2]: Decimal(found[1].replace(",", ""))} if found else {}


# -- A member's page --------------------------------------------------------------------------

def check_statement(page: Page, expected: list[dict[str, Any]]) -> None:
    if not expected:  # nothing in the time shown: said so, with no empty table
        assert not page.query_tables(h3="Statement")
        assert "Nothing in this time." in page.html
        return
    shown = rows(page.query_table(h3="Statement"))
    assert len(shown) == len(expected)
    for row, want in zip(shown, expected, strict=True):
        date, description, account, amount, owes, capital = row
        assert [date, description, account] == [want["date"], want["description"],
                                                  want["account"]]
        assert money(amount) == money(want["amount"])
        assert money(owes) == money(want["owes"])
        assert money(capital) == money(want["capital"])


@pytest.mark.parametrize("example", EXAMPLES)
def test_member_pages_match_coop_statement(fava, example):
    path = books_path(example)
    members = cli("members", path)
    allocations = defaultdict(list)
    for year in patronage_years(example):
        for row in cli("patronage", path, "--year", str(year), "--per", "member"):
            allocations[row["member"]].append(row)
    for member in members:
        key = member["key"]
        page = fava.get(example, "CoopMembers", f"?member={key}")
        assert page.text("coop-member-name") == f"{member['name']} ({key})"
        expected = cli("statement", path, key)
        check_statement(page, expected)
        # Closing figures: the statement's last running balances, and the members table's.
        closing_owes = money_of_text(page.text("coop-closing-owes"))
        closing_capital = money_of_text(page.text("coop-closing-capital"))
        if expected:
            assert closing_owes == nonzero(expected[-1]["owes"])
            assert closing_capital == nonzero(expected[-1]["capital"])
        assert closing_capital == nonzero(member["capital"])
        payable = {c: -n for c, n in money(member["payable"]).items()}
        assert closing_owes == nonzero(total([member["dues_owed"], member["other_owed"],
                                               payable]))
        # The capital chart ends at the closing capital.
        charts = page.charts(h3="Capital over time")
        by_day = {line["date"]: tuple(sorted(money(line["capital"]).items()))
                  for line in expected}  # the chart's points: each day's last capital
        if len(set(by_day.values())) < 2:  # a capital that never changed: no chart of it
            assert not charts and "Capital over time" not in page.html
        else:
            (chart,) = charts[0]
            assert chart["type"] == "balances"
            assert nonzero(chart["data"][-1]["balance"]) == closing_capital
            assert chart["data"][-1]["date"] == expected[-1]["date"]
        # Equity by fiscal year, as `coop statement KEY --equity`.
        equity = cli("statement", path, key, "--equity")
        if equity:
            shown = rows(page.query_table(h3="Capital and equity by fiscal year"))
            assert [r[0] for r in shown] == [e["year"] for e in equity]
            for row, want in zip(shown, equity, strict=True):
                names = ("qualified", "non_qualified", "retains", "redeemed", "outstanding")
                assert [money(c) for c in row[1:]] == [money(want[n]) for n in names]
        else:
            assert "No retained patronage equity." in page.html
        # Patronage dividends, as `coop patronage --year Y --per member`.
        if allocations[key]:
            shown = rows(page.query_table(h3="Patronage"))
            assert len(shown) == len(allocations[key])
            for row, want in zip(sorted(shown, key=lambda r: (r[0], r[1])),
                                 sorted(allocations[key], key=lambda r: (r["year"], r["pool"])),
                                 strict=True):
                year, pool, measure, quantity, allocation, cash, retained, notice, _ = row
                assert (year, pool, measure, notice) == (
                    f"FY{want['year']}", want["pool"], want["measure"], want["notice"])
                assert Decimal(str(quantity)) == Decimal(want["quantity"])
                assert [money(allocation), money(cash), money(retained)] == [
                    money(want["allocation"]), money(want["cash"]), money(want["retained"])]
        else:
            assert "No patronage dividends allocated." in page.html


# -- Shared costs -----------------------------------------------------------------------------

@pytest.mark.parametrize("example", EXAMPLES)
def test_shared_costs_match_coop_shared_costs(fava, example):
    path = books_path(example)
    page = fava.get(example, "CoopSharedCosts")
    if not cli("shared-costs", path):
        assert "No shared costs" in page.html
        assert not page.query_tables()
        return
    check_shared_costs(page, cli("shared-costs", path),
                       cli("shared-costs", path, "--per", "member"))


def check_shared_costs(page: Page, totals: list[dict[str, Any]],
                       parts: list[dict[str, Any]]) -> None:
    summary = rows(page.query_table(h2="Shared costs", h3=None))
    assert len(summary) == len(totals)
    for row, want in zip(summary, totals, strict=True):
        key, period, costs, total, paid_by = row
        assert [key, period, costs, paid_by] == [want["key"], want["period"], want["costs"],
                                                  want["paid_by"]]
        assert money(total) == money(want["total"])
    # One row per member, a column per key (then the total): the CLI's per-period parts
    # added up over the time shown.
    keys = sorted({want["key"] for want in parts})
    wanted: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    names = {}
    for want in parts:
        names[want["member"]] = want["name"]
        for column in (want["key"], "Total"):
            for currency, number in money(want["part"]).items():
                cell = wanted[want["member"]][column]
                cell[currency] = cell.get(currency, Decimal(0)) + number
    table = page.query_table(h3="Each member's part")
    assert [c["name"] for c in table["types"]] == ["Member", "Name", *keys, "Total"]
    assert [[r[0], r[1], *map(money, r[2:])] for r in rows(table)] == [
        [member, names[member], *[dict(wanted[member].get(k, {})) for k in (*keys, "Total")]]
        for member in sorted(wanted)]


def test_cost_per_quart_matches_coop_costs(fava):
    path = books_path("yogurt-coop")
    page = fava.get("yogurt-coop", "CoopSharedCosts")
    names = ("units", "cost", "cost_per_unit", "retail", "saved")
    by_period = cli("costs", path, "--unit", "quarts")
    by_member = cli("costs", path, "--unit", "quarts", "--per", "member")
    assert by_period and by_member
    for shown, wanted in ((rows(page.query_table(h3="Cost per unit: quarts", h4=None)), by_period),
                          (rows(page.query_table(h3="Cost per unit: quarts", h4="Per member")),
                           by_member)):
        assert [r[0] for r in shown] == [w["label"] for w in wanted]
        for row, want in zip(shown, wanted, strict=True):
            assert Decimal(str(row[1])) == Decimal(want["units"])
            assert [money(c) for c in row[2:]] == [money(want[n]) for n in names[1:]]
    (charts,) = page.charts(h3="Cost per unit: quarts")
    line = next(chart for chart in charts if chart["type"] == "balances")
    per_quart = [point["balance"]["co-op cost (USD per unit)"] for point in line["data"]]
    assert per_quart == [Decimal(w["cost_per_unit"]["USD"]) for w in by_period]
    assert [point["date"][:7] for point in line["data"]] == [w["label"] for w in by_period]
    bars = next(chart for chart in charts if chart["type"] == "bar")
    assert [money(point["balance"]) for point in bars["data"]] == [
        money(w["saved"]) for w in by_period]


def test_shared_costs_period_setting_is_used(tmp_path):
    """{'period': 'quarterly'} on the extension's line: the page matches --by quarterly."""
    books = tmp_path / "yogurt"
    shutil.copytree(ROOT / "examples" / "yogurt-coop", books)
    main_file = books / "main.beancount"
    line = '"coop_beancount.fava_pages"'
    assert main_file.read_text().count(line) == 1
    main_file.write_text(main_file.read_text().replace(
        line, line + " \"{'period': 'quarterly'}\""))
    fava = Fava([str(books / "main.beancount")])
    assert not [e for e in fava.app.config["LEDGERS"][fava.slugs["yogurt"]].errors]
    page = fava.get("yogurt", "CoopSharedCosts")
    path = str(books / "main.beancount")
    totals = cli("shared-costs", path, "--by", "quarterly")
    assert any("Q" in row["period"] for row in totals)
    check_shared_costs(page, totals, cli("shared-costs", path, "--by", "quarterly",
                                         "--per", "member"))


# -- Patronage --------------------------------------------------------------------------------

POOL_FIGURES = ("pool", "measure", "paid", "margin", "non_patronage", "reserve_share",
                "reserve", "pool_amount", "patronage", "rate", "cash_share", "notice")


def check_patronage_year(page: Page, example: str, year: int) -> None:
    """One fiscal year on the Patronage page against `coop patronage --year Y --per ...`."""
    path = books_path(example)
    pools = cli("patronage", path, "--year", str(year), "--per", "pool")
    members = cli("patronage", path, "--year", str(year), "--per", "member")
    checks = cli("patronage", path, "--year", str(year), "--per", "check")
    label = f"FY{year}"
    for pool in pools:
        heading = f"Pool “{pool['pool']}”, paid {pool['paid']}"
        (figures,) = rows(page.query_table(h3=label, h4=heading, h5=None))
        for value, name in zip(figures, POOL_FIGURES, strict=True):
            want = pool[name]
            if isinstance(want, dict):
                assert money(value) == money(want), name
            elif name in ("patronage", "rate"):
                assert Decimal(str(value)) == Decimal(want), name
            else:
                assert value == want, name
        (table,) = page.html_tables("coop-checks", h3=label, h4=heading)
        want = [[c["check"], c["status"], c["detail"]] for c in checks
                if c["pool"] == pool["pool"]]
        assert want
        assert [[cell.text for cell in row] for row in table.body] == want
        (table,) = page.html_tables("coop-allocations", h3=label, h4=heading)
        want = [m for m in members if m["pool"] == pool["pool"]]
        assert len(table.body) == len(want)
        for row, m in zip(table.body, want, strict=True):
            key, name, quantity, allocation, cash, retained, notice = row
            assert (key.text, name.text) == (m["member"], m["name"])
            assert member_of(key.href) == m["member"]
            assert Decimal(quantity.sort) == Decimal(m["quantity"])
            for cell, column in ((allocation, "allocation"), (cash, "cash"),
                                 (retained, "retained")):
                assert Decimal(cell.sort) == sum(money(m[column]).values(), Decimal(0))
                assert money_of_text(cell.text) == nonzero(m[column])
            assert urlsplit(notice.href).path.endswith("/CoopPatronage/notice")
            assert parse_qs(urlsplit(notice.href).query) == {"year": [str(year)],
                                                              "member": [m["member"]]}
            assert notice.text == f"{m['notice']} notice"
        foot = [cell.text for cell in table.foot[0]]
        for index, column in ((3, "allocation"), (4, "cash"), (5, "retained")):
            assert money_of_text(foot[index]) == nonzero(total(m[column] for m in want))
    assert len(page.html_tables("coop-allocations", h3=label)) == len(pools)


def total(values: Any) -> dict[str, Decimal]:
    """Money added up."""
    found: dict[str, Decimal] = defaultdict(Decimal)
    for value in values:
        for currency, number in money(value).items():
            found[currency] += number
    return dict(found)


@pytest.mark.parametrize("example", EXAMPLES)
def test_patronage_page_and_coop_patronage_never_disagree(fava, example):
    years = patronage_years(example)
    page = fava.get(example, "CoopPatronage")
    if not years:
        assert "No patronage is allocated in these books" in page.html
        return
    shown_years = sorted({t.headings[3] for t in page.tables["coop-table"]
                          if t.headings.get(3, "").startswith("FY")}, reverse=True)
    assert shown_years == [f"FY{y}" for y in sorted(years, reverse=True)]
    for year in years:
        check_patronage_year(page, example, year)
        one = fava.get(example, "CoopPatronage", f"?year={year}")
        assert {t.headings.get(3) for t in one.tables["coop-table"]} == {f"FY{year}"}
        check_patronage_year(one, example, year)


@pytest.mark.parametrize("example", ["dev-coop", "growers-coop"])
def test_notices_are_those_coop_notices_writes(fava, example, tmp_path):
    path = books_path(example)
    years = patronage_years(example)
    assert years
    for year in years:
        out = tmp_path / str(year)
        code, output = cli_run("notices", path, "--year", str(year), "--out", str(out))
        assert code == 0, output
        keys = {row["member"]
                for row in cli("patronage", path, "--year", str(year), "--per", "member")}
        assert keys
        for key in keys:
            response = fava.client.get(fava.url(example, "CoopPatronage",
                                                f"notice?year={year}&member={key}"))
            assert response.status_code == 200
            written = (out / f"FY{year}-{key}.html").read_text()
            # The same page, but for Fava's link to its PDF (left off the print).
            shown = response.get_data(as_text=True)
            link = re.search(r'  <p class="no-print coop-pdf-link"><a href="([^"]+)">'
                             r'Download this notice as PDF</a></p>\n', shown)
            assert link is not None
            assert parse_qs(urlsplit(link[1].replace("&amp;", "&")).query) == {
                "year": [str(year)], "member": [key], "format": ["pdf"]}
            assert shown.replace(link[0], "") == written


def test_a_notice_as_pdf(fava):
    """Fava's notice page links its PDF (WeasyPrint): the co-op, the member, the figures."""
    [row, *_] = cli("patronage", books_path("growers-coop"), "--year", "2025", "--per",
                    "member")
    response = fava.client.get(fava.url("growers-coop", "CoopPatronage",
                                        f"notice?year=2025&member={row['member']}&format=pdf"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f'filename="FY2025-{row["member"]}.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.get_data())
    assert "Plymouth County Cranberry Growers' Cooperative" in text
    assert "Written notice of allocation" in text
    name = next(m["name"] for m in cli("members", books_path("growers-coop"))
                if m["key"] == row["member"])
    assert f"Member {name}" in text
    for column in ("allocation", "cash", "retained"):
        assert f"{Decimal(str(row[column]['USD'])):,} USD" in text
    assert "Download this notice as PDF" not in text  # a link for the screen only


def test_no_pdf_without_weasyprint(fava, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` fails
    [row, *_] = cli("patronage", books_path("growers-coop"), "--year", "2025", "--per",
                    "member")
    page = fava.get("growers-coop", "CoopPatronage",
                    f"notice?year=2025&member={row['member']}&format=pdf", status=501)
    assert "pip install &#39;coop-beancount[pdf]&#39;" in page.html


# -- Equity -----------------------------------------------------------------------------------

EQUITY_MONEY = ("qualified", "non_qualified", "retains", "total")


def check_equity(page: Page, path: str, *as_of: str) -> None:
    by_year = cli("equity", path, "--by", "year", *as_of)
    if not by_year:
        assert "No retained patronage equity is outstanding." in page.html
    else:
        shown = rows(page.query_table(h3="Outstanding by fiscal year"))
        assert [[r[0], *map(money, r[1:])] for r in shown] == [
            [w["year"], *(money(w[n]) for n in EQUITY_MONEY)] for w in by_year]
        by_member_year = cli("equity", path, *as_of)
        shown = rows(page.query_table(h3="Outstanding by member and fiscal year"))
        assert [[*r[:3], *map(money, r[3:])] for r in shown] == [
            [w["member"], w["name"], w["year"], *(money(w[n]) for n in EQUITY_MONEY)]
            for w in by_member_year]
    outstanding = total(row["total"] for row in by_year)
    assert money_of_text(page.text("coop-equity-total")) == nonzero(outstanding)
    made = cli("equity", path, "--redeemed", *as_of)
    if made:
        shown = rows(page.query_table(h3="Redemptions made"))
        assert [[*r[:5], money(r[5])] for r in shown] == [
            [w["date"], w["member"], w["name"], w["year"], w["kind"], money(w["amount"])]
            for w in made]
    else:
        assert "No redemptions have been made." in page.html


def check_proposal(page: Page, path: str, budget: str, *as_of: str) -> None:
    code, out = cli_run("equity", path, "--redeem", budget, *as_of, "--format", "json")
    if code != 0:  # the command refuses it: the page says why, with no table
        message = out.strip().removeprefix("Error: ")
        assert page.text("coop-budget-problem") == message
        assert not page.query_tables(h3="The next redemption")
        return
    proposal = json.loads(out)
    shown = rows(page.query_table(h3="The next redemption"))
    assert [[*r[:4], money(r[4])] for r in shown] == [
        [w["member"], w["name"], w["year"], w["kind"], money(w["amount"])] for w in proposal]
    assert proposal


@pytest.mark.parametrize("example", EXAMPLES)
def test_equity_page_matches_coop_equity(fava, example):
    path = books_path(example)
    page = fava.get(example, "CoopEquity")
    check_equity(page, path)
    if example == "growers-coop":  # its settings name a redemption budget of 25000.00
        check_proposal(page, path, BUDGET)
    elif cli("equity", path, "--by", "year"):
        assert not page.query_tables(h3="The next redemption")
        assert "Enter a budget" in page.html
    else:  # a fund of nothing: no form to redeem from it
        assert "<form" not in page.html
        assert "Nothing to redeem: no retained patronage equity is outstanding" in page.html
    with_budget = fava.get(example, "CoopEquity", f"?budget={BUDGET}")
    check_equity(with_budget, path)
    if cli("equity", path, "--by", "year"):
        check_proposal(with_budget, path, BUDGET)
    else:
        assert "<form" not in with_budget.html


@pytest.mark.parametrize("budget", ["1000.00", "1,500.50", "0.01"])
def test_other_budgets_match_coop_equity_redeem(fava, budget):
    page = fava.get("growers-coop", "CoopEquity", f"?budget={budget}")
    check_proposal(page, books_path("growers-coop"), budget.replace(",", ""))


@pytest.mark.parametrize("budget", ["abc", "NaN", "Infinity", "-5", "0", "0.001", "1e999999",
                                    "1e999", " "])
def test_a_budget_that_is_not_an_amount_is_said_so(fava, budget):
    page = fava.get("growers-coop", "CoopEquity", f"?budget={budget}")
    if budget.strip():
        assert page.texts["coop-budget-problem"]
        assert not page.query_tables(h3="The next redemption")
        if budget in ("-5", "0", "1e999999", "1e999", "0.001"):  # the command's own refusal
            check_proposal(page, books_path("growers-coop"), budget)
        if budget.startswith("1e"):  # too much, not "not in cents"
            assert "is more than the" in page.text("coop-budget-problem")
    else:  # no budget given: the one in the books' settings
        check_proposal(page, books_path("growers-coop"), BUDGET)


# -- Clients ----------------------------------------------------------------------------------

def check_clients(page: Page, path: str, as_of: str, start: str | None) -> None:
    """The Clients page against `coop receivables --per client|invoice|member` and `coop
    earnings` on the same days (a table with no rows is not drawn: "No open invoices.")."""

    def rows_under(heading: str) -> list[list[Any]]:
        found = page.query_tables(h3=heading)
        return rows(found[0]) if found else []

    per_client = cli("receivables", path, "--as-of", as_of, "--per", "client")
    buckets = ("current", "1-30", "31-60", "61-90", "90+", "open")
    assert [[row[0], row[1], *map(nonzero, row[2:])]
            for row in rows_under("Open invoices by client and age")] == [
        [r["client"], r["invoices"], *(nonzero(r[b]) for b in buckets)] for r in per_client]
    invoices = cli("receivables", path, "--as-of", as_of, "--per", "invoice")
    assert [[row[0], row[1], nonzero(row[5]), row[6], row[7]]
            for row in rows_under("Open invoices")] == [
        [r["client"], str(r["invoice"]), nonzero(r["open"]), r["days_late"], r["age"]]
        for r in invoices]
    late = sorted({r["client"] for r in invoices if r["days_late"] > 0})
    for client in late:
        assert client in page.text("coop-late")
    waiting = cli("receivables", path, "--as-of", as_of, "--per", "member")
    assert [[row[0], nonzero(row[3]), nonzero(row[4])]
            for row in rows_under("What each member is still waiting for")] == [
        [r["member"], nonzero(r["open"]), nonzero(r["late"])] for r in waiting]
    period = ["--to", as_of] + (["--from", start] if start else [])
    earned = cli("earnings", path, *period)
    figures = ("billed", "fee", "earned", "paid", "to_be_paid")
    assert [[row[0], *map(nonzero, row[2:])] for row in rows_under("Members' earnings")] == [
        [r["member"], *(nonzero({r["currency"]: r[k]}) for k in figures)] for r in earned]


@pytest.mark.parametrize(("time", "start", "as_of"), [
    (None, None, "2026-03-31"), ("2025-12", "2025-12-01", "2025-12-31"),
    ("2025", "2025-01-01", "2025-12-31"), ("2025-05-20", "2025-05-20", "2025-05-20")])
def test_clients_page_is_coop_receivables_and_earnings(fava, time, start, as_of):
    page = fava.get("dev-coop", "CoopClients", f"?time={time}" if time else "")
    check_clients(page, books_path("dev-coop"), as_of, start)
    if time == "2025-12":  # at least December's invoices, due in January, are open
        per_client = cli("receivables", books_path("dev-coop"), "--as-of", as_of, "--per",
                         "client")
        open_total = sum(Decimal(r["open"]["USD"]) for r in per_client)
        assert open_total >= Decimal("77080.00")
        assert page.text("coop-open-total") == f"{open_total:,} USD"


def test_clients_page_names_the_late_clients_and_what_members_wait_for(tmp_path):
    """Invoices of April and May, part paid, seen at the end of September: late."""
    from tests.conftest import HEADER
    from tests.test_receivables import BOOKS as CLIENT_BOOKS
    from tests.test_receivables import PAYMENTS

    main_file = tmp_path / "clients" / "main.beancount"
    main_file.parent.mkdir()
    main_file.write_text(HEADER + textwrap.dedent(CLIENT_BOOKS + PAYMENTS) + (
        '2025-01-01 custom "fava-extension" "coop_beancount.fava_pages"\n'
        '2025-09-30 * "Bank" "Interest"\n  Assets:Bank  0.01 USD\n  Income:Members:Dues\n'))
    fava = Fava([str(main_file)])
    page = fava.get("clients", "CoopClients")
    check_clients(page, str(main_file), "2025-09-30", None)
    late = page.text("coop-late")
    assert late.startswith("Late: ") and "Cascade Outfitters (" in late, late
    table = page.query_table(h3="What each member is still waiting for")
    assert rows(table) and all(row[3] == row[4] for row in rows(table))  # all of it late


# -- Fava's time filter -----------------------------------------------------------------------

@pytest.mark.parametrize(("example", "time", "end"), [
    ("yogurt-coop", "2025-03", "2025-03-31"), ("dev-coop", "2025-03", "2025-03-31"),
    ("growers-coop", "2024", "2024-12-31"), ("growers-coop", "2025-03", "2025-03-31")])
def test_time_filter_on_members_is_coop_members_as_of(fava, example, time, end):
    expected = cli("members", books_path(example), "--as-of", end)
    assert expected != cli("members", books_path(example))  # the filter changes something
    page = fava.get(example, "CoopMembers", f"?time={time}")
    check_members_table(page, expected)
    assert f"as of {end}" in " ".join(page.html.split())


@pytest.mark.parametrize(("example", "time", "start", "end"), [
    ("yogurt-coop", "2025-03", "2025-03-01", "2025-03-31"),
    ("dev-coop", "2025-03", "2025-03-01", "2025-03-31"),
    ("growers-coop", "2025", "2025-01-01", "2025-12-31")])
def test_time_filter_on_a_member_page_is_coop_statement_from_to(fava, example, time, start,
                                                                  end):
    path = books_path(example)
    for key in member_keys(example):
        page = fava.get(example, "CoopMembers", f"?member={key}&time={time}")
        expected = cli("statement", path, key, "--from", start, "--to", end)
        check_statement(page, expected)
        text = cli_table("statement", path, key, "--from", start, "--to", end)
        opening = re.search(r"^Opening: owes (.*), capital (.*)$", text, re.M)
        closing = re.search(r"^Closing: owes (.*), capital (.*)$", text, re.M)
        assert page.texts["coop-figures"]
        figures = dict(zip(re.findall(r"<dt>(.*?)</dt>", page.html),
                           re.findall(r"<dd[^>]*>(.*?)</dd>", page.html), strict=True))
        assert figures["Opening: owes the co-op"] == opening.group(1)
        assert figures["Opening capital"] == opening.group(2)
        assert page.text("coop-closing-owes") == closing.group(1)
        assert page.text("coop-closing-capital") == closing.group(2)
        equity = cli("statement", path, key, "--to", end, "--equity")
        if equity:
            shown = rows(page.query_table(h3="Capital and equity by fiscal year"))
            assert [r[0] for r in shown] == [e["year"] for e in equity]
            assert [money(r[5]) for r in shown] == [money(e["outstanding"]) for e in equity]


@pytest.mark.parametrize(("time", "end"), [("2024", "2024-12-31"), ("2025-06", "2025-06-30"),
                                           ("2025-Q4", "2025-12-31")])
def test_time_filter_on_equity_is_coop_equity_as_of(fava, time, end):
    path = books_path("growers-coop")
    assert cli("equity", path, "--by", "year", "--as-of", end) != cli("equity", path, "--by",
                                                                       "year")
    page = fava.get("growers-coop", "CoopEquity", f"?time={time}")
    check_equity(page, path, "--as-of", end)
    check_proposal(page, path, BUDGET, "--as-of", end)


def test_time_filter_on_shared_costs_is_coop_shared_costs_from_to(fava):
    path = books_path("yogurt-coop")
    period = ("--from", "2025-04-01", "--to", "2025-06-30")
    page = fava.get("yogurt-coop", "CoopSharedCosts", "?time=2025-Q2")
    totals = cli("shared-costs", path, *period)
    assert totals and len(totals) < len(cli("shared-costs", path))
    check_shared_costs(page, totals, cli("shared-costs", path, *period, "--per", "member"))


# -- URLs naming what is not there ------------------------------------------------------------

@pytest.mark.parametrize(("example", "query", "words"), [
    ("dev-coop", "CoopMembers/?member=Nobody", "no member 'Nobody'"),
    ("dev-coop", "CoopMembers/?member=", "no member ''"),
    ("dev-coop", "CoopMembers/?member=%3Cb%3EX", "no member '&lt;b&gt;X'"),
    ("dev-coop", "CoopPatronage/?year=1999", "No patronage is allocated for FY1999"),
    ("yogurt-coop", "CoopPatronage/?year=2025", "No patronage is allocated for FY2025"),
    ("dev-coop", "CoopPatronage/?year=abc", "'abc' is not a fiscal year"),
    ("dev-coop", "CoopPatronage/?year=99999", "is not a fiscal year"),
    ("dev-coop", "CoopPatronage/?year=-2025", "is not a fiscal year"),
])
def test_unknown_member_or_year_is_a_404_in_favas_layout(fava, example, query, words):
    page, _, rest = query.partition("/")
    parsed = fava.get(example, page, rest, status=404)
    assert words in " ".join(parsed.html.split()).replace("&#39;", "'")
    assert parsed.texts["coop-not-found"]
    title = fava.app.config["LEDGERS"][fava.slugs[example]].options["title"]
    assert title.replace("'", "&#39;") in parsed.html  # Fava's layout, with the ledger's title
    assert "<aside" in parsed.html or "<nav" in parsed.html


@pytest.mark.parametrize("query", [
    "notice?year=2025&member=Nobody", "notice?year=1999&member=Jen", "notice?year=abc&member=Jen",
    "notice?member=Jen", "notice", "notice?year=2025"])
def test_a_notice_that_is_not_there_is_a_404(fava, query):
    response = fava.client.get(fava.url("dev-coop", "CoopPatronage", query))
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Traceback" not in html
    # In Fava's layout (its script draws the sidebar), saying what is not there.
    page = Page(html)
    said = page.text("coop-not-found")
    assert "/static/app.js" in html
    assert "No notice of allocation for member" in said or "is not a fiscal year" in said


#: Filters Fava cannot read, and what the pages say (Fava's own error page would put the
#: filter's text into the page as markup, with status 500).
BAD_FILTERS = [("?time=garbage", "Fava's time filter 'garbage' is not a time"),
               ("?time=June%202025", "Fava's time filter 'June 2025' is not a time"),
               ("?filter=bad((", "Fava's filter cannot be read (Failed to parse filter: bad(("),
               ("?time=<b>2025", "Fava's time filter '<b>2025' is not a time")]


@pytest.mark.parametrize(("query", "message"), BAD_FILTERS)
def test_a_filter_fava_cannot_read_is_said_cleanly(fava, query, message):
    for page_name, extra in [(page, "") for page in PAGES] + [("CoopMembers", "&member=Ana")]:
        page = fava.get("yogurt-coop", page_name, query + extra, status=400)
        assert page.text("coop-bad-filter").startswith(message)
        assert "clear" in page.text("coop-bad-filter")
        assert "<b>2025" not in page.html and "/static/app.js" in page.html


def test_patronage_says_it_does_not_follow_the_time_filter(fava):
    page = fava.get("growers-coop", "CoopPatronage", "?time=2025")
    assert "Fava's time filter (2025-01-01 to 2025-12-31) does not narrow this page" in \
        page.text("coop-filter-ignored")
    assert not fava.get("growers-coop", "CoopPatronage").texts["coop-filter-ignored"]


def test_the_sidebar_lists_the_pages_in_a_members_order_with_their_own_labels(fava):
    ledger = fava.app.config["LEDGERS"][fava.slugs["yogurt-coop"]]
    details = ledger.extensions.extension_details
    assert [(d.name, d.report_title) for d in details] == [
        ("CoopOverview", "Overview"), ("CoopMembers", "Members"),
        ("CoopSharedCosts", "Shared costs"),
        ("CoopPatronage", "Patronage"), ("CoopEquity", "Members' equity"),
        ("CoopClients", "Clients")]


def test_an_unknown_page_or_endpoint_is_a_404(fava):
    for url in (fava.url("dev-coop", "CoopNothing"), fava.url("dev-coop", "CoopMembers", "x"),
                fava.url("dev-coop", "CoopEquity", "notice?year=2025&member=Jen")):
        assert fava.client.get(url).status_code == 404


# -- HTML in the books ------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
#: A cost shared by three growers of the WORKED books, in May 2025.
SPLIT_COST = textwrap.dedent("""
    2024-01-01 open Expenses:Shared USD
    2024-01-01 open Income:Members:SharedCosts USD

    2025-05-01 * "Hardware store" "Tools"
      Expenses:Shared  90.00 USD
        split: "equal: G1, G2, G3"
      Assets:Bank
    """)
HOSTILE = WORKED.replace('"G1" "Grower One"', f'"G1" "{SCRIPT}"') + SPLIT_COST.replace(
    '"Hardware store" "Tools"',
    f'"<img src=x onerror=alert(2)>" "Tools {SCRIPT}"\n  note: "<b>bold</b>{SCRIPT}"')


def test_html_in_the_books_is_escaped(tmp_path):
    books = tmp_path / "main.beancount"
    books.write_text(HOSTILE + '2024-01-01 custom "fava-extension" "coop_beancount.fava_pages"\n')
    assert cli("members", str(books))[0]["name"] == SCRIPT
    fava = Fava([str(books)])
    assert not fava.app.config["LEDGERS"][fava.slugs[tmp_path.name]].errors
    pages = [(page, "") for page in PAGES] + [
        ("CoopMembers", "?member=G1"), ("CoopPatronage", "?year=2025"),
        ("CoopEquity", "?budget=100.00")]
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    in_json = "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"
    seen_in_html = seen_in_json = 0
    for page_name, query in pages:
        page = fava.get(tmp_path.name, page_name, query)
        assert "<script>alert" not in page.html and "<img src=x" not in page.html
        assert "<b>bold" not in page.html
        seen_in_html += page.html.count(escaped)
        for component in page.components:
            assert "<" not in component.raw and ">" not in component.raw
            seen_in_json += component.raw.count(in_json)
        if page_name == "CoopMembers" and query:
            statement = rows(page.query_table(h3="Statement"))
            assert any(SCRIPT in row[1] and "<img src=x" in row[1] for row in statement)
    assert seen_in_html >= 5  # members table, member's heading, statement, member parts, ...
    assert seen_in_json >= 1  # the member's capital chart
    notice = fava.client.get(fava.url(tmp_path.name, "CoopPatronage",
                                      "notice?year=2025&member=G1"))
    assert notice.status_code == 200
    text = notice.get_data(as_text=True)
    assert "<script>alert" not in text and escaped in text


# -- Settings that are not valid --------------------------------------------------------------

#: Settings as written after the module's name on the fava-extension line.
BAD_SETTINGS = [
    "\"{'period': 'fortnightly'}\"", "\"{'bogus': 1}\"", '"not a literal ("',
    "\"__import__('os')\"", '"[1, 2]"', "\"{'redemption_budget': 'lots'}\"",
    "\"{'redemption_budget': -1}\"", "\"{'period': None}\"", '"{1: 2}"', '""',
    '"' + "(" * 30 + "1" + ")" * 30 + '"', "\"'x' * 10 ** 9\"", "42", "TRUE", "2024-01-01",
    "10.00 USD"]


@pytest.mark.parametrize("settings", BAD_SETTINGS)
def test_settings_that_are_not_valid_are_a_fava_error_and_pages_use_defaults(tmp_path,
                                                                              settings):
    books = tmp_path / "main.beancount"
    line = f'2024-01-01 custom "fava-extension" "coop_beancount.fava_pages" {settings}\n'
    books.write_text(WORKED + SPLIT_COST + line)
    lineno = (WORKED + SPLIT_COST + line).count("\n")
    fava = Fava([str(books)])
    ledger = fava.app.config["LEDGERS"][fava.slugs[tmp_path.name]]
    problems = [e for e in ledger.errors if "co-op pages" in e.message]
    assert len(problems) == 1 == len(ledger.errors), ledger.errors
    for error in problems:
        assert error.source["filename"] == str(books)
        assert error.source["lineno"] == lineno
    for page in PAGES:
        fava.get(tmp_path.name, page)
    fava.get(tmp_path.name, "CoopMembers", "?member=G1")
    page = fava.get(tmp_path.name, "CoopEquity")
    assert not page.query_tables(h3="The next redemption")  # no default budget
    assert "Enter a budget" in page.html
    page = fava.get(tmp_path.name, "CoopSharedCosts")  # monthly periods, the default
    assert [row[:3] for row in rows(page.query_table(h2="Shared costs", h3=None))] == [
        ["equal", "2025-05", 1]]
    # The errors page lists them, without a crash; a second request adds none.
    assert fava.client.get(f"/{fava.slugs[tmp_path.name]}/errors/").status_code == 200
    fava.get(tmp_path.name, "CoopMembers")
    assert len([e for e in ledger.errors if "co-op pages" in e.message]) == len(problems)


# -- Read-only, and requests that would write -------------------------------------------------

def coop_urls(fava: Fava, example: str) -> list[str]:
    urls = [fava.url(example, page) for page in PAGES]
    urls += [fava.url(example, "CoopMembers", f"?member={key}") for key in member_keys(example)]
    urls += [fava.url(example, "CoopPatronage", f"?year={y}") for y in patronage_years(example)]
    urls += [fava.url(example, "CoopEquity", f"?budget={BUDGET}")]
    urls += [fava.url(example, "CoopPatronage", f"notice?year={y}&member={row['member']}")
             for y in patronage_years(example)
             for row in cli("patronage", books_path(example), "--year", str(y), "--per",
                            "member")[:2]]
    return urls


def digests() -> dict[Path, str]:
    return {path: hashlib.sha256(path.read_bytes()).hexdigest()
            for example in EXAMPLES
            for path in (ROOT / "examples" / example).rglob("*") if path.is_file()}


def test_read_only_fava_serves_every_page_and_refuses_a_post():
    fava = Fava([books_path(example) for example in EXAMPLES], read_only=True)
    for example in EXAMPLES:
        for url in coop_urls(fava, example):
            assert fava.client.get(url).status_code == 200, url
    notice = fava.url("dev-coop", "CoopPatronage", "notice?year=2025&member=Jen")
    assert fava.client.post(notice).status_code == 401


def test_coop_pages_refuse_writes_and_change_no_file(fava):
    before = digests()
    for example in EXAMPLES:
        for url in coop_urls(fava, example):
            for method in ("post", "put", "delete"):
                response = getattr(fava.client, method)(url, data={"x": "1"})
                assert response.status_code in (401, 404, 405), (method, url)
    assert digests() == before


# -- A reload ---------------------------------------------------------------------------------

def test_a_reload_after_the_books_change_shows_the_new_figures(tmp_path):
    books = tmp_path / "main.beancount"
    text = WORKED + textwrap.dedent("""\
        2024-01-01 custom "fava-extension" "coop_beancount.fava_pages"
        2024-01-01 custom "coop-share-class" "Member" 100.00 USD
        2024-01-01 custom "coop-subscription" "G2" "Member" 3
        """)
    books.write_text(text)
    fava = Fava([str(books)])
    name = tmp_path.name

    def g2_paid() -> dict[str, Decimal]:
        page = fava.get(name, "CoopMembers")
        (row,) = [r for r in page.tables["coop-members"][0].body if r[0].text == "G2"]
        return money_of_text(row[5].text)

    def g2_statement() -> list[tuple[str, str, dict[str, Decimal]]]:
        page = fava.get(name, "CoopMembers", "?member=G2")
        return [(r[0], r[1], money(r[5])) for r in rows(page.query_table(h3="Statement"))]

    assert g2_paid() == {}
    before = g2_statement()
    assert cli("members", str(books))[1]["shares_paid"] == {}
    books.write_text(text + textwrap.dedent("""\
        2025-02-01 * "G2" "Shares"
          Assets:Bank  200.00 USD
          Equity:Members:G2:Shares:Member
        """))
    mtime = books.stat().st_mtime + 10
    os.utime(books, (mtime, mtime))
    assert g2_paid() == {"USD": Decimal("200.00")}
    assert money(cli("members", str(books))[1]["shares_paid"]) == {"USD": Decimal("200.00")}
    after = g2_statement()
    assert len(after) == len(before) + 1
    assert after[0] == ("2025-02-01", "G2 - Shares", {"USD": Decimal("200.00")})


# -- Large co-ops: long tables are paged -------------------------------------------------------

def test_a_table_of_thousands_of_members_is_sent_a_page_at_a_time(tmp_path):
    from coop_beancount.fava_pages.views import PAGE_ROWS

    count = 2 * PAGE_ROWS + 3
    books = tmp_path / "main.beancount"
    books.write_text(textwrap.dedent("""\
        option "title" "Big grocery"
        option "operating_currency" "USD"
        plugin "coop_beancount.plugins.coop" "{'as_of': '2025-12-31'}"
        2025-01-01 custom "fava-extension" "coop_beancount.fava_pages"
        2025-01-01 custom "coop-share-class" "Owner" 100.00 USD
        """) + "".join(f'2025-01-01 custom "coop-member" "{n}" "Owner {n}"\n'
                       for n in range(1001, 1001 + count)))
    app = Fava([str(books)])

    def members_table(query: str = "") -> tuple[Table, Page]:
        page = app.get(tmp_path.name, "CoopMembers", query)
        biggest = max(page.tables["coop-table"], key=lambda t: len(t.body))
        return biggest, page

    first, page = members_table()
    assert len(first.body) == PAGE_ROWS  # never all 1,003 rows at once
    pager = page.text("coop-pager")
    assert f"Rows 1 to {PAGE_ROWS} of {count:,}" in pager
    links = [href for href in re.findall(r'href="([^"]*page=[^"]*)"', page.html)]
    assert len(links) == 2 and all("CoopMembers" in href for href in links)
    last, _ = members_table("?page=3")
    assert len(last.body) == 3
    assert last.body[-1][0].text == str(1000 + count)
    assert last.foot and [c.text for c in last.foot[0]] == [c.text for c in first.foot[0]]
    beyond, _ = members_table("?page=99")  # past the end: the last page
    assert [c.text for c in beyond.body[0]] == [c.text for c in last.body[0]]


def test_certificates_are_those_coop_certificates_writes(fava, tmp_path):
    """The Patronage page links each member's per-unit retain certificate of the year, and
    the page it serves is the one `coop certificates` writes (no register: no addresses)."""
    path = books_path("growers-coop")
    out = tmp_path / "certificates"
    code, output = cli_run("certificates", path, "--year", "2025", "--out", str(out))
    assert code == 0, output
    written = sorted(p.name for p in out.iterdir() if p.name != "index.html")
    assert written
    page = fava.client.get(fava.url("growers-coop", "CoopPatronage", "?year=2025"))
    html = page.get_data(as_text=True)
    assert "Per-unit retain certificates" in html
    for name in written:
        key = name.removeprefix("FY2025-").removesuffix(".html")
        assert f"certificate?year=2025&amp;member={key}" in html
        response = fava.client.get(fava.url("growers-coop", "CoopPatronage",
                                            f"certificate?year=2025&member={key}"))
        assert response.status_code == 200
        # The same page, but for Fava's link to its PDF (left off the print).
        shown = response.get_data(as_text=True)
        link = re.search(r'  <p class="no-print coop-pdf-link"><a href="([^"]+)">'
                         r'Download this certificate as PDF</a></p>\n', shown)
        assert link is not None
        assert urlsplit(link[1]).path.endswith("/CoopPatronage/certificate")
        assert parse_qs(urlsplit(link[1].replace("&amp;", "&")).query) == {
            "year": ["2025"], "member": [key], "format": ["pdf"]}
        assert shown.replace(link[0], "") == (out / name).read_text()
    missing = fava.client.get(fava.url("growers-coop", "CoopPatronage",
                                       "certificate?year=2025&member=Nobody"))
    assert missing.status_code == 404
