"""What the co-op pages share: the books as the co-op sees them (built once per load of
the ledger, for all four pages), the settings, Fava's time filter, and the 404 page.

Kept out of `__init__.py`: Fava instantiates every extension class it finds in the
module named on the `fava-extension` line, and this base class is not a page.
"""

from __future__ import annotations

import ast
import datetime
from collections import OrderedDict
from functools import cached_property
from typing import Any, NoReturn
from urllib.parse import urlencode

from fava.context import g
from fava.core.filters import FilterError, TimeFilterParseError
from fava.ext import FavaExtensionBase, FavaExtensionError
from flask import abort, make_response, render_template, request, url_for
from flask_babel import Domain, get_locale
from markupsafe import Markup, escape

from coop_beancount.fava_pages.i18n import DOMAIN, TRANSLATIONS
from coop_beancount.fava_pages.views import PageNotFound, Settings, parse_settings
from coop_beancount.reports.shared_costs import shared_costs, usage_units
from coop_beancount.reports.usage import usage_records
from coop_beancount.reports.view import CoopBooks

#: The module the books name on their `fava-extension` line.
MODULE = "coop_beancount.fava_pages"
EXAMPLE_LINE = f'2025-01-01 custom "fava-extension" "{MODULE}"'


class _Loaded:
    """The co-op's view of one load of a ledger, and the pages' settings."""

    def __init__(self, entries: list[Any], options: dict[str, Any],
                 settings: Settings) -> None:
        self.entries = entries
        self.options = options
        self.settings = settings
        # Built with the load, like Fava's own modules build their indexes: a page then
        # only reads it, and the first view after a change is as quick as the others.
        # (About a tenth of the plugin's own time on the same books.) So are every split
        # cost and each usage unit's records, which the Shared costs page sums over the
        # time it shows: on large books, a million members' parts.
        self.books = books = CoopBooks.from_entries(entries, options)
        shared_costs(books)
        for unit in usage_units(books):
            usage_records(books, unit)


class _Loads:
    """The latest load of each ledger (Fava's ledgers take no weak references, so the few
    most recent are kept; a load is only used while it is the ledger's current one)."""

    LIMIT = 16

    def __init__(self) -> None:
        self._by_ledger: OrderedDict[int, _Loaded] = OrderedDict()

    def current(self, ledger: Any) -> _Loaded | None:
        loaded = self._by_ledger.get(id(ledger))
        return loaded if loaded is not None and loaded.entries is ledger.all_entries else None

    def put(self, ledger: Any, loaded: _Loaded) -> None:
        self._by_ledger[id(ledger)] = loaded
        self._by_ledger.move_to_end(id(ledger))
        while len(self._by_ledger) > self.LIMIT:
            self._by_ledger.popitem(last=False)


_LOADS = _Loads()

#: The pages' message catalogue, in the language Fava picks (its `language` option, else
#: the browser's): flask-babel's, as Fava's own `messages` catalogue is.
TEXTS = Domain(translation_directories=str(TRANSLATIONS), domain=DOMAIN)


class CoopPage(FavaExtensionBase):
    """A co-op page. The settings are read, and their mistakes reported, once per load."""

    #: The page's name in Fava's sidebar and title, in English (`report_title`: in the
    #: language shown).
    TITLE = ""

    def __init__(self, ledger: Any, config: str | None = None) -> None:
        # Fava would parse the config itself and crash on one that is not a literal; it is
        # read (and its mistakes reported) at every load instead, in after_load_file.
        super().__init__(ledger, None)

    @property  # type: ignore[override]
    def report_title(self) -> str:
        """The sidebar's and the page's title, in the language shown (English outside a
        request)."""
        return TEXTS.gettext(self.TITLE)

    @cached_property
    def jinja_env(self) -> Any:
        """Fava's environment for the extension's templates, with `_` and `ngettext` of the
        co-op's catalogue (Fava's own `_` would look the texts up in Fava's)."""
        env = FavaExtensionBase.jinja_env.func(self)  # type: ignore[attr-defined]
        # The overlay shares Fava's globals: a copy, so Fava's templates keep Fava's `_`.
        env.globals = {**env.globals, "_": TEXTS.gettext, "gettext": TEXTS.gettext,
                       "ngettext": TEXTS.ngettext}
        return env

    def locale(self) -> str:
        """The language the page is shown in ("en", "de"), as Fava picks it."""
        return str(get_locale() or "en")

    def after_load_file(self) -> None:
        if _LOADS.current(self.ledger) is not None:
            return
        settings, problems, entry = _read_settings(self.ledger)
        _LOADS.put(self.ledger, _Loaded(self.ledger.all_entries, self.ledger.options, settings))
        if problems:
            source = entry.meta if entry is not None else None
            self.ledger.extensions.errors.extend(
                FavaExtensionError(source, f"co-op pages: {problem}", entry)
                for problem in problems)

    @property
    def loaded(self) -> _Loaded:
        loaded = _LOADS.current(self.ledger)
        if loaded is None:
            self.after_load_file()
            loaded = _LOADS.current(self.ledger)
        assert loaded is not None
        return loaded

    @property
    def books(self) -> CoopBooks:
        return self.loaded.books

    @property
    def settings(self) -> Settings:
        return self.loaded.settings

    def errors_count(self) -> int:
        return len(self.ledger.errors)

    # -- Fava's time filter ------------------------------------------------------------
    def start(self) -> datetime.date | None:
        date_range = self._date_range()
        return date_range.begin if date_range else None

    def end(self) -> datetime.date | None:
        date_range = self._date_range()
        return date_range.end_inclusive if date_range else None

    def _date_range(self) -> Any:
        try:
            return g.filtered.date_range
        except FilterError as exc:  # Fava's own error page would show its message as HTML
            bad_filter(exc)

    def today(self) -> datetime.date:
        """The day a page is printed on (its print header says it)."""
        return datetime.date.today()

    def coop_name(self) -> str:
        return self.ledger.options.get("title") or "Beancount"

    def arg(self, name: str) -> str | None:
        value = request.args.get(name)
        return value.strip() if value is not None else None

    def notice_url(self, year: int, member: str, page: str = "notice") -> str:
        """The address of a member's notice of allocation (or, `page` "certificate", their
        per-unit retain certificate): the Patronage page serves them."""
        # url_for cannot build this route: its `endpoint` part clashes with url_for's own.
        report = url_for("extension_report", extension_name="CoopPatronage").split("?", 1)[0]
        return f"{report}{page}?{urlencode({'year': year, 'member': member})}"

    def page(self, build: Any, *args: Any) -> Any:
        """The page's data, or Fava's page with a 404 for a URL naming what is not there."""
        try:
            return build(*args)
        except PageNotFound as exc:
            not_found(str(exc))


def not_found(message: str) -> NoReturn:
    _answer(404, TEXTS.gettext("Not found"), message, "coop-not-found")


def no_pdf(message: str) -> NoReturn:
    """A PDF asked for where WeasyPrint is not installed: the message says what to install."""
    _answer(501, TEXTS.gettext("No PDF here"), message, "coop-no-pdf")


def bad_filter(error: FilterError) -> NoReturn:
    """A time or other filter Fava cannot read: said in Fava's layout, its filter bar
    there to mend it (Fava's own pages say it in a notice, and show nothing)."""
    if isinstance(error, TimeFilterParseError):
        message = TEXTS.gettext(
            "Fava's time filter %(time)s is not a time: write a year (2025), a month "
            "(2025-06), a quarter (2025-Q2), a day, or a range of them (2025-01 - 2025-06), "
            "or clear the filter.", time=repr(request.args.get("time", "")))
    else:
        message = TEXTS.gettext("Fava's filter cannot be read (%(error)s): mend it or clear "
                                "it.", error=error.message)
    _answer(400, TEXTS.gettext("Bad filter"), message, "coop-bad-filter")


def _answer(status: int, title: str, message: str, cls: str) -> NoReturn:
    content = Markup(f'<h2>{escape(title)}</h2><p class="coop-warning {cls}">'
                     f'{escape(message)}</p>')
    abort(make_response(render_template("_layout.html", page_title=title, content=content),
                        status))


def _read_settings(ledger: Any) -> tuple[Settings, list[str], Any]:
    for entry in ledger.all_entries_by_type.Custom:
        if entry.type != "fava-extension" or not entry.values or entry.values[0].value != MODULE:
            continue
        if len(entry.values) < 2:
            return Settings(), [], entry
        text = entry.values[1].value
        try:
            value = ast.literal_eval(text) if isinstance(text, str) else text
        except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
            return Settings(), [f"the settings {text!r} are not a dict literal; write them "
                                f"like: {EXAMPLE_LINE} \"{{'period': 'quarterly'}}\""], entry
        settings, problems = parse_settings(value)
        return settings, problems, entry
    return Settings(), [], None
