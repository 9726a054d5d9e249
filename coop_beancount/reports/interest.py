"""Interest on members' capital accounts: the figures of each member's Form 1099-INT.

    2027-01-01 custom "coop-interest" "5%" "credited"

The plugin books each fiscal year's interest on its last day (`coop-generated:
"interest"`), to each member's `Interest:FY<year>` account (credited) or payable (paid).
Box 1 (interest income) of a calendar year is the interest credited or paid to the member
in that year: interest credited to a capital account is the member's income when credited,
as it is when paid. The co-op files a 1099-INT for a member whose box 1 is 10.00 or more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from beancount.core import data

from coop_beancount.books.patronage import GENERATED
from coop_beancount.books.register import PrivateDetails
from coop_beancount.reports.patronage import ReportError, plugin_settings
from coop_beancount.reports.view import CoopBooks

#: The IRS's threshold for a Form 1099-INT (interest of 10.00 or more in the year).
FORM_1099_INT_MINIMUM = Decimal("10.00")
INTEREST = "interest"


@dataclass(frozen=True)
class Form1099Int:
    """One recipient's Form 1099-INT figures for a calendar year."""

    member: str
    name: str
    tin: str
    address: str
    box1: Decimal  # interest income: credited to the capital account or paid


def form_1099_int(books: CoopBooks, year: int,
                  register: Mapping[str, PrivateDetails] | None = None,
                  minimum: Decimal = FORM_1099_INT_MINIMUM,
                  ) -> tuple[list[Form1099Int], str]:
    """Per member credited or paid at least `minimum` of interest in calendar year `year`;
    and the currency. The TIN and address come from the private register, if given.

    Raises ReportError when the books keep another country's rules, or hold the interest
    in several currencies."""
    rules = plugin_settings(books.options).rules
    if rules.tax_form != "1099-PATR":
        raise ReportError(
            f"the books keep the rules {rules.name!r} ({rules.title}); Form 1099-INT is a US "
            "form, for books with the rules 'us'")
    chart = books.chart
    box1: dict[str, Decimal] = defaultdict(Decimal)
    found: set[str] = set()
    for entry in books.entries:
        if (type(entry) is not data.Transaction or entry.date.year != year
                or entry.meta.get(GENERATED) != INTEREST):
            continue
        for posting in entry.postings:
            member = chart.member_key(posting.account)
            if member is not None:
                box1[member] -= posting.units.number
                found.add(posting.units.currency)
    if len(found) > 1:
        raise ReportError(f"interest was credited in several currencies in {year} "
                          f"({', '.join(sorted(found))}); Form 1099-INT is in US dollars")
    members, register = books.records.members, register or {}
    rows = []
    for key, amount in sorted(box1.items()):
        if amount < minimum:
            continue
        details = register.get(key, PrivateDetails(key))
        rows.append(Form1099Int(key, members[key].name if key in members else "",
                                details.tin, details.address, amount))
    return rows, (found.pop() if found else "USD")
