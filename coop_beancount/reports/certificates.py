"""Per-unit retain certificates: one printable page per member and fiscal year.

    2025-01-01 custom "coop-retain" "barrels" 0.50 USD       ; qualified certificates
    2025-01-01 custom "coop-retain" "apples" 0.20 USD
      qualified: FALSE                                       ; non-qualified ones

    coop certificates BOOKS --year 2025 --out certificates/FY2025

The plugin books a per-unit retain for each patronage record of a measure with a
`coop-retain` rate (books/patronage.py): the member's payable debited, their
`Retains:FY2025` account credited (`Retains:FY2025:NonQualified` for non-qualified
certificates, or for a member with no consent in force under `without_consent:
non-qualified`), with the quantity, rate and the member's consent on the entry. A
certificate lists a member's retains of one fiscal year, read back from those entries:
what was withheld, on what, at what rate, how each amount was rounded, whether the
certificate is qualified (IRC 1388(h): income when issued, Form 1099-PATR box 3) or not
(income when redeemed, box 5), and both addresses (the co-op's from the plugin's
settings, the member's from the private register, passed in by the command).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount.core import data

from coop_beancount.books.config import PluginConfig
from coop_beancount.books.patronage import GENERATED
from coop_beancount.core.accounts import NON_QUALIFIED_KIND, QUALIFIED
from coop_beancount.core.patronage import fiscal_label
from coop_beancount.core.records import Member
from coop_beancount.reports.output import amount_text, money_text
from coop_beancount.reports.view import CoopBooks, Money, add

#: `coop-generated` of the plugin's per-unit retain transactions.
RETAIN_ENTRY = "retain"


@dataclass(frozen=True)
class RetainLine:
    """One per-unit retain: a patronage record's quantity at the rate then in force."""

    date: datetime.date
    measure: str
    quantity: Decimal
    rate: Decimal
    amount: Decimal
    currency: str
    #: QUALIFIED or NON_QUALIFIED_KIND.
    kind: str
    #: The member's consent to a qualified certificate, in words ("" when not asked).
    consent: str
    account: str


@dataclass(frozen=True)
class Certificate:
    """A member's per-unit retain certificate for one fiscal year."""

    member: Member
    year: int
    lines: tuple[RetainLine, ...]
    #: The member's postal address, from the private register (never from the books).
    address: str = ""

    def total(self, kind: str | None = None) -> Money:
        money: Money = {}
        for line in self.lines:
            if kind is None or line.kind == kind:
                add(money, line.currency, line.amount)
        return money

    @property
    def kinds(self) -> list[str]:
        return sorted({line.kind for line in self.lines}, reverse=True)

    @property
    def consents(self) -> list[str]:
        """The consents the qualified lines rest on, each once, in order."""
        return list(dict.fromkeys(line.consent for line in self.lines
                                  if line.kind == QUALIFIED and line.consent))

    @property
    def file_name(self) -> str:
        return f"{fiscal_label(self.year)}-{self.member.key}.html"


def member_certificates(books: CoopBooks, year: int,
                        addresses: Mapping[str, str] | None = None) -> list[Certificate]:
    """One certificate per member with per-unit retains in fiscal year `year`, by key;
    `addresses` (from the private register) are printed on them."""
    addresses = addresses or {}
    chart = books.chart
    lines: dict[str, list[RetainLine]] = defaultdict(list)
    for entry in books.entries:
        if not (isinstance(entry, data.Transaction)
                and entry.meta.get(GENERATED) == RETAIN_ENTRY
                and int(entry.meta.get("coop-year", 0)) == year):
            continue
        for posting in entry.postings:
            equity = chart.retained_equity(posting.account)
            member = chart.member_key(posting.account)
            if equity is None or member is None:
                continue
            meta = posting.meta or {}
            lines[member].append(RetainLine(
                entry.date, entry.meta["coop-measure"], entry.meta["coop-quantity"],
                entry.meta["coop-rate"], -posting.units.number, posting.units.currency,
                NON_QUALIFIED_KIND if equity[1] == NON_QUALIFIED_KIND else QUALIFIED,
                str(meta.get("coop-consent", "")), posting.account))
    members = books.records.members
    return [Certificate(members[key], year, tuple(found), addresses.get(key, ""))
            for key, found in sorted(lines.items()) if key in members]


def retain_years(books: CoopBooks) -> set[int]:
    """The fiscal years with per-unit retains booked."""
    return {int(entry.meta.get("coop-year", 0)) for entry in books.entries
            if isinstance(entry, data.Transaction) and entry.meta.get(GENERATED) == RETAIN_ENTRY}


def iter_certificates(certificates: list[Certificate], coop_name: str, paper: str,
                      settings: PluginConfig) -> Iterator[tuple[str, str]]:
    """(file name, printable HTML) of each certificate, then index.html listing them;
    rendered one at a time, as they are written."""
    environment = _templates(settings)
    page = environment.get_template("certificate.html")
    for found in certificates:
        yield found.file_name, page.render(certificate=found, coop=coop_name, paper=paper,
                                           pdf_url=None)
    index = environment.get_template("certificates_index.html")
    yield "index.html", index.render(certificates=certificates, coop=coop_name, paper=paper,
                                     year=certificates[0].year if certificates else None)


def render_certificate(certificate: Certificate, coop_name: str, paper: str,
                       settings: PluginConfig, pdf_url: str | None = None) -> str:
    """One member's certificate as printable HTML (Fava's certificate page; with `pdf_url`,
    a link to its PDF)."""
    return _templates(settings).get_template("certificate.html").render(
        certificate=certificate, coop=coop_name, paper=paper, pdf_url=pdf_url)


def _templates(settings: PluginConfig) -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                              autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["money"] = lambda value: (amount_text(*value) if isinstance(value, tuple)
                                                  else money_text(value))
    environment.filters["number"] = lambda n: f"{n:,}"
    environment.globals.update(fiscal_label=fiscal_label, rules=settings.rules,
                               coop_address=settings.address, QUALIFIED=QUALIFIED,
                               NON_QUALIFIED=NON_QUALIFIED_KIND)
    return environment
