"""The `coop` command: check, report on and serve a co-op's books.

    coop check BOOKS                    bean-check plus the co-op's rules
    coop members BOOKS                  every member: status, shares, dues owed, capital
    coop statement BOOKS MEMBER         a member's statement with running balances
    coop hours BOOKS                    hours of work given, per member and period
    coop balances BOOKS                 what each member owes or is owed (shared costs)
    coop settle BOOKS [--write FILE]    few payments (greedy) that bring everyone to zero
    coop costs BOOKS --unit quarts      cost per unit of usage-split costs, and savings
    coop shared-costs BOOKS             shared costs per key and period: parts, who paid
    coop patronage BOOKS --year 2025    a year's patronage dividends (or --what-if)
    coop notices BOOKS --year 2025 --out DIR   members' written notices of allocation
    coop 1099-patr BOOKS --year 2026    Form 1099-PATR figures for a calendar year
    coop equity BOOKS                   retained patronage equity outstanding, by year
    coop diff BOOKS [--from REV --to REV]   what a change (git) does to members' money
    coop serve BOOKS                    browse the books in Fava
    coop init DIR                       new books in a git repository that checks every commit

Reports print a table; `--format csv` or `--format json` is for scripts.
"""

from __future__ import annotations

import datetime
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click

from coop_beancount import __version__
from coop_beancount.books import Loaded, append_checked, format_error, includes, load_books
from coop_beancount.files import atomic_write
from coop_beancount.importers.cli import import_group
from coop_beancount.output import FORMATS, money_text, render
from coop_beancount.patronage import fiscal_label, percent
from coop_beancount.patronage_reports import (
    BookedPool,
    ReportError,
    booked_pools,
    check_rows,
    fiscal_calendar,
    form_1099_patr,
    member_notices,
    missing_allocation,
    next_redemption,
    outstanding_equity,
    parse_percent,
    redemptions_made,
    render_notices,
    what_if,
)
from coop_beancount.reports import (
    CoopBooks,
    EquityYear,
    add,
    currencies,
    hours_by_period,
    member_rows,
    positions,
    statement,
    usage_costs,
)
from coop_beancount.settle import COOP, Payment, SetOff, set_offs, settle_up
from coop_beancount.shared_costs import by_key_and_period, shared_cost_rows, shared_costs
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
    """Keep a co-operative's books in Beancount: members, shares, dues, hours of
    work, shared costs, patronage dividends and imports, checked on every load
    and browsable in Fava.

    BOOKS is the ledger's main file (for example main.beancount). Start new
    books with `coop init DIR`; see `coop COMMAND --help` for each command.
    """


main.add_command(import_group)


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
    ("capital", "Capital"), ("allocated", "Of which allocated"), ("hours", "Hours"),
]


@main.command()
@BOOKS
@FORMAT
@IGNORE_ERRORS
@click.option("--active", is_flag=True, help="Only members who have not left.")
@click.option("--as-of", "as_of", type=DATE, help="As the books stood at the end of this day: "
              "members who had joined by then, their balances then [default: the end of the "
              "books].")
def members(books: Path, fmt: str, ignore_errors: bool, active: bool,
            as_of: datetime.date | None) -> None:
    """List every member of BOOKS.

    Columns: key, name, join and leave dates, shares subscribed and paid in,
    dues owed (arrears), other amounts owed, what the co-op owes the member,
    the member's capital (equity) and how much of it is allocated patronage
    equity not yet redeemed, and hours of work given.
    """
    loaded = _load(books, ignore_errors)
    rows = member_rows(CoopBooks.from_entries(loaded.entries, loaded.options), as_of)
    if active:
        rows = [row for row in rows if row.left is None]
    click.echo(render([vars(row) for row in rows], MEMBER_COLUMNS, fmt), nl=False)


STATEMENT_COLUMNS = [
    ("date", "Date"), ("description", "Description"), ("account", "Account"),
    ("amount", "Amount"), ("owes", "Member owes"), ("capital", "Capital"),
]


EQUITY_YEAR_COLUMNS = [
    ("year", "Fiscal year"), ("qualified", "Qualified"), ("non_qualified", "Non-qualified"),
    ("retains", "Retains"), ("redeemed", "Redeemed"), ("outstanding", "Outstanding"),
]


@main.command("statement")
@BOOKS
@click.argument("member")
@click.option("--from", "start", type=DATE, help="First day of the statement.")
@click.option("--to", "end", type=DATE, help="Last day of the statement.")
@click.option("--equity", "equity_only", is_flag=True,
              help="Only the retained patronage equity by fiscal year (csv and json print "
              "one table: the entries, or this).")
@FORMAT
@IGNORE_ERRORS
def statement_command(books: Path, member: str, start: datetime.date | None,
                      end: datetime.date | None, equity_only: bool, fmt: str,
                      ignore_errors: bool) -> None:
    """A member's statement: every entry touching MEMBER (a member key), with
    running balances of what the member owes the co-op and of their capital;
    then their retained patronage equity by fiscal year (allocated on
    qualified and non-qualified notices, per-unit retains, redeemed, and
    outstanding at the end of the statement).

    A negative "Member owes" means the co-op owes the member.

    \b
    Example:
      coop statement main.beancount G1 --from 2026-01-01 --to 2026-12-31
      coop statement main.beancount G1 --equity --format csv
    """
    if start and end and end < start:
        raise click.BadParameter(f"--to {end} is before --from {start}")
    loaded = _load(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    if coop.member(member) is None:
        known = ", ".join(sorted(coop.records.members)) or "none"
        raise click.ClickException(f"no member {member!r} in {books} (members: {known})")
    result = statement(coop, member, start, end)
    equity_rows = _equity_year_rows(result.equity)
    if equity_only:
        click.echo(render(equity_rows, EQUITY_YEAR_COLUMNS, fmt), nl=False)
        return
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
    if result.equity:
        click.echo()
        click.echo(f"Retained patronage equity by fiscal year, at {end or 'the end of the books'}:")
        total = {column: {} for column, _ in EQUITY_YEAR_COLUMNS[1:]}
        for row in equity_rows:
            for column, money in total.items():
                for currency, number in row[column].items():
                    add(money, currency, number)
        click.echo(render([*equity_rows, {"year": "Total", **total}], EQUITY_YEAR_COLUMNS,
                          fmt), nl=False)


def _equity_year_rows(years: list[EquityYear]) -> list[dict[str, Any]]:
    return [{"year": fiscal_label(y.year), "qualified": y.qualified,
             "non_qualified": y.non_qualified, "retains": y.retains, "redeemed": y.redeemed,
             "outstanding": y.outstanding} for y in years]


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
        known = ", ".join(sorted(coop.records.members)) or "none"
        raise click.ClickException(
            f"no member {', '.join(map(repr, unknown))} in {books} (members: {known})")
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
    if not includes(loaded, target):
        raise click.ClickException(
            f"{target} is not one of the files of {loaded.path}; write to a file the books "
            "include (for example this year's file)")
    opened = {e.account for e in loaded.entries if type(e).__name__ == "Open"}
    if any(COOP in (p.payer, p.payee) for p in payments) and bank not in opened:
        raise click.ClickException(f"the bank account {bank} is not open in {loaded.path}; "
                                   "pass the co-op's bank account with --bank")
    text = _settlement_text(coop, date, currency, bank, offsets, payments)
    errors = append_checked(loaded, target, text)
    if errors:
        for error in errors[:5]:
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
        raise click.ClickException(
            f"no costs split by usage in {unit!r} in {books}; --unit is the unit of the "
            f"usage splits, as in split: \"usage {unit}: Ana 3, Ben 2\"")

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


SHARED_COST_COLUMNS = [("key", "Key"), ("period", "Period"), ("costs", "Costs"),
                       ("total", "Total"), ("paid_by", "Paid by")]
SHARED_PART_COLUMNS = [("key", "Key"), ("period", "Period"), ("member", "Member"),
                       ("name", "Name"), ("part", "Part")]


@main.command("shared-costs")
@BOOKS
@click.option("--by", "frequency", type=click.Choice(["weekly", "monthly", "quarterly", "yearly"]),
              default="monthly", show_default=True, help="Length of each period.")
@click.option("--from", "start", type=DATE, help="First day [default: the beginning].")
@click.option("--to", "end", type=DATE, help="Last day [default: the end of the books].")
@click.option("--per", type=click.Choice(["key", "member"]), default=None,
              help="Only one of the two tables (csv and json print one; default: key).")
@FORMAT
@IGNORE_ERRORS
def shared_costs_command(books: Path, frequency: str, start: datetime.date | None,
                         end: datetime.date | None, per: str | None, fmt: str,
                         ignore_errors: bool) -> None:
    """Shared costs per split key and period: the total, who paid, each member's part.

    A key is a named split key (coop-split-key) or the kind of an inline rule
    (usage quarts, equal, weights, percent, fixed). "Paid by" is the co-op, or
    the member who paid out of pocket (a posting to their payable).

    \b
    Example:
      coop shared-costs main.beancount --by quarterly
      coop shared-costs main.beancount --per member --format csv
    """
    if start and end and end < start:
        raise click.BadParameter(f"--to {end} is before --from {start}")
    loaded = _load(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    groups = by_key_and_period(shared_costs(coop), frequency, start, end)
    if not groups and fmt == "table":
        click.echo(f"No shared costs (split:) in {books} in that time.")
        return
    names = {key: m.name for key, m in coop.records.members.items()}
    totals, parts = shared_cost_rows(groups, names)
    if fmt != "table" or per is not None:
        rows, columns = (parts, SHARED_PART_COLUMNS) if per == "member" else (
            totals, SHARED_COST_COLUMNS)
        click.echo(render(rows, columns, fmt), nl=False)
        return
    click.echo(render(totals, SHARED_COST_COLUMNS, fmt), nl=False)
    click.echo()
    click.echo(render(parts, SHARED_PART_COLUMNS, fmt), nl=False)


class Percent(click.ParamType):
    name = "PERCENT"

    def convert(self, value: Any, param: Any, ctx: Any) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            return parse_percent(value)
        except ValueError:
            self.fail(f"{value!r} is not a percentage written like 15%", param, ctx)


PERCENT = Percent()


class MoneyAmount(click.ParamType):
    name = "AMOUNT"

    def convert(self, value: Any, param: Any, ctx: Any) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            number = Decimal(str(value).replace(",", ""))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.fail(f"{value!r} is not an amount written like 25000.00", param, ctx)
        return number


MONEY = MoneyAmount()
YEAR = click.IntRange(1901, 2999)


def _pools(coop: CoopBooks, books: Path, year: int, pool: str | None) -> list[BookedPool]:
    """The allocations booked for fiscal year `year` (one pool if named), or a clean error."""
    booked = booked_pools(coop.entries, coop.chart, year)
    chosen = [p for p in booked if pool is None or p.pool == pool]
    if not chosen:
        raise click.ClickException(f"{books}: {missing_allocation(coop, year, pool, booked)}")
    return chosen


POOL_COLUMNS = [
    ("pool", "Pool"), ("measure", "Measure"), ("paid", "Paid"), ("margin", "Margin"),
    ("non_patronage", "Non-patronage"), ("reserve_share", "Reserve %"), ("reserve", "Reserve"),
    ("pool_amount", "Pool"), ("patronage", "Patronage"), ("rate", "Rate"),
    ("cash_share", "Cash %"), ("notice", "Notices"),
]
ALLOCATION_COLUMNS = [
    ("pool", "Pool"), ("member", "Member"), ("name", "Name"), ("measure", "Measure"),
    ("quantity", "Quantity"), ("allocation", "Allocation"), ("cash", "Cash"),
    ("retained", "Retained"), ("notice", "Notice"),
]


def _pool_row(pool: BookedPool) -> dict[str, Any]:
    money = pool.currency
    result = pool.result
    return {"year": pool.year, "pool": pool.pool, "measure": pool.measure, "paid": pool.paid,
            "margin": {money: result.margin}, "non_patronage": {money: pool.non_patronage},
            "reserve_share": percent(pool.reserve_share), "reserve": {money: result.reserve},
            "pool_amount": {money: result.pool}, "patronage": result.total_patronage,
            "rate": pool.rate, "cash_share": percent(pool.cash_share), "notice": pool.notice}


CHECK_COLUMNS = [("year", "Year"), ("pool", "Pool"), ("check", "Check"), ("status", "Status"),
                 ("detail", "Detail")]


def _pool_summary(pool: BookedPool) -> str:
    """A pool's figures, one per line, for the table format."""
    result, money = pool.result, pool.currency
    figures = [
        ("Patronage margin", f"{result.margin:,} {money}"),
        ("Non-patronage margin", f"{pool.non_patronage or Decimal('0.00'):,} {money}"),
        (f"Reserve ({percent(pool.reserve_share)})", f"{result.reserve:,} {money}"),
        ("Pool", f"{result.pool:,} {money}"),
        ("Patronage", f"{result.total_patronage:,} {pool.measure}"),
        ("Rate per unit", f"{pool.rate} {money}"),
        ("Cash share", f"{percent(pool.cash_share)}, {pool.notice} notices"),
    ]
    width = max(len(label) for label, _ in figures)
    heading = f"Pool {pool.pool!r} of {fiscal_label(pool.year)}, paid {pool.paid}"
    return "\n".join([heading] + [f"  {label.ljust(width)}  {value.rjust(20)}"
                                   for label, value in figures])


def _allocation_rows(pool: BookedPool, names: dict[str, str],
                     booked: BookedPool | None) -> list[dict[str, Any]]:
    money = pool.currency
    before = {d.member: d.allocation for d in booked.result.dividends} if booked else {}
    return [{"year": pool.year, "pool": pool.pool, "member": d.member,
             "name": names.get(d.member, ""), "measure": pool.measure,
             "quantity": d.patronage, "allocation": {money: d.allocation},
             "cash": {money: d.cash}, "retained": {money: d.retained}, "notice": pool.notice,
             "booked": {money: before.get(d.member, Decimal(0))}}
            for d in pool.result.dividends]


def _total_row(rows: list[dict[str, Any]], label: str, pool: BookedPool | None = None,
               ) -> dict[str, Any]:
    """Money columns added up; the quantity is the pool's (measures of pools do not add)."""
    total: dict[str, Any] = {"pool": pool.pool if pool else "", "member": label}
    if pool is not None:
        total["quantity"] = pool.result.total_patronage
    for column in ("allocation", "cash", "retained", "booked"):
        money: dict[str, Decimal] = {}
        for row in rows:
            for currency, number in row[column].items():
                add(money, currency, number)
        total[column] = money
    return total


@main.command("patronage")
@BOOKS
@click.option("--year", required=True, type=YEAR, help="The fiscal year allocated (2025 = FY2025).")
@click.option("--pool", help="Only this pool (default: every pool of the year).")
@click.option("--what-if", "what_if_", is_flag=True,
              help="Recompute from the booked margin and patronage with the shares below; the "
              "books are not changed.")
@click.option("--reserve", type=PERCENT, help="With --what-if: the reserve share, like 15%.")
@click.option("--cash", type=PERCENT, help="With --what-if: the cash share, like 30%.")
@click.option("--qualified/--non-qualified", "qualified", default=None,
              help="With --what-if: the kind of notices (default: as decided).")
@click.option("--per", type=click.Choice(["pool", "member", "check"]), default=None,
              help="Only one table: the pools, the members, or the compliance checks (csv "
              "and json print one; default: member).")
@FORMAT
@IGNORE_ERRORS
def patronage_command(books: Path, year: int, pool: str | None, what_if_: bool,
                      reserve: Decimal | None, cash: Decimal | None, qualified: bool | None,
                      per: str | None, fmt: str, ignore_errors: bool) -> None:
    """A fiscal year's patronage dividends, as booked from the board's decisions.

    Per pool: the patronage margin, non-patronage margin, reserve, the pool
    divided among members and its rate per unit of patronage. Per member: their
    patronage (in the pool's measure), allocation, cash part, retained part and
    the kind of notice, with totals.

    With --what-if the same margin and patronage are divided again with another
    --reserve, --cash or kind of notice, by the same rule the plugin books;
    nothing is written. A share the plugin would refuse (a qualified notice
    with under 20% cash) is refused here too.

    \b
    Example:
      coop patronage main.beancount --year 2025
      coop patronage main.beancount --year 2025 --what-if --reserve 15% --cash 30%
    """
    if not what_if_ and (reserve is not None or cash is not None or qualified is not None):
        raise click.UsageError("--reserve, --cash and --qualified/--non-qualified only go with "
                               "--what-if")
    loaded = _load(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    booked = _pools(coop, books, year, pool)
    pools = booked
    if what_if_:
        try:
            pools = [what_if(p, reserve, cash, qualified) for p in booked]
        except ReportError as exc:
            advice = (" (with --what-if: --non-qualified)" if "qualified: FALSE" in str(exc)
                      else "")
            raise click.ClickException(f"what-if refused: {exc}{advice}") from None
    names = {key: m.name for key, m in coop.records.members.items()}
    pool_rows = [_pool_row(p) for p in pools]
    member_rows_ = [_allocation_rows(p, names, b if what_if_ else None)
                    for p, b in zip(pools, booked, strict=True)]
    columns = ALLOCATION_COLUMNS + ([("booked", "Booked")] if what_if_ else [])
    pool_columns = [("year", "Year"), *POOL_COLUMNS]
    what_if_note = (f"What-if for {fiscal_label(year)}: recomputed from the booked margin and "
                    "patronage; the books are not changed.")
    if fmt != "table" or per is not None:
        if what_if_:
            click.echo(what_if_note, err=True)
        if per == "pool":
            click.echo(render(pool_rows, pool_columns, fmt), nl=False)
        elif per == "check":
            click.echo(render(check_rows(pools, fiscal_calendar(coop.options)), CHECK_COLUMNS,
                              fmt), nl=False)
        else:
            flat = [row for rows in member_rows_ for row in rows]
            member_columns = ([("year", "Year")] if fmt != "table" else []) + columns
            click.echo(render(flat, member_columns, fmt), nl=False)
        return
    click.echo(what_if_note if what_if_ else
               f"Patronage dividends for {fiscal_label(year)}, as booked.")
    calendar = fiscal_calendar(coop.options)
    for pool_ in pools:
        click.echo()
        click.echo(_pool_summary(pool_))
        click.echo()
        click.echo(render(check_rows([pool_], calendar), CHECK_COLUMNS[2:], fmt), nl=False)
    click.echo()
    rows = []
    unlisted = []
    for pool_, allocations in zip(pools, member_rows_, strict=True):
        rows.extend(allocations)
        rows.append(_total_row(allocations, "Total", pool_))
        listed = sum((row["quantity"] for row in allocations), Decimal(0))
        if listed != pool_.result.total_patronage:
            unlisted.append(f"{pool_.result.total_patronage - listed:,} {pool_.measure} of "
                            f"pool {pool_.pool!r}")
    if len(pools) > 1:
        rows.append(_total_row([r for rs in member_rows_ for r in rs], "All pools"))
    click.echo(render(rows, columns, fmt), nl=False)
    if unlisted:
        click.echo(f"Not listed: members whose allocation rounded to 0.00 "
                   f"({'; '.join(unlisted)}).")


#: Beancount's title for books whose `option "title"` is not set.
UNNAMED = "Beancount"
NOTICE_COLUMNS = [("member", "Member"), ("name", "Name"), ("allocation", "Allocation"),
                  ("cash", "Cash"), ("retained", "Retained"), ("notice", "Notice"),
                  ("file", "File")]


@main.command()
@BOOKS
@click.option("--year", required=True, type=YEAR, help="The fiscal year allocated (2025 = FY2025).")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the notices (made if missing; notices already there are "
              "replaced).")
@click.option("--paper", type=click.Choice(["letter", "A4"], case_sensitive=False),
              default="letter", show_default=True, help="Paper size when printed.")
@FORMAT
@IGNORE_ERRORS
def notices(books: Path, year: int, out_dir: Path, paper: str, fmt: str,
            ignore_errors: bool) -> None:
    """Write each member's written notice of allocation for a fiscal year (--year).

    One printable HTML page per member with an allocation in the year (every
    pool of the year on one notice): the co-op's name (the ledger's "title"
    option), the member, their patronage, the rate per unit, the allocation,
    its cash and retained parts, the payment date, and the consent wording of
    a qualified notice (IRC §1388(c)) or what a non-qualified one means. Files
    are named FY2025-G1.html, with an index.html listing them; each is written
    whole or not at all. Print them, or save them as PDF, from a browser.

    \b
    Example:
      coop notices main.beancount --year 2025 --out notices/FY2025
    """
    loaded = _load(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    title = loaded.options.get("title")
    if not title or title == UNNAMED:
        raise click.ClickException(
            f'{books} does not name the co-op, and a notice of allocation must; add a line '
            f'like: option "title" "Cranberry Growers Co-operative"')
    found = member_notices(coop, _pools(coop, books, year, None))
    files = render_notices(found, title, paper.upper() if paper.lower() == "a4" else "letter")
    _write_files(out_dir, files)
    rows = [{"member": n.member.key, "name": n.member.name,
             "allocation": n.total("allocation"), "cash": n.total("cash"),
             "retained": n.total("retained"), "notice": ", ".join(n.kinds),
             "file": str(out_dir / n.file_name)} for n in found]
    click.echo(render(rows, NOTICE_COLUMNS, fmt), nl=False)
    click.echo(f"Wrote {len(found)} notice(s) of allocation for {fiscal_label(year)} and "
               f"{out_dir / 'index.html'}.", err=True)


def _write_files(folder: Path, files: dict[str, str]) -> None:
    """Write every file, each atomically; if one fails, take back what this run made."""
    made_folder = not folder.exists()
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            path = folder / name
            new = not path.exists()
            atomic_write(path, text.encode())
            if new:
                written.append(path)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        if made_folder and folder.exists() and not any(folder.iterdir()):
            folder.rmdir()
        raise click.ClickException(f"could not write the notices to {folder}: {exc}") from None


PATR_COLUMNS = [("member", "member"), ("name", "name"), ("box1", "box1"), ("box3", "box3"),
                ("box5", "box5")]


@main.command("1099-patr")
@BOOKS
@click.option("--year", required=True, type=YEAR,
              help="The calendar year of payment (not the fiscal year allocated).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="Output: csv for tax software, a table to read, or json.")
@IGNORE_ERRORS
def form_1099_patr_command(books: Path, year: int, fmt: str, ignore_errors: bool) -> None:
    """Form 1099-PATR figures per recipient for a calendar year of payment (--year).

    \b
    box1  patronage dividends: cash parts and qualified notices (face value)
          of allocations paid in the year
    box3  per-unit retains withheld in the year
    box5  non-qualified notices redeemed in the year

    Only recipients with at least 10.00 in the three boxes together are listed.

    \b
    Example:
      coop 1099-patr main.beancount --year 2026 > 1099-patr-2026.csv
    """
    loaded = _load(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    try:
        forms, currency = form_1099_patr(coop, year)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    rows = [vars(form) for form in forms]
    if fmt == "table":
        if not rows:
            click.echo(f"Nobody was paid 10.00 {currency} or more in patronage in {year}.")
            return
        total = {"member": "Total", "name": ""}
        for box in ("box1", "box3", "box5"):
            total[box] = sum((row[box] for row in rows), Decimal(0))
        rows.append(total)
        click.echo(f"Form 1099-PATR, calendar year {year} ({currency})")
        click.echo()
    click.echo(render(rows, PATR_COLUMNS, fmt), nl=False)


REDEMPTION_COLUMNS = [("date", "Date"), ("member", "Member"), ("name", "Name"),
                      ("year", "Fiscal year"), ("kind", "Kind"), ("amount", "Amount")]
EQUITY_COLUMNS = [("member", "Member"), ("name", "Name"), ("year", "Fiscal year"),
                  ("qualified", "Qualified"), ("non_qualified", "Non-qualified"),
                  ("retains", "Retains"), ("total", "Total")]


@main.command()
@BOOKS
@click.option("--as-of", "as_of", type=DATE, help="Balances at the end of this day "
              "[default: the end of the books].")
@click.option("--by", type=click.Choice(["member-year", "member", "year"]),
              default="member-year", show_default=True,
              help="One row per member and fiscal year, per member, or per fiscal year.")
@click.option("--redeemed", is_flag=True,
              help="List the redemptions made instead: date, member, fiscal year, amount.")
@click.option("--redeem", "budget", type=MONEY,
              help="Show what a revolving redemption of this budget (like 25000.00) would pay "
              "whom, as of --as-of; nothing is written.")
@click.option("--currency", help="With --redeem: the currency [default: the operating currency].")
@FORMAT
@IGNORE_ERRORS
def equity(books: Path, as_of: datetime.date | None, by: str, redeemed: bool,
           budget: Decimal | None, currency: str | None, fmt: str,
           ignore_errors: bool) -> None:
    """Members' retained patronage equity outstanding (the revolving fund).

    From the balances of each member's Allocated:FY* (qualified),
    Allocated:FY*:NonQualified and Retains:FY* accounts: what the co-op still
    owes members by fiscal year, oldest first, which is the order
    coop-redemption pays it back in.

    --redeemed lists the redemptions made; --redeem 25000.00 shows what the
    next revolving redemption of that budget would pay each member, by the
    rule a coop-redemption is booked with (oldest year first, the last year
    reached pro rata).

    \b
    Example:
      coop equity main.beancount --as-of 2026-12-31 --by year
      coop equity main.beancount --redeem 25000.00
    """
    loaded = _load(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    if redeemed or budget is not None:
        if budget is not None:
            currency = currency or (coop.options.get("operating_currency") or ["USD"])[0]
            try:
                lines = next_redemption(coop, budget, currency, as_of)
            except ReportError as exc:
                raise click.ClickException(str(exc)) from None
        else:
            lines = redemptions_made(coop, as_of)
        rows = [vars(line) for line in lines]
        if fmt == "table" and not rows:
            click.echo("No redemptions have been made.")
            return
        if fmt == "table":
            total: dict[str, Any] = {"date": "Total", "amount": {}}
            for row in rows:
                for money_currency, number in row["amount"].items():
                    add(total["amount"], money_currency, number)
            rows.append(total)
        click.echo(render(rows, REDEMPTION_COLUMNS, fmt), nl=False)
        return
    found = outstanding_equity(coop, as_of, by)
    rows = [{**vars(row), "total": row.total} for row in found]
    columns = [c for c in EQUITY_COLUMNS
               if not (by == "member" and c[0] == "year")
               and not (by == "year" and c[0] in ("member", "name"))]
    if fmt == "table":
        if not rows:
            click.echo("No retained patronage equity is outstanding.")
            return
        total: dict[str, Any] = {columns[0][0]: "Total"}
        for column in ("qualified", "non_qualified", "retains", "total"):
            money: dict[str, Decimal] = {}
            for row in rows:
                for currency, number in row[column].items():
                    add(money, currency, number)
            total[column] = money
        rows.append(total)
    click.echo(render(rows, columns, fmt), nl=False)


DIFF_COLUMNS = [("member", "Member"), ("name", "Name"), ("figure", "Figure"),
                ("before", "Before"), ("after", "After"), ("change", "Change")]


@main.command("diff")
@click.argument("books", type=click.Path(dir_okay=False, path_type=Path), metavar="BOOKS")
@click.option("--from", "from_revision", default="HEAD", show_default=True, metavar="REV",
              help="The books before the change: a commit, branch or tag (HEAD~1, a hash...).")
@click.option("--to", "to_revision", metavar="REV",
              help="The books after the change [default: the working tree, as it is now].")
@FORMAT
def diff_command(books: Path, from_revision: str, to_revision: str | None, fmt: str) -> None:
    """What a change to the books does to members' money.

    Loads BOOKS (kept in git) at two revisions, by default HEAD and the working
    tree, so a reviewer sees the money effect of a change before it is
    committed; `--from A~1 --to A` shows what commit A did. For each member
    whose money changes it lists the figures that change (shares paid in, dues
    owed, other amounts owed, what the co-op owes them, capital, retained
    patronage equity), before, after and the change; then the co-op's totals.
    Both sides must check clean. The repository is not touched: a revision is
    read into a temporary folder.

    \b
    Example:
      coop diff main.beancount                          # before you commit
      coop diff main.beancount --from HEAD~1 --to HEAD  # what the last commit did
      coop diff main.beancount --from v2025 --format csv
    """
    from coop_beancount.diff import TOTAL, compare, joined_and_gone
    from coop_beancount.revisions import RevisionError, checked_out, commit_of, repository

    after_label = to_revision or "the working tree"
    try:
        top, relative = repository(books)
        after_commit = commit_of(top, to_revision) if to_revision else None
        with checked_out(top, commit_of(top, from_revision)) as folder:
            before = _money_at(folder, relative, from_revision)
        if after_commit is None:
            after = _money_at(None, books, after_label)
        else:
            with checked_out(top, after_commit) as folder:
                after = _money_at(folder, relative, after_label)
    except RevisionError as exc:
        raise click.ClickException(str(exc)) from None
    changes = compare(before, after)
    table = fmt == "table"
    rows = [{"member": change.member if change.member != TOTAL else "Total", "name": change.name,
             "figure": change.heading, "before": change.before, "after": change.after,
             "change": _signed(change.change) if table else change.change}
            for change in changes]
    if not table:
        click.echo(render(rows, DIFF_COLUMNS, fmt), nl=False)
        return
    if not rows:
        click.echo(f"No member's money changes from {from_revision} to {after_label}.")
        return
    click.echo(f"Members' money, {from_revision} -> {after_label}:")
    click.echo()
    click.echo(render(rows, DIFF_COLUMNS, fmt), nl=False)
    joined, gone = joined_and_gone(before, after)
    for label, keys in (("New members", joined), ("No longer in the books", gone)):
        if keys:
            click.echo(f"{label}: {', '.join(keys)}.")


def _money_at(folder: Path | None, books: Path | str, label: str) -> dict[str, Any]:
    """Every member's money in the books at `folder / books` (or `books`), or a clean error
    naming the revision and each problem's file and line."""
    from coop_beancount.diff import member_money

    path = Path(folder, books) if folder is not None else Path(books)
    if not path.is_file():
        raise click.ClickException(f"{label}: there is no {books}")
    loaded = load_books(path)
    if loaded.errors:
        for error in loaded.errors[:5]:
            line = format_error(error)
            if folder is not None:
                line = line.replace(f"{folder.resolve()}/", "").replace(f"{folder}/", "")
            click.echo(f"{label}: {line}", err=True)
        raise click.ClickException(
            f"the books at {label} do not check clean ({len(loaded.errors)} error(s), above), "
            "so their figures cannot be compared")
    return member_money(CoopBooks.from_entries(loaded.entries, loaded.options))


def _signed(money: dict[str, Decimal]) -> str:
    return ", ".join(f"{number:+,} {currency}" for currency, number in sorted(money.items()))


@main.command()
@click.argument("books", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-p", "--port", type=int, default=5000, show_default=True, help="Port to listen on.")
@click.option("-H", "--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--read-only", is_flag=True, help="Disallow changes to the books through Fava.")
def serve(books: tuple[Path, ...], port: int, host: str, read_only: bool) -> None:
    """Browse BOOKS (one or more ledgers) in Fava on http://HOST:PORT/.

    Fava shows every problem `coop check` finds on its Errors page. Books with
    the line `custom "fava-extension" "coop_beancount.fava_pages"` have the
    co-op's pages in Fava's sidebar: Members (and each member's statement),
    Shared costs, Patronage and Equity; their addresses are printed at start.
    """
    from fava.cli import main as fava_main

    args = [*map(str, books), "--port", str(port), "--host", host]
    if read_only:
        args.append("--read-only")
    click.echo(f"Serving {len(books)} ledger(s) on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    for path in books:
        click.echo(f"  {path}: co-op pages at "
                   f"http://{host}:{port}/{ledger_slug(path)}/extension/CoopMembers/", err=True)
    fava_main.main(args=args, prog_name="coop serve", standalone_mode=True)


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
