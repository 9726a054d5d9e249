"""import.yaml: the co-op's importers, configured in the books, validated with clear errors.

`coop import` (and Fava's import page) read `import.yaml` next to the books' main file.
A full example, every key shown (defaults in the comments)::

    # Rules for matching bank payments to members, for every bank importer (optional).
    # (Who a member is on a statement is also read from the books: `iban:` and
    # `bank-name:` metadata under each coop-member directive; see matching.py.)
    matching:
      inflow: receivable            # a member's payment in, when no reference rule says
      outflow: payable              # a payment out to a member
      unknown_inflow: Income:Unknown      # the placeholder account of an unmatched payment
      unknown_outflow: Expenses:Unknown
      names:                        # names on statements -> member key
        "SOUZA, ANA": Ana
      accounts:                     # IBANs or account numbers -> member key; in quotes
        "0042117734": Chloe
      references:                   # first match wins; searched in the reference, then
        - pattern: '\\bshares?\\b'   #   the narration; case-insensitive regular expressions
          to: shares:Member         # dues | receivable | payable | shares:<Class> | an account
        - pattern: 'dues (?P<member>\\w+)'    # who: a `member` group with the member key,
          to: dues                            #   or `member: Ana`, or else found by the
        - pattern: 'PEA-\\d{4}-\\d{2}'         #   account number or the name
          to: Assets:Clients:PearlStreetPress  # an account: no member

    importers:
      - type: bank
        name: checking              # how `coop import identify` names it (default: bank:<account>)
        account: Assets:Bank:Checking       # required
        currency: USD                       # required
        filename: "checking-*.csv"  # a glob on the file name (optional)
        csv:                        # the file's layout; every key optional
          encoding: utf-8           # utf-8 (with or without a BOM), latin-1, cp1252, ...
          delimiter: ","
          skip_lines: 0             # lines before the header (a bank's title block)
          date_format: "%m/%d/%Y"   # strptime codes; quote it ("%" cannot start a YAML value)
          decimal: "."
          thousands: ","            # "" when the bank writes none
        columns:                    # a header name, or a position (1 is the first column)
          date: Date                # required
          amount: Amount            # a signed amount; or debit: and credit: columns
          # debit: Debit            # money out (whatever its sign)
          # credit: Credit          # money in
          # sign: Dr/Cr             # with amount: a column saying debit or credit
          payee: Counterparty
          narration: Memo           # or a list of columns, joined with " / "
          reference: Memo           # what reference rules search
          counterparty_account: Counterparty Account   # for matching by IBAN/account number
          transaction_id: Transaction ID   # the bank's own id: the row's identity
          balance: Balance          # becomes a balance assertion
          currency: Currency        # when a statement mixes currencies
        positive: inflow            # or outflow: a bank that writes money out as positive
        # sign_values:              # with columns.sign: the values that mean each (default)
        #   debit: [D, DR, DEBIT, "-", S]
        #   credit: [C, CR, CREDIT, "+", H]
        balances: last              # one assertion after the last day; daily: after each day
        matching:                   # keys here replace the same keys of the top-level one
          inflow: dues

      - type: patronage             # records.py: a CSV of member, date, quantity
        name: scale-house
        account: Equity:Members     # where `coop import archive` files it (default)
        measure: barrels            # required: a coop-measure of the books
        filename: "scale-*.csv"
        csv: {delimiter: ";"}
        columns: {member: Grower, date: Date, quantity: Barrels, description: Bog}

      - type: roster                # records.py: a CSV of members
        filename: "members*.csv"
        columns: {key: Key, name: Name, joined: Joined, left: Left, iban: IBAN,
                  email: Email}

      - type: timesheet             # timesheet.py: members' work for clients (coop-work)
        filename: "timesheet-*.csv"
        account: Income:Billings    # where `coop import archive` files it (default)
        currency: USD               # of the fixed fees; required with a fee column
        columns: {member: Person, client: Client, date: Date, hours: Hours,
                  fee: Fee, project: Project, description: Notes}   # hours or fee, or both

      - type: payroll               # payroll.py: the payroll provider's export (wages)
        filename: "payroll-*.csv"
        currency: USD               # required
        payee: Gusto                # the transactions' payee (default Payroll)
        columns: {date: Pay date, member: Employee, gross: Gross pay, net: Net pay,
                  employer_taxes: Employer taxes, employee_taxes: Employee taxes}
        accounts:                   # every key optional; the defaults:
          wages: Expenses:Payroll:Wages
          employer_taxes: Expenses:Payroll:EmployerTaxes
          net_pay: Liabilities:Payroll:NetPay
          taxes: Liabilities:Payroll:Taxes

Every mistake is reported with the file and the key path, for example
`import.yaml: importers[2].csv.decimal: must be one character, not ',,'`; `importers[1]` is
the first importer. All of them at once: each part of the file (the top-level matching, each
importer, its csv, its columns, its matching, each reference rule) is checked on its own, so
one mistake hides nothing but what depends on it. Unknown keys are errors, not ignored, so a
typo never silently drops a setting. `import.schema.json` beside this module is the same
rules as a JSON Schema, for editors that complete and check YAML.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import beangulp
import yaml
from beancount.core import account as account_lib

from coop_beancount.core.accounts import is_valid_key
from coop_beancount.importers import matching
from coop_beancount.importers.bank import (
    BALANCES,
    CREDIT_MARKS,
    DEBIT_MARKS,
    POSITIVE,
    BankColumns,
    BankImporter,
)
from coop_beancount.importers.csvformat import CsvFormat
from coop_beancount.importers.till import OPTIONAL as TILL_OPTIONAL
from coop_beancount.importers.till import PERIODS, PRESETS, TillImporter
from coop_beancount.importers.till import REQUIRED as TILL_REQUIRED

TYPES = ("bank", "patronage", "roster", "till", "timesheet", "payroll")
DEFAULT_RECORDS_ACCOUNT = "Equity:Members"


class ImportConfigError(ValueError):
    """A mistake in import.yaml: the file, the key path, what is wrong."""

    def __init__(self, path: str | Path, key: str | None, message: str) -> None:
        self.path = str(path)
        self.key = key
        self.message = message
        where = f"{self.path}: {key}" if key else self.path
        super().__init__(f"{where}: {message}")


class ImportConfigErrors(ImportConfigError):
    """Every mistake found in import.yaml; reads as the first when there is one."""

    def __init__(self, errors: list[ImportConfigError]) -> None:
        first = errors[0]
        super().__init__(first.path, first.key, first.message)
        self.errors = errors
        self.args = ("\n".join(str(error) for error in errors),)

    def __str__(self) -> str:
        return self.args[0]


class _Stop(Exception):
    """This part of the file is wrong: stop checking it and go on with the next part."""


def _checked(build: Callable[[], Any], default: Any = None) -> Any:
    """`build()`, or `default` when the part it checks is wrong (its error is kept)."""
    try:
        return build()
    except _Stop:
        return default


@dataclass(frozen=True)
class ImportConfig:
    path: Path
    #: beangulp importers (bank, patronage, roster): `coop import extract` and Fava's page.
    importers: list[beangulp.Importer]
    #: Point-of-sale exports, aggregated rather than read row by row: `coop import till`.
    tills: list[TillImporter] = field(default_factory=list)


# --- checking values -----------------------------------------------------------------------

_TYPE_NAMES = {str: "text", int: "a whole number", list: "a list", dict: "a mapping (key: value)",
               bool: "true or false"}


class _Section:
    """A mapping of the file being checked, with its key path for messages."""

    def __init__(self, path: str, where: str, value: Any,
                 errors: list[ImportConfigError] | None = None) -> None:
        self.path = path
        self.where = where
        self.errors = [] if errors is None else errors
        if not isinstance(value, dict):
            self.fail(None, f"must be {_TYPE_NAMES[dict]}, not {_describe(value)}")
        self.value: dict[Any, Any] = value

    def key_path(self, key: str | None) -> str:
        if key is None:
            return self.where
        return f"{self.where}.{key}" if self.where else key

    def note(self, key: str | None, message: str) -> None:
        """Keep a mistake and go on checking."""
        self.errors.append(ImportConfigError(self.path, self.key_path(key) or None, message))

    def fail(self, key: str | None, message: str) -> NoReturn:
        """Keep a mistake and stop checking this part."""
        self.note(key, message)
        raise _Stop

    def child(self, where: str, value: Any) -> _Section:
        return _Section(self.path, where, value, self.errors)

    def allow(self, keys: tuple[str, ...]) -> None:
        for key in self.value:
            if key not in keys:
                self.note(str(key), f"unknown key; the keys here are {', '.join(keys)}")

    def get(self, key: str, kind: type, required: bool = False, default: Any = None) -> Any:
        if key not in self.value or self.value[key] is None:
            if required:
                self.fail(key, "is missing")
            return default
        value = self.value[key]
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            self.fail(key, f"must be {_TYPE_NAMES[kind]}, not {_describe(value)}")
        return value

    def section(self, key: str, required: bool = False) -> _Section | None:
        if key not in self.value or self.value[key] is None:
            if required:
                self.fail(key, "is missing")
            return None
        return self.child(self.key_path(key), self.value[key])

    def account(self, key: str, required: bool = False, default: str | None = None) -> Any:
        value = self.get(key, str, required, default)
        if value is not None and not account_lib.is_valid(value):
            self.fail(key, f"{value!r} is not an account name (such as Assets:Bank:Checking)")
        return value

    def member_key(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not is_valid_key(value):
            self.fail(key, f"{value!r} is not a member key (such as Ana or M042)")
        return value


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, dict)):
        return _TYPE_NAMES[type(value)]
    return f"{value!r} ({type(value).__name__})"


# --- csv -----------------------------------------------------------------------------------

def _encoding(section: _Section, text: str) -> str:
    try:
        name = codecs.lookup(text).name
    except LookupError:
        section.fail("encoding", f"unknown encoding {text!r} (for example utf-8 or latin-1)")
    # utf-8-sig reads UTF-8 with or without a byte-order mark: a bookkeeper never has to know.
    return "utf-8-sig" if name in ("utf-8", "utf-8-sig") else text


def _one_char(section: _Section, key: str, text: str, empty_ok: bool = False) -> str:
    if len(text) != 1 and not (empty_ok and text == ""):
        section.fail(key, f"must be one character{' or empty' if empty_ok else ''}, "
                          f"not {text!r}")
    return text


def csv_format(section: _Section | None, default: CsvFormat | None = None) -> CsvFormat:
    default = default or CsvFormat()
    if section is None:
        return default
    section.allow(("encoding", "delimiter", "skip_lines", "date_format", "decimal",
                   "thousands"))
    encoding = section.get("encoding", str)
    delimiter = section.get("delimiter", str)
    skip_lines = section.get("skip_lines", int, default=0)
    if skip_lines < 0:
        section.fail("skip_lines", f"must be 0 or more, not {skip_lines}")
    date_format = section.get("date_format", str, default=default.date_format)
    if "%" not in date_format:
        section.fail("date_format", f"{date_format!r} has no strptime codes (such as %d.%m.%Y)")
    decimal = section.get("decimal", str)
    thousands = section.get("thousands", str)
    fmt = CsvFormat(
        encoding=_encoding(section, encoding) if encoding is not None else default.encoding,
        delimiter=(_one_char(section, "delimiter", delimiter) if delimiter is not None
                   else default.delimiter),
        skip_lines=skip_lines,
        date_format=date_format,
        decimal=_one_char(section, "decimal", decimal) if decimal is not None else default.decimal,
        thousands=(_one_char(section, "thousands", thousands, empty_ok=True)
                   if thousands is not None else default.thousands),
    )
    if fmt.thousands == fmt.decimal:
        key = "thousands" if thousands is not None else "decimal"
        section.fail(key, (
            f"decimal and thousands separators are both {fmt.decimal!r}; set the other one "
            "too (for example decimal: \",\" and thousands: \".\")"))
    return fmt


# --- columns -------------------------------------------------------------------------------

def _column(section: _Section, key: str, value: Any) -> str | int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        section.fail(key, f"must be a column name or a position (1 is the first column), "
                          f"not {_describe(value)}")
    if isinstance(value, int) and value < 1:
        section.fail(key, f"position {value}: the first column is 1")
    if isinstance(value, str) and not value.strip():
        section.fail(key, "is an empty column name")
    return value.strip() if isinstance(value, str) else value


def _columns(section: _Section, required: tuple[str, ...],
             optional: tuple[str, ...]) -> dict[str, str | int]:
    section.allow(required + optional)
    found = {}
    for key in required + optional:
        if key in section.value and section.value[key] is not None:
            found[key] = _column(section, key, section.value[key])
        elif key in required:
            section.fail(key, "is missing: which column holds it?")
    return found


BANK_COLUMNS = ("date", "amount", "debit", "credit", "sign", "payee", "narration",
                "reference", "counterparty_account", "balance", "transaction_id", "currency")


def bank_columns(section: _Section) -> BankColumns:
    value = dict(section.value)
    narration = value.pop("narration", None)
    plain = section.child(section.where, value)
    found = _columns(plain, ("date",), tuple(k for k in BANK_COLUMNS
                                             if k not in ("date", "narration")))
    if narration is None:
        columns_narration: tuple[str | int, ...] = ()
    elif isinstance(narration, list):
        if not narration:
            section.fail("narration", "is an empty list")
        columns_narration = tuple(_column(section, f"narration[{i}]", item)
                                  for i, item in enumerate(narration, 1))
    else:
        columns_narration = (_column(section, "narration", narration),)
    if "amount" not in found and "debit" not in found and "credit" not in found:
        section.fail("amount", "is missing: give the amount column, or debit and credit columns")
    if "amount" in found and ("debit" in found or "credit" in found):
        section.fail("amount", "and debit/credit are both given: an amount column holds "
                               "the signed amount, debit and credit columns replace it")
    if "sign" in found and "amount" not in found:
        section.fail("sign", "goes with an amount column: it says whether the amount is a "
                             "debit or a credit")
    return BankColumns(narration=columns_narration, **found)  # type: ignore[arg-type]


# --- matching ------------------------------------------------------------------------------

MATCHING_KEYS = ("inflow", "outflow", "unknown_inflow", "unknown_outflow", "names", "accounts",
                 "references")


def _target(section: _Section, key: str, required: bool = False) -> str | None:
    value = section.get(key, str, required)
    if value is not None:
        problem = matching.target_error(value)
        if problem:
            section.fail(key, problem)
    return value


def _lookup(section: _Section | None, normalize: Callable[[str], str],
            what: str) -> dict[str, str]:
    if section is None:
        return {}
    found = {}
    for text, key in section.value.items():
        if not isinstance(text, str):
            # Not at the key path of the number YAML made of it: that is not in the file.
            section.fail(None, (
                f"put each {what} in quotes: YAML read the one for {key!r} as the number "
                f"{text!r} (unquoted digits are numbers to YAML, leading zeros dropped or read "
                "as octal)"))
        found[normalize(text)] = section.member_key(text, key)
    return found


def _reference(section: _Section) -> matching.ReferenceRule:
    section.allow(("pattern", "to", "member"))
    text = section.get("pattern", str, required=True)
    try:
        pattern = re.compile(text, re.IGNORECASE)
    except re.error as exc:
        section.fail("pattern", f"{text!r} is not a regular expression: {exc}")
    to = _target(section, "to")
    member = section.get("member", str)
    if member is not None:
        section.member_key("member", member)
    if "member" in pattern.groupindex and member is not None:
        section.fail("member", "and a (?P<member>...) group in the pattern: give one of the two")
    if to is not None and not matching.is_member_target(to) and (
            member is not None or "member" in pattern.groupindex):
        section.fail("to", f"{to!r} is an account: a rule that names a member books to one of "
                           "their accounts (dues, receivable, payable, shares:<Class>)")
    return matching.ReferenceRule(pattern=pattern, to=to, member=member)


def matching_config(parent: _Section, where: str,
                    merged: Mapping[str, Any]) -> matching.MatchingConfig:
    section = parent.child(where, dict(merged))
    section.allow(MATCHING_KEYS)
    references = _checked(lambda: section.get("references", list, default=[]), [])
    rules = tuple(_checked(lambda i=i, item=item: _reference(
        section.child(section.key_path(f"references[{i}]"), item)))
        for i, item in enumerate(references, 1))
    default = matching.MatchingConfig()
    names = _checked(lambda: _lookup(section.section("names"), matching.normalize_name,
                                     "name"), {})
    accounts = _checked(lambda: _lookup(section.section("accounts"),
                                        matching.normalize_account_number, "account number"),
                        {})
    inflow = _checked(lambda: _target(section, "inflow"))
    outflow = _checked(lambda: _target(section, "outflow"))
    unknown_inflow = _checked(lambda: section.account("unknown_inflow"))
    unknown_outflow = _checked(lambda: section.account("unknown_outflow"))
    if section.errors:
        raise _Stop
    return matching.MatchingConfig(
        references=rules, names=names, accounts=accounts,
        inflow=inflow or default.inflow, outflow=outflow or default.outflow,
        unknown_inflow=unknown_inflow or default.unknown_inflow,
        unknown_outflow=unknown_outflow or default.unknown_outflow,
    )


# --- importers -----------------------------------------------------------------------------

COMMON = ("type", "name", "account", "filename", "csv", "columns")


def _filename(section: _Section) -> str | None:
    pattern = section.get("filename", str)
    if pattern is not None and ("/" in pattern or "\\" in pattern):
        section.fail("filename", f"{pattern!r}: a pattern for the file name only, no folders")
    return pattern


def bank(section: _Section, name: str, top_matching: Mapping[str, Any]) -> BankImporter:
    section.allow((*COMMON, "currency", "positive", "sign_values", "balances", "matching"))
    account = _checked(lambda: section.account("account", required=True))
    currency = _checked(lambda: _currency(section))
    columns = _checked(lambda: bank_columns(section.section("columns", required=True)))
    pattern = _checked(lambda: _filename(section))
    if columns is not None and pattern is None and not any(
            isinstance(c, str) for c in columns.all()):
        section.note("filename", (
            "is missing: with columns given only by position, the file name is what tells "
            "this bank's statements apart"))
    positive = _checked(lambda: _choice(section, "positive", POSITIVE, "inflow"))
    balances = _checked(lambda: _choice(section, "balances", BALANCES, "last"))
    marks = _checked(lambda: _sign_values(section, columns), (DEBIT_MARKS, CREDIT_MARKS))
    own = _checked(lambda: section.section("matching"))
    merged = {**top_matching, **(own.value if own is not None else {})}
    where = section.key_path("matching") if own is not None else "matching"
    matching_rules = _checked(lambda: matching_config(section, where, merged))
    fmt = _checked(lambda: csv_format(section.section("csv")))
    if section.errors:
        raise _Stop
    return BankImporter(
        name=name, account=account, currency=currency, columns=columns,
        csv=fmt, filename_pattern=pattern, matching_config=matching_rules,
        balances=balances, positive=positive, debit_marks=marks[0], credit_marks=marks[1])


def _currency(section: _Section) -> str:
    currency = section.get("currency", str, required=True)
    if not re.fullmatch(r"[A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]", currency):
        section.fail("currency", f"{currency!r} is not a currency such as USD")
    return currency


def _choice(section: _Section, key: str, choices: tuple[str, ...], default: str) -> str:
    value = section.get(key, str, default=default)
    if value not in choices:
        section.fail(key, f"must be {' or '.join(choices)}, not {value!r}")
    return value


def _sign_values(section: _Section, columns: BankColumns | None,
                 ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    signs = section.section("sign_values")
    if signs is None:
        return DEBIT_MARKS, CREDIT_MARKS
    if columns is not None and columns.sign is None:
        signs.fail(None, "is only used with columns.sign")
    signs.allow(("debit", "credit"))
    debit_marks = tuple(_marks(signs, "debit", DEBIT_MARKS))
    credit_marks = tuple(_marks(signs, "credit", CREDIT_MARKS))
    common = {m.upper() for m in debit_marks} & {m.upper() for m in credit_marks}
    if common:
        signs.fail("credit", f"{', '.join(sorted(common))} cannot mean debit and credit")
    return debit_marks, credit_marks


def _marks(section: _Section, key: str, default: tuple[str, ...]) -> list[str]:
    values = section.get(key, list, default=list(default))
    marks = []
    for i, value in enumerate(values, 1):
        if not isinstance(value, str) or not value.strip():
            section.fail(f"{key}[{i}]", f"must be text, not {_describe(value)}")
        marks.append(value.strip())
    return marks


def patronage(section: _Section, name: str) -> beangulp.Importer:
    from coop_beancount.importers import records  # written alongside; loaded when used

    section.allow((*COMMON, "measure"))
    measure = _checked(lambda: section.get("measure", str, required=True))
    columns = _checked(lambda: _columns(section.section("columns", required=True),
                                        ("member", "date", "quantity"), ("description",)))
    account = _checked(lambda: section.account("account", default=DEFAULT_RECORDS_ACCOUNT))
    fmt = _checked(lambda: csv_format(section.section("csv")))
    pattern = _checked(lambda: _filename(section))
    if section.errors:
        raise _Stop
    return records.PatronageImporter(name=name, account=account, measure=measure,
                                     columns=columns, csv=fmt, filename_pattern=pattern)


def roster(section: _Section, name: str) -> beangulp.Importer:
    from coop_beancount.importers import records  # written alongside; loaded when used

    section.allow(COMMON)
    columns = _checked(lambda: _columns(section.section("columns", required=True),
                                        ("key", "name", "joined"), ("left", "iban", "email")))
    account = _checked(lambda: section.account("account", default=DEFAULT_RECORDS_ACCOUNT))
    fmt = _checked(lambda: csv_format(section.section("csv")))
    pattern = _checked(lambda: _filename(section))
    if section.errors:
        raise _Stop
    return records.RosterImporter(name=name, account=account, columns=columns, csv=fmt,
                                  filename_pattern=pattern)


TIMESHEET_COLUMNS = (("member", "client", "date"), ("hours", "fee", "project", "description"))
PAYROLL_COLUMNS = (("date", "member", "gross", "net", "employer_taxes"), ("employee_taxes",))
DEFAULT_TIMESHEET_ACCOUNT = "Income:Billings"
DEFAULT_PAYROLL_ACCOUNT = "Expenses:Payroll:Wages"


def timesheet(section: _Section, name: str) -> beangulp.Importer:
    """Members' work for clients (`type: timesheet`): importers/timesheet.py."""
    from coop_beancount.importers.timesheet import TimesheetImporter

    section.allow((*COMMON, "currency"))
    columns = _checked(lambda: _columns(section.section("columns", required=True),
                                        *TIMESHEET_COLUMNS))
    if columns is not None and "hours" not in columns and "fee" not in columns:
        section.note("columns.hours", "is missing: give the hours column, the fee column "
                                      "(a fixed fee), or both")
    currency = None
    if "currency" in section.value or (columns and "fee" in columns):
        currency = _checked(lambda: _currency(section))
    account = _checked(lambda: section.account("account", default=DEFAULT_TIMESHEET_ACCOUNT))
    fmt = _checked(lambda: csv_format(section.section("csv")))
    pattern = _checked(lambda: _filename(section))
    if section.errors:
        raise _Stop
    return TimesheetImporter(name=name, account=account, columns=columns, csv=fmt,
                             currency=currency, filename_pattern=pattern)


def payroll(section: _Section, name: str) -> beangulp.Importer:
    """The payroll provider's export (`type: payroll`): importers/payroll.py."""
    from coop_beancount.importers.payroll import ACCOUNTS, PayrollImporter

    section.allow((*COMMON, "currency", "accounts", "payee"))
    columns = _checked(lambda: _columns(section.section("columns", required=True),
                                        *PAYROLL_COLUMNS))
    currency = _checked(lambda: _currency(section))
    accounts = _checked(lambda: _payroll_accounts(section, tuple(ACCOUNTS)), {})
    payee = _checked(lambda: section.get("payee", str, default="Payroll"))
    account = _checked(lambda: section.account("account", default=DEFAULT_PAYROLL_ACCOUNT))
    fmt = _checked(lambda: csv_format(section.section("csv")))
    pattern = _checked(lambda: _filename(section))
    if section.errors:
        raise _Stop
    return PayrollImporter(name=name, account=account, columns=columns, csv=fmt,
                           currency=currency, accounts=accounts, payee=payee,
                           filename_pattern=pattern)


def _payroll_accounts(section: _Section, keys: tuple[str, ...]) -> dict[str, str]:
    own = section.section("accounts")
    if own is None:
        return {}
    own.allow(keys)
    return {key: own.account(key) for key in keys if own.value.get(key) is not None}


def _values(section: _Section, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A list of codes (department numbers, owner numbers, kinds): each as text."""
    values = section.get(key, list, default=list(default))
    found = []
    for i, value in enumerate(values, 1):
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
            section.fail(f"{key}[{i}]", f"must be a code or a number, not {_describe(value)}")
        found.append(str(value).strip())
    return tuple(found)


def till(section: _Section, name: str) -> TillImporter:
    """A point of sale's exports (`type: till`): importers/till.py."""
    section.allow((*COMMON, "measure", "preset", "period", "owner_key", "non_owners",
                   "exclude_departments", "kinds", "statuses"))
    measure = section.get("measure", str, required=True)
    if len(measure.split()) != 1 or '"' in measure:
        section.fail("measure", f"{measure!r}: a measure's name is one word, like purchases")
    preset_name = section.get("preset", str)
    if preset_name is not None and preset_name not in PRESETS:
        section.fail("preset", f"unknown preset {preset_name!r}; the presets are "
                               f"{', '.join(PRESETS)}")
    preset = PRESETS.get(preset_name or "", {})
    given = section.section("columns", required=not preset)
    columns: dict[str, str | int] = dict(preset.get("columns", {}))
    if given is not None:
        given.allow(TILL_REQUIRED + TILL_OPTIONAL)
        for key, value in given.value.items():
            if value is None:
                columns.pop(key, None)  # `discount: null` drops a preset's column
            else:
                columns[key] = _column(given, key, value)
        for key in TILL_REQUIRED:
            if key not in columns:
                given.fail(key, "is missing: which column holds it?")
    period = section.get("period", str, default="month")
    if period not in PERIODS:
        section.fail("period", f"must be {', '.join(PERIODS)}, not {period!r}")
    owner_key = section.get("owner_key", str, default="{owner}")
    if owner_key.count("{owner}") != 1 or not is_valid_key(owner_key.replace("{owner}", "1")):
        section.fail("owner_key", (
            f"{owner_key!r} must make a member key from {{owner}}, the owner number: "
            "\"{owner}\" (the number is the key) or, say, \"O{owner}\""))
    kinds = _codes(section, "kinds", ("sale", "discount"), preset.get("kinds", {}))
    statuses = _codes(section, "statuses", ("return", "void"), preset.get("statuses", {}))
    if (kinds["sale"] or kinds["discount"]) and "kind" not in columns:
        section.fail("kinds", "needs columns.kind, the column that says what a line is")
    if "kind" in columns and not kinds["sale"]:
        section.fail("kinds", "is missing sale: the kinds of line that are purchases "
                              "(CORE-POS: [I, D])")
    if (statuses["return"] or statuses["void"]) and "status" not in columns:
        section.fail("statuses", "needs columns.status, the column that says a line is "
                                 "a return or void")
    excluded = _values(section, "exclude_departments")
    if excluded and "department" not in columns:
        section.fail("exclude_departments", "needs columns.department")
    default_format = CsvFormat(date_format=preset.get("date_format", "%Y-%m-%d %H:%M:%S"))
    fmt = csv_format(section.section("csv"), default_format)
    if fmt.encoding not in ("utf-8-sig", "latin-1", "latin1", "iso-8859-1"):
        section.fail("csv", f"encoding {fmt.encoding!r}: till files are read as utf-8 or "
                            "latin-1")
    return TillImporter(
        name=name, measure=measure, columns=columns, csv=fmt,
        filename_pattern=_filename(section), period=period, owner_key=owner_key,
        non_owners=_values(section, "non_owners", preset.get("non_owners", ("0",))),
        excluded_departments=excluded, sale_kinds=kinds["sale"],
        discount_kinds=kinds["discount"], return_statuses=statuses["return"],
        void_statuses=statuses["void"],
        account=section.account("account", default="Income:Sales"))


def _codes(section: _Section, key: str, names: tuple[str, ...],
           preset: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """`kinds:` or `statuses:`: which codes of a column mean what (a preset's, replaced by
    the ones given)."""
    own = section.section(key)
    found = {name: tuple(preset.get(name, ())) for name in names}
    if own is not None:
        own.allow(names)
        for name in names:
            if name in own.value:
                found[name] = _values(own, name)
    seen: dict[str, str] = {}
    for name, codes in found.items():
        for code in codes:
            if code in seen and seen[code] != name:
                section.fail(key, f"{code!r} cannot mean both {seen[code]} and {name}")
            seen[code] = name
    return found


def _importer(section: _Section, top_matching: Mapping[str, Any]) -> beangulp.Importer:
    kind = section.get("type", str, required=True)
    if kind not in TYPES:
        section.fail("type", f"unknown importer type {kind!r}; the types are "
                             f"{', '.join(TYPES)}")
    name = section.get("name", str)
    if name is None:
        account = section.value.get("account")
        default = {"timesheet": DEFAULT_TIMESHEET_ACCOUNT,
                   "payroll": DEFAULT_PAYROLL_ACCOUNT}.get(kind, DEFAULT_RECORDS_ACCOUNT)
        name = f"{kind}:{account if isinstance(account, str) else default}"
    if kind == "bank":
        return bank(section, name, top_matching)
    if kind == "patronage":
        return patronage(section, name)
    if kind == "till":
        return till(section, name)
    if kind == "timesheet":
        return timesheet(section, name)
    if kind == "payroll":
        return payroll(section, name)
    return roster(section, name)


def parse_config(path: str | Path, document: Any) -> ImportConfig:
    """Build the importers from the YAML document already read from `path`."""
    shown = str(path)
    if document is None:
        raise ImportConfigError(shown, None, "is empty; it needs an `importers:` list")
    errors: list[ImportConfigError] = []
    importers, tills = _checked(lambda: _importers(_Section(shown, "", document, errors)),
                                ([], []))
    if errors:
        raise ImportConfigErrors(errors)
    return ImportConfig(path=Path(path), importers=importers, tills=tills)


def _importers(top: _Section) -> tuple[list[beangulp.Importer], list[TillImporter]]:
    top.allow(("importers", "matching"))
    top_matching = _checked(lambda: top.section("matching"))
    if top_matching is not None:
        # Checked here once, so its mistakes are reported at its own keys, not per importer.
        _checked(lambda: matching_config(top, "matching", top_matching.value))
        if top.errors:
            top_matching = None  # its mistakes are said once; importers check their own keys
    items = top.get("importers", list, required=True)
    if not items:
        top.fail("importers", "is an empty list")
    importers = []
    tills = []
    names: dict[str, int] = {}
    for i, item in enumerate(items, 1):
        importer = _checked(lambda i=i, item=item: _importer(
            top.child(f"importers[{i}]", item),
            top_matching.value if top_matching is not None else {}))
        if importer is None:
            continue
        if importer.name in names:
            top.note(f"importers[{i}].name", (
                f"{importer.name!r} is also the name of importers[{names[importer.name]}]; "
                "give each importer its own name"))
        names[importer.name] = i
        (tills if isinstance(importer, TillImporter) else importers).append(importer)
    return importers, tills


def load_config(path: str | Path) -> ImportConfig:
    """Read and check import.yaml; ImportConfigError names the file and the key."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            document = yaml.safe_load(handle)
    except OSError as exc:
        raise ImportConfigError(path, None, f"cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ImportConfigError(path, None, "is not UTF-8 text") from None
    except RecursionError:
        raise ImportConfigError(path, None, (
            "is not valid YAML that can be read: its brackets or indentation nest too deeply"
        )) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        hint = ""
        if "%" in str(getattr(exc, "context", "") or "") or "'%'" in problem:
            hint = " (a value starting with % must be in quotes: \"%d.%m.%Y\")"
        raise ImportConfigError(path, where, f"is not valid YAML: {problem}{hint}") from None
    return parse_config(path, document)
