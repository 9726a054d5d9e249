"""Tax rules by country: what a patronage allocation is checked against, and what follows it.

    plugin "coop_beancount.plugins.coop" "{'rules': 'ca'}"

One module per rule set, each a reader can take in whole with its sources:

* `us` (the default): IRC Subchapter T, Form 1099-PATR;
* `none`: an informal co-op that files no patronage tax form: allocations, splits
  and equity, without tax checks;
* `ca`: Canada, Income Tax Act s.135, the T4A slip.

The arithmetic (pool, largest remainder, cash part, redemptions) is the same under
every rule set (core/patronage.py); a rule set only says which checks apply.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Withholding:
    """Tax the co-op withholds from patronage payments and remits for the member."""

    rate: Decimal
    #: Only what a recipient is paid above this in a calendar year is withheld on.
    threshold: Decimal
    #: Where the withheld tax is reported ("T4A box 022").
    reported_in: str


@dataclass(frozen=True)
class RuleSet:
    """The rules of one country (or none) for patronage dividends."""

    name: str
    title: str
    #: The least cash share of a qualified notice of allocation; None: no such rule.
    minimum_cash: Decimal | None
    #: Whether notices are qualified or non-qualified (a US distinction).
    qualified_notices: bool
    #: The last day a fiscal year's dividend may be paid, from the year's last day; or None.
    deadline: Callable[[datetime.date], datetime.date] | None
    #: The deadline in words, for messages ("the 15th day of the 9th month after the year
    #: ends"), and shorter, for the name of its check ("15th day of the 9th month after year
    #: end").
    deadline_text: str
    deadline_label: str
    withholding: Withholding | None
    #: The tax form patronage is reported on ("1099-PATR", "T4A"), or None.
    tax_form: str | None
    #: A form is due for a recipient paid at least this much in the calendar year.
    form_minimum: Decimal | None
    #: The law and guidance behind the rules, for the docs and the notices.
    sources: tuple[str, ...]
    #: Backup withholding from a member without a taxpayer number (or named in an IRS
    #: B-notice), as a rate of what is paid in cash; None: no such rule.
    backup_withholding: Decimal | None = None


#: The names a `rules` setting takes.
NAMES = ("us", "none", "ca")


def rule_set(name: str) -> RuleSet:
    """The rule set called `name` (one of NAMES); KeyError for any other."""
    from coop_beancount.core.rules import ca, none, us  # the modules import this one

    return {"us": us.RULES, "none": none.RULES, "ca": ca.RULES}[name]


def months_after(day: datetime.date, months: int, day_of_month: int | None = None,
                 ) -> datetime.date:
    """The date `months` calendar months after `day`, on `day_of_month` (default: the
    same day, or the month's last day when it has no such day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day_of_month or day.day, last))
