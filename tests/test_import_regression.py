"""Regression tests of the sample statements, with beangulp's testing helpers.

Each sample document under examples/*/imports/ has its expected extraction next to it
(`<document>.beancount`, beangulp's format). The statements are extracted against their
example's own books, so that the payments are matched to the example's members as
`coop import` would match them. To write an expected file again after a deliberate change:

    .venv/bin/python -c "from tests.test_import_regression import regenerate; regenerate()"

and read the diff before committing it.
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest
from beancount.core import data
from beancount.parser import printer
from beangulp import extract, testing

from coop_beancount.books.loading import load_books
from coop_beancount.importers.bank import BankImporter
from coop_beancount.importers.config import load_config

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SAMPLES = [
    ("yogurt-coop", "checking-2026-01.csv"),
    ("dev-coop", "checking-2026-01.csv"),
    ("dev-coop", "operating-2026-01.csv"),
    ("dev-coop", "timesheet-2026-03.csv"),
    ("dev-coop", "payroll-2026-03.csv"),
]


@cache
def _books(coop: str) -> tuple:
    loaded = load_books(EXAMPLES / coop / "main.beancount")
    assert not loaded.errors
    return tuple(loaded.entries)


def books(coop: str) -> list:
    return list(_books(coop))


def importer_for(coop: str, document: Path) -> BankImporter:
    importers = load_config(EXAMPLES / coop / "import.yaml").importers
    found = [i for i in importers if i.identify(str(document))]
    assert len(found) == 1, f"{document}: recognised by {[i.name for i in found]}"
    return found[0]


def extracted(coop: str, name: str) -> tuple[BankImporter, str, list]:
    document = EXAMPLES / coop / "imports" / name
    importer = importer_for(coop, document)
    entries = extract.extract_from_file(importer, str(document), books(coop))
    return importer, str(document), entries


def regenerate() -> None:
    for coop, name in SAMPLES:
        importer, document, entries = extracted(coop, name)
        testing.write_expected_file(f"{document}.beancount", importer.account(document),
                                    importer.date(document), importer.filename(document),
                                    entries, force=True)


@pytest.mark.parametrize("coop, name", SAMPLES)
def test_sample_statements_give_the_expected_entries(coop, name):
    importer, document, entries = extracted(coop, name)
    diff = testing.compare_expected(f"{document}.beancount", importer.account(document),
                                    importer.date(document), importer.filename(document),
                                    entries)
    assert diff == [], "".join(diff)


def test_no_importer_claims_another_importers_sample():
    for coop in ("yogurt-coop", "dev-coop", "growers-coop"):
        importers = load_config(EXAMPLES / coop / "import.yaml").importers
        for document in sorted((EXAMPLES / coop / "imports").glob("*.csv")):
            claims = [i.name for i in importers if i.identify(str(document))]
            assert len(claims) == 1, f"{document}: {claims}"


def test_the_yogurt_statement_matches_each_payment_for_its_reason():
    _, _, entries = extracted("yogurt-coop", "checking-2026-01.csv")
    by_id = {e.meta.get("bank-id"): e for e in entries if isinstance(e, data.Transaction)}

    def booked(bank_id):
        entry = by_id[bank_id]
        return entry.flag, entry.postings[1].account, entry.meta.get("coop-match")

    assert booked("CSB202601020057") == ("*", "Assets:Members:Ana:Dues", "reference+iban")
    assert booked("CSB202601050078") == ("*", "Equity:Members:Hana:Shares:Member",
                                         "reference+name")
    assert booked("CSB202601050092") == ("*", "Liabilities:Members:Gus:Payable", "name")
    assert booked("CSB202601120113") == ("*", "Assets:Members:Eli:Dues", "reference")
    assert booked("CSB202601140127") == ("*", "Assets:Members:Ana:Receivable", "name")
    assert booked("CSB202601060099") == ("!", "Income:Unknown", None)
    assert "left on 2025-07-31" in by_id["CSB202601060099"].meta["coop-note"]
    assert booked("CSB202601030071") == ("!", "Expenses:Unknown", None)


@pytest.mark.parametrize("coop, name, new", [
    # The December rows are in the books already (written by hand): January is new.
    ("yogurt-coop", "checking-2026-01.csv", 12),
    # The books leave out January's running costs: only those are new.
    ("dev-coop", "checking-2026-01.csv", 3),
    ("dev-coop", "operating-2026-01.csv", 2),
])
def test_against_the_books_only_what_they_lack_is_new(coop, name, new, tmp_path):
    importer, document, entries = extracted(coop, name)
    existing = books(coop)
    importer.deduplicate(entries, existing)
    fresh = [e for e in entries if not e.meta.get("__duplicate__")]
    assert len(fresh) == new
    # Importing the same statement again, once its entries are in the books: nothing new.
    again = extract.extract_from_file(importer, document, existing + fresh)
    importer.deduplicate(again, existing + fresh)
    assert all(e.meta.get("__duplicate__") for e in again)

    # With the new entries in the books, the statement's closing balance assertion holds.
    shutil.copytree(EXAMPLES / coop, tmp_path / coop)
    main = tmp_path / coop / "main.beancount"
    imported = tmp_path / coop / "imported.beancount"
    # The examples open the placeholder accounts (accounts.beancount).
    imported.write_text("".join(printer.format_entry(e) for e in fresh), encoding="utf-8")
    with open(main, "a", encoding="utf-8") as handle:
        handle.write('\ninclude "imported.beancount"\n')
    errors = load_books(main).errors
    if coop == "yogurt-coop":
        assert errors == []
    else:
        # The example's own March assertions leave January's running costs out; none of
        # the errors is about what was imported.
        assert all(Path(e.source["filename"]).name != "imported.beancount" for e in errors)
        assert all("2026-03-14 balance" in printer.format_error(e) for e in errors)
