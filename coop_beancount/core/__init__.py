"""The co-op's rules, pure: plain data in, plain data out.

No Beancount loading and no I/O here: the plugin, the importers, the reports,
the CLI and the Fava pages all call these functions, so each rule is written once.
"""
