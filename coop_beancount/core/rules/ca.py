"""Canada: payments in proportion to patronage under section 135 of the Income Tax Act.

    plugin "coop_beancount.plugins.coop" "{'rules': 'ca'}"

* The co-op deducts payments made under an allocation in proportion to patronage
  within the fiscal year or within 12 months after it (ITA s.135(1)). "Payment"
  includes shares and certificates of indebtedness issued and amounts credited
  (s.135(4)), so the retained part counts as paid like the cash part.
* The co-op withholds 15% of what it pays a resident of Canada in a calendar year
  above 100 dollars, and remits it to the Receiver General (s.135(3); CRA, Patronage
  allowances: "You give Colin a $250 patronage payment ... The withholding tax is
  $22.50"). It is withheld from the cash part.
* Payments are reported on the T4A slip: box 030 (patronage allocations), box 022
  (income tax deducted); a slip is due when tax was withheld or the payments of the
  year total more than 500 dollars (Income Tax Regulations s.218; CRA RC4157).

Not modelled: members exempt under s.149 or paid for consumer goods or services
(no withholding, s.135(3) and (7)), non-residents (Part XIII), the s.135(2) limit
when non-members are not paid at the same rate.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from coop_beancount.core.rules import RuleSet, Withholding, months_after

#: 15% of the payments of a calendar year above 100 dollars (ITA s.135(3)).
WITHHOLDING = Withholding(rate=Decimal("0.15"), threshold=Decimal("100.00"),
                          reported_in="T4A box 022")
#: A T4A slip is due above this total in a year (or whenever tax was withheld).
SLIP_MINIMUM = Decimal("500.01")


def deadline(year_end: datetime.date) -> datetime.date:
    """Within the year or 12 months after it (ITA s.135(1))."""
    return months_after(year_end, 12)


RULES = RuleSet(
    name="ca",
    title="Canada (Income Tax Act s.135)",
    minimum_cash=None,
    qualified_notices=False,
    deadline=deadline,
    deadline_text="12 months after the year ends",
    deadline_label="12 months after year end",
    withholding=WITHHOLDING,
    tax_form="T4A",
    form_minimum=SLIP_MINIMUM,
    sources=(
        "Income Tax Act (Canada) s.135: (1) deduction, (3) withholding, (4) definitions",
        "Income Tax Regulations s.218; CRA guide RC4157 (T4A slips)",
        "CRA, Patronage allowances (payroll: special payments)",
    ),
)
