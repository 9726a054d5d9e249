"""Books for the members' site tests: two members with private metadata (on their
`coop-member` lines, on a transaction and on a posting), a key the books declare
private, and markup in a member's name, a payee and a narration."""

from __future__ import annotations

from tests.support import WORKED

#: Every private value in the books: none may appear in anything the site answers.
SECRETS = ("SECRET-IBAN-G1", "secret-g1@example.org", "SECRET-TIN-G2", "SECRET-REF-G2",
           "SECRET-PHONE-TX", "SECRET-ADDRESS-POSTING", "SECRET-BIRTH-G1")

NAME = "<img src=x onerror=alert(11)>"
PAYEE = "<img src=x onerror=alert(12)>"
NARRATION = "<svg/onload=alert(13)>"
TITLE = "Members Site Co-op"

SITE_BOOKS = WORKED.replace('"Cranberry Growers Co-operative"', f'"{TITLE}"').replace(
    '2024-01-01 custom "coop-member" "G1" "Grower One"\n',
    '2024-01-01 custom "coop-member" "G1" "Grower One"\n'
    '  iban: "SECRET-IBAN-G1"\n'
    '  email: "secret-g1@example.org"\n'
    '  birth-date: "SECRET-BIRTH-G1"\n'
    '  shown: "public-note-g1"\n',
).replace(
    '2024-01-01 custom "coop-member" "G2" "Grower Two"\n',
    '2024-01-01 custom "coop-member" "G2" "Grower Two"\n'
    '  tin: "SECRET-TIN-G2"\n'
    '  bank-ref: "SECRET-REF-G2"\n',
).replace('"G3" "Grower Three"', f'"G3" "{NAME}"') + f"""
2024-01-01 custom "fava-extension" "coop_beancount.fava_pages"
2024-01-01 custom "coop-private" "bank-ref"
2024-01-01 custom "coop-share-class" "Member" 20.00 USD
2024-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
2024-01-01 open Expenses:Supplies USD
2024-01-01 open Income:Members:Dues USD

2025-03-03 * "{PAYEE}" "{NARRATION}"
  phone: "SECRET-PHONE-TX"
  Expenses:Supplies  100.00 USD
    address: "SECRET-ADDRESS-POSTING"
  Assets:Bank
"""


def own_statement(text: str = SITE_BOOKS) -> str:
    return text + '\n2024-01-01 custom "coop-site" "own statement"\n'
