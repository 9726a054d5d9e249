"""Membership rules: who may have postings when, and leaving with clear accounts.

    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-07-15 custom "coop-leave" "Alice"

A member is a member from the join date through the leave date inclusive.
Nothing may be posted to their accounts outside that time, with one
exception: after leaving, the co-op may still pay out what it owes them
(their payable and retained patronage equity), because bylaws often repay a
leaver's capital later.

On the leave date their receivable and dues must be clear (settle them, or
set them off against the payable on that date), and their share accounts
must be empty (the plugin redeems them into the payable unless the leave says
`redeem-shares: FALSE`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal

from coop_beancount.core.accounts import MemberChart
from coop_beancount.core.records import Member

#: Balances of one member's accounts: account -> currency -> number.
Balances = Mapping[str, Mapping[str, Decimal]]


def posting_problem(
    chart: MemberChart, members: Mapping[str, Member], key: str, account: str,
    date: datetime.date,
) -> str | None:
    """Why a posting to a member account on `date` is not allowed, or None."""
    member = members.get(key)
    if member is None:
        return (f"{account} belongs to unknown member {key!r}; declare the member with "
                f'coop-member or fix the key (known members: {_some(members)})')
    if date < member.joined:
        return (f"posting to {account} on {date}, before member {key!r} joined on "
                f"{member.joined}")
    if (member.left is not None and date > member.left and account != chart.payable(key)
            and chart.retained_equity(account) is None and chart.loss_year(account) is None):
        return (f"posting to {account} on {date}, after member {key!r} left on {member.left}; "
                f"after leaving only {chart.payable(key)} and their retained patronage equity "
                "may change (paying out what the co-op owes them)")
    return None


def leaving_problems(chart: MemberChart, member: Member, balances: Balances) -> list[str]:
    """What is left on a leaving member's accounts at the end of their leave date."""
    problems = []
    for account, positions in sorted(balances.items()):
        if (account == chart.payable(member.key) or chart.retained_equity(account) is not None
                or chart.loss_year(account) is not None):
            # Owed to the member (or a loss charged beyond their equity, netted off it):
            # paid out after leaving, on the bylaws' schedule.
            continue
        for currency, number in sorted(positions.items()):
            if number != 0 and chart.share_class(member.key, account) is not None:
                problems.append(
                    f"member {member.key!r} left on {member.left} with {-number} {currency} of "
                    f"shares still on {account} and redeem-shares: FALSE; book the shares out "
                    "(a transfer to another member, or a forfeit to the co-op) on or before the "
                    "leave date, or drop redeem-shares: FALSE to pay them back at par"
                )
            elif number != 0:
                problems.append(
                    f"member {member.key!r} left on {member.left} with {number} {currency} "
                    f"still on {account}; clear it on or before the leave date (a payment, or "
                    f"a set-off against {chart.payable(member.key)})"
                )
    return problems


def _some(members: Mapping[str, Member], limit: int = 8) -> str:
    keys = sorted(members)
    shown = ", ".join(keys[:limit])
    return shown + (", ..." if len(keys) > limit else "") if keys else "none"
