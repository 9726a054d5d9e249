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
"""

from __future__ import annotations

import ast
import datetime
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


KNOWN_KEYS = ("as_of", "recovery_account", "fiscal_year_end", "earnings_account", "rules",
              "cash_rounding")

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
    if "as_of" in value:
        raw = value["as_of"]
        try:
            as_of = datetime.date.fromisoformat(str(raw))
        except ValueError:
            raise ConfigError(
                f"the coop plugin's 'as_of' must be a date written YYYY-MM-DD, not "
                f"{_short(raw)}"
            ) from None
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
    rules = rule_set(_choice(value, "rules", NAMES, "us"))
    rounding = _choice(value, "cash_rounding", CASH_ROUNDINGS, "up")
    return PluginConfig(as_of=as_of, recovery_account=recovery, fiscal_year=fiscal_year,
                        earnings_account=earnings, rules=rules, cash_rounding=rounding)


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
