"""The members' site (`coop serve --members`), through Flask's test client: which routes
answer, for whom, under each policy; that no private metadata reaches any answer; the
security headers; signing in; and `coop serve` / `coop password` on the command line."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

import fava.application
import fava.cli
import pytest
from click.testing import CliRunner
from markupsafe import escape

from coop_beancount.cli import main
from coop_beancount.cli.books import ledger_slug
from coop_beancount.site import HEADERS, SignIn, create_site, passwords_for, signin
from coop_beancount.site.signin import FREE_FAILURES, set_password
from tests.site_books import NAME, NARRATION, PAYEE, SECRETS, SITE_BOOKS, own_statement

logging.getLogger("fava").setLevel(logging.CRITICAL)


def write_books(folder: Path, text: str = SITE_BOOKS) -> Path:
    books = folder / "main.beancount"
    books.write_text(text)
    return books


@pytest.fixture
def books(tmp_path: Path) -> Path:
    return write_books(tmp_path)


@pytest.fixture(autouse=True)
def quick_hashing(request, monkeypatch):
    """Cheap hashes keep the suite fast; the test of `coop password` keeps the real one."""
    if "real_hashing" not in request.fixturenames:
        monkeypatch.setattr(signin, "HASH_METHOD", "pbkdf2:sha256:1000")


@pytest.fixture
def real_hashing() -> None:
    """Asked for by a test that must hash as `coop password` really does."""


def site(books: Path, sign_in: SignIn | None = None) -> Any:
    return create_site([books], sign_in=sign_in, load=True)


def slug_of(books: Path) -> str:
    return ledger_slug(books)


#: Routes a member may open under open books (the co-op pages, Fava's reports and the
#: JSON and downloads behind them), {slug} for the books' slug.
OPEN_ROUTES = [
    "/{slug}/income_statement/", "/{slug}/balance_sheet/", "/{slug}/trial_balance/",
    "/{slug}/journal/", "/{slug}/events/", "/{slug}/commodities/", "/{slug}/statistics/",
    "/{slug}/errors/", "/{slug}/query/", "/{slug}/holdings/", "/{slug}/help/",
    "/{slug}/account/Assets:Members:G1:Dues/",
    "/{slug}/api/journal", "/{slug}/api/journal_page?page=1&order=desc",
    "/{slug}/api/account_report?a=Assets:Members:G1:Dues&r=journal",
    "/{slug}/api/income_statement", "/{slug}/api/balance_sheet", "/{slug}/api/trial_balance",
    "/{slug}/api/ledger_data", "/{slug}/api/errors", "/{slug}/api/events",
    "/{slug}/api/commodities", "/{slug}/api/statistics",
    "/{slug}/api/query?query_string=SELECT%20date,%20payee,%20narration,%20meta,"
    "%20entry_meta('iban'),%20entry.meta",
    "/{slug}/api/query?query_string=PRINT",
    "/{slug}/download-query/query_result.csv?query_string=SELECT%20date,%20entry_meta('iban'),%20entry_meta('tin'),%20entry_meta('phone')",
    "/{slug}/extension/CoopMembers/", "/{slug}/extension/CoopMembers/?member=G1",
    "/{slug}/extension/CoopMembers/?member=G2", "/{slug}/extension/CoopSharedCosts/",
    "/{slug}/extension/CoopPatronage/", "/{slug}/extension/CoopEquity/",
    "/{slug}/extension/CoopPatronage/notice?year=2025&member=G1",
    "/{slug}/extension/CoopPatronage/notice?year=2025&member=G2",
]

#: Routes that read files, change the books or show source: closed whatever the policy.
CLOSED_ROUTES = [
    "/{slug}/editor/", "/{slug}/import/", "/{slug}/documents/", "/{slug}/options/",
    "/{slug}/api/source?filename={books}", "/{slug}/api/source_slice?entry_hash=x",
    "/{slug}/api/context?entry_hash=x", "/{slug}/api/documents", "/{slug}/api/imports",
    "/{slug}/api/options", "/{slug}/api/payee_accounts?payee=x",
    "/{slug}/api/narrations", "/{slug}/api/payee_transaction?payee=x",
    "/{slug}/api/narration_transaction?narration=x",
    "/{slug}/document/?filename={books}", "/{slug}/document/?filename=/etc/passwd",
    "/{slug}/statement/?entry_hash=x&key=statement",
    "/{slug}/api/extract?filename=/etc/passwd&importer=x",
    "/{slug}/api/query?query_string=CREATE%20TABLE%20t%20(a%20str)%20USING%20%22csv:/etc/passwd%22",
    "/{slug}/download-query/query_result.csv?query_string=CREATE%20TABLE%20t",
    "/{slug}/api/query?query_string=SELECT%201;%20SELECT%202",
    "/{slug}/download-journal/",  # copies the entries' source lines
    "/{slug}/nonesuch/",
]
WRITES = [("PUT", "/{slug}/api/add_entries"), ("PUT", "/{slug}/api/source"),
          ("DELETE", "/{slug}/api/document?filename=x"), ("PUT", "/{slug}/api/format_source"),
          ("PUT", "/{slug}/api/upload_import_file"), ("POST", "/{slug}/extension/CoopEquity/x")]


def fill(route: str, books: Path, **more: str) -> str:
    return route.format(slug=slug_of(books), books=books, **more)


def assert_no_secret(response: Any, route: str) -> None:
    body = response.get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in body, f"{secret} in {route}"


def test_every_open_route_answers_without_private_metadata(books):
    client = site(books).test_client()
    for route in OPEN_ROUTES:
        response = client.get(fill(route, books))
        assert response.status_code == 200, route
        assert_no_secret(response, route)
    # A key that is not private stays (the stripping is not a blanket removal).
    journal = client.get(fill("/{slug}/api/journal", books)).get_data(as_text=True)
    assert "public-note-g1" in journal


def test_markup_in_the_books_is_text_on_favas_journal(books):
    """Fava's journal template writes payees, narrations and metadata unescaped; the
    site's copy of it escapes them (and the CSP would stop a script anyway)."""
    route = fill("/{slug}/api/journal_page?page=1&order=desc", books)
    journal = site(books).test_client().get(route).get_json()["data"]["journal"]
    for text in (NAME, PAYEE, NARRATION):
        assert str(escape(text)) in journal and text not in journal
    assert "<a href='" in journal  # Fava's own links are still links
    plain = fava.application.create_app([str(books)], load=True).test_client()
    assert PAYEE in plain.get(route).get_json()["data"]["journal"]


def test_fava_itself_shows_the_secrets(books):
    """The same books and routes in plain Fava leak: the test above could fail."""
    client = fava.application.create_app([str(books)], load=True, read_only=True).test_client()
    journal = client.get(fill("/{slug}/api/journal", books)).get_data(as_text=True)
    assert all(secret in journal for secret in SECRETS)
    download = client.get(fill("/{slug}/download-journal/", books)).get_data(as_text=True)
    assert "SECRET-PHONE-TX" in download


def test_closed_routes_answer_404(books):
    client = site(books).test_client()
    for route in CLOSED_ROUTES:
        response = client.get(fill(route, books))
        assert response.status_code == 404, route
        assert_no_secret(response, route)
    for method, route in WRITES:
        assert client.open(fill(route, books), method=method).status_code == 404, route
    assert books.read_text() == SITE_BOOKS


def test_a_route_fava_adds_is_closed_until_listed(books):
    app = site(books)
    app.add_url_rule("/<bfile>/new-report/", "new_report", lambda: "new figures")
    client = app.test_client()
    assert client.get(fill("/{slug}/new-report/", books)).status_code == 404
    plain = fava.application.create_app([str(books)], load=True)
    plain.add_url_rule("/<bfile>/new-report/", "new_report", lambda: "new figures")
    assert plain.test_client().get(fill("/{slug}/new-report/", books)).status_code == 200


def test_other_extensions_are_closed(books):
    books.write_text(SITE_BOOKS + '2024-01-01 custom "fava-extension" '
                                  '"fava.ext.portfolio_list"\n')
    client = site(books).test_client()
    assert client.get(fill("/{slug}/extension/PortfolioList/", books)).status_code == 404
    assert client.get(fill("/{slug}/extension/CoopEquity/", books)).status_code == 200


def test_every_answer_carries_the_security_headers(books):
    client = site(books).test_client()
    for route in ["/", "/{slug}/income_statement/", "/{slug}/editor/", "/{slug}/api/journal",
                  "/{slug}/extension/CoopMembers/?member=Zed", "/static/app.js"]:
        response = client.get(fill(route, books))
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (route, name)
    csp = HEADERS["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp.split(";")[1]
    assert "frame-ancestors 'none'" in csp


def test_private_keys_configurable_and_default(books):
    books.write_text(SITE_BOOKS.replace('"coop-private" "bank-ref"', '"coop-private" "shown"'))
    client = site(books).test_client()
    journal = client.get(fill("/{slug}/api/journal", books)).get_data(as_text=True)
    assert "public-note-g1" not in journal       # now private
    assert "SECRET-REF-G2" in journal            # no longer declared private
    assert "SECRET-IBAN-G1" not in journal       # a default key, always private


# -- Signing in, and the two policies ----------------------------------------------------

PASSWORDS = {"G1": "correct horse G1", "G2": "battery staple G2"}


def signed_in_site(books: Path) -> Any:
    path = passwords_for(books).path
    for member, password in PASSWORDS.items():
        set_password(path, member, password)
    return site(books, SignIn(passwords=passwords_for(books)))


def sign_in(client: Any, books: Path, member: str, password: str | None = None) -> Any:
    return client.post("/_coop/sign-in", data={
        "member": member, "password": password or PASSWORDS[member], "next": "/"})


def test_nobody_reaches_nothing_but_the_sign_in_page(books):
    client = signed_in_site(books).test_client()
    for route in [*OPEN_ROUTES, *CLOSED_ROUTES, "/", "/jump?time=2025"]:
        response = client.get(fill(route, books))
        assert response.status_code in (302, 401), route
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/_coop/sign-in"), route
        assert_no_secret(response, route)
        assert "Grower" not in response.get_data(as_text=True), route
    assert client.get("/_coop/sign-in").status_code == 200
    assert client.get("/static/app.js").status_code == 200


def test_sign_in_lands_on_the_members_own_page_with_a_safe_cookie(books):
    client = signed_in_site(books).test_client()
    assert sign_in(client, books, "G1", "wrong password").status_code == 401
    response = sign_in(client, books, "G1")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    landing = client.get("/")
    assert landing.headers["Location"].endswith("/extension/CoopMembers/?member=G1")
    page = client.get(landing.headers["Location"])
    assert page.status_code == 200 and "Grower One" in page.get_data(as_text=True)
    client.get("/_coop/sign-out")
    assert client.get(landing.headers["Location"]).status_code == 302


def test_open_books_lets_each_member_see_everything_the_site_shows(books):
    app = signed_in_site(books)
    for member in PASSWORDS:
        client = app.test_client()
        sign_in(client, books, member)
        for route in OPEN_ROUTES:
            response = client.get(fill(route, books))
            assert response.status_code == 200, (member, route)
            assert_no_secret(response, route)
        for route in CLOSED_ROUTES:
            assert client.get(fill(route, books)).status_code == 404, (member, route)


#: Under own statement, the routes a member may open, and those they may not, with
#: {me} and {other} for the member and the other member.
OWN_ROUTES = [
    "/{slug}/income_statement/", "/{slug}/balance_sheet/", "/{slug}/trial_balance/",
    "/{slug}/events/", "/{slug}/statistics/", "/{slug}/errors/", "/{slug}/help/",
    "/{slug}/api/income_statement", "/{slug}/api/balance_sheet", "/{slug}/api/ledger_data",
    "/{slug}/extension/CoopMembers/?member={me}", "/{slug}/extension/CoopSharedCosts/",
    "/{slug}/extension/CoopPatronage/", "/{slug}/extension/CoopEquity/",
    "/{slug}/extension/CoopPatronage/notice?year=2025&member={me}",
]
NOT_OWN_ROUTES = [
    "/{slug}/extension/CoopMembers/?member={other}",
    "/{slug}/extension/CoopClients/",  # everyone's billings and wages
    "/{slug}/extension/CoopPatronage/notice?year=2025&member={other}",
    "/{slug}/journal/", "/{slug}/account/Assets:Members:{other}:Dues/", "/{slug}/query/",
    "/{slug}/holdings/", "/{slug}/api/journal", "/{slug}/api/journal_page?page=1&order=desc",
    "/{slug}/api/account_report?a=Assets:Members:{other}:Dues&r=journal",
    "/{slug}/api/query?query_string=PRINT",
    "/{slug}/download-query/query_result.csv?query_string=SELECT%20date,%20entry_meta('iban'),%20entry_meta('tin'),%20entry_meta('phone')",
]


def test_own_statement_shows_a_member_their_own_page_only(tmp_path):
    books = write_books(tmp_path, own_statement())
    app = signed_in_site(books)
    for me, other in (("G1", "G2"), ("G2", "G1")):
        client = app.test_client()
        sign_in(client, books, me)
        for route in OWN_ROUTES:
            url = fill(route, books, me=me, other=other)
            response = client.get(url)
            assert response.status_code == 200, (me, url)
            assert_no_secret(response, url)
        for route in NOT_OWN_ROUTES + CLOSED_ROUTES:
            url = fill(route, books, me=me, other=other)
            assert client.get(url).status_code == 404, (me, url)
        # The Members list is everyone's balances: a member is sent to their own page.
        listing = client.get(fill("/{slug}/extension/CoopMembers/", books))
        assert listing.headers["Location"].endswith(f"?member={me}")


def test_own_statement_without_sign_in_shows_no_members_page(tmp_path):
    books = write_books(tmp_path, own_statement())
    client = site(books).test_client()
    assert client.get(fill("/{slug}/extension/CoopMembers/?member=G1", books)).status_code \
        == 404
    assert client.get(fill("/{slug}/journal/", books)).status_code == 404
    assert client.get(fill("/{slug}/income_statement/", books)).status_code == 200


def test_repeated_failures_are_slowed(books, monkeypatch):
    now = [1000.0]
    app = signed_in_site(books)
    monkeypatch.setattr(app.config["COOP_SIGN_IN"].throttle, "clock", lambda: now[0])
    client = app.test_client()
    for _ in range(FREE_FAILURES + 1):
        assert sign_in(client, books, "G1", "guess").status_code == 401
    refused = sign_in(client, books, "G1")  # even the right password is not looked at
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # From another address, another member is not slowed...
    other = client.post("/_coop/sign-in", environ_base={"REMOTE_ADDR": "10.0.0.9"},
                        data={"member": "G2", "password": PASSWORDS["G2"], "next": "/"})
    assert other.status_code == 302
    now[0] += 3
    assert sign_in(client, books, "G1").status_code == 302


def test_behind_a_proxy_failures_count_per_client_and_the_cookie_is_secure(books,
                                                                          monkeypatch):
    path = passwords_for(books).path
    for member, password in PASSWORDS.items():
        set_password(path, member, password)
    app = site(books, SignIn(passwords=passwords_for(books), proxies=["10.0.0.1"]))
    client = app.test_client()

    def attempt(member: str, password: str, client_address: str) -> Any:
        return client.post("/_coop/sign-in", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                           headers={"X-Forwarded-For": client_address,
                                    "X-Forwarded-Proto": "https"},
                           data={"member": member, "password": password, "next": "/"})

    for _ in range(FREE_FAILURES + 1):
        assert attempt("G1", "guess", "198.51.100.7").status_code == 401
    assert attempt("G2", "guess again", "198.51.100.7").status_code == 429
    # Another member behind the same proxy is not slowed by the first one's guesser.
    response = attempt("G2", PASSWORDS["G2"], "203.0.113.5")
    assert response.status_code == 302 and "Secure" in response.headers["Set-Cookie"]


def test_a_removed_password_signs_the_member_out(books):
    client = signed_in_site(books).test_client()
    sign_in(client, books, "G1")
    page = fill("/{slug}/income_statement/", books)
    assert client.get(page).status_code == 200
    set_password(passwords_for(books).path, "G1", None)
    assert client.get(page).status_code == 302


def test_reverse_proxy_header_is_believed_from_the_proxy_only(tmp_path):
    books = write_books(tmp_path, own_statement())
    client = site(books, SignIn(header="X-Remote-User", proxies=["10.0.0.1"])).test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    mine = fill("/{slug}/extension/CoopMembers/?member=G1", books)
    assert client.get(mine, headers={"X-Remote-User": "G1"}, environ_base=proxy
                      ).status_code == 200
    assert client.get(mine, headers={"X-Remote-User": "G2"}, environ_base=proxy
                      ).status_code == 404
    assert client.get(mine, headers={"X-Remote-User": "G1"},
                      environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 401
    assert client.get(mine, headers={"X-Remote-User": "Zed"}, environ_base=proxy
                      ).status_code == 401
    assert client.get("/_coop/sign-in", environ_base=proxy,
                      headers={"X-Remote-User": "G1"}).status_code == 404


# -- The command line --------------------------------------------------------------------

def test_coop_password_is_hashed_owner_only_and_git_ignored(books, real_hashing):
    result = CliRunner().invoke(main, ["password", str(books), "G1", "--password-stdin"],
                                input="a long password\n")
    assert result.exit_code == 0, result.output
    path = passwords_for(books).path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert text.startswith("G1\tscrypt:") and "a long password" not in text
    assert ".coop-passwords" in (books.parent / ".gitignore").read_text().splitlines()
    assert passwords_for(books).check("G1", "a long password")
    result = CliRunner().invoke(main, ["password", str(books), "G1", "--remove"])
    assert result.exit_code == 0 and not passwords_for(books).has("G1")
    assert (books.parent / ".gitignore").read_text().count(".coop-passwords") == 1


def test_coop_password_refuses_an_unknown_member_and_a_short_password(books):
    result = CliRunner().invoke(main, ["password", str(books), "Zed", "--password-stdin"],
                                input="a long password\n")
    assert result.exit_code == 1 and "'Zed' is not a member" in result.output
    result = CliRunner().invoke(main, ["password", str(books), "G1", "--password-stdin"],
                                input="short\n")
    assert result.exit_code == 1 and "at least" in result.output
    assert "Traceback" not in result.output
    assert not passwords_for(books).path.exists()


@pytest.fixture
def fava_run(monkeypatch):
    """Fava's command's work (building the app, serving) recorded instead of done."""
    calls: list[dict[str, Any]] = []

    def record(**options: Any) -> None:
        options["create_app"] = fava.application.create_app
        calls.append(options)

    monkeypatch.setattr(fava.cli.main, "callback", record)
    return calls


def test_serve_hands_every_option_to_fava(books, fava_run, monkeypatch):
    args = ["serve", str(books), "--port", "5123", "--prefix", "/books", "--incognito",
            "--debug", "--poll-watcher", "--read-only"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (options,) = fava_run
    assert options["port"] == 5123 and options["prefix"] == "/books"
    assert options["incognito"] and options["debug"] and options["poll_watcher"]
    assert options["read_only"]
    assert options["filenames"] == (str(books.resolve()),)
    assert options["create_app"] is fava.application.create_app
    # FAVA_* variables and BEANCOUNT_FILE, as Fava's own command takes them.
    monkeypatch.setenv("FAVA_HOST", "0.0.0.0")
    monkeypatch.setenv("BEANCOUNT_FILE", str(books.resolve()))
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert fava_run[1]["host"] == "0.0.0.0"
    assert "co-op pages at http://0.0.0.0:5000/members-site-co-op/" in result.output


def test_serve_members_gives_fava_the_site(books, fava_run):
    result = CliRunner().invoke(main, ["serve", "--members", str(books), "--prefix", "/m"])
    assert result.exit_code == 0, result.output
    (options,) = fava_run
    assert options["create_app"] is not fava.application.create_app  # handed ours
    assert options["prefix"] == "/m"
    app = options["create_app"]([str(books)], incognito=False, read_only=False,
                                poll_watcher=False)
    client = app.test_client()
    assert client.get(fill("/{slug}/editor/", books)).status_code == 404
    assert "Content-Security-Policy" in client.get("/").headers


def test_serve_members_mistakes_are_clean_errors(books, tmp_path, fava_run):
    (tmp_path / "other").mkdir()
    other = write_books(tmp_path / "other")
    cases = [
        (["serve", str(books), "--sign-in", "passwords"], "add --members"),
        (["serve", "--members", str(books), "--sign-in", "passwords"], "coop password"),
        (["serve", "--members", str(books), "--user-header", "X-User"], "--trusted-proxy"),
        (["serve", "--members", str(books), str(other), "--user-header", "X-User",
          "--trusted-proxy", "127.0.0.1"], "one set of books"),
        (["serve"], "BEANCOUNT_FILE"),
        (["serve", "--members", str(books), "--debug"], "debugger"),
    ]
    env = {k: v for k, v in os.environ.items() if k != "BEANCOUNT_FILE"}
    for args, message in cases:
        result = CliRunner(env=env).invoke(main, args)
        assert result.exit_code == 2, (args, result.output)  # a usage error
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert not fava_run


def test_site_directives_mistakes_are_errors_at_their_line(tmp_path):
    books = write_books(tmp_path, own_statement() + '2024-01-02 custom "coop-site" "closed"\n'
                        '2024-01-02 custom "coop-private" "Bad Key"\n'
                        '2024-01-03 custom "coop-site" "open books"\n')
    result = CliRunner().invoke(main, ["check", str(books)])
    assert result.exit_code == 1
    assert "coop-site policy 'closed' is not one of 'open books', 'own statement'" \
        in result.output
    assert "'Bad Key' is not a metadata key" in result.output
    assert "the members' site's policy is set twice (first at" in result.output
    assert f"{books}:" in result.output


def test_sign_in_sends_back_to_this_site_only(books):
    client = signed_in_site(books).test_client()
    for target, expected in [("//evil.example/", "/"), ("https://evil.example/", "/"),
                             ("/somewhere/?a=1", "/somewhere/?a=1")]:
        response = client.post("/_coop/sign-in", data={
            "member": "G1", "password": PASSWORDS["G1"], "next": target})
        assert response.headers["Location"] == expected, target
    page = client.get("/_coop/sign-in?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>" not in page.get_data(as_text=True)
