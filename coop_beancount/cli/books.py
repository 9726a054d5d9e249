"""The books themselves: `coop check`, `coop init`, `coop serve` and `coop close-year`.

    coop check BOOKS                    bean-check plus the co-op's rules
    coop serve BOOKS                    browse the books in Fava
    coop init DIR                       new books in a git repository that checks every commit
    coop close-year BOOKS --year Y --out DIR   new books from fiscal year Y+1 (docs/scale.md)
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import click

from coop_beancount.books.collector import keep_until_exit, kept_out
from coop_beancount.books.loading import format_error, load_books
from coop_beancount.books.lock import BooksBusy, books_locked
from coop_beancount.books.quick_loads import quick_beancount
from coop_beancount.books.register import tin_problems
from coop_beancount.books.starter import MAIN_FILE, InitError, init_books
from coop_beancount.cli.common import (
    BOOKS,
    UNNAMED,
    WAIT,
    main,
    writing,
)
from coop_beancount.reports.view import CoopBooks

# The members' site (Fava, Flask, Jinja: about a second of imports) is imported by the
# commands that serve it, not by every `coop` command that merely loads the books.


@main.command()
@BOOKS
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; only the exit status tells.")
def check(books: Path, quiet: bool) -> None:
    """Check BOOKS: Beancount's own checks plus the co-op's rules.

    Every problem is printed as `file:line: message`, and so is a taxpayer
    number in the books' metadata (it belongs in members-private.csv, out of
    git: docs/private-data.md). The exit status is 0
    when the books are clean and 1 when they are not, so scripts and git
    hooks can rely on it.
    """
    loaded = load_books(books)
    # Taxpayer numbers in the books' metadata would stay in git's history: an error here
    # (and so in the pre-commit hook), before they are committed.
    errors = [*loaded.errors, *tin_problems(loaded.entries)]
    if not quiet:
        for error in errors:
            click.echo(format_error(error), err=True)
    if errors:
        if not quiet:
            click.echo(f"{books}: {len(errors)} error(s)", err=True)
        sys.exit(1)
    if not quiet:
        coop = CoopBooks.from_entries(loaded.entries, loaded.options)
        count = len(coop.records.members)
        click.echo(f"{books}: clean ({len(loaded.entries)} entries, {count} "
                   f"member{'' if count == 1 else 's'})", err=True)



def _serve(members: bool, sign_in: str, user_header: str | None,
           trusted_proxy: tuple[str, ...], **fava_options: Any) -> None:
    """Browse BOOKS (one or more ledgers) in Fava on http://HOST:PORT/.

    Fava shows every problem `coop check` finds on its Errors page. Books with
    the line `custom "fava-extension" "coop_beancount.fava_pages"` have the
    co-op's pages in Fava's sidebar: Members (and each member's statement),
    Shared costs, Patronage and Equity; their addresses are printed at start.

    Every option of Fava's own command is taken (and FAVA_* environment
    variables, e.g. FAVA_HOST); BOOKS defaults to $BEANCOUNT_FILE.

    --members serves the members' site instead: always read-only, only the
    pages a member may see (the rest answer 404), private metadata (iban, tin,
    email, ...) removed from every entry, and no script from the books can run.
    Members sign in with --sign-in passwords (set by `coop password`) or
    through a reverse proxy's --user-header; see docs/fava.md.
    """
    from fava.cli import main as fava_main

    keep_until_exit(False)  # a server loads the books again on every change: hold nothing
    quick_fava_loads()
    locked_fava_writes()
    files = _books_files(fava_options["filenames"])
    host, port = fava_options["host"], fava_options["port"]
    if not 0 < port <= 65535:
        # Fava takes any number, and the web server then stops with a traceback.
        raise click.BadParameter(f"{port} is not in the range 1<=x<=65535",
                                 param_hint="'-p' / '--port'")
    host = "127.0.0.1" if host == "localhost" else host
    prefix = (fava_options.get("prefix") or "").rstrip("/")
    what = "the members' site for" if members else "Fava on"
    click.echo(f"Serving {what} {len(files)} ledger(s) on http://{host}:{port}{prefix}/ "
               "(Ctrl-C stops)", err=True)
    for path in files:
        click.echo(f"  {path}: co-op pages at http://{host}:{port}{prefix}/"
                   f"{ledger_slug(Path(path))}/extension/CoopMembers/", err=True)
    if not members:
        if sign_in != "none" or user_header:
            raise click.UsageError("--sign-in and --user-header are for the members' site: "
                                   "add --members")
        fava_main.callback(**fava_options)
        return
    if fava_options.get("debug") or fava_options.get("profile"):
        raise click.UsageError("--debug and --profile are not for the members' site: "
                               "Werkzeug's debugger runs code typed into the browser")
    site_sign_in = _site_sign_in(files, sign_in, user_header, trusted_proxy)
    _serve_site(fava_main, site_sign_in, fava_options)


def _books_files(given: tuple[str, ...]) -> list[str]:
    """The books Fava will serve: $BEANCOUNT_FILE's, then those named (Fava's own rule)."""
    from fava.cli import _add_env_filenames

    files = list(_add_env_filenames(given))
    if not files:
        raise click.UsageError("name the books (BOOKS) or set BEANCOUNT_FILE")
    return files


def _site_sign_in(files: list[str], sign_in: str, user_header: str | None,
                  trusted_proxy: tuple[str, ...]) -> Any:
    from coop_beancount.site import SignIn, passwords_for
    from coop_beancount.site.signin import PasswordsError

    if user_header and sign_in != "none":
        raise click.UsageError("members sign in with passwords or through the proxy's "
                               "--user-header, not both")
    if user_header and not trusted_proxy:
        raise click.UsageError("--user-header needs --trusted-proxy ADDRESS: the header is "
                               "believed only from the reverse proxy that sets it")
    if (sign_in != "none" or user_header) and len(files) != 1:
        raise click.UsageError("with sign-in, the members' site serves one set of books")
    if sign_in == "passwords":
        passwords = passwords_for(Path(files[0]))
        try:
            if not passwords.hashes():
                raise click.UsageError(
                    f"no member has a password yet ({passwords.path} is empty or missing); "
                    f"set one with: coop password {files[0]} MEMBER")
        except PasswordsError as exc:
            raise click.ClickException(str(exc)) from None
        return SignIn(passwords=passwords, proxies=trusted_proxy)
    if user_header:
        return SignIn(header=user_header, proxies=trusted_proxy)
    return SignIn()


def _serve_site(fava_main: click.Command, sign_in: Any, fava_options: dict[str, Any]) -> None:
    """Run Fava's own command with the members' site as its app: Fava builds its app
    inside its command, so its app factory is handed ours for this process (every Fava
    option, the server, --prefix and --debug included, then work unchanged)."""
    import fava.application

    from coop_beancount.site import SiteError, create_site

    def factory(files: Any, **options: Any) -> Any:
        options.pop("read_only", None)  # the members' site is always read-only
        return create_site(files, sign_in=sign_in, **options)

    original = fava.application.create_app
    fava.application.create_app = factory  # type: ignore[assignment]
    try:
        fava_main.callback(**fava_options)
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        fava.application.create_app = original


def _serve_command() -> click.Command:
    """`coop serve`: Fava's own command's options (all of them, and FAVA_* variables),
    and the members' site's."""
    from fava.cli import main as fava_main

    # Fava's own parameters, FILENAMES shown as BOOKS; its --version is Fava's, not ours.
    fava_params = [
        click.Argument(["filenames"], nargs=-1, type=p.type, metavar="[BOOKS]...")
        if isinstance(p, click.Argument) else p
        for p in fava_main.params if p.name != "version"]
    ours = [
        click.Option(["--members"], is_flag=True,
                     help="Serve the members' site: read-only, only what members may "
                          "see, private metadata removed (docs/fava.md)."),
        click.Option(["--sign-in"], type=click.Choice(["none", "passwords"]), default="none",
                     show_default=True,
                     help="With --members: members sign in with the password "
                          "`coop password` set."),
        click.Option(["--user-header"], metavar="NAME",
                     help="With --members: the member is the key in this header, set by "
                          "the reverse proxy that signs members in."),
        click.Option(["--trusted-proxy"], metavar="ADDRESS", multiple=True,
                     help="The reverse proxy's address: --user-header, and the client's "
                          "address in X-Forwarded-For, are believed only from it (repeat "
                          "for several)."),
    ]
    return click.Command(
        "serve", callback=_serve, params=[*fava_params, *ours], help=_serve.__doc__,
        short_help="Browse the books in Fava (or serve the members' site).",
        context_settings={"auto_envvar_prefix": "FAVA"})


serve = _serve_command()
main.add_command(serve)


@main.command()
@BOOKS
@click.argument("member")
@click.option("--remove", is_flag=True, help="Remove the member's password (signs them out).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
def password(books: Path, member: str, remove: bool, password_stdin: bool) -> None:
    """Set MEMBER's password for the members' site (`coop serve --members
    --sign-in passwords`).

    Stored hashed (scrypt) in .coop-passwords beside BOOKS, readable by you
    only and git-ignored, never in the books' history. The site reads it again
    when it changes.
    """
    from coop_beancount.site.signin import PasswordsError, passwords_path, set_password

    loaded = load_books(books)
    known = CoopBooks.from_entries(loaded.entries, loaded.options).records.members
    if member not in known:
        raise click.ClickException(
            f"{member!r} is not a member of {books}; the members are: "
            f"{', '.join(sorted(known)) or 'none declared'}")
    if remove:
        secret = None
    elif password_stdin:
        secret = sys.stdin.readline().rstrip("\n")
    else:
        secret = click.prompt(f"Password for {member}", hide_input=True,
                              confirmation_prompt=True)
    if secret is not None and len(secret) < MIN_PASSWORD:
        raise click.ClickException(f"a password needs at least {MIN_PASSWORD} characters")
    path = passwords_path(books)
    try:
        set_password(path, member, secret)
    except (PasswordsError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'Removed' if remove else 'Set'} {member}'s password in {path} "
               "(owner-only, git-ignored).", err=True)


MIN_PASSWORD = 10


def quick_fava_loads() -> None:
    """Every load of the books by Fava in this process (the first, and the reload after a
    file changes) with the garbage collector kept out and quick equivalents of Beancount's
    balance check and pad, as the `coop` commands load them (books/collector.py,
    books/quick_loads.py), and each entry Fava's accounts index names hashed once per
    load (`_hashed_once`): Fava's load of large books takes about a third less time."""
    import fava.core.accounts
    from fava.core import FavaLedger

    load_file = FavaLedger.load_file
    if getattr(load_file, "collector_kept_out", False):
        return
    fava.core.accounts.hash_entry = _hashed_once(fava.core.accounts.hash_entry, _FAVA_HASHES)

    @functools.wraps(load_file)
    def quick_load_file(self: Any) -> None:
        try:
            with kept_out(), quick_beancount():
                load_file(self)
        finally:
            _FAVA_HASHES.clear()  # the entries of this load are not held after it

    quick_load_file.collector_kept_out = True  # type: ignore[attr-defined]
    FavaLedger.load_file = quick_load_file  # type: ignore[method-assign]


#: Fava's hash of each entry, by id, during a load in `coop serve` (`_hashed_once`).
_FAVA_HASHES: dict[int, tuple[Any, str]] = {}


def _hashed_once(hash_entry: Any, hashes: dict[int, tuple[Any, str]]) -> Any:
    """Fava's `hash_entry`, remembered for each entry while `hashes` holds it.

    Fava's accounts index hashes the last entry of every account (Beancount's
    `hash_entry`: an MD5 over the text of every field, posting and metadata value), and on
    co-op books one entry is the last of hundreds of accounts: a redemption of retained
    patronage or a patronage dividend posts to every member (on the 25,000-transaction
    benchmark books, 1,362 hashes of 587 entries, one of them 271 times over its 418
    postings). Hashed once per load instead, to the same hashes (an entry cannot change
    within a load): Fava's accounts index took 0.7 s of CPU instead of 2.6 s of a 13 s
    reload. The entry is kept beside its hash, so its id cannot be reused by another entry
    while the hash is remembered."""
    @functools.wraps(hash_entry)
    def hashed_once(entry: Any) -> str:
        known = hashes.get(id(entry))
        if known is not None and known[0] is entry:
            return known[1]
        digest: str = hash_entry(entry)
        hashes[id(entry)] = (entry, digest)
        return digest

    return hashed_once


#: How long a write made through Fava waits for a coop command writing the same books.
FAVA_WAIT = 300.0
#: Fava's methods that write a file of the books (its editor, an entry's slice, its forms,
#: metadata, and the import page's entries all go through these).
FAVA_WRITERS = ("set_source", "save_entry_slice", "delete_entry_slice", "insert_metadata",
                "insert_entries")


def locked_fava_writes(wait: float = FAVA_WAIT) -> None:
    """Every write Fava makes to the books in this process holds the books' write lock
    (books/lock.py), as `coop import extract --to` and `coop settle --write` do: a save in
    Fava's editor while an import writes waits for it (up to `wait` seconds, then Fava shows
    the error and writes nothing), and the import never reads the books halfway through a
    save. Fava's own lock only orders the writes of one Fava process."""
    from fava.core.file import FileModule
    from fava.helpers import FavaAPIError

    for name in FAVA_WRITERS:
        write = getattr(FileModule, name)
        if getattr(write, "books_locked", False):
            # Wrapped before (an earlier call in this process): wrap Fava's own method
            # again, so this call's `wait` holds and no save locks twice.
            write = write.__wrapped__
        setattr(FileModule, name, _locked(write, wait, FavaAPIError))


def _locked(write: Any, wait: float, api_error: type[Exception]) -> Any:
    """`write` (a method of Fava's FileModule) holding the lock of its ledger's books."""
    @functools.wraps(write)
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            with books_locked(Path(self.ledger.beancount_file_path), wait):
                return write(self, *args, **kwargs)
        except BooksBusy as error:
            raise api_error(str(error)) from None

    locked.books_locked = True  # type: ignore[attr-defined]
    return locked


def ledger_slug(path: Path) -> str:
    """The name Fava gives the books in its URLs: its slug of their title (or file path)."""
    from beancount.parser import parser
    from fava.util import slugify

    _, _, options = parser.parse_file(str(path))
    title = options.get("title")
    return slugify(title) if title and title != UNNAMED else slugify(str(path.resolve()))


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-git", is_flag=True, help="Do not make a git repository.")
def init(directory: Path, no_git: bool) -> None:
    """Start new books in DIRECTORY from the starter set.

    Makes DIRECTORY (which must not exist or be empty) with the chart of
    accounts, the co-op's settings, a members file and this year's file, in a
    git repository whose pre-commit hook runs `coop check` and refuses a commit
    whose books do not check clean; and members-private.csv, the register of
    members' TINs and addresses, readable by you only and git-ignored.
    """
    try:
        main_file = init_books(directory, git=not no_git)
    except InitError as exc:
        raise click.ClickException(str(exc)) from None
    loaded = load_books(main_file)
    for error in loaded.errors:
        click.echo(format_error(error), err=True)
    if loaded.errors:
        raise click.ClickException(f"the new books in {directory} do not check clean")
    click.echo(f"New books in {directory}/ ({MAIN_FILE} is the main file).")
    click.echo("Next: edit settings.beancount (share class, dues) and members.beancount, then")
    click.echo(f"  coop check {directory / MAIN_FILE}")
    if not no_git:
        click.echo(f"  cd {directory} && git add . && git commit -m 'New books'")


@main.command("close-year")
@BOOKS
@click.option("--year", type=int, required=True, help="The fiscal year to close.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="A new (or empty) folder for the new books.")
@WAIT
def close_year_command(books: Path, year: int, out: Path, wait: float) -> None:
    """Split the books at the end of fiscal year YEAR: new books in OUT.

    The new books start on the first day of the next fiscal year: the same
    files less the history up to the cut, the opening balances (income and
    expenses closed to Equity:Earnings:Closed:FY<YEAR>, every member's shares
    and retained equity by fiscal year carried), and the plugin's 'start'.
    Written only if they check clean and end with every balance of BOOKS;
    BOOKS is left as it is (docs/scale.md).
    """
    from coop_beancount.books.closing import CloseError, close_year

    with writing(books, wait):  # no write to BOOKS while they are read
        try:
            closed = close_year(books, year, out)
        except CloseError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"New books from {closed.start} in {out}/ (checked clean, every balance as "
               f"in {books}): {', '.join(closed.files)}.")
    click.echo(f"The opening entry has {closed.opening_postings} posting(s); "
               f"{closed.carried} entr{'y' if closed.carried == 1 else 'ies'} of the closed "
               "year's decisions carried.")
    click.echo(f"Next: coop check {closed.main}; copy import.yaml, members-private.csv and "
               "the other files beside the books that you use.")
