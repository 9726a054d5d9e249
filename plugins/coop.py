"""The co-op plugin: members, shares, dues, hours, shared costs and patronage in one pass.

    plugin "coop_beancount.plugins.coop" "{'as_of': '2025-12-31'}"

    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
    2025-01-05 custom "coop-member" "Alice" "Alice Smith"
    2025-01-05 custom "coop-subscription" "Alice" "Member" 1
    2025-03-02 custom "coop-hours" "Alice" 3.5 "production shift"

    2025-03-04 * "Farm share" "Milk for March"
      Expenses:Milk            60.00 USD
        split: "equal"
      Assets:Bank:Checking

    2025-01-01 custom "coop-measure" "barrels"
    2026-02-17 custom "coop-allocation" 2025 "cranberries"
      margin: "Income:Patronage:Cranberries"
    2025-07-15 custom "coop-leave" "Alice"

From these it derives, deterministically, each derived entry pointing at the line
that caused it:

* `open` directives for each member's accounts on joining (and for a share
  class's account on subscribing);
* each member's dues charge per period, up to the `as_of` date;
* the members' parts of every posting with `split:` (equal, weights, percent,
  usage or fixed; named keys with versions), added to its own transaction;
* patronage: per-unit retains, one allocation transaction per board decision
  (reserve, pool, qualified notices and their cash part), and redemptions of
  retained equity (`books/patronage.py`);
* the redemption of a leaver's paid-in shares into their payable.

And it reports, as Beancount errors at the offending line: postings to unknown
members or outside membership, shares paid beyond the subscription, balances
left behind by a leaver, splits that cannot be made, patronage decisions that
break Subchapter T's rules, and any malformed co-op directive.

It is one plugin rather than several so that the books are walked (and
re-sorted by the loader) once, whatever the number of rules. The rules
themselves live in `coop_beancount.core`; this module only adapts entries.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from beancount.core import convert, data
from beancount.core.amount import Amount

from coop_beancount.core.errors import CoopError

if TYPE_CHECKING:
    from coop_beancount.books.config import PluginConfig
    from coop_beancount.books.patronage import PatronageFigures
    from coop_beancount.core.accounts import MemberChart
    from coop_beancount.core.records import CoopRecords, DuesCharge, Member
    from coop_beancount.core.splits import Part

# The modules that read the co-op's directives and apply its rules, the chart of accounts,
# and the config's (with the tax rules and fiscal calendars it names), are imported once
# the books turn out to use them: books without co-op directives, member accounts or split
# costs (a personal ledger that loads the plugin) import only this module and
# core/errors.py (tests/test_plugin_idle.py), not the rules that would cost more than the
# plugin's whole pass over a small ledger.

__plugins__ = ("coop",)

PLUGIN_NAME = "coop_beancount.plugins.coop"
GENERATED = "coop-generated"

SPLIT = "split"
#: The metadata on the postings a split adds (the reports find them by it too).
SPLIT_META = "coop-split"

_NOT_CACHED = object()
_PROFIT_AND_LOSS = object()

MemberPosting = tuple[data.Transaction, data.Posting, str]


class Scan(NamedTuple):
    member_postings: list[MemberPosting]
    #: Indexes of the transactions with a `split:` posting.
    splits: list[int]
    opened: set[str]
    #: For patronage, of the accounts it counts: income and expense totals per fiscal year,
    #: the postings that name a member, the accounts with a posting that names nobody.
    totals: dict[tuple[str, int, str], Decimal]
    member_pl: list[MemberPosting]
    unattributed: set[str]


class Unchanged(list):  # type: ignore[type-arg]
    """The entries handed back exactly as the loader gave them, which it gave sorted: its
    re-sort after the plugin (a key built for every entry, about 2% of a small ledger's
    load) is skipped, once; any later sort sorts."""

    _sorted = True

    def sort(self, *args: Any, **kwargs: Any) -> None:
        if self._sorted:
            self._sorted = False
            return
        super().sort(*args, **kwargs)


def coop(
    entries: list[data.Directive], options_map: dict[str, Any], config_str: str | None = None
) -> tuple[list[data.Directive], list[CoopError]]:
    named = sum(1 for name, _ in options_map.get("plugin", ()) if name == PLUGIN_NAME)
    if named <= 1 and not (config_str or "").strip() and _idle(entries, options_map):
        return Unchanged(entries), []  # nothing to derive, nothing to check
    from coop_beancount.books.config import ConfigError, parse_config

    try:
        config = parse_config(config_str)
    except ConfigError as exc:
        return entries, [CoopError(_plugin_source(options_map), str(exc), None)]
    if named > 1:
        # A second run would derive every charge, split and dividend again, and the books would
        # still balance. The first run does the work and says so; a later one sees its
        # entries and changes nothing.
        if _derived_already(entries):
            return entries, []
        entries, errors = _run(entries, options_map, config)
        lines = _plugin_lines(options_map)
        source = lines[1] if len(lines) > 1 else _plugin_source(options_map)
        return entries, [*errors, CoopError(source, (
            f'the coop plugin is loaded {named} times, so every dues charge, split and '
            f'dividend would be derived {named} times; keep one plugin "{PLUGIN_NAME}" '
            "line, in the main file, and remove this one"), None)]
    return _run(entries, options_map, config)


def _idle(entries: list[data.Directive], options_map: dict[str, Any]) -> bool:
    """Whether the books give the plugin nothing to do: no `coop-*` directive, no posting
    to a member's account, no `split:`. A type check per entry and a look-up per account."""
    members = _member_roots(options_map)
    seen: set[str] = set()
    for entry in entries:
        kind = type(entry)
        if kind is data.Transaction:
            if SPLIT in entry.meta:
                return False
            for posting in entry.postings:
                if posting.meta and SPLIT in posting.meta:
                    return False
                account = posting.account
                if account not in seen:
                    if account.startswith(members):
                        return False
                    seen.add(account)
        elif kind is data.Custom and entry.type.startswith("coop-"):
            return False
    return True


def _member_roots(options_map: dict[str, Any]) -> tuple[str, ...]:
    """The start of every member account's name (`Assets:Members:`, `Liabilities:Members:`,
    `Equity:Members:` under the ledger's root names): an account that starts so is one
    `MemberChart.member_key` names a member of, without importing the chart of accounts."""
    return tuple(f"{options_map.get(f'name_{root.lower()}', root)}:Members:"
                 for root in ("Assets", "Liabilities", "Equity"))


def _derived_already(entries: list[data.Directive]) -> bool:
    """Whether an earlier run of this plugin derived entries (or split postings) here."""
    for entry in entries:
        if GENERATED in entry.meta:
            return True
        if type(entry) is data.Transaction and any(
                p.meta and SPLIT_META in p.meta for p in entry.postings):
            return True
    return False


def _run(entries: list[data.Directive], options_map: dict[str, Any], config: PluginConfig,
         ) -> tuple[list[data.Directive], list[CoopError]]:
    from coop_beancount.books.collector import paused

    try:
        # The collector paused: it would walk every entry of the books again and again for
        # the objects the pass makes, which form no cycles (a quarter of the plugin's time
        # on the issue-19 benchmark's books; books/collector.py).
        with paused():
            return _derive(entries, options_map, config)
    except ArithmeticError as exc:
        # Figures past Decimal's 28 digits that no check caught: an error, never a crash.
        return entries, [CoopError(_plugin_source(options_map), (
            f"the coop plugin cannot calculate with a number this large ({type(exc).__name__});"
            " look for an amount or quantity with more than about 20 digits in the co-op's "
            "directives and postings, and write it with fewer digits"), None)]


def _derive(entries: list[data.Directive], options_map: dict[str, Any], config: PluginConfig,
            ) -> tuple[list[data.Directive], list[CoopError]]:
    from coop_beancount.core.accounts import MemberChart

    chart = MemberChart.from_options(options_map)
    entries = list(entries)
    directives = _coop_directives(entries)
    counted: tuple[str, ...] = ()
    if directives:
        from coop_beancount.books.directives import read_records

        records, errors = read_records(directives)
        if config.start is not None:
            errors.extend(_closed_decisions(records, config))
        counted = _counted_accounts(records, chart, config.as_of)
    scan = _scan(entries, chart, config, counted)
    if not directives:
        if not scan.member_postings and not scan.splits:
            return entries, []  # nothing to derive, nothing to check
        from coop_beancount.books.directives import read_records

        records, errors = read_records([])

    from coop_beancount.books.invoices import derive_invoices
    from coop_beancount.books.patronage import (
        PatronageFigures,
        derive_patronage,
        pay_cash_parts,
    )
    from coop_beancount.core.membership import leaving_problems, posting_problem
    from coop_beancount.core.shares import SharePayment, track_shares

    figures = PatronageFigures(config.fiscal_year, config.rules, config.cash_rounding,
                               scan.totals, scan.member_pl, scan.unattributed)
    figures.section_521 = config.section_521
    figures.specified_cooperative = config.specified_cooperative
    figures.without_consent = config.without_consent
    opened, member_postings = scan.opened, scan.member_postings
    members = records.members
    member_postings.extend(
        _split_costs(entries, scan.splits, records, chart,
                     config.recovery_account or chart.shared_costs_income(), errors,
                     figures))

    new_entries: list[data.Directive] = []
    errors.extend(_check_work(records))

    charges = _dues(records, config.as_of, errors)
    if config.start is not None:
        # Charged before the books start: the opening balances carry what is still owed.
        charges = [charge for charge in charges if charge.date >= config.start]
    for charge_entry in _charge_entries(chart, members, charges):
        figures.count_derived(charge_entry.date, charge_entry.postings, chart)
        new_entries.append(charge_entry)

    payments: list[SharePayment] = []
    # A leave dated after as_of has not happened yet: nothing is derived from it.
    leaving = {key: m for key, m in members.items()
               if m.left is not None and m.left <= config.as_of}
    at_leave: dict[str, dict[str, dict[str, Decimal]]] = {
        key: defaultdict(lambda: defaultdict(Decimal)) for key in leaving
    }
    for entry, posting, key in member_postings:
        # A sub-account counts in the figure of the account it sits under (one rule with
        # the reports); an account the chart does not know is an error.
        account = chart.figure_account(posting.account)
        problem = posting_problem(chart, members, key, account or posting.account, entry.date)
        if problem is None and account is None:
            problem = _unknown_member_account(chart, key, posting.account)
        if problem is not None:
            errors.append(CoopError(entry.meta, problem, entry))
            continue
        units = posting.units
        if account == chart.payable(key):
            figures.payable_postings.append((entry.date, key, units.currency,
                                                    units.number))
        if key in leaving and entry.date <= leaving[key].left:
            at_leave[key][account][units.currency] += units.number
        share_class = chart.share_class(key, account)
        if share_class is not None:
            payments.append(SharePayment(
                entry.date, key, share_class, -units.number, units.currency, entry.meta))
        elif chart.retained_equity(account) is not None:
            figures.equity_postings.append(
                (entry.date, key, account, units.currency, units.number))
    for charge in charges:
        if charge.member in at_leave:
            at_leave[charge.member][chart.dues(charge.member)][charge.currency] += charge.amount

    shares = track_shares(records.share_classes, members, records.subscriptions, payments)
    errors.extend(CoopError(source, message, None) for source, message in shares.problems)

    for key, member in leaving.items():
        balances = at_leave[key]
        if member.redeem_shares_on_leaving:
            for redemption in _redemptions(chart, member, balances):
                new_entries.append(redemption)
        for problem in leaving_problems(chart, member, balances):
            errors.append(CoopError(member.left_source, problem, None))

    invoiced = derive_invoices(records, figures, chart, config.as_of)
    new_entries.extend(invoiced.entries)
    errors.extend(invoiced.errors)

    derived = derive_patronage(
        # The accounts invoices use are opened below: a measure or a margin may name them.
        records, figures, chart, opened | set(invoiced.used), entries, config.as_of,
        config.earnings_account or f"{chart.equity}:{options_map['account_previous_earnings']}")
    new_entries.extend(derived.entries)
    # When each cash part is paid: the user's payable postings (collected above) and
    # the payable postings of what the plugin derived; no second walk over the books.
    pay_cash_parts(derived, figures, chart, new_entries, config.as_of)
    errors.extend(derived.errors)
    for account, (date, source) in invoiced.used.items():
        derived.use(account, date, source)
    if config.start is not None:
        # Split books (docs/scale.md): what the rules derive before the start (a leaver's
        # redemption, a retain, an allocation) is in the opening balances already.
        start = config.start
        new_entries = [entry for entry in new_entries if entry.date >= start]
    new_entries.extend(_member_opens(chart, records, opened, derived.used))
    return entries + new_entries, errors


def _closed_decisions(records: CoopRecords, config: PluginConfig) -> list[CoopError]:
    """Leave out (and report) the decisions for fiscal years that ended before the books'
    `start`: their margin and patronage are in the earlier books, not these. `coop
    close-year` writes the entries such a decision made into the new books instead."""
    assert config.start is not None
    first = config.fiscal_year.year_of(config.start)
    # A qualified check of such a year is that year's books' business too.
    records.checks_cashed = [c for c in records.checks_cashed if c.year >= first]
    closed = [d for d in records.decisions if d.fiscal_year < first]
    if not closed:
        return []
    records.decisions = [d for d in records.decisions if d.fiscal_year >= first]
    return [CoopError(decision.source, (
        f"this decision allocates fiscal year {decision.fiscal_year}, which ended before these "
        f"books start ({config.start}, the plugin's 'start'), so its margin and patronage are "
        "not in them; decide it in the books that hold that year (coop close-year then "
        "carries the entries it makes into these books), or remove it"), None)
        for decision in closed]


def _coop_directives(entries: list[data.Directive]) -> list[data.Custom]:
    """The `coop-*` custom directives, found before the pass over the postings, so that it
    knows which accounts patronage counts (a type check per entry: milliseconds)."""
    found = []
    for index, entry in enumerate(entries):
        if type(entry) is data.Custom and entry.type.startswith("coop-"):
            if entry.values is None:
                # A custom line with no values crashes Beancount's pad plugin;
                # ours reports it, so give it an empty list and keep it.
                entry = entries[index] = entry._replace(values=[])
            found.append(entry)
    return found


def _counted_accounts(records: CoopRecords, chart: MemberChart,
                      as_of: datetime.date) -> tuple[str, ...]:
    """The income and expense accounts (with their sub-accounts) whose postings a rule
    reads: patronage's margins and measures, and the wages that invoiced work checks."""
    from coop_beancount.books.invoices import wages_roots
    from coop_beancount.books.patronage import counted_accounts

    counted = set(counted_accounts(records))
    if records.invoices:
        counted.update(wages_roots(chart, records, as_of))
    return tuple(sorted(counted))


def _scan(entries: list[data.Directive], chart: MemberChart, config: PluginConfig,
          counted: tuple[str, ...]) -> Scan:
    """The one pass over every entry: member postings, splits, opened accounts, and the
    totals per fiscal year of the income and expense accounts a rule reads (`counted`,
    with their sub-accounts); any other income or expense posting costs a dict look-up,
    like any other posting."""
    member_postings: list[MemberPosting] = []
    splits = []
    opened = set()
    calendar = config.fiscal_year
    totals: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    member_pl: list[MemberPosting] = []
    unattributed: set[str] = set()
    if counted:
        from coop_beancount.books.patronage import is_under, member_of
    # Per account: its member key, or _PROFIT_AND_LOSS, or None for any other account.
    owner: dict[str, Any] = {}
    pl_roots = (chart.income + ":", chart.expenses + ":")
    fiscal_year: dict[datetime.date, int] = {}
    for index, entry in enumerate(entries):
        kind = type(entry)
        if kind is data.Transaction:
            split = False
            for posting in entry.postings:
                if posting.meta and SPLIT in posting.meta:
                    split = True
                account = posting.account
                key = owner.get(account, _NOT_CACHED)
                if key is _NOT_CACHED:
                    key = owner[account] = chart.member_key(account) or (
                        _PROFIT_AND_LOSS if counted and account.startswith(pl_roots)
                        and is_under(account, counted) else None)
                if key is _PROFIT_AND_LOSS:
                    date = entry.date
                    year = fiscal_year.get(date)
                    if year is None:
                        year = fiscal_year[date] = calendar.year_of(date)
                    units = posting.units
                    totals[(account, year, units.currency)] += units.number
                    member = member_of(entry, posting)
                    if member is not None:
                        member_pl.append((entry, posting, member))
                    else:
                        unattributed.add(account)
                elif key is not None:
                    member_postings.append((entry, posting, key))
            if split or SPLIT in entry.meta:
                splits.append(index)
        elif kind is data.Open:
            opened.add(entry.account)
    return Scan(member_postings, splits, opened, totals, member_pl, unattributed)


def _split_costs(
    entries: list[data.Directive], indexes: list[int], records: CoopRecords,
    chart: MemberChart, recovery_account: str, errors: list[CoopError],
    figures: PatronageFigures,
) -> list[MemberPosting]:
    """Add each member's part of every `split:` posting to its transaction.

    A transaction whose split cannot be made is reported and left as written:
    never half-split.
    """
    occurrences: dict[str, int] = {}
    generated: list[MemberPosting] = []
    # The split costs of transactions with a link, for the refunds that name them.
    costs: dict[str, list[LinkedCost]] = defaultdict(list)
    for index in indexes:
        entry = entries[index]
        try:
            added, linked = _split_postings(entry, records, chart, recovery_account,
                                            occurrences, costs)
        except _PostingError as exc:
            errors.append(CoopError(exc.source, f"cannot split this cost: {exc}", entry))
            continue
        for link, cost in linked:
            costs[link].append(cost)
        entry = entries[index] = entry._replace(postings=entry.postings + added)
        generated.extend((entry, p, chart.member_key(p.account)) for p in added
                         if p.account != recovery_account)
        figures.count_derived(entry.date, added, chart)  # recovered costs are margin too
    return generated


class _PostingError(Exception):
    def __init__(self, source: dict[str, Any], message: str) -> None:
        super().__init__(message)
        self.source = source


class LinkedCost(NamedTuple):
    """A split cost on a transaction with a link: what a `split: "refund"` undoes."""

    account: str
    currency: str
    amount: Decimal
    parts: list[Part]
    label: str


def _refunded_cost(entry: data.Transaction, account: str, currency: str,
                   costs: dict[str, list[LinkedCost]]) -> LinkedCost:
    from coop_beancount.core.splits import SplitError

    found = [cost for link in sorted(entry.links or ()) for cost in costs.get(link, ())
             if cost.currency == currency]
    if len(found) > 1:
        found = [cost for cost in found if cost.account == account] or found
    if not found:
        raise SplitError(
            f'split: "refund" takes its parts from the cost it refunds, found by a link both '
            f"transactions carry; give this transaction the link (^...) of the split cost in "
            f"{currency} it refunds, dated on or before it")
    if len(found) > 1:
        raise SplitError(
            f'split: "refund": the links of this transaction name {len(found)} split costs in '
            f"{currency} to {account}; give the refund a link that names only the cost it "
            "refunds")
    return found[0]


def _split_postings(
    entry: data.Transaction, records: CoopRecords, chart: MemberChart, recovery_account: str,
    occurrences: dict[str, int], costs: dict[str, list[LinkedCost]],
) -> tuple[list[data.Posting], list[tuple[str, LinkedCost]]]:
    from coop_beancount.core.splits import (
        REFUND,
        SplitError,
        parse_rule,
        refund_parts,
        split_amount,
    )

    # A member whose payable this transaction touches paid out of pocket (or is
    # refunded to their own card): their part goes against that payable.
    payers = set()
    for posting in entry.postings:
        key = chart.member_key(posting.account)
        if key is not None and chart.figure_account(posting.account) == chart.payable(key):
            payers.add(key)  # a refund to the member's own card debits it
    if SPLIT in entry.meta:
        raise _PostingError(entry.meta, (
            "split: is on the transaction; put it under the posting that carries the cost, "
            "indented below that posting"))
    added = []
    linked: list[tuple[str, LinkedCost]] = []
    for posting in entry.postings:
        meta = posting.meta
        if not meta or SPLIT not in meta:
            continue
        source = meta if "lineno" in meta else entry.meta
        try:
            if "__automatic__" in meta:
                raise SplitError(
                    f"the posting to {posting.account} has no amount of its own; write the "
                    "amount on the posting that carries split:")
            # What the posting costs, in the currency it is paid in: 10 HOOL {100.00 USD}
            # (or @ 100.00 USD) is split as 1000.00 USD, never as 10 HOOL.
            units = convert.get_weight(posting)
            if isinstance(meta[SPLIT], str) and meta[SPLIT] == REFUND:
                cost = _refunded_cost(entry, posting.account, units.currency, costs)
                parts = refund_parts(units.number, cost.amount, cost.parts)
                label = f"refund of {cost.label}"
            else:
                seed = f"{entry.date}|{entry.payee}|{entry.narration}|{posting.account}|{units}"
                occurrences[seed] = occurrences.get(seed, 0) + 1
                parts, label = split_amount(
                    parse_rule(meta[SPLIT]), units.number, units.currency, entry.date,
                    records.members, records.split_keys, f"{seed}|{occurrences[seed]}")
                linked.extend((link, LinkedCost(posting.account, units.currency, units.number,
                                                parts, label)) for link in entry.links or ())
        except SplitError as exc:
            raise _PostingError(source, str(exc)) from None
        # Each added posting points at the line that caused it (bean-query's `location`).
        where = {"filename": source.get("filename", "<coop>"), "lineno": source.get("lineno", 0)}
        for part in parts:
            if part.amount == 0:
                continue
            account = (chart.payable(part.member) if part.member in payers
                       else chart.receivable(part.member))
            part_meta = {**where, SPLIT_META: label, "coop-basis": part.basis}
            if part.unit is not None:
                part_meta["coop-units"] = part.units
                part_meta["coop-unit"] = part.unit
            added.append(data.Posting(
                account, Amount(part.amount, units.currency), None, None, None, part_meta))
        added.append(data.Posting(recovery_account, -units, None, None, None,
                                  {**where, SPLIT_META: label}))
    return added, linked


def _member_opens(chart: MemberChart, records: CoopRecords, opened: set[str],
                  used: dict[str, tuple[datetime.date, dict[str, Any]]]) -> list[data.Open]:
    """Opens for every account the plugin uses that the books do not open.

    A member's account opens when they join; any other on its first use (and points at
    the directive that first used it).
    """
    from coop_beancount.books.patronage import generated_meta

    wanted: dict[str, tuple[datetime.date, dict[str, Any]]] = {}
    for account, (date, source) in used.items():
        member = records.members.get(chart.member_key(account) or "")
        if member is not None:
            wanted[account] = (min(date, member.joined), member.source)
        else:
            wanted[account] = (date, source)
    for member in records.members.values():
        for account in chart.opened_on_joining(member.key):
            wanted[account] = (member.joined, member.source)
    for sub in records.subscriptions:
        member = records.members.get(sub.member)
        if member is None or sub.share_class not in records.share_classes:
            continue  # reported by the share rules
        account = chart.shares(sub.member, sub.share_class)
        date = max(sub.date, member.joined)
        if account not in wanted or date < wanted[account][0]:
            wanted[account] = (date, sub.source)
    return [
        data.Open(generated_meta(source, "open"), date, account, None, None)
        for account, (date, source) in sorted(wanted.items())
        if account not in opened
    ]


def _unknown_member_account(chart: MemberChart, key: str, account: str) -> str:
    if account == chart.shares_root(key):
        return (f"post share payments to {account}:<Class> (a share class account), "
                f"not to {account}")
    return (f"{account} is under member {key!r} but is none of the accounts the co-op keeps "
            f"for a member ({chart.receivable(key)}, {chart.dues(key)}, {chart.payable(key)}, "
            f"{chart.shares_root(key)}:<Class>, {chart.equity_root(key)}:Allocated:FY<year>, "
            f"{chart.equity_root(key)}:Retains:FY<year>, {chart.equity_root(key)}:Interest:FY"
            f"<year>, {chart.equity_root(key)}:Losses:FY<year>), so no figure would count it; "
            "post it "
            f"to one of them or to an account under one (such as {chart.receivable(key)}:Loan, "
            "which counts in what the member owes)")


def _check_work(records: CoopRecords) -> list[CoopError]:
    errors = []
    for record in records.work:
        member = records.members.get(record.member)
        if member is None:
            errors.append(CoopError(record.source, (
                f"hours recorded for unknown member {record.member!r}; declare them with "
                f"coop-member or fix the key (members: "
                f"{', '.join(sorted(records.members)) or 'none declared'})"), None))
        elif not member.is_active(record.date):
            errors.append(CoopError(record.source, (
                f"hours recorded for {record.member!r} on {record.date}, when they were not a "
                f"member ({member.membership})"), None))
    return errors


def _dues(records: CoopRecords, as_of: datetime.date, errors: list[CoopError]) -> list[DuesCharge]:
    from coop_beancount.core.dues import dues_charges, schedule_problems

    subscribed_since: dict[tuple[str, str], datetime.date] = {}
    for sub in records.subscriptions:
        subscribed_since.setdefault((sub.member, sub.share_class), sub.date)
    charges: list[DuesCharge] = []
    for schedule in records.dues_schedules:
        problems = schedule_problems(schedule, records.members, records.share_classes)
        if problems:
            errors.extend(CoopError(schedule.source, p, None) for p in problems)
            continue
        charges.extend(
            dues_charges(schedule, records.members.values(), subscribed_since, as_of))
    return charges


def _charge_entries(chart: MemberChart, members: dict[str, Member],
                    charges: list[DuesCharge]) -> list[data.Transaction]:
    from coop_beancount.books.patronage import generated_meta, posting_meta

    entries = []
    for charge in charges:
        member = members[charge.member]
        amount = Amount(charge.amount, charge.currency)
        meta = generated_meta(charge.source, "dues", **{
            "coop-schedule": charge.schedule,
            "coop-period": f"{charge.period_start}/{charge.period_end}",
        })
        entries.append(data.Transaction(
            meta, charge.date, "*", member.name, f"{charge.schedule} {charge.period_start}",
            data.EMPTY_SET, data.EMPTY_SET, [
                data.Posting(chart.dues(member.key), amount, None, None, None,
                             posting_meta(charge.source)),
                data.Posting(charge.income_account or chart.dues_income(), -amount, None, None,
                             None, posting_meta(charge.source)),
            ]))
    return entries


def _redemptions(chart: MemberChart, member: Member,
                 balances: dict[str, dict[str, Decimal]]) -> list[data.Transaction]:
    """Move a leaver's paid-in shares to their payable, at par, on the leave date."""
    from coop_beancount.books.patronage import generated_meta, posting_meta

    entries = []
    for account in sorted(balances):
        share_class = chart.share_class(member.key, account)
        if share_class is None:
            continue
        for currency, number in sorted(balances[account].items()):
            if number == 0:
                continue
            capital = Amount(-number, currency)  # equity is a credit: the balance is negative
            meta = generated_meta(member.left_source, "redemption")
            entries.append(data.Transaction(
                meta, member.left, "*", member.name,
                f"Redemption of {share_class} shares on leaving the co-op",
                data.EMPTY_SET, data.EMPTY_SET, [
                    data.Posting(account, capital, None, None, None,
                                 posting_meta(member.left_source)),
                    data.Posting(chart.payable(member.key), -capital, None, None, None,
                                 posting_meta(member.left_source)),
                ]))
            balances[account][currency] = Decimal(0)
    return entries


def _plugin_source(options_map: dict[str, Any]) -> dict[str, Any]:
    """Where the plugin line is, for errors about its config."""
    lines = _plugin_lines(options_map)
    return lines[0] if lines else data.new_metadata(options_map.get("filename") or "<coop>", 0)


def _plugin_lines(options_map: dict[str, Any]) -> list[dict[str, Any]]:
    """Every `plugin "coop_beancount.plugins.coop"` line of the main file (Beancount runs
    only its plugin lines), in order.

    Beancount keeps no line for a plugin directive, so the file is read again (only when an
    error is to be reported at one)."""
    filename = options_map.get("filename") or "<coop>"
    try:
        # Leniently: a byte that is not UTF-8 elsewhere in the file is Beancount's error to
        # report; it must not hide where the plugin line is.
        text = Path(filename).read_bytes().decode("utf-8", "replace")
    except OSError:
        return []
    return [data.new_metadata(filename, number)
            for number, line in enumerate(text.splitlines(), 1)
            if line.startswith("plugin") and PLUGIN_NAME in line]
