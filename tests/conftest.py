import atexit
import os
import shutil
import tempfile

os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"
# Hypothesis writes a .hypothesis/ folder even without an example database;
# keep it in a temporary folder so a test run leaves no files behind.
_hypothesis_dir = tempfile.mkdtemp(prefix="coop-hypothesis-")
os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = _hypothesis_dir
atexit.register(shutil.rmtree, _hypothesis_dir, True)

import gc
import textwrap

import pytest
from beancount import loader
from hypothesis import settings

# No example database on disk: tests leave no files behind.
settings.register_profile("coop", database=None, deadline=None)
# More examples, and bigger generated books in tests/test_property_books.py; for
# benchmarks/bench_properties.py or `pytest --hypothesis-profile=coop-large`.
settings.register_profile("coop-large", parent=settings.get_profile("coop"), max_examples=400)
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


@pytest.fixture(autouse=True)
def _unfrozen():
    """The `coop` command freezes the objects its loads made (books/collector.py); in the
    test process they go back to the collector after each test, so garbage is freed."""
    yield
    gc.unfreeze()
