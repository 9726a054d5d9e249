"""United States: patronage dividends under Subchapter T of the Internal Revenue Code.

    plugin "coop_beancount.plugins.coop"                      ; the default
    plugin "coop_beancount.plugins.coop" "{'rules': 'us'}"

* A written notice of allocation is *qualified* when the member consented and at
  least 20% of the patronage dividend is paid in cash (IRC §1388(c)(1)); the
  co-op deducts it now and the member is taxed on it now. A non-qualified notice
  is deducted, and taxed, when it is redeemed (§1385, §1388(d)).
* The dividend counts for a fiscal year when it is paid within the payment period:
  by the 15th day of the 9th month after the year ends (§1382(d); 26 CFR 1.1382-4).
* Form 1099-PATR is filed for each recipient paid 10 dollars or more of patronage
  dividends, per-unit retains and redemptions in a calendar year (26 CFR 1.6044-2;
  Instructions for Form 1099-PATR), or from whom tax was withheld, whatever the amount.
* Backup withholding: a payee who has not given the co-op a taxpayer number, or whom
  the IRS named in a B-notice (an incorrect TIN), has 24% withheld from the payments
  reported in boxes 1, 2, 3 and 5, "only to the extent such payment is in money" (IRC
  §3406(a)(1)(A)-(B), (b)(2)(A)(iii); 24% since 2018); the co-op reports it in box 4 and
  remits it. (The rule of §3406(b)(2)(B), half or more in money, is for the other two
  grounds, underreporting and certification failures, which the co-op is told of by the
  IRS; it does not apply to a missing or incorrect TIN.)
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from coop_beancount.core.rules import RuleSet, months_after

#: The least cash part of a qualified written notice of allocation (IRC §1388(c)(1)(A)).
QUALIFIED_MINIMUM_CASH = Decimal("0.20")
#: Form 1099-PATR is filed for a recipient paid at least this much in the calendar year.
FORM_MINIMUM = Decimal("10.00")
#: Backup withholding: this share of what is paid in cash (IRC §3406(a)(1)).
BACKUP_WITHHOLDING = Decimal("0.24")


def deadline(year_end: datetime.date) -> datetime.date:
    """The last day of the payment period: the 15th day of the 9th month after year end."""
    return months_after(year_end, 9, 15)


RULES = RuleSet(
    name="us",
    title="United States (IRC Subchapter T)",
    minimum_cash=QUALIFIED_MINIMUM_CASH,
    qualified_notices=True,
    deadline=deadline,
    deadline_text="the 15th day of the 9th month after the year ends",
    deadline_label="15th day of the 9th month after year end",
    withholding=None,
    tax_form="1099-PATR",
    form_minimum=FORM_MINIMUM,
    sources=(
        "IRC §§1381-1388 (Subchapter T): §1382(d) payment period, §1388(c) qualified notices",
        "26 CFR 1.1382-4 (the payment period), 26 CFR 1.6044-2 (returns of patronage dividends)",
        "IRS Instructions for Form 1099-PATR",
        "IRC §3406 (backup withholding); General Instructions for Certain Information Returns",
    ),
    backup_withholding=BACKUP_WITHHOLDING,
)
