"""A year of till lines for the Riverside Grocery Co-op (examples/grocery-coop).

    python examples/grocery-coop/tills/generate.py            # writes till-2025.csv.gz here
    python examples/grocery-coop/tills/generate.py OUT.csv.gz

About 50,000 lines of 2025 in the columns of CORE-POS's transaction log (`dtransactions`):
8,000 transactions of one to nine item rings, some with a member discount line (S), each
closed by a tender line (T). Most are rung to one of the 300 owners (card_no 1001 to 1300),
some to no owner (card_no 0) and a few to owner numbers the books do not know (1401, 1402,
cards from another co-op); owners who join in 2025 also shop before joining. Now and then an
item is voided (a second line, status V, amount negated), returned (status R, negative), a
whole transaction cancelled (status X), or a bottle deposit rung in department 60, which the
bylaws leave out of patronage.

The same seed gives the same lines on every machine (Python's `random.Random` and integer
cents only), so the shipped file can be checked against this script.
"""

from __future__ import annotations

import csv
import datetime
import gzip
import io
import random
import sys
from pathlib import Path

SEED = 2025
OWNERS = range(1001, 1301)
UNKNOWN = (1401, 1402)
TRANSACTIONS = 8000
DEPARTMENTS = tuple(range(1, 21))
DEPOSIT = 60
COLUMNS = ("datetime", "register_no", "emp_no", "trans_no", "upc", "description",
           "trans_type", "trans_subtype", "trans_status", "department", "quantity",
           "unitPrice", "total", "memType", "card_no", "trans_id")


def cents(amount: int) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount) // 100}.{abs(amount) % 100:02d}"


def lines(rng: random.Random) -> list[tuple]:
    """Every till line of the year, in the order the registers rang them."""
    # The shelves: 600 products, each with its department and price (deposits: 0.10).
    catalog = [(f"{rng.randrange(10**11):011d}", rng.choice(DEPARTMENTS), rng.randint(99, 1899))
               for _ in range(600)]
    deposit = ("00000000060", DEPOSIT, 10)
    start = datetime.datetime(2025, 1, 1, 8, 0)
    step = 364 * 24 * 3600 // TRANSACTIONS  # every line in 2025
    rows = []
    for number in range(1, TRANSACTIONS + 1):
        at = start + datetime.timedelta(seconds=(number - 1) * step + rng.randrange(step))
        at = at.replace(hour=8 + at.hour % 13)  # the store is open 8:00 to 21:00
        draw = rng.random()
        if draw < 0.84:
            card, mem_type = rng.choice(OWNERS), 1
        elif draw < 0.985:
            card, mem_type = 0, 0
        else:
            card, mem_type = rng.choice(UNKNOWN), 1
        cancelled = rng.random() < 0.01
        register, cashier = rng.randint(1, 4), rng.randint(50, 58)
        ring = []
        for _ in range(rng.randint(1, 9)):
            upc, department, price = deposit if rng.random() < 0.04 else rng.choice(catalog)
            quantity = rng.randint(1, 3)
            ring.append(("I", "", "", department, quantity, price, upc, "ITEM"))
            if rng.random() < 0.02:  # rung by mistake, voided: the amount negated
                ring.append(("I", "", "V", department, -quantity, price, upc, "ITEM"))
        if rng.random() < 0.015:  # a return of something bought before
            upc, department, price = rng.choice(catalog)
            ring.append(("I", "", "R", department, -1, price, upc, "RETURN"))
        subtotal = sum(q * p for kind, _, _, d, q, p, _, _ in ring)
        if card and card not in UNKNOWN and rng.random() < 0.1:  # owner appreciation day
            ring.append(("S", "", "", 0, 1, -(subtotal * 5 // 100), "DISCOUNT", "5% OWNER"))
        due = sum(q * p for _, _, _, _, q, p, _, _ in ring)
        ring.append(("T", "CA" if rng.random() < 0.3 else "CC", "", 0, 1, -due, "0",
                     "TENDER"))
        for trans_id, (kind, subtype, status, department, quantity, price, upc,
                       description) in enumerate(ring, 1):
            rows.append((f"{at:%Y-%m-%d %H:%M:%S}", register, cashier, number, upc,
                         description, kind, subtype, "X" if cancelled else status,
                         department, quantity, cents(price), cents(quantity * price),
                         mem_type, card, trans_id))
    return rows


def write(path: Path) -> int:
    rows = lines(random.Random(SEED))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    # mtime 0 and no file name in the header: the same lines give the same file.
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                 mtime=0) as out:
        out.write(text.getvalue().encode())
    return len(rows)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name(
        "till-2025.csv.gz")
    count = write(target)
    print(f"{target}: {count} till lines")
