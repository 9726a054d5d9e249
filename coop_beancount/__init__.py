"""coop-beancount: a co-operative's books in Beancount.

The money rules live in small pure modules (members, shares, dues, hours);
the Beancount plugin (`coop_beancount.plugins.coop`), the `coop` command and
the Fava pages all call them. See docs/design.md.
"""

__version__ = "0.1.0"
