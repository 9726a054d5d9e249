"""Dues: a schedule declared once becomes each active member's charge per period.

    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      until: 2025-12-31        ; optional: the last day the schedule runs
      members: "Alice Bob"     ; optional: only these members ("all" is the default)
      share-class: "Member"    ; optional: only members who subscribed to this class
      prorate: TRUE            ; optional: part periods are charged pro rata by days
      account: Income:Members:Dues

Rules (pure: records in, charges out):

* Periods are anchored on the schedule's date: monthly from 2025-01-15 gives
  the 15th of every month.
* Without `prorate`, a member pays for each period that starts while they are a
  member, on the period's first day.
* With `prorate`, a member pays for each period they are a member on any day
  of, `amount × days as member / days in period`, rounded half up to the cent
  (the amount's own precision when finer), on the first day they were a member
  in that period.
* Nothing is charged after `as_of` (the plugin's default is today), so the
  books never hold future charges.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from coop_beancount.core.periods import periods
from coop_beancount.core.records import DuesCharge, DuesSchedule, Member


def precision(amount: Decimal) -> Decimal:
    """The rounding quantum for an amount: its own decimals, at least cents."""
    exponent = min(amount.as_tuple().exponent, -2)
    return Decimal(1).scaleb(exponent)


def schedule_problems(
    schedule: DuesSchedule, members: Mapping[str, Member], share_classes: Iterable[str]
) -> list[str]:
    """What is wrong with a schedule given the members and share classes declared."""
    problems = []
    unknown = [key for key in schedule.members or () if key not in members]
    if unknown:
        problems.append(
            f"dues schedule {schedule.name!r} names unknown member(s) {', '.join(unknown)}; "
            "declare them with coop-member or fix the key"
        )
    if schedule.share_class is not None and schedule.share_class not in set(share_classes):
        problems.append(
            f"dues schedule {schedule.name!r} names unknown share class "
            f"{schedule.share_class!r}; declare it with coop-share-class"
        )
    return problems


def dues_charges(
    schedule: DuesSchedule,
    members: Iterable[Member],
    subscribed_since: Mapping[tuple[str, str], datetime.date],
    as_of: datetime.date,
) -> list[DuesCharge]:
    """Every charge the schedule makes up to `as_of`, in date then member order.

    `subscribed_since` maps (member key, share class) to the date of the member's
    first subscription to that class; it matters only for `share-class` schedules.
    """
    last = min(as_of, schedule.until) if schedule.until else as_of
    chosen = [m for m in members if _applies(schedule, m)]
    quantum = precision(schedule.amount)
    charges: list[DuesCharge] = []
    for start, end in periods(schedule.start, schedule.frequency, last):
        full_days = (end - start).days + 1
        end = min(end, schedule.until) if schedule.until else end
        for member in chosen:
            charge = _charge(schedule, member, subscribed_since, start, end, full_days, quantum)
            if charge is not None and charge.date <= as_of:
                charges.append(charge)
    return charges


def _applies(schedule: DuesSchedule, member: Member) -> bool:
    return schedule.members is None or member.key in schedule.members


def _charge(
    schedule: DuesSchedule,
    member: Member,
    subscribed_since: Mapping[tuple[str, str], datetime.date],
    start: datetime.date,
    end: datetime.date,
    full_days: int,
    quantum: Decimal,
) -> DuesCharge | None:
    first_day = member.joined
    if schedule.share_class is not None:
        since = subscribed_since.get((member.key, schedule.share_class))
        if since is None:
            return None
        first_day = max(first_day, since)
    last_day = member.left or end
    if schedule.prorate:
        begin, finish = max(start, first_day), min(end, last_day)
        if begin > finish:
            return None
        days = (finish - begin).days + 1
        amount = schedule.amount
        if days < full_days:
            amount = (schedule.amount * days / full_days).quantize(quantum, ROUND_HALF_UP)
        date = begin
    else:
        if not first_day <= start <= last_day:
            return None
        amount, date = schedule.amount, start
    if amount <= 0:
        return None
    return DuesCharge(
        date=date, member=member.key, amount=amount, currency=schedule.currency,
        schedule=schedule.name, period_start=start, period_end=end,
        income_account=schedule.income_account, source=schedule.source,
    )
