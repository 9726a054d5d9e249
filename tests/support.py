"""Helpers shared by the plugin tests: find a line, assert an error is there."""

from __future__ import annotations

import textwrap

from coop_beancount.core.errors import CoopError
from tests.conftest import HEADER

FILENAME = "<string>"


def line_no(text: str, needle: str, header: str = HEADER) -> int:
    lines = (header + textwrap.dedent(text)).splitlines()
    found = [number for number, line in enumerate(lines, 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}, expected exactly one"
    return found[0]


def coop_errors(errors: list) -> list[CoopError]:
    return [e for e in errors if isinstance(e, CoopError)]


def assert_one_error_at(errors: list, text: str, needle: str, *words: str) -> CoopError:
    lineno = line_no(text, needle)
    found = [e for e in coop_errors(errors) if e.source and e.source.get("lineno") == lineno]
    assert len(found) == 1, f"expected one co-op error at line {lineno}, got {errors}"
    error = found[0]
    assert error.source["filename"] == FILENAME
    for word in words:
        assert word in error.message, f"{word!r} not in {error.message!r}"
    return error


#: The worked example of the domain notes (shared/domain.md): a growers' co-op's FY2025,
#: four growers by barrels, 10% reserve, 20% cash, paid 2026-03-15, then a redemption.
WORKED = """\
option "title" "Cranberry Growers Co-operative"
option "operating_currency" "USD"
plugin "coop_beancount.plugins.coop" "{'as_of': '2026-12-31'}"

2024-01-01 open Assets:Bank USD
2024-01-01 open Income:Patronage:Sales USD
2024-01-01 open Expenses:Growing USD
2024-01-01 open Income:NonPatronage:Interest USD

2024-01-01 custom "coop-measure" "barrels"
2024-01-01 custom "coop-consent" "G1" "written"
2024-01-01 custom "coop-member" "G1" "Grower One"
2024-01-01 custom "coop-consent" "G2" "written"
2024-01-01 custom "coop-member" "G2" "Grower Two"
2024-01-01 custom "coop-consent" "G3" "written"
2024-01-01 custom "coop-member" "G3" "Grower Three"
2024-01-01 custom "coop-consent" "G4" "written"
2024-01-01 custom "coop-member" "G4" "Grower Four"
2025-10-01 custom "coop-patronage" "G1" "barrels" 12000
2025-10-01 custom "coop-patronage" "G2" "barrels" 7500
2025-10-01 custom "coop-patronage" "G3" "barrels" 3333
2025-10-01 custom "coop-patronage" "G4" "barrels" 950

2025-11-01 * "Sales"
  Assets:Bank  60000.00 USD
  Income:Patronage:Sales
2025-11-02 * "Costs"
  Assets:Bank  -12000.00 USD
  Expenses:Growing
2025-11-03 * "Interest"
  Assets:Bank  2500.00 USD
  Income:NonPatronage:Interest

2026-03-01 custom "coop-allocation" 2025 "barrels"
  margin: "Income:Patronage Expenses:Growing"
  non-patronage: "Income:NonPatronage"
  measure: "barrels"
  reserve: "10%"
  cash: "20%"
  paid: 2026-03-15

; The cash parts leave the members' payables the day they are credited.
2026-03-15 * "Grower One" "FY2025 dividend, cash part"
  Liabilities:Members:G1:Payable  4359.42 USD
  Assets:Bank
2026-03-15 * "Grower Two" "FY2025 dividend, cash part"
  Liabilities:Members:G2:Payable  2724.64 USD
  Assets:Bank
2026-03-15 * "Grower Three" "FY2025 dividend, cash part"
  Liabilities:Members:G3:Payable  1210.83 USD
  Assets:Bank
2026-03-15 * "Grower Four" "FY2025 dividend, cash part"
  Liabilities:Members:G4:Payable  345.12 USD
  Assets:Bank

2026-06-30 custom "coop-redemption" 10000.00 USD
"""


def pdf_text(data: bytes) -> str:
    """A PDF's text (pypdf, of the test extra), every run of spaces and line breaks made
    one space."""
    import io

    from pypdf import PdfReader

    assert data.startswith(b"%PDF-")
    return " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(io.BytesIO(data)).pages)
