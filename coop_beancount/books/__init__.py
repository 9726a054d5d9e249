"""Everything that reads or writes Beancount books.

The `coop-*` directives read into records, the plugin's config, loading books
and writing them (checked first, atomic), the entries patronage derives, a git
revision's books, and `coop init`'s starter books. Built on `coop_beancount.core`.
"""
