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
         "CoopPatronage/", "CoopEquity/", "CoopClients/")
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
                        "Mitteilung (qualifiziert)", ">in Ordnung</td>",
                        "Bescheinigungen über Einbehalte je Einheit",
                        ">Bescheinigung (qualifiziert)</a>"],
                       ["<h2>Patronage dividends</h2>", "Compliance checks",
                        ">qualified notice</a>", ">ok</td>", "Per-unit retain certificates",
                        ">qualified certificate</a>"]),
    "CoopEquity/": (["Kapital: der revolvierende Fonds", "Offen nach Geschäftsjahr",
                     "Die nächste Rückzahlung"],
                    ["Equity: the revolving fund", "Outstanding by fiscal year",
                     "The next redemption"]),
    "CoopClients/": (["<h2>Kunden: offene Rechnungen", "Keine offenen Rechnungen.",
                      "Kein Mitglied wartet auf einen Kunden.",
                      "Keine Rechnungen oder Löhne in diesem Zeitraum."],
                     ["<h2>Clients: open invoices", "No open invoices.",
                      "No member is waiting for a client.",
                      "No invoices or wages in this time."]),
}
#: The sidebar's titles of the co-op pages.
SIDEBAR = (["Überblick", "Mitglieder", "Geteilte Kosten", "Rückvergütung",
            "Kapital der Mitglieder", "Kunden"],
           ["Overview", "Members", "Shared costs", "Patronage", "Members' equity", "Clients"])


def flat(text: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    """A message's text, or its singular and plural (lists in a .mo, tuples in a .po)."""
    return text if isinstance(text, str) else tuple(text)


def key(text: str | list[str] | tuple[str, ...], context: str | None) -> str | tuple[str, ...]:
    """A message's key: its text, or for a text in a context (pgettext) gettext's own
    "context\x04text", which no page shows."""
    return f"{context}\x04{text}" if context else flat(text)


def german(path: Path = GERMAN_PO) -> dict[str | tuple[str, ...], str | tuple[str, ...]]:
    """The German catalogue: English text -> German (a .po, or with read_mo a .mo)."""
    read = read_mo if path.suffix == ".mo" else read_po
    return {key(m.id, m.context): flat(m.string)
            for m in read(io.BytesIO(path.read_bytes())) if m.id}


def served(tmp_path_factory, example: str) -> tuple[object, object, str]:
    """The example's books served by Fava twice: as they are (English), and a copy with
    Fava's language option set to German."""
    folder = tmp_path_factory.mktemp("languages") / f"{example}-de"
    shutil.copytree(ROOT / "examples" / example, folder)
    with (folder / "main.beancount").open("a") as books:
        books.write('\n2020-01-01 custom "fava-option" "language" "de"\n')
    english = create_app([ROOT / "examples" / example / "main.beancount"], load=True)
    deutsch = create_app([folder / "main.beancount"], load=True)
    slug = next(iter(english.config["LEDGERS"].ledgers_by_slug))
    return english.test_client(), deutsch.test_client(), slug


@pytest.fixture(scope="module")
def growers(tmp_path_factory) -> tuple[object, object, str]:
    """The growers' co-op (no clients: the Clients page's empty states)."""
    return served(tmp_path_factory, "growers-coop")


@pytest.fixture(scope="module")
def developers(tmp_path_factory) -> tuple[object, object, str]:
    """The developers' co-op: clients' invoices, open and late, and members' earnings."""
    return served(tmp_path_factory, "dev-coop")


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
    check_languages(growers, address, *WORDS[address])


#: The Clients page with open invoices, late ones, and earnings (the developers' co-op in
#: December 2025, its invoices due in January).
CLIENTS = ("CoopClients/?time=2025-12",
           ["Kunden: offene Rechnungen und Vergütung der Mitglieder", "Kunden schulden",
            "(Ende von Favas Zeitfilter).", "Offene Rechnungen nach Kunde und Alter",
            ">Kunde</th>", ">Laufend</th>", ">1-30 Tage</th>", ">Tage überfällig</th>",
            ">Noch zu zahlen</th>", ">Summe</td>", "Verdienste der Mitglieder",
            "Abgerechnet, Gebühr, Verdienst und gezahlte Löhne zählen",
            "wie <code>coop earnings</code> sie ausgibt."],
           ["Clients: open invoices and members&#39; pay", "Clients owe",
            "(the end of Fava&#39;s time filter).", ">Client</th>", ">Current</th>",
            ">1-30 days</th>", ">To be paid</th>", ">Total</td>",
            "as <code>coop earnings</code> gives them."])


def test_the_clients_page_follows_favas_language(developers):
    check_languages(developers, *CLIENTS)


def test_patronage_as_a_quantity_is_not_the_dividend(growers):
    """"Patronage" is the page (the dividends: Rückvergütung) and, in the pools' and a
    member's tables, the members' use of the co-op: a column of its own German word."""
    english_client, german_client, slug = growers
    for address in ("CoopPatronage/", "CoopMembers/?member=Andrade"):
        deutsch = page(german_client, slug, address)
        assert ">Umsatz mit der Genossenschaft</th>" in deutsch, address
        assert ">Rückvergütung</th>" not in deutsch, address
        assert ">Patronage</th>" in page(english_client, slug, address), address
    assert "Rückvergütung" in titles(page(german_client, slug, "CoopPatronage/"))


def test_a_missing_certificate_is_said_in_german(growers):
    english_client, german_client, slug = growers
    address = f"/{slug}/extension/CoopPatronage/certificate?year=2025&member=Nobody"
    for client, words in ((german_client, "Keine Bescheinigung über Einbehalte je Einheit"),
                          (english_client, "No per-unit retain certificate")):
        response = client.get(address)
        assert response.status_code == 404
        assert words in html.unescape(response.get_data(as_text=True))


def check_languages(served: tuple[object, object, str], address: str, in_german: list[str],
                    in_english: list[str]) -> None:
    english_client, german_client, slug = served
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
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2),
                "pgettext": ((1, "c"), 2)}
    method_map = [("fava_pages/**.py", "python"), ("reports/**.py", "python"),
                  ("fava_pages/templates/**.html", "jinja2")]
    found = {key(message, context) for _file, _line, message, _comments, context
             in extract_from_dir(str(ROOT / "coop_beancount"), method_map, keywords=keywords)}
    assert "Clients: open invoices and members' pay" in found  # the Clients page's texts
    assert "quantity\x04Patronage" in found
    catalogue = german()
    missing = [m for m in found if not catalogue.get(m)]
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


def test_the_clients_page_names_late_clients_in_german(tmp_path):
    """The late clients' sentence (days past due, singular and plural) in German."""
    import textwrap

    from tests.conftest import HEADER
    from tests.test_receivables import BOOKS as CLIENT_BOOKS
    from tests.test_receivables import PAYMENTS

    main_file = tmp_path / "main.beancount"
    main_file.write_text(HEADER + textwrap.dedent(CLIENT_BOOKS + PAYMENTS) + (
        '2025-01-01 custom "fava-extension" "coop_beancount.fava_pages"\n'
        '2025-01-01 custom "fava-option" "language" "de"\n'
        '2025-09-30 * "Bank" "Interest"\n  Assets:Bank  0.01 USD\n  Income:Members:Dues\n'))
    app = create_app([main_file], load=True)
    slug = next(iter(app.config["LEDGERS"].ledgers_by_slug))
    late = next(text for text in texts(page(app.test_client(), slug, "CoopClients/"))
                if text.startswith("Überfällig: "))
    assert re.search(r"Cascade Outfitters \(\d+ Tage überfällig\)", late), late
    assert "past due" not in late
