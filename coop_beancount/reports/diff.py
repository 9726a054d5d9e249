"""What a change to the books does to members' money: the comparison behind `coop diff`.

    coop diff main.beancount                        the working tree against HEAD
    coop diff main.beancount --from A~1 --to A      what commit A changed

A git diff of the books shows the decisions (a new `split:` line, a member leaving);
this shows their arithmetic: for each member, what they paid in for shares, owe in dues
and otherwise, are owed by the co-op, and hold as capital and as retained patronage
equity, on each side of the change. Only the members and figures that change are
listed, with the co-op's totals.

Pure: plain figures in (from each side's loaded books, by `member_money`), rows out.
Checking out a revision is `coop_beancount.books.revisions`; the command is in cli/review.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from coop_beancount.reports.members import member_rows
from coop_beancount.reports.view import CoopBooks, Money, add, cleaned

#: The money figures compared, in order: (MemberRow field, heading).
FIGURES = (
    ("shares_paid", "Paid in"),
    ("dues_owed", "Dues owed"),
    ("other_owed", "Other owed"),
    ("payable", "Co-op owes"),
    ("capital", "Capital"),
    ("allocated", "Retained equity"),
)
#: The `member` of the rows that total the co-op.
TOTAL = ""


@dataclass(frozen=True)
class MemberMoney:
    """One member's money figures on one side of a change."""

    key: str
    name: str
    figures: Mapping[str, Money]


@dataclass(frozen=True)
class Change:
    """One figure of one member (or of the co-op, `member == TOTAL`) that changes."""

    member: str
    name: str
    figure: str
    before: Money
    after: Money

    @property
    def change(self) -> Money:
        money: Money = dict(self.after)
        for currency, number in self.before.items():
            add(money, currency, -number)
        return cleaned(money)

    @property
    def heading(self) -> str:
        return dict(FIGURES)[self.figure]


def member_money(books: CoopBooks) -> dict[str, MemberMoney]:
    """Every member's figures from loaded books, by member key."""
    return {row.key: MemberMoney(row.key, row.name,
                                 {figure: cleaned(getattr(row, figure)) for figure, _ in FIGURES})
            for row in member_rows(books)}


def compare(before: Mapping[str, MemberMoney],
            after: Mapping[str, MemberMoney]) -> list[Change]:
    """The figures that differ, member by member in key order, then the co-op's totals.

    A member on one side only (joined, or declared in the change) counts as having
    nothing on the other side.
    """
    changes = []
    totals = {side: {figure: {} for figure, _ in FIGURES} for side in ("before", "after")}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        name = (new or old).name
        for figure, _ in FIGURES:
            was = cleaned(old.figures.get(figure, {})) if old else {}
            now = cleaned(new.figures.get(figure, {})) if new else {}
            _add_to(totals["before"][figure], was)
            _add_to(totals["after"][figure], now)
            if was != now:
                changes.append(Change(key, name, figure, was, now))
    for figure, _ in FIGURES:
        was, now = cleaned(totals["before"][figure]), cleaned(totals["after"][figure])
        if was != now:
            changes.append(Change(TOTAL, "the co-op", figure, was, now))
    return changes


def _add_to(total: Money, money: Mapping[str, Decimal]) -> None:
    for currency, number in money.items():
        add(total, currency, number)


def joined_and_gone(before: Mapping[str, MemberMoney],
                    after: Mapping[str, MemberMoney]) -> tuple[list[str], list[str]]:
    """Members declared only after the change, and only before it."""
    return sorted(set(after) - set(before)), sorted(set(before) - set(after))
