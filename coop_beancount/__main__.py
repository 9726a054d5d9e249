"""`python -m coop_beancount` is the `coop` command."""

from coop_beancount.cli import main

main()
