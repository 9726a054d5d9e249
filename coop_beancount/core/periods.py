"""Calendar periods: weeks, months, quarters and years anchored on a start date."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterator

ONE_DAY = datetime.timedelta(days=1)

_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


def add_months(date: datetime.date, months: int) -> datetime.date:
    """`date` moved by whole months, the day clamped to the month's end (Jan 31 + 1 = Feb 28)."""
    month_index = date.year * 12 + date.month - 1 + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(date.day, last_day))


def period_start(anchor: datetime.date, frequency: str, index: int) -> datetime.date:
    """Start of the `index`-th period of a schedule anchored on `anchor`.

    Computed from the anchor each time, never by stepping from the last period,
    so a schedule starting on the 31st stays on month ends after February.
    """
    if frequency == "weekly":
        return anchor + datetime.timedelta(weeks=index)
    return add_months(anchor, _MONTHS[frequency] * index)


def periods(
    anchor: datetime.date, frequency: str, last: datetime.date
) -> Iterator[tuple[datetime.date, datetime.date]]:
    """(first day, last day) of each period that starts on or before `last`."""
    index = 0
    start = anchor
    while start <= last:
        following = period_start(anchor, frequency, index + 1)
        yield start, following - ONE_DAY
        index += 1
        start = following


def calendar_period(date: datetime.date, frequency: str) -> str:
    """A label for the calendar period holding `date`: 2025-W07, 2025-03, 2025-Q1, 2025."""
    if frequency == "weekly":
        year, week, _ = date.isocalendar()
        return f"{year}-W{week:02d}"
    if frequency == "monthly":
        return f"{date.year}-{date.month:02d}"
    if frequency == "quarterly":
        return f"{date.year}-Q{(date.month - 1) // 3 + 1}"
    if frequency == "yearly":
        return str(date.year)
    raise ValueError(f"unknown frequency {frequency!r}")


def period_first_day(label: str) -> datetime.date:
    """The first day of a period labelled by calendar_period (2025-W07, 2025-03, 2025-Q1, 2025)."""
    year, _, rest = label.partition("-")
    if not rest:
        return datetime.date(int(year), 1, 1)
    if rest.startswith("W"):
        return datetime.date.fromisocalendar(int(year), int(rest[1:]), 1)
    if rest.startswith("Q"):
        return datetime.date(int(year), (int(rest[1:]) - 1) * 3 + 1, 1)
    return datetime.date(int(year), int(rest), 1)


def months_period(index: int, months: int, first_month: int = 1) -> tuple[datetime.date,
                                                                          datetime.date]:
    """(first day, last day) of a period of `months` months (1, 3 or 12) counted from
    `first_month` (the fiscal year's first month): index `year * 12 + month - first_month`
    divided by `months`, as the till import's SQL numbers its periods."""
    first = index * months + first_month - 1  # months since year 0, January
    start = datetime.date(first // 12, first % 12 + 1, 1)
    return start, add_months(start, months) - ONE_DAY
