"""A member's statement as one printable page (HTML, and a PDF through `reports/pdf.py`):
`coop statement BOOKS G1 --pdf G1.pdf`.

The page says who prints it and when: the co-op's name (the ledger's `option "title"`),
the member, the period (`--from`/`--to`, or the whole of the books), and the print date;
then where the member stands in words, the opening balances (with `--from`), every
posting with the running balances of what the member owes and their capital, the closing
balances, subtotals by kind of account, and their retained patronage equity by fiscal
year. The figures are `statement()`'s, the ones `coop statement` prints as a table.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from coop_beancount.core.patronage import fiscal_label
from coop_beancount.reports.members import Statement, StatementLine
from coop_beancount.reports.output import money_text
from coop_beancount.reports.view import Money, add


@dataclass
class KindSubtotal:
    """The postings of one kind of account (Dues, Receivable, Shares, ...) on a statement."""

    kind: str
    postings: int = 0
    amount: Money = field(default_factory=dict)


def subtotals_by_kind(lines: Iterable[StatementLine]) -> list[KindSubtotal]:
    """A statement's postings added up by kind of account, in the kinds' order."""
    kinds: dict[str, KindSubtotal] = {}
    for line in lines:
        kind = kinds.setdefault(line.account, KindSubtotal(line.account))
        kind.postings += 1
        add(kind.amount, line.currency, line.amount)
    return [kinds[name] for name in sorted(kinds)]


def render_statement(result: Statement, coop_name: str, standing: str | None,
                     paper: str = "letter", printed: datetime.date | None = None) -> str:
    """The statement as printable HTML (`standing`: where the member stands, in words)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                              autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["money"] = money_text
    template = environment.get_template("statement.html")
    return template.render(s=result, coop=coop_name, standing=standing, paper=paper,
                           printed=printed or datetime.date.today(),
                           kinds=subtotals_by_kind(result.lines), fiscal_label=fiscal_label,
                           equity_total=_equity_total(result), line_money=_line_money)


def _line_money(line: StatementLine) -> Money:
    return {line.currency: line.amount}


def _equity_total(result: Statement) -> dict[str, Money]:
    """The equity table's totals row: each column added up over the fiscal years."""
    total: dict[str, Money] = {}
    for year in result.equity:
        for column in ("qualified", "non_qualified", "retains", "redeemed", "outstanding"):
            for currency, number in getattr(year, column).items():
                add(total.setdefault(column, {}), currency, number)
    return total
