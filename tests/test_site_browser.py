"""The members' site in a real browser (Chromium, through Playwright): with markup in a
member's name, a payee and a narration, nothing fires on any page, Fava's Journal,
account pages and Income Statement included; and on ordinary books every page still
works: its tables and charts drawn, no error and no Content-Security-Policy violation in
the console.

`coop serve --members` serves the hostile books and the yogurt co-op's; the treasurer's
`coop serve` on the same hostile books shows that the markup is a real attack (Fava's
Journal runs it). Skipped without Chromium and Playwright, except under CI: see
tests/test_fava_browser.py, whose browser and tab helpers these tests use.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coop_beancount.cli.books import ledger_slug
from tests import test_fava_browser
from tests.site_books import NAME, PAYEE, SITE_BOOKS
from tests.test_fava_browser import (
    VIEWPORT,
    WAIT_MS,
    PlaywrightTimeout,
    Tab,
    books_path,
    free_port,
    wait_until_up,
)

# The browser (skipped without Chromium, except under CI) and the screenshots' folder.
browser = test_fava_browser.browser
artifacts = test_fava_browser.artifacts

#: Fava's own pages and the co-op's, as a member opens them ({hostile-member}: G3, whose
#: name is markup; the dues charged to G3 carry it as their payee).
PAGES = [
    "income_statement/", "balance_sheet/", "journal/", "account/Assets:Members:{member}:Dues/",
    "query/?query_string=SELECT%20date,%20payee,%20narration",
    "extension/CoopMembers/", "extension/CoopMembers/?member={member}",
    "extension/CoopSharedCosts/", "extension/CoopEquity/",
]
#: What each page draws once it works: a chart (svg) or a table.
DRAWN = "article svg, article table, article .journal, article ol.flex-table"


def serve(args: list[str], folder: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    coop = Path(sys.executable).with_name("coop")
    log = folder / f"serve-{port}.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(coop), "serve", *args, "--port", str(port)],
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(server, url, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    books = tmp_path_factory.mktemp("hostile") / "main.beancount"
    books.write_text(SITE_BOOKS)
    return books


@pytest.fixture(scope="module")
def members_site(browser: Any, hostile: Path) -> Iterator[str]:
    yield from serve(["--members", str(hostile), str(books_path("yogurt-coop"))],
                     hostile.parent)


@pytest.fixture
def tab(browser: Any, artifacts: Path) -> Iterator[Tab]:
    context = browser.new_context(viewport=VIEWPORT)
    try:
        yield Tab(context.new_page(), artifacts)
    finally:
        context.close()


def open_drawn(tab: Tab, url: str, shot: str, drawn: str = DRAWN) -> None:
    response = tab.page.goto(url)
    assert response is not None and response.status == 200, url
    try:
        tab.page.wait_for_selector(drawn, timeout=WAIT_MS)
    except PlaywrightTimeout:
        raise AssertionError(f"{url}: nothing drawn; errors: {tab.errors}") from None
    tab.page.wait_for_timeout(300)  # for a late error or dialog to show
    tab.screenshot(shot)


def test_nothing_from_the_books_runs_on_any_page(tab: Tab, members_site: str,
                                                 hostile: Path) -> None:
    slug = ledger_slug(hostile)
    for page in PAGES:
        url = f"{members_site}/{slug}/{page.format(member='G3')}"
        # Some pages have nothing to draw for these books (no split cost): their heading.
        open_drawn(tab, url, "site-hostile-" + page.replace("/", "_").split("?")[0],
                   drawn=f"{DRAWN}, article h2")
        assert not tab.dialogs, (url, tab.dialogs)
        tab.assert_clean()  # and nothing refused: the markup is text, not elements
    # Fava's Journal writes payees unescaped; on the site they are text.
    tab.page.goto(f"{members_site}/{slug}/journal/")
    tab.page.wait_for_selector(DRAWN, timeout=WAIT_MS)
    assert tab.page.locator("article img[src=x]").count() == 0
    assert PAYEE in tab.text() and NAME in tab.text()
    tab.assert_clean()


def test_every_page_works_under_the_policy(tab: Tab, members_site: str) -> None:
    slug = ledger_slug(books_path("yogurt-coop"))
    for page in PAGES:
        url = f"{members_site}/{slug}/{page.format(member='Ana')}"
        # The yogurt co-op has no patronage: that page has only its heading to show.
        drawn = f"{DRAWN}, article h2" if page.startswith("extension") else DRAWN
        open_drawn(tab, url, "site-yogurt-" + page.replace("/", "_").split("?")[0], drawn)
        tab.assert_clean()  # no console error at all: no CSP violation
    # Charts are drawn: the Income Statement's and the member's capital chart.
    tab.page.goto(f"{members_site}/{slug}/income_statement/")
    tab.page.wait_for_selector("article svg g", timeout=WAIT_MS)
    # (Gus: his capital grew in instalments; a capital that never changed has no chart.)
    tab.page.goto(f"{members_site}/{slug}/extension/CoopMembers/?member=Gus")
    tab.page.wait_for_selector("svelte-component[type=charts] svg g", timeout=WAIT_MS)
    # Tables still sort (Fava's script handles the click).
    header = tab.page.locator("article table thead th").first
    header.click()
    tab.assert_clean()


def test_the_treasurers_fava_runs_the_markup(tab: Tab, hostile: Path, browser: Any) -> None:
    """Without the site, the same books' Journal fires the injected handler: the hostile
    books are a real attack, and the test above could fail."""
    for url in serve([str(hostile)], hostile.parent):
        tab.page.goto(f"{url}/{ledger_slug(hostile)}/journal/")
        tab.page.wait_for_selector(DRAWN, timeout=WAIT_MS)
        tab.page.wait_for_timeout(500)
        assert tab.dialogs, f"no dialog from {NAME!r} in the treasurer's journal"
