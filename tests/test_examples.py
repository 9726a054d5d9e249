"""The bundled books: every example and the starter set check clean, and the
examples' figures are what their READMEs say."""

import datetime
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from coop_beancount.books.loading import load_books
from coop_beancount.reports.invoices import receivable_rows
from coop_beancount.reports.members import member_rows
from coop_beancount.reports.view import CoopBooks

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/main.beancount"))


@pytest.mark.parametrize("main", [*EXAMPLES, ROOT / "ledgers" / "main.beancount"],
                         ids=lambda p: p.parent.name)
def test_books_check_clean(main):
    loaded = load_books(main)
    assert loaded.errors == []


def test_the_three_yardstick_examples_are_bundled():
    assert {p.parent.name for p in EXAMPLES} >= {"yogurt-coop", "dev-coop", "growers-coop"}


def _books(name, until=None):
    """The example's books; with `until`, only the entries up to that day (a year's end)."""
    loaded = load_books(ROOT / "examples" / name / "main.beancount")
    assert loaded.errors == []
    entries = [e for e in loaded.entries if until is None or e.date <= until]
    return CoopBooks.from_entries(entries, loaded.options)


@pytest.fixture(scope="module")
def yogurt():
    return _books("yogurt-coop")


@pytest.fixture(scope="module")
def dev():
    """The dev co-op's 2025. Its books go on to 2026-03-31 (the FY2025 patronage dividend is
    paid in March), so the year-end figures are those of the entries up to 2025-12-31."""
    return _books("dev-coop", until=datetime.date(2025, 12, 31))


@pytest.fixture(scope="module")
def dev_2026():
    return _books("dev-coop")


def _rows(books):
    return {row.key: row for row in member_rows(books)}


def _amounts(money_by_key):
    """{key: Money} -> {key: "12.34"} in USD, leaving out members with nothing."""
    return {k: str(m.get("USD")) for k, m in money_by_key.items() if m}


def _split_parts(books, by_expense=False):
    """Each member's parts of the split costs: by split label, or by expense account."""
    totals = defaultdict(lambda: defaultdict(Decimal))
    for key, postings in books.postings.items():
        for posting in postings:
            if not posting.meta or "coop-basis" not in posting.meta:
                continue
            if by_expense:
                group = posting.entry.postings[0].account.rsplit(":", 1)[-1]
            else:
                group = posting.meta["coop-split"].split(" ", 1)[0]
            totals[key][group] += posting.number
    return totals


def _account_total(books, account):
    return sum((p.units.number for e in books.entries if hasattr(e, "postings")
                for p in e.postings if p.account == account), Decimal(0))


# --- the Somerville yogurt co-op -----------------------------------------------------------

def test_yogurt_coop_members(yogurt):
    rows = _rows(yogurt)
    assert len(rows) == 8
    assert [k for k, r in rows.items() if r.left] == ["Dana"]
    assert str(rows["Dana"].left) == "2025-07-31"
    assert rows["Dana"].capital == {} and rows["Dana"].payable == {}
    assert rows["Dana"].other_owed == {} and rows["Dana"].dues_owed == {}
    assert _amounts({k: r.dues_owed for k, r in rows.items()}) == {"Eli": "5.00", "Gus": "10.00"}
    unpaid = {k: str(r.shares_paid.get("USD")) for k, r in rows.items()
              if r.shares_paid != r.shares_subscribed and not r.left}
    assert unpaid == {"Gus": "15.00", "Hana": "10.00"}
    assert sum(r.hours for r in rows.values()) == Decimal("370.5")


def test_yogurt_coop_settle_up_at_year_end(yogurt):
    rows = _rows(yogurt)
    # A few members still owe for the last weeks' shared costs ...
    assert _amounts({k: r.other_owed for k, r in rows.items()}) == {
        "Ana": "5.54", "Ben": "11.46", "Gus": "24.80"}
    # ... and the co-op owes Eli for the milk he bought on 2025-12-06.
    assert _amounts({k: r.payable for k, r in rows.items()}) == {"Eli": "31.07"}


def test_yogurt_coop_costs_shared_by_quarts(yogurt):
    quarts = defaultdict(Decimal)
    for key, postings in yogurt.postings.items():
        for posting in postings:
            meta = posting.meta or {}
            if meta.get("coop-unit") == "quarts" and posting.entry.narration.startswith(
                    "Whole milk"):
                quarts[key] += Decimal(meta["coop-units"])
    assert {k: int(q) for k, q in quarts.items()} == {
        "Ana": 136, "Ben": 136, "Chloe": 133, "Dana": 50, "Eli": 108, "Farah": 105,
        "Gus": 72, "Hana": 29}
    charged = {k: sum(v.values()) for k, v in _split_parts(yogurt).items()}
    assert {k: str(v) for k, v in charged.items()} == {
        "Ana": "302.15", "Ben": "308.73", "Chloe": "282.33", "Dana": "113.13",
        "Eli": "228.58", "Farah": "225.40", "Gus": "155.68", "Hana": "61.07"}
    # At cost: members were charged exactly what milk, culture and jars cost.
    shared = [_account_total(yogurt, f"Expenses:Production:{a}")
              for a in ("Milk", "Cultures", "Jars")]
    assert [str(s) for s in shared] == ["1431.24", "119.40", "126.43"]
    assert sum(charged.values()) == sum(shared) == Decimal("1677.07")
    assert _account_total(yogurt, "Income:Members:SharedCosts") == Decimal("-1677.07")
    assert _account_total(yogurt, "Income:Patronage:Yogurt") == 0
    assert _account_total(yogurt, "Assets:Bank:Checking") == Decimal("334.39")


# --- the Bridge City developers' co-op -----------------------------------------------------------

def test_dev_coop_members(dev):
    rows = _rows(dev)
    assert sorted(rows) == ["Devon", "Jen", "Keiko", "Marcus", "Priya", "Tomas"]
    assert not any(r.left for r in rows.values())
    assert str(rows["Devon"].joined) == "2025-06-01"
    assert {k: str(r.shares_paid["USD"]) for k, r in rows.items()} == dict.fromkeys(
        rows, "100.00")
    assert _amounts({k: r.dues_owed for k, r in rows.items()}) == {}
    assert _amounts({k: r.payable for k, r in rows.items()}) == {}
    # Their part of the accountants' year-end invoice, paid in January.
    assert _amounts({k: r.other_owed for k, r in rows.items()}) == {
        "Devon": "120.84", "Jen": "120.84", "Priya": "120.83", "Tomas": "120.83"}


def test_dev_coop_settled_in_january_2026(dev_2026):
    rows = _rows(dev_2026)
    # The first quarter's dues (charged on 2026-01-01) and the December invoice are paid, and
    # the dividend's cash part was paid out the day the plugin credited it.
    assert _amounts({k: r.other_owed for k, r in rows.items()}) == {}
    assert _amounts({k: r.dues_owed for k, r in rows.items()}) == {}
    assert _amounts({k: r.payable for k, r in rows.items()}) == {}
    dues_2026 = [e for e in dev_2026.entries if e.meta.get("coop-generated") == "dues"
                 and e.date.year == 2026]
    assert [(str(e.date), str(e.postings[0].units)) for e in dues_2026] == [
        ("2026-01-01", "60.00 USD")] * 6
    assert _account_total(dev_2026, "Assets:Bank:Checking") == Decimal("1929.78")


def test_dev_coop_has_one_late_client_at_the_end_of_its_books(dev_2026):
    end = max(e.date for e in dev_2026.entries)
    assert end == datetime.date(2026, 3, 31)
    rows = receivable_rows(dev_2026, end)
    assert [(r["client"], r["invoice"], r["days_late"], r["age"]) for r in rows] == [
        ("Pearl Street Press", 34, 106, "90+"), ("Pearl Street Press", 39, 75, "61-90")]
    assert [r["open"] for r in rows] == [{"USD": Decimal("12000.00")},
                                         {"USD": Decimal("9600.00")}]
    (keiko,) = receivable_rows(dev_2026, end, "member")
    assert (keiko["member"], keiko["late"]) == ("Keiko", {"USD": Decimal("21600.00")})


def test_dev_coop_health_plan_by_key_version(dev):
    parts = _split_parts(dev, by_expense=True)
    health = {k: str(v["HealthInsurance"]) for k, v in parts.items()
              if v["HealthInsurance"]}
    assert health == {"Priya": "7717.17", "Marcus": "19292.85", "Jen": "10608.53",
                      "Tomas": "19292.86", "Devon": "3856.59"}
    assert _account_total(dev, "Expenses:Overhead:HealthInsurance") == Decimal("60768.00")
    # Devon is on the plan from 2025-07-01 only, Keiko never.
    firsts = {p.entry.date for p in dev.postings["Devon"]
              if (p.meta or {}).get("coop-split", "").startswith("health-plan")}
    assert str(min(firsts)) == "2025-07-01" and len(firsts) == 6
    assert "Keiko" not in health
    # Jen's part doubled and a half when she moved to the family tier.
    jen = {str(p.entry.date): str(p.number) for p in dev.postings["Jen"]
           if (p.meta or {}).get("coop-split", "").startswith("health-plan")}
    assert (jen["2025-09-01"], jen["2025-10-01"]) == ("643.00", "1606.32")


def test_dev_coop_legal_and_accounting_equally(dev):
    parts = _split_parts(dev, by_expense=True)
    fees = {k: (str(v["Legal"]), str(v["Accounting"])) for k, v in parts.items()}
    assert fees == {
        "Priya": ("1034.17", "360.83"), "Marcus": ("1034.17", "360.83"),
        "Jen": ("1034.16", "360.84"), "Tomas": ("1034.17", "360.83"),
        "Keiko": ("1034.17", "360.83"), "Devon": ("166.66", "270.84")}
    total = sum(sum(v.values()) for v in parts.values())
    assert total == Decimal("68180.50")
    assert _account_total(dev, "Income:Members:SharedCosts") == -total
    assert _account_total(dev, "Assets:Bank:Checking") == Decimal("1811.44")


def test_worker_coop_figures_are_what_its_readme_says():
    loaded = load_books(ROOT / "examples" / "worker-coop" / "main.beancount")
    assert loaded.errors == []
    by_kind: dict[str, list] = defaultdict(list)
    for entry in loaded.entries:
        kind = getattr(entry, "meta", {}).get("coop-generated")
        if kind in ("allocation", "loss", "equity-redemption"):
            by_kind[kind].append(entry)
    (allocation,) = by_kind["allocation"]
    assert allocation.meta["coop-pool-amount"] == Decimal("14280.00")
    (loss,) = by_kind["loss"]
    assert (loss.meta["coop-loss"], loss.meta["coop-collective"]) == (Decimal("10200.00"),
                                                                      Decimal("2550.00"))
    eli = [p.units.number for p in loss.postings if p.account.startswith("Equity:Members:Eli")]
    assert sorted(eli) == [Decimal("209.59"), Decimal("834.98")]
    instalments = [e for e in by_kind["equity-redemption"] if "coop-instalment" in e.meta]
    assert [e.date for e in instalments] == [datetime.date(y, 3, 31) for y in range(2026, 2031)]
    assert {e.meta["coop-budget"] for e in instalments} == {Decimal("180.68")}
    interest: dict[str, list[Decimal]] = defaultdict(list)
    for entry in loaded.entries:
        if getattr(entry, "meta", {}).get("coop-generated") == "interest":
            for posting in entry.postings:
                if posting.account.split(":")[1] == "Members":
                    interest[posting.account.split(":")[2]].append(-posting.units.number)
    assert interest == {
        "Ana": [Decimal(n) for n in ("63.08", "66.23", "69.55", "73.02")],
        "Ben": [Decimal(n) for n in ("49.32", "51.79", "54.38", "57.10")],
        "Cy": [Decimal(n) for n in ("41.60", "43.68", "45.87", "48.16")],
        "Dana": [Decimal(n) for n in ("36.14", "27.10", "18.07", "9.03")],
    }
    assert _account_total(loaded, "Expenses:Interest:CapitalAccounts") == Decimal("754.12")
    assert _account_total(loaded, "Assets:Bank:Checking") == Decimal("28350.23")
