"""Every CSV the project writes is safe to open in a spreadsheet: a cell that would start a
formula (OWASP's list: = + - @ tab, carriage return) is written with a `'` in front, while
numbers and money stay figures."""

import csv
import io
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from coop_beancount.cli import main
from coop_beancount.reports.output import render, safe_cell

GROWERS = Path(__file__).resolve().parent.parent / "examples" / "growers-coop"
#: Names a member could be given that a spreadsheet would run.
HOSTILE = ['=HYPERLINK(\\"http://evil.example\\",\\"pay\\")', "+1+A2", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0"]


def cells(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("text, safe", [
    ("=1+2", "'=1+2"), ("+A1", "'+A1"), ("-1+2", "'-1+2"), ("@A1", "'@A1"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-", "'-"),
    ("-20.00", "-20.00"), ("+3", "+3"), ("12.5", "12.5"), ("-5.00 USD", "-5.00 USD"),
    ("-5.00 USD; 3 EUR", "-5.00 USD; 3 EUR"), ("Ana Souza", "Ana Souza"), ("", ""),
    ("-5.00 USD=1", "'-5.00 USD=1"),
])
def test_safe_cell(text, safe):
    assert safe_cell(text) == safe


def test_render_csv_neutralises_text_and_keeps_figures():
    rows = [{"name": "=HYPERLINK(\"x\")", "n": Decimal("-3.50"),
             "money": {"USD": Decimal("-5.00")}, "hours": 2}]
    out = cells(render(rows, [("name", "Name"), ("n", "N"), ("money", "M"), ("hours", "H")],
                       "csv"))
    assert out == [{"name": "'=HYPERLINK(\"x\")", "n": "-3.50", "money": "-5.00 USD",
                    "hours": "2"}]


@pytest.fixture
def growers(tmp_path):
    books = tmp_path / "growers"
    shutil.copytree(GROWERS, books)
    members = books / "members.beancount"
    text = members.read_text()
    for key, name in zip(("Andrade", "Beaton", "Costa", "Gomes"), HOSTILE, strict=True):
        old = next(line for line in text.splitlines()
                   if line.startswith(f'2023-01-01 custom "coop-member" "{key}" '))
        text = text.replace(old, f'2023-01-01 custom "coop-member" "{key}" "{name}"')
    members.write_text(text)
    return books / "main.beancount"


def test_members_csv_and_1099_patr_csv_have_no_live_formula(growers):
    members = CliRunner().invoke(main, ["members", str(growers), "--format", "csv"])
    assert members.exit_code == 0, members.output
    form = CliRunner().invoke(main, ["1099-patr", str(growers), "--year", "2026"])
    assert form.exit_code == 0, form.output
    for output in (members.stdout, form.stdout):
        rows = cells(output)
        assert rows
        for row in rows:
            for value in row.values():
                assert not value.startswith(("=", "+", "@", "\t", "\r")), value
                assert not value.startswith("-") or value.replace("-", "", 1).replace(
                    ".", "", 1).split(" ")[0].isdigit(), value
        names = {row["name"] for row in rows}
        assert names & {"'" + name.replace('\\"', '"') for name in HOSTILE}
    boxes = [row["box1"] for row in cells(form.stdout)]
    assert boxes and all(box.replace(".", "", 1).isdigit() for box in boxes)
