"""What a member may open on the members' site: a list of Fava's routes that are allowed,
not of those forbidden, so a route a new Fava adds answers 404 until it is put here.

Each Flask endpoint of the app Fava builds is listed with the policy that opens it:

- *everyone* (both policies): the income statement, balance sheet, trial balance, events,
  commodities, statistics, errors and help pages and their JSON, Fava's static files, and
  the co-op's pages (any page of `coop_beancount.fava_pages`); under *own statement* a
  co-op page naming a member (`?member=KEY`: their page, their notices) only for that
  member, and the Members list (everyone's balances) for no one;
- *open books* only: the journal, account pages, holdings, the query page and the
  download of a query's result.

Never open, whatever the policy: the editor and source, documents and statements, the
import and extract pages, options, the entry context and the journal download (both copy
an entry's lines from the source files, private metadata included), the payee and
narration look-ups, other Fava extensions and every method but GET.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from coop_beancount.core.site import OPEN_BOOKS, OWN_STATEMENT

#: The module of the co-op's pages: its extensions are the ones the site opens.
COOP_PAGES = "coop_beancount.fava_pages"
#: The co-op page that is a member's page with ?member=KEY (and the list without it).
MEMBERS_PAGE = "CoopMembers"
#: The co-op pages that show every member's figures (balances; billings and wages): under
#: *own statement*, for nobody.
EVERYONES_PAGES = frozenset({MEMBERS_PAGE, "CoopClients"})

EVERYONE = "everyone"

#: Fava's client-side reports (`/<bfile>/<report>/`) and who may open each.
REPORTS: dict[str, str] = {
    "income_statement": EVERYONE,
    "balance_sheet": EVERYONE,
    "trial_balance": EVERYONE,
    "events": EVERYONE,
    "commodities": EVERYONE,
    "statistics": EVERYONE,
    "errors": EVERYONE,
    "journal": OPEN_BOOKS,
    "holdings": OPEN_BOOKS,
    "query": OPEN_BOOKS,
}

#: Flask endpoints (GET) and who may open each.
ENDPOINTS: dict[str, str] = {
    "index": EVERYONE,
    "static": EVERYONE,
    "jump": EVERYONE,
    "help_page": EVERYONE,
    "report": EVERYONE,  # and REPORTS for the report's name
    "extension_report": EVERYONE,  # co-op pages only, see coop_page_allowed
    "extension_endpoint": EVERYONE,  # co-op pages only
    "extension_js_module": EVERYONE,  # co-op pages only
    "json_api.get_balance_sheet": EVERYONE,
    "json_api.get_income_statement": EVERYONE,
    "json_api.get_trial_balance": EVERYONE,
    "json_api.get_events": EVERYONE,
    "json_api.get_commodities": EVERYONE,
    "json_api.get_statistics": EVERYONE,
    "json_api.get_errors": EVERYONE,
    "json_api.get_changed": EVERYONE,
    "json_api.get_ledger_data": EVERYONE,
    "json_api.get_help": EVERYONE,
    "account": OPEN_BOOKS,
    "holdings_by": OPEN_BOOKS,
    "json_api.get_journal": OPEN_BOOKS,
    "json_api.get_journal_page": OPEN_BOOKS,
    "json_api.get_account_report": OPEN_BOOKS,
    "json_api.get_query": OPEN_BOOKS,
    "download_query": OPEN_BOOKS,
    # Not download_journal: Fava copies each entry's lines from the source files into it,
    # private metadata included.
}

#: Endpoints that run a query the client writes: only reading statements are let through
#: (beanquery's CREATE TABLE ... USING "csv:/path" would read a file on the server).
QUERY_ENDPOINTS = frozenset({"json_api.get_query", "download_query"})
READING_STATEMENTS = ("select", "balances", "journal", "print")


@dataclass(frozen=True)
class Request:
    """What the decision needs from a request."""

    endpoint: str | None
    method: str
    view_args: Mapping[str, str]
    args: Mapping[str, str]


def allowed(request: Request, policy: str, member: str | None,
            is_coop_extension: bool = False) -> bool:
    """May `member` (None: the site knows no one) open this under `policy`?"""
    if request.method not in ("GET", "HEAD") or request.endpoint is None:
        return False
    opens = ENDPOINTS.get(request.endpoint)
    if request.endpoint == "report":
        opens = REPORTS.get(request.view_args.get("report_name", ""))
    if opens is None or (opens == OPEN_BOOKS and policy != OPEN_BOOKS):
        return False
    if request.endpoint in QUERY_ENDPOINTS and not is_reading_query(
            request.args.get("query_string", "")):
        return False
    if request.endpoint.startswith("extension"):
        return is_coop_extension and coop_page_allowed(request, policy, member)
    return True


def coop_page_allowed(request: Request, policy: str, member: str | None) -> bool:
    """Under *own statement*, any co-op page or endpoint naming a member (`?member=`) is
    for that member only, and the Members list (everyone's balances) and the Clients page
    (everyone's billings, earnings and wages) for nobody."""
    if policy != OWN_STATEMENT:
        return True
    if "member" in request.args:
        return member is not None and request.args.get("member") == member
    return request.view_args.get("extension_name") not in EVERYONES_PAGES


def is_coop_module(module: str) -> bool:
    """Is an extension class from this module one of the co-op's pages?"""
    return module == COOP_PAGES or module.startswith(f"{COOP_PAGES}.")


def is_reading_query(text: str) -> bool:
    words = text.strip().split(None, 1)
    return bool(words) and words[0].lower() in READING_STATEMENTS and ";" not in text
