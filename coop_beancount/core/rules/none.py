"""No tax rules: an informal co-op that files no patronage tax form.

    plugin "coop_beancount.plugins.coop" "{'rules': 'none'}"

A neighbourhood group (the yogurt co-op of examples/) may still share a surplus by
patronage, split its costs and keep members' equity; it does not claim a patronage
deduction, so no tax rule applies: no minimum cash share, no payment deadline (a
dividend is still paid after its fiscal year ends: only then is the margin known),
no qualified or non-qualified notices, no tax form.
"""

from __future__ import annotations

from coop_beancount.core.rules import RuleSet

RULES = RuleSet(
    name="none",
    title="no tax rules: an informal co-op",
    minimum_cash=None,
    qualified_notices=False,
    deadline=None,
    deadline_text="",
    deadline_label="",
    withholding=None,
    tax_form=None,
    form_minimum=None,
    sources=(),
)
