"""Which member a bank payment is from (or to), and which of their accounts it settles.

The rules come from two places. The books say who a member is on a statement::

    2025-01-01 custom "coop-member" "Ana" "Ana Souza"
      iban: "DE89 3704 0044 0532 0130 00"   ; or any account number; several: comma-separated
      bank-name: "A SOUZA"                  ; the name her bank sends, if not her display name

and import.yaml says what a payment is for, and adds names and account numbers::

    matching:
      inflow: receivable          # a member's payment in, when no reference rule says: (default)
      outflow: payable            # a payment out to a member (a reimbursement) (default)
      unknown_inflow: Income:Unknown      # the placeholder for a payment nobody matched
      unknown_outflow: Expenses:Unknown
      names:                      # names on statements -> member key
        "SOUZA, ANA": Ana
      accounts:                   # IBANs or account numbers -> member key (quote them)
        "0042117734": Chloe
      references:                 # searched in the reference, then in the narration
        - pattern: '\\bshares?\\b' # case-insensitive regular expression ('Shared' is not one)
          to: shares:Member       # who: found by account number or name (below)
        - pattern: 'dues (?P<member>\\w+)'
          to: dues                # who: the member key in the reference
        - pattern: 'PEA-\\d{4}-\\d{2}'
          to: Assets:Clients:PearlStreetPress   # an account: no member involved

A target (`to`) is `dues` (Assets:Members:<key>:Dues), `receivable`, `payable`, `shares:<Class>`
(Equity:Members:<key>:Shares:<Class>), or an account name.

The order, first match wins:

1. Reference rules, in the order written: what the payer wrote is the most specific fact.
   The member is the rule's `member:`, else the pattern's `member` group (a member key, any
   case; a group that names no member skips the rule), else the member found by 2 or 3.
2. The counterparty's IBAN or account number (spaces, dashes and case ignored).
3. The counterparty's name: the member's display name, their `bank-name:`, or a configured
   name; case, spaces and accents ignored ("TOMAS  HERRERA" is "Tomás Herrera").

A match says why in `coop-match`: "reference", "iban", "name", or "reference+iban" /
"reference+name" (the reference said what for, the account number or name said who). A
payment that matches nobody, matches two members (a shared account, two members with one
name), or matches a member who is not a member on the payment's date, is not matched: it
gets the placeholder account and a `coop-note` saying why. Never a guess.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core import account as account_lib
from beancount.core import data

from coop_beancount.books.directives import read_records
from coop_beancount.core.accounts import MemberChart, is_valid_share_class

MEMBER_TARGETS = ("dues", "receivable", "payable")
SHARES = "shares:"
#: coop-member metadata read by the matching rules.
IBAN_META = "iban"
BANK_NAME_META = "bank-name"

_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


@functools.lru_cache(maxsize=4096)  # a statement names the same few payers again and again
def normalize_name(name: str) -> str:
    """'  Tomás  HERRERA ' -> 'tomas herrera': case, spaces and accents do not count."""
    if not name.isascii():
        decomposed = unicodedata.normalize("NFKD", name)
        name = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(name.split()).casefold()


@functools.lru_cache(maxsize=4096)
def normalize_account_number(number: str) -> str:
    """'de89 3704-0044' -> 'DE8937040044'."""
    return _NOT_ALNUM.sub("", number).upper()


def target_error(target: str) -> str | None:
    """Why `target` is not a valid `to:` value, or None if it is."""
    if target in MEMBER_TARGETS:
        return None
    if target.startswith(SHARES):
        share_class = target[len(SHARES):]
        if is_valid_share_class(share_class) and share_class:
            return None
        return f"{target!r} names no valid share class (write shares:Member)"
    if account_lib.is_valid(target):
        return None
    return (f"{target!r} is not dues, receivable, payable, shares:<Class> or an account name "
            "such as Assets:Clients:Receivable")


def is_member_target(target: str) -> bool:
    return target in MEMBER_TARGETS or target.startswith(SHARES)


def target_account(target: str, key: str | None, chart: MemberChart) -> str:
    """The account a target means for a member: 'dues' for Ana is Assets:Members:Ana:Dues."""
    if not is_member_target(target):
        return target
    assert key is not None, "a member target needs a member"
    if target == "dues":
        return chart.dues(key)
    if target == "receivable":
        return chart.receivable(key)
    if target == "payable":
        return chart.payable(key)
    return chart.shares(key, target[len(SHARES):])


@dataclass(frozen=True)
class ReferenceRule:
    """A pattern in the payment's reference, what the payment is for, and maybe who."""

    pattern: re.Pattern[str]
    #: None: the inflow or outflow default.
    to: str | None = None
    #: A fixed member key; otherwise the pattern's `member` group, or the account number/name.
    member: str | None = None


@dataclass(frozen=True)
class MatchingConfig:
    references: tuple[ReferenceRule, ...] = ()
    #: Normalized name on a statement -> member key.
    names: Mapping[str, str] = field(default_factory=dict)
    #: Normalized account number -> member key.
    accounts: Mapping[str, str] = field(default_factory=dict)
    inflow: str = "receivable"
    outflow: str = "payable"
    unknown_inflow: str = "Income:Unknown"
    unknown_outflow: str = "Expenses:Unknown"


@dataclass(frozen=True)
class MemberInfo:
    """What matching needs to know of a member."""

    key: str
    name: str
    joined: datetime.date
    left: datetime.date | None = None
    #: Normalized IBANs or account numbers.
    accounts: tuple[str, ...] = ()
    #: The names their bank sends, besides `name`.
    bank_names: tuple[str, ...] = ()

    def is_active(self, date: datetime.date) -> bool:
        return self.joined <= date and (self.left is None or date <= self.left)


def _text_meta(meta: Mapping[str, Any], key: str) -> str:
    value = meta.get(key)
    return value if isinstance(value, str) else ""


def members_from_entries(entries: Iterable[Any]) -> list[MemberInfo]:
    """The members declared in loaded books, with their `iban:` and `bank-name:` metadata.

    Directives that cannot be read are left out: the books are checked before importing.
    """
    customs = [entry for entry in entries if isinstance(entry, data.Custom)
               and entry.type in ("coop-member", "coop-leave")]
    records, _errors = read_records(customs)
    members = []
    for member in records.members.values():
        meta = member.source or {}
        numbers = [normalize_account_number(part)
                   for part in _text_meta(meta, IBAN_META).split(",")]
        bank_name = _text_meta(meta, BANK_NAME_META).strip()
        members.append(MemberInfo(
            key=member.key, name=member.name, joined=member.joined, left=member.left,
            accounts=tuple(number for number in numbers if number),
            bank_names=(bank_name,) if bank_name else ()))
    return members


class Payment(NamedTuple):
    """One statement row, as matching sees it: positive amounts come in."""

    date: datetime.date
    amount: Decimal
    payee: str = ""
    narration: str = ""
    reference: str = ""
    counterparty_account: str = ""


class Match(NamedTuple):
    """Where the other side of a payment goes, and why."""

    account: str
    member: str | None = None
    #: "reference", "iban", "name", "reference+iban", "reference+name"; None: not matched.
    how: str | None = None
    #: Why the payment is not matched (None when it is).
    note: str | None = None

    @property
    def matched(self) -> bool:
        return self.how is not None


@dataclass(frozen=True)
class Rules:
    """A matching configuration joined with the members of the books, indexed for lookups."""

    config: MatchingConfig
    members: dict[str, MemberInfo]
    keys: dict[str, str]
    by_account: dict[str, frozenset[str]]
    by_name: dict[str, frozenset[str]]


def build_rules(members: Iterable[MemberInfo], config: MatchingConfig) -> Rules:
    by_key = {member.key: member for member in members}
    accounts: dict[str, set[str]] = defaultdict(set)
    names: dict[str, set[str]] = defaultdict(set)
    for member in by_key.values():
        for number in member.accounts:
            accounts[number].add(member.key)
        for name in (member.name, *member.bank_names):
            names[normalize_name(name)].add(member.key)
    # What import.yaml says is said on purpose: it wins over a clash in the books.
    for number, key in config.accounts.items():
        accounts[normalize_account_number(number)] = {key}
    for name, key in config.names.items():
        names[normalize_name(name)] = {key}
    return Rules(
        config=config,
        members=by_key,
        keys={key.casefold(): key for key in by_key},
        by_account={number: frozenset(keys) for number, keys in accounts.items()},
        by_name={name: frozenset(keys) for name, keys in names.items()},
    )


def _who(payment: Payment, rules: Rules) -> tuple[str | None, str | None, list[str]]:
    """(member key, "iban" or "name", notes) from the counterparty's account number or name."""
    notes = []
    number = normalize_account_number(payment.counterparty_account)
    if number:
        keys = rules.by_account.get(number, frozenset())
        if len(keys) == 1:
            return next(iter(keys)), "iban", notes
        if keys:
            notes.append(f"account number {payment.counterparty_account!r} belongs to "
                         f"{' and '.join(sorted(keys))}")
        else:
            notes.append(f"account number {payment.counterparty_account!r} is no member's")
    name = normalize_name(payment.payee)
    if name:
        keys = rules.by_name.get(name, frozenset())
        if len(keys) == 1:
            return next(iter(keys)), "name", notes
        if keys:
            notes.append(f"name {payment.payee!r} is the name of {' and '.join(sorted(keys))}")
        else:
            notes.append(f"name {payment.payee!r} is no member's")
    return None, None, notes


def _search(rule: ReferenceRule, payment: Payment) -> re.Match[str] | None:
    found = rule.pattern.search(payment.reference) if payment.reference else None
    if found is None and payment.narration and payment.narration != payment.reference:
        found = rule.pattern.search(payment.narration)
    return found


def _unmatched(payment: Payment, rules: Rules, why: str) -> Match:
    config = rules.config
    account = config.unknown_inflow if payment.amount >= 0 else config.unknown_outflow
    return Match(account=account, note=why)


def _for_member(payment: Payment, rules: Rules, key: str, target: str, how: str,
                chart: MemberChart) -> Match:
    member = rules.members.get(key)
    if member is None:
        return _unmatched(payment, rules, (
            f"matched member {key!r} by {how}, but the books have no coop-member {key!r}"))
    if not member.is_active(payment.date):
        if payment.date < member.joined:
            status = f"joins on {member.joined}"
        else:
            status = f"left on {member.left}"
        return _unmatched(payment, rules, (
            f"matched {key} by {how}, but {key} is not a member on {payment.date} ({status}); "
            "book it by hand"))
    return Match(account=target_account(target, key, chart), member=key, how=how)


def match(payment: Payment, rules: Rules, chart: MemberChart | None = None) -> Match:
    """The member and account of a payment by the first matching rule (module docstring)."""
    chart = chart or MemberChart()
    config = rules.config
    default = config.inflow if payment.amount >= 0 else config.outflow
    notes: list[str] = []
    for rule in config.references:
        found = _search(rule, payment)
        if found is None:
            continue
        target = rule.to or default
        if not is_member_target(target):
            return Match(account=target, how="reference")
        if rule.member:
            return _for_member(payment, rules, rule.member, target, "reference", chart)
        named = found.groupdict().get("member")
        if named is not None:
            key = rules.keys.get(named.strip().casefold())
            if key is None:
                notes.append(f"reference {found.group(0)!r} names {named!r}, no member key")
                continue
            return _for_member(payment, rules, key, target, "reference", chart)
        key, how, why = _who(payment, rules)
        if key is None:
            return _unmatched(payment, rules, (
                f"the reference says {target} ({found.group(0)!r}), but whose? "
                + "; ".join(why or ["the statement has no account number or name"])))
        return _for_member(payment, rules, key, target, f"reference+{how}", chart)
    key, how, why = _who(payment, rules)
    if key is not None and how is not None:
        return _for_member(payment, rules, key, default, how, chart)
    reasons = notes + why
    return _unmatched(payment, rules, "no member matched: " + "; ".join(
        reasons or ["the statement has no reference, account number or name"]))
