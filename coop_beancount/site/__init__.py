"""The members' site: Fava's app, built by Fava, with the co-op's rules around it.

    coop serve --members main.beancount                         # open books, no sign-in
    coop serve --members --sign-in passwords main.beancount     # `coop password` sets them
    coop serve --members --user-header X-Remote-User --trusted-proxy 127.0.0.1 main.beancount

and in the books (both optional):

    2025-01-01 custom "coop-site" "own statement"      ; or "open books", the default
    2025-01-01 custom "coop-private" "bank-ref"        ; private beside iban, tin, email...

Nothing of Fava is copied or changed: `create_site` takes the Flask app that
`fava.application.create_app` builds and

- loads the books through `ledger.MembersLedger`, so private metadata is gone before any
  page, the JSON API or a download sees an entry;
- answers 404 to every route `routes.allowed` does not list for the policy and the member
  (a first `before_request`, so nothing of Fava runs for a closed route);
- signs members in (`signin`), when asked, and sends a signed-in member to their own page;
- adds the security headers (a Content-Security-Policy with no inline script) to every
  answer.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fava.application import create_app
from fava.context import g
from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from jinja2 import BaseLoader
from markupsafe import escape

from coop_beancount.core.site import OPEN_BOOKS, POLICIES
from coop_beancount.site import routes
from coop_beancount.site.ledger import MembersLedgers
from coop_beancount.site.signin import Passwords, PasswordsError, Throttle, passwords_path

#: Fava's own script is a module from its static folder and its data sits in
#: <script type="application/json"> blocks, so no inline script is needed; charts and
#: tables are drawn by that script. Inline styles stay allowed (Fava's components set
#: style attributes), nothing else is loaded from anywhere but the site.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Fava's /jump (the sidebar's time links) reads the referrer: same-origin keeps it.
    "Referrer-Policy": "same-origin",
}

SIGN_IN = "coop_sign_in"
SIGN_OUT = "coop_sign_out"
SIGN_IN_PATH = "/_coop/sign-in"
SIGN_OUT_PATH = "/_coop/sign-out"


class SiteError(Exception):
    """The members' site cannot be built as asked; the message says why."""


class SignIn:
    """How the site knows who is asking: nobody (sign-in off), a password, or a header
    set by a trusted reverse proxy."""

    def __init__(self, passwords: Passwords | None = None, header: str | None = None,
                 proxies: Sequence[str] = ()) -> None:
        self.passwords = passwords
        self.header = header
        self.proxies = frozenset(proxies)
        self.throttle = Throttle()

    @property
    def on(self) -> bool:
        return self.passwords is not None or self.header is not None

    def client_address(self) -> str:
        """Who is asking, for counting failed sign-ins: behind a trusted proxy, the
        address the proxy says it forwards for (the last in X-Forwarded-For)."""
        address = request.remote_addr or ""
        forwarded = request.headers.get("X-Forwarded-For", "")
        if address in self.proxies and forwarded.strip():
            return forwarded.split(",")[-1].strip()
        return address

    def member(self, members: frozenset[str]) -> str | None:
        """The signed-in member (a key of the books), or None."""
        if self.header is not None:
            if request.remote_addr not in self.proxies:
                return None
            key = request.headers.get(self.header, "").strip()
        elif self.passwords is not None:
            key = session.get("member") or ""
            try:
                known = not key or self.passwords.has(key)
            except PasswordsError as exc:  # a broken file signs everyone out, and says why
                current_app.logger.error("%s", exc)
                known = False
            if not known:
                session.clear()  # the treasurer removed the password: signed out
                return None
        else:
            return None
        return key if key in members else None


def create_site(files: Iterable[str | Path], *, sign_in: SignIn | None = None,
                load: bool = False, incognito: bool = False,
                poll_watcher: bool = False, **_fava_options: Any) -> Flask:
    """The members' site on the books `files` (Fava's options are accepted; the site is
    always read-only)."""
    files = [str(Path(f).resolve()) for f in files]
    sign_in = sign_in or SignIn()
    if sign_in.on and len(files) != 1:
        raise SiteError("with sign-in, the members' site serves one set of books (members "
                        f"are known by their key in them); got {len(files)}")
    app = create_app(files, load=False, incognito=incognito, read_only=True,
                     poll_watcher=poll_watcher)
    app.config["LEDGERS"] = MembersLedgers(app, load=load, poll_watcher=poll_watcher)
    app.config["COOP_SIGN_IN"] = sign_in
    app.secret_key = os.urandom(32)  # sessions last as long as the server
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="coop_session")
    app.session_interface = _Sessions()
    app.jinja_loader = EscapingJournal(app.jinja_loader)  # type: ignore[assignment]
    app.add_url_rule(SIGN_IN_PATH, SIGN_IN, _sign_in_page, methods=["GET", "POST"])
    app.add_url_rule(SIGN_OUT_PATH, SIGN_OUT, _sign_out, methods=["GET"])
    # First of all before_request handlers: a closed route runs nothing of Fava's.
    app.before_request_funcs.setdefault(None, []).insert(0, _guard)
    app.after_request(_add_headers)
    return app


class _Sessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the cookie marked Secure when the page came over
    HTTPS, directly or through a proxy that says so (a client faking the header only
    makes its own cookie stricter)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or request.headers.get("X-Forwarded-Proto") == "https"


class EscapingJournal(BaseLoader):
    """Fava's templates, with its journal's `{% autoescape false %}` turned on: Fava's
    Journal and account pages then show a payee, narration or metadata value with markup
    as text (what the co-op pages do) instead of writing it into the page. Fava's own
    markup in that template comes from its macros, which stay markup. (If a Fava release
    drops the line, nothing changes here and the Content-Security-Policy still holds.)"""

    TEMPLATE = "_journal_table.html"

    def __init__(self, fava_loader: Any) -> None:
        self.fava_loader = fava_loader

    def get_source(self, environment: Any, template: str) -> Any:
        source, filename, uptodate = self.fava_loader.get_source(environment, template)
        if template == self.TEMPLATE:
            source = source.replace("{% autoescape false %}", "{% autoescape true %}")
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.fava_loader.list_templates()  # type: ignore[no-any-return]


def _add_headers(response: Any) -> Any:
    response.headers.update(HEADERS)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


# -- What the books say ------------------------------------------------------------------

def books_settings(ledger: Any) -> tuple[str, frozenset[str]]:
    """(policy, member keys) of a loaded ledger, read from its directives (the plugin
    reports their mistakes; a wrong policy here counts as the strictest)."""
    cached = getattr(ledger, "_coop_site_settings", None)
    if cached is not None and cached[0] is ledger.all_entries:
        return cached[1]
    policy, members = OPEN_BOOKS, set()
    for entry in ledger.all_entries_by_type.Custom:
        values = entry.values or []
        if entry.type == "coop-member" and values and isinstance(values[0].value, str):
            members.add(values[0].value)
        elif entry.type == "coop-site" and values:
            value = values[0].value
            policy = value if value in POLICIES else routes.OWN_STATEMENT
    settings = (policy, frozenset(members))
    ledger._coop_site_settings = (ledger.all_entries, settings)
    return settings


# -- The guard ---------------------------------------------------------------------------

def _guard() -> Any:
    sign_in: SignIn = _app().config["COOP_SIGN_IN"]
    endpoint = request.endpoint
    if endpoint in (SIGN_IN, SIGN_OUT):
        if not sign_in.on:
            abort(404)
        # Answered here: Fava's read-only rule, next in line, refuses every POST.
        return _sign_in_page() if endpoint == SIGN_IN else _sign_out()
    ledger = getattr(g, "ledger", None)
    if ledger is None:  # "/", "/jump", static: the first ledger's rules
        ledger = next(iter(_app().config["LEDGERS"].ledgers), None)
    policy, members = books_settings(ledger) if ledger is not None else (OPEN_BOOKS, set())
    member = sign_in.member(frozenset(members))
    if sign_in.on and member is None and endpoint != "static":
        if sign_in.passwords is None or (endpoint or "").startswith("json_api."):
            abort(401)  # behind the proxy, or a script: nothing to show, no form
        return redirect(url_for(SIGN_IN, next=request.full_path))
    if member is not None and endpoint == "index":
        return _member_page(member)
    is_coop = False
    if (endpoint or "").startswith("extension"):
        name = (request.view_args or {}).get("extension_name", "")
        extension = g.ledger.extensions.get_extension(name)
        is_coop = extension is not None and routes.is_coop_module(type(extension).__module__)
        if (member is not None and name == routes.MEMBERS_PAGE and is_coop
                and endpoint == "extension_report" and policy == routes.OWN_STATEMENT
                and "member" not in request.args):
            return _member_page(member)
    asked = routes.Request(endpoint, request.method, request.view_args or {}, request.args)
    if not routes.allowed(asked, policy, member, is_coop):
        abort(404)
    return None


def _member_page(member: str) -> Any:
    ledgers = _app().config["LEDGERS"]
    slug = g.beancount_file_slug or ledgers.first_slug()
    url = url_for("extension_report", bfile=slug, extension_name=routes.MEMBERS_PAGE)
    return redirect(f"{url.split('?', 1)[0]}?{urlencode({'member': member})}")


def _app() -> Flask:
    return current_app  # type: ignore[return-value]


# -- Signing in --------------------------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>Sign in</h1>
{message}
<form method="post" action="{action}">
<p><label>Member key
  <input name="member" autocomplete="username" required value="{member}"></label></p>
<p><label>Password
  <input name="password" type="password" autocomplete="current-password" required></label></p>
<input type="hidden" name="next" value="{next}">
<p><button type="submit">Sign in</button></p>
</form>
</main></body></html>
"""


def _sign_in_page() -> Any:
    sign_in: SignIn = _app().config["COOP_SIGN_IN"]
    target = request.values.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # only a page of this site: no open redirect
    if sign_in.passwords is None:  # the reverse proxy signs members in
        return _page("The co-op's web server signs members in; this site takes no "
                     "passwords.", target, status=404)
    if request.method == "GET":
        return _page("", target)
    member = request.form.get("member", "").strip()
    password = request.form.get("password", "")
    keys = (f"address:{sign_in.client_address()}", f"member:{member}")
    wait = sign_in.throttle.wait(*keys)
    if wait > 0:
        return _page(f"Too many failed sign-ins: try again in {int(wait) + 1} seconds.",
                     target, member, status=429, retry_after=int(wait) + 1)
    try:
        good = sign_in.passwords.check(member, password)
    except PasswordsError as exc:
        _app().logger.error("%s", exc)
        return _page("Signing in is not possible right now; tell the treasurer.", target,
                     status=503)
    if not good:
        sign_in.throttle.failed(*keys)
        return _page("That member key and password do not match.", target, member,
                     status=401)
    sign_in.throttle.succeeded(*keys)
    session.clear()
    session["member"] = member
    return redirect(target)


def _page(message: str, target: str, member: str = "", status: int = 200,
          retry_after: int | None = None) -> Any:
    text = f'<p role="alert">{escape(message)}</p>' if message else ""
    html = _PAGE.format(message=text, action=escape(url_for(SIGN_IN)),
                        member=escape(member), next=escape(target))
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return html, status, headers


def _sign_out() -> Any:
    session.clear()
    return redirect(url_for(SIGN_IN))


def passwords_for(books: Path) -> Passwords:
    return Passwords(passwords_path(books))
