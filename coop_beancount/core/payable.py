"""When a credit to a member's payable is paid: first in, first out.

    2026-03-13 custom "coop-allocation" 2025 "patronage" ... paid: 2026-03-13
      ; the plugin credits Liabilities:Members:Ana:Payable with Ana's cash part
    2026-03-20 * "Dividend cash to Ana"
      Liabilities:Members:Ana:Payable   300.00 USD     ; money leaves the payable
      Assets:Bank                      -300.00 USD

Each member's payable (its sub-accounts included) is followed in date order, in each
currency on its own. Every debit (a payment from the bank, a set-off against what
the member owes, tax withheld, a per-unit retain taken from their proceeds) pays the
oldest credit still unpaid, then the next. A debit with no credit left to pay (the
payable in debit: the member owes the co-op) waits, and the next credit is set off
against it on the day that credit is made. On one day, credits come before debits,
so a cash part paid the day it is credited is paid that day.

A credit is paid on the day the last of it is paid; `Credit.payments` says how much
was paid on which day (a cash part paid in two calendar years is income in both).

Pure: plain numbers in, plain numbers out.
"""

from __future__ import annotations

import datetime
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class Credit:
    """One credit to a member's payable and what has paid it so far."""

    date: datetime.date
    amount: Decimal
    #: (date, amount) of each payment of it, in date order.
    payments: list[tuple[datetime.date, Decimal]] = field(default_factory=list)

    @property
    def unpaid(self) -> Decimal:
        return self.amount - sum((amount for _, amount in self.payments), Decimal(0))

    @property
    def paid(self) -> datetime.date | None:
        """The day the last of it was paid; None while some of it is unpaid."""
        return self.payments[-1][0] if self.payments and not self.unpaid else None

    def paid_by(self, day: datetime.date) -> Decimal:
        """How much of it was paid on or before `day`."""
        return sum((amount for when, amount in self.payments if when <= day), Decimal(0))


def follow(movements: Iterable[tuple[datetime.date, Decimal, Credit | None]]) -> None:
    """Pay the credits of one member's payable in one currency, first in, first out.

    `movements` are (date, number, credit) in the payable's sign: a negative number is a
    credit (with its Credit, whose payments this fills in, or None for a credit nobody
    asks about), a positive one a debit.
    """
    credits: deque[Credit] = deque()
    owed: deque[list[Any]] = deque()  # debits with no credit to pay yet: [date, amount]
    # Credits before debits on one day; otherwise the order given (stable sort).
    for date, number, credit in sorted(movements, key=lambda m: (m[0], m[1] > 0)):
        if number < 0:
            entry = credit or Credit(date, -number)
            left = -number
            while left and owed:  # set off against what the member owed: paid today
                take = min(left, owed[0][1])
                entry.payments.append((date, take))
                left -= take
                owed[0][1] -= take
                if not owed[0][1]:
                    owed.popleft()
            if left:
                credits.append(entry)
        elif number > 0:
            left = number
            while left and credits:
                oldest = credits[0]
                take = min(left, oldest.unpaid)
                oldest.payments.append((date, take))
                left -= take
                if not oldest.unpaid:
                    credits.popleft()
            if left:
                owed.append([date, left])

