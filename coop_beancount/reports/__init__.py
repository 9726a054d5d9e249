"""Figures from loaded books: the one source for the `coop` command and the Fava pages.

Each module turns the entries the loader produced (after the plugin ran) into
plain rows; `output` prints them. Built on `coop_beancount.books` and `core`.
"""
