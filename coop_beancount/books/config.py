"""The plugin's configuration string.

    plugin "coop_beancount.plugins.coop" "{'as_of': '2025-12-31'}"

A Python dict literal, like the configs of Beancount's own plugins. Keys:

* `as_of`: no entry is generated after this date (default: today), so
  Fava's charts never show dues that are not due yet.
* `recovery_account`: where the members' parts of shared costs are credited
  (default `Income:Members:SharedCosts`), so the co-op's own expense accounts
  keep showing what it really spent.
* `fiscal_year_end`: the last day of the fiscal year as 'MM-DD' (default
  '12-31'); fiscal years are named by the calendar year they end in.
* `earnings_account`: the retained earnings a patronage allocation draws the
  margin from (default Beancount's own `Equity:Earnings:Previous`).
* `rules`: the tax rules patronage dividends are checked against: 'us' (the
  default: IRC Subchapter T, Form 1099-PATR), 'none' (an informal co-op: no tax
  checks or forms) or 'ca' (Canada: ITA s.135, the T4A); see core/rules/.
* `cash_rounding`: how each member's cash part is rounded to the cent: 'up' (the
  default; never under the cash share) or 'half-up' (as many bylaws say; never
  under a qualified notice's 20% either).
* `payer`: the co-op as Form 1099-PATR's payer, a dict of `name` (default: the books'
  title), `tin` (its EIN, 12-3456789), `address` (lines joined by newlines or "; ") and
  `phone`. An employer identification number is printed on every member's form and is
  not private like a member's SSN, so it may live here, in git; members' numbers live
  in members-private.csv (docs/private-data.md).
* `section_521`: TRUE for a farmers' co-op exempt under IRC section 521, the only kind
  that pays non-patronage distributions (`distribution: "nonpatronage"`, box 2).
* `specified_cooperative`: TRUE for a specified agricultural or horticultural co-op
  (IRC section 199A(g)(4)): boxes 6 and 7 and the "specified coop" box of the 1099-PATR.
* `without_consent`: what a qualified notice to a member with no consent in force
  (IRC 1388(c): no `coop-consent`, no qualified check cashed in time) is:
  'error' (the default: an error at the decision) or 'non-qualified' (that
  member's part is issued non-qualified, by rule, and the notice says so).
  The notices and certificates print the co-op's address from `payer`.
* `start`: the first day of the fiscal year these books start on, when a co-op splits its
  books by year (`coop close-year`, docs/scale.md): the plugin derives nothing dated before
  it (dues, retains, allocations, redemptions: the books' opening balances, dated the day
  before, carry what they came to), and reports a patronage decision for a fiscal year
  that ended before it (its margin and patronage are in the earlier books).
"""

from __future__ import annotations

import ast
import datetime
import re
from dataclasses import dataclass

from beancount.core import account as account_lib

from coop_beancount.core.patronage import CASH_ROUNDINGS, US, FiscalCalendar
from coop_beancount.core.rules import NAMES, RuleSet, rule_set

DECEMBER = FiscalCalendar(12, 31)


@dataclass(frozen=True)
class PluginConfig:
    as_of: datetime.date
    #: None: `<name_income>:Members:SharedCosts`.
    recovery_account: str | None = None
    fiscal_year: FiscalCalendar = DECEMBER
    #: None: the ledger's previous-earnings account.
    earnings_account: str | None = None
    rules: RuleSet = US
    cash_rounding: str = "up"
    payer: Payer | None = None
    section_521: bool = False
    specified_cooperative: bool = False
    #: A qualified notice to a member with no consent in force: "error" or "non-qualified".
    without_consent: str = "error"
    #: The first day of the books (`start`): nothing is derived before it.
    start: datetime.date | None = None

    @property
    def address(self) -> str:
        """The co-op's postal address (the payer's), a line per line, for printed pages."""
        text = self.payer.address if self.payer else ""
        return "\n".join(line.strip() for line in text.replace(";", "\n").splitlines()
                         if line.strip())


@dataclass(frozen=True)
class Payer:
    """The co-op as the payer of Form 1099-PATR (the plugin's `payer` setting)."""

    name: str = ""
    tin: str = ""
    address: str = ""
    phone: str = ""


KNOWN_KEYS = ("as_of", "recovery_account", "fiscal_year_end", "earnings_account", "rules",
              "cash_rounding", "payer", "section_521", "specified_cooperative",
              "without_consent", "start")
#: What a qualified notice to a member without consent in force is (IRC 1388(c)).
WITHOUT_CONSENT = ("error", "non-qualified")
PAYER_KEYS = ("name", "tin", "address", "phone")
#: An employer identification number: 12-3456789 (or the nine digits).
EIN = re.compile(r"^(\d{2}-\d{7}|\d{9})$")

EXAMPLE = "plugin \"coop_beancount.plugins.coop\" \"{'as_of': '2025-12-31'}\""


class ConfigError(ValueError):
    pass


def parse_config(text: str | None, today: datetime.date | None = None) -> PluginConfig:
    """Read the config string; raises ConfigError with a message that shows the fix."""
    as_of = today or datetime.date.today()
    if text is None or not text.strip():
        return PluginConfig(as_of=as_of)
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ConfigError(
            f"the coop plugin's config {_short(text)} is not a Python dict literal "
            f"({type(exc).__name__}); write it like: {EXAMPLE}"
        ) from None
    if not isinstance(value, dict):
        raise ConfigError(
            f"the coop plugin's config must be a dict, not {type(value).__name__}; "
            f"write it like: {EXAMPLE}"
        )
    unknown = sorted(_short(k) for k in value if k not in KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"the coop plugin's config has unknown key(s) {', '.join(unknown)}; "
            f"known keys: {', '.join(KNOWN_KEYS)}"
        )
    as_of = _date(value, "as_of") or as_of
    recovery = _account(value, "recovery_account", "Income:Members:SharedCosts")
    earnings = _account(value, "earnings_account", "Equity:Earnings:Previous")
    fiscal_year = DECEMBER
    if "fiscal_year_end" in value:
        raw = value["fiscal_year_end"]
        try:
            fiscal_year = FiscalCalendar.parse(str(raw))
        except ValueError:
            raise ConfigError(
                f"the coop plugin's 'fiscal_year_end' must be the year's last day written "
                f"'MM-DD', such as '06-30', not {_short(raw)}") from None
    start = _start(value, fiscal_year)
    rules = rule_set(_choice(value, "rules", NAMES, "us"))
    rounding = _choice(value, "cash_rounding", CASH_ROUNDINGS, "up")
    return PluginConfig(as_of=as_of, recovery_account=recovery, fiscal_year=fiscal_year,
                        earnings_account=earnings, rules=rules, cash_rounding=rounding,
                        payer=_payer(value.get("payer")),
                        section_521=_flag(value, "section_521"),
                        specified_cooperative=_flag(value, "specified_cooperative"),
                        without_consent=_choice(value, "without_consent", WITHOUT_CONSENT,
                                                "error"),
                        start=start)


def _date(value: dict, key: str) -> datetime.date | None:
    if key not in value:
        return None
    raw = value[key]
    try:
        return datetime.date.fromisoformat(str(raw))
    except ValueError:
        raise ConfigError(
            f"the coop plugin's {key!r} must be a date written YYYY-MM-DD, not "
            f"{_short(raw)}") from None


def _start(value: dict, calendar: FiscalCalendar) -> datetime.date | None:
    """The `start` date, which must open a fiscal year: the books split at a year's end."""
    start = _date(value, "start")
    if start is None:
        return None
    year = calendar.year_of(start)
    if calendar.start(year) != start:
        raise ConfigError(
            f"the coop plugin's 'start' must be the first day of a fiscal year, where split "
            f"books begin; {start} is inside fiscal year {year}, which starts on "
            f"{calendar.start(year)}")
    return start


def _flag(value: dict, key: str) -> bool:
    flag = value.get(key, False)
    if not isinstance(flag, bool):
        raise ConfigError(f"the coop plugin's {key!r} must be True or False, not {_short(flag)}")
    return flag


def _payer(value: object) -> Payer | None:
    """The `payer` dict: name, tin (an EIN), address, phone; all text."""
    if value is None:
        return None
    example = ("'payer': {'name': 'Example Co-op', 'tin': '12-3456789', "
               "'address': '1 Main St; Carver MA 02330', 'phone': '508-555-0100'}")
    if not isinstance(value, dict) or any(k not in PAYER_KEYS for k in value) or any(
            not isinstance(v, str) for v in value.values()):
        raise ConfigError(f"the coop plugin's 'payer' must be a dict of text with the keys "
                          f"{', '.join(PAYER_KEYS)}, like {example}; not {_short(value)}")
    tin = value.get("tin", "").strip()
    if tin and not EIN.match(tin):
        raise ConfigError("the coop plugin's payer 'tin' must be the co-op's employer "
                          f"identification number written like 12-3456789, not {_short(tin)}")
    return Payer(name=value.get("name", "").strip(), tin=tin,
                 address=value.get("address", "").strip(), phone=value.get("phone", "").strip())


def _choice(value: dict, key: str, choices: tuple[str, ...], default: str) -> str:
    chosen = value.get(key, default)
    if chosen not in choices:
        raise ConfigError(
            f"the coop plugin's {key!r} must be one of {', '.join(map(repr, choices))}, not "
            f"{_short(chosen)}")
    return chosen


def _account(value: dict, key: str, example: str) -> str | None:
    account = value.get(key)
    if account is not None and (not isinstance(account, str)
                                or not account_lib.is_valid(account)):
        raise ConfigError(
            f"the coop plugin's {key!r} must be an account name such as "
            f"'{example}', not {_short(account)}")
    return account


def _short(value: object) -> str:
    """A value for a message: as the config writes it, or the start and end of a long one."""
    try:
        shown = repr(value)
    except ValueError:  # an int longer than Python prints (4300 digits)
        shown = "a number of thousands of digits"
    return shown if len(shown) <= 60 else f"{shown[:45]}...{shown[-8:]}"
