"""Patronage reports: what the plugin booked, read back for the board, members and the IRS.

    coop patronage BOOKS --year 2025 [--what-if --reserve 15%]
    coop notices BOOKS --year 2025 --out notices/
    coop 1099-patr BOOKS --year 2026
    coop equity BOOKS [--as-of 2026-12-31]

Input is the loaded entries, after the coop plugin ran. Every figure of an
allocation is in the metadata of the transaction the plugin derived from the
board's decision (`coop-generated: "allocation"`, `coop-margin`, `coop-reserve`
..., and `coop-patronage`, `coop-allocation` on each member's postings), so
these reports read them back rather than work them out again. The one
exception is a what-if, which hands the booked margin and patronage to the
same `allocate_pool` the plugin uses.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from beancount.core import data

from coop_beancount.books.config import ConfigError, PluginConfig, parse_config
from coop_beancount.books.loading import PLUGIN_NAME
from coop_beancount.books.patronage import (
    CASH_PAID,
    CASH_PAYMENTS,
    GENERATED,
    WITHHELD,
    Derived,
    decision_problems,
    figures_from_entries,
    first_patronage,
    non_member_split,
    notice_consents,
    parse_payments,
    patronage_by_year,
    patronage_records,
    pool_margin,
)
from coop_beancount.core.accounts import (
    INTEREST_KIND,
    NON_QUALIFIED_KIND,
    QUALIFIED,
    RETAIN,
    MemberChart,
)
from coop_beancount.core.allocation import allocate
from coop_beancount.core.errors import location
from coop_beancount.core.patronage import (
    US,
    Check,
    EquityKey,
    FiscalCalendar,
    MemberDividend,
    PoolAllocation,
    allocate_pool,
    compliance_checks,
    fiscal_label,
    minimum_cash,
    notice_parts,
    percent,
    pool_problems,
    redeem,
    round_half_up,
    share_problems,
)
from coop_beancount.core.records import AllocationDecision, Member
from coop_beancount.core.rules import RuleSet
from coop_beancount.reports.output import amount_text, money_text
from coop_beancount.reports.view import CoopBooks, Money, add, cleaned

#: `coop-generated` kinds of the plugin's patronage transactions.
ALLOCATION = "allocation"
RETAIN_ENTRY = "retain"
REDEMPTION = "equity-redemption"
#: Rates per unit are shown to this many places (the arithmetic never uses them).
RATE_QUANTUM = Decimal("0.000001")
#: Form 1099-PATR is filed for a recipient paid at least this much in the calendar year.
FORM_1099_PATR_MINIMUM = US.form_minimum or Decimal("10.00")


#: The plugin's settings when the books do not load it (its defaults; `as_of` unused here).
DEFAULT_SETTINGS = PluginConfig(as_of=datetime.date.max)


class ReportError(ValueError):
    """Why a patronage report cannot be made from these books, in words for the user."""


def parse_percent(text: str) -> Decimal:
    """ "15%" as 0.15; the way a decision writes its shares."""
    text = str(text).strip()
    if not text.endswith("%"):
        raise ValueError(f"{text!r} is not a percentage such as \"20%\"")
    try:
        share = Decimal(text[:-1].strip()) / 100
    except InvalidOperation:
        share = None
    if share is None or not share.is_finite():  # "NaN%" parses, and cannot be compared
        raise ValueError(f"{text!r} is not a percentage such as \"20%\"")
    return share


@dataclass(frozen=True)
class BookedPool:
    """One pool's allocation for one fiscal year, as the plugin booked it (or a what-if)."""

    year: int
    pool: str
    measure: str
    paid: datetime.date
    currency: str
    non_patronage: Decimal
    reserve_share: Decimal
    cash_share: Decimal
    qualified: bool
    result: PoolAllocation
    source: dict[str, Any]
    #: Of each retained part, the share in qualified notices (`qualified: "50%"`).
    qualified_share: Decimal = Decimal(1)
    #: The day the notices are issued (None: the payment date).
    issued: datetime.date | None = None
    #: Each member's cash part: the payments that left their payable for it (first in,
    #: first out), and the day it was paid in full (None: not yet).
    cash_payments: Mapping[str, tuple[tuple[datetime.date, Decimal], ...]] = field(
        default_factory=dict)
    cash_paid: Mapping[str, datetime.date | None] = field(default_factory=dict)
    #: The decision says the cash is paid after the payment period (`late: TRUE`).
    late: bool = False
    #: The year's business with non-members in the measure (coop-non-member-business), and
    #: the part of the margin it took (counted in `non_patronage`).
    non_member_business: Decimal = Decimal(0)
    non_member_part: Decimal = Decimal(0)
    #: Each member's retained part as booked: (in qualified notices, in non-qualified),
    #: after their consent (a member with none in force: all non-qualified).
    member_notices: Mapping[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    #: Each member's consent to qualified notices, in words (IRC 1388(c)).
    consents: Mapping[str, str] = field(default_factory=dict)
    #: The cash parts are paid by qualified checks (`qualified-check: TRUE`).
    qualified_check: bool = False

    def notices_of(self, member: str, retained: Decimal) -> tuple[Decimal, Decimal]:
        """A member's retained part in qualified and in non-qualified notices: as booked,
        else (a what-if) the decision's rule."""
        if member in self.member_notices:
            return self.member_notices[member]
        return notice_parts(retained, self.qualified_share)

    def notice_of(self, member: str, retained: Decimal) -> str:
        """The kind of a member's notice: "qualified", "non-qualified" or "50% qualified"."""
        qualified, non_qualified = self.notices_of(member, retained)
        if member not in self.member_notices or (qualified and non_qualified):
            return self.notice
        return NON_QUALIFIED_KIND if non_qualified else self.notice

    @property
    def issue_date(self) -> datetime.date:
        return self.issued or self.paid

    @property
    def rate(self) -> Decimal:
        """Dividend per unit of patronage, rounded for people to read."""
        return round_half_up(self.result.rate, RATE_QUANTUM)

    @property
    def split_notices(self) -> bool:
        """Whether members' retained parts are partly qualified, partly non-qualified."""
        return 0 < self.qualified_share < 1

    @property
    def notice(self) -> str:
        if self.split_notices:
            return f"{percent(self.qualified_share)} {QUALIFIED}"
        return QUALIFIED if self.qualified else NON_QUALIFIED_KIND

    @property
    def notice_kinds(self) -> list[str]:
        if self.split_notices:
            return [QUALIFIED, NON_QUALIFIED_KIND]
        return [QUALIFIED if self.qualified else NON_QUALIFIED_KIND]


def booked_pools(entries: Iterable[Any], chart: MemberChart,
                 year: int | None = None) -> list[BookedPool]:
    """Every allocation the plugin booked (for fiscal year `year`), by year, date and pool."""
    pools = []
    for entry in entries:
        if not (isinstance(entry, data.Transaction)
                and entry.meta.get(GENERATED) == ALLOCATION):
            continue
        fiscal_year = int(entry.meta["coop-year"])
        if year is None or fiscal_year == year:
            pools.append(_booked_pool(entry, fiscal_year, chart))
    return sorted(pools, key=lambda p: (p.year, p.paid, p.pool))


def _booked_pool(entry: data.Transaction, year: int, chart: MemberChart) -> BookedPool:
    meta = entry.meta
    members: dict[str, dict[str, Decimal]] = {}
    payments: dict[str, tuple[tuple[datetime.date, Decimal], ...]] = {}
    paid: dict[str, datetime.date | None] = {}
    notices: dict[str, list[Decimal]] = {}
    consents: dict[str, str] = {}
    currency = None
    for posting in entry.postings:
        currency = currency or posting.units.currency
        kind = (posting.meta or {}).get("coop-kind")
        member = chart.member_key(posting.account)
        if kind is None or member is None:
            continue
        # A member's cash and retained postings both carry their patronage and allocation.
        figures = members.setdefault(member, {
            "patronage": posting.meta["coop-patronage"],
            "allocation": posting.meta["coop-allocation"],
            "cash": Decimal(0), "retained": Decimal(0), "withheld": Decimal(0)})
        part = kind if kind in ("cash", WITHHELD) else "retained"
        if "coop-consent" in posting.meta:
            consents[member] = posting.meta["coop-consent"]
        if kind in (QUALIFIED, NON_QUALIFIED_KIND):
            notices.setdefault(member, [Decimal(0), Decimal(0)])[
                kind == NON_QUALIFIED_KIND] -= posting.units.number
        if kind == "cash" and posting.units.number < 0:
            payments[member] = tuple(parse_payments(posting.meta.get(CASH_PAYMENTS, "")))
            paid[member] = posting.meta.get(CASH_PAID)
        figures[part] += posting.units.number if kind == WITHHELD else -posting.units.number
    dividends = tuple(MemberDividend(member, f["patronage"], f["allocation"], f["cash"],
                                     f["retained"], f["withheld"])
                      for member, f in sorted(members.items()))
    result = PoolAllocation(meta["coop-margin"], meta["coop-reserve"],
                            meta["coop-pool-amount"], meta["coop-patronage-total"], dividends)
    return BookedPool(
        year=year, pool=meta["coop-pool"], measure=meta["coop-measure"], paid=entry.date,
        currency=currency or "", non_patronage=meta["coop-non-patronage"],
        reserve_share=parse_percent(meta["coop-reserve-share"]),
        cash_share=parse_percent(meta["coop-cash-share"]), qualified=bool(meta["coop-qualified"]),
        result=result, source=meta,
        qualified_share=(parse_percent(meta["coop-qualified-share"])
                         if "coop-qualified-share" in meta
                         else Decimal(1 if meta["coop-qualified"] else 0)),
        issued=meta.get("coop-issued"),
        cash_payments=payments, cash_paid=paid, late=bool(meta.get("coop-late")),
        non_member_business=meta.get("coop-non-member-business", Decimal(0)),
        non_member_part=meta.get("coop-non-member-part", Decimal(0)),
        member_notices={m: (q, n) for m, (q, n) in notices.items()}, consents=consents,
        qualified_check=bool(meta.get("coop-qualified-check")))


def what_if(booked: BookedPool, reserve: Decimal | None = None, cash: Decimal | None = None,
            qualified: bool | None = None, settings: PluginConfig | None = None) -> BookedPool:
    """The same margin and patronage allocated with other shares; the books are not touched.

    Raises ReportError for shares the plugin would refuse in a decision (under the rules
    and cash rounding of `settings`, the plugin's)."""
    settings = settings or DEFAULT_SETTINGS
    reserve = booked.reserve_share if reserve is None else reserve
    cash = booked.cash_share if cash is None else cash
    qualified = booked.qualified if qualified is None else qualified
    problems = share_problems(reserve, cash, qualified, settings.rules)
    if problems:
        raise ReportError("; ".join(problems))
    patronage = {d.member: d.patronage for d in booked.result.dividends}
    counted = sum(patronage.values(), Decimal(0))
    if counted != booked.result.total_patronage:
        # Members whose allocation rounded to 0.00 have no posting, so no patronage on file.
        raise ReportError(
            f"pool {booked.pool!r} of {fiscal_label(booked.year)}: the booked allocation names "
            f"{counted} of the {booked.result.total_patronage} {booked.measure} of patronage "
            "(members whose allocation rounded to 0.00 get no posting), so it cannot be "
            "recomputed exactly")
    result = allocate_pool(booked.result.margin, reserve, cash, patronage,
                           rounding=settings.cash_rounding,
                           minimum_cash=minimum_cash(settings.rules, qualified))
    share = booked.qualified_share if qualified == booked.qualified else Decimal(int(qualified))
    # A member whose notice the plugin issued non-qualified for want of consent (or a
    # qualified check cashed late) stays so in the what-if.
    unconsented = {member for member, (q, n) in booked.member_notices.items()
                   if booked.qualified and n and not q}
    notices = {d.member: (Decimal(0), d.retained) for d in result.dividends
               if qualified and d.member in unconsented}
    return replace(booked, reserve_share=reserve, cash_share=cash, qualified=qualified,
                   result=result, qualified_share=share, member_notices=notices)


def unbooked_decisions(books: CoopBooks, year: int, pool: str | None,
                       ) -> list[AllocationDecision]:
    """The decisions for fiscal year `year` (and `pool`) the plugin has not booked because
    they are drafts (`draft: TRUE`) or paid after its `as_of`; a what-if works them out."""
    as_of = plugin_as_of(books.options)
    return [d for d in sorted(books.records.decisions, key=lambda d: (d.pool, d.date))
            if d.fiscal_year == year and (pool is None or d.pool == pool)
            and (d.draft or (as_of is not None and d.paid > as_of))]


def draft_pool(books: CoopBooks, decision: AllocationDecision,
               settings: PluginConfig | None = None) -> BookedPool:
    """A decision the plugin has not booked (a draft, or one named on the command line),
    worked out from the loaded books by the plugin's own rules and checks; nothing is
    written. Raises ReportError with what the plugin would say of it as a decision."""
    settings = settings or plugin_settings(books.options)
    chart, calendar = books.chart, settings.fiscal_year
    figures = figures_from_entries(books.entries, chart, calendar)
    figures.rules, figures.cash_rounding = settings.rules, settings.cash_rounding
    opened = {e.account for e in books.entries if isinstance(e, data.Open)}
    # The records' own mistakes are the load's errors (reports refuse such books already).
    measures, records = patronage_records(books.records, figures, chart, opened, books.entries,
                                          Derived())
    problems = decision_problems(decision, books.records, measures, figures, chart, opened, {})
    if problems:
        raise ReportError("; ".join(problems))
    margin = pool_margin(decision, decision.margin_accounts, figures.totals)
    currency, amount = next(iter(margin.items()))
    patronage = dict(patronage_by_year(records, calendar).get(
        (decision.measure, decision.fiscal_year), {}))
    problems = pool_problems(decision.fiscal_year, decision.pool, amount, patronage,
                             decision.measure)
    if problems:
        raise ReportError("; ".join(problems))
    non_patronage = pool_margin(decision, decision.non_patronage_accounts, figures.totals)
    split, problems = non_member_split(decision, books.records, calendar, amount, patronage)
    if problems:
        raise ReportError("; ".join(problems))
    amount -= split.part
    result = allocate_pool(amount, decision.reserve, decision.cash, patronage,
                           rounding=settings.cash_rounding,
                           minimum_cash=minimum_cash(settings.rules, decision.qualified))
    # Each member's consent, as the plugin would check it when the decision is booked.
    figures.without_consent = settings.without_consent
    consents, problems = notice_consents(decision, result, books.records, figures,
                                         settings.as_of, first_patronage(records, calendar))
    if problems:
        raise ReportError("; ".join(problems))
    return BookedPool(
        year=decision.fiscal_year, pool=decision.pool, measure=decision.measure,
        paid=decision.paid, currency=currency,
        non_patronage=non_patronage.get(currency, Decimal(0)) + split.part,
        reserve_share=decision.reserve,
        cash_share=decision.cash, qualified=decision.qualified > 0, result=result,
        source=decision.source, issued=decision.issued,
        qualified_share=Decimal(decision.qualified),
        non_member_business=split.business, non_member_part=split.part,
        qualified_check=decision.qualified_check,
        consents={m: c.basis for m, c in consents.items()},
        member_notices={d.member: notice_parts(d.retained, decision.qualified
                                               if consents[d.member].in_force else Decimal(0))
                        for d in result.dividends if d.member in consents})


def plugin_config(options: Mapping[str, Any]) -> PluginConfig | None:
    """The coop plugin's settings in these books (None if it is not loaded or its config is
    broken: the load reported that already)."""
    for name, config in options.get("plugin", ()):
        if name == PLUGIN_NAME:
            try:
                return parse_config(config)
            except ConfigError:
                return None
    return None


def plugin_as_of(options: Mapping[str, Any]) -> datetime.date | None:
    """The plugin's `as_of`: nothing is booked after it."""
    config = plugin_config(options)
    return config.as_of if config else None


def plugin_settings(options: Mapping[str, Any]) -> PluginConfig:
    """The plugin's settings (rules, cash rounding, fiscal year), or the defaults."""
    return plugin_config(options) or DEFAULT_SETTINGS


def fiscal_calendar(options: Mapping[str, Any]) -> FiscalCalendar:
    return plugin_settings(options).fiscal_year


def pool_checks(pool: BookedPool, calendar: FiscalCalendar, rules: RuleSet = US,
                ) -> list[Check]:
    """The compliance checks of a booked pool under `rules`, with their status."""
    return compliance_checks(calendar, pool.year, pool.paid, pool.qualified, pool.cash_share,
                             pool.result, rules, pool.cash_paid, pool.late)


def check_rows(pools: list[BookedPool], calendar: FiscalCalendar, rules: RuleSet = US,
               ) -> list[dict[str, Any]]:
    """Each pool's compliance checks, as the Fava page shows them too."""
    return [{"year": pool.year, "pool": pool.pool, "check": check.name, "status": check.status,
             "detail": check.detail}
            for pool in pools for check in pool_checks(pool, calendar, rules)]


def missing_allocation(books: CoopBooks, year: int, pool: str | None,
                       booked: list[BookedPool]) -> str:
    """Why there is no booked allocation for `year` (and `pool`): what the user can do."""
    label = fiscal_label(year) + (f" pool {pool!r}" if pool else "")
    if booked:
        names = ", ".join(sorted({p.pool for p in booked}))
        return f"no allocation for {label}; the pools booked for {fiscal_label(year)} are: {names}"
    decisions = [d for d in books.records.decisions
                 if d.fiscal_year == year and (pool is None or d.pool == pool)]
    if not decisions:
        return (f"no allocation for {label}: the books have no board decision for it; record "
                f'one with custom "coop-allocation" {year} "<pool>" (margin:, measure:, cash:, '
                "paid:)")
    as_of = plugin_as_of(books.options)
    reasons = []
    for decision in sorted(decisions, key=lambda d: d.date):
        where = location(decision.source)
        if decision.draft:
            reasons.append(
                f"the decision at {where} is a draft (draft: TRUE), which the plugin does not "
                "book; --what-if works it out, and once the board votes it, remove draft:")
        elif as_of is not None and decision.paid > as_of:
            reasons.append(
                f"the decision at {where} is paid on {decision.paid}, after the plugin's as_of "
                f"{as_of}, so nothing is booked yet; raise as_of once it is paid")
        else:
            reasons.append(f"the decision at {where} was not booked because of the errors "
                           "`coop check` shows")
    return f"no allocation for {label}: " + "; ".join(reasons)


@dataclass(frozen=True)
class NoticeLine:
    """One pool of a member's written notice of allocation."""

    pool: BookedPool
    dividend: MemberDividend

    @property
    def notices(self) -> tuple[Decimal, Decimal]:
        """The retained part in qualified and in non-qualified notices, as booked."""
        return self.pool.notices_of(self.dividend.member, self.dividend.retained)

    @property
    def notice(self) -> str:
        """This member's kind of notice ("qualified", "non-qualified", "50% qualified")."""
        return self.pool.notice_of(self.dividend.member, self.dividend.retained)

    @property
    def split(self) -> bool:
        return all(self.notices)

    @property
    def kinds(self) -> list[str]:
        qualified, non_qualified = self.notices
        if not qualified and not non_qualified:  # all in cash: the decision's kind
            return self.pool.notice_kinds
        return [QUALIFIED] * bool(qualified) + [NON_QUALIFIED_KIND] * bool(non_qualified)

    @property
    def consent(self) -> str:
        """The member's consent to this pool's qualified notice, in words ("" if none)."""
        return self.pool.consents.get(self.dividend.member, "")


@dataclass(frozen=True)
class Notice:
    """A member's written notice of allocation for one fiscal year, every pool of it."""

    member: Member
    year: int
    lines: tuple[NoticeLine, ...]
    #: The member's postal address, from the private register (never from the books).
    address: str = ""

    def total(self, field: str) -> Money:
        money: Money = {}
        for line in self.lines:
            add(money, line.pool.currency, getattr(line.dividend, field))
        return money

    @property
    def kinds(self) -> list[str]:
        return sorted({kind for line in self.lines for kind in line.kinds}, reverse=True)

    @property
    def file_name(self) -> str:
        return f"{fiscal_label(self.year)}-{self.member.key}.html"


def member_notices(books: CoopBooks, pools: list[BookedPool],
                   addresses: Mapping[str, str] | None = None) -> list[Notice]:
    """One notice per member with an allocation in `pools` (one fiscal year), in key order;
    `addresses` (from the private register) are printed on them."""
    addresses = addresses or {}
    by_member: dict[str, list[NoticeLine]] = defaultdict(list)
    for pool in pools:
        for dividend in pool.result.dividends:
            by_member[dividend.member].append(NoticeLine(pool, dividend))
    return [Notice(books.records.members[key], pools[0].year, tuple(lines),
                   addresses.get(key, ""))
            for key, lines in sorted(by_member.items())]


def render_notices(notices_: list[Notice], coop_name: str, paper: str,
                   settings: PluginConfig | None = None) -> dict[str, str]:
    """File name -> printable HTML: each notice, and index.html listing them (all in
    memory: `iter_notices` gives them one at a time)."""
    return dict(iter_notices(notices_, coop_name, paper, settings))


def iter_notices(notices_: list[Notice], coop_name: str, paper: str,
                 settings: PluginConfig | None = None) -> Iterator[tuple[str, str]]:
    """(file name, printable HTML) of each notice, one at a time, then index.html listing
    them: rendered as they are written, so 20,000 notices are never all in memory. The tax
    wording is that of the settings' rules, the cash rounding theirs."""
    environment = _notice_templates(settings)
    notice = environment.get_template("notice.html")
    for found in notices_:
        yield found.file_name, _render_notice(notice, found, coop_name, paper)
    index = environment.get_template("notices_index.html")
    yield "index.html", index.render(notices=notices_, coop=coop_name, paper=paper,
                                     year=notices_[0].year if notices_ else None)


def render_notice(notice: Notice, coop_name: str, paper: str,
                  settings: PluginConfig | None = None, pdf_url: str | None = None) -> str:
    """One member's notice as printable HTML (Fava's notice page; with `pdf_url`, a link to
    its PDF, left off the print)."""
    template = _notice_templates(settings).get_template("notice.html")
    return _render_notice(template, notice, coop_name, paper, pdf_url)


def _render_notice(template: Any, notice: Notice, coop_name: str, paper: str,
                   pdf_url: str | None = None) -> str:
    return template.render(notice=notice, coop=coop_name, paper=paper, pdf_url=pdf_url,
                           printed=datetime.date.today(),
                           withheld=any(line.dividend.withheld for line in notice.lines))


def _notice_templates(settings: PluginConfig | None) -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    settings = settings or DEFAULT_SETTINGS
    environment = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                              autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["money"] = _money
    environment.filters["number"] = lambda n: f"{n:,}"
    environment.globals.update(fiscal_label=fiscal_label, percent=percent,
                               rules=settings.rules, cash_rounding=settings.cash_rounding,
                               coop_address=settings.address)
    return environment


def _money(value: Money | tuple[Decimal, str]) -> str:
    if isinstance(value, tuple):
        return amount_text(*value)
    return money_text(value)


@dataclass(frozen=True)
class Form1099Patr:
    """One recipient's Form 1099-PATR figures for a calendar year."""

    member: str
    name: str
    box1: Decimal  # patronage dividends: cash, and qualified notices at face value
    box2: Decimal  # non-patronage distributions (section 521 co-ops only)
    box3: Decimal  # per-unit retain allocations
    box4: Decimal  # federal income tax withheld (backup withholding)
    box5: Decimal  # redemption of non-qualified notices
    box6: Decimal  # section 199A(g) deduction passed through (specified co-ops)
    box7: Decimal  # qualified payments, section 199A(b)(7) (specified co-ops)

    @property
    def total(self) -> Decimal:
        """What the $10 threshold counts: boxes 1, 2, 3 and 5."""
        return self.box1 + self.box2 + self.box3 + self.box5

    @property
    def due(self) -> bool:
        """A return is due at 10.00 or more in boxes 1, 2, 3 and 5, or whenever tax was
        withheld (whatever the amount: the withholding exception)."""
        return self.total >= FORM_1099_PATR_MINIMUM or self.box4 > 0


#: The boxes of Form1099Patr, in the form's order.
BOXES = ("box1", "box2", "box3", "box4", "box5", "box6", "box7")


def form_1099_patr(books: CoopBooks, year: int,
                   minimum: Decimal = FORM_1099_PATR_MINIMUM) -> tuple[list[Form1099Patr], str]:
    """Per recipient with a return due for calendar year `year`; and the currency.

    Box 1 is the cash parts paid in the year (what left the members' payables for
    them, first in, first out: a cash part paid a year late counts in the year it is
    paid) and the qualified retained parts of allocations credited in the year (the
    cash of a non-qualified allocation is income when paid too); box 2 the same of a
    section 521 co-op's non-patronage distributions (`distribution: "nonpatronage"`); box
    3 the per-unit retains withheld in the year; box 4 the backup withholding booked in
    the year; box 5 what the co-op redeemed
    of non-qualified notices in the year (income only now): every debit to a
    member's non-qualified equity, whether a `coop-redemption`, a set-off against
    what the member owes or a cheque written from it. For a specified agricultural
    co-op (`specified_cooperative`), box 6 is the section 199A(g) deduction of the
    pools paid in the year (`deduction-199a-g:`), split among each pool's members in
    proportion to their allocations by the largest remainder, and box 7 the qualified
    payments: boxes 1 and 3.

    A recipient is listed when boxes 1, 2, 3 and 5 add up to `minimum` or more, or tax
    was withheld (whatever the amount).

    Raises ReportError when the books keep other rules than the US's, and when a
    box would be negative (a correction of an earlier year booked in this one).
    """
    require_form(books, "1099-PATR")
    specified = plugin_settings(books.options).specified_cooperative
    chart = books.chart
    boxes: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: dict.fromkeys(BOXES, Decimal("0.00")))
    found: set[str] = set()
    for entry in books.entries:
        if not isinstance(entry, data.Transaction):
            continue
        kind = entry.meta.get(GENERATED)
        if kind not in (ALLOCATION, RETAIN_ENTRY, REDEMPTION):
            continue
        dividend_box = "box2" if entry.meta.get("coop-nonpatronage") else "box1"
        allocations: dict[str, Decimal] = {}
        for posting in entry.postings:
            meta = posting.meta or {}
            posting_kind = meta.get("coop-kind")
            if posting_kind == WITHHELD and posting.account == chart.tax_withheld():
                if entry.date.year == year:
                    boxes[meta["coop-member"]]["box4"] -= posting.units.number
                    found.add(posting.units.currency)
                continue
            member = chart.member_key(posting.account)
            if member is None or kind == REDEMPTION:
                continue
            number = posting.units.number
            equity = chart.retained_equity(posting.account)
            if "coop-allocation" in meta:
                allocations[member] = meta["coop-allocation"]
            if kind == ALLOCATION and posting_kind == "cash" and number < 0:
                # The cash part is paid when it leaves the member's payable (first in,
                # first out; the plugin writes the payments on the posting).
                payments = parse_payments(meta.get(CASH_PAYMENTS, ""))
                cash = sum((amount for day, amount in payments if day.year == year),
                           Decimal(0))
                if cash:
                    boxes[member][dividend_box] += cash
                    found.add(posting.units.currency)
                continue
            if entry.date.year != year:
                continue
            if kind == ALLOCATION and posting_kind == QUALIFIED:
                boxes[member][dividend_box] -= number
            elif kind == RETAIN_ENTRY and equity is not None and equity[1] == RETAIN:
                boxes[member]["box3"] -= number
            else:
                continue
            found.add(posting.units.currency)
        deduction = entry.meta.get("coop-deduction-199a-g")
        if deduction and entry.date.year == year and specified and allocations:
            for member, share in allocate(deduction, allocations, None).items():
                boxes[member]["box6"] += share
    for member, postings in books.retained_postings.items():
        for posting in postings:
            if posting.entry.date.year != year or posting.number <= 0:
                continue
            equity = chart.retained_equity(posting.account)
            if equity is not None and equity[1] == NON_QUALIFIED_KIND:
                boxes[member]["box5"] += posting.number
                found.add(posting.currency)
    if specified:
        for figures in boxes.values():
            figures["box7"] = figures["box1"] + figures["box3"]
    negative = [f"{key} box {box[3:]} {number}" for key, figures in sorted(boxes.items())
                for box, number in figures.items() if number < 0]
    if negative:
        raise ReportError(
            f"Form 1099-PATR for {year} would have a negative box ({', '.join(negative)}): a "
            f"correction booked in {year} of an earlier year's retains or allocations is more "
            f"than {year}'s own figure, and netting it would hide what was paid in {year}; "
            "file a corrected 1099-PATR for the earlier year the correction belongs to, and "
            "book the correction in that year")
    if len(found) > 1:
        raise ReportError(f"patronage was paid in several currencies in {year} "
                          f"({', '.join(sorted(found))}); Form 1099-PATR is in US dollars")
    members = books.records.members
    rows = [Form1099Patr(key, members[key].name if key in members else "", **figures)
            for key, figures in sorted(boxes.items())]
    return ([row for row in rows if row.total >= minimum or row.box4 > 0],
            (found.pop() if found else "USD"))


def require_form(books: CoopBooks, form: str) -> RuleSet:
    """The books' rule set, if `form` is its tax form; else ReportError saying which is."""
    rules = plugin_settings(books.options).rules
    if rules.tax_form != form:
        which = (f"their tax form is the {rules.tax_form} (coop {rules.tax_form.lower()})"
                 if rules.tax_form else "they file no patronage tax form")
        raise ReportError(
            f"the books keep the rules {rules.name!r} ({rules.title}): {which}, not the "
            f"{form}; the rules are the plugin's 'rules' setting")
    return rules


@dataclass(frozen=True)
class T4ASlip:
    """One recipient's T4A figures for patronage paid in a calendar year (rules 'ca')."""

    member: str
    name: str
    box030: Decimal  # patronage allocations paid: cash, and shares or credits (retained)
    box022: Decimal  # income tax deducted: the 15% withheld


def form_t4a(books: CoopBooks, year: int) -> tuple[list[T4ASlip], str]:
    """Per recipient of patronage paid in calendar year `year` who needs a slip (tax was
    withheld, or the year's payments are over 500); and the currency.

    Raises ReportError unless the books keep the rules 'ca'."""
    rules = require_form(books, "T4A")
    chart = books.chart
    boxes: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0.00")] * 2)
    found: set[str] = set()
    for entry in books.entries:
        if not (isinstance(entry, data.Transaction) and entry.date.year == year
                and entry.meta.get(GENERATED) == ALLOCATION):
            continue
        for posting in entry.postings:
            member = chart.member_key(posting.account)
            kind = (posting.meta or {}).get("coop-kind")
            if member is None or kind is None:
                continue
            if kind == WITHHELD:
                boxes[member][1] += posting.units.number
            else:  # the cash part and the retained part: both are paid (ITA s.135(4))
                boxes[member][0] -= posting.units.number
            found.add(posting.units.currency)
    if len(found) > 1:
        raise ReportError(f"patronage was paid in several currencies in {year} "
                          f"({', '.join(sorted(found))}); the T4A is in Canadian dollars")
    members = books.records.members
    minimum = rules.form_minimum or Decimal(0)
    slips = [T4ASlip(key, members[key].name if key in members else "", *figures)
             for key, figures in sorted(boxes.items())]
    return ([s for s in slips if s.box022 or s.box030 >= minimum],
            found.pop() if found else "CAD")


@dataclass(frozen=True)
class EquityRow:
    """Retained patronage equity outstanding: one member, one fiscal year (or a total)."""

    member: str
    name: str
    year: str
    qualified: Money
    non_qualified: Money
    retains: Money
    #: Interest on capital accounts credited (`Interest:FY<year>`, coop-interest).
    interest: Money = field(default_factory=dict)

    @property
    def total(self) -> Money:
        money: Money = {}
        for part in (self.qualified, self.non_qualified, self.retains, self.interest):
            for currency, number in part.items():
                add(money, currency, number)
        return cleaned(money)


def outstanding_equity(books: CoopBooks, as_of: datetime.date | None = None,
                       by: str = "member-year") -> list[EquityRow]:
    """The revolving fund: members' retained equity outstanding (through `as_of`), from the
    balances of their `Allocated:FY*` and `Retains:FY*` accounts.

    `by` is "member-year" (a row per member and fiscal year), "member" or "year".
    """
    figures: dict[tuple[str, str], dict[str, Money]] = defaultdict(
        lambda: {QUALIFIED: {}, NON_QUALIFIED_KIND: {}, RETAIN: {}, INTEREST_KIND: {}})
    for key in sorted(books.account_totals):  # every member with a posting
        for account, money in books.retained_balances(key, as_of).items():
            equity = books.chart.retained_equity(account)
            if equity is None:
                continue
            year, kind = equity
            group = {"member": (key, ""), "year": ("", fiscal_label(year))}.get(
                by, (key, fiscal_label(year)))
            for currency, number in money.items():
                add(figures[group][kind], currency, -number)
    members = books.records.members
    rows = []
    for (key, year), kinds in sorted(figures.items()):
        row = EquityRow(key, members[key].name if key else "", year,
                        cleaned(kinds[QUALIFIED]), cleaned(kinds[NON_QUALIFIED_KIND]),
                        cleaned(kinds[RETAIN]), cleaned(kinds[INTEREST_KIND]))
        if row.total:
            rows.append(row)
    return rows


@dataclass(frozen=True)
class RedemptionLine:
    """What one redemption (made, or proposed) pays one member for one fiscal year."""

    date: datetime.date
    member: str
    name: str
    year: str
    kind: str
    amount: Money


def redemptions_made(books: CoopBooks, as_of: datetime.date | None = None,
                     ) -> list[RedemptionLine]:
    """Every equity redemption the plugin booked (through `as_of`), by date, member, year."""
    chart, members = books.chart, books.records.members
    lines = []
    for entry in books.entries:
        if not (isinstance(entry, data.Transaction) and entry.meta.get(GENERATED) == REDEMPTION):
            continue
        if as_of is not None and entry.date > as_of:
            break
        for posting in entry.postings:
            equity = chart.retained_equity(posting.account)
            key = chart.member_key(posting.account)
            if equity is None or key is None:
                continue
            year, kind = equity
            lines.append(RedemptionLine(entry.date, key, members[key].name if key in members
                                        else "", fiscal_label(year), kind,
                                        {posting.units.currency: posting.units.number}))
    return sorted(lines, key=lambda line: (line.date, line.member, line.year))


def next_redemption(books: CoopBooks, budget: Decimal, currency: str,
                    as_of: datetime.date | None = None) -> list[RedemptionLine]:
    """What a revolving redemption of `budget` on `as_of` would pay whom: the same
    `redeem` rule the plugin books a coop-redemption with (oldest fiscal year first,
    the last year reached pro rata). Raises ReportError for a budget it cannot pay."""
    outstanding: dict[EquityKey, Decimal] = {}
    kinds: dict[str, str] = {}
    for key in sorted(books.account_totals):  # every member with a posting
        for account, money in books.retained_balances(key, as_of).items():
            equity = books.chart.retained_equity(account)
            number = -money.get(currency, Decimal(0))
            if equity is not None and number:
                outstanding[(equity[0], key, account)] = number
                kinds[account] = equity[1]
    total = sum((n for n in outstanding.values() if n > 0), Decimal(0))
    if budget <= 0:
        raise ReportError(f"a redemption budget is more than 0, not {budget}")
    if not total:
        raise ReportError(f"no retained equity is outstanding in {currency}: there is "
                          "nothing to redeem")
    # Against the fund first: 1E+999 is too many digits to round to cents, and too much.
    if budget > total:
        raise ReportError(f"the budget {budget:,} {currency} is more than the {total:,} "
                          f"{currency} of retained equity outstanding; lower it")
    if budget != budget.quantize(Decimal("0.01")):
        raise ReportError(f"a redemption budget is in whole cents, like 1000.00, not {budget}")
    members = books.records.members
    date = as_of or datetime.date.today()
    return [RedemptionLine(date, member, members[member].name if member in members else "",
                           fiscal_label(year), kinds[account], {currency: amount})
            for (year, member, account), amount in sorted(redeem(budget, outstanding).items())]
