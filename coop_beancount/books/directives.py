"""Reading the co-op's `custom "coop-..."` directives into plain records.

The syntax, one directive per line (docs/syntax.md has the full reference)::

    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-05 custom "coop-subscription" "Alice" "Member" 1
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
      until: 2025-12-31
    2025-03-02 custom "coop-hours" "Alice" 3.5 "Sunday production shift"
    2025-07-15 custom "coop-leave" "Alice"
    2025-01-01 custom "coop-split-key" "health-plan" "weights: Alice 1, Bob 2"
    2025-01-01 custom "coop-measure" "billings" Income:Patronage:Billings
    2025-01-01 custom "coop-measure" "hours"
      from: "coop-hours"
      weights: "Alice 1.25"
      kinds: "design 1.5, support 1"
    2025-10-02 custom "coop-patronage" "G1" "barrels" 1200
    2026-01-31 custom "coop-non-member-business" "purchases" 18233.10 "till 2026-01"
    2025-01-01 custom "coop-retain" "barrels" 0.50 USD
      qualified: FALSE                             ; non-qualified certificates
    2024-03-01 custom "coop-consent" "G1" "written"
    2023-01-15 custom "coop-consent" "G2" "bylaw"
      notified: 2024-02-01
    2026-05-01 custom "coop-consent" "G1" "revoked"
    2026-04-02 custom "coop-check-cashed" "G3" 2025 "barrels"
    2026-03-01 custom "coop-allocation" 2025 "cranberries"
      margin: "Income:Patronage:Cranberries Expenses:Cranberries"
      measure: "barrels"
      reserve: "10%"
      cash: "20%"
      paid: 2026-03-15
    2029-06-30 custom "coop-redemption" 25000.00 USD
    2025-01-01 custom "coop-client" "Cascade" "Cascade Outfitters"
      terms: 15
    2025-01-01 custom "coop-rate" "Priya" "Cascade" 120.00 USD
    2025-01-01 custom "coop-fee" "12%"
    2025-04-07 custom "coop-work" "Priya" "Cascade" 35 "checkout redesign"
    2025-04-30 custom "coop-invoice" "Cascade" 7
    2026-07-01 custom "coop-payout" "Dana" 5 "yearly"
    2026-01-01 custom "coop-backup-withholding" "G5" "no-tin"   ; 24% withheld (US)
    2027-01-01 custom "coop-interest" "5%" "credited"   ; or "paid"; account: optional
    2025-01-01 custom "coop-private" "bank-ref"        ; private metadata (members' site)
    2025-01-01 custom "coop-site" "own statement"      ; the members' site's policy

A directive with missing or wrong-typed values becomes an error that quotes the
expected syntax; it is never silently skipped.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal, getcontext
from typing import Any

from beancount.core import account as account_lib
from beancount.core import data
from beancount.core.amount import Amount

from coop_beancount.core.accounts import is_valid_key, is_valid_share_class
from coop_beancount.core.capital import INTEREST_WAYS, PAYOUT_FREQUENCIES
from coop_beancount.core.consent import BYLAW, CheckCashed, ConsentRecord
from coop_beancount.core.consent import KINDS as CONSENT_KINDS
from coop_beancount.core.errors import CoopError, too_many_digits, twice, written
from coop_beancount.core.patronage import DEFAULT_POOL
from coop_beancount.core.records import (
    BACKUP_REASONS,
    BACKUP_STOP,
    FREQUENCIES,
    AllocationDecision,
    BackupWithholding,
    BillableWork,
    BillingRate,
    Client,
    CoopRecords,
    DuesSchedule,
    EquityRedemption,
    FeeRule,
    InterestRate,
    InvoiceDecision,
    Measure,
    Member,
    NonMemberBusiness,
    PatronageRecord,
    PayoutSchedule,
    PerUnitRetain,
    RetailPrice,
    ShareClass,
    Subscription,
    WorkRecord,
)
from coop_beancount.core.site import POLICIES, is_metadata_key
from coop_beancount.core.splits import KINDS, REFUND, KeyVersion, SplitError, parse_rule

PREFIX = "coop-"

USAGE = {
    "coop-member": '2025-01-05 custom "coop-member" "Alice" "Alice Smith"',
    "coop-leave": '2025-07-15 custom "coop-leave" "Alice"',
    "coop-share-class": '2025-01-01 custom "coop-share-class" "Member" 20.00 USD',
    "coop-subscription": '2025-01-05 custom "coop-subscription" "Alice" "Member" 1',
    "coop-dues": '2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"',
    "coop-hours": '2025-03-02 custom "coop-hours" "Alice" 3.5 "production shift"',
    "coop-retail-price": '2025-01-01 custom "coop-retail-price" "quarts" 5.49 USD',
    "coop-split-key": '2025-01-01 custom "coop-split-key" "health-plan" "weights: Alice 1, Bob 2"',
    "coop-measure": '2025-01-01 custom "coop-measure" "billings" Income:Patronage:Billings',
    "coop-patronage": '2025-10-02 custom "coop-patronage" "G1" "barrels" 1200',
    "coop-non-member-business":
        '2026-01-31 custom "coop-non-member-business" "purchases" 18233.10 "till 2026-01"',
    "coop-retain": '2025-01-01 custom "coop-retain" "barrels" 0.50 USD',
    "coop-allocation": ('2026-03-01 custom "coop-allocation" 2025 "cranberries" with metadata '
                        'margin: "Income:Patronage:Cranberries", measure: "barrels", '
                        'reserve: "10%", cash: "20%", paid: 2026-03-15'),
    "coop-redemption": '2029-06-30 custom "coop-redemption" 25000.00 USD',
    "coop-consent": ('2024-03-01 custom "coop-consent" "G1" "written" (or "bylaw" with '
                     'notified: 2024-02-01, the day the member got the bylaw in writing; '
                     'or "revoked")'),
    "coop-check-cashed": '2026-04-02 custom "coop-check-cashed" "G3" 2025 "barrels"',
    "coop-client": '2025-01-01 custom "coop-client" "Cascade" "Cascade Outfitters"',
    "coop-rate": '2025-01-01 custom "coop-rate" "Priya" "Cascade" 120.00 USD',
    "coop-work": ('2025-04-07 custom "coop-work" "Priya" "Cascade" 35 "checkout redesign" '
                  '(hours), or an amount such as 2000.00 USD for a fixed fee'),
    "coop-fee": '2025-01-01 custom "coop-fee" "12%"',
    "coop-invoice": '2025-04-30 custom "coop-invoice" "Cascade" 7',
    "coop-payout": '2026-07-01 custom "coop-payout" "Dana" 5 "yearly"',
    "coop-interest": '2027-01-01 custom "coop-interest" "5%" "credited"',
    "coop-private": '2025-01-01 custom "coop-private" "bank-ref" "nickname"',
    "coop-site": '2025-01-01 custom "coop-site" "own statement"',
    "coop-backup-withholding":
        '2026-01-01 custom "coop-backup-withholding" "G5" "no-tin" (or "b-notice", or "stop")',
}


class DirectiveError(Exception):
    """A directive that cannot be read; carries the message for the user."""


_KIND_NAMES: dict[Any, str] = {
    str: "a string in double quotes",
    Decimal: "a number",
    Amount: "an amount such as 20.00 USD",
    datetime.date: "a date such as 2025-01-01",
    bool: "TRUE or FALSE",
}


def _value(entry: data.Custom, index: int, kind: Any, what: str, default: Any = ...) -> Any:
    values = entry.values or []
    if index >= len(values):
        if default is not ...:
            return default
        raise DirectiveError(
            f"{entry.type} is missing value {index + 1}, {what}; write it as: {USAGE[entry.type]}"
        )
    value = values[index].value
    if isinstance(value, kind):
        number = value.number if isinstance(value, Amount) else value
        problem = too_many_digits(number) if isinstance(number, Decimal) else None
        if problem:
            raise DirectiveError(f"{entry.type} value {index + 1} ({what}): {problem}")
        return value
    raise DirectiveError(
        f"{entry.type} value {index + 1} ({what}) must be {_KIND_NAMES[kind]}, "
        f"not {written(value)}; write it as: {USAGE[entry.type]}"
    )


def _no_extra_values(entry: data.Custom, count: int) -> None:
    if entry.values and len(entry.values) > count:
        extra = ", ".join(written(v.value) for v in entry.values[count:])
        raise DirectiveError(
            f"{entry.type} takes at most {count} values, got extra {extra}; "
            f"write it as: {USAGE[entry.type]}"
        )


def _meta(entry: data.Custom, key: str, kind: Any, what: str, default: Any = None) -> Any:
    value = entry.meta.get(key, default)
    if value is default or isinstance(value, kind):
        return value
    raise DirectiveError(
        f"{entry.type} metadata '{key}' ({what}) must be {_KIND_NAMES.get(kind, kind)}, "
        f"not {written(value)}"
    )


def _member_key(entry: data.Custom) -> str:
    key = _value(entry, 0, str, "the member key")
    if not is_valid_key(key):
        raise DirectiveError(
            f"member key {key!r} cannot be part of an account name: use letters, digits "
            "and '-', starting with a capital letter or a digit (for example \"Alice\" or "
            "\"M042\")"
        )
    return key


def read_member(entry: data.Custom) -> Member:
    key = _member_key(entry)
    name = _value(entry, 1, str, "the member's display name")
    _no_extra_values(entry, 2)
    if not name.strip():
        raise DirectiveError(f"member {key!r} has an empty display name; write their name in "
                             "the quotes")
    return Member(key=key, name=name, joined=entry.date, source=entry.meta)


def read_leave(entry: data.Custom) -> tuple[str, bool]:
    key = _member_key(entry)
    _no_extra_values(entry, 1)
    redeem = _meta(entry, "redeem-shares", bool, "whether shares are paid back", True)
    return key, redeem


def read_share_class(entry: data.Custom) -> ShareClass:
    name = _value(entry, 0, str, "the share class name")
    par = _value(entry, 1, Amount, "the par value")
    _no_extra_values(entry, 2)
    if not is_valid_share_class(name):
        raise DirectiveError(
            f"share class name {name!r} cannot be part of an account name: use letters, digits "
            f"and '-', starting with a capital letter or a digit (for example \"Member\" or "
            "\"Preferred\")"
        )
    if par.number is None or par.number <= 0:
        raise DirectiveError(
            f"share class {name!r} has par value {par}: a par value must be more than zero"
        )
    return ShareClass(name=name, par=par.number, currency=par.currency, date=entry.date,
                      source=entry.meta)


def read_subscription(entry: data.Custom) -> Subscription:
    key = _member_key(entry)
    share_class = _value(entry, 1, str, "the share class")
    count = _value(entry, 2, Decimal, "the number of shares", Decimal(1))
    _no_extra_values(entry, 3)
    if count <= 0 or count != count.to_integral_value():
        raise DirectiveError(
            f"a subscription is for a whole number of shares, one or more; got {count}"
        )
    return Subscription(date=entry.date, member=key, share_class=share_class, count=count,
                        source=entry.meta)


def read_dues(entry: data.Custom) -> DuesSchedule:
    name = _value(entry, 0, str, "the schedule's name")
    amount = _value(entry, 1, Amount, "the amount per period")
    frequency = _value(entry, 2, str, "the frequency")
    _no_extra_values(entry, 3)
    if frequency not in FREQUENCIES:
        raise DirectiveError(
            f"dues schedule {name!r} has unknown frequency {frequency!r}; "
            f"use one of: {', '.join(FREQUENCIES)}"
        )
    if amount.number is None or amount.number <= 0:
        raise DirectiveError(
            f"dues schedule {name!r} has amount {amount}: dues must be more than zero"
        )
    until = _meta(entry, "until", datetime.date, "the last day of the schedule")
    if until is not None and until < entry.date:
        raise DirectiveError(
            f"dues schedule {name!r} ends on {until}, before it starts on {entry.date}"
        )
    members_text = _meta(entry, "members", str, 'member keys separated by spaces, or "all"')
    members = None
    if members_text is not None and members_text.strip().lower() != "all":
        members = tuple(members_text.split())
        if not members:
            raise DirectiveError(f"dues schedule {name!r} has an empty 'members' list")
    share_class = _meta(entry, "share-class", str, "a share class name")
    prorate = _meta(entry, "prorate", bool, "whether part periods are charged pro rata", False)
    income = _meta(entry, "account", str, "the income account")
    if income is not None and not account_lib.is_valid(income):
        raise DirectiveError(f"dues schedule {name!r} has an invalid account {income!r}")
    return DuesSchedule(
        name=name, start=entry.date, amount=amount.number, currency=amount.currency,
        frequency=frequency, source=entry.meta, until=until, members=members,
        share_class=share_class, prorate=prorate, income_account=income,
    )


def read_hours(entry: data.Custom) -> WorkRecord:
    key = _member_key(entry)
    hours = _value(entry, 1, Decimal, "the hours worked")
    description = _value(entry, 2, str, "a description", "")
    _no_extra_values(entry, 3)
    if hours <= 0:
        raise DirectiveError(f"hours worked must be more than zero, got {hours}; to take "
                             "hours back, correct or remove the coop-hours line that gave them")
    kind = _meta(entry, "kind", str, "the kind of work, one word")
    if kind is not None and (not kind or len(kind.split()) != 1):
        raise DirectiveError(f"coop-hours 'kind:' {kind!r} must be one word, like \"design\"")
    return WorkRecord(date=entry.date, member=key, hours=hours, description=description,
                      source=entry.meta, kind=kind)


def read_retail_price(entry: data.Custom) -> RetailPrice:
    unit = _value(entry, 0, str, "the unit, as in usage splits")
    price = _value(entry, 1, Amount, "the retail price of one unit")
    _no_extra_values(entry, 2)
    if not unit.strip() or len(unit.split()) != 1:
        raise DirectiveError(f"retail price unit {unit!r} must be one word, like \"quarts\"")
    if price.number is None or price.number <= 0:
        raise DirectiveError(f"retail price {price} must be more than zero")
    return RetailPrice(unit=unit, date=entry.date, price=price.number, currency=price.currency,
                       source=entry.meta)


def read_split_key(entry: data.Custom) -> KeyVersion:
    name = _value(entry, 0, str, "the key's name")
    text = _value(entry, 1, str, "the rule")
    _no_extra_values(entry, 2)
    if not name or ":" in name or len(name.split()) != 1 or name.lower() in (*KINDS, REFUND):
        raise DirectiveError(
            f"split key name {name!r} must be one word, not a rule name ({', '.join(KINDS)}), "
            "for example \"health-plan\"")
    try:
        rule = parse_rule(text)
    except SplitError as exc:
        raise DirectiveError(str(exc)) from None
    if isinstance(rule, str):
        raise DirectiveError(
            f"split key {name!r} must be a rule ({', '.join(KINDS)}), not another key's name "
            f"{rule!r}")
    return KeyVersion(name=name, date=entry.date, rule=rule, source=entry.meta)


def _measure_name(entry: data.Custom, index: int) -> str:
    name = _value(entry, index, str, "the measure's name")
    if not name or len(name.split()) != 1:
        raise DirectiveError(f"measure name {name!r} must be one word, like \"barrels\"")
    return name


def _account(text: str, what: str) -> str:
    if not account_lib.is_valid(text):
        raise DirectiveError(
            f"{what}: {text!r} is not an account name (like Income:Patronage:Sales)")
    return text


def read_measure(entry: data.Custom) -> Measure:
    name = _measure_name(entry, 0)
    account = _value(entry, 1, str, "the account whose postings are the patronage", None)
    _no_extra_values(entry, 2)
    if account is not None:
        _account(account, f"measure {name!r}")
    source = _meta(entry, "from", str, 'where the measure is read: "coop-hours"')
    if source is not None and source != "coop-hours":
        raise DirectiveError(f"measure {name!r} 'from:' {source!r} is not a source of "
                             'patronage; the one there is: from: "coop-hours"')
    if source is not None and account is not None:
        raise DirectiveError(f"measure {name!r} reads both {account} and coop-hours; a measure "
                             "has one source: drop the account or 'from:'")
    weights = {key: _factors(entry, name, key) for key in ("weights", "kinds")}
    if source is None and any(weights.values()):
        raise DirectiveError(f"measure {name!r} has weights, which only an hours measure "
                             'takes; add from: "coop-hours" or drop weights: and kinds:')
    return Measure(name=name, date=entry.date, source=entry.meta, account=account,
                   hours=source is not None, member_weights=weights["weights"],
                   kind_weights=weights["kinds"])


def _factors(entry: data.Custom, name: str, key: str) -> tuple[tuple[str, Decimal], ...]:
    """`weights: "Ana 1.5, Ben 1"` (members) or `kinds: "design 1.5, admin 1"`: name, factor."""
    text = _meta(entry, key, str, "names and factors, like \"Ana 1.5, Ben 1\"")
    if text is None:
        return ()
    try:
        rule = parse_rule(f"weights: {text}")  # the same list as a split's weights
    except SplitError as exc:
        raise DirectiveError(f"measure {name!r} '{key}:' {text!r}: {exc}") from None
    assert not isinstance(rule, str)  # "weights: ..." always parses as a rule
    negative = [item for item, factor in rule.items if factor < 0]
    if negative:
        raise DirectiveError(f"measure {name!r} '{key}:' gives {', '.join(negative)} a negative "
                             "factor; a factor is zero or more")
    return rule.items


@functools.lru_cache(maxsize=256)
def _is_measure_name(name: str) -> bool:
    return len(name.split()) == 1


def _plain_quantity(value: Any) -> bool:
    """Whether a value is a Decimal Beancount calculates with exactly, decided cheaply: at
    most 28 characters written out (so at most 28 digits) and not written with a large
    exponent. Anything else goes the long way (`too_many_digits`), which says what is wrong."""
    if type(value) is not Decimal:
        return False
    precision = getcontext().prec
    return len(str(value)) <= precision and value.adjusted() < precision


def read_patronage(entry: data.Custom) -> PatronageRecord:
    # The usual record, read without the general checks' cost: a 20,000-owner co-op's
    # books hold a record per owner and month (2.4 million in ten years). Each condition is
    # one the general path checks; a record that misses any of them is read that way,
    # whose error says what is wrong.
    values = entry.values
    if values is not None and len(values) == 3:
        key, measure, quantity = values[0].value, values[1].value, values[2].value
        if (type(key) is str and type(measure) is str and _plain_quantity(quantity)
                and is_valid_key(key) and _is_measure_name(measure)):
            return PatronageRecord(date=entry.date, member=key, measure=measure,
                                   quantity=quantity, source=entry.meta)
    key = _member_key(entry)
    measure = _measure_name(entry, 1)
    quantity = _value(entry, 2, Decimal, "the quantity of patronage")
    description = _value(entry, 3, str, "a description", "")
    _no_extra_values(entry, 4)
    return PatronageRecord(date=entry.date, member=key, measure=measure, quantity=quantity,
                           source=entry.meta, description=description)


def read_non_member(entry: data.Custom) -> NonMemberBusiness:
    measure = _measure_name(entry, 0)
    quantity = _value(entry, 1, Decimal, "the quantity of business with non-members")
    description = _value(entry, 2, str, "a description", "")
    _no_extra_values(entry, 3)
    return NonMemberBusiness(date=entry.date, measure=measure, quantity=quantity,
                             source=entry.meta, description=description)


def read_retain(entry: data.Custom) -> PerUnitRetain:
    measure = _measure_name(entry, 0)
    rate = _value(entry, 1, Amount, "the amount withheld per unit")
    _no_extra_values(entry, 2)
    if rate.number is None or rate.number < 0:
        raise DirectiveError(f"a per-unit retain of {rate} cannot be negative")
    return PerUnitRetain(measure=measure, date=entry.date, rate=rate.number,
                         currency=rate.currency, source=entry.meta,
                         qualified=_meta(entry, "qualified", bool, "TRUE for qualified per-unit "
                                         "retain certificates, FALSE for non-qualified", True))


def read_consent(entry: data.Custom) -> ConsentRecord:
    member = _member_key(entry)
    kind = _value(entry, 1, str, 'the kind: "written", "bylaw" or "revoked"')
    _no_extra_values(entry, 2)
    if kind not in CONSENT_KINDS:
        raise DirectiveError(f"coop-consent kind {kind!r} is not one of "
                             f"{', '.join(map(repr, CONSENT_KINDS))}; write it as: "
                             f"{USAGE[entry.type]}")
    notified = _meta(entry, "notified", datetime.date, "the day the member was given the "
                     "consent bylaw in writing")
    if kind == BYLAW and notified is None:
        raise DirectiveError(
            f"coop-consent \"bylaw\" for {member!r} needs notified:, the day {member} was given "
            "written notice of the consent bylaw and a copy of it (consent by bylaw counts only "
            "for patronage after it, 26 CFR 1.1388-1(c)(3)(ii)(b)); add notified: 2024-02-01")
    if notified is not None and kind != BYLAW:
        raise DirectiveError(f"coop-consent {kind!r} takes no notified: (only \"bylaw\" does); "
                             "remove it")
    if notified is not None and notified < entry.date:
        raise DirectiveError(
            f"coop-consent \"bylaw\": {member!r} is notified of the bylaw on {notified}, before "
            f"it is adopted on {entry.date}; date the line on the bylaw's adoption")
    return ConsentRecord(entry.date, member, kind, entry.meta, notified)


def read_check_cashed(entry: data.Custom) -> CheckCashed:
    member = _member_key(entry)
    year = _value(entry, 1, Decimal, "the fiscal year of the dividend, like 2025")
    pool = _value(entry, 2, str, "the pool's name", DEFAULT_POOL)
    _no_extra_values(entry, 3)
    if year != year.to_integral_value() or not 1900 < year < 3000:
        raise DirectiveError(f"coop-check-cashed fiscal year must be a year like 2025, not "
                             f"{year}")
    return CheckCashed(entry.date, member, int(year), pool, entry.meta)


def _share(entry: data.Custom, key: str, default: str | None = None) -> Decimal:
    text = entry.meta.get(key, default)
    if text is None:
        raise DirectiveError(
            f"{entry.type} is missing '{key}:', the {key} share as a percentage such as "
            f"\"20%\"; write it as: {USAGE[entry.type]}")
    return _percentage(entry, f"'{key}:'", text)


def _percentage(entry: data.Custom, what: str, text: Any) -> Decimal:
    if not isinstance(text, str) or not text.strip().endswith("%"):
        raise DirectiveError(
            f"{entry.type} {what} must be a percentage in quotes such as \"20%\", "
            f"not {written(text)}")
    try:
        share = Decimal(text.strip()[:-1].strip()) / 100
    except ArithmeticError:
        share = None
    if share is None or not share.is_finite():  # "NaN%" parses, and then cannot be compared
        raise DirectiveError(f"{entry.type} {what} {text!r} is not a percentage; write a "
                             "number and %, such as \"20%\"")
    return share


def _accounts(entry: data.Custom, key: str, required: bool) -> tuple[str, ...]:
    text = _meta(entry, key, str, "account names separated by spaces")
    if text is None or not text.split():
        if required:
            raise DirectiveError(
                f"{entry.type} is missing '{key}:', the income and expense accounts that make "
                f"up the pool's margin; write it as: {USAGE[entry.type]}")
        return ()
    return tuple(_account(name, f"{entry.type} '{key}:'") for name in text.split())


def read_allocation(entry: data.Custom) -> AllocationDecision:
    year = _value(entry, 0, Decimal, "the fiscal year, like 2025")
    pool = _value(entry, 1, str, "the pool's name", DEFAULT_POOL)
    _no_extra_values(entry, 2)
    if year != year.to_integral_value() or not 1900 < year < 3000:
        raise DirectiveError(f"coop-allocation fiscal year must be a year like 2025, not {year}")
    measure = _meta(entry, "measure", str, "the measure's name")
    if not measure:
        raise DirectiveError(
            f"coop-allocation is missing 'measure:', the patronage measure named by a "
            f"coop-measure directive; write it as: {USAGE[entry.type]}")
    loss = _meta(entry, "loss", str, 'what to do with a loss: "charge"')
    if loss is not None and loss != "charge":
        raise DirectiveError(f"coop-allocation 'loss:' {loss!r} is not a way to book a loss; "
                             'write loss: "charge" (to the members\' capital accounts by '
                             "patronage, the reserve: share to the collective account)")
    if loss is not None and "reserve" not in entry.meta:
        raise DirectiveError(
            "coop-allocation charges a loss, but says nothing of the collective account's share "
            "of it; add the bylaws' share as reserve: \"25%\" (or reserve: \"0%\" when the "
            "members bear it all)")
    # A loss has no cash part and issues no notices.
    qualified = entry.meta.get("qualified", loss is None)
    if isinstance(qualified, bool):
        qualified = Decimal(1 if qualified else 0)
    elif isinstance(qualified, str) and qualified.strip().endswith("%"):
        qualified = _share(entry, "qualified")
    else:
        raise DirectiveError(
            f"coop-allocation metadata 'qualified' must be TRUE or FALSE, or the share of the "
            f'retained parts in qualified notices in quotes such as "50%", not '
            f"{written(qualified)}")
    paid = _meta(entry, "paid", datetime.date, "the payment date", entry.date)
    if paid < entry.date:
        raise DirectiveError(
            f"coop-allocation is paid on {paid}, before the board decides on {entry.date}; "
            "date the directive on the day of the decision, on or before 'paid:'")
    return AllocationDecision(
        date=entry.date, fiscal_year=int(year), pool=pool, measure=measure,
        margin_accounts=_accounts(entry, "margin", True),
        non_patronage_accounts=_accounts(entry, "non-patronage", False),
        reserve=_share(entry, "reserve", "0%"),
        cash=_share(entry, "cash", "0%" if loss else None),
        qualified=qualified, paid=paid, source=entry.meta, loss=loss,
        draft=_meta(entry, "draft", bool, "whether the decision is a draft", False),
        issued=_issued(entry),
        late=_meta(entry, "late", bool, "whether the cash parts are paid after the payment "
                   "period on purpose", False),
        nonpatronage=_distribution(entry),
        deduction_199a_g=_deduction(entry),
        qualified_check=_meta(entry, "qualified-check", bool, "whether the cash parts are "
                              "paid by qualified checks", False),
    )


def _distribution(entry: data.Custom) -> bool:
    """`distribution: "nonpatronage"`: a section 521 co-op's non-patronage earnings paid on
    a patronage basis (Form 1099-PATR box 2); "patronage", the default, is box 1."""
    kind = _meta(entry, "distribution", str, '"patronage" or "nonpatronage"', "patronage")
    if kind not in ("patronage", "nonpatronage"):
        raise DirectiveError(f"coop-allocation 'distribution:' {kind!r} is not a kind of "
                             'distribution; write "patronage" (the default) or "nonpatronage"')
    return kind == "nonpatronage"


def _deduction(entry: data.Custom) -> Decimal | None:
    """`deduction-199a-g: 1200.00 USD`: the section 199A(g) deduction passed through."""
    amount = _meta(entry, "deduction-199a-g", Amount, "the section 199A(g) deduction passed "
                   "through to the pool's members")
    if amount is None:
        return None
    if amount.number is None or amount.number < 0:
        raise DirectiveError(f"coop-allocation 'deduction-199a-g:' {amount} cannot be negative")
    return amount.number


def read_backup_withholding(entry: data.Custom) -> BackupWithholding:
    key = _member_key(entry)
    reason = _value(entry, 1, str, f"the reason: {', '.join(BACKUP_REASONS)} or {BACKUP_STOP}")
    _no_extra_values(entry, 2)
    if reason not in (*BACKUP_REASONS, BACKUP_STOP):
        raise DirectiveError(
            f"coop-backup-withholding {reason!r} is not a reason; write \"no-tin\" (the member "
            "has not given a taxpayer number), \"b-notice\" (the IRS says it is wrong) or "
            "\"stop\" (a correct number has been certified since)")
    return BackupWithholding(date=entry.date, member=key, reason=reason, source=entry.meta)


def _issued(entry: data.Custom) -> datetime.date | None:
    issued = _meta(entry, "issued", datetime.date, "the day the notices are issued")
    if issued is not None and issued < entry.date:
        raise DirectiveError(
            f"coop-allocation's notices are issued on {issued}, before the board decides on "
            f"{entry.date}; write the day they are sent to the members")
    return issued


def _client_key(entry: data.Custom, index: int) -> str:
    key = _value(entry, index, str, "the client key")
    if not is_valid_key(key):
        raise DirectiveError(
            f"client key {key!r} cannot be part of an account name: use letters, digits and "
            "'-', starting with a capital letter or a digit (for example \"Cascade\")")
    return key


def _days(entry: data.Custom, key: str, what: str, default: int | None) -> int | None:
    days = _meta(entry, key, Decimal, what)
    if days is None:
        return default
    if days < 0 or days != days.to_integral_value() or days > 3660:
        raise DirectiveError(f"{entry.type} '{key}:' must be a whole number of days, not {days}")
    return int(days)


def _project(entry: data.Custom) -> str | None:
    project = _meta(entry, "project", str, "the project's name")
    if project is not None and not project.strip():
        raise DirectiveError(f"{entry.type} 'project:' is empty; name the project or drop it")
    return project


def read_client(entry: data.Custom) -> Client:
    key = _client_key(entry, 0)
    name = _value(entry, 1, str, "the client's name")
    _no_extra_values(entry, 2)
    if not name.strip():
        raise DirectiveError(f"client {key!r} has an empty name; write it in the quotes")
    account = _meta(entry, "account", str, "the account of the client's open invoices")
    if account is not None:
        _account(account, f"client {key!r} 'account:'")
    return Client(key=key, name=name, date=entry.date, source=entry.meta,
                  terms=_days(entry, "terms", "days to pay", 30) or 0,
                  address=_meta(entry, "address", str, "the client's address", ""),
                  account=account)


def read_rate(entry: data.Custom) -> BillingRate:
    member = _member_key(entry)
    client = _client_key(entry, 1)
    rate = _value(entry, 2, Amount, "the rate per hour")
    _no_extra_values(entry, 3)
    if rate.number is None or rate.number <= 0:
        raise DirectiveError(f"a rate per hour must be more than zero, not {rate}")
    return BillingRate(date=entry.date, member=member, client=client, rate=rate.number,
                       currency=rate.currency, source=entry.meta, project=_project(entry))


def read_work(entry: data.Custom) -> BillableWork:
    # The usual line (hours, maybe a description, no project), read without the generic
    # per-value checks: a developers' co-op writes one a week per member, tens of
    # thousands. Anything else takes the checked path below, with its messages.
    values = entry.values
    if values and 3 <= len(values) <= 4 and "project" not in entry.meta:
        member, client, hours = values[0].value, values[1].value, values[2].value
        description = values[3].value if len(values) == 4 else ""
        if (type(member) is str and type(client) is str and type(hours) is Decimal
                and type(description) is str and hours > 0 and is_valid_key(member)
                and is_valid_key(client) and too_many_digits(hours) is None):
            return BillableWork(date=entry.date, member=member, client=client,
                                source=entry.meta, hours=hours, amount=None, currency=None,
                                description=description, project=None)
    return _read_work(entry)


def _read_work(entry: data.Custom) -> BillableWork:
    member = _member_key(entry)
    client = _client_key(entry, 1)
    values = entry.values or []
    quantity = values[2].value if len(values) > 2 else None
    if isinstance(quantity, Amount):
        work = _value(entry, 2, Amount, "a fixed fee")
        hours, amount, currency = None, work.number, work.currency
        if amount is None or amount <= 0:
            raise DirectiveError(f"a fixed fee must be more than zero, not {work}")
        if amount.normalize().as_tuple().exponent < -2:
            raise DirectiveError(f"a fixed fee is invoiced in whole cents, not {work}")
    else:
        hours, amount, currency = _value(entry, 2, Decimal, "the hours worked"), None, None
        if hours <= 0:
            raise DirectiveError(f"hours of work must be more than zero, got {hours}; a "
                                 "correction changes or removes the coop-work line")
    description = _value(entry, 3, str, "a description", "")
    _no_extra_values(entry, 4)
    return BillableWork(date=entry.date, member=member, client=client, source=entry.meta,
                        hours=hours, amount=amount, currency=currency,
                        description=description, project=_project(entry))


def read_fee(entry: data.Custom) -> FeeRule:
    text = _value(entry, 0, str, 'the fee as a percentage such as "12%"')
    _no_extra_values(entry, 1)
    share = _percentage(entry, "the fee", text)
    if not 0 <= share <= 1:
        raise DirectiveError(f"the co-op's fee is {text}; it must be from 0% to 100%")
    member = _meta(entry, "member", str, "the member key")
    client = _meta(entry, "client", str, "the client key")
    settings = {key: entry.meta.get(key) for key in ("billings", "wages", "pay-within", "address")
                if key in entry.meta}
    if settings and (member or client):
        raise DirectiveError(
            f"{', '.join(k + ':' for k in settings)} belong on the co-op's general fee (no "
            "member:, no client:); a fee for one member or client only changes the share")
    accounts = {key: _meta(entry, key, str, "an account") for key in ("billings", "wages")}
    for key, account in accounts.items():
        if account is not None:
            _account(account, f"coop-fee '{key}:'")
    return FeeRule(date=entry.date, share=share, source=entry.meta, member=member,
                   client=client, billings_account=accounts["billings"],
                   wages_account=accounts["wages"],
                   pay_within=_days(entry, "pay-within", "days to pay a member", None),
                   address=_meta(entry, "address", str, "the co-op's address"))


def read_invoice(entry: data.Custom) -> InvoiceDecision:
    client = _client_key(entry, 0)
    number = _value(entry, 1, Decimal, "the invoice number")
    _no_extra_values(entry, 2)
    if number <= 0 or number != number.to_integral_value():
        raise DirectiveError(f"an invoice number is a whole number from 1, not {number}")
    return InvoiceDecision(date=entry.date, client=client, number=int(number),
                           source=entry.meta,
                           terms=_days(entry, "terms", "days to pay this invoice", None))


def read_payout(entry: data.Custom) -> PayoutSchedule:
    member = _member_key(entry)
    count = _value(entry, 1, Decimal, "the number of instalments")
    frequency = _value(entry, 2, str, "how often: monthly, quarterly or yearly", "yearly")
    _no_extra_values(entry, 3)
    if count < 1 or count != count.to_integral_value() or count > 100:
        raise DirectiveError(f"a payout is paid in a whole number of instalments from 1 to 100, "
                             f"not {count}")
    if frequency not in PAYOUT_FREQUENCIES:
        raise DirectiveError(f"a payout's instalments are {', '.join(PAYOUT_FREQUENCIES)}, not "
                             f"{frequency!r}")
    return PayoutSchedule(date=entry.date, member=member, count=int(count), frequency=frequency,
                          source=entry.meta)


def read_interest(entry: data.Custom) -> InterestRate:
    text = _value(entry, 0, str, 'the rate per year as a percentage such as "5%"')
    way = _value(entry, 1, str, 'how it is given: "credited" or "paid"', "credited")
    _no_extra_values(entry, 2)
    rate = _percentage(entry, "rate", text)
    if not 0 <= rate <= 1:
        raise DirectiveError(f"the interest rate on capital accounts is {text}; it must be "
                             'from 0% to 100% a year ("0%" stops the interest from this date)')
    if way not in INTEREST_WAYS:
        raise DirectiveError(f'interest on capital accounts is "credited" (to the capital '
                             f'account) or "paid" (into the member\'s payable), not {way!r}')
    account = _meta(entry, "account", str, "the expense account interest is booked to")
    if account is not None:
        account = _account(account, "coop-interest 'account:'")
    return InterestRate(date=entry.date, rate=rate, way=way, source=entry.meta,
                        account=account)


def read_redemption(entry: data.Custom) -> EquityRedemption:
    amount = _value(entry, 0, Amount, "the budget to pay back")
    _no_extra_values(entry, 1)
    if amount.number is None or amount.number <= 0:
        raise DirectiveError(f"a redemption budget must be more than zero, not {amount}")
    if amount.number.normalize().as_tuple().exponent < -2:
        # Paid out in cents, pro rata: a fraction of a cent could not be paid to anyone.
        raise DirectiveError(f"a redemption budget is paid in whole cents, not {amount}")
    member = _meta(entry, "member", str, "the member key")
    if member is not None and not is_valid_key(member):
        raise DirectiveError(f"coop-redemption 'member:' {member!r} is not a member key")
    return EquityRedemption(date=entry.date, amount=amount.number, currency=amount.currency,
                            source=entry.meta, member=member)


def read_private(entry: data.Custom) -> tuple[str, ...]:
    """The metadata keys a `coop-private` line declares private."""
    keys = tuple(_value(entry, index, str, "a metadata key")
                 for index in range(max(1, len(entry.values or []))))
    for key in keys:
        if not is_metadata_key(key):
            raise DirectiveError(
                f"coop-private: {key!r} is not a metadata key (a lowercase letter, then "
                f"letters, digits, '-' or '_'); write it as: {USAGE[entry.type]}")
    return keys


def read_site(entry: data.Custom) -> str:
    """The members' site's policy a `coop-site` line sets."""
    policy = _value(entry, 0, str, "the policy")
    _no_extra_values(entry, 1)
    if policy not in POLICIES:
        raise DirectiveError(
            f"coop-site policy {policy!r} is not one of {', '.join(map(repr, POLICIES))}; "
            f"write it as: {USAGE[entry.type]}")
    return policy


def is_coop_directive(entry: Any) -> bool:
    return isinstance(entry, data.Custom) and entry.type.startswith(PREFIX)


def read_records(entries: Iterable[data.Custom]) -> tuple[CoopRecords, list[CoopError]]:
    """Read every `coop-*` directive (already in date order) into CoopRecords.

    Checks what one directive alone can tell: types, keys, duplicates, leave
    before join. Checks that need the transactions live in the plugin.
    """
    records = CoopRecords()
    errors: list[CoopError] = []
    leaves: list[tuple[data.Custom, str, bool]] = []

    def add_member(entry: data.Custom) -> None:
        member = read_member(entry)
        if member.key in records.members:
            first = records.members[member.key].source
            left = [leave for leave, key, _ in leaves if key == member.key]
            if left:
                raise DirectiveError(_rejoining(member, left[0], records.members))
            raise DirectiveError(twice(f"member {member.key!r}", first,
                                       "a member key must be unique"))
        records.members[member.key] = member

    def add_share_class(entry: data.Custom) -> None:
        share_class = read_share_class(entry)
        if share_class.name in records.share_classes:
            raise DirectiveError(twice(
                f"share class {share_class.name!r}",
                records.share_classes[share_class.name].source,
                "keep one coop-share-class per class"))
        records.share_classes[share_class.name] = share_class

    def add_leave(entry: data.Custom) -> None:
        key, redeem = read_leave(entry)
        leaves.append((entry, key, redeem))

    def add_split_key(entry: data.Custom) -> None:
        try:
            records.split_keys.add(read_split_key(entry))
        except SplitError as exc:
            raise DirectiveError(str(exc)) from None

    def add_measure(entry: data.Custom) -> None:
        measure = read_measure(entry)
        if measure.name in records.measures:
            raise DirectiveError(twice(f"measure {measure.name!r}",
                                       records.measures[measure.name].source,
                                       "keep one coop-measure per measure"))
        records.measures[measure.name] = measure

    def add_client(entry: data.Custom) -> None:
        client = read_client(entry)
        if client.key in records.clients:
            raise DirectiveError(twice(f"client {client.key!r}",
                                       records.clients[client.key].source,
                                       "keep one coop-client per client"))
        records.clients[client.key] = client

    sites: list[data.Custom] = []

    def add_site(entry: data.Custom) -> None:
        policy = read_site(entry)
        if sites:
            raise DirectiveError(twice("the members' site's policy", sites[0].meta,
                                       "keep one coop-site line", verb="set"))
        sites.append(entry)
        records.site_policy = policy

    readers: dict[str, Callable[[data.Custom], None]] = {
        "coop-member": add_member,
        "coop-leave": add_leave,
        "coop-share-class": add_share_class,
        "coop-subscription": lambda e: records.subscriptions.append(read_subscription(e)),
        "coop-dues": lambda e: records.dues_schedules.append(read_dues(e)),
        "coop-hours": lambda e: records.work.append(read_hours(e)),
        "coop-split-key": add_split_key,
        "coop-retail-price": lambda e: records.retail_prices.append(read_retail_price(e)),
        "coop-measure": add_measure,
        "coop-patronage": lambda e: records.patronage.append(read_patronage(e)),
        "coop-non-member-business": lambda e: records.non_member.append(read_non_member(e)),
        "coop-retain": lambda e: records.retains.append(read_retain(e)),
        "coop-allocation": lambda e: records.decisions.append(read_allocation(e)),
        "coop-redemption": lambda e: records.redemptions.append(read_redemption(e)),
        "coop-client": add_client,
        "coop-rate": lambda e: records.rates.append(read_rate(e)),
        "coop-work": lambda e: records.billable.append(read_work(e)),
        "coop-fee": lambda e: records.fees.append(read_fee(e)),
        "coop-invoice": lambda e: records.invoices.append(read_invoice(e)),
        "coop-payout": lambda e: records.payouts.append(read_payout(e)),
        "coop-interest": lambda e: records.interest_rates.append(read_interest(e)),
        "coop-private": lambda e: records.private_keys.update(read_private(e)),
        "coop-site": add_site,
        "coop-backup-withholding": lambda e: records.backup.append(read_backup_withholding(e)),
        "coop-consent": lambda e: records.consents.setdefault(
            (c := read_consent(e)).member, []).append(c),
        "coop-check-cashed": lambda e: records.checks_cashed.append(read_check_cashed(e)),
    }
    for entry in entries:
        reader = readers.get(entry.type)
        try:
            if reader is None:
                raise DirectiveError(
                    f"unknown co-op directive {entry.type!r}; the co-op directives are: "
                    f"{', '.join(sorted(readers))}"
                )
            reader(entry)
        except DirectiveError as exc:
            errors.append(CoopError(entry.meta, str(exc), entry))

    for key, lines in records.consents.items():
        if key not in records.members:
            errors.extend(CoopError(line.source, (
                f"coop-consent names unknown member {key!r}; fix the key (members: "
                f"{', '.join(sorted(records.members)) or 'none declared'})"), None)
                for line in lines)
    for entry, key, redeem in leaves:
        member = records.members.get(key)
        if member is None:
            errors.append(CoopError(entry.meta, (
                f"coop-leave names unknown member {key!r}; fix the key (members: "
                f"{', '.join(sorted(records.members)) or 'none declared'})"), entry))
        elif member.left is not None:
            errors.append(CoopError(entry.meta, f"member {key!r} has left already, on "
                                    f"{member.left}; remove one of the two coop-leave lines",
                                    entry))
        elif entry.date < member.joined:
            errors.append(CoopError(
                entry.meta, f"member {key!r} leaves on {entry.date}, before joining on "
                f"{member.joined}; fix one of the two dates", entry))
        else:
            records.members[key] = _with_leave(member, entry, redeem)
    return records, errors


def _rejoining(member: Member, leave: data.Custom, members: dict[str, Member]) -> str:
    """What to write for a member who left and comes back: one key holds one membership
    (its join, its leave, the accounts opened and closed with them), so a new one is a new
    key; the message gives the exact line."""
    number = 2
    while f"{member.key}{number}" in members:
        number += 1
    new = f"{member.key}{number}"
    name = member.name.replace("\\", "\\\\").replace('"', '\\"')
    return (f"member {member.key!r} left on {leave.date} ({leave.meta.get('filename')}:"
            f"{leave.meta.get('lineno')}) and is declared again here: a returning member "
            f"joins under a new key, so the first membership's accounts stay as they were "
            f"closed. Write instead: {member.joined} custom \"coop-member\" \"{new}\" "
            f"\"{name}\" (with the new key's coop-subscription, and {new} in the member's "
            "new postings); one key for two membership periods is not supported")


def _with_leave(member: Member, entry: data.Custom, redeem: bool) -> Member:
    return replace(member, left=entry.date, left_source=entry.meta,
                   redeem_shares_on_leaving=redeem)
