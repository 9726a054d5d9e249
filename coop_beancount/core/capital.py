"""Members' internal capital accounts (a worker co-op): losses charged, a leaver's payout,
interest on the accounts.

    2026-03-01 custom "coop-allocation" 2025
      margin: "Income Expenses"
      measure: "hours"
      reserve: "25%"            ; the collective account's share of the loss
      loss: "charge"
    2025-06-30 custom "coop-leave" "Dana"
    2025-07-01 custom "coop-payout" "Dana" 5 "yearly"

A year's loss, as the decision says, is charged: the collective account's share
(`reserve:`) is the loss times the share, rounded half up to the cent; the rest is
shared among the members by patronage with `allocate` (largest remainder), so the
parts add up to the loss exactly. Each member's part is set against their retained
equity, oldest fiscal year first (as a redemption would take it); what their equity
cannot cover is left on `Losses:FY<year>`, a negative balance in their capital account.

    2025-06-30 custom "coop-leave" "Dana"
    2025-07-01 custom "coop-payout" "Dana" 5 "yearly"

From its date, a payout schedule pays back everything of the member's retained
equity outstanding on that date (every fiscal year, qualified, non-qualified and
retains) in `count` instalments, one per period from the directive's date. The
instalments are equal parts of that total to the cent: the largest remainder rule
(`allocate`), the odd cents to the earliest instalments. Each is a redemption of
the member's equity, oldest fiscal year first, into their payable; what the
member owes the co-op on that payable is set off by it, and the co-op pays the rest.

A loss left on `Losses:FY<year>` is netted off what the member is later paid from their
capital account: a payout schedule first sets the member's losses off against their
retained equity (oldest year of each first) and pays the rest in instalments; a redemption
of a member's equity sets their losses off before anything goes to their payable.

    2027-01-01 custom "coop-interest" "5%" "credited"

Interest on capital accounts, from the first day of a fiscal year: each fiscal year the
rate applies to, each member's capital account balance at the start of the year (their
retained equity outstanding, interest credited earlier included, less losses charged
beyond it; everything dated before the year's first day) earns the rate for the year.
Each member's interest is rounded half up to the cent on its own (there is no total to
share, so no odd cent to place); a balance of zero or less earns nothing.

Pure: numbers and dates in, numbers and dates out.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from coop_beancount.core.allocation import allocate
from coop_beancount.core.periods import period_start

CENT = Decimal("0.01")

#: How interest reaches the member: added to their capital account, or to their payable.
INTEREST_WAYS = ("credited", "paid")

#: The frequencies a payout schedule may use (as for dues).
PAYOUT_FREQUENCIES = ("monthly", "quarterly", "yearly")


def charge_loss(loss: Decimal, collective_share: Decimal, patronage: Mapping[str, Decimal],
                ) -> tuple[Decimal, dict[str, Decimal]]:
    """(the collective account's part, each member's part) of a loss (a positive number)."""
    collective = (loss * collective_share).quantize(CENT, rounding=ROUND_HALF_UP)
    weights = {member: quantity for member, quantity in patronage.items() if quantity > 0}
    return collective, allocate(loss - collective, weights, None, CENT)


def instalments(total: Decimal, count: int, start: datetime.date, frequency: str,
                ) -> list[tuple[datetime.date, Decimal]]:
    """(date, amount) of each instalment: equal parts adding up to `total` exactly."""
    keys = {f"{index:05d}": Decimal(1) for index in range(count)}
    parts = allocate(total, keys, None)  # ties to the lower key: the earlier instalment
    return [(period_start(start, frequency, index), parts[f"{index:05d}"])
            for index in range(count)]


def interest(balance: Decimal, rate: Decimal) -> Decimal:
    """A year's interest on a capital account balance, rounded half up to the cent."""
    if balance <= 0:
        return Decimal("0.00")
    return (balance * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def set_off(amount: Decimal, debts: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """What of `amount` goes to each debt (account -> what is owed), oldest (lowest key)
    first, until `amount` or the debts run out."""
    taken: dict[str, Decimal] = {}
    for key in sorted(debts):
        if amount <= 0:
            break
        part = min(amount, debts[key])
        if part > 0:
            taken[key] = part
            amount -= part
    return taken
