"""The `coop` command: check, report on and serve a co-op's books.

    coop check BOOKS                    bean-check plus the co-op's rules
    coop members BOOKS                  every member: status, shares, dues owed, capital
    coop statement BOOKS MEMBER         a member's statement with running balances
    coop hours BOOKS                    hours of work given, per member and period
    coop balances BOOKS                 what each member owes or is owed (shared costs)
    coop settle BOOKS [--write FILE]    few payments (greedy) that bring everyone to zero
    coop costs BOOKS --unit quarts      cost per unit of usage-split costs, and savings
    coop shared-costs BOOKS             shared costs per key and period: parts, who paid
    coop patronage BOOKS --year 2025    a year's patronage dividends (or --what-if)
    coop notices BOOKS --year 2025 --out DIR   members' written notices of allocation
    coop 1099-patr BOOKS --year 2026    Form 1099-PATR figures for a calendar year
    coop 1099-int BOOKS --year 2027     Form 1099-INT figures: interest on capital accounts
    coop equity BOOKS                   retained patronage equity outstanding, by year
    coop receivables BOOKS              clients' open invoices and how late they are
    coop earnings BOOKS                 members' billings, the co-op's fee, earned, paid
    coop invoice BOOKS 7 --out DIR      printable invoices
    coop diff BOOKS [--from REV --to REV]   what a change (git) does to members' money
    coop serve BOOKS                    browse the books in Fava
    coop init DIR                       new books in a git repository that checks every commit

Reports print a table; `--format csv` or `--format json` is for scripts.

Each group of commands lives in its own module; this one only assembles them.
"""

from coop_beancount.cli import books, clients, costs, members, patronage, review, till
from coop_beancount.cli.common import main
from coop_beancount.cli.imports import import_group

main.add_command(import_group)

__all__ = ["books", "clients", "costs", "main", "members", "patronage", "review", "till"]
