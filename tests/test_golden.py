"""Every example's reports, byte for byte as tests/golden/ keeps them (see golden_cases.py)."""

from __future__ import annotations

import pytest

from tests.golden_cases import EXAMPLES, GOLDEN, cases, name, output

CASES = [(example, case) for example in EXAMPLES for case in cases(example)]


@pytest.mark.parametrize(("example", "case"), CASES, ids=[f"{e}:{' '.join(c)}" for e, c in CASES])
def test_report_is_as_kept(example, case):
    kept = GOLDEN / example / f"{name(case)}.txt"
    assert kept.exists(), f"no kept output for {case}: run `python -m tests.golden_cases`"
    assert output(example, case) == kept.read_text(), (
        f"`coop {' '.join(case)}` on {example} prints something else than {kept}; if the change "
        "is meant, rewrite the kept outputs with `python -m tests.golden_cases`, review the diff")


def test_every_kept_output_is_still_made():
    made = {f"{example}/{name(case)}.txt" for example, case in CASES}
    kept = {f"{path.parent.name}/{path.name}" for path in GOLDEN.glob("*/*.txt")}
    assert kept == made
