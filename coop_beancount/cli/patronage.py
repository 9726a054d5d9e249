"""Patronage at year end: `coop patronage`, `coop notices`, `coop 1099-patr`, `coop equity`.

    coop patronage BOOKS --year 2025    a year's patronage dividends (or --what-if)
    coop notices BOOKS --year 2025 --out DIR   members' written notices of allocation
    coop certificates BOOKS --year 2025 --out DIR   members' per-unit retain certificates
    coop 1099-patr BOOKS --year 2026    Form 1099-PATR figures for a calendar year
    coop 1099-int BOOKS --year 2027     Form 1099-INT figures: interest on capital accounts
    coop t4a BOOKS --year 2026          T4A slips' patronage figures (rules 'ca')
    coop equity BOOKS                   retained patronage equity outstanding, by year
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click

from coop_beancount.books.config import Payer, PluginConfig
from coop_beancount.books.register import RegisterError, load_register, register_path
from coop_beancount.cli.common import (
    BOOKS,
    DATE,
    FORMAT,
    IGNORE_ERRORS,
    UNNAMED,
    load_checked,
    main,
    write_files,
)
from coop_beancount.core.patronage import DEFAULT_POOL, deadline, fiscal_label, percent
from coop_beancount.core.records import AllocationDecision
from coop_beancount.core.rules import RuleSet
from coop_beancount.reports.certificates import iter_certificates, member_certificates
from coop_beancount.reports.interest import form_1099_int
from coop_beancount.reports.output import FORMATS, amount_text, render, total_row
from coop_beancount.reports.patronage import (
    BOXES,
    BookedPool,
    Form1099Patr,
    ReportError,
    booked_pools,
    check_rows,
    draft_pool,
    form_1099_patr,
    form_t4a,
    iter_notices,
    member_notices,
    missing_allocation,
    next_redemption,
    outstanding_equity,
    parse_percent,
    plugin_settings,
    redemptions_made,
    unbooked_decisions,
    what_if,
)
from coop_beancount.reports.pdf import PdfUnavailable, html_to_pdf, require_pdf
from coop_beancount.reports.returns_1099 import (
    FIELDS,
    IRIS_MAP,
    ReturnsError,
    build_returns,
    iris_files,
    iris_rows,
    iter_copy_b,
    load_column_map,
    problems,
)
from coop_beancount.reports.view import CoopBooks


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


def _pool_summary(pool: BookedPool, rules: RuleSet) -> str:
    """A pool's figures, one per line, for the table format."""
    result, money = pool.result, pool.currency
    figures = [
        ("Patronage margin", amount_text(result.margin, money)),
        ("Non-patronage margin", amount_text(pool.non_patronage or Decimal("0.00"), money)),
        *([(f"  of which non-member ({pool.non_member_business:,} {pool.measure} of "
            f"{pool.non_member_business + pool.result.total_patronage:,})",
            amount_text(pool.non_member_part, money))] if pool.non_member_business else []),
        (f"Reserve ({percent(pool.reserve_share)})", amount_text(result.reserve, money)),
        ("Pool", amount_text(result.pool, money)),
        ("Patronage", amount_text(result.total_patronage, pool.measure)),
        ("Rate per unit", f"{pool.rate} {money}"),
        ("Cash share", f"{percent(pool.cash_share)}, {pool.notice} notices"
         if rules.qualified_notices else percent(pool.cash_share)),
    ]
    width = max(len(label) for label, _ in figures)
    heading = f"Pool {pool.pool!r} of {fiscal_label(pool.year)}, paid {pool.paid}"
    return "\n".join([heading] + [f"  {label.ljust(width)}  {value.rjust(20)}"
                                   for label, value in figures])


def _columns(columns: list[tuple[str, str]], rules: RuleSet, withheld: bool,
             ) -> list[tuple[str, str]]:
    """The allocation columns for these rules: the kind of notice only where notices are
    qualified or not (US), the tax withheld only when some was."""
    shown = [c for c in columns if c[0] != "notice" or rules.qualified_notices]
    if withheld:
        at = next(i for i, c in enumerate(shown) if c[0] == "cash") + 1
        shown.insert(at, ("withheld", "Withheld"))
    return shown


def _what_if_pools(
    coop: CoopBooks, books: Path, year: int, pool: str | None, settings: PluginConfig,
    reserve: Decimal | None, cash: Decimal | None, qualified: bool | None,
    margin: str | None, measure: str | None, non_patronage: str | None,
    paid: datetime.date | None,
) -> tuple[list[BookedPool], list[BookedPool | None]]:
    """The what-if pools, each with the booked pool it recomputes (None for a decision not
    booked: a draft, or --margin and --measure)."""
    booked_all = booked_pools(coop.entries, coop.chart, year)
    booked = [p for p in booked_all if pool is None or p.pool == pool]
    drafts: list[AllocationDecision] = []
    if margin is not None and measure is not None:
        name = pool or DEFAULT_POOL
        if any(p.pool == name for p in booked_all):
            raise click.ClickException(
                f"pool {name!r} of {fiscal_label(year)} is decided and booked already; "
                "--what-if with --reserve or --cash recomputes it (--margin and --measure are "
                "for a pool not decided yet; --pool names another)")
        if cash is None:
            raise click.UsageError("--margin and --measure need --cash, the cash share")
        when = paid or deadline(settings.fiscal_year, year, settings.rules) or (
            settings.fiscal_year.end(year) + datetime.timedelta(days=1))
        drafts = [AllocationDecision(
            date=when, fiscal_year=year, pool=name, measure=measure,
            margin_accounts=tuple(margin.split()), reserve=reserve or Decimal(0), cash=cash,
            qualified=True if qualified is None else qualified, paid=when,
            source={"filename": "<the command line>", "lineno": 0},
            non_patronage_accounts=tuple((non_patronage or "").split()))]
        booked = []
    else:
        done = {p.pool for p in booked}
        drafts = [replace(d, reserve=d.reserve if reserve is None else reserve,
                          cash=d.cash if cash is None else cash,
                          qualified=d.qualified if qualified is None else qualified,
                          paid=paid or d.paid)
                  for d in unbooked_decisions(coop, year, pool) if d.pool not in done]
        if not booked and not drafts:
            raise click.ClickException(
                f"{books}: {missing_allocation(coop, year, pool, booked_all)}; or try a "
                "decision first: --what-if --margin \"<accounts>\" --measure <name> --cash <share>"
                ", or a coop-allocation with draft: TRUE")
    try:
        pools = [what_if(p, reserve, cash, qualified, settings) for p in booked]
        pools += [draft_pool(coop, d, settings) for d in drafts]
    except ReportError as exc:
        advice = (" (with --what-if: --non-qualified)" if "qualified: FALSE" in str(exc)
                  else "")
        raise click.ClickException(f"what-if refused: {exc}{advice}") from None
    return pools, [*booked, *([None] * len(drafts))]


def _allocation_rows(pool: BookedPool, names: dict[str, str],
                     booked: BookedPool | None) -> list[dict[str, Any]]:
    money = pool.currency
    before = {d.member: d.allocation for d in booked.result.dividends} if booked else {}
    return [{"year": pool.year, "pool": pool.pool, "member": d.member,
             "name": names.get(d.member, ""), "measure": pool.measure,
             "quantity": d.patronage, "allocation": {money: d.allocation},
             "cash": {money: d.cash}, "withheld": {money: d.withheld},
             "retained": {money: d.retained}, "notice": pool.notice_of(d.member, d.retained),
             "booked": {money: before.get(d.member, Decimal(0))}}
            for d in pool.result.dividends]


def _total_row(rows: list[dict[str, Any]], label: str, pool: BookedPool | None = None,
               ) -> dict[str, Any]:
    """Money columns added up; the quantity is the pool's (measures of pools do not add)."""
    total = total_row(rows, ("allocation", "cash", "withheld", "retained", "booked"),
                      pool=pool.pool if pool else "", member=label)
    if pool is not None:
        total["quantity"] = pool.result.total_patronage
    return total


@main.command("patronage")
@BOOKS
@click.option("--year", required=True, type=YEAR, help="The fiscal year allocated (2025 = FY2025).")
@click.option("--pool", help="Only this pool (default: every pool of the year).")
@click.option("--what-if", "what_if_", is_flag=True,
              help="Recompute from the booked margin and patronage with the shares below, or "
              "work out a draft decision (draft: TRUE) or one named by --margin and --measure; "
              "the books are not changed.")
@click.option("--reserve", type=PERCENT, help="With --what-if: the reserve share, like 15%.")
@click.option("--cash", type=PERCENT, help="With --what-if: the cash share, like 30%.")
@click.option("--qualified/--non-qualified", "qualified", default=None,
              help="With --what-if: the kind of notices (default: as decided).")
@click.option("--margin", help='With --what-if, before any decision: the margin accounts, '
              'like "Income:Patronage Expenses:Growing".')
@click.option("--measure", help="With --what-if, before any decision: the patronage measure.")
@click.option("--non-patronage", "non_patronage",
              help="With --margin: the non-patronage accounts, if any.")
@click.option("--paid", type=DATE, help="With --what-if before a decision: the payment date "
              "[default: the draft's, or the rules' deadline].")
@click.option("--per", type=click.Choice(["pool", "member", "check"]), default=None,
              help="Only one table: the pools, the members, or the compliance checks (csv "
              "and json print one; default: member).")
@FORMAT
@IGNORE_ERRORS
def patronage_command(books: Path, year: int, pool: str | None, what_if_: bool,
                      reserve: Decimal | None, cash: Decimal | None, qualified: bool | None,
                      margin: str | None, measure: str | None, non_patronage: str | None,
                      paid: datetime.date | None, per: str | None, fmt: str,
                      ignore_errors: bool) -> None:
    """A fiscal year's patronage dividends, as booked from the board's decisions.

    Per pool: the patronage margin, non-patronage margin, reserve, the pool
    divided among members and its rate per unit of patronage. Per member: their
    patronage (in the pool's measure), allocation, cash part, retained part and
    the kind of notice, with totals.

    With --what-if the same margin and patronage are divided again with another
    --reserve, --cash or kind of notice, by the same rule the plugin books;
    nothing is written. A share the plugin would refuse (a qualified notice
    with under 20% cash) is refused here too. Before the board has decided,
    --what-if works out a draft decision in the books (a coop-allocation with
    draft: TRUE, which the plugin does not book; or one paid after its as_of),
    or one named on the command line by --margin, --measure and --cash, from
    the year's margin and patronage in the books.

    \b
    Example:
      coop patronage main.beancount --year 2025
      coop patronage main.beancount --year 2025 --what-if --reserve 15% --cash 30%
      coop patronage main.beancount --year 2025 --what-if --cash 30% --reserve 10% \\
        --margin "Income:Patronage Expenses:Growing" --measure barrels
    """
    named = {"--margin": margin, "--measure": measure, "--non-patronage": non_patronage,
             "--paid": paid}
    if not what_if_ and (reserve is not None or cash is not None or qualified is not None
                         or any(v is not None for v in named.values())):
        raise click.UsageError("--reserve, --cash and --qualified/--non-qualified only go with "
                               f"--what-if (so do {', '.join(named)})")
    if (margin is None) != (measure is None) or (non_patronage and margin is None):
        raise click.UsageError("--margin and --measure go together (and --non-patronage with "
                               "them): they name a pool the board has not decided yet")
    loaded = load_checked(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    settings = plugin_settings(coop.options)
    if what_if_:
        pools, booked = _what_if_pools(coop, books, year, pool, settings, reserve, cash,
                                       qualified, margin, measure, non_patronage, paid)
    else:
        pools = _pools(coop, books, year, pool)
        booked = [None] * len(pools)
    names = {key: m.name for key, m in coop.records.members.items()}
    pool_rows = [_pool_row(p) for p in pools]
    member_rows_ = [_allocation_rows(p, names, b)
                    for p, b in zip(pools, booked, strict=True)]
    columns = _columns(ALLOCATION_COLUMNS, settings.rules, any(
        d.withheld for p in pools for d in p.result.dividends))
    columns += [("booked", "Booked")] if any(booked) else []
    pool_columns = [("year", "Year"), *POOL_COLUMNS]
    what_if_note = (f"What-if for {fiscal_label(year)}: "
                    + ("recomputed from the booked margin and patronage" if all(booked) else
                       "worked out from the margin and patronage in the books")
                    + "; the books are not changed.")
    if fmt != "table" or per is not None:
        if what_if_:
            click.echo(what_if_note, err=True)
        if per == "pool":
            click.echo(render(pool_rows, pool_columns, fmt), nl=False)
        elif per == "check":
            click.echo(render(check_rows(pools, settings.fiscal_year, settings.rules),
                              CHECK_COLUMNS, fmt), nl=False)
        else:
            flat = [row for rows in member_rows_ for row in rows]
            member_columns = ([("year", "Year")] if fmt != "table" else []) + columns
            click.echo(render(flat, member_columns, fmt), nl=False)
        return
    click.echo(what_if_note if what_if_ else
               f"Patronage dividends for {fiscal_label(year)}, as booked.")
    calendar = settings.fiscal_year
    for pool_ in pools:
        click.echo()
        click.echo(_pool_summary(pool_, settings.rules))
        click.echo()
        click.echo(render(check_rows([pool_], calendar, settings.rules), CHECK_COLUMNS[2:],
                          fmt), nl=False)
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
NOTICE_COLUMNS = [("member", "Member"), ("name", "Name"), ("allocation", "Allocation"),
                  ("cash", "Cash"), ("retained", "Retained"), ("notice", "Notice"),
                  ("file", "File")]


@main.command()
@BOOKS
@click.option("--year", required=True, type=YEAR, help="The fiscal year allocated (2025 = FY2025).")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the notices (made if missing).")
@click.option("--replace", is_flag=True,
              help="Replace notices (and index.html) already in the folder [default: refuse].")
@click.option("--paper", type=click.Choice(["letter", "A4"], case_sensitive=False),
              default="letter", show_default=True, help="Paper size when printed.")
@click.option("--pdf", is_flag=True,
              help="Also write each notice as PDF (FY2025-G1.pdf beside FY2025-G1.html); "
              "needs pip install 'coop-beancount[pdf]'.")
@FORMAT
@IGNORE_ERRORS
def notices(books: Path, year: int, out_dir: Path, replace: bool, paper: str, pdf: bool,
            fmt: str, ignore_errors: bool) -> None:
    """Write each member's written notice of allocation for a fiscal year (--year).

    One printable HTML page per member with an allocation in the year (every
    pool of the year on one notice): the co-op's name (the ledger's "title"
    option), the member, their patronage, the rate per unit, the allocation,
    its cash and retained parts, the payment date, and the consent wording of
    a qualified notice (IRC §1388(c)) or what a non-qualified one means. Files
    are named FY2025-G1.html, with an index.html listing them; each is written
    whole or not at all. Print them, or save them as PDF, from a browser.
    With --pdf each notice is also printed to PDF (FY2025-G1.pdf), through
    WeasyPrint (pip install 'coop-beancount[pdf]'). Files already in the folder
    under those names (notices sent before) are not replaced unless you pass
    --replace: nothing is written then.

    \b
    Example:
      coop notices main.beancount --year 2025 --out notices/FY2025
      coop notices main.beancount --year 2025 --out notices/FY2025 --pdf
    """
    _require_pdf(pdf)
    coop, title, addresses = _printing(books, ignore_errors, "a notice of allocation")
    found = member_notices(coop, _pools(coop, books, year, None), addresses)
    files = iter_notices(found, title, paper.upper() if paper.lower() == "a4" else "letter",
                           plugin_settings(coop.options))
    _write_pages(out_dir, [n.file_name for n in found], files, replace, "notices", pdf)
    rows = [{"member": n.member.key, "name": n.member.name,
             "allocation": n.total("allocation"), "cash": n.total("cash"),
             "retained": n.total("retained"), "notice": ", ".join(n.kinds),
             "file": str(out_dir / n.file_name)} for n in found]
    click.echo(render(rows, NOTICE_COLUMNS, fmt), nl=False)
    click.echo(f"Wrote {len(found)} notice(s) of allocation for {fiscal_label(year)}"
               f"{' (HTML and PDF)' if pdf else ''} and {out_dir / 'index.html'}.", err=True)


def _pdf_name(html_name: str) -> str:
    return html_name.removesuffix(".html") + ".pdf"


def _require_pdf(pdf: bool) -> None:
    """With --pdf, WeasyPrint must be there: said before anything is loaded or written."""
    if pdf:
        try:
            require_pdf()
        except PdfUnavailable as exc:
            raise click.ClickException(str(exc)) from None


def _with_pdfs(files: Any) -> Any:
    """Each page's HTML, then its PDF (the index stays HTML only), one at a time."""
    for name, html in files:
        yield name, html
        if name != "index.html":
            try:
                yield _pdf_name(name), html_to_pdf(html)
            except PdfUnavailable as exc:
                raise click.ClickException(str(exc)) from None


def _printing(books: Path, ignore_errors: bool, what: str,
              ) -> tuple[CoopBooks, str, dict[str, str]]:
    """The loaded books, the co-op's name and the members' addresses, for printed pages
    (notices, certificates): `what` must name the co-op."""
    loaded = load_checked(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    title = loaded.options.get("title")
    if not title or title == UNNAMED:
        raise click.ClickException(
            f'{books} does not name the co-op, and {what} must; add a line '
            f'like: option "title" "Cranberry Growers Co-operative"')
    # The members' addresses, from the private register beside the books (not in git).
    try:
        register = load_register(register_path(books))
    except RegisterError as exc:
        raise click.ClickException(str(exc)) from None
    return coop, title, {key: details.address for key, details in register.items()}


def _write_pages(out_dir: Path, names: list[str], files: Any, replace: bool,
                 what: str, pdf: bool = False) -> None:
    """Write printed pages and their index.html (with `pdf`, each page's PDF beside it),
    refusing to replace any already there (sent before) unless `replace`."""
    if pdf:
        files = _with_pdfs(files)
    # Known before any is rendered.
    names = [*names, "index.html", *(_pdf_name(name) for name in names if pdf)]
    there = sorted(name for name in names if (out_dir / name).exists())
    if there and not replace:
        shown = ", ".join(there[:5]) + (f" and {len(there) - 5} more" if len(there) > 5 else "")
        raise click.ClickException(
            f"{out_dir} already has {shown}; nothing was written. Pass --replace to replace "
            "them, or choose another folder with --out")
    write_files(out_dir, files, f"the {what}", len(names), f"Writing {what}")


CERTIFICATE_COLUMNS = [("member", "Member"), ("name", "Name"), ("retained", "Retained"),
                       ("certificate", "Certificate"), ("file", "File")]


@main.command()
@BOOKS
@click.option("--year", required=True, type=YEAR, help="The fiscal year of the retains "
              "(2025 = FY2025).")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the certificates (made if missing).")
@click.option("--replace", is_flag=True,
              help="Replace certificates (and index.html) already in the folder "
              "[default: refuse].")
@click.option("--paper", type=click.Choice(["letter", "A4"], case_sensitive=False),
              default="letter", show_default=True, help="Paper size when printed.")
@click.option("--pdf", is_flag=True,
              help="Also write each certificate as PDF (FY2025-G1.pdf beside FY2025-G1.html); "
              "needs pip install 'coop-beancount[pdf]'.")
@FORMAT
@IGNORE_ERRORS
def certificates(books: Path, year: int, out_dir: Path, replace: bool, paper: str, pdf: bool,
                 fmt: str, ignore_errors: bool) -> None:
    """Write each member's per-unit retain certificate for a fiscal year (--year).

    One printable HTML page per member with per-unit retains (coop-retain) in
    the year: the co-op's name and address, the member's name and address (from
    the private register), each retain (date, measure, quantity, rate, amount),
    whether the certificate is qualified (income when issued, 1099-PATR box 3)
    or non-qualified (income when redeemed, box 5), and the member's consent.
    Files are named FY2025-G1.html, with an index.html (with --pdf also
    FY2025-G1.pdf); as for notices, files already there are not replaced unless
    you pass --replace.

    \b
    Example:
      coop certificates main.beancount --year 2025 --out certificates/FY2025 --pdf
    """
    _require_pdf(pdf)
    coop, title, addresses = _printing(books, ignore_errors, "a per-unit retain certificate")
    found = member_certificates(coop, year, addresses)
    if not found:
        raise click.ClickException(
            f"{books}: no per-unit retains in {fiscal_label(year)}, so no certificates; retains "
            'are booked from a rate per unit: custom "coop-retain" "<measure>" 0.50 USD')
    files = iter_certificates(found, title, "A4" if paper.lower() == "a4" else "letter",
                              plugin_settings(coop.options))
    _write_pages(out_dir, [c.file_name for c in found], files, replace, "certificates", pdf)
    rows = [{"member": c.member.key, "name": c.member.name, "retained": c.total(),
             "certificate": ", ".join(c.kinds), "file": str(out_dir / c.file_name)}
            for c in found]
    click.echo(render(rows, CERTIFICATE_COLUMNS, fmt), nl=False)
    click.echo(f"Wrote {len(found)} per-unit retain certificate(s) for {fiscal_label(year)}"
               f"{' (HTML and PDF)' if pdf else ''} and {out_dir / 'index.html'}.", err=True)


PATR_COLUMNS = [("member", "member"), ("name", "name"),
                *[(box, box) for box in BOXES]]


@main.command("1099-patr")
@BOOKS
@click.option("--year", required=True, type=YEAR,
              help="The calendar year of payment (not the fiscal year allocated).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write the returns to this folder: the complete CSV, the IRIS CSV and "
              "each recipient's Copy B (reads members-private.csv beside the books).")
@click.option("--corrected", is_flag=True,
              help="With --out: mark the returns corrected (with --member: only theirs).")
@click.option("--member", "only", multiple=True,
              help="With --out: only this recipient's return (repeat for more).")
@click.option("--column-map", "column_map", type=click.Path(dir_okay=False, path_type=Path),
              help="With --out: the IRIS CSV's column map [default: the shipped "
              "iris/1099-patr-2026.csv].")
@click.option("--replace", is_flag=True, help="With --out: replace files written before.")
@click.option("--paper", type=click.Choice(["letter", "A4"], case_sensitive=False),
              default="letter", show_default=True, help="With --out: Copy B's paper size.")
@click.option("--pdf", is_flag=True, help="With --out: also print each Copy B to PDF "
              "(needs pip install 'coop-beancount[pdf]').")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="Output: csv for tax software, a table to read, or json.")
@IGNORE_ERRORS
def form_1099_patr_command(books: Path, year: int, out_dir: Path | None, corrected: bool,
                           only: tuple[str, ...], column_map: Path | None, replace: bool,
                           paper: str, pdf: bool, fmt: str, ignore_errors: bool) -> None:
    """Form 1099-PATR per recipient for a calendar year of payment (--year).

    \b
    box1  patronage dividends: cash parts paid and qualified notices (face value)
    box2  non-patronage distributions (section 521 co-ops: distribution: "nonpatronage")
    box3  per-unit retains withheld in the year
    box4  federal income tax withheld: backup withholding booked in the year
    box5  non-qualified notices redeemed in the year
    box6  section 199A(g) deduction passed through (specified co-ops)
    box7  qualified payments, boxes 1 and 3 (specified co-ops)

    Recipients with 10.00 or more in boxes 1, 2, 3 and 5, or any tax withheld, are
    listed. Without --out, the figures only (no private data).

    With --out, the returns a filer submits, from the plugin's payer setting and the
    members' TINs and addresses in members-private.csv: 1099-patr-YEAR.csv (every
    field), 1099-patr-YEAR-iris.csv (the IRIS portal's upload, through the column map)
    and copy-b/ (each recipient's statement, a printable page; with --pdf also as
    PDF, through WeasyPrint). A missing TIN, address
    or payer detail, or a member without a TIN who is not backup withheld, is listed
    first and nothing is written (exit status 1). The files are readable by their
    owner only.

    \b
    Example:
      coop 1099-patr main.beancount --year 2026 --format table
      coop 1099-patr main.beancount --year 2026 --out returns/2026
    """
    if pdf and out_dir is not None:  # said before anything is loaded or written
        try:
            require_pdf()
        except PdfUnavailable as exc:
            raise click.ClickException(str(exc)) from None
    loaded = load_checked(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    try:
        everyone, currency = form_1099_patr(coop, year, Decimal(0))
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    forms = [f for f in everyone if f.due]  # the $10 rule and its withholding exception
    paid = [f for f in everyone if f.total or f.box4]
    if out_dir is not None:
        _write_returns(books, coop, year, forms, paid, out_dir, corrected, only, column_map,
                       replace, paper, pdf)
        return
    if corrected or only or column_map or replace or pdf:
        raise click.UsageError("--corrected, --member, --column-map, --replace and --pdf go "
                               "with --out, which writes the returns")
    rows = [vars(form) for form in forms]
    if fmt == "table":
        if not rows:
            click.echo(f"No Form 1099-PATR is due for {year}: nobody was paid 10.00 "
                       f"{currency} or more in patronage, nor had tax withheld.")
            return
        rows.append(total_row(rows, BOXES, member="Total", name=""))
        click.echo(f"Form 1099-PATR, calendar year {year} ({currency})")
        click.echo()
    click.echo(render(rows, PATR_COLUMNS, fmt), nl=False)


def _write_returns(books: Path, coop: CoopBooks, year: int, forms: list[Form1099Patr],
                   paid: list[Form1099Patr], out_dir: Path, corrected: bool,
                   only: tuple[str, ...], column_map: Path | None, replace: bool,
                   paper: str, pdf: bool = False) -> None:
    """Check, then write, the returns of `forms` (see form_1099_patr_command)."""
    settings = plugin_settings(coop.options)
    unknown = sorted(set(only) - {f.member for f in forms})
    if unknown:
        raise click.ClickException(f"no Form 1099-PATR is due for {year} for "
                                   f"{', '.join(unknown)}; --member names a recipient listed "
                                   "by coop 1099-patr --year without --out")
    forms = [f for f in forms if not only or f.member in only]
    try:
        register = load_register(register_path(books))
        columns = load_column_map(column_map or IRIS_MAP)
    except (RegisterError, ReturnsError) as exc:
        raise click.ClickException(str(exc)) from None
    title = coop.options.get("title")
    payer = settings.payer or Payer()
    if not payer.name and title and title != UNNAMED:
        payer = Payer(title, payer.tin, payer.address, payer.phone)
    returns = build_returns(forms, year, payer, register, coop.records, corrected,
                            settings.specified_cooperative)
    found = problems(returns, [f for f in paid if not only or f.member in only], register,
                     coop.records, year)
    if found:
        click.echo(f"Form 1099-PATR {year}: mend these first; nothing was written:", err=True)
        for line in found:
            click.echo(f"  {line}", err=True)
        raise SystemExit(1)
    stem = f"1099-patr-{year}"
    pages = iter_copy_b(returns, paper.upper() if paper.lower() == "a4" else "letter")
    if pdf:
        pages = _with_pdfs(pages)
    files = {f"{stem}.csv": render([r.fields() for r in returns], [(f, f) for f in FIELDS],
                                   "csv"),
             **{name: render(iris_rows(part, columns), [(h, h) for h, _ in columns], "csv")
                for name, part in iris_files(stem, returns)},
             **{f"copy-b/{name}": text for name, text in pages}}
    there = sorted(name for name in files if (out_dir / name).exists())
    if there and not replace:
        shown = ", ".join(there[:5]) + (f" and {len(there) - 5} more" if len(there) > 5 else "")
        raise click.ClickException(
            f"{out_dir} already has {shown}; nothing was written. Pass --replace to replace "
            "them, or choose another folder with --out")
    # The files hold the members' taxpayer numbers: readable by their owner only.
    write_files(out_dir, files, "the returns", mode=0o600)
    rows = [vars(item.form) for item in returns]
    click.echo(render(rows, PATR_COLUMNS, "table") if rows else "", nl=False)
    iris = [name for name, _ in iris_files(stem, returns)]
    click.echo(f"Wrote {len(returns)} Form 1099-PATR return(s) for {year}"
               f"{' (corrected)' if corrected else ''} to {out_dir}: {stem}.csv, "
               f"{', '.join(iris)} and copy-b/index.html"
               f"{' (Copy B also as PDF)' if pdf else ''}.", err=True)


INT_COLUMNS = [("member", "member"), ("name", "name"), ("tin", "tin"), ("address", "address"),
               ("box1", "box1")]


@main.command("1099-int")
@BOOKS
@click.option("--year", required=True, type=YEAR,
              help="The calendar year the interest was credited or paid in.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="Output: csv for tax software, a table to read, or json.")
@IGNORE_ERRORS
def form_1099_int_command(books: Path, year: int, fmt: str, ignore_errors: bool) -> None:
    """Form 1099-INT figures per member for a calendar year (--year): the interest on
    their capital account (coop-interest) credited or paid in the year.

    \b
    box1  interest income: credited to the capital account or paid

    Only members with 10.00 or more are listed. The TIN and address come from the
    private register beside the books (members-private.csv), when there is one.

    \b
    Example:
      coop 1099-int main.beancount --year 2027 > 1099-int-2027.csv
    """
    loaded = load_checked(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    try:
        register = load_register(register_path(books))
        forms, currency = form_1099_int(coop, year, register)
    except (RegisterError, ReportError) as exc:
        raise click.ClickException(str(exc)) from None
    rows = [vars(form) for form in forms]
    if fmt == "table":
        if not rows:
            click.echo(f"Nobody was credited or paid 10.00 {currency} or more of interest "
                       f"in {year}.")
            return
        rows.append(total_row(rows, ("box1",), member="Total", name="", tin="", address=""))
        click.echo(f"Form 1099-INT, calendar year {year} ({currency})")
        click.echo()
    click.echo(render(rows, INT_COLUMNS, fmt), nl=False)


T4A_COLUMNS = [("member", "member"), ("name", "name"), ("box030", "box030"),
               ("box022", "box022")]


@main.command("t4a")
@BOOKS
@click.option("--year", required=True, type=YEAR,
              help="The calendar year of payment (not the fiscal year allocated).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="Output: csv for payroll or tax software, a table to read, or json.")
@IGNORE_ERRORS
def form_t4a_command(books: Path, year: int, fmt: str, ignore_errors: bool) -> None:
    """T4A slip figures per recipient of patronage for a calendar year (books with the
    rules 'ca': Canada, Income Tax Act s.135).

    \b
    box030  patronage allocations paid in the year: the cash part and the
            retained part (shares and credits are payments too, s.135(4))
    box022  income tax deducted: 15% of the year's payments above 100.00

    Only recipients who need a slip are listed: tax was withheld, or the year's
    payments total more than 500.00.

    \b
    Example:
      coop t4a main.beancount --year 2026 > t4a-2026.csv
    """
    loaded = load_checked(books, ignore_errors)
    coop = CoopBooks.from_entries(loaded.entries, loaded.options)
    try:
        slips, currency = form_t4a(coop, year)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    rows = [vars(slip) for slip in slips]
    if fmt == "table":
        if not rows:
            click.echo(f"No T4A slip is due for patronage paid in {year}.")
            return
        total = {"member": "Total", "name": ""}
        for box in ("box030", "box022"):
            total[box] = sum((row[box] for row in rows), Decimal(0))
        rows.append(total)
        click.echo(f"T4A slips, patronage paid in {year} ({currency})")
        click.echo()
    click.echo(render(rows, T4A_COLUMNS, fmt), nl=False)


REDEMPTION_COLUMNS = [("date", "Date"), ("member", "Member"), ("name", "Name"),
                      ("year", "Fiscal year"), ("kind", "Kind"), ("amount", "Amount")]
EQUITY_COLUMNS = [("member", "Member"), ("name", "Name"), ("year", "Fiscal year"),
                  ("qualified", "Qualified"), ("non_qualified", "Non-qualified"),
                  ("retains", "Retains"), ("interest", "Interest"), ("total", "Total")]


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
    loaded = load_checked(books, ignore_errors)
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
            rows.append(total_row(rows, ("amount",), date="Total"))
        click.echo(render(rows, REDEMPTION_COLUMNS, fmt), nl=False)
        return
    found = outstanding_equity(coop, as_of, by)
    rows = [{**vars(row), "total": row.total} for row in found]
    columns = [c for c in EQUITY_COLUMNS
               if not (by == "member" and c[0] == "year")
               and not (by == "year" and c[0] in ("member", "name"))
               # Interest only in books that credit it (coop-interest).
               and not (c[0] == "interest" and not any(row.interest for row in found))]
    if fmt == "table":
        if not rows:
            click.echo("No retained patronage equity is outstanding.")
            return
        rows.append(total_row(rows, ("qualified", "non_qualified", "retains", "interest",
                                     "total"),
                              **{columns[0][0]: "Total"}))
    click.echo(render(rows, columns, fmt), nl=False)
