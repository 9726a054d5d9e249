"""Form 1099-PATR returns a filer can submit: the payer, each recipient, every box.

    plugin "coop_beancount.plugins.coop" "{'payer': {'name': 'Plymouth County Cranberry
        Growers Cooperative', 'tin': '04-1234567', 'address': '1 Bog Road; Carver MA 02330',
        'phone': '508-555-0100'}}"

    members-private.csv (beside the books, out of git):
    member,tin,tin_type,address,email,phone,account
    G1,123-45-6789,SSN,"12 Bog Road; Carver MA 02330",,,G1-0001

    2026-01-01 custom "coop-backup-withholding" "G5" "no-tin"     ; in the books

`form_1099_patr` (reports/patronage.py) works out the boxes from the books; this module
joins them with the payer (the plugin's `payer` setting) and the recipients' numbers and
addresses (the private register, books/register.py, the one place they are read from),
lists what is missing before anything is written (`problems`), and lays the returns out
three ways: every field (`FIELDS`), the IRS's IRIS portal CSV through a column map
(`iris/1099-patr-2026.csv`, swappable), and each recipient's statement (Copy B) as a
printable page.

An address is written on lines (or parts separated by "; "), the last one "City ST
ZIP" (`Carver MA 02330` or `Carver, MA 02330-1234`): the IRIS CSV wants the street,
city, state and ZIP code apart.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from coop_beancount.books.config import Payer
from coop_beancount.books.register import REGISTER_FILE, PrivateDetails
from coop_beancount.core.records import CoopRecords
from coop_beancount.reports.patronage import BOXES, Form1099Patr

#: The column map shipped for the returns of tax year 2026 (filed in 2027 through IRIS).
IRIS_MAP = Path(__file__).parent / "iris" / "1099-patr-2026.csv"
#: The last line of a US address: city, two-letter state, ZIP (or ZIP+4).
CITY_LINE = re.compile(r"^(?P<city>.+?),?\s+(?P<state>[A-Z]{2})\s+(?P<zip>\d{5}(?:-\d{4})?)$")


class ReturnsError(ValueError):
    """A column map that cannot be used, with its file and line."""


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    state: str
    zip: str

    @property
    def lines(self) -> list[str]:
        return [self.street, f"{self.city} {self.state} {self.zip}"]


def parse_address(text: str) -> Address | None:
    """An address written on lines or parts separated by "; ", the last "City ST ZIP"; or
    None when it does not end so."""
    parts = [p.strip() for p in re.split(r"[\n;]", text) if p.strip()]
    if len(parts) < 2:
        return None
    match = CITY_LINE.match(parts[-1])
    if match is None:
        return None
    return Address(", ".join(parts[:-1]), match["city"].rstrip(","), match["state"],
                   match["zip"])


@dataclass(frozen=True)
class Return:
    """One recipient's Form 1099-PATR for a tax year, ready to file."""

    year: int
    payer: Payer
    form: Form1099Patr
    details: PrivateDetails
    corrected: bool = False
    specified: bool = False
    #: The IRS named the recipient's number wrong twice in 3 calendar years (two
    #: `b-notice` lines): the "2nd TIN notice" box.
    second_tin_notice: bool = False

    @property
    def address(self) -> Address | None:
        return parse_address(self.details.address)

    @property
    def account(self) -> str:
        """The account number: the register's, else the member key (unique per recipient)."""
        return self.details.account or self.form.member

    def fields(self) -> dict[str, Any]:
        """Every field of the return, by the names of FIELDS."""
        payer, details = self.payer, self.details
        payer_address = parse_address(payer.address) or Address(payer.address, "", "", "")
        address = self.address or Address(details.address, "", "", "")
        values: dict[str, Any] = {
            "tax_year": self.year, "form": "1099-PATR", "corrected": _box(self.corrected),
            "payer_name": payer.name, "payer_tin": payer.tin,
            "payer_tin_digits": _digits(payer.tin), "payer_tin_type": "EIN",
            "payer_street": payer_address.street, "payer_city": payer_address.city,
            "payer_state": payer_address.state, "payer_zip": payer_address.zip,
            "payer_country": "US", "payer_phone": _digits(payer.phone),
            "account_number": self.account, "member": self.form.member,
            "recipient_name": self.form.name, "recipient_tin": details.tin,
            "recipient_tin_digits": _digits(details.tin),
            "recipient_tin_type": details.tin_type if details.tin else "",
            "recipient_street": address.street, "recipient_city": address.city,
            "recipient_state": address.state, "recipient_zip": address.zip,
            "recipient_country": "US", "second_tin_notice": _box(self.second_tin_notice),
            "specified_coop": _box(self.specified),
        }
        for box in BOXES:
            values[box] = getattr(self.form, box)
        return values


#: The complete CSV's columns: every field a return has.
FIELDS = ("tax_year", "form", "corrected", "payer_name", "payer_tin", "payer_street",
          "payer_city", "payer_state", "payer_zip", "payer_phone", "account_number",
          "member", "recipient_name", "recipient_tin_type", "recipient_tin",
          "recipient_street", "recipient_city", "recipient_state", "recipient_zip",
          "second_tin_notice", *BOXES, "specified_coop")
#: What a column map may name: FIELDS and the IRIS spellings (digits only, the country).
MAP_FIELDS = frozenset((*FIELDS, "payer_tin_digits", "payer_tin_type", "payer_country",
                        "recipient_tin_digits", "recipient_country"))


def _box(flag: bool) -> str:
    return "X" if flag else ""


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def build_returns(forms: list[Form1099Patr], year: int, payer: Payer,
                  register: Mapping[str, PrivateDetails], records: CoopRecords,
                  corrected: bool = False, specified: bool = False) -> list[Return]:
    return [Return(year, payer, form, register.get(form.member, PrivateDetails(form.member)),
                   corrected, specified, _second_notice(records, form.member, year))
            for form in forms]


def _second_notice(records: CoopRecords, member: str, year: int) -> bool:
    """The IRS notified the co-op twice within 3 calendar years that the member's name and
    number do not match: two `b-notice` lines dated in the tax year or the two before."""
    return sum(1 for m in records.backup if m.member == member and m.reason == "b-notice"
               and year - 2 <= m.date.year <= year) >= 2


def _marked(records: CoopRecords, member: str, year: int, reason: str) -> bool:
    """Whether the member was backup withheld for `reason` on some day of `year`."""
    days = [m.date for m in records.backup if m.member == member and m.date.year == year]
    days.append(datetime.date(year, 1, 1))
    return any(records.backup_reason(member, day) == reason for day in days)


def problems(returns: list[Return], paid: list[Form1099Patr],
             register: Mapping[str, PrivateDetails], records: CoopRecords, year: int,
             ) -> list[str]:
    """What must be mended before the returns can be filed, one line each: the payer's
    name, EIN and address; each recipient's number and address (from the register); and
    the backup withholding markers against the register. `paid` is everyone paid anything
    in the year (the markers matter under the 10.00 threshold too)."""
    found = []
    payer = returns[0].payer if returns else Payer()
    missing = [what for field, what in (("name", "name"), ("tin", "EIN ('tin')"),
                                        ("address", "address")) if not getattr(payer, field)]
    if returns and missing:
        found.append(f"the payer has no {' and no '.join(missing)}: add it to the plugin's "
                     "'payer' setting, like 'payer': {'name': '...', 'tin': '12-3456789', "
                     "'address': '1 Main St; Carver MA 02330', 'phone': '508-555-0100'}")
    if returns and payer.address and parse_address(payer.address) is None:
        found.append("the payer's address does not end with 'City ST ZIP' (like "
                     "'1 Main St; Carver MA 02330')")
    for item in returns:
        key = item.form.member
        if not item.details.address:
            found.append(f"{key} ({item.form.name}) has no address in {REGISTER_FILE}")
        elif item.address is None:
            found.append(f"{key}'s address in {REGISTER_FILE} does not end with 'City ST ZIP' "
                         "(like '12 Bog Road; Carver MA 02330')")
    for form in paid:
        key = form.member
        has_tin = bool(register.get(key, PrivateDetails(key)).tin)
        no_tin = _marked(records, key, year, "no-tin")
        if not has_tin and not no_tin:
            found.append(
                f"{key} ({form.name}) has no TIN in {REGISTER_FILE}: add it, or, if the member "
                f"has not given one, book backup withholding from the first payment: "
                f'custom "coop-backup-withholding" "{key}" "no-tin"')
        elif has_tin and no_tin:
            found.append(
                f"{key} has a TIN in {REGISTER_FILE} but is backup withheld as having none "
                f"in {year}: if the member has given it since, end the withholding on that "
                f'day: custom "coop-backup-withholding" "{key}" "stop"')
    return found


def load_column_map(path: Path) -> list[tuple[str, str]]:
    """(IRIS column heading, field or `text:` constant) pairs from a column map: a CSV of
    `column,field` lines, `#` lines are comments. ReturnsError at a mistake's line."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReturnsError(f"{path}: cannot read the column map: {exc}") from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(line for _, line in lines))))
    if not rows or [c.strip() for c in rows[0]] != ["column", "field"]:
        raise ReturnsError(f"{path}:{lines[0][0] if lines else 1}: a column map's first line "
                           "is: column,field")
    found = []
    for (number, _), row in zip(lines[1:], rows[1:], strict=True):
        if len(row) != 2 or not row[0].strip():
            raise ReturnsError(f"{path}:{number}: write a column's heading and its field, "
                               "like: Box 1 Patronage dividends,box1")
        heading, field = row[0].strip(), row[1].strip()
        if field and not field.startswith("text:") and field not in MAP_FIELDS:
            raise ReturnsError(
                f"{path}:{number}: {field!r} is not a field of a return; the fields are "
                f"{', '.join(sorted(MAP_FIELDS))}, or text:VALUE for a fixed value, or "
                "nothing for a column left empty")
        found.append((heading, field))
    return found


def iris_rows(returns: list[Return], column_map: list[tuple[str, str]],
              ) -> list[dict[str, Any]]:
    """The returns as the IRIS CSV's rows, keyed by the map's headings."""
    rows = []
    for item in returns:
        values = item.fields()
        rows.append({heading: (field[5:] if field.startswith("text:") else
                               values.get(field, "") if field else "")
                     for heading, field in column_map})
    return rows


#: The IRIS portal takes up to this many returns in one CSV file.
IRIS_FILE_ROWS = 250


def iris_files(stem: str, returns: list[Return]) -> list[tuple[str, list[Return]]]:
    """The IRIS CSV files' names and returns: `stem-iris.csv`, or, past IRIS_FILE_ROWS
    returns, `stem-iris-1.csv`, `stem-iris-2.csv`, ... of IRIS_FILE_ROWS each."""
    if len(returns) <= IRIS_FILE_ROWS:
        return [(f"{stem}-iris.csv", returns)]
    return [(f"{stem}-iris-{n}.csv", returns[at:at + IRIS_FILE_ROWS])
            for n, at in enumerate(range(0, len(returns), IRIS_FILE_ROWS), 1)]


def copy_b_name(item: Return) -> str:
    return f"1099-PATR-{item.year}-{item.form.member}.html"


def iter_copy_b(returns: list[Return], paper: str) -> Iterator[tuple[str, str]]:
    """(file name, printable HTML) of each recipient's statement, then index.html."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                              autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["amount"] = lambda n: f"{n:,.2f}" if n else ""
    environment.filters["masked"] = masked_tin
    page = environment.get_template("copy_b.html")
    for item in returns:
        yield copy_b_name(item), page.render(item=item, fields=item.fields(), paper=paper,
                                             boxes=BOX_TITLES)
    index = environment.get_template("copy_b_index.html")
    yield "index.html", index.render(returns=returns, name=copy_b_name, paper=paper,
                                     year=returns[0].year if returns else "")


def masked_tin(tin: str) -> str:
    """A recipient's number on their copy: the last four digits (the IRS allows truncating
    the recipient's TIN on a payee statement, never the payer's)."""
    digits = _digits(tin)
    if not digits:
        return "none given"
    return f"XXX-XX-{digits[-4:]}" if len(digits) == 9 else digits


#: Form 1099-PATR's boxes as the form names them.
BOX_TITLES = (
    ("box1", "1 Patronage dividends"), ("box2", "2 Nonpatronage distributions"),
    ("box3", "3 Per-unit retain allocations"), ("box4", "4 Federal income tax withheld"),
    ("box5", "5 Redeemed nonqualified notices"), ("box6", "6 Section 199A(g) deduction"),
    ("box7", "7 Qualified payments (Section 199A(b)(7))"),
)


def total(returns: list[Return], box: str) -> Decimal:
    return sum((getattr(r.form, box) for r in returns), Decimal(0))
