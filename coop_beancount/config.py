"""The plugin's configuration string.

    plugin "coop_beancount.plugins.coop" "{'as_of': '2025-12-31'}"

A Python dict literal, like the configs of Beancount's own plugins. Keys:

* `as_of`: no entry is generated after this date (default: today), so
  Fava's charts never show dues that are not due yet.
* `recovery_account`: where the members' parts of shared costs are credited
  (default `Income:Members:SharedCosts`), so the co-op's own expense accounts
  keep showing what it really spent.
"""

from __future__ import annotations

import ast
import datetime
from dataclasses import dataclass

from beancount.core import account as account_lib


@dataclass(frozen=True)
class PluginConfig:
    as_of: datetime.date
    #: None: `<name_income>:Members:SharedCosts`.
    recovery_account: str | None = None


KNOWN_KEYS = ("as_of", "recovery_account")

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
            f"the coop plugin's config {text!r} is not a Python dict literal "
            f"({type(exc).__name__}); write it like: {EXAMPLE}"
        ) from None
    if not isinstance(value, dict):
        raise ConfigError(
            f"the coop plugin's config must be a dict, not {type(value).__name__}; "
            f"write it like: {EXAMPLE}"
        )
    unknown = sorted(str(k) for k in value if k not in KNOWN_KEYS)
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
                f"the coop plugin's 'as_of' must be a date written YYYY-MM-DD, not {raw!r}"
            ) from None
    recovery = value.get("recovery_account")
    if recovery is not None and (not isinstance(recovery, str)
                                 or not account_lib.is_valid(recovery)):
        raise ConfigError(
            f"the coop plugin's 'recovery_account' must be an account name such as "
            f"'Income:Members:SharedCosts', not {recovery!r}")
    return PluginConfig(as_of=as_of, recovery_account=recovery)
