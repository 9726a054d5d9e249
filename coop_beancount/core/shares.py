"""Member shares: subscribed versus paid, instalments, and redemption on leaving.

    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-subscription" "Alice" "Member" 1

    2025-01-05 * "Alice: first share instalment"
      Assets:Bank                          5.00 USD
      Equity:Members:Alice:Shares:Member  -5.00 USD

A share is recorded as capital when it is paid (so instalments are never
counted twice); the subscription says how much the member has promised. At
no date may a member have paid in more than they subscribed. When a member
leaves, what they paid in is redeemed at par: it moves to the member's payable.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from coop_beancount.core.records import Member, ShareClass, Subscription

ZERO = Decimal(0)


@dataclass(frozen=True)
class SharePayment:
    """A posting to a member's share account: paid is positive, a refund negative."""

    date: datetime.date
    member: str
    share_class: str
    paid: Decimal
    currency: str
    source: dict


@dataclass
class Holding:
    """One member's position in one share class."""

    member: str
    share_class: str
    currency: str
    par: Decimal
    count: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def subscribed(self) -> Decimal:
        return self.count * self.par

    @property
    def unpaid(self) -> Decimal:
        return self.subscribed - self.paid


@dataclass
class ShareLedger:
    holdings: dict[tuple[str, str], Holding] = field(default_factory=dict)
    problems: list[tuple[dict, str]] = field(default_factory=list)


def track_shares(
    share_classes: Mapping[str, ShareClass],
    members: Mapping[str, Member],
    subscriptions: Iterable[Subscription],
    payments: Iterable[SharePayment],
) -> ShareLedger:
    """Replay subscriptions and payments in date order; report every breach of the rules."""
    result = ShareLedger()
    # Subscriptions sort before payments of the same day: a member may
    # subscribe and pay the first instalment on the day they join.
    events: list[tuple[datetime.date, int, Subscription | SharePayment]] = [
        (s.date, 0, s) for s in subscriptions
    ]
    events.extend((p.date, 1, p) for p in payments)
    events.sort(key=lambda event: (event[0], event[1]))
    for _, _, event in events:
        if isinstance(event, Subscription):
            _subscribe(result, share_classes, members, event)
        else:
            _pay(result, share_classes, event)
    return result


def _subscribe(result: ShareLedger, share_classes: Mapping[str, ShareClass],
               members: Mapping[str, Member], sub: Subscription) -> None:
    share_class = share_classes.get(sub.share_class)
    member = members.get(sub.member)
    if share_class is None:
        known = ", ".join(sorted(share_classes)) or "none declared"
        result.problems.append((sub.source, (
            f"subscription names unknown share class {sub.share_class!r} (known: {known}); "
            "declare it with coop-share-class")))
        return
    if member is None:
        result.problems.append((sub.source, f"subscription names unknown member {sub.member!r}"))
        return
    if sub.date < share_class.date:
        result.problems.append((sub.source, (
            f"subscription on {sub.date} to share class {share_class.name!r}, which is declared "
            f"from {share_class.date}; date the share class earlier")))
        return
    if not member.is_active(sub.date):
        result.problems.append((sub.source, (
            f"member {sub.member!r} is not a member on {sub.date} ({member.membership}) "
            "and cannot subscribe")))
        return
    holding = _holding(result, share_class, sub.member)
    holding.count += sub.count


def _holding(result: ShareLedger, share_class: ShareClass, member: str) -> Holding:
    key = (member, share_class.name)
    if key not in result.holdings:
        result.holdings[key] = Holding(member, share_class.name, share_class.currency,
                                       share_class.par)
    return result.holdings[key]


def _pay(result: ShareLedger, share_classes: Mapping[str, ShareClass],
         payment: SharePayment) -> None:
    share_class = share_classes.get(payment.share_class)
    if share_class is None:
        known = ", ".join(sorted(share_classes)) or "none declared"
        result.problems.append((payment.source, (
            f"posting to shares of unknown class {payment.share_class!r} (known: {known})")))
        return
    if payment.currency != share_class.currency:
        result.problems.append((payment.source, (
            f"{payment.member}'s {share_class.name} shares are in {share_class.currency}, "
            f"not {payment.currency}")))
        return
    holding = _holding(result, share_class, payment.member)
    holding.paid += payment.paid
    if holding.paid > holding.subscribed:
        result.problems.append((payment.source, (
            f"member {payment.member!r} has now paid {holding.paid} {holding.currency} for "
            f"{share_class.name} shares but subscribed only {holding.subscribed} "
            f"{holding.currency} ({holding.count} at {holding.par}); record a further "
            "coop-subscription first, or book the excess elsewhere")))
    elif holding.paid < 0:
        result.problems.append((payment.source, (
            f"member {payment.member!r} would have a negative {share_class.name} share "
            f"balance ({holding.paid} {holding.currency}): more paid back than paid in")))
