"""Members' internal capital accounts (a worker co-op): losses charged, a leaver's payout.

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

Pure: numbers and dates in, numbers and dates out.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from coop_beancount.core.allocation import allocate
from coop_beancount.core.periods import period_start

CENT = Decimal("0.01")

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
