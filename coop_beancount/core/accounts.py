"""The co-op's chart of accounts for members.

One member's money is always found under one key::

    Assets:Members:<key>:Receivable        what the member owes: shared costs, other charges
    Assets:Members:<key>:Dues              dues charged and not yet paid (arrears)
    Liabilities:Members:<key>:Payable      what the co-op owes the member
    Equity:Members:<key>:Shares:<Class>    paid-in share capital, per share class
    Equity:Members:<key>:Allocated:FY2025  retained patronage (qualified notices) of FY2025
    Equity:Members:<key>:Allocated:FY2025:NonQualified   ... on non-qualified notices
    Equity:Members:<key>:Retains:FY2025    per-unit retains withheld in FY2025
    Equity:Members:<key>:Retains:FY2025:NonQualified   ... on non-qualified certificates
    Equity:Members:<key>:Interest:FY2027   interest on the capital account credited for FY2027
    Equity:Members:<key>:Losses:FY2025     a loss charged beyond the member's retained equity
    Equity:Coop:Unallocated                the co-op's own: reserve, non-patronage margin
    Liabilities:Coop:TaxWithheld           tax withheld from patronage payments (rules 'ca')

The root names follow the ledger's `name_assets`, `name_liabilities` and
`name_equity` options, so a ledger in another language works too.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from beancount.core import account as account_lib

MEMBERS = "Members"


@dataclass(frozen=True)
class MemberChart:
    """Account names for members, under the ledger's root account names."""

    assets: str = "Assets"
    liabilities: str = "Liabilities"
    equity: str = "Equity"
    income: str = "Income"
    expenses: str = "Expenses"

    @classmethod
    def from_options(cls, options_map: dict[str, Any]) -> MemberChart:
        return cls(
            assets=options_map.get("name_assets", "Assets"),
            liabilities=options_map.get("name_liabilities", "Liabilities"),
            equity=options_map.get("name_equity", "Equity"),
            income=options_map.get("name_income", "Income"),
            expenses=options_map.get("name_expenses", "Expenses"),
        )

    def receivable(self, key: str) -> str:
        return f"{self.assets}:{MEMBERS}:{key}:Receivable"

    def dues(self, key: str) -> str:
        return f"{self.assets}:{MEMBERS}:{key}:Dues"

    def payable(self, key: str) -> str:
        return f"{self.liabilities}:{MEMBERS}:{key}:Payable"

    def shares(self, key: str, share_class: str) -> str:
        return f"{self.equity}:{MEMBERS}:{key}:Shares:{share_class}"

    def shares_root(self, key: str) -> str:
        return f"{self.equity}:{MEMBERS}:{key}:Shares"

    def share_class(self, key: str, account: str) -> str | None:
        """The share class a member account holds, or None if it is not a share account."""
        prefix = f"{self.equity}:{MEMBERS}:{key}:Shares:"
        return account[len(prefix):] if account.startswith(prefix) else None

    def equity_root(self, key: str) -> str:
        return f"{self.equity}:{MEMBERS}:{key}"

    def allocated(self, key: str, year: int, qualified: bool = True) -> str:
        account = f"{self.equity}:{MEMBERS}:{key}:{ALLOCATED}:FY{year}"
        return account if qualified else f"{account}:{NON_QUALIFIED}"

    def retains(self, key: str, year: int, qualified: bool = True) -> str:
        account = f"{self.equity}:{MEMBERS}:{key}:{RETAINS}:FY{year}"
        return account if qualified else f"{account}:{NON_QUALIFIED}"

    def interest(self, key: str, year: int) -> str:
        """Interest on a member's capital account credited for a fiscal year."""
        return f"{self.equity}:{MEMBERS}:{key}:{INTEREST}:FY{year}"

    def losses(self, key: str, year: int) -> str:
        """A year's loss charged to a member beyond their retained equity (a debit)."""
        return f"{self.equity}:{MEMBERS}:{key}:{LOSSES}:FY{year}"

    def loss_year(self, account: str) -> int | None:
        """The fiscal year of a member's `Losses:FY<year>` account, or None."""
        parts = account.split(":")
        if (len(parts) == 5 and parts[0] == self.equity and parts[1] == MEMBERS
                and parts[3] == LOSSES and parts[4].startswith("FY") and parts[4][2:].isdigit()):
            return int(parts[4][2:])
        return None

    def unallocated(self) -> str:
        return f"{self.equity}:Coop:Unallocated"

    def tax_withheld(self) -> str:
        """Tax withheld from members' patronage payments, until it is remitted."""
        return f"{self.liabilities}:Coop:TaxWithheld"

    def retained_equity(self, account: str) -> tuple[int, str] | None:
        """(fiscal year, kind) of a member's retained equity account, or None.

        The kinds are QUALIFIED, NON_QUALIFIED_KIND, RETAIN and INTEREST_KIND.
        """
        return _retained_equity(self.equity, account)

    def shared_costs_income(self) -> str:
        return f"{self.income}:{MEMBERS}:SharedCosts"

    def dues_income(self) -> str:
        return f"{self.income}:{MEMBERS}:Dues"

    def opened_on_joining(self, key: str) -> tuple[str, ...]:
        return (self.receivable(key), self.dues(key), self.payable(key))

    def member_key(self, account: str) -> str | None:
        """The member key of a member account, or None for any other account."""
        parts = account.split(":", 3)
        if len(parts) >= 3 and parts[1] == MEMBERS and parts[0] in (
            self.assets,
            self.liabilities,
            self.equity,
        ):
            return parts[2]
        return None

    def figure_account(self, account: str) -> str | None:
        """The account of the chart a member account counts in: the account itself, or for a
        sub-account (`Assets:Members:Ana:Receivable:Extra`) the chart account it sits under;
        None for an account under a member the chart does not know (`Assets:Members:Ana:Loan`).

        The one rule every figure follows (plugin, reports, Fava pages)."""
        return _figure_account(self.assets, self.liabilities, self.equity, account)

    def kind(self, account: str) -> str:
        """What a member account is for, in words: "Dues", "Shares:Member", "Payable"."""
        parts = account.split(":", 3)
        return parts[3] if len(parts) == 4 else account


ALLOCATED = "Allocated"
RETAINS = "Retains"
INTEREST = "Interest"
LOSSES = "Losses"
NON_QUALIFIED = "NonQualified"
#: The kinds of retained equity, as `retained_equity` names them.
QUALIFIED = "qualified"
NON_QUALIFIED_KIND = "non-qualified"
RETAIN = "retain"
INTEREST_KIND = "interest"


@functools.lru_cache(maxsize=65536)
def _retained_equity(equity: str, account: str) -> tuple[int, str] | None:
    parts = account.split(":")
    if len(parts) not in (5, 6) or parts[0] != equity or parts[1] != MEMBERS:
        return None
    kind, label = parts[3], parts[4]
    if not (label.startswith("FY") and label[2:].isdigit()):
        return None
    if kind == ALLOCATED and len(parts) == 5:
        return int(label[2:]), QUALIFIED
    if kind == ALLOCATED and parts[5] == NON_QUALIFIED:
        return int(label[2:]), NON_QUALIFIED_KIND
    if kind == RETAINS and len(parts) == 5:
        return int(label[2:]), RETAIN
    if kind == INTEREST and len(parts) == 5:
        return int(label[2:]), INTEREST_KIND
    if kind == RETAINS and parts[5] == NON_QUALIFIED:
        # Non-qualified per-unit retain certificates: taxed when redeemed, like
        # non-qualified notices (Form 1099-PATR box 5).
        return int(label[2:]), NON_QUALIFIED_KIND
    return None


#: The accounts a member has under each root: a sub-account counts in the one it sits under.
_ASSET_KINDS = ("Receivable", "Dues")


@functools.lru_cache(maxsize=65536)
def _figure_account(assets: str, liabilities: str, equity: str, account: str) -> str | None:
    parts = account.split(":")
    if len(parts) < 4 or parts[1] != MEMBERS:
        return None
    root, kind, rest = parts[0], parts[3], parts[4:]
    base = ":".join(parts[:4])
    if (root == assets and kind in _ASSET_KINDS) or (root == liabilities and kind == "Payable"):
        return base
    if root != equity or not rest:
        return None
    if kind == "Shares":
        return f"{base}:{rest[0]}"
    if kind == LOSSES and len(rest) == 1 and rest[0].startswith("FY") and rest[0][2:].isdigit():
        return f"{base}:{rest[0]}"  # a loss charged beyond the member's equity: capital too
    if (kind in (ALLOCATED, RETAINS, INTEREST) and rest[0].startswith("FY")
            and rest[0][2:].isdigit()):
        if kind in (ALLOCATED, RETAINS) and rest[1:2] == [NON_QUALIFIED]:
            return f"{base}:{rest[0]}:{NON_QUALIFIED}"
        return f"{base}:{rest[0]}"
    return None


@functools.lru_cache(maxsize=65536)
def _valid_key(key: str) -> bool:
    return ":" not in key and account_lib.is_valid(f"Assets:{MEMBERS}:{key}")


def is_valid_key(key: str) -> bool:
    """Whether `key` can be one component of an account name (A-Z or digit first)."""
    # Cached: every coop-hours line names a member, and the check is a regex.
    return isinstance(key, str) and _valid_key(key)


def is_valid_share_class(name: str) -> bool:
    return isinstance(name, str) and ":" not in name and account_lib.is_valid(f"Equity:{name}")
