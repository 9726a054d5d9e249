"""Patronage dividends: from a pool's margin to each member's cash and retained parts.

    2026-03-01 custom "coop-allocation" 2025 "cranberries"
      margin: "Income:Patronage:Cranberries Expenses:Cranberries"
      measure: "barrels"
      reserve: "10%"
      cash: "20%"
      paid: 2026-03-15

The rules (docs/patronage.md walks through them with an example):

* the pool is the patronage margin minus the reserve (rounded half up to the
  cent; anything under a cent stays in the reserve); it is divided by each
  member's patronage with `allocate` (largest remainder, ties to the lower
  key), so the parts add up to the pool exactly;
* each member's cash part is their allocation times the cash share, rounded
  *up* to the cent by default, so it never falls below the share the board set
  (nor below the 20% a qualified notice needs); with `cash_rounding: half-up`
  (as many bylaws say) it is rounded half up, and raised to the cent above where
  that would fall under the rule set's minimum; the rest is retained;
* payment is due by the rule set's deadline (core/rules: the 15th day of the 9th
  month after the fiscal year ends in the US), and always after the year ends.

Pure: plain numbers in, plain numbers out.
"""

from __future__ import annotations

import calendar
import datetime
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from coop_beancount.core.allocation import allocate
from coop_beancount.core.rules import RuleSet
from coop_beancount.core.rules import us as us_rules

#: The least cash part of a qualified written notice of allocation (IRC §1388(c)).
QUALIFIED_MINIMUM_CASH = us_rules.QUALIFIED_MINIMUM_CASH
US = us_rules.RULES
#: How a cash part is rounded to the cent: `up` (never under the share; the default) or
#: `half-up` (ordinary rounding, as many bylaws say).
CASH_ROUNDINGS = ("up", "half-up")
CENT = Decimal("0.01")
#: The pool a decision allocates when it names none.
DEFAULT_POOL = "patronage"


@dataclass(frozen=True)
class FiscalCalendar:
    """The co-op's fiscal year, named by the calendar year it ends in (FY2025)."""

    end_month: int = 12
    end_day: int = 31

    @classmethod
    def parse(cls, text: str) -> FiscalCalendar:
        """From "MM-DD", the last day of the fiscal year ("06-30")."""
        month, day = (int(part) for part in text.split("-"))
        calendar_ = cls(month, day)
        calendar_.end(2024)  # raises ValueError for a day the month does not have
        return calendar_

    @functools.lru_cache(maxsize=256)  # noqa: B019 (few calendars, few years: a small cache)
    def end(self, year: int) -> datetime.date:
        last = calendar.monthrange(year, self.end_month)[1]
        if self.end_day > last and not (self.end_month == 2 and self.end_day == 29):
            raise ValueError(f"month {self.end_month} has no day {self.end_day}")
        return datetime.date(year, self.end_month, min(self.end_day, last))

    def start(self, year: int) -> datetime.date:
        return self.end(year - 1) + datetime.timedelta(days=1)

    def year_of(self, date: datetime.date) -> int:
        return date.year if date <= self.end(date.year) else date.year + 1

    def deadline(self, year: int) -> datetime.date:
        """The last day to pay a year's dividend under the US rules: the 15th of the 9th
        month after year end (`deadline` below gives any rule set's)."""
        return us_rules.deadline(self.end(year))


def fiscal_label(year: int) -> str:
    return f"FY{year}"


def percent(fraction: Decimal) -> str:
    """0.2 as "20%", 0.125 as "12.5%"."""
    text = format((fraction * 100).normalize(), "f")
    return f"{text}%"


def round_half_up(number: Decimal, quantum: Decimal = CENT) -> Decimal:
    return number.quantize(quantum, rounding=ROUND_HALF_UP)


def notice_parts(retained: Decimal, qualified_share: Decimal,
                 quantum: Decimal = CENT) -> tuple[Decimal, Decimal]:
    """A member's retained part split into its qualified and non-qualified notices, for a
    decision with `qualified: "50%"`: the qualified part is retained × share rounded half up
    to the cent, the non-qualified part the rest, so the two add up to the retained part."""
    if qualified_share == 1:
        return retained, Decimal(0)
    qualified = round_half_up(retained * qualified_share, quantum)
    return qualified, retained - qualified


def cash_part(allocation: Decimal, cash_share: Decimal, quantum: Decimal = CENT,
              rounding: str = "up", minimum: Decimal | None = None) -> Decimal:
    """The cash part of an allocation.

    `up`: rounded away from zero, so never under the share. `half-up`: to the nearest
    cent, half a cent up; where that falls under `minimum` (the 20% of a qualified
    notice) times the allocation, rounded up instead, so the minimum always holds.
    """
    away = ROUND_CEILING if allocation >= 0 else ROUND_FLOOR
    if rounding == "up":
        return (allocation * cash_share).quantize(quantum, rounding=away)
    cash = round_half_up(allocation * cash_share, quantum)
    if minimum is not None and abs(cash) < abs(allocation * minimum):
        cash = (allocation * minimum).quantize(quantum, rounding=away)
    return cash


@dataclass(frozen=True)
class MemberDividend:
    member: str
    patronage: Decimal
    allocation: Decimal
    cash: Decimal
    retained: Decimal
    #: Tax withheld from the cash part (rules 'ca'), set by the books, not by allocate_pool.
    withheld: Decimal = Decimal(0)


@dataclass(frozen=True)
class PoolAllocation:
    margin: Decimal
    reserve: Decimal
    pool: Decimal
    total_patronage: Decimal
    dividends: tuple[MemberDividend, ...]

    @property
    def rate(self) -> Decimal:
        """Dividend per unit of patronage, for the notices (not used in the arithmetic)."""
        if not self.total_patronage:
            return Decimal(0)
        return self.pool / self.total_patronage


def allocate_pool(
    margin: Decimal, reserve_share: Decimal, cash_share: Decimal,
    patronage: Mapping[str, Decimal], quantum: Decimal = CENT, rounding: str = "up",
    minimum_cash: Decimal | None = None,
) -> PoolAllocation:
    """Divide a pool's margin (less the reserve) by patronage; each part split into cash and
    retained (the cash rounded by `rounding`, never under `minimum_cash` of the allocation).
    Patronage must be non-negative with a positive total (see pool_problems)."""
    reserve = round_half_up(margin * reserve_share, quantum)
    # Only whole cents can be allocated: what a margin has under a cent stays in the reserve
    # (so the members' parts add up to the pool, and the pool and reserve to the margin).
    pool = max(margin - reserve, Decimal(0)).quantize(quantum, rounding=ROUND_FLOOR)
    reserve = margin - pool
    weights = {member: quantity for member, quantity in patronage.items() if quantity > 0}
    parts = allocate(pool, weights, None, quantum)
    dividends = []
    for member in sorted(parts):
        allocation = parts[member]
        cash = cash_part(allocation, cash_share, quantum, rounding, minimum_cash)
        dividends.append(MemberDividend(member, patronage[member], allocation, cash,
                                        allocation - cash))
    return PoolAllocation(margin, reserve, pool, sum(weights.values(), Decimal(0)),
                          tuple(dividends))


def minimum_cash(rules: RuleSet, qualified: Decimal | bool) -> Decimal | None:
    """The least cash share of a decision's notices under `rules`, or None."""
    return rules.minimum_cash if qualified and rules.qualified_notices else None


def share_problems(reserve: Decimal, cash: Decimal, qualified: Decimal | bool,
                   rules: RuleSet = US) -> list[str]:
    """What is wrong with a decision's shares, whatever the books say. `qualified` is the
    share of the retained parts in qualified notices (TRUE is all, FALSE none)."""
    problems = []
    for name, share in (("reserve", reserve), ("cash", cash), ("qualified", qualified)):
        if not 0 <= share <= 1:
            problems.append(f"the {name} share is {percent(share)}; it must be from 0% to 100%")
    least = minimum_cash(rules, qualified)
    if least is not None and cash < least:
        problems.append(
            f"the cash share is {percent(cash)}, under the {percent(least)} a "
            f"qualified notice of allocation needs; pay at least {percent(least)} in cash, or "
            "write qualified: FALSE for a non-qualified notice")
    if qualified != 1 and not rules.qualified_notices:
        problems.append(
            f"qualified: FALSE means a US non-qualified notice, but the books keep the rules "
            f"{rules.name!r} ({rules.title}), which have no such notices; remove 'qualified:'")
    return problems


def deadline(calendar_: FiscalCalendar, year: int, rules: RuleSet = US) -> datetime.date | None:
    """The last day to pay fiscal year `year`'s dividend under `rules` (None: no deadline)."""
    return rules.deadline(calendar_.end(year)) if rules.deadline else None


def issue_problem(calendar_: FiscalCalendar, year: int, issued: datetime.date,
                  rules: RuleSet = US) -> str | None:
    """Why notices issued on `issued` do not count for fiscal year `year`: their amounts are
    only known after the year ends, and must be disclosed within the payment period (US:
    26 CFR 1.1388-1(a)(1); the rule set's deadline)."""
    end = calendar_.end(year)
    if issued <= end:
        return (f"the notices of {fiscal_label(year)} are issued on {issued}, before the year "
                f"is over (it ends on {end}); their amounts are only known after it")
    last = deadline(calendar_, year, rules)
    if last is not None and issued > last:
        return (f"the notices of {fiscal_label(year)} are issued on {issued}, after the "
                f"payment period ends on {last} ({rules.deadline_text}); their amounts must "
                "be disclosed to the members within it")
    return None


def deadline_problem(calendar_: FiscalCalendar, year: int, paid: datetime.date,
                     rules: RuleSet = US) -> str | None:
    last = deadline(calendar_, year, rules)
    if last is not None and paid > last:
        return (f"the dividend for {fiscal_label(year)} is paid on {paid}, after the deadline of "
                f"{last} ({rules.deadline_text} on {calendar_.end(year)}, under the rules "
                f"{rules.name!r}); pay it by then, or it does not count for that year")
    if paid <= calendar_.end(year):
        return (f"the dividend for {fiscal_label(year)} is paid on {paid}, before the year is over "
                f"(it ends on {calendar_.end(year)}); the margin is only known after year end")
    return None


def pool_problems(year: int, pool: str, margin: Decimal,
                  patronage: Mapping[str, Decimal], measure: str) -> list[str]:
    """Why a pool cannot be allocated from these figures."""
    label = f"pool {pool!r} for {fiscal_label(year)}"
    if margin < 0:
        return [f"{label} has a negative margin ({margin}): a loss is not a patronage dividend; "
                "to charge it to the members' capital accounts by patronage (the reserve: share "
                "to the collective account), add loss: \"charge\" to this decision"]
    negative = sorted(m for m, q in patronage.items() if q < 0)
    if negative:
        return [f"{label}: negative {measure} patronage for {', '.join(negative)} "
                f"(more returns or credit notes than business in the year); correct the records"]
    if sum(patronage.values(), Decimal(0)) <= 0:
        return [f"{label}: no {measure!r} patronage recorded in {fiscal_label(year)}, so there "
                "is nobody to allocate to; record the patronage or fix the year or measure"]
    return []


def non_member_part(margin: Decimal, members: Decimal, non_members: Decimal) -> Decimal:
    """The non-member part of a pool's margin: the margin in proportion to the business done
    with non-members, of all the business in the measure (members' and non-members'),
    rounded half up to the cent. The rest is the patronage margin, so the two add up to the
    margin exactly. Only the patronage margin may be allocated to members; the non-member
    part is the co-op's own (kept as unallocated equity, and taxed there).

        margin 36,710.41, members 593,269.78, non-members 140,938.53:
        36,710.41 x 140,938.53 / 734,208.31 = 7,046.93 (patronage margin 29,663.48)

    The caller checks that both figures are zero or more and that their sum is not zero.
    """
    if not non_members:
        return Decimal("0.00")
    return round_half_up(margin * non_members / (members + non_members))


def non_member_problems(year: int, pool: str, measure: str, members: Decimal,
                        non_members: Decimal) -> list[str]:
    """Why the business done with non-members cannot split a pool's margin."""
    label = f"pool {pool!r} for {fiscal_label(year)}"
    if non_members < 0:
        return [f"{label}: the {measure!r} business with non-members (coop-non-member-business) "
                f"adds up to {non_members} in {fiscal_label(year)}, less than nothing; correct "
                "the records"]
    return []


#: One member's retained equity of one fiscal year on one account.
EquityKey = tuple[int, str, str]  # (fiscal year, member, account)


def redeem(budget: Decimal, outstanding: Mapping[EquityKey, Decimal],
           quantum: Decimal = CENT) -> dict[EquityKey, Decimal]:
    """Pay `budget` back against retained equity: oldest fiscal year first, the last year
    reached pro rata to its balances (largest remainder, ties to the lower key).

    The caller checks `budget` is not more than the total outstanding.
    """
    by_year: dict[int, dict[EquityKey, Decimal]] = {}
    for key, balance in outstanding.items():
        if balance > 0:
            by_year.setdefault(key[0], {})[key] = balance
    paid: dict[EquityKey, Decimal] = {}
    left = budget
    for year in sorted(by_year):
        balances = by_year[year]
        total = sum(balances.values(), Decimal(0))
        if left >= total:
            paid.update(balances)
            left -= total
            continue
        if left > 0:
            names = {"|".join((str(k[0]), k[1], k[2])): k for k in balances}
            parts = allocate(left, {n: balances[k] for n, k in names.items()}, None, quantum)
            paid.update((names[n], amount) for n, amount in parts.items() if amount)
        break
    return paid


@dataclass(frozen=True)
class Check:
    """One compliance check of a booked allocation, with what it found."""

    name: str
    #: "ok", "failed", or "n/a" when the rule does not apply to this pool.
    status: str
    detail: str


def payment_period(calendar_: FiscalCalendar, year: int, rules: RuleSet = US,
                   ) -> tuple[datetime.date, datetime.date | None]:
    """The payment period of fiscal year `year`'s dividend: from the first day of the
    fiscal year (26 CFR 1.1382-4) to the rule set's deadline (None: no deadline)."""
    return calendar_.start(year), deadline(calendar_, year, rules)


def compliance_checks(calendar_: FiscalCalendar, year: int, paid: datetime.date | None,
                      qualified: bool, cash_share: Decimal,
                      result: PoolAllocation, rules: RuleSet = US,
                      cash_paid: Mapping[str, datetime.date | None] | None = None,
                      late: bool = False) -> list[Check]:
    """The rules a pool's allocation must keep, each with its status: the timing
    (after year end, by the rule set's deadline), the cash part of a qualified notice,
    and that every figure adds up to the cent. A what-if with no payment date yet
    (`paid` None) has its timing checks "n/a".

    `cash_paid` is the day each member's cash part left their payable (None: not yet);
    the deadline check reads it when given: "late" for a payment outside the payment
    period the decision allows (`late: TRUE`), "pending" while a cash part is unpaid."""
    checks = []
    end = calendar_.end(year)
    last = deadline(calendar_, year, rules)
    deadline_name = (f"Paid by the deadline ({rules.deadline_label})" if last is not None
                     else "Paid by a deadline")
    if paid is None:
        checks.append(Check("Paid after the fiscal year ends", "n/a", "no payment date yet"))
        checks.append(Check(deadline_name, "n/a", "no payment date yet"
                            + (f"; deadline {last}" if last else "")))
    else:
        checks.append(Check(
            "Paid after the fiscal year ends", "failed" if paid <= end else "ok",
            f"paid {paid}; {fiscal_label(year)} ended {end}"))
        if last is None:
            checks.append(Check(deadline_name, "n/a",
                                f"the rules {rules.name!r} set no payment deadline"))
        elif cash_paid:
            checks.append(_cash_deadline_check(deadline_name, cash_paid, calendar_.start(year),
                                               last, late))
        else:
            checks.append(Check(deadline_name, "failed" if paid > last else "ok",
                                f"paid {paid}; deadline {last}"))
    least = minimum_cash(rules, qualified)
    cash_name = ("Qualified notices pay at least "
                 f"{percent(rules.minimum_cash or QUALIFIED_MINIMUM_CASH)} in cash")
    if least is not None:
        short = [d.member for d in result.dividends if d.cash < d.allocation * least]
        checks.append(Check(
            cash_name, "failed" if short or cash_share < least else "ok",
            f"cash share {percent(cash_share)}"
            + (f"; under {percent(least)} for {members_text(short)}" if short
               else "; every member at or over")))
    elif rules.minimum_cash is None:
        checks.append(Check("A least cash share", "n/a",
                            f"the rules {rules.name!r} set no least cash share"))
    else:
        checks.append(Check(cash_name, "n/a",
                            "non-qualified notices: members are taxed when it is redeemed"))
    allocated = sum((d.allocation for d in result.dividends), Decimal(0))
    checks.append(Check(
        "Members' allocations add up to the pool", "ok" if allocated == result.pool else "failed",
        f"{allocated:,} allocated of a pool of {result.pool:,}"))
    checks.append(Check(
        "Pool and reserve add up to the margin",
        "ok" if result.pool + result.reserve == result.margin else "failed",
        f"{result.pool:,} + {result.reserve:,} = {result.pool + result.reserve:,}; "
        f"margin {result.margin:,}"))
    split = [d.member for d in result.dividends if d.cash + d.retained != d.allocation]
    checks.append(Check(
        "Cash and retained add up to each allocation", "failed" if split else "ok",
        f"differs for {members_text(split)}" if split else
        f"{len(result.dividends)} members"))
    return checks


#: Members named in a check's detail; the rest are counted (a 20,000-owner co-op's check
#: would otherwise be one line naming them all).
SHOWN_MEMBERS = 10


def members_text(members: list[str]) -> str:
    """The members a check names: "1001, 1002" or "1001, ..., 1010 and 19,990 more"."""
    if len(members) <= SHOWN_MEMBERS:
        return ", ".join(members)
    return (f"{', '.join(members[:SHOWN_MEMBERS])} and {len(members) - SHOWN_MEMBERS:,} more "
            f"({len(members):,} members)")


def _cash_deadline_check(name: str, cash_paid: Mapping[str, datetime.date | None],
                         start: datetime.date, last: datetime.date, late: bool) -> Check:
    """The deadline check from the days the cash parts left the members' payables."""
    unpaid = sorted(m for m, day in cash_paid.items() if day is None)
    days = [day for day in cash_paid.values() if day is not None]
    latest = max(days) if days else None
    outside = sorted(m for m, day in cash_paid.items() if day is not None and day > last)
    period = f"payment period {start} to {last}"
    if outside or (unpaid and late):
        who = members_text(outside + unpaid)
        status = "late" if late else "failed"
        return Check(name, status, f"cash of {who} paid "
                     f"{'on ' + str(latest) if outside else 'later'}, outside the {period}"
                     + ("; late: TRUE on the decision" if late else ""))
    if unpaid:
        return Check(name, "pending", f"cash of {members_text(unpaid)} not paid yet; deadline "
                     f"{last}")
    return Check(name, "ok", f"paid {latest}; deadline {last}")
