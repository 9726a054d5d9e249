import os

os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"

import textwrap

import pytest
from beancount import loader
from hypothesis import settings

# No example database on disk: tests leave no files behind.
settings.register_profile("coop", database=None, deadline=None)
settings.load_profile("coop")

PLUGIN = "plugin \"coop_beancount.plugins.coop\" \"{'as_of': '2025-12-31'}\"\n"
HEADER = PLUGIN + """
2025-01-01 open Assets:Bank USD
2025-01-01 open Income:Members:Dues USD
2025-01-01 open Expenses:Supplies USD
"""


@pytest.fixture
def load():
    """Load dedented ledger text after the plugin header: (entries, errors, options)."""

    def _load(text, header=HEADER):
        return loader.load_string(header + textwrap.dedent(text))

    return _load
