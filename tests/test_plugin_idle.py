"""The plugin where it has little or nothing to do: books without co-op directives are
handed back as they are, without importing the co-op's rules, and patronage totals only
the accounts a decision or a measure names."""

import subprocess
import sys
import textwrap

from beancount import loader
from coop_beancount.plugins.coop import _coop_directives, _member_roots, _scan

from coop_beancount.books.config import parse_config
from coop_beancount.core.accounts import MemberChart

PERSONAL = textwrap.dedent("""\
    plugin "coop_beancount.plugins.coop"
    2025-01-01 open Assets:Bank USD
    2025-01-01 open Income:Salary USD
    2025-01-01 open Expenses:Food USD
    2025-01-31 * "Employer" "Salary"
      Assets:Bank      1000.00 USD
      Income:Salary   -1000.00 USD
    2025-02-01 * "Shop" "Food"
      Expenses:Food      40.00 USD
      Assets:Bank
    """)

RULES = ("coop_beancount.books.directives", "coop_beancount.books.patronage",
         "coop_beancount.core.records", "coop_beancount.core.splits",
         "coop_beancount.core.dues", "coop_beancount.core.shares",
         "coop_beancount.books.config", "coop_beancount.core.patronage",
         "coop_beancount.core.rules", "coop_beancount.core.accounts")
#: All of the co-op's modules an idle load imports.
IDLE_IMPORTS = ("coop_beancount", "coop_beancount.plugins", "coop_beancount.plugins.coop",
                "coop_beancount.core", "coop_beancount.core.errors")


def test_books_without_coop_directives_come_back_as_they_are_without_the_rules():
    # A fresh interpreter: in this one, other tests have imported every module already.
    code = textwrap.dedent(f"""\
        import sys
        from beancount import loader
        from beancount.parser import parser
        text = {PERSONAL!r}
        entries, errors, options = loader.load_string(text)
        assert not errors, errors
        plain, _, _ = loader.load_string(text.replace("plugin", "; plugin"))
        assert entries == plain
        print(sorted(m for m in {RULES!r} if m in sys.modules))
        print(sorted(m for m in sys.modules if m.startswith("coop_beancount")))
        """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    rules, ours = out.splitlines()
    assert rules == "[]"
    # Nothing of the co-op's but the plugin and its errors' shape: not the chart of
    # accounts either (with `dataclasses`, more than the plugin's pass on a small ledger).
    assert ours == str(sorted(IDLE_IMPORTS))


def test_the_idle_check_knows_member_accounts_as_the_chart_does():
    accounts = ["Assets:Members:Ana:Receivable", "Liabilities:Members:Bo:Payable",
                "Equity:Members:Cy:Shares:Member", "Equity:Members:Cy", "Income:Members:Dues",
                "Assets:Bank", "Assets:MembersFund:X", "Aktiva:Members:Ana:Receivable",
                "Assets:Coop:Members:Ana", "Equity:Members"]
    for options in ({}, {"name_assets": "Aktiva", "name_equity": "Eigenkapital"}):
        chart = MemberChart.from_options(options)
        roots = _member_roots(options)
        for account in [*accounts, "Eigenkapital:Members:Di:Shares:Member"]:
            assert account.startswith(roots) == (chart.member_key(account) is not None), account


def test_member_postings_without_directives_are_still_checked():
    _, errors, _ = loader.load_string(PERSONAL + textwrap.dedent("""\
        2025-03-01 * "A member nobody declared"
          Assets:Bank                        20.00 USD
          Equity:Members:Zoe:Shares:Member  -20.00 USD
        """))
    assert any(type(e).__name__ == "CoopError" and "'Zoe'" in e.message for e in errors)


def test_patronage_totals_only_the_accounts_a_decision_or_measure_names():
    entries, errors, options = loader.load_string(textwrap.dedent("""\
        plugin "coop_beancount.plugins.coop" "{'as_of': '2025-12-31'}"
        2025-01-01 open Assets:Bank USD
        2025-01-01 open Income:Patronage:Sales USD
        2025-01-01 open Income:Patronage:Sales:Online USD
        2025-01-01 open Income:Interest USD
        2025-01-01 open Expenses:Patronage:Stock USD
        2025-01-01 open Expenses:Office USD
        2025-01-01 custom "coop-measure" "sales" Income:Patronage:Sales
        2026-03-01 custom "coop-allocation" 2025 "sales"
          margin: "Income:Patronage Expenses:Patronage"
          measure: "sales"
          reserve: "10%"
          cash: "20%"
          paid: 2026-03-15
        2025-05-01 * "Interest"
          Assets:Bank        3.00 USD
          Income:Interest   -3.00 USD
        2025-05-02 * "Paper"
          Expenses:Office    7.00 USD
          Assets:Bank
        2025-05-03 * "Stock"
          Expenses:Patronage:Stock   50.00 USD
          Assets:Bank
        2025-05-04 * "A sale online"
          member: "Nobody"
          Assets:Bank                       80.00 USD
          Income:Patronage:Sales:Online    -80.00 USD
        """))
    chart = MemberChart.from_options(options)
    directives = _coop_directives(entries)
    from coop_beancount.books.directives import read_records
    from coop_beancount.books.patronage import counted_accounts

    counted = counted_accounts(read_records(directives)[0])
    assert counted == ("Expenses:Patronage", "Income:Patronage", "Income:Patronage:Sales")
    scan = _scan(entries, chart, parse_config("{'as_of': '2025-12-31'}"), counted)
    assert {account for account, _, _ in scan.totals} == {
        "Expenses:Patronage:Stock", "Income:Patronage:Sales:Online"}
    assert [p.account for _, p, _ in scan.member_pl] == ["Income:Patronage:Sales:Online"]
    assert scan.unattributed == {"Expenses:Patronage:Stock"}
    # The plugin still reports the patronage of a non-member, from the counted posting.
    assert any("Nobody" in e.message for e in errors)


def test_books_handed_back_unchanged_are_not_sorted_again_by_the_loader():
    from beancount.core import data
    from beancount.parser import parser
    from coop_beancount.plugins.coop import coop

    entries, _, options = parser.parse_string(PERSONAL)
    entries.sort(key=data.entry_sortkey)
    out, errors = coop(entries, options)
    assert not errors and out == entries
    calls = []
    out.sort(key=lambda entry: calls.append(entry) or data.entry_sortkey(entry))
    assert calls == []  # the loader's re-sort right after the plugin: skipped
    out.reverse()
    out.sort(key=data.entry_sortkey)  # any later sort sorts
    assert out == entries
    # With a config, or co-op content, the plugin does its work as before.
    _, errors = coop(entries, options, "{'as_of': 'soon'}")
    assert errors and "as_of" in errors[0].message
