"""The `coop` command: check, report on and serve a co-op's books.

    coop check BOOKS                    bean-check plus the co-op's rules
    coop members BOOKS                  every member: status, shares, dues owed, capital
    coop statement BOOKS MEMBER         a member's statement with running balances
    coop hours BOOKS                    hours of work given, per member and period
    coop balances BOOKS                 what each member owes or is owed (shared costs)
    coop settle BOOKS [--write FILE]    few payments (greedy) that bring everyone to zero
    coop costs BOOKS --unit quarts      cost per unit of usage-split costs, and savings
    coop serve BOOKS                    browse the books in Fava
    coop init DIR                       new books in a git repository that checks every commit

Reports print a table; `--format csv` or `--format json` is for scripts.
"""

from __future__ import annotations

import datetime
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from coop_beancount import __version__
from coop_beancount.books import Loaded, format_error, load_books
from coop_beancount.files import atomic_append, atomic_write
from coop_beancount.output import FORMATS, money_text, render
from coop_beancount.reports import (
    CoopBooks,
    currencies,
    hours_by_period,
    member_rows,
    positions,
    statement,
    usage_costs,
)
from coop_beancount.settle import COOP, Payment, SetOff, set_offs, settle_up
from coop_beancount.starter import MAIN_FILE, InitError, init_books

BOOKS = click.argument(
    "books", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="BOOKS"
)
FORMAT = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
    help="Output: a table to read, or csv / json for scripts.",
)
IGNORE_ERRORS = click.option(
    "--ignore-errors", is_flag=True,
    help="Report even when the books do not check clean (the figures may then be wrong).",
)


class Date(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime.date:
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date written YYYY-MM-DD", param, ctx)


DATE = Date()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coop")
def main() -> None:
    """Keep a co-operative's books in Beancount: members, shares, dues and
    hours of work, checked on every load and browsable in Fava.

    BOOKS is the ledger's main file (for example main.beancount). Start new
    books with `coop init DIR`; see `coop COMMAND --help` for each command.
    """


def _load(books: Path, ignore_errors: bool = True, can_ignore: bool = True) -> Loaded:
    loaded = load_books(books)
    if loaded.errors and not ignore_errors:
        for error in loaded.errors[:5]:
            click.echo(format_error(error), err=True)
        more = len(loaded.errors) - 5
        if more > 0:
            click.echo(f"... and {more} more", err=True)
        advice = " or pass --ignore-errors" if can_ignore else ""
        raise click.ClickException(
            f"{books} does not check clean ({len(loaded.errors)} error(s)), so its figures "
            f"cannot be trusted; fix them (see `coop check {books}`){advice}"
        )
    return loaded


@main.command()
@BOOKS
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; only the exit status tells.")
def check(books: Path, quiet: bool) -> None:
    """Check BOOKS: Beancount's own checks plus the co-op's rules.

    Every problem is printed as `file:line: message`. The exit status is 0
    when the books are clean and 1 when they are not, so scripts and git
    hooks can rely on it.
    """
    loaded = load_books(books)
    if not quiet:
        for error in loaded.errors:
            click.echo(format_error(error))
    if loaded.errors:
        if not quiet:
            click.echo(f"{books}: {len(loaded.errors)} error(s)", err=True)
        sys.exit(1)
    if not quiet:
        coop = CoopBooks.from_entries(loaded.entries, loaded.options)
        count = len(coop.records.members)
        click.echo(f"{books}: clean ({len(loaded.entries)} entries, {count} "
                   f"member{'' if count == 1 else 's'})", err=True)


MEMBER_COLUMNS = [
    ("key", "Key"), ("name", "Name"), ("joined", "Joined"), ("left", "Left"),
    ("shares_subscribed", "Subscribed"), ("shares_paid", "Paid in"),
    ("dues_owed", "Dues owed"), ("other_owed", "Other owed"), ("payable", "Co-op owes"),
    ("capital", "Capital"), ("hours", "Hours"),
]


@main.command()
@BOOKS
@FORMAT
@IGNORE_ERRORS
@click.option("--active", is_flag=True, help="Only members who have not left.")
def members(books: Path, fmt: str, ignore_errors: bool, active: bool) -> None:
    """List every member of BOOKS.

    Columns: key, name, join and leave dates, shares subscribed and paid in,
    dues owed (arrears), other amounts owed, what the co-op owes the member,
    the member's capital (equity), and hours of work given.
    """
    loaded = _load(books, ignore_errors)
    rows = member_rows(CoopBooks.from_entries(loaded.entries, loaded.options))
    if active:
        rows = [row for row in rows if row.left is None]
    click.echo(render([vars(row) for row in rows], MEMBER_COLUMNS, fmt), nl=False)


STATEMENT_COLUMNS = [
    ("date", "Date"), ("description", "Description"), ("account", "Account"),
    ("amount", "Amount"), ("owes", "Member owes"), ("capital", "Capital"),
]


@main.command("statement")
@BOOKS
@click.argument("member")
@click.option("--from", "start", type=DATE, help="First day of the statement.")
@click.option("--to", "end", type=DATE, help="Last day of the statement.")
@FORMAT
@IGNORE_ERRORS
def statement_command(books: Path, member: str, start: datetime.date | None,
                      end: datetime.date | None, fmt: str, ignore_errors: bool) -> None:
    """A member's statement: every entry touching MEMBER (a member key), with
    running balances of what the member owes the co-op and of their capital.

    A negative "Member owes" means the co-op owes the member.
    """
    if start and end and end < start:
        raise click.BadParameter(f"--to {end} is before --from {start}")
    loaded = _load(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    if coop.member(member) is None:
        known = ", ".join(sorted(coop.records.members)) or "none"
        raise click.ClickException(f"no member {member!r} in {books} (members: {known})")
    result = statement(coop, member, start, end)
    rows = [{
        "date": line.date, "description": line.description, "account": line.account,
        "amount": {line.currency: line.amount}, "owes": line.owes, "capital": line.capital,
    } for line in result.lines]
    if fmt != "table":
        click.echo(render(rows, STATEMENT_COLUMNS, fmt), nl=False)
        return
    m = result.member
    click.echo(f"Statement for {m.name} ({m.key})")
    click.echo(f"Member since {m.joined}" + (f", left {m.left}" if m.left else ""))
    period = f"{start or 'the beginning'} to {end or 'the end of the books'}"
    click.echo(f"Period: {period}")
    if start:
        click.echo(f"Opening: owes {money_text(result.opening_owes)}, "
                   f"capital {money_text(result.opening_capital)}")
    click.echo()
    click.echo(render(rows, STATEMENT_COLUMNS, fmt), nl=False)
    click.echo()
    click.echo(f"Closing: owes {money_text(result.closing_owes)}, "
               f"capital {money_text(result.closing_capital)}")


HOURS_COLUMNS = [("member", "Member"), ("period", "Period"), ("hours", "Hours"),
                 ("shifts", "Shifts")]


@main.command()
@BOOKS
@click.option("--by", "frequency", type=click.Choice(["weekly", "monthly", "quarterly", "yearly"]),
              default="monthly", show_default=True, help="Length of each period.")
@click.option("--member", "member_keys", multiple=True, help="Only this member (repeatable).")
@click.option("--from", "start", type=DATE, help="First day counted.")
@click.option("--to", "end", type=DATE, help="Last day counted.")
@FORMAT
@IGNORE_ERRORS
def hours(books: Path, frequency: str, member_keys: tuple[str, ...], start: datetime.date | None,
          end: datetime.date | None, fmt: str, ignore_errors: bool) -> None:
    """Hours of work members gave (coop-hours records), per member and period."""
    loaded = _load(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    unknown = [key for key in member_keys if key not in coop.records.members]
    if unknown:
        raise click.ClickException(f"no member {', '.join(map(repr, unknown))} in {books}")
    rows = hours_by_period(coop.records, frequency, start, end, member_keys or None)
    click.echo(render([vars(row) for row in rows], HOURS_COLUMNS, fmt), nl=False)


def _currency(coop: CoopBooks, currency: str | None) -> str:
    found = currencies(coop)
    if currency is None:
        if len(found) > 1:
            raise click.ClickException(
                f"members' balances are in several currencies ({', '.join(found)}); "
                "choose one with --currency")
        return found[0] if found else (coop.options.get("operating_currency") or ["USD"])[0]
    return currency


BALANCE_COLUMNS = [("member", "Member"), ("name", "Name"), ("receivable", "Owes co-op"),
                   ("payable", "Co-op owes"), ("net", "Net"), ("dues", "Dues owed")]


@main.command()
@BOOKS
@click.option("--currency", help="Currency to show (needed when members' balances use several).")
@click.option("--all", "show_all", is_flag=True, help="Also list members whose balance is zero.")
@FORMAT
@IGNORE_ERRORS
def balances(books: Path, currency: str | None, show_all: bool, fmt: str,
             ignore_errors: bool) -> None:
    """What each member owes the co-op (receivable) and is owed (payable).

    Net is positive when the member owes, negative when the member is owed;
    it is what `coop settle` clears. Dues owed are shown beside it but are
    not part of the settle-up: they are owed to the co-op alone and paid to it.
    """
    loaded = _load(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    currency = _currency(coop, currency)
    rows = []
    for key, position in positions(coop, currency).items():
        dues = coop.balances(key).get(coop.chart.dues(key), {}).get(currency, Decimal(0))
        if not show_all and not position.receivable and not position.payable and not dues:
            continue
        rows.append({"member": key, "name": coop.records.members[key].name,
                     "receivable": {currency: position.receivable},
                     "payable": {currency: position.payable}, "net": {currency: position.net},
                     "dues": {currency: dues}})
    if not rows and fmt == "table":
        click.echo(f"Nobody owes or is owed anything in {currency}.")
        return
    click.echo(render(rows, BALANCE_COLUMNS, fmt), nl=False)


SETTLE_COLUMNS = [("kind", "Kind"), ("payer", "From"), ("payee", "To"), ("amount", "Amount")]


@main.command()
@BOOKS
@click.option("--currency", help="Currency to settle (needed when members' balances use several).")
@click.option("--bank", default="Assets:Bank:Checking", show_default=True,
              help="The co-op's account for payments to and from it.")
@click.option("--date", "date", type=DATE, help="Date of the settle-up entries [default: today].")
@click.option("--write", "write_to", type=click.Path(dir_okay=False, path_type=Path),
              help="Append the proposal as transactions (flag '!') to this file of the books.")
@FORMAT
@IGNORE_ERRORS
def settle(books: Path, currency: str | None, bank: str, date: datetime.date | None,
           write_to: Path | None, fmt: str, ignore_errors: bool) -> None:
    """Propose few payments that bring every member to zero.

    Members who are both owed and owing are set off first; then the largest
    debtor pays the largest creditor, member to member or with the co-op,
    until everyone is clear (greedy: at most one payment fewer than the
    parties, usually the fewest). With --write FILE the proposal is appended
    to FILE (which must be one of the books' files) as '!' transactions, in
    one atomic write, and only when the books check clean before and after
    (--ignore-errors does not apply to --write).
    """
    loaded = _load(books, ignore_errors=ignore_errors and write_to is None,
                   can_ignore=write_to is None)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    currency = _currency(coop, currency)
    current = positions(coop, currency)
    offsets = set_offs(current)
    payments = settle_up(current)
    names = {key: m.name for key, m in coop.records.members.items()}
    rows = [{"kind": "set-off", "payer": names[o.member], "payee": "(own payable)",
             "amount": {currency: o.amount}} for o in offsets]
    rows += [{"kind": "payment", "payer": names.get(p.payer, "the co-op"),
              "payee": names.get(p.payee, "the co-op"), "amount": {currency: p.amount}}
             for p in payments]
    if write_to is None:
        if not rows and fmt == "table":
            click.echo("Everyone is settled: nothing to pay.")
            return
        click.echo(render(rows, SETTLE_COLUMNS, fmt), nl=False)
        return
    if not rows:
        click.echo("Everyone is settled: nothing written.")
        return
    _write_settlement(loaded, coop, write_to, date or datetime.date.today(), currency, bank,
                      offsets, payments)
    click.echo(render(rows, SETTLE_COLUMNS, fmt), nl=False)
    click.echo(f"Appended {len(rows)} transaction(s) to {write_to}; books check clean.", err=True)


def _write_settlement(loaded: Loaded, coop: CoopBooks, target: Path, date: datetime.date,
                      currency: str, bank: str, offsets: list[SetOff],
                      payments: list[Payment]) -> None:
    included = {Path(f).resolve() for f in loaded.options.get("include", [])}
    if target.resolve() not in included:
        raise click.ClickException(
            f"{target} is not one of the files of {loaded.path}; write to a file the books "
            "include (for example this year's file)")
    opened = {e.account for e in loaded.entries if type(e).__name__ == "Open"}
    if any(COOP in (p.payer, p.payee) for p in payments) and bank not in opened:
        raise click.ClickException(f"the bank account {bank} is not open in {loaded.path}; "
                                   "pass the co-op's bank account with --bank")
    text = _settlement_text(coop, date, currency, bank, offsets, payments)
    old = atomic_append(target, text)
    after = load_books(loaded.path)
    if after.errors:
        atomic_write(target, old)
        for error in after.errors[:5]:
            click.echo(format_error(error), err=True)
        raise click.ClickException(f"the settle-up would not check clean, so {target} was left "
                                   "as it was")


def _settlement_text(coop: CoopBooks, date: datetime.date, currency: str, bank: str,
                     offsets: list[SetOff], payments: list[Payment]) -> str:
    chart = coop.chart
    names = {key: m.name for key, m in coop.records.members.items()}

    def txn(narration: str, debit: str, credit: str, amount: Decimal, kind: str) -> str:
        return (f'{date} ! "{narration}"\n  coop-settle: "{kind}"\n'
                f"  {debit}  {amount} {currency}\n  {credit}  {-amount} {currency}\n")

    out = []
    for o in offsets:
        out.append(txn(f"Settle-up: set off {names[o.member]}'s payable against receivable",
                       chart.payable(o.member), chart.receivable(o.member), o.amount, "set-off"))
    for p in payments:
        debit = bank if p.payee == COOP else chart.payable(p.payee)
        credit = bank if p.payer == COOP else chart.receivable(p.payer)
        narration = (f"Settle-up: {names.get(p.payer, 'the co-op')} pays "
                     f"{names.get(p.payee, 'the co-op')}")
        out.append(txn(narration.replace('"', "'"), debit, credit, p.amount, "payment"))
    return "\n".join(out)


USAGE_COLUMNS = [("label", "Period"), ("units", "Units"), ("cost", "Cost"),
                 ("cost_per_unit", "Per unit"), ("retail", "At retail"), ("saved", "Saved")]


@main.command()
@BOOKS
@click.option("--unit", required=True, help="The unit of the usage splits, as in "
              "'usage quarts: ...' (for example: quarts).")
@click.option("--by", "frequency", type=click.Choice(["weekly", "monthly", "quarterly", "yearly"]),
              default="monthly", show_default=True, help="Length of each period.")
@click.option("--per", type=click.Choice(["period", "member"]), default=None,
              help="Only one of the two tables (csv and json need one; default: period).")
@FORMAT
@IGNORE_ERRORS
def costs(books: Path, unit: str, frequency: str, per: str | None, fmt: str,
          ignore_errors: bool) -> None:
    """What usage-split costs came to per unit, per period and per member,
    and what members saved against the retail price (coop-retail-price).
    """
    loaded = _load(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    by_period, by_member = usage_costs(coop, unit, frequency)
    if not by_period:
        raise click.ClickException(f"no costs split by usage in {unit!r} in {books}")

    def rows(items: list) -> list[dict]:
        return [{"label": r.label, "units": r.units, "cost": r.cost,
                 "cost_per_unit": r.cost_per_unit, "retail": r.retail, "saved": r.saved}
                for r in items]

    if fmt != "table" or per is not None:
        chosen = by_member if per == "member" else by_period
        columns = USAGE_COLUMNS if per != "member" else [("label", "Member"), *USAGE_COLUMNS[1:]]
        click.echo(render(rows(chosen), columns, fmt), nl=False)
        return
    total = by_period[0].__class__("Total")
    for row in by_period:
        total.units += row.units
        for c, n in row.cost.items():
            total.cost[c] = total.cost.get(c, Decimal(0)) + n
        for c, n in row.retail.items():
            total.retail[c] = total.retail.get(c, Decimal(0)) + n
    click.echo(render(rows([*by_period, total]), USAGE_COLUMNS, fmt), nl=False)
    click.echo()
    click.echo(render(rows(by_member), [("label", "Member"), *USAGE_COLUMNS[1:]], fmt), nl=False)


@main.command()
@click.argument("books", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-p", "--port", type=int, default=5000, show_default=True, help="Port to listen on.")
@click.option("-H", "--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--read-only", is_flag=True, help="Disallow changes to the books through Fava.")
def serve(books: tuple[Path, ...], port: int, host: str, read_only: bool) -> None:
    """Browse BOOKS (one or more ledgers) in Fava on http://HOST:PORT/.

    Fava shows every problem `coop check` finds on its Errors page.
    """
    from fava.cli import main as fava_main

    args = [*map(str, books), "--port", str(port), "--host", host]
    if read_only:
        args.append("--read-only")
    click.echo(f"Serving {len(books)} ledger(s) on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    fava_main.main(args=args, prog_name="coop serve", standalone_mode=True)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-git", is_flag=True, help="Do not make a git repository.")
def init(directory: Path, no_git: bool) -> None:
    """Start new books in DIRECTORY from the starter set.

    Makes DIRECTORY (which must not exist or be empty) with the chart of
    accounts, the co-op's settings, a members file and this year's file, in a
    git repository whose pre-commit hook runs `coop check` and refuses a commit
    whose books do not check clean.
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
