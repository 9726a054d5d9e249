"""Beancount plugins of coop-beancount, installed as `coop_beancount.plugins`.

Load them from any ledger with::

    plugin "coop_beancount.plugins.coop"
"""
