"""Fava's import page runs the same importers as `coop import`, from each example's import.yaml."""

from pathlib import Path

import pytest
from fava.core import FavaLedger

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("example", ["yogurt-coop", "dev-coop", "growers-coop"])
def test_fava_import_page_identifies_the_sample_documents(example):
    ledger = FavaLedger(str(ROOT / "examples" / example / "main.beancount"))
    assert ledger.ingest.errors == ()
    found = {Path(f.name).name: [i.importer_name for i in f.importers]
             for f in ledger.ingest.import_data()}
    samples = sorted(p.name for p in (ROOT / "examples" / example / "imports").glob("*.csv"))
    assert samples
    for name in samples:
        assert len(found[name]) == 1, f"{name}: {found[name]}"
    # The expected outputs beside the samples are not documents to import.
    assert all(not found[name] for name in found if name.endswith(".beancount"))


def test_fava_extracts_what_coop_import_extracts():
    ledger = FavaLedger(str(ROOT / "examples" / "yogurt-coop" / "main.beancount"))
    document = ROOT / "examples" / "yogurt-coop" / "imports" / "checking-2026-01.csv"
    (info,) = [f for f in ledger.ingest.import_data() if Path(f.name) == document]
    entries = ledger.ingest.extract(str(document), info.importers[0].importer_name)
    expected = (document.parent / (document.name + ".beancount")).read_text()
    # Every transaction the regression file expects is in what Fava extracted.
    narrations = [e.narration for e in entries if hasattr(e, "narration")]
    assert narrations
    for narration in narrations:
        assert narration in expected
