"""The co-op pages in the language Fava shows: Fava's `language` option, else the
browser's, as Fava picks it (flask-babel's locale selector, set up by Fava).

    2025-01-01 custom "fava-option" "language" "de"

Every text of the pages goes through gettext with the message catalogue `coop` in
`fava_pages/translations/` (`de/LC_MESSAGES/coop.po`, compiled to `coop.mo` and committed,
so a clean clone serves it): the templates' `_("...")` through flask-babel's `Domain` (as
Fava's own templates go through its `messages` catalogue), the tables' headings and the
sentences worked out in Python through `gettext_for(locale)`, the same files read by Babel.
A language with no catalogue (or a text not in it) shows the English.

To add or update a translation: `bash scripts/translations.sh` extracts the texts to
`translations/coop.pot`, merges them into each `.po`, and compiles the `.mo` files
(docs/fava.md, "Languages").

No Flask here: views.py uses `gettext_for` with the locale the page passes in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from babel.support import NullTranslations, Translations

from coop_beancount.reports.output import english

TRANSLATIONS = Path(__file__).parent / "translations"
DOMAIN = "coop"
#: The languages shipped besides English.
LANGUAGES = ("de",)

Gettext = Callable[[str], str]
__all__ = ["N_", "Gettext", "english", "gettext_for", "pgettext"]


@functools.cache
def catalogue(locale: str) -> NullTranslations:
    """The compiled catalogue for LOCALE ("de", "de_DE": German), or none (English)."""
    return Translations.load(str(TRANSLATIONS), [locale], domain=DOMAIN)


def gettext_for(locale: str | None) -> Gettext:
    """gettext in LOCALE (None or "en": the English)."""
    if not locale or locale.split("_")[0] == "en":
        return english
    return catalogue(locale).gettext


def pgettext(context: str, text: str, _: Gettext = english) -> str:
    """TEXT in CONTEXT, through `_` (gettext_for's), for an English word that is two in
    another language: "Patronage" the page (dividends, Rückvergütung) and
    `pgettext("quantity", "Patronage", _)` the members' use of the co-op (Umsatz). The
    catalogue keeps it as `msgctxt "quantity"` (gettext's `context\x04text` key); without
    a translation, TEXT."""
    key = f"{context}\x04{text}"
    found = _(key)
    return text if found == key else found


def N_(text: str) -> str:
    """Marks a text for the catalogue where it is translated later, by its value (a column
    heading, a status): `_(heading)` in a template."""
    return text


#: Texts the pages show by their value (`_(status)` in a template, `_(kind)` in a view),
#: marked here for the catalogue.
VALUES = (N_("active"), N_("qualified"), N_("non-qualified"), N_("retain"), N_("ok"),
          N_("failed"), N_("n/a"), N_("pending"), N_("weekly"), N_("monthly"),
          N_("quarterly"), N_("yearly"), N_("week"), N_("month"), N_("quarter"), N_("year"),
          N_("current"))
