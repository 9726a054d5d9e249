"""The co-op pages in Fava, in a real browser: Debian's Chromium, driven by Playwright.

`coop serve` runs Fava on the three examples and on a ledger with HTML in a member's
name, a narration and a split key; Chromium opens every co-op page of every example.
Each page must load with no error in the browser's console, fill its tables with the
rows the `coop` command prints for the same books (--format json), and draw its charts.
A member's page is reached by clicking their name on the Members page, as a treasurer
would (Fava's router then loads it without a full page load). Text from the books is
shown as text: no script in it ever runs. A URL naming a member or year the books do
not have gives Fava's page with status 404 and the message.

scripts/bootstrap.sh installs Chromium (/usr/bin/chromium) and Playwright. Without them
these tests are skipped, except under CI (the environment variable CI set), where they
fail. A screenshot of each page goes to the folder $COOP_ARTIFACTS (default: pytest's
temporary folder, /tmp/pytest-of-$USER/pytest-current/coop-browser0/).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from beancount import loader
from click.testing import CliRunner

from coop_beancount.cli import main
from coop_beancount.cli.books import ledger_slug
from coop_beancount.reports.output import money_text
from tests.support import WORKED

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # then the tests skip (or fail under CI): see the `browser` fixture
    PlaywrightTimeout = TimeoutError

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# Headless, and nothing that reaches the network or writes outside the throwaway profile.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
EXAMPLES = ("yogurt-coop", "dev-coop", "growers-coop")
#: The member whose page each example's test opens (by clicking): one with a statement,
#: and for the two with patronage, one with allocations (Harju also left and was redeemed).
MEMBER = {"yogurt-coop": "Ana", "dev-coop": "Marcus", "growers-coop": "Harju"}
VIEWPORT = {"width": 1280, "height": 900}
WAIT_MS = 20_000

SCRIPT = "<script>alert(1)</script>"
KEY = "<svg/onload=alert(2)>"              # a split key: one word with no ':' is a valid name
PAYEE = "<img src=x onerror=alert(3)>"
NARRATION = "<img src=x onerror=alert(4)>"
UNIT = "<svg/onload=alert(5)>"             # a usage split's unit: one word
HOSTILE = "hostile"
HOSTILE_BOOKS = WORKED.replace(
    '"Cranberry Growers Co-operative"', '"Hostile Names Co-op"').replace(
    '"G1" "Grower One"', f'"G1" "{SCRIPT}"') + f"""
2024-01-01 custom "fava-extension" "coop_beancount.fava_pages"
2024-01-01 open Expenses:Supplies USD
2024-01-01 open Income:Members:SharedCosts USD
2024-01-01 custom "coop-split-key" "{KEY}" "equal"

2025-03-03 * "{PAYEE}" "{NARRATION}"
  Expenses:Supplies  100.00 USD
    split: "{KEY}"
  Assets:Bank

2025-03-04 * "Dairy" "Milk"
  Expenses:Supplies  10.00 USD
    split: "usage {UNIT}: G1 3, G2 2"
  Assets:Bank
"""


# -- The `coop` command, for what the pages must show ------------------------------------

def books_path(example: str) -> Path:
    return ROOT / "examples" / example / "main.beancount"


@functools.cache
def _cli(args: tuple[str, ...]) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def cli(*args: Any, nothing: str | None = None) -> Any:
    """`coop ARGS --format json`, parsed; [] if it says it has NOTHING to show."""
    code, out = _cli(tuple(map(str, args)))
    if code and nothing is not None and nothing in out:
        return []
    assert code == 0, f"coop {' '.join(map(str, args))}: {out}"
    return json.loads(out)


def money(value: dict[str, str]) -> dict[str, Decimal]:
    return {currency: Decimal(number) for currency, number in value.items()
            if Decimal(number) != 0}


def cell_money(text: str) -> dict[str, Decimal]:
    """Money as a table cell shows it: "1,234.50 USD" per currency (a line or ", " apart;
    Fava writes a minus sign), or "0"."""
    found: dict[str, Decimal] = {}
    for part in re.split(r"\n|, ", text.strip()):
        if part.strip() in ("", "0"):
            continue
        number, currency = part.split()
        value = Decimal(number.replace(",", "").replace("\N{MINUS SIGN}", "-"))
        if value != 0:
            found[currency] = value
    return found


@functools.cache
def allocation_years(example: str) -> list[int]:
    """The fiscal years the books allocate (their `coop-allocation` lines), newest first."""
    entries, _, _ = loader.load_file(str(books_path(example)))
    return sorted({int(e.values[0].value) for e in entries
                   if getattr(e, "type", None) == "coop-allocation"}, reverse=True)


# -- Chromium and Fava -------------------------------------------------------------------

def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def browser_missing() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not installed (scripts/bootstrap.sh installs Debian's chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (scripts/bootstrap.sh installs it from PyPI)"
    return None


@pytest.fixture(scope="module")
def browser() -> Any:
    missing = browser_missing()
    if missing:
        if under_ci():
            pytest.fail(f"{missing}; under CI the browser tests must run, not skip",
                        pytrace=False)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright gives the browser a new, empty profile in a temporary folder and
        # removes it at close.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Fava:
    url: str
    slugs: dict[str, str]  # example (or HOSTILE) -> the ledger's slug in Fava's URLs

    def page(self, example: str, report: str, query: str = "") -> str:
        return f"{self.url}/{self.slugs[example]}/extension/{report}/{query}"


@pytest.fixture(scope="module")
def fava(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`coop serve` on the three examples and the hostile ledger, on a free port."""
    folder = tmp_path_factory.mktemp("fava")
    hostile = folder / "main.beancount"
    hostile.write_text(HOSTILE_BOOKS)
    assert CliRunner().invoke(main, ["check", str(hostile)]).exit_code == 0
    books = {example: books_path(example) for example in EXAMPLES} | {HOSTILE: hostile}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    coop = Path(sys.executable).with_name("coop")
    log = folder / "fava.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(coop), "serve", *(str(path.resolve()) for path in books.values()),
             "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(server, url, log)
        yield Fava(url, {name: ledger_slug(path) for name, path in books.items()})
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_up(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        if server.poll() is not None:
            pytest.fail(f"coop serve exited ({server.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"Fava did not answer on {url} in 90 s:\n{log.read_text()}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("COOP_ARTIFACTS")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("coop-browser")


# -- A browser tab that records what goes wrong ------------------------------------------

@dataclass
class ConsoleError:
    text: str
    url: str


class Tab:
    """A page in Chromium, with every console error, script error and dialog recorded."""

    def __init__(self, page: Any, artifacts: Path, viewport: dict[str, int] = VIEWPORT) -> None:
        self.page = page
        self.artifacts = artifacts
        self.viewport = viewport
        self.errors: list[ConsoleError] = []
        self.dialogs: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(ConsoleError(str(error), "")))
        page.on("dialog", self._dialog)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(ConsoleError(message.text, message.location.get("url", "")))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def open(self, url: str, shot: str | None, status: int = 200) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == status, url
        self.settle(shot)

    def settle(self, shot: str | None) -> None:
        """Wait for Fava's components to draw, then take a picture (named SHOT) and check
        the console."""
        try:
            self.page.wait_for_function(
                """() => [...document.querySelectorAll('article svelte-component')]
                         .every(c => c.querySelector('table, svg'))""", timeout=WAIT_MS)
        except PlaywrightTimeout:
            raise AssertionError(
                f"a table or chart was not drawn; errors: {self.errors}") from None
        if shot:
            self.screenshot(shot)
        self.assert_clean()

    def assert_clean(self) -> None:
        assert not self.dialogs, f"a dialog opened: {self.dialogs}"
        assert not self.errors, f"errors in the browser: {self.errors}"

    def failed_load(self, url_part: str, status: int) -> list[ConsoleError]:
        """Take the console's "Failed to load resource" errors for URL_PART out of the
        record (an error the test expects), and return them."""
        taken = [e for e in self.errors if url_part in e.url
                 and e.text.startswith("Failed to load resource")
                 and f" status of {status} " in e.text]
        self.errors = [e for e in self.errors if e not in taken]
        return taken

    def screenshot(self, name: str) -> None:
        # Fava scrolls its <article>, not the page: make the window as tall as the article.
        height = self.page.evaluate("""() => {
            const article = document.querySelector('article');
            return article ? article.scrollHeight + article.getBoundingClientRect().top
                           : document.documentElement.scrollHeight;
        }""")
        self.page.set_viewport_size({"width": self.viewport["width"],
                                     "height": max(self.viewport["height"], min(height, 12_000))})
        self.page.screenshot(path=str(self.artifacts / f"{name}.png"))
        self.page.set_viewport_size(self.viewport)

    def text(self) -> str:
        return self.page.inner_text("article")

    def sections(self) -> list[Section]:
        """The article's headings, each with the rows of the tables under it."""
        found = self.page.evaluate("""() => {
            const sections = [{tag: '', text: '', tables: []}];
            const rows = t => [...(t.tBodies[0] ? t.tBodies[0].rows : [])]
                .map(r => [...r.cells].map(c => c.innerText.trim()));
            for (const el of document.querySelector('article')
                                     .querySelectorAll('h2, h3, h4, h5, table')) {
                if (el.tagName === 'TABLE') {
                    sections[sections.length - 1].tables.push(
                        {cls: el.className, rows: rows(el)});
                } else {
                    sections.push({tag: el.tagName.toLowerCase(),
                                   text: el.textContent.trim(), tables: []});
                }
            }
            return sections;
        }""")
        return [Section(s["tag"], s["text"], [Table(t["cls"], t["rows"]) for t in s["tables"]])
                for s in found]

    def charts(self) -> list[Chart]:
        """What each of Fava's charts components draws (the chart it shows)."""
        found = self.page.evaluate("""() => [...document.querySelectorAll(
                'article svelte-component[type=charts]')].map(c => {
            const svg = c.querySelector('svg');
            const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
            return {
                width: box.width, height: box.height,
                lines: svg ? [...svg.querySelectorAll('g.lines > path')]
                    .map(p => (p.getAttribute('d') || '').split('L').length) : [],
                points: svg ? svg.querySelectorAll('circle').length : 0,
                bars: svg ? [...svg.querySelectorAll('g.group rect[fill]')]
                    .filter(r => parseFloat(r.getAttribute('height')) > 0).length : 0,
                titles: [...c.querySelectorAll('button.unset')].map(b => b.textContent.trim()),
            };
        })""")
        return [Chart(**chart) for chart in found]


@dataclass
class Table:
    cls: str
    rows: list[list[str]]


@dataclass
class Section:
    tag: str
    text: str
    tables: list[Table]


@dataclass
class Chart:
    width: float
    height: float
    lines: list[int]   # per line drawn: its number of points
    points: int        # dots drawn on the lines
    bars: int          # bars drawn, of some height
    titles: list[str]  # the component's charts, when it has more than one


def tables_under(sections: list[Section], text: str) -> list[Table]:
    """The tables under the one heading reading TEXT (up to the next heading)."""
    matching = [s for s in sections if s.text == text]
    assert len(matching) == 1, (text, [s.text for s in sections])
    return matching[0].tables


def all_tables(sections: list[Section], cls: str) -> list[Table]:
    return [t for s in sections for t in s.tables if cls in t.cls.split()]


@pytest.fixture
def tab(browser: Any, fava: Fava, artifacts: Path) -> Any:
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = Tab(context.new_page(), artifacts)
        yield page
        page.assert_clean()  # and nothing went wrong after the test's last look
    finally:
        context.close()


# -- Every co-op page of every example ---------------------------------------------------

@pytest.mark.parametrize("example", EXAMPLES)
def test_members_page_lists_every_member(tab: Tab, fava: Fava, example: str) -> None:
    tab.open(fava.page(example, "CoopMembers"), f"{example}-members")
    expected = cli("members", books_path(example))
    [table] = all_tables(tab.sections(), "coop-members")
    assert [row[0] for row in table.rows] == [m["key"] for m in expected]
    assert [row[1] for row in table.rows] == [m["name"] for m in expected]
    status = ["active" if m["left"] is None else f"left {m['left']}" for m in expected]
    assert [row[2] for row in table.rows] == status
    # Shares paid and capital: the columns a treasurer checks against the CLI first.
    assert [row[5] for row in table.rows] == [money_text(money(m["shares_paid"]))
                                             for m in expected]
    assert [row[10] for row in table.rows] == [money_text(money(m["capital"]))
                                              for m in expected]
    # Net owed, the figure a member's page opens with: the CLI's, with its parts beside it.
    assert [row[9] for row in table.rows] == [money_text(money(m["net"])) for m in expected]


def test_members_page_follows_the_time_filter(tab: Tab, fava: Fava) -> None:
    tab.open(fava.page("yogurt-coop", "CoopMembers", "?time=2025-06"),
             "yogurt-coop-members-2025-06")
    expected = cli("members", books_path("yogurt-coop"), "--as-of", "2025-06-30")
    everyone = cli("members", books_path("yogurt-coop"))
    assert len(expected) < len(everyone)  # someone joined later: the filter shows in rows
    [table] = all_tables(tab.sections(), "coop-members")
    assert [row[0] for row in table.rows] == [m["key"] for m in expected]
    assert [row[3] for row in table.rows] == [m["joined"] for m in expected]


@pytest.mark.parametrize("example", EXAMPLES)
def test_clicking_a_member_opens_their_page(tab: Tab, fava: Fava, example: str) -> None:
    key = MEMBER[example]
    books = books_path(example)
    [member] = [m for m in cli("members", books) if m["key"] == key]
    tab.open(fava.page(example, "CoopMembers"), None)  # pictured above
    tab.page.locator("table.coop-members a", has_text=re.compile(f"^{key}$")).click()
    heading = tab.page.locator(".coop-member-name")
    heading.wait_for(timeout=WAIT_MS)
    assert member["name"] in heading.inner_text()
    assert f"member={key}" in tab.page.url
    tab.settle(f"{example}-member-{key}")

    sections = tab.sections()
    [statement] = tables_under(sections, "Statement")
    lines = cli("statement", books, key)
    assert [row[:3] for row in statement.rows] == [
        [line["date"], line["description"], line["account"]] for line in lines]
    assert [[cell_money(cell) for cell in row[3:]] for row in statement.rows] == [
        [money(line["amount"]), money(line["owes"]), money(line["capital"])] for line in lines]

    equity = cli("statement", books, key, "--equity")
    shown = tables_under(sections, "Capital and equity by fiscal year")
    if equity:
        assert [row[0] for row in shown[0].rows] == [y["year"] for y in equity]
    else:
        assert shown == [] and "No retained patronage equity" in tab.text()

    allocations = [row for year in allocation_years(example)
                   for row in cli("patronage", books, "--year", year) if row["member"] == key]
    patronage = tables_under(sections, "Patronage")
    if allocations:
        assert sorted((row[0], row[1], cell_money(row[4])) for row in patronage[0].rows) == \
            sorted((f"FY{a['year']}", a["pool"], money(a["allocation"])) for a in allocations)
    else:
        assert patronage == [] and "No patronage dividends allocated" in tab.text()

    # Capital over time: a line per currency, a dot for each day of the statement (also
    # where the capital is nothing: Harju's ends at zero, paid back after leaving); no
    # chart of a capital that never changed from one day to the next.
    by_day = {line["date"]: tuple(sorted(money(line["capital"]).items())) for line in lines}
    if len(set(by_day.values())) < 2:
        assert tab.charts() == []
        return
    [chart] = tab.charts()
    currencies = {currency for line in lines for currency in money(line["capital"])}
    assert chart.width > 300 and chart.height > 100
    assert len(chart.lines) == len(currencies) and all(n > 1 for n in chart.lines), chart
    assert chart.points == len(currencies) * len({line["date"] for line in lines}), chart


@pytest.mark.parametrize("example", EXAMPLES)
def test_shared_costs_page(tab: Tab, fava: Fava, example: str) -> None:
    books = books_path(example)
    tab.open(fava.page(example, "CoopSharedCosts"), f"{example}-shared-costs")
    sections = tab.sections()
    totals = cli("shared-costs", books, nothing="no shared costs")
    if not totals:
        assert "No shared costs" in tab.text()
        return
    [summary] = tables_under(sections, "Shared costs")
    assert [row[:3] for row in summary.rows] == [
        [r["key"], r["period"], str(r["costs"])] for r in totals]
    assert [cell_money(row[3]) for row in summary.rows] == [money(r["total"]) for r in totals]

    parts = cli("shared-costs", books, "--per", "member")
    keys = sorted({r["key"] for r in parts})
    # One row per member, a column per key: the CLI's parts added up over the periods.
    [table] = tables_under(sections, "Each member's part")
    wanted: dict[str, dict[str, Decimal]] = {}
    for r in parts:
        for currency, number in money(r["part"]).items():
            cell = wanted.setdefault(f"{r['member']}|{r['key']}", {})
            cell[currency] = cell.get(currency, Decimal(0)) + number
    members = sorted({r["member"] for r in parts})
    assert [row[0] for row in table.rows] == members
    for row in table.rows:
        assert [cell_money(cell) for cell in row[2:2 + len(keys)]] == [
            wanted.get(f"{row[0]}|{key}", {}) for key in keys]

    units = sorted({key.split(" ", 1)[1] for key in keys if key.startswith("usage ")})
    assert [s.text for s in sections if s.text.startswith("Cost per unit")] == [
        f"Cost per unit: {unit}" for unit in units]
    charts = tab.charts()
    assert len(charts) == len(units)
    for unit, chart in zip(units, charts, strict=True):
        by_period = cli("costs", books, "--unit", unit)
        by_member = cli("costs", books, "--unit", unit, "--per", "member")
        [table] = tables_under(sections, f"Cost per unit: {unit}")
        assert [row[0] for row in table.rows] == [r["label"] for r in by_period]
        assert [cell_money(row[3]) for row in table.rows] == [
            money(r["cost_per_unit"]) for r in by_period]
        per_member = [s for s in sections if s.text == "Per member"][units.index(unit)]
        assert [row[0] for row in per_member.tables[0].rows] == [r["label"] for r in by_member]
        # One line per series, one dot per period on each.
        assert chart.lines and chart.points == len(chart.lines) * len(by_period), chart
        if any(r["retail"] for r in by_period):
            savings = f"Members' savings against retail ({unit})"
            assert chart.titles == [f"Cost per unit ({unit})", savings]
            tab.page.locator("svelte-component[type=charts] button", has_text=savings).click()
            tab.page.wait_for_function(
                "() => document.querySelector('svelte-component[type=charts] g.group rect')",
                timeout=WAIT_MS)
            tab.screenshot(f"{example}-shared-costs-savings-{unit}")
            [bars] = tab.charts()
            assert bars.bars == sum(1 for r in by_period if money(r["saved"])), bars
    if example == "yogurt-coop":
        assert units == ["quarts"]  # the example's milk, by the quart: its charts are drawn
    tab.assert_clean()


CERTIFICATES = "Per-unit retain certificates"


def patronage_rows(tab: Tab, books: Path, years: list[int]) -> None:
    """The page's pools, checks and allocations are those `coop patronage` prints."""
    sections = tab.sections()
    assert [s.text for s in sections if s.tag == "h3"] == [f"FY{y}" for y in years]
    pools = [p for y in years for p in cli("patronage", books, "--year", y, "--per", "pool")]
    checks = [c for y in years for c in cli("patronage", books, "--year", y, "--per", "check")]
    allocations = [a for y in years for a in cli("patronage", books, "--year", y)]
    # Each pool's heading (h4) and figures; the year's per-unit retain certificates follow.
    figures = [t for s in sections if s.tag == "h4" and s.text != CERTIFICATES
               for t in s.tables]
    assert [t.rows[0][0] for t in figures] == [p["pool"] for p in pools]
    assert [cell_money(t.rows[0][7]) for t in figures] == [money(p["pool_amount"]) for p in pools]
    shown_checks = [row for t in all_tables(sections, "coop-checks") for row in t.rows]
    assert [row[:2] for row in shown_checks] == [[c["check"], c["status"]] for c in checks]
    shown = [row for t in all_tables(sections, "coop-allocations") for row in t.rows]
    assert sorted((row[0], row[1], row[3], row[4], row[5]) for row in shown) == sorted(
        (a["member"], a["name"], money_text(money(a["allocation"])),
         money_text(money(a["cash"])), money_text(money(a["retained"]))) for a in allocations)


@pytest.mark.parametrize("example", EXAMPLES)
def test_patronage_page_all_years(tab: Tab, fava: Fava, example: str) -> None:
    years = allocation_years(example)
    tab.open(fava.page(example, "CoopPatronage"), f"{example}-patronage")
    if not years:
        assert "No patronage is allocated in these books" in tab.text()
        assert tab.sections()[-1].tables == []
        return
    links = tab.page.locator("p.coop-years a").all_inner_texts()
    assert links == ["all", *(f"FY{y}" for y in years)]
    patronage_rows(tab, books_path(example), years)


@pytest.mark.parametrize("example", [e for e in EXAMPLES if allocation_years(e)])
def test_patronage_page_one_year(tab: Tab, fava: Fava, example: str) -> None:
    year = allocation_years(example)[-1]  # the oldest: not the one the page would lead with
    tab.open(fava.page(example, "CoopPatronage"), None)  # pictured above
    tab.page.locator("p.coop-years a", has_text=f"FY{year}").click()
    tab.page.wait_for_url(re.compile(f"year={year}"), timeout=WAIT_MS)
    tab.page.wait_for_function(
        f"() => [...document.querySelectorAll('article h3')].map(h => h.textContent)"
        f".join() === 'FY{year}'", timeout=WAIT_MS)
    tab.settle(f"{example}-patronage-{year}")
    patronage_rows(tab, books_path(example), [year])
    # The notice link serves the member's printable notice.
    link = tab.page.locator("table.coop-allocations a[data-remote]").first
    member = tab.page.locator("table.coop-allocations tbody tr").first.locator("td").nth(1)
    response = tab.page.request.get(fava.url + link.get_attribute("href"))
    assert response.status == 200 and member.inner_text() in response.text()


@pytest.mark.parametrize("example", EXAMPLES)
def test_equity_page(tab: Tab, fava: Fava, example: str) -> None:
    books = books_path(example)
    tab.open(fava.page(example, "CoopEquity"), f"{example}-equity")
    sections = tab.sections()
    by_year = cli("equity", books, "--by", "year")
    total: dict[str, Decimal] = {}
    for row in by_year:
        for currency, number in money(row["total"]).items():
            total[currency] = total.get(currency, Decimal(0)) + number
    assert cell_money(tab.page.inner_text(".coop-equity-total")) == total
    if by_year:
        [table] = tables_under(sections, "Outstanding by fiscal year")
        assert [[row[0], cell_money(row[4])] for row in table.rows] == [
            [r["year"], money(r["total"])] for r in by_year]
        by_member = cli("equity", books)
        [table] = tables_under(sections, "Outstanding by member and fiscal year")
        assert [[*row[:3], cell_money(row[6])] for row in table.rows] == [
            [r["member"], r["name"], r["year"], money(r["total"])] for r in by_member]
    else:
        assert "No retained patronage equity is outstanding" in tab.text()
    redeemed = cli("equity", books, "--redeemed")
    shown = tables_under(sections, "Redemptions made")
    if redeemed:
        assert [[*row[:5], cell_money(row[5])] for row in shown[0].rows] == [
            [r["date"], r["member"], r["name"], r["year"], r["kind"], money(r["amount"])]
            for r in redeemed]
    else:
        assert shown == [] and "No redemptions have been made" in tab.text()

    if not by_year:  # a fund of nothing: nothing to redeem, and no form for it
        assert tab.page.locator("form.coop-redeem").count() == 0
        assert "Nothing to redeem" in tab.text()
        return
    budget = tab.page.input_value("form.coop-redeem input[name=budget]")
    if budget:  # the books' setting proposes a redemption
        assert_proposal(tab, books, budget)
    if by_year:  # try another budget through the form, as a treasurer would
        tab.page.fill("form.coop-redeem input[name=budget]", "1000.00")
        tab.page.click("form.coop-redeem button")
        tab.page.wait_for_url(re.compile("budget=1000.00"), timeout=WAIT_MS)
        tab.settle(f"{example}-equity-budget-1000")
        assert_proposal(tab, books, "1000.00")


def assert_proposal(tab: Tab, books: Path, budget: str) -> None:
    [table] = tables_under(tab.sections(), "The next redemption")
    proposal = cli("equity", books, "--redeem", budget)
    assert [[*row[:4], cell_money(row[4])] for row in table.rows] == [
        [r["member"], r["name"], r["year"], r["kind"], money(r["amount"])] for r in proposal]


@pytest.mark.parametrize(("key", "words"), [
    ("Gus", "You owe the co-op 34.80 USD: dues 10.00 USD, shared costs and other charges "
            "24.80 USD."),
    ("Eli", "The co-op owes you 26.07 USD"),
    ("Chloe", "You and the co-op are square")])
def test_a_members_page_says_what_they_owe_in_words(tab: Tab, fava: Fava, key: str,
                                                    words: str) -> None:
    tab.open(fava.page("yogurt-coop", "CoopMembers", f"?member={key}"),
             f"yogurt-coop-member-{key}-summary")
    assert tab.page.inner_text(".coop-standing").startswith(words)
    assert tab.page.locator(".coop-pay").count() == (1 if key == "Gus" else 0)


@pytest.mark.parametrize("example", EXAMPLES)
def test_overview_page(tab: Tab, fava: Fava, example: str) -> None:
    tab.open(fava.page(example, "CoopOverview"), f"{example}-overview")
    assert tab.page.inner_text("article h2") == "The co-op at a glance"
    [chart] = tab.charts()
    [months] = tables_under(tab.sections(), "Income and expenses by month")
    assert chart.bars >= len(months.rows)  # a bar for each month's income or expenses
    # First in Fava's sidebar, the co-op's pages in a member's order after it.
    links = tab.page.locator("aside a").all_inner_texts()
    mine = [t.strip() for t in links if t.strip() in (
        "Overview", "Members", "Shared costs", "Patronage", "Members' equity")]
    assert mine == ["Overview", "Members", "Shared costs", "Patronage", "Members' equity"]


def test_a_members_page_prints_with_its_head_and_without_favas_frame(tab: Tab, fava: Fava,
                                                                     artifacts: Path) -> None:
    tab.open(fava.page("yogurt-coop", "CoopMembers", "?member=Gus"), None)
    assert not tab.page.locator(".coop-print-head").is_visible()  # on screen: Fava's title
    tab.page.emulate_media(media="print")
    head = tab.page.locator(".coop-print-head")
    assert head.is_visible()
    assert "Somerville Yogurt Making Co-op: statement of Gus Almeida (Gus)" in head.inner_text()
    assert not tab.page.locator("aside").is_visible()
    # The whole statement is printed: no scrolling box cuts it off.
    box = tab.page.locator(".coop-box")
    assert box.evaluate("b => b.scrollHeight <= b.clientHeight + 1")
    pdf = tab.page.pdf(path=str(artifacts / "yogurt-coop-member-Gus.pdf"))
    assert pdf.startswith(b"%PDF")


def test_clients_page(tab: Tab, fava: Fava) -> None:
    """dev-coop at the end of 2025: December's invoices open, the members' year of pay."""
    books = books_path("dev-coop")
    tab.open(fava.page("dev-coop", "CoopClients", "?time=2025"), "dev-coop-clients")
    sections = tab.sections()
    per_client = cli("receivables", books, "--as-of", "2025-12-31", "--per", "client")
    total: dict[str, Decimal] = {}
    for row in per_client:
        for currency, number in money(row["open"]).items():
            total[currency] = total.get(currency, Decimal(0)) + number
    assert total and cell_money(tab.page.inner_text(".coop-open-total")) == total
    [table] = tables_under(sections, "Open invoices by client and age")
    assert [[row[0], cell_money(row[7])] for row in table.rows] == [
        [r["client"], money(r["open"])] for r in per_client]
    earned = cli("earnings", books, "--from", "2025-01-01", "--to", "2025-12-31")
    [table] = tables_under(sections, "Members' earnings")
    assert [[row[0], cell_money(row[4])] for row in table.rows] == [
        [r["member"], money({r["currency"]: r["earned"]})] for r in earned]


# -- On a phone ---------------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}


def phone_pages(example: str) -> list[tuple[str, str, str]]:
    """(report, query, name) of every co-op page of EXAMPLE, as a member opens them."""
    pages = [("CoopOverview", "", "overview"), ("CoopMembers", "", "members"),
             ("CoopMembers", f"?member={MEMBER[example]}", f"member-{MEMBER[example]}"),
             ("CoopSharedCosts", "", "shared-costs"), ("CoopPatronage", "", "patronage"),
             ("CoopEquity", "", "equity"), ("CoopClients", "?time=2025-12", "clients")]
    years = allocation_years(example)
    if years:
        first = cli("patronage", books_path(example), "--year", years[0])[0]["member"]
        pages.append(("CoopPatronage", f"notice?year={years[0]}&member={first}", "notice"))
    return pages


@pytest.mark.parametrize("example", EXAMPLES)
def test_on_a_phone_no_page_is_wider_than_the_window(browser: Any, fava: Fava,
                                                     artifacts: Path, example: str) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        tab = Tab(context.new_page(), artifacts, PHONE)
        for report, query, name in phone_pages(example):
            tab.open(fava.page(example, report, query), None)
            tab.screenshot(f"phone-{example}-{name}")
            widths = tab.page.evaluate("""() => {
                const article = document.querySelector('article');
                return {window: window.innerWidth,
                        page: document.documentElement.scrollWidth,
                        body: document.body.scrollWidth,
                        article: article ? article.scrollWidth - article.clientWidth : 0};
            }""")
            # Nothing pans the page sideways: wide tables scroll in their own box.
            assert widths["page"] <= widths["window"], (name, widths)
            assert widths["body"] <= widths["window"], (name, widths)
            assert widths["article"] <= 0, (name, widths)
            if report == "CoopMembers" and not query:
                # Each member a card: their net owed is on the screen, beside its label.
                card = tab.page.locator("table.coop-members tbody tr").first
                net = card.locator("td[data-label='Net owed']")
                assert net.is_visible()
                box = net.bounding_box()
                assert box is not None and box["x"] + box["width"] <= PHONE["width"]
            if report == "CoopMembers" and query:
                assert tab.page.locator(".coop-standing").is_visible()
                assert tab.page.locator(".coop-scroll-cue").first.is_visible()
        tab.assert_clean()
    finally:
        context.close()


# -- URLs naming what the books do not have ----------------------------------------------

NOT_FOUND = [
    ("yogurt-coop", "CoopMembers", "?member=Nobody", "There is no member 'Nobody'"),
    ("dev-coop", "CoopPatronage", "?year=1999", "No patronage is allocated for FY1999"),
    ("dev-coop", "CoopPatronage", "?year=soon", "'soon' is not a fiscal year"),
    ("yogurt-coop", "CoopPatronage", "?year=2025", "No patronage is allocated for FY2025"),
    (HOSTILE, "CoopMembers", f"?member={quote(SCRIPT)}", f"There is no member '{SCRIPT}'"),
]


@pytest.mark.parametrize(("example", "report", "query", "message"), NOT_FOUND)
def test_unknown_member_or_year_is_a_404_page(tab: Tab, fava: Fava, example: str,
                                              report: str, query: str, message: str) -> None:
    url = fava.page(example, report, query)
    response = tab.page.goto(url)
    assert response is not None and response.status == 404
    tab.page.wait_for_load_state("networkidle")
    tab.screenshot(f"404-{example}-{report}-{re.sub(r'[^a-z0-9]+', '-', query.lower())}")
    assert message in tab.page.inner_text(".coop-not-found")
    assert tab.page.locator("aside").count() == 1  # Fava's own layout, with its sidebar
    # The one error Chromium logs is the page's own 404 ("Failed to load resource"):
    # the page itself is the resource. Nothing else, and no script error.
    assert [e.url for e in tab.failed_load(url, 404)] == [url]
    tab.assert_clean()


@pytest.mark.parametrize("query", ["?time=garbage", "?filter=bad((", "?time=June 2025"])
def test_a_filter_fava_cannot_read_is_said_in_favas_layout(tab: Tab, fava: Fava,
                                                            query: str) -> None:
    url = fava.page("yogurt-coop", "CoopMembers", query)
    response = tab.page.goto(url)
    assert response is not None and response.status == 400
    tab.page.wait_for_load_state("networkidle")
    tab.screenshot(f"400-yogurt-coop-members-{re.sub(r'[^a-z0-9]+', '-', query.lower())}")
    said = tab.page.inner_text(".coop-bad-filter")
    assert said.startswith("Fava's") and "clear" in said
    assert tab.page.locator("aside").count() == 1  # Fava's own layout, with its sidebar
    assert tab.page.locator("article b, article script:not([type])").count() == 0
    tab.failed_load(fava.url, 400)
    tab.assert_clean()


def test_chart_buttons_that_would_do_nothing_are_not_shown(tab: Tab, fava: Fava) -> None:
    tab.open(fava.page("yogurt-coop", "CoopSharedCosts"), None)
    charts = tab.page.locator("article svelte-component[type=charts]")
    assert charts.count() >= 1
    # Fava's "At Cost" and "Monthly" pickers: hidden (the figures are worked out already).
    pickers = charts.locator("button[role=combobox]")
    assert pickers.count() >= 2
    assert all(not pickers.nth(i).is_visible() for i in range(pickers.count()))
    assert charts.first.locator("svg").first.is_visible()


# -- HTML in the books is text -----------------------------------------------------------

def test_html_in_the_books_is_shown_as_text(tab: Tab, fava: Fava) -> None:
    tab.open(fava.page(HOSTILE, "CoopMembers"), "hostile-members")
    assert SCRIPT in tab.text()
    assert_no_element_from_the_books(tab)
    # To the member's page by clicking: Fava's router puts the page in place itself.
    tab.page.locator("table.coop-members a", has_text=re.compile("^G1$")).click()
    tab.page.locator(".coop-member-name").wait_for(timeout=WAIT_MS)
    tab.settle("hostile-member-G1")
    assert SCRIPT in tab.page.inner_text(".coop-member-name")
    text = tab.text()
    assert f"{PAYEE} - {NARRATION}" in text
    assert f"usage 3 {UNIT} of 5 {UNIT}" in text
    assert f"Capital of {SCRIPT}" in tab.page.inner_text("svelte-component[type=charts]")
    assert_no_element_from_the_books(tab)

    tab.open(fava.page(HOSTILE, "CoopSharedCosts"), "hostile-shared-costs")
    text = tab.text()
    assert KEY in text and SCRIPT in text and f"Cost per unit: {UNIT}" in text
    assert f"Cost per unit ({UNIT})" in tab.page.inner_text(
        "svelte-component[type=charts]")
    assert_no_element_from_the_books(tab)

    tab.open(fava.page(HOSTILE, "CoopPatronage"), "hostile-patronage")
    assert SCRIPT in tab.text()
    tab.open(fava.page(HOSTILE, "CoopEquity"), "hostile-equity")
    assert SCRIPT in tab.text()

    notice = fava.page(HOSTILE, "CoopPatronage", "notice?year=2025&member=G1")
    response = tab.page.goto(notice)
    assert response is not None and response.status == 200
    tab.page.wait_for_load_state("networkidle")
    tab.screenshot("hostile-notice")
    assert SCRIPT in tab.page.inner_text("body")
    # A notice is a page of its own, without Fava's icon: Chromium asks for /favicon.ico,
    # which Fava does not have. That 404 is the one error expected here.
    tab.failed_load("/favicon.ico", 404)
    tab.assert_clean()


def assert_no_element_from_the_books(tab: Tab) -> None:
    """No <script>, <img> or <svg onload> was made from the text of the books."""
    assert tab.page.locator("article img, article script:not([type])").count() == 0
    assert tab.page.locator("article svg[onload]").count() == 0
