"""Consent to qualified notices (IRC 1388(c)) and qualified checks: the worked example's
FY2025 pool (G1 21,797.08 = 4,359.42 cash + 17,437.66 retained; G4 1,725.60 = 345.12 +
1,380.48; patronage recorded 2025-10-01, paid 2026-03-15, payment period to 2026-09-15,
a qualified check counting as consent if cashed by 2026-12-14) with each kind of consent,
and the notices, patronage report, equity and Form 1099-PATR figures that follow."""

import datetime
import json
from decimal import Decimal

import pytest
from beancount import loader
from click.testing import CliRunner

from coop_beancount.cli import main
from coop_beancount.core.consent import check_consent, check_window, consent_for
from tests.support import WORKED, coop_errors

#: The worked example with no consent recorded at all.
BARE = "".join(line + "\n" for line in WORKED.splitlines() if "coop-consent" not in line)
DECISION = '2026-03-01 custom "coop-allocation" 2025 "barrels"'
RETAINED = {"G1": Decimal("17437.66"), "G2": Decimal("10898.54"), "G3": Decimal("4843.31"),
            "G4": Decimal("1380.48")}
CASH = {"G1": Decimal("4359.42"), "G2": Decimal("2724.64"), "G3": Decimal("1210.83"),
        "G4": Decimal("345.12")}


def books(consents: str, text: str = BARE, config: str = "") -> str:
    """The worked example with these consent lines (and plugin settings)."""
    if config:
        text = text.replace("{'as_of': '2026-12-31'}", "{'as_of': '2026-12-31', " + config + "}")
    return text + "\n" + consents


def others(*keys: str) -> str:
    """Written consent of 2024 for these members."""
    return "".join(f'2024-01-01 custom "coop-consent" "{k}" "written"\n' for k in keys)


def load(text: str):
    entries, errors, _ = loader.load_string(text)
    return entries, coop_errors(errors)


def notices_of(entries) -> dict[str, tuple[Decimal, Decimal, str]]:
    """Each member's retained part booked (qualified, non-qualified) and consent words."""
    found: dict[str, list] = {}
    for entry in entries:
        if entry.meta.get("coop-generated") != "allocation":
            continue
        for posting in entry.postings:
            kind = (posting.meta or {}).get("coop-kind")
            if kind not in ("qualified", "non-qualified"):
                continue
            member = posting.account.split(":")[2]
            row = found.setdefault(member, [Decimal(0), Decimal(0), ""])
            row[kind == "non-qualified"] -= posting.units.number
            row[2] = posting.meta.get("coop-consent", "")
    return {m: (q, n, why) for m, (q, n, why) in found.items()}


def decision_line(text: str) -> int:
    return text.splitlines().index(DECISION) + 1


def decision_error(text: str):
    """The one error at the decision (the redemption after it fails too: nothing booked)."""
    _, errors = load(text)
    found = [e for e in errors if e.source.get("lineno") == decision_line(text)]
    assert len(found) == 1, errors
    return found[0]


def test_no_consent_is_an_error_at_the_decision_naming_each_member():
    text = books(others("G1", "G2"))
    entries, _ = load(text)
    error = decision_error(text)
    for word in ("G3 (no consent recorded)", "G4 (no consent recorded)", "IRC 1388(c)",
                 'custom "coop-consent"', "qualified-check: TRUE", "qualified: FALSE",
                 "'without_consent': 'non-qualified'"):
        assert word in error.message, word
    assert "G1" not in error.message and "G2" not in error.message
    assert notices_of(entries) == {}  # nothing booked from the decision


def test_without_consent_non_qualified_issues_that_members_part_non_qualified_by_rule():
    text = books(others("G1", "G2", "G3"), config="'without_consent': 'non-qualified'")
    entries, errors = load(text)
    assert errors == []
    found = notices_of(entries)
    assert found["G1"][:2] == (RETAINED["G1"], 0)
    assert found["G1"][2] == "written consent of 2024-01-01"
    assert found["G4"][:2] == (0, RETAINED["G4"])
    assert found["G4"][2] == "no consent recorded: issued non-qualified, by rule"
    accounts = {p.account for e in entries if e.meta.get("coop-generated") == "allocation"
                for p in e.postings}
    assert "Equity:Members:G4:Allocated:FY2025:NonQualified" in accounts
    assert "Equity:Members:G4:Allocated:FY2025" not in accounts


def test_written_consent_counts_from_its_fiscal_year_on():
    # Signed in FY2025 (any day of it): counts for FY2025. Signed in FY2026: not yet.
    assert not load(books(others("G1", "G2", "G3")
                          + '2025-12-31 custom "coop-consent" "G4" "written"\n'))[1]
    error = decision_error(books(others("G1", "G2", "G3")
                                 + '2026-01-10 custom "coop-consent" "G4" "written"\n'))
    assert "G4 (no consent recorded)" in error.message


@pytest.mark.parametrize("notified, in_force", [
    ("2025-09-30", True),    # before the patronage of 2025-10-01
    ("2025-10-01", False),   # the same day: the consent counts only for patronage after it
    ("2025-11-15", False),   # after it
])
def test_bylaw_consent_counts_only_for_patronage_after_the_member_was_notified(
        notified, in_force):
    line = f'2024-06-01 custom "coop-consent" "G4" "bylaw"\n  notified: {notified}\n'
    entries, errors = load(books(others("G1", "G2", "G3") + line))
    if in_force:
        assert errors == []
        assert notices_of(entries)["G4"] == (
            RETAINED["G4"], 0, f"the consent bylaw of 2024-06-01, of which you were notified "
            f"in writing on {notified}")
    else:
        error = decision_error(books(others("G1", "G2", "G3") + line))
        assert f"notified of it in writing ({notified})" in error.message
        assert "patronage of 2025-10-01" in error.message


def test_bylaw_consent_does_not_count_for_a_member_who_left_before_it():
    text = books(others("G1", "G2", "G3") + '2025-06-01 custom "coop-consent" "G4" "bylaw"\n'
                 "  notified: 2025-06-01\n").replace(
        '2024-01-01 custom "coop-member" "G4" "Grower Four"',
        '2024-01-01 custom "coop-member" "G4" "Grower Four"\n'
        '2025-12-31 custom "coop-leave" "G4"')
    # G4 is a member after the bylaw (leaves 2025-12-31): it counts.
    assert not load(text)[1]
    assert consent_for([], 2025, lambda d: d.year, None).basis == "no consent recorded"


@pytest.mark.parametrize("revoked, in_force", [
    ("2025-05-01", True),   # revoked during FY2025: counts no more from FY2026 on
    ("2024-12-31", False),  # revoked in FY2024: FY2025 has no consent
])
def test_a_revocation_ends_the_consent_after_its_fiscal_year(revoked, in_force):
    line = f'{revoked} custom "coop-consent" "G4" "revoked"\n'
    entries, errors = load(books(others("G1", "G2", "G3", "G4") + line))
    if in_force:
        assert errors == [] and notices_of(entries)["G4"][:2] == (RETAINED["G4"], 0)
    else:
        error = decision_error(books(others("G1", "G2", "G3", "G4") + line))
        assert f"G4 (consent revoked on {revoked}, before FY2025 began)" in error.message


def checked(cashed: str | None, as_of: str = "2026-12-31") -> tuple[list, list]:
    text = books(others("G1", "G2", "G3")).replace(
        "  paid: 2026-03-15", "  paid: 2026-03-15\n  qualified-check: TRUE").replace(
        "'as_of': '2026-12-31'", f"'as_of': '{as_of}'")
    if cashed:
        text += f'{cashed} custom "coop-check-cashed" "G4" 2025 "barrels"\n'
    return load(text)


def form_1099(tmp_path, text: str, year: int = 2026) -> dict[str, dict[str, str]]:
    path = tmp_path / "main.beancount"
    path.write_text(text)
    result = CliRunner().invoke(main, ["1099-patr", str(path), "--year", str(year),
                                       "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {row["member"]: row for row in json.loads(result.stdout)}


def test_a_qualified_check_cashed_within_90_days_after_the_period_is_consent():
    assert check_window(datetime.date(2026, 9, 15)) == datetime.date(2026, 12, 14)
    entries, errors = checked("2026-12-14")
    assert errors == []
    assert notices_of(entries)["G4"] == (
        RETAINED["G4"], 0, "qualified check endorsed and cashed on 2026-12-14")


def test_a_qualified_check_cashed_late_turns_the_notice_non_qualified(tmp_path):
    entries, errors = checked("2026-12-15")
    assert errors == []
    qualified, non_qualified, why = notices_of(entries)["G4"]
    assert (qualified, non_qualified) == (0, RETAINED["G4"])
    assert why == ("qualified check cashed only on 2026-12-15, not within 90 days after the "
                   "payment period (by 2026-12-14)")
    # G1's consent is written: qualified whatever the check.
    assert notices_of(entries)["G1"][:2] == (RETAINED["G1"], 0)


def test_the_1099_follows_a_check_cashed_late(tmp_path):
    base = books(others("G1", "G2", "G3")).replace(
        "  paid: 2026-03-15", "  paid: 2026-03-15\n  qualified-check: TRUE")
    on_time = form_1099(tmp_path, base + '2026-04-01 custom "coop-check-cashed" "G4" 2025 '
                        '"barrels"\n')
    late = form_1099(tmp_path, base + '2026-12-20 custom "coop-check-cashed" "G4" 2025 '
                     '"barrels"\n')
    # Qualified: box 1 has the cash and the retained part at face value.
    assert Decimal(on_time["G4"]["box1"]) == CASH["G4"] + RETAINED["G4"]
    # Non-qualified: box 1 only the cash; the retained part is income when redeemed (box 5):
    # the 10,000.00 redemption of 2026-06-30 pays part of it back in 2026.
    assert Decimal(late["G4"]["box1"]) == CASH["G4"]
    assert Decimal(on_time["G4"]["box5"]) == 0 < Decimal(late["G4"]["box5"]) < RETAINED["G4"]
    # Everyone else's figures are the same either way.
    for key in ("G1", "G2", "G3"):
        assert on_time[key] == late[key]


def test_an_uncashed_qualified_check_is_pending_until_the_90_days_are_over():
    entries, errors = checked(None, as_of="2026-12-14")
    assert errors == []
    assert notices_of(entries)["G4"] == (
        RETAINED["G4"], 0, "qualified check, counted as consent once cashed by 2026-12-14")
    entries, errors = checked(None, as_of="2026-12-15")
    assert errors == []
    assert notices_of(entries)["G4"][:2] == (0, RETAINED["G4"])
    assert check_consent(None, datetime.date(2026, 9, 15), datetime.date(2026, 12, 15)).basis \
        == ("qualified check not cashed, not within 90 days after the payment period "
            "(by 2026-12-14)")


@pytest.mark.parametrize("line, words", [
    ('2026-04-01 custom "coop-check-cashed" "G9" 2025 "barrels"\n', ["unknown member 'G9'"]),
    ('2026-04-01 custom "coop-check-cashed" "G4" 2024 "barrels"\n',
     ["no decision allocates pool 'barrels' for FY2024"]),
    ('2026-03-10 custom "coop-check-cashed" "G4" 2025 "barrels"\n',
     ["cashed on 2026-03-10, before it is paid on 2026-03-15"]),
    ('2026-04-01 custom "coop-consent" "G9" "written"\n', ["unknown member 'G9'"]),
    ('2026-04-01 custom "coop-consent" "G4" "bylaw"\n', ["needs notified:"]),
    ('2026-04-01 custom "coop-consent" "G4" "maybe"\n', ["'maybe' is not one of"]),
])
def test_consent_and_cashing_mistakes_are_errors_at_their_line(line, words):
    text = books(others("G1", "G2", "G3", "G4")).replace(
        "  paid: 2026-03-15", "  paid: 2026-03-15\n  qualified-check: TRUE") + line
    _, errors = load(text)
    at = len(text.splitlines())
    found = [e for e in errors if e.source.get("lineno") == at]
    assert len(found) == 1, errors
    for word in words:
        assert word in found[0].message


def test_a_cashing_for_a_decision_without_qualified_checks_is_an_error():
    text = books(others("G1", "G2", "G3", "G4")
                 + '2026-04-01 custom "coop-check-cashed" "G4" 2025 "barrels"\n')
    [error] = load(text)[1]
    assert "does not pay by qualified check" in error.message


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_notices_state_the_consent_basis_and_both_addresses(tmp_path):
    text = books(others("G1", "G2") + '2024-06-01 custom "coop-consent" "G3" "bylaw"\n'
                 "  notified: 2024-06-15\n",
                 config="'without_consent': 'non-qualified', "
                        "'payer': {'address': '1 Bog Road; Carver MA 02330'}")
    path = tmp_path / "main.beancount"
    path.write_text(text)
    (tmp_path / "members-private.csv").write_text(
        "member,tin,tin_type,address,email,phone,account\n"
        'G1,,,"12 Cranberry Lane\nWareham MA 02571",,,\n')
    out = tmp_path / "notices"
    result = run("notices", path, "--year", "2025", "--out", out)
    assert result.exit_code == 0, result.output
    g1 = (out / "FY2025-G1.html").read_text()
    assert "1 Bog Road\nCarver MA 02330" in g1  # the co-op's, from the settings
    assert "12 Cranberry Lane\nWareham MA 02571" in g1  # the member's, from the register
    assert "written consent of 2024-01-01" in g1
    assert "By your membership" not in g1
    assert "the cents left over go one each" in g1  # the odd cents
    g3 = (out / "FY2025-G3.html").read_text()
    assert "the consent bylaw of 2024-06-01, of which you were notified in writing on " \
           "2024-06-15" in g3
    g4 = (out / "FY2025-G4.html").read_text()
    assert "<td>non-qualified</td>" in g4
    assert "yours\n  is non-qualified: no consent recorded: issued non-qualified, by rule" in g4
    assert "Qualified notice of allocation: your consent" not in g4
    assert "12 Cranberry Lane" not in g4
    # The patronage report and the equity follow.
    rows = json.loads(run("patronage", path, "--year", "2025", "--format", "json").stdout)
    assert {r["member"]: r["notice"] for r in rows} == {
        "G1": "qualified", "G2": "qualified", "G3": "qualified", "G4": "non-qualified"}
    equity = json.loads(run("equity", path, "--as-of", "2026-03-31", "--format",
                            "json").stdout)
    g4_equity = next(r for r in equity if r["member"] == "G4")
    assert Decimal(g4_equity["non_qualified"]["USD"]) == RETAINED["G4"]


def test_a_what_if_keeps_a_member_non_qualified_for_want_of_consent(tmp_path):
    text = books(others("G1", "G2", "G3"), config="'without_consent': 'non-qualified'")
    path = tmp_path / "main.beancount"
    path.write_text(text)
    result = run("patronage", path, "--year", "2025", "--what-if", "--cash", "30%",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["member"]: r for r in json.loads(result.stdout)}
    assert rows["G4"]["notice"] == "non-qualified"
    assert rows["G1"]["notice"] == "qualified"
    assert rows["G1"]["cash"] == {"USD": "6539.13"}  # 21,797.08 x 30%, rounded up


def test_a_draft_decision_is_checked_for_consent_like_a_booked_one(tmp_path):
    text = books(others("G1", "G2", "G3")).replace(
        "  paid: 2026-03-15", "  paid: 2026-03-15\n  draft: TRUE")
    path = tmp_path / "main.beancount"
    path.write_text(text.replace('2026-06-30 custom "coop-redemption" 10000.00 USD', ""))
    result = run("patronage", path, "--year", "2025", "--what-if")
    assert result.exit_code == 1
    assert "what-if refused" in result.output and "G4 (no consent recorded)" in result.output
    allowed = text.replace("'as_of': '2026-12-31'",
                           "'as_of': '2026-12-31', 'without_consent': 'non-qualified'")
    path.write_text(allowed.replace('2026-06-30 custom "coop-redemption" 10000.00 USD', ""))
    result = run("patronage", path, "--year", "2025", "--what-if", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["member"]: r for r in json.loads(result.stdout)}
    assert rows["G4"]["notice"] == "non-qualified" and rows["G3"]["notice"] == "qualified"
