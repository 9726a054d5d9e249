"""coop-beancount: a co-operative's books in Beancount.

The folders are the layers (docs/design.md): `core` holds the pure money rules,
`books` reads and writes Beancount, `reports` turns loaded books into figures, and
`cli` (the `coop` command) and `fava_pages` show them; `importers` bring statements
in. The Beancount plugin (`coop_beancount.plugins.coop`) adapts entries to `core`.
"""

__version__ = "0.1.0"
