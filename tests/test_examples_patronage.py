"""The patronage examples: the dev co-op's FY2025 dividend by billings, and the cranberry
growers' three years of per-unit retains, dividends in two pools, and redemptions.

The figures written here were worked out by hand from the examples' entries (the comments
show how); each test reads what the plugin booked from the loaded books and compares, and
the README tests check that the READMEs quote the same figures as the books.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from beancount.core import data
from click.testing import CliRunner

from coop_beancount.books.loading import load_books
from coop_beancount.cli import main
from coop_beancount.reports.patronage import form_1099_patr
from coop_beancount.reports.view import CoopBooks

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "examples" / "dev-coop"
GROWERS = ROOT / "examples" / "growers-coop"
CENT = Decimal("0.01")


def _load(folder: Path):
    loaded = load_books(folder / "main.beancount")
    assert loaded.errors == []
    return loaded


@pytest.fixture(scope="module")
def dev():
    return _load(DEV).entries


@pytest.fixture(scope="module")
def growers():
    return _load(GROWERS).entries


def _generated(entries, kind):
    return [e for e in entries if isinstance(e, data.Transaction)
            and e.meta.get("coop-generated") == kind]


def _allocation(entries, year, pool):
    found = [e for e in _generated(entries, "allocation")
             if e.meta["coop-year"] == year and e.meta["coop-pool"] == pool]
    assert len(found) == 1
    return found[0]


def _member(account):
    return account.split(":")[2]


def _dividends(txn):
    """{member: (allocation, cash, retained)} from an allocation's member postings."""
    parts = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
    for posting in txn.postings:
        kind = (posting.meta or {}).get("coop-kind")
        if kind is None:
            continue
        row = parts[_member(posting.account)]
        row[0] = posting.meta["coop-allocation"]
        row[1 if kind == "cash" else 2] -= posting.units.number
    return {k: tuple(v) for k, v in parts.items()}


def _table(text):
    """'Key 1.00 2.00 3.00' lines -> {key: (Decimal, ...)}."""
    rows = {}
    for line in text.strip().splitlines():
        key, *numbers = line.split()
        rows[key] = tuple(Decimal(n) for n in numbers)
    return rows


def _balances(entries, until):
    """Each account's balance at the end of `until` (leaf accounts, exact)."""
    totals = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction) and entry.date <= until:
            for posting in entry.postings:
                totals[posting.account] += posting.units.number
    return totals


def _usd(number):
    return f"{number:,.2f}"


MONEY = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})*\.\d\d(?![\d])")


def _money_in(text):
    """Every amount written like 1,234.56 in `text`, outside code blocks."""
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return {Decimal(m.replace(",", "")) for m in MONEY.findall(prose)}


def _fy_totals(entries, year, *roots):
    """The net of `roots` (and their sub-accounts) in calendar year `year`."""
    fy = _balances(entries, datetime.date(year, 12, 31))
    before = _balances(entries, datetime.date(year - 1, 12, 31))
    return sum((fy[a] - before[a] for a in fy
                if any(a == r or a.startswith(r + ":") for r in roots)), Decimal(0))


# --- both examples -------------------------------------------------------------------------

@pytest.mark.parametrize("folder", [DEV, GROWERS], ids=lambda p: p.name)
def test_coop_check_is_clean(folder):
    result = CliRunner().invoke(main, ["check", str(folder / "main.beancount")])
    assert result.exit_code == 0, result.output
    assert "clean" in result.output


@pytest.mark.parametrize("folder", [DEV, GROWERS], ids=lambda p: p.name)
def test_every_allocation_adds_up(folder):
    """Each allocation's parts add up to its pool, and the pool and reserve to the margin."""
    entries = _load(folder).entries
    allocations = _generated(entries, "allocation")
    assert allocations
    for txn in allocations:
        meta = txn.meta
        margin, reserve, pool = meta["coop-margin"], meta["coop-reserve"], meta["coop-pool-amount"]
        total = meta["coop-patronage-total"]
        share = Decimal(meta["coop-cash-share"].rstrip("%")) / 100
        assert reserve + pool == margin
        reserve_share = Decimal(meta["coop-reserve-share"].rstrip("%")) / 100
        assert reserve == (margin * reserve_share).quantize(CENT, ROUND_HALF_UP)
        dividends = _dividends(txn)
        assert sum(d[0] for d in dividends.values()) == pool
        patronage = {}
        for posting in txn.postings:
            if posting.meta and "coop-patronage" in posting.meta:
                patronage[_member(posting.account)] = posting.meta["coop-patronage"]
        assert sum(patronage.values()) == total
        for member, (allocation, cash, retained) in dividends.items():
            assert cash + retained == allocation
            # Largest remainder: within a cent of the exact share.
            assert abs(allocation - pool * patronage[member] / total) < CENT
            # The cash part is the share rounded up: never under it, never a cent over.
            assert allocation * share <= cash < allocation * share + CENT
            if meta["coop-qualified"]:
                assert cash >= allocation * Decimal("0.20")
        # (Every posting carries its file and line; the members' carry coop-kind.)
        others = {p.account: p.units.number for p in txn.postings
                  if "coop-kind" not in p.meta}
        assert others["Equity:Earnings:Previous"] == margin + meta["coop-non-patronage"]
        assert others.get("Equity:Coop:Unallocated", 0) == -(
            reserve + meta["coop-non-patronage"])


@pytest.mark.parametrize("folder", [DEV, GROWERS], ids=lambda p: p.name)
def test_balance_assertions_hold_to_the_cent(folder):
    """Beancount lets a balance assertion be a cent off; these books are exact."""
    loaded = _load(folder)
    checked = 0
    for entry in loaded.entries:
        if isinstance(entry, data.Balance):
            balances = _balances(loaded.entries, entry.date - datetime.timedelta(days=1))
            actual = sum((n for a, n in balances.items()
                          if a == entry.account or a.startswith(entry.account + ":")),
                         Decimal(0))
            assert actual == entry.amount.number, (entry.date, entry.account)
            checked += 1
    assert checked > 40


# --- the Bridge City developers' co-op: FY2025 by billings ------------------------------------

# Hours billed, April to December (Devon from June), at each member's rate.
DEV_HOURS = {"Priya": (1232, 120), "Marcus": (1280, 135), "Jen": (1046, 110),
             "Tomas": (1380, 125), "Keiko": (708, 150), "Devon": (858, 95)}

# The pool, 22,902.39, shared by billings (795,910.00), largest remainder; cash is 30% rounded
# up to the cent, the rest retained: allocation, cash, retained.
DEV_DIVIDENDS = _table("""
    Priya   4254.11 1276.24 2977.87
    Marcus  4972.34 1491.71 3480.63
    Jen     3310.86  993.26 2317.60
    Tomas   4963.70 1489.11 3474.59
    Keiko   3055.92  916.78 2139.14
    Devon   2345.46  703.64 1641.82
""")


def _billings(entries):
    billed = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                if posting.account == "Income:Patronage:Billings":
                    member = (posting.meta or {}).get("member") or entry.meta["member"]
                    billed[member] -= posting.units.number
    return dict(billed)


def test_dev_coop_billings_are_the_measure(dev):
    billed = _billings(dev)
    assert billed == {k: Decimal(h * rate) for k, (h, rate) in DEV_HOURS.items()}
    assert sum(billed.values()) == Decimal("795910.00")
    txn = _allocation(dev, 2025, "client-work")
    assert txn.meta["coop-measure"] == "billings"
    for posting in txn.postings:
        if posting.meta and "coop-patronage" in posting.meta:
            assert posting.meta["coop-patronage"] == billed[_member(posting.account)]


def test_dev_coop_margin_is_a_few_percent_of_billings(dev):
    fy = _balances(dev, datetime.date(2025, 12, 31))
    wages = fy["Expenses:Payroll:Wages"]
    assert wages == Decimal("700400.80") == Decimal("0.88") * Decimal("795910.00")
    employer = fy["Expenses:Payroll:EmployerTaxes"]
    operations = sum(n for a, n in fy.items() if a.startswith("Expenses:Operations:"))
    assert (employer, operations) == (Decimal("60584.68"), Decimal("4388.00"))
    margin = -fy["Income:Patronage:Billings"] - wages - employer - operations
    assert margin == Decimal("30536.52")
    assert Decimal("0.03") < margin / Decimal("795910.00") < Decimal("0.05")
    assert fy["Income:NonPatronage:Interest"] == Decimal("-50.93")


def test_dev_coop_fy2025_dividend(dev):
    txn = _allocation(dev, 2025, "client-work")
    assert str(txn.date) == "2026-03-13"
    meta = txn.meta
    # 25% of 30,536.52 is 7,634.13 to the collective account; the rest is the pool.
    assert (meta["coop-margin"], meta["coop-reserve"], meta["coop-pool-amount"]) == (
        Decimal("30536.52"), Decimal("7634.13"), Decimal("22902.39"))
    assert (meta["coop-reserve-share"], meta["coop-cash-share"], meta["coop-qualified"]) == (
        "25%", "30%", True)
    assert _dividends(txn) == DEV_DIVIDENDS
    postings = {p.account: p.units.number for p in txn.postings}
    assert postings["Equity:Coop:Unallocated"] == Decimal("-7685.06")  # 7,634.13 + 50.93
    assert postings["Equity:Members:Priya:Allocated:FY2025"] == Decimal("-2977.87")
    # The cash part is paid out of the operating account the same day.
    [payout] = [e for e in dev if isinstance(e, data.Transaction) and e.date == txn.date
                and "coop-generated" not in e.meta]
    assert {_member(p.account): p.units.number for p in payout.postings
            if p.account.startswith("Liabilities:Members:")} == {
        k: cash for k, (_, cash, _) in DEV_DIVIDENDS.items()}
    assert [p.units.number for p in payout.postings
            if p.account == "Assets:Bank:Operating"] == [Decimal("-6870.74")]


def test_dev_coop_capital_after_the_dividend(dev):
    after = _balances(dev, datetime.date(2026, 3, 31))
    for key, (_, _, retained) in DEV_DIVIDENDS.items():
        capital = -sum(n for a, n in after.items() if a.startswith(f"Equity:Members:{key}:"))
        assert capital == Decimal("100.00") + retained
        assert after[f"Liabilities:Members:{key}:Payable"] == 0
    assert after["Equity:Coop:Unallocated"] == Decimal("-7685.06")
    # The late client's invoices and the bank make up the co-op's capital together.
    assert after["Assets:Clients:PearlStreetPress"] == Decimal("21600.00")
    assert after["Assets:Bank:Operating"] == Decimal("2031.71")


def test_dev_coop_readme_quotes_the_books(dev):
    readme = (DEV / "README.md").read_text()
    txn = _allocation(dev, 2025, "client-work")
    figures = [txn.meta["coop-margin"], txn.meta["coop-reserve"],
               txn.meta["coop-pool-amount"], txn.meta["coop-patronage-total"]]
    billed = _billings(dev)
    for key, (allocation, cash, retained) in _dividends(txn).items():
        figures += [allocation, cash, retained, billed[key], retained + Decimal("100.00")]
    figures += [sum(d[1] for d in DEV_DIVIDENDS.values()),
                sum(d[2] for d in DEV_DIVIDENDS.values())]
    after = _balances(dev, datetime.date(2026, 3, 31))
    figures += [-after["Equity:Coop:Unallocated"], after["Assets:Bank:Operating"]]
    missing = [_usd(f) for f in figures if _usd(f) not in readme]
    assert missing == []
    assert "{'as_of': '2026-03-31'}" in readme
    # And the other way round: every amount in the client-work figures is one of the books'.
    section = readme.split("The client work (April to December)")[1].split("A member's")[0]
    fy = _balances(dev, datetime.date(2025, 12, 31))
    known = set(figures) | {abs(n) for a, n in fy.items() if a.startswith(
        ("Income:Patronage", "Income:NonPatronage", "Expenses:Payroll", "Expenses:Operations",
         "Assets:Bank:Operating", "Liabilities:Payroll"))}
    known |= {sum(n for a, n in fy.items() if a.startswith(prefix)) for prefix in (
        "Expenses:Operations", "Assets:Clients", "Liabilities:Payroll")}
    billings = txn.meta["coop-patronage-total"]
    known |= {(100 * txn.meta[k] / billings).quantize(CENT, ROUND_HALF_UP)  # 3.84%, 2.88 cents
              for k in ("coop-margin", "coop-pool-amount")}
    known |= {Decimal("100.00"), Decimal("85.00")}  # the share, Gusto's fee
    # The late client: its unpaid invoices, the others' paid in January, and the bank and
    # its invoices together after the dividend.
    late = fy["Assets:Clients:PearlStreetPress"]
    known |= {late, sum(n for a, n in fy.items() if a.startswith("Assets:Clients")) - late,
              after["Assets:Bank:Operating"] + after["Assets:Clients:PearlStreetPress"]}
    assert _money_in(section) - {abs(n) for n in known} == set()


# --- the Plymouth County cranberry growers ---------------------------------------------------

# Barrels delivered per season (several tickets each); Harju left in 2025, Lopes joined.
BARRELS = {
    2023: {"Andrade": 9120, "Beaton": 15880, "Costa": 4410, "Gomes": 7060, "Harju": 2390,
           "Pina": 5640},
    2024: {"Andrade": 9650, "Beaton": 16420, "Costa": 4705, "Gomes": 7380, "Harju": 2515,
           "Pina": 5910},
    2025: {"Andrade": 8840, "Beaton": 15310, "Costa": 4290, "Gomes": 6925, "Lopes": 2260,
           "Pina": 5480},
}

# Per fiscal year and pool: margin, reserve (10%), non-patronage margin, and per member
# allocation, cash, retained. The crop pool's margin is sales less advances, progress payments,
# freight and administration (FY2023: 1,622,460.00 - 1,424,000.00 - 47,971.00 - 77,194.18);
# the station's is the members' fees less the station's costs (FY2023: 35,775.00 - 31,400.00).
POOLS = {
    (2023, "cranberries"): ("73294.82", "7329.48", "5437.99", _table("""
        Andrade 13519.19 2703.84 10815.35
        Beaton  23539.99 4708.00 18831.99
        Costa    6537.24 1307.45  5229.79
        Gomes   10465.51 2093.11  8372.40
        Harju    3542.86  708.58  2834.28
        Pina     8360.55 1672.11  6688.44
    """)),
    (2023, "station"): ("4375.00", "437.50", "0", _table("""
        Andrade 1254.72 250.95 1003.77
        Costa    606.72 121.35  485.37
        Gomes    971.31 194.27  777.04
        Harju    328.81  65.77  263.04
        Pina     775.94 155.19  620.75
    """)),
    (2024, "cranberries"): ("48805.00", "4880.50", "5832.99", _table("""
        Andrade  9099.86 1819.98  7279.88
        Beaton  15483.91 3096.79 12387.12
        Costa    4436.77  887.36  3549.41
        Gomes    6959.27 1391.86  5567.41
        Harju    2371.62  474.33  1897.29
        Pina     5573.07 1114.62  4458.45
    """)),
    # Non-qualified, no cash: the board kept the station's pool for the optical sorter.
    (2024, "station"): ("5000.00", "500.00", "0", _table("""
        Andrade 1439.82 0 1439.82
        Costa    702.00 0  702.00
        Gomes   1101.13 0 1101.13
        Harju    375.25 0  375.25
        Pina     881.80 0  881.80
    """)),
    (2025, "cranberries"): ("79320.50", "7932.05", "6284.85", _table("""
        Andrade 14640.39 4392.12 10248.27
        Beaton  25355.69 7606.71 17748.98
        Costa    7104.89 2131.47  4973.42
        Gomes   11468.86 3440.66  8028.20
        Lopes    3742.90 1122.87  2620.03
        Pina     9075.72 2722.72  6353.00
    """)),
    (2025, "station"): ("8442.50", "844.25", "0", _table("""
        Andrade 2416.57 483.32 1933.25
        Costa   1172.75 234.55  938.20
        Gomes   1893.07 378.62 1514.45
        Lopes    617.81 123.57  494.24
        Pina    1498.05 299.61 1198.44
    """)),
}

# Each grower's capital account after the revolving fund: Shares, then FY2024 qualified,
# non-qualified and retains, then FY2025 qualified and retains. FY2023 is paid back in full.
CAPITAL = _table("""
    Andrade 1000.00 5304.23 1049.08 3515.57 12181.52 4420.00
    Beaton  1000.00 9025.45    0    5981.93 17748.98 7655.00
    Costa   1000.00 2586.16  511.49 1714.07  5911.62 2145.00
    Gomes   1000.00 4056.50  802.30 2688.59  9542.65 3462.50
    Lopes   1000.00    0       0       0     3114.27 1130.00
    Pina    1000.00 3248.50  642.49 2153.06  7551.44 2740.00
""")
CAPITAL_ACCOUNTS = ("Shares:Member", "Allocated:FY2024", "Allocated:FY2024:NonQualified",
                    "Retains:FY2024", "Allocated:FY2025", "Retains:FY2025")


def test_growers_per_unit_retains_are_half_a_dollar_a_barrel(growers):
    records = [e for e in growers if isinstance(e, data.Custom) and e.type == "coop-patronage"]
    retains = _generated(growers, "retain")
    assert len(retains) == len(records) == 3 * 22  # 22 tickets a season
    by_year = defaultdict(lambda: defaultdict(Decimal))
    for txn in retains:
        quantity = txn.meta["coop-quantity"]
        assert txn.meta["coop-rate"] == Decimal("0.50")
        debit, credit = txn.postings
        assert debit.units.number == -credit.units.number == quantity * Decimal("0.50")
        year = int(txn.meta["coop-year"])
        assert credit.account == f"Equity:Members:{_member(credit.account)}:Retains:FY{year}"
        by_year[year][_member(credit.account)] += quantity
    assert {y: dict(b) for y, b in by_year.items()} == BARRELS
    totals = {y: sum(b.values()) * Decimal("0.50") for y, b in BARRELS.items()}
    assert totals == {2023: Decimal("22250.00"), 2024: Decimal("23290.00"),
                      2025: Decimal("21552.50")}
    retained = sum(t.postings[0].units.number for t in retains)
    assert retained == sum(totals.values())


def test_growers_patronage_dividends(growers):
    for (year, pool), (margin, reserve, non_patronage, members) in POOLS.items():
        txn = _allocation(growers, year, pool)
        meta = txn.meta
        assert (meta["coop-margin"], meta["coop-reserve"], meta["coop-non-patronage"]) == (
            Decimal(margin), Decimal(reserve), Decimal(non_patronage)), (year, pool)
        assert meta["coop-pool-amount"] == Decimal(margin) - Decimal(reserve)
        assert _dividends(txn) == members, (year, pool)
        assert meta["coop-measure"] == {"cranberries": "barrels", "station": "station"}[pool]
        if pool == "cranberries":
            patronage = {_member(p.account): p.meta["coop-patronage"] for p in txn.postings
                         if "coop-patronage" in p.meta}
            assert patronage == BARRELS[year]
    # Beaton sorts on her own farm: no station fees, no station dividend.
    assert all("Beaton" not in POOLS[(y, "station")][3] for y in BARRELS)
    # FY2024's station pool: non-qualified notices, no cash.
    station = _allocation(growers, 2024, "station")
    assert station.meta["coop-qualified"] is False
    assert {p.account for p in station.postings if "coop-kind" in p.meta} == {
        f"Equity:Members:{k}:Allocated:FY2024:NonQualified" for k in POOLS[(2024, "station")][3]}
    paid = {str(_allocation(growers, y, "cranberries").date) for y in BARRELS}
    assert paid == {"2024-03-15", "2025-03-14", "2026-03-13"}


def test_growers_retiring_member_paid_in_two_equal_instalments(growers):
    harju = [e for e in _generated(growers, "equity-redemption") if e.payee == "Arne Harju"]
    assert [str(e.date) for e in harju] == ["2025-11-14", "2026-05-15"]
    assert [e.meta["coop-budget"] for e in harju] == [Decimal("3911.18")] * 2
    # His retained equity when he left: FY2023 retains 1,195.00 and allocations 2,834.28 +
    # 263.04; FY2024 retains 1,257.50 and allocations 1,897.29 + 375.25 (non-qualified).
    owed = sum(map(Decimal, ["1195.00", "2834.28", "263.04", "1257.50", "1897.29", "375.25"]))
    assert owed == Decimal("7822.36") == 2 * Decimal("3911.18")
    first = {p.account: p.units.number for p in harju[0].postings}
    # Oldest year first: part of FY2023, pro rata to his two FY2023 balances (3,097.32 and
    # 1,195.00): 3,911.18 x 3,097.32 / 4,292.32 = 2,822.29, and 1,088.89.
    assert first == {"Equity:Members:Harju:Allocated:FY2023": Decimal("2822.29"),
                     "Equity:Members:Harju:Retains:FY2023": Decimal("1088.89"),
                     "Liabilities:Members:Harju:Payable": Decimal("-3911.18")}
    after = _balances(growers, datetime.date(2026, 8, 31))
    assert [n for a, n in after.items() if ":Harju:" in a and n] == []


def test_growers_revolving_fund_pays_fy2023_then_fy2024_pro_rata(growers):
    [fund] = [e for e in _generated(growers, "equity-redemption") if e.payee is None]
    assert (str(fund.date), fund.meta["coop-budget"]) == ("2026-08-14", Decimal("90000.00"))
    before = _balances(growers, datetime.date(2026, 8, 13))
    paid = defaultdict(Decimal)
    for posting in fund.postings:
        if "coop-year" in posting.meta:
            year = int(posting.meta["coop-year"])
            paid[year] += posting.units.number
            if year == 2023:  # paid in full
                assert posting.units.number == -before[posting.account]
    assert dict(paid) == {2023: Decimal("73879.90"), 2024: Decimal("16120.10")}
    # FY2024 pro rata: every balance paid the same fraction, to within a cent.
    fy2024 = {a: -n for a, n in before.items() if "FY2024" in a and n}
    fraction = Decimal("16120.10") / sum(fy2024.values())
    for posting in fund.postings:
        if posting.meta.get("coop-year") == 2024:
            assert abs(posting.units.number - fy2024[posting.account] * fraction) < CENT
    to_members = {_member(p.account): -p.units.number for p in fund.postings
                  if p.account.startswith("Liabilities:")}
    assert to_members == {"Andrade": Decimal("20054.94"), "Beaton": Decimal("32361.73"),
                          "Costa": Decimal("9712.35"), "Gomes": Decimal("15490.59"),
                          "Pina": Decimal("12380.39")}


def test_growers_capital_accounts_after_the_redemption(growers):
    after = _balances(growers, datetime.date(2026, 8, 31))
    for key, figures in CAPITAL.items():
        expected = {f"Equity:Members:{key}:{a}": n for a, n in zip(CAPITAL_ACCOUNTS, figures,
                                                                    strict=True) if n}
        actual = {a: -n for a, n in after.items() if a.startswith(f"Equity:Members:{key}:")
                  and n}
        assert actual == expected, key
        assert after[f"Liabilities:Members:{key}:Payable"] == 0
    total = sum(sum(f) for f in CAPITAL.values())
    assert total == Decimal("126882.40")
    # The co-op's own: six reserves (21,923.78) and three years' non-patronage (17,555.83).
    reserves = sum(Decimal(r) for _, r, _, _ in POOLS.values())
    non_patronage = sum(Decimal(n) for _, _, n, _ in POOLS.values())
    assert (reserves, non_patronage) == (Decimal("21923.78"), Decimal("17555.83"))
    assert after["Equity:Coop:Unallocated"] == -(reserves + non_patronage)
    assert after["Assets:Bank:Checking"] == Decimal("27201.56")


def test_growers_payables_clear_at_every_year_end(growers):
    for year in (2023, 2024, 2025):
        end = _balances(growers, datetime.date(year, 12, 31))
        assert {a: n for a, n in end.items() if a.endswith(":Payable") and n} == {}


def test_growers_readme_quotes_the_books(growers):
    readme = (GROWERS / "README.md").read_text()
    figures = []
    for txn in _generated(growers, "allocation"):
        figures += [txn.meta[k] for k in ("coop-margin", "coop-reserve", "coop-pool-amount",
                                          "coop-non-patronage") if txn.meta[k]]
        for allocation, cash, retained in _dividends(txn).values():
            figures += [allocation, retained] + ([cash] if cash else [])
    for txn in _generated(growers, "equity-redemption"):
        figures.append(txn.meta["coop-budget"])
        figures += [-p.units.number for p in txn.postings if p.account.startswith("Liab")]
        figures += [p.units.number for p in txn.postings
                    if "Harju" in p.account and "coop-kind" in p.meta]
    after = _balances(growers, datetime.date(2026, 8, 31))
    figures += [-n for a, n in after.items() if a.startswith("Equity:Members:") and n]
    figures += [-after["Equity:Coop:Unallocated"], after["Equity:Earnings:Previous"],
                after["Assets:Bank:Checking"], Decimal("73879.90"), Decimal("16120.10")]
    figures += [sum(f) for f in CAPITAL.values()]
    missing = sorted({_usd(f) for f in figures if _usd(f) not in readme})
    assert missing == []
    for barrels in BARRELS.values():
        assert f"{sum(barrels.values()):,}" in readme
        assert _usd(sum(barrels.values()) * Decimal("0.50")) in readme
    assert "{'as_of': '2026-08-31'}" in readme
    # And the other way round: every amount in the README is one of the books', a total of
    # the year's accounts, or a rate the books use.
    known = set(figures) | {t.postings[0].units.number for t in _generated(growers, "retain")}
    for year in BARRELS:
        known |= {abs(_fy_totals(growers, year, *roots)) for roots in (
            ("Income:Patronage:Cranberries",), ("Expenses:Cranberries:Freight",),
            ("Expenses:Cranberries:Advances", "Expenses:Cranberries:ProgressPayments"),
            ("Expenses:Admin",), ("Income:Patronage:Station",), ("Expenses:Station",))}
        known.add(sum(BARRELS[year].values()) * Decimal("0.50"))
    known |= {sum(c[i] for c in CAPITAL.values()) for i in range(len(CAPITAL_ACCOUNTS))}
    known |= {Decimal("21923.78"), Decimal("17555.83"), Decimal("7822.36"),
              sum(sum(c) for c in CAPITAL.values())}
    rates = {"0.50", "1.10", "1000.00", "18.00", "14.00", "15.00", "11.00", "17.00", "12.00"}
    known |= set(map(Decimal, rates))
    # The 2026 Form 1099-PATR boxes (the README's "2026 returns" section).
    loaded = _load(GROWERS)
    forms, _ = form_1099_patr(CoopBooks.from_entries(loaded.entries, loaded.options), 2026)
    known |= {getattr(f, box) for f in forms for box in ("box1", "box5")}
    assert _money_in(readme) - {abs(n) for n in known} == set()
