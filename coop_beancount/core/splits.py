"""Split keys: how a shared cost is divided among members.

A split is asked for with `split:` metadata on the posting that carries the
cost. Its value is a rule, or the name of a key declared once in the ledger:

    split: "equal"                                ; every member active that day
    split: "equal: Ana, Ben, Chloe"               ; a named group
    split: "weights: Ana 1, Ben 1, Chloe 2"
    split: "percent: Ana 50, Ben 30, Chloe 20"    ; must add up to 100
    split: "usage quarts: Ana 3, Ben 2"           ; what each took (the unit is optional)
    split: "fixed: Ana 10.00; rest: equal"        ; fixed amounts first, the rest by a rule
    split: "health-plan"                          ; a named key

    2025-01-01 custom "coop-split-key" "health-plan" "weights: Ana 1, Ben 1, Chloe 2"
    2025-07-01 custom "coop-split-key" "health-plan" "weights: Ana 1, Chloe 2"

A named key can change over time: the version in force is the latest one
dated on or before the transaction.

This module parses rules and turns one into each member's part (pure).
"""

from __future__ import annotations

import bisect
import datetime
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, getcontext
from typing import TYPE_CHECKING

from coop_beancount.core.allocation import allocate, quantum_of
from coop_beancount.core.errors import too_many_digits, written

if TYPE_CHECKING:  # records holds the split keys, so only the type comes from there
    from coop_beancount.core.records import Member

KINDS = ("equal", "weights", "percent", "usage", "fixed")
#: `split: "refund"`: the refund of a linked cost, in proportion to its parts (refund_parts).
REFUND = "refund"
HUNDRED = Decimal(100)


class SplitError(ValueError):
    """A split that cannot be made; the message says why and how to fix it."""


@dataclass(frozen=True)
class SplitRule:
    kind: str
    #: (member key, number): weights, percentages, usage or fixed amounts.
    items: tuple[tuple[str, Decimal], ...] = ()
    unit: str | None = None
    #: For "fixed": the rule for what is left after the fixed amounts.
    rest: SplitRule | str | None = None
    #: Currency named on fixed amounts, if any.
    currency: str | None = None
    text: str = ""


@dataclass(frozen=True)
class KeyVersion:
    name: str
    date: datetime.date
    rule: SplitRule
    source: dict


class SplitKeys:
    """Every version of every named key, for looking up the one in force on a date."""

    def __init__(self) -> None:
        self._versions: dict[str, list[KeyVersion]] = {}
        self._ambiguous: set[str] = set()

    def add(self, version: KeyVersion) -> None:
        versions = self._versions.setdefault(version.name, [])
        if any(v.date == version.date for v in versions):
            # Which one was meant is unknowable: nothing is split by this key.
            self._ambiguous.add(version.name)
            raise SplitError(f"split key {version.name!r} has two versions dated {version.date}; "
                             "date the newer one on the day it takes effect, or remove one")
        bisect.insort(versions, version, key=lambda v: v.date)

    def names(self) -> list[str]:
        return sorted(self._versions)

    def __contains__(self, name: str) -> bool:
        return name in self._versions

    def in_force(self, name: str, date: datetime.date) -> KeyVersion:
        if name in self._ambiguous:
            raise SplitError(f"split key {name!r} has two versions on the same date; fix the key "
                             "first (this cost is left unsplit)")
        versions = self._versions.get(name)
        if not versions:
            known = ", ".join(self.names()) or "none declared"
            raise SplitError(
                f"unknown split key {name!r} (known keys: {known}; rules: "
                f"{', '.join(KINDS)}); declare it with coop-split-key or fix the name")
        index = bisect.bisect_right([v.date for v in versions], date)
        if index == 0:
            raise SplitError(
                f"split key {name!r} starts on {versions[0].date}, after this transaction "
                f"({date}); date the key earlier or use another key")
        return versions[index - 1]


def parse_rule(text: str) -> SplitRule | str:
    """A rule, or the name of a key (a plain word with no ':')."""
    if isinstance(text, str):
        # Books repeat their rules (every month's health plan, every shared invoice):
        # each text is read once (a rule is immutable; a bad one raises every time).
        return _parse_text(text)
    return _parse_rule(text)


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str) -> SplitRule | str:
    return _parse_rule(text)


def _parse_rule(text: str) -> SplitRule | str:
    if not isinstance(text, str) or not text.strip():
        raise SplitError(f"split must be a rule or a key name in quotes, not {written(text)}")
    text = text.strip()
    head, colon, body = text.partition(":")
    words = head.split()
    kind = words[0].lower() if words else ""
    if not colon:
        if kind == "equal" and len(words) == 1:
            return SplitRule("equal", text=text)
        if kind in KINDS:
            raise SplitError(f"split rule {text!r} needs a list after '{kind}:', for example "
                             f"'{kind}: {_EXAMPLES[kind]}'")
        if len(words) != 1:
            raise SplitError(
                f"split {text!r} is neither a rule ({', '.join(KINDS)}) nor a key name")
        return text
    if kind not in KINDS:
        raise SplitError(f"unknown split rule {head.strip()!r}; use one of: {', '.join(KINDS)}")
    if kind == "fixed":
        return _parse_fixed(body, text)
    unit = " ".join(words[1:]) or None
    if unit and kind != "usage":
        raise SplitError(f"only a usage split takes a unit ('usage quarts: ...'), not {text!r}")
    if kind == "equal":
        keys = tuple(k.strip() for k in body.replace(",", " ").split())
        if not keys:
            raise SplitError(f"split {text!r} names no members; write 'equal' for everyone")
        _no_duplicates(keys, text)
        return SplitRule("equal", tuple((k, Decimal(1)) for k in keys), text=text)
    items = _parse_items(body, text)
    return SplitRule(kind, items, unit=unit, text=text)


_EXAMPLES = {
    "equal": "Ana, Ben",
    "weights": "Ana 1, Ben 2",
    "percent": "Ana 60, Ben 40",
    "usage": "Ana 3, Ben 2",
    "fixed": "Ana 10.00; rest: equal",
}


def _parse_items(body: str, text: str) -> tuple[tuple[str, Decimal], ...]:
    items = []
    for part in body.split(","):
        if not part.strip():
            continue
        fields = part.split()
        if len(fields) != 2:
            raise SplitError(f"in split {text!r}, {part.strip()!r} should be a member key and a "
                             "number, like 'Ana 2'")
        items.append((fields[0], _number(fields[1], text)))
    if not items:
        raise SplitError(f"split {text!r} has an empty list")
    _no_duplicates([key for key, _ in items], text)
    return tuple(items)


def _no_duplicates(keys: list[str] | tuple[str, ...], text: str) -> None:
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise SplitError(f"split {text!r} names {', '.join(duplicates)} twice")


def _number(text: str, rule: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise SplitError(f"in split {rule!r}, {text!r} is not a number") from None
    if not number.is_finite():
        raise SplitError(f"in split {rule!r}, {text!r} is not a number")
    problem = too_many_digits(number)
    if problem:
        raise SplitError(f"in split {rule!r}, {problem}")
    return number


def _parse_fixed(body: str, text: str) -> SplitRule:
    fixed_text, _, rest_text = body.partition(";")
    rest: SplitRule | str | None = None
    if rest_text.strip():
        label, colon, rest_rule = rest_text.partition(":")
        if label.strip().lower() != "rest" or not colon:
            raise SplitError(f"in split {text!r}, what follows ';' must be 'rest: <rule or key>'")
        rest = parse_rule(rest_rule)
    items = []
    currencies = set()
    for part in fixed_text.split(","):
        if not part.strip():
            continue
        fields = part.split()
        if len(fields) not in (2, 3):
            raise SplitError(f"in split {text!r}, {part.strip()!r} should be a member key and an "
                             "amount, like 'Ana 10.00'")
        items.append((fields[0], _number(fields[1], text)))
        if len(fields) == 3:
            currencies.add(fields[2])
    if not items:
        raise SplitError(f"split {text!r} names no fixed amounts")
    _no_duplicates([key for key, _ in items], text)
    if len(currencies) > 1:
        raise SplitError(f"split {text!r} mixes currencies {', '.join(sorted(currencies))}")
    return SplitRule("fixed", tuple(items), rest=rest, currency=next(iter(currencies), None),
                     text=text)


@dataclass(frozen=True)
class Part:
    member: str
    amount: Decimal
    #: How this part came about, for the member to trace: "weight 2 of 4".
    basis: str
    #: For a usage split: what the member took, in `unit` ("quarts").
    units: Decimal | None = None
    unit: str | None = None


def split_amount(
    rule: SplitRule | str, amount: Decimal, currency: str, date: datetime.date,
    members: Mapping[str, Member], keys: SplitKeys, seed: str,
    _via: tuple[str, ...] = (),
) -> tuple[list[Part], str]:
    """Each member's part of `amount`, adding up to it exactly; and a label of the rule used."""
    _exact_in_cents(amount, currency)
    label = rule if isinstance(rule, str) else rule.text
    if isinstance(rule, str):
        if rule in _via:
            raise SplitError(f"split key {rule!r} refers back to itself "
                             f"({' -> '.join((*_via, rule))}); give its rest another rule")
        _via = (*_via, rule)
        version = keys.in_force(rule, date)
        label = f"{rule} (from {version.date}: {version.rule.text})"
        rule = version.rule
    if rule.kind == "fixed":
        return _split_fixed(rule, amount, currency, date, members, keys, seed, _via), label
    weights = _weights(rule, date, members)
    total = sum(weights.values())
    quantum = quantum_of(amount)
    parts = allocate(amount, weights, seed, quantum)
    noun = _NOUNS[rule.kind]
    unit = f" {rule.unit}" if rule.unit else ""
    usage = rule.kind == "usage"
    return [Part(key, parts[key], f"{noun} {weights[key]}{unit} of {total}{unit}",
                 weights[key] if usage else None, rule.unit if usage else None)
            for key in sorted(parts)], label


def _exact_in_cents(amount: Decimal, currency: str) -> None:
    """Refuse a cost whose parts could not be counted exactly in cents (or its own unit)."""
    if amount.is_finite():
        _, digits, exponent = amount.as_tuple()
        quantum = quantum_of(amount).as_tuple().exponent
        places = len(digits) + exponent - quantum  # the digits of the amount written in cents
    if not amount.is_finite() or places > getcontext().prec:
        raise SplitError(
            f"the cost {amount} {currency} has more digits than the {getcontext().prec} "
            "Beancount calculates with, so its parts could not add up to it exactly")


_NOUNS = {"equal": "share", "weights": "weight", "percent": "percent", "usage": "usage"}


def _weights(rule: SplitRule, date: datetime.date,
             members: Mapping[str, Member]) -> dict[str, Decimal]:
    if rule.kind == "equal" and not rule.items:
        active = {k: Decimal(1) for k, m in members.items() if m.is_active(date)}
        if not active:
            raise SplitError(f"no member is active on {date} to share this cost")
        return active
    for key, _ in rule.items:
        _check_member(key, date, members)
    weights = dict(rule.items)
    negative = sorted(k for k, w in weights.items() if w < 0)
    if negative:
        raise SplitError(f"split {rule.text!r} gives a negative {_NOUNS[rule.kind]} to "
                         f"{', '.join(negative)}; use zero or more")
    total = sum(weights.values())
    if rule.kind == "percent" and total != HUNDRED:
        raise SplitError(f"split {rule.text!r} adds up to {total}%, not 100%")
    if total == 0:
        raise SplitError(f"split {rule.text!r}: every {rule.kind} is zero, so nobody would pay")
    return weights


def _check_member(key: str, date: datetime.date, members: Mapping[str, Member]) -> None:
    member = members.get(key)
    if member is None:
        raise SplitError(f"split names unknown member {key!r}; fix the key (members: "
                         f"{', '.join(sorted(members)) or 'none declared'})")
    if not member.is_active(date):
        raise SplitError(f"split names {key!r}, who is not a member on {date} "
                         f"({member.membership})")


def _split_fixed(
    rule: SplitRule, amount: Decimal, currency: str, date: datetime.date,
    members: Mapping[str, Member], keys: SplitKeys, seed: str, via: tuple[str, ...],
) -> list[Part]:
    if rule.currency is not None and rule.currency != currency:
        raise SplitError(f"split {rule.text!r} names fixed amounts in {rule.currency}, but the "
                         f"cost is in {currency}")
    sign = -1 if amount < 0 else 1
    fixed: dict[str, Decimal] = {}
    quantum = quantum_of(amount)
    for key, number in rule.items:
        _check_member(key, date, members)
        # (Not number.quantize(quantum): a long number has no room for the cents.)
        if number and number.normalize().as_tuple().exponent < quantum.as_tuple().exponent:
            raise SplitError(f"split {rule.text!r} gives {key} {number}, finer than the cost's "
                             f"{quantum} {currency}; round the fixed amount")
        if number < 0:
            raise SplitError(f"split {rule.text!r} gives {key} a negative fixed amount")
        fixed[key] = sign * number
    rest_amount = amount - sum(fixed.values())
    if rest_amount * sign < 0:
        raise SplitError(f"split {rule.text!r}: the fixed amounts ({sum(fixed.values())}) are more "
                         f"than the cost ({amount} {currency})")
    parts = {key: Part(key, number, f"fixed {abs(number)} {currency}")
             for key, number in fixed.items()}
    if rest_amount != 0:
        if rule.rest is None:
            raise SplitError(f"split {rule.text!r} leaves {rest_amount} {currency} unassigned; "
                             "add '; rest: <rule or key>'")
        rest_parts, _ = split_amount(rule.rest, rest_amount, currency, date, members,
                                     keys, seed, via)
        for part in rest_parts:
            if part.member in parts:
                fixed_part = parts[part.member]
                parts[part.member] = Part(part.member, fixed_part.amount + part.amount,
                                          f"{fixed_part.basis} + {part.basis} of the rest",
                                          part.units, part.unit)
            else:
                parts[part.member] = Part(part.member, part.amount, f"{part.basis} of the rest",
                                          part.units, part.unit)
    return [parts[key] for key in sorted(parts)]


def refund_parts(amount: Decimal, cost: Decimal, cost_parts: list[Part]) -> list[Part]:
    """Each member's part of a refund of a split cost, in proportion to their part of the
    cost: a whole refund gives each member exactly the negative of their part (never the
    cent of drift splitting it again by the rule would give); a partial refund places its
    odd cents by the largest remainder, ties to the lower key."""
    if amount == 0 or (amount > 0) == (cost > 0):
        raise SplitError(f"split \"refund\" refunds a cost of {cost}, so its amount has the "
                         f"other sign; this one is {amount}")
    if abs(amount) > abs(cost):
        raise SplitError(f"this refund of {abs(amount)} is more than the cost of {abs(cost)} it "
                         "refunds; fix the amount, or link the refund to the right cost")
    weights = {part.member: abs(part.amount) for part in cost_parts if part.amount}
    shares = allocate(amount, weights, None, quantum_of(amount))
    return [Part(part.member, shares[part.member], f"refund of {part.amount}", part.units,
                 part.unit) for part in cost_parts if part.amount]
