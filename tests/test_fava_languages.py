"""The co-op pages in the language Fava shows (fava_pages/i18n.py): English by default,
German with Fava's `language` option (`custom "fava-option" "language" "de"`), through
Fava's own test client; and the German catalogue is complete and compiled as committed.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from fava.application import create_app

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "coop_beancount" / "fava_pages" / "translations"
GERMAN_PO = TRANSLATIONS / "de" / "LC_MESSAGES" / "coop.po"
GERMAN_MO = TRANSLATIONS / "de" / "LC_MESSAGES" / "coop.mo"
#: Every co-op page of the growers' co-op, and one of its members' pages.
PAGES = ("CoopOverview/", "CoopMembers/", "CoopMembers/?member=Andrade", "CoopSharedCosts/",
         "CoopPatronage/", "CoopEquity/")
#: Words each page shows in German, and in English (the page's heading and a sentence
#: or a column worked out in Python).
WORDS = {
    "CoopOverview/": (["Die Genossenschaft auf einen Blick", "Geld auf der Bank",
                       "Erträge und Aufwendungen nach Monat", ">Monat</th>",
                       "FY2026 endet am 2026-12-31."],
                      ["The co-op at a glance", "Money in the bank", "FY2026 ends 2026-12-31."]),
    "CoopMembers/": (["6 aktive Mitglieder", ">Netto geschuldet</th>", ">Summe</td>"],
                     ["6 active members", ">Net owed</th>", ">Total</td>"]),
    "CoopMembers/?member=Andrade": (
        ["Kontoauszug von Manuel Andrade", "Sie und die Genossenschaft sind quitt",
         "Ihr Kapital in der Genossenschaft: 27,470.40 USD", "Zwischensummen nach Konto",
         ">Schlusssalden</td>"],
        ["statement of Manuel Andrade", "You and the co-op are square",
         "Your capital in the co-op: 27,470.40 USD", "Subtotals by account",
         ">Closing balances</td>"]),
    "CoopSharedCosts/": (["<h2>Geteilte Kosten</h2>", "Keine geteilten Kosten"],
                         ["<h2>Shared costs</h2>", "No shared costs"]),
    "CoopPatronage/": (["<h2>Rückvergütungen</h2>", "Prüfungen der Vorschriften",
                        "Mitteilung (qualifiziert)", ">in Ordnung</td>"],
                       ["<h2>Patronage dividends</h2>", "Compliance checks",
                        ">qualified notice</a>", ">ok</td>"]),
    "CoopEquity/": (["Kapital: der revolvierende Fonds", "Offen nach Geschäftsjahr",
                     "Die nächste Rückzahlung"],
                    ["Equity: the revolving fund", "Outstanding by fiscal year",
                     "The next redemption"]),
}
#: The sidebar's titles of the co-op pages.
SIDEBAR = (["Überblick", "Mitglieder", "Geteilte Kosten", "Rückvergütung",
            "Kapital der Mitglieder"],
           ["Overview", "Members", "Shared costs", "Patronage", "Members' equity"])


def flat(text: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    """A message's text, or its singular and plural (lists in a .mo, tuples in a .po)."""
    return text if isinstance(text, str) else tuple(text)


def german(path: Path = GERMAN_PO) -> dict[str | tuple[str, ...], str | tuple[str, ...]]:
    """The German catalogue: English text -> German (a .po, or with read_mo a .mo)."""
    read = read_mo if path.suffix == ".mo" else read_po
    return {flat(m.id): flat(m.string) for m in read(io.BytesIO(path.read_bytes())) if m.id}


@pytest.fixture(scope="module")
def growers(tmp_path_factory) -> tuple[object, object, str]:
    """The growers' co-op served by Fava twice: as it is (English), and a copy with
    Fava's language option set to German."""
    folder = tmp_path_factory.mktemp("languages") / "growers-de"
    shutil.copytree(ROOT / "examples" / "growers-coop", folder)
    with (folder / "main.beancount").open("a") as books:
        books.write('\n2020-01-01 custom "fava-option" "language" "de"\n')
    english = create_app([ROOT / "examples" / "growers-coop" / "main.beancount"], load=True)
    deutsch = create_app([folder / "main.beancount"], load=True)
    slug = next(iter(english.config["LEDGERS"].ledgers_by_slug))
    return english.test_client(), deutsch.test_client(), slug


def page(client, slug: str, address: str) -> str:
    response = client.get(f"/{slug}/extension/{address}")
    assert response.status_code == 200, address
    return response.get_data(as_text=True)


def texts(markup: str) -> set[str]:
    """The page's texts between tags (scripts and styles left out), spaces made one."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", "", markup, flags=re.S)
    return {" ".join(html.unescape(text).split()) for text in re.split(r"<[^>]+>", markup)} - {""}


def titles(markup: str) -> set[str]:
    """The pages' titles in Fava's sidebar (its data, JSON in the page)."""
    return {json.loads(f'"{title}"')
            for title in re.findall(r'"report_title":\s*"((?:[^"\\]|\\.)*)"', markup)}


@pytest.mark.parametrize("address", PAGES)
def test_every_page_follows_favas_language(growers, address):
    english_client, german_client, slug = growers
    in_german, in_english = WORDS[address]
    deutsch = page(german_client, slug, address)
    english = page(english_client, slug, address)
    for words in in_german:
        assert words in deutsch, words
        assert words not in english, words
    for words in in_english:
        assert words in english, words
        assert words not in deutsch, words
    # No English text of the catalogue is left on the German page: a heading, a label or a
    # sentence the English page shows as a whole text is shown translated.
    catalogue = {english_text: german_text for english_text, german_text in german().items()
                 if isinstance(english_text, str) and english_text != german_text
                 and "%" not in english_text}
    shown = texts(english) & set(catalogue)
    assert shown  # the English page shows texts of the catalogue
    left = sorted(texts(deutsch) & shown)
    assert left == []
    # The sidebar names the co-op pages in the language shown.
    assert set(SIDEBAR[0]) <= titles(deutsch)
    assert set(SIDEBAR[1]) <= titles(english)
    assert not set(SIDEBAR[1]) & titles(deutsch)


def test_the_german_catalogue_is_complete_and_compiled():
    """Every text the pages put through gettext (the templates', the views', the reports'
    sentences) has a German translation, and coop.mo is coop.po compiled (run
    `bash scripts/translations.sh` after changing either the texts or the .po)."""
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
    method_map = [("fava_pages/**.py", "python"), ("reports/**.py", "python"),
                  ("fava_pages/templates/**.html", "jinja2")]
    found = {message for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "coop_beancount"), method_map, keywords=keywords)}
    catalogue = german()
    missing = [m for m in found if not catalogue.get(flat(m))]
    assert missing == []
    assert german(GERMAN_MO) == catalogue
    # Each translation keeps its placeholders (a "%(owes)s" lost would raise on the page).
    for english_text, german_text in catalogue.items():
        for one, other in zip(*(([t] if isinstance(t, str) else t)
                                for t in (english_text, german_text)), strict=True):
            assert sorted(re.findall(r"%\(\w+\)s", one)) == sorted(
                re.findall(r"%\(\w+\)s", other)), one


def test_the_overview_passes_its_gettext_on(monkeypatch):
    """overview() hands the page's gettext to the patronage steps even on books with usage
    units (a `_` used there as a throwaway name once made it a list: HTTP 500 on books
    with both usage splits and patronage, such as the benchmark's)."""
    from beancount import loader

    from coop_beancount.reports import overview as overview_module
    from coop_beancount.reports.view import CoopBooks

    entries, errors, options = loader.load_file(
        str(ROOT / "examples" / "yogurt-coop" / "main.beancount"))
    assert not errors
    books = CoopBooks.from_entries(entries, options)
    passed = []
    monkeypatch.setattr(overview_module, "patronage_steps",
                        lambda books, end, gettext: passed.append(gettext) or [])

    def marker(text: str) -> str:
        return text

    figures = overview_module.overview(books, None, None, marker)
    assert figures.saved  # the books have usage units, with retail prices
    assert passed == [marker]
