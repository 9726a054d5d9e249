"""Settling up: who owes whom, and the fewest payments that clear it all.

A member's position is their receivable (shared costs and other charges they
owe) less their payable (what the co-op owes them: out-of-pocket purchases,
redemptions). Dues are not part of it: they are owed to the co-op alone and
paid the usual way.

The co-op is a party too (its position is minus the members' total). The
proposal is greedy: the largest debtor pays the largest creditor as much as
it can, again and again. Each payment clears at least one party, so there
are never more than parties - 1 payments; ties go to the lower key, so the
same books always give the same proposal. A member who is both owed and
owing first has the two set off against each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

#: The co-op itself, as a party to a settle-up.
COOP = ""


@dataclass(frozen=True)
class Position:
    member: str
    receivable: Decimal
    payable: Decimal  # what the co-op owes the member, as a positive number

    @property
    def net(self) -> Decimal:
        """Positive: the member owes; negative: the member is owed."""
        return self.receivable - self.payable


@dataclass(frozen=True)
class Payment:
    payer: str  # a member key, or COOP
    payee: str
    amount: Decimal


@dataclass(frozen=True)
class SetOff:
    member: str
    amount: Decimal


def set_offs(positions: Mapping[str, Position]) -> list[SetOff]:
    """Receivable against payable for members who have both."""
    return [SetOff(key, min(p.receivable, p.payable))
            for key, p in sorted(positions.items())
            if p.receivable > 0 and p.payable > 0]


def settle_up(positions: Mapping[str, Position]) -> list[Payment]:
    """The payments that bring every member (and so the co-op) to zero."""
    balances = {key: p.net for key, p in positions.items() if p.net != 0}
    coop = -sum(balances.values(), Decimal(0))
    if coop != 0:
        balances[COOP] = coop
    payments = []
    while balances:
        debtor = max(balances, key=lambda k: (balances[k], _lower_first(k)))
        creditor = min(balances, key=lambda k: (balances[k], k))
        amount = min(balances[debtor], -balances[creditor])
        if amount <= 0:  # pragma: no cover - the balances always sum to zero
            break
        payments.append(Payment(debtor, creditor, amount))
        for key, change in ((debtor, -amount), (creditor, amount)):
            balances[key] += change
            if balances[key] == 0:
                del balances[key]
    return payments


def _lower_first(key: str) -> tuple[int, ...]:
    # max() picks the largest; among equal balances we want the lowest key.
    return tuple(-ord(c) for c in key)
