"""What each co-op page in Fava shows, as plain data: tables (`Table`: cells written
out, money by `money_text` as the `coop` command writes it, with a totals row) and
charts in the shape of Fava's `charts` component.

No Flask here: the extension (`__init__.py`) passes in the books and the request's
dates and parameters. Every figure comes from the functions the `coop` command
prints (`member_rows`, `statement`, `shared_costs`, `usage_costs`, `booked_pools`,
`check_rows`, `outstanding_equity`, `redemptions_made`, `next_redemption`,
`receivable_rows`, `earnings_rows`), so a page and the command never disagree.
"""

from __future__ import annotations

import datetime
import functools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple, TypeVar

from markupsafe import Markup, escape

from coop_beancount.books.collector import kept_out
from coop_beancount.books.config import PluginConfig
from coop_beancount.core.patronage import MemberDividend, fiscal_label, percent
from coop_beancount.core.periods import period_first_day
from coop_beancount.fava_pages.i18n import N_, Gettext, english, gettext_for, pgettext
from coop_beancount.reports.certificates import member_certificates, retain_years
from coop_beancount.reports.invoices import BUCKETS as AGE_BUCKETS
from coop_beancount.reports.invoices import earnings_rows, receivable_rows, receivables_day
from coop_beancount.reports.members import MemberRow, member_rows, statement
from coop_beancount.reports.output import money_text, total_row
from coop_beancount.reports.overview import overview
from coop_beancount.reports.patronage import (
    BookedPool,
    ReportError,
    booked_pools,
    check_rows,
    next_redemption,
    outstanding_equity,
    plugin_settings,
    redemptions_made,
)
from coop_beancount.reports.shared_costs import (
    by_key_and_period,
    parts_by_member,
    shared_cost_rows,
    shared_costs,
    usage_units,
)
from coop_beancount.reports.statement_page import subtotals_by_kind
from coop_beancount.reports.usage import usage_costs
from coop_beancount.reports.view import CoopBooks, Money, add

#: Column kinds: text, a date, a number (patronage, units), a count, money
#: ({currency: number}), a member's key (a link to their page), a notice ((year, member
#: key, label): a link to the member's notice of allocation for the year).
STR, DATE, DECIMAL, INT, MONEY = "text", "date", "number", "count", "money"
MEMBER, NOTICE, CERTIFICATE = "member", "notice", "certificate"
NUMERIC = (DECIMAL, INT, MONEY)
#: A table's rows sent to the browser at once: 20,000 owners' rows are paged, never sent
#: whole (the totals row is still the whole table's).
PAGE_ROWS = 500

FREQUENCIES = ("weekly", "monthly", "quarterly", "yearly")


class PageNotFound(LookupError):
    """A member, year or other thing named in the URL that the books do not have."""


#: How many pages' data (page and arguments: a member, a time filter, ...) each load of
#: the books keeps, the latest used; Fava keeps 16 filtered views of a load.
PAGES_KEPT = 32
_MEMOS_LOCK = threading.Lock()
Page = TypeVar("Page")


def once_per_load(build: Callable[..., Page]) -> Callable[..., Page]:
    """A page's data, worked out once per load of the books for the same arguments.

    On large books a page takes seconds to work out, and Fava asks again for every view
    of it; the books do not change within a load (a change to a file is a new load, with
    new CoopBooks). Templates only read the data, so it can be shared."""

    @functools.wraps(build)
    def page(books: CoopBooks, *args: Any) -> Page:
        key = (build.__name__, args)
        memos = books.memos
        with _MEMOS_LOCK:
            if key in memos:
                memos[key] = memos.pop(key)  # now the latest used
                return memos[key]
        # As for CoopBooks: on large books, full collections would walk every entry while
        # a page's figures are worked out, for no garbage (they are kept, above).
        with kept_out():
            data = build(books, *args)
        with _MEMOS_LOCK:
            memos[key] = data
            while len(memos) > PAGES_KEPT:
                del memos[next(iter(memos))]
        return data

    return page


class Cell(NamedTuple):
    """A table cell as the page shows it: its text (money through `money_text`, the
    `coop` command's own format), what the column sorts by, and what it links to
    (("member", key) or ("notice", year, key): the template makes the address)."""

    text: str
    sort: str
    link: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class Table:
    """A table of a page, its cells written out (`_coop.html`'s `table` draws it as an
    HTML table Fava sorts: numbers right-aligned, dates on one line, and on a phone a
    card per row). Not Fava's query-table: that one makes a link of any 32-character
    text (taking it for an entry's hash) and writes numbers its own way."""

    columns: list[tuple[str, str]]  # (heading, kind)
    rows: list[list[Cell]]
    #: The totals row: the money and count columns added up ([] when it has none).
    totals: list[Cell]
    #: Rows sent to the browser at once: a longer table is paged (`_coop.html`).
    page_rows: int = PAGE_ROWS

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.rows) // self.page_rows))

    @property
    def numeric(self) -> list[bool]:
        return [kind in NUMERIC for _, kind in self.columns]

    def body_html(self, member_url: Callable[[str], str],
                  notice_url: Callable[[int, str, str], str], page: int = 1) -> Markup:
        """Page `page` of the rows, as `_coop.html`'s `cell` macro writes each cell, in one
        go: a statement has thousands of cells, and a macro call for each made it slow."""
        opening = []
        for (heading, kind), numeric in zip(self.columns, self.numeric, strict=True):
            number = " num\" data-sort-value=\"" if numeric else ""
            opening.append((f'<td data-label="{escape(heading)}" class="coop-{escape(kind)}'
                            f'{number}', numeric))
        parts = []
        for row in self.rows[(page - 1) * self.page_rows:page * self.page_rows]:
            parts.append("<tr>")
            for (start, numeric), item in zip(opening, row, strict=True):
                text = escape(item.text)
                if item.link and item.link[0] == "member":
                    text = Markup(f'<a href="{escape(member_url(item.link[1]))}">{text}</a>')
                elif item.link:
                    href = escape(notice_url(item.link[1], item.link[2], item.link[0]))
                    text = Markup(f'<a data-remote target="_blank" rel="noopener" '
                                  f'href="{href}">{text}</a>')
                sort = f"{escape(item.sort)}" if numeric else ""
                parts.append(f'{start}{sort}">{text}</td>')
            parts.append("</tr>\n")
        return Markup("".join(parts))


def cell(value: Any, kind: str) -> Cell:
    if value is None:
        return Cell("", "")
    if kind == MONEY:
        return Cell(money_text(value), str(sum(value.values(), Decimal(0))))
    if kind in (DECIMAL, INT):
        return Cell(f"{value:,}", str(value))
    if kind == MEMBER:
        return Cell(value, value, ("member", value))
    if kind in (NOTICE, CERTIFICATE):
        year, key, label = value
        return Cell(label, label, (kind, year, key))
    return Cell(str(value), str(value))


def table(columns: list[tuple[str, str]], rows: list[list[Any]],
          total: bool | tuple[str, ...] | list[Any] = False, _: Gettext = english) -> Table:
    """A page's table of ROWS (values: text, dates, numbers, money as {currency: number})
    and its totals row: with TOTAL true, every money and count column added up; a tuple
    of headings: only those columns (where the others, a price, do not add up); a list:
    that row (a statement's closing balances). The headings (English, marked with `N_`)
    and the totals row's "Total" are shown through `_`, the page's language."""
    if isinstance(total, list):
        foot = [cell(value, kind) for value, (_heading, kind) in zip(total, columns,
                                                                     strict=True)]
    elif total and rows:
        summed = {str(index): kind for index, (heading, kind) in enumerate(columns)
                  if (heading in total if isinstance(total, tuple) else kind in (MONEY, INT))}
        sums = total_row(({key: row[int(key)] or ({} if kind == MONEY else 0)
                           for key, kind in summed.items()} for row in rows), summed)
        foot = [cell(sums[str(index)], kind) if str(index) in summed
                else Cell(_("Total") if index == 0 else "", "")
                for index, (_heading, kind) in enumerate(columns)]
    else:
        foot = []
    return Table([(_(heading), kind) for heading, kind in columns],
                 [[cell(value, kind) for value, (_heading, kind) in zip(row, columns,
                                                                      strict=True)]
                  for row in rows], foot)


def line_chart(label: str, points: list[tuple[datetime.date, dict[str, Decimal]]],
               ) -> dict[str, Any]:
    """A Fava `balances` (line) chart: one line per key of the points' dicts."""
    return {"type": "balances", "label": label,
            "data": [{"date": date, "balance": dict(values)} for date, values in points]}


def bar_chart(label: str, points: list[tuple[datetime.date, Money]]) -> dict[str, Any]:
    """A Fava `bar` chart: one bar per point and currency."""
    return {"type": "bar", "label": label,
            "data": [{"date": date, "balance": dict(money), "account_balances": {},
                      "budgets": {}} for date, money in points]}


@dataclass
class Settings:
    """The pages' settings, from the extension's line in the books."""

    #: Length of the periods on the shared-costs page.
    period: str = "monthly"
    #: The budget the equity page proposes for the next revolving redemption.
    redemption_budget: Decimal | None = None


def parse_settings(value: Any) -> tuple[Settings, list[str]]:
    """Settings from the extension's config (a dict), and what is wrong with it."""
    settings, problems = Settings(), []
    if value is None:
        return settings, problems
    if not isinstance(value, dict):
        return settings, [f"the co-op pages' settings must be a dict like {EXAMPLE_SETTINGS}, "
                          f"not {value!r}"]
    for key, raw in value.items():
        if key == "period":
            if raw in FREQUENCIES:
                settings.period = raw
            else:
                problems.append(f"period {raw!r} is not one of {', '.join(FREQUENCIES)}")
        elif key == "redemption_budget":
            try:
                budget = Decimal(str(raw))
            except InvalidOperation:
                budget = None
            if budget is None or not budget.is_finite() or budget <= 0:
                problems.append(f"redemption_budget {raw!r} is not an amount like '25000.00'")
            else:
                settings.redemption_budget = budget
        else:
            problems.append(f"unknown setting {key!r}; the settings are: period, "
                            "redemption_budget")
    return settings, problems


EXAMPLE_SETTINGS = "\"{'period': 'quarterly', 'redemption_budget': '25000.00'}\""


# -- Overview -----------------------------------------------------------------------------

@once_per_load
def overview_page(books: CoopBooks, start: datetime.date | None,
                  end: datetime.date | None, locale: str = "en") -> dict[str, Any]:
    _ = gettext_for(locale)
    figures = overview(books, start, end, _)
    months = table([(N_("Month"), STR), (N_("Income"), MONEY), (N_("Expenses"), MONEY),
                    (N_("Net"), MONEY)],
                   [[m.label, m.income, m.expenses, _total([m.income, {c: -n for c, n in
                                                                      m.expenses.items()}])]
                    for m in figures.months], total=True, _=_)
    points = []
    for month in figures.months:
        values = {_("income (%(currency)s)") % {"currency": c}: n
                  for c, n in month.income.items()}
        values |= {_("expenses (%(currency)s)") % {"currency": c}: n
                   for c, n in month.expenses.items()}
        points.append((period_first_day(month.label), values))
    return {"figures": figures, "bank": money_text(figures.bank),
            "equity": money_text(figures.equity), "hours": f"{figures.hours:,}",
            "saved": [(unit, money_text(money)) for unit, money in figures.saved.items()],
            "months": months,
            "charts": [bar_chart(_("Income and expenses by month"), points)] if points else []}


# -- Members ------------------------------------------------------------------------------

#: The members table's money columns, as `coop members` names them: net owed is what
#: the member owes the co-op (negative: what it owes them), the others its parts.
MEMBER_MONEY = [("shares_subscribed", N_("Shares subscribed")),
                ("shares_paid", N_("Shares paid")), ("dues_owed", N_("Dues owed")),
                ("other_owed", N_("Other owed")), ("payable", N_("Co-op owes")),
                ("net", N_("Net owed")), ("capital", N_("Capital")),
                ("allocated", N_("Allocated equity"))]


@once_per_load
def members_page(books: CoopBooks, as_of: datetime.date | None,
                 locale: str = "en") -> dict[str, Any]:
    _ = gettext_for(locale)
    rows = member_rows(books, as_of)
    members = table(
        [(N_("Member"), MEMBER), (N_("Name"), STR), (N_("Status"), STR), (N_("Joined"), DATE),
         *[(heading, MONEY) for _column, heading in MEMBER_MONEY]],
        [[row.key, row.name,
          _("left %(date)s") % {"date": row.left} if row.left else _(row.status), row.joined,
          *[row.standing.net if column == "net" else getattr(row, column)
            for column, _heading in MEMBER_MONEY]] for row in rows],
        total=True, _=_)
    active = sum(1 for row in rows if row.left is None)
    return {"members": members, "active": active, "left": len(rows) - active, "as_of": as_of}


# -- A member's page ----------------------------------------------------------------------

@once_per_load
def member_page(books: CoopBooks, key: str, start: datetime.date | None,
                end: datetime.date | None, locale: str = "en") -> dict[str, Any]:
    _ = gettext_for(locale)
    member = books.member(key)
    if member is None:
        raise PageNotFound(_("There is no member %(key)s in these books.") % {"key": repr(key)})
    result = statement(books, key, start, end)
    lines = table(
        [(N_("Date"), DATE), (N_("Description"), STR), (N_("Account"), STR),
         (N_("Amount"), MONEY), (N_("Owes co-op"), MONEY), (N_("Capital"), MONEY)],
        [[line.date, line.description, line.account, {line.currency: line.amount},
          line.owes, line.capital] for line in result.lines],
        ["", _("Closing balances"), "", None, result.closing_owes, result.closing_capital],
        _=_)
    equity = table(
        [(N_("Fiscal year"), STR), (N_("Qualified"), MONEY), (N_("Non-qualified"), MONEY),
         (N_("Retains"), MONEY), (N_("Redeemed"), MONEY), (N_("Outstanding"), MONEY)],
        [[fiscal_label(y.year), y.qualified, y.non_qualified, y.retains, y.redeemed,
          y.outstanding] for y in result.equity], total=True, _=_)
    history = [[fiscal_label(pool.year), pool.pool, pool.measure, d.patronage,
                {pool.currency: d.allocation}, {pool.currency: d.cash},
                {pool.currency: d.retained},
                (pool.year, key, _member_notice_kind(pool, d, _)), pool.paid]
               for pool in booked_pools(books.entries, books.chart)
               if end is None or pool.paid <= end
               for d in pool.result.dividends if d.member == key]
    patronage = table(
        [(N_("Fiscal year"), STR), (N_("Pool"), STR), (N_("Measure"), STR),
         (pgettext("quantity", "Patronage", _), DECIMAL), (N_("Allocation"), MONEY),
         (N_("Cash"), MONEY),
         (N_("Retained"), MONEY), (N_("Notice"), NOTICE), (N_("Paid"), DATE)],
        history, total=("Allocation", "Cash", "Retained"), _=_)
    capital_points: dict[datetime.date, Money] = {}
    if start is not None and result.opening_capital:
        capital_points[start] = result.opening_capital
    for line in result.lines:
        capital_points[line.date] = line.capital  # the day's last line: its closing capital
    # No capital is a zero on the chart: a point without the currency is not drawn, and
    # the line would end at the last capital that was not zero.
    currencies = {currency for capital in capital_points.values() for currency in capital}
    chart = line_chart(_("Capital of %(name)s") % {"name": member.name},
                       [(date, {c: capital.get(c, Decimal(0)) for c in currencies})
                        for date, capital in sorted(capital_points.items())])
    # What they owe and own at the end of the time shown, in words, with its parts.
    rows = member_rows(books, end, [key]) if end is None or member.joined <= end else []
    standing = rows[0].standing if rows else None
    # Subtotals by kind of account (dues, receivable, shares, ...) over the time shown,
    # as the printed statement has them.
    by_kind = table([(N_("Account"), STR), (N_("Postings"), INT), (N_("Amount"), MONEY)],
                    [[k.kind, k.postings, k.amount] for k in subtotals_by_kind(result.lines)],
                    ("Postings",), _=_)
    # Their story in the time shown: what they took of costs shared by usage, against
    # retail, and the hours they gave.
    usage = []
    for unit in usage_units(books):
        mine = [row for row in usage_costs(books, unit, "yearly", start, end)[1]
                if row.label == key]
        usage += [row.words(unit, _) for row in mine]
    work = [r for r in books.records.work if r.member == key
            and (start is None or r.date >= start) and (end is None or r.date <= end)]
    hours = sum((r.hours for r in work), Decimal(0))
    return {"member": member, "statement": result, "lines": lines, "equity": equity,
            "by_kind": by_kind,
            "usage": usage, "hours": f"{hours:,}" if work else None, "shifts": len(work),
            "standing": standing.words(None, _) if standing else None,
            "owes": bool(standing and any(n > 0 for n in standing.net.values())),
            "row": rows[0] if rows else None,
            "capital_words": _capital_words(rows[0], _) if rows else "",
            "patronage": patronage, "has_patronage": bool(history),
            # A chart of a capital that never changed would be a flat line: none then.
            "charts": [chart] if len({tuple(c.items()) for c in capital_points.values()}) > 1
            else [],
            "closing_owes": money_text(result.closing_owes),
            "closing_capital": money_text(result.closing_capital),
            "opening_owes": money_text(result.opening_owes),
            "opening_capital": money_text(result.opening_capital)}


def _capital_words(row: MemberRow, _: Gettext = english) -> str:
    figures = {"capital": money_text(row.capital), "paid": money_text(row.shares_paid),
               "subscribed": money_text(row.shares_subscribed),
               "allocated": money_text(row.allocated)}
    if row.allocated:
        return _("Your capital in the co-op: %(capital)s (shares paid in %(paid)s of "
                 "%(subscribed)s subscribed; retained patronage %(allocated)s).") % figures
    return _("Your capital in the co-op: %(capital)s (shares paid in %(paid)s of "
             "%(subscribed)s subscribed).") % figures


# -- Shared costs -------------------------------------------------------------------------

@once_per_load
def shared_costs_page(books: CoopBooks, period: str, start: datetime.date | None,
                      end: datetime.date | None, locale: str = "en") -> dict[str, Any]:
    _ = gettext_for(locale)
    costs = shared_costs(books, start, end)
    groups = by_key_and_period(costs, period, with_parts=False)
    names = {key: m.name for key, m in books.records.members.items()}
    totals, _parts = shared_cost_rows(groups, names)
    summary = table([(N_("Key"), STR), (N_("Period"), STR), (N_("Costs"), INT),
                     (N_("Total"), MONEY), (N_("Paid by"), STR)],
                    [[r["key"], r["period"], r["costs"], r["total"],
                      _("the co-op") if r["paid_by"] == "the co-op" else r["paid_by"]]
                     for r in totals], total=("Costs", "Total"), _=_)
    # Each member's part of each key over the time shown: one row per member, so the page
    # stays the size of the membership however many periods it covers. Fava's time filter
    # (the period links) narrows it to one period.
    by_member = parts_by_member(costs)
    keys = sorted({key for parts in by_member.values() for key in parts})
    member_parts = table(
        [(N_("Member"), MEMBER), (N_("Name"), STR), *[(key, MONEY) for key in keys],
         (N_("Total"), MONEY)],
        [[member, names.get(member, ""), *[parts.get(key, {}) for key in keys],
          _total(parts.values())] for member, parts in by_member.items()], total=True, _=_)
    usage = [_usage(books, unit, period, start, end, _) for unit in usage_units(books)]
    return {"summary": summary, "member_parts": member_parts, "period": period,
            "periods": sorted({r["period"] for r in totals}),
            "usage": [u for u in usage if u is not None], "has_costs": bool(groups)}


def _total(amounts: Iterable[Money]) -> Money:
    total: Money = {}
    for money in amounts:
        for currency, number in money.items():
            add(total, currency, number)
    return total


def _usage(books: CoopBooks, unit: str, period: str, start: datetime.date | None,
           end: datetime.date | None, _: Gettext = english) -> dict[str, Any] | None:
    by_period, by_member = usage_costs(books, unit, period, start, end)
    if not by_period:
        return None
    currencies = sorted({c for row in by_period for c in row.cost})
    per_unit = []
    for row in by_period:
        values: dict[str, Decimal] = {}
        for currency in currencies:
            if currency in row.cost_per_unit:
                values[_("co-op cost (%(currency)s per unit)") % {"currency": currency}] = (
                    row.cost_per_unit[currency])
            if row.units and currency in row.retail:
                values[_("retail price (%(currency)s per unit)") % {"currency": currency}] = (
                    row.retail[currency] / row.units).quantize(Decimal("0.01"))
        per_unit.append((period_first_day(row.label), values))
    charts = [line_chart(_("Cost per unit (%(unit)s)") % {"unit": unit}, per_unit)]
    if any(row.retail for row in by_period):
        charts.append(bar_chart(_("Members' savings against retail (%(unit)s)") % {"unit": unit},
                                [(period_first_day(row.label), row.saved) for row in by_period]))

    def rows(items: list) -> list[list[Any]]:
        return [[r.label, r.units, r.cost, r.cost_per_unit, r.retail, r.saved] for r in items]

    columns = [(N_("Units"), DECIMAL), (N_("Cost"), MONEY), (N_("Per unit"), MONEY),
               (N_("At retail"), MONEY), (N_("Saved"), MONEY)]
    added = ("Units", "Cost", "At retail", "Saved")  # a price per unit does not add up
    return {"unit": unit, "charts": charts,
            "by_period": table([(N_("Period"), STR), *columns], rows(by_period), added, _=_),
            "by_member": table([(N_("Member"), MEMBER), *columns], rows(by_member), added,
                               _=_)}


# -- Patronage ----------------------------------------------------------------------------

@dataclass
class PatronageYear:
    year: int
    label: str
    pools: list[dict[str, Any]] = field(default_factory=list)
    #: The members' per-unit retain certificates of the year (None: no retains).
    certificates: Table | None = None


@once_per_load
def patronage_page(books: CoopBooks, year: int | None, locale: str = "en") -> dict[str, Any]:
    _ = gettext_for(locale)
    pools = booked_pools(books.entries, books.chart)
    retained = retain_years(books)
    years = sorted({pool.year for pool in pools} | retained, reverse=True)
    if year is not None and year not in years:
        known = ", ".join(fiscal_label(y) for y in years) or _("none")
        raise PageNotFound(_("No patronage is allocated for %(year)s in these books (years "
                             "allocated: %(known)s).") % {"year": fiscal_label(year),
                                                          "known": known})
    settings = plugin_settings(books.options)
    names = {key: m.name for key, m in books.records.members.items()}
    shown = []
    for shown_year in ([year] if year is not None else years):
        entry = PatronageYear(shown_year, fiscal_label(shown_year))
        for pool in (p for p in pools if p.year == shown_year):
            entry.pools.append(_pool_view(pool, settings, names, _))
        if shown_year in retained:
            entry.certificates = table(
                [(N_("Member"), MEMBER), (N_("Name"), STR), (N_("Retained"), MONEY),
                 (N_("Certificate"), CERTIFICATE)],
                [[c.member.key, c.member.name, c.total(),
                  (shown_year, c.member.key, _("%(kind)s certificate") % {
                      "kind": ", ".join(_(kind) for kind in c.kinds)})]
                 for c in member_certificates(books, shown_year)], total=True, _=_)
        shown.append(entry)
    return {"years": shown, "all_years": years, "year": year}


def _notice_kind(pool: BookedPool, _: Gettext = english) -> str:
    """The kind of a pool's notices, as `BookedPool.notice` says it, in the page's language."""
    if pool.split_notices:
        return _("%(share)s qualified") % {"share": percent(pool.qualified_share)}
    return _("qualified") if pool.qualified else _("non-qualified")


def _member_notice_kind(pool: BookedPool, dividend: MemberDividend, _: Gettext = english,
                        ) -> str:
    """A member's kind of notice (non-qualified for want of consent in a qualified pool),
    in the page's language."""
    kind = pool.notice_of(dividend.member, dividend.retained)
    return _notice_kind(pool, _) if kind == pool.notice else _(kind)


def _pool_view(pool: BookedPool, settings: PluginConfig, names: dict[str, str],
               _: Gettext = english) -> dict[str, Any]:
    money, result = pool.currency, pool.result
    notice = _notice_kind(pool, _)
    figures = table(
        [(N_("Pool"), STR), (N_("Measure"), STR), (N_("Paid"), DATE),
         (N_("Patronage margin"), MONEY), (N_("Non-patronage margin"), MONEY),
         (N_("Reserve %"), STR), (N_("Reserve"), MONEY), (N_("Pool amount"), MONEY),
         (pgettext("quantity", "Patronage", _), DECIMAL), (N_("Rate per unit"), STR),
         (N_("Cash %"), STR),
         (N_("Notices"), STR)],
        [[pool.pool, pool.measure, pool.paid, {money: result.margin},
          {money: pool.non_patronage}, percent(pool.reserve_share), {money: result.reserve},
          {money: result.pool}, result.total_patronage, str(pool.rate), percent(pool.cash_share),
          notice]], _=_)
    checks = check_rows([pool], settings.fiscal_year, settings.rules)
    members = table(
        [(N_("Member"), MEMBER), (N_("Name"), STR),
         (_("Patronage (%(measure)s)") % {"measure": pool.measure}, DECIMAL),
         (N_("Allocation"), MONEY), (N_("Cash"), MONEY), (N_("Retained"), MONEY),
         (N_("Notice"), NOTICE)],
        [[d.member, names.get(d.member, ""), d.patronage, {money: d.allocation},
          {money: d.cash}, {money: d.retained},
          (pool.year, d.member, _("%(kind)s notice") % {
              "kind": _member_notice_kind(pool, d, _)})]
         for d in result.dividends], total=True, _=_)
    return {"pool": pool, "figures": figures, "checks": checks,
            "failed": sum(1 for c in checks if c["status"] == "failed"),
            "members": members}


# -- Equity -------------------------------------------------------------------------------

@once_per_load
def equity_page(books: CoopBooks, as_of: datetime.date | None, budget_text: str | None,
                default_budget: Decimal | None, locale: str = "en") -> dict[str, Any]:
    _ = gettext_for(locale)
    columns = [(N_("Qualified"), MONEY), (N_("Non-qualified"), MONEY), (N_("Retains"), MONEY),
               (N_("Total"), MONEY)]

    def money_cells(row: Any) -> list[Money]:
        return [row.qualified, row.non_qualified, row.retains, row.total]

    by_year = outstanding_equity(books, as_of, "year")
    by_member_year = outstanding_equity(books, as_of, "member-year")
    made = redemptions_made(books, as_of)
    redemption_columns = [(N_("Date"), DATE), (N_("Member"), MEMBER), (N_("Name"), STR),
                          (N_("Fiscal year"), STR), (N_("Kind"), STR), (N_("Amount"), MONEY)]
    currency = (books.options.get("operating_currency") or ["USD"])[0]
    budget, problem, proposal = None, None, None
    text = budget_text if budget_text not in (None, "") else (
        str(default_budget) if default_budget is not None else None)
    if text is not None:
        try:
            budget = Decimal(text.replace(",", "").strip())
            if not budget.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            budget, problem = None, _("%(text)s is not an amount like 25000.00") % {
                "text": repr(text)}
    if budget is not None:
        try:
            lines = next_redemption(books, budget, currency, as_of)
            proposal = table(redemption_columns[1:],
                             [[ln.member, ln.name, ln.year, _(ln.kind), ln.amount]
                              for ln in lines], total=True, _=_)
        except ReportError as exc:
            problem = str(exc)
    total: Money = {}
    for row in by_year:
        for c, n in row.total.items():
            add(total, c, n)
    return {
        "as_of": as_of, "currency": currency, "budget": budget_text or text or "",
        "problem": problem, "proposal": proposal, "total": money_text(total),
        "by_year": table([(N_("Fiscal year"), STR), *columns],
                         [[row.year, *money_cells(row)] for row in by_year], total=True, _=_),
        "by_member_year": table([(N_("Member"), MEMBER), (N_("Name"), STR),
                                 (N_("Fiscal year"), STR), *columns],
                                [[row.member, row.name, row.year, *money_cells(row)]
                                 for row in by_member_year], total=True, _=_),
        "redemptions": table(redemption_columns,
                             [[ln.date, ln.member, ln.name, ln.year, _(ln.kind), ln.amount]
                              for ln in made], total=True, _=_),
        "has_equity": bool(by_year), "has_redemptions": bool(made),
    }


# -- Clients ------------------------------------------------------------------------------

@once_per_load
def clients_page(books: CoopBooks, start: datetime.date | None,
                 end: datetime.date | None, locale: str = "en") -> dict[str, Any]:
    """Clients' open invoices by age, who is late, what each member still waits for, and
    the members' earnings: `coop receivables` (--per client, invoice, member) and `coop
    earnings` on the same days (the end of the time filter, else the books' last day)."""
    _ = gettext_for(locale)
    as_of = receivables_day(books, end)
    by_client = receivable_rows(books, as_of, "client")
    invoices = receivable_rows(books, as_of, "invoice")
    waiting = receivable_rows(books, as_of, "member")
    earned = earnings_rows(books, start, as_of)
    ages = [name for _start, name in AGE_BUCKETS]
    late: dict[str, int] = {}
    for row in invoices:
        if row["days_late"] > 0:
            late[row["client"]] = max(row["days_late"], late.get(row["client"], 0))
    return {
        "as_of": as_of, "open": money_text(_total(row["open"] for row in by_client)),
        "late": sorted(late.items(), key=lambda item: -item[1]),
        "by_client": table([(N_("Client"), STR), (N_("Open invoices"), INT),
                            *[(_("%(age)s days") % {"age": age} if age != "current"
                               else N_("Current"), MONEY) for age in ages],
                            (N_("Open"), MONEY)],
                           [[row["client"], row["invoices"], *[row[age] for age in ages],
                             row["open"]] for row in by_client], total=True, _=_),
        "invoices": table([(N_("Client"), STR), (N_("Invoice"), STR), (N_("Date"), DATE),
                           (N_("Due"), DATE), (N_("Total"), MONEY), (N_("Open"), MONEY),
                           (N_("Days late"), INT), (N_("Age"), STR)],
                          [[row["client"], str(row["invoice"]), row["date"], row["due"],
                            row["total"], row["open"], row["days_late"], _(row["age"])]
                           for row in invoices], total=("Total", "Open"), _=_),
        "waiting": table([(N_("Member"), MEMBER), (N_("Name"), STR),
                          (N_("Open invoices"), INT), (N_("Billings open"), MONEY),
                          (N_("Of which late"), MONEY)],
                         [[row["member"], row["name"], row["invoices"], row["open"],
                           row["late"]] for row in waiting], total=True, _=_),
        "earnings": table([(N_("Member"), MEMBER), (N_("Name"), STR), (N_("Billed"), MONEY),
                           (N_("Co-op's fee"), MONEY), (N_("Earned"), MONEY),
                           (N_("Wages paid"), MONEY), (N_("To be paid"), MONEY)],
                          [[row["member"], row["name"],
                            *[{row["currency"]: row[k]} for k in EARNINGS]]
                           for row in earned], total=True, _=_),
    }


#: The money columns of a member's earnings, as `earnings_rows` names them.
EARNINGS = ("billed", "fee", "earned", "paid", "to_be_paid")
