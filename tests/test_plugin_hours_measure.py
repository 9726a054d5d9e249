"""Hours as a patronage measure: `coop-measure ... from: "coop-hours"`, optionally weighted."""

from __future__ import annotations

from decimal import Decimal

from beancount.core import data

from coop_beancount.core.allocation import allocate
from tests.support import assert_one_error_at, coop_errors

D = Decimal

BOOKS = """
    2024-01-01 open Income:Patronage:Sales USD
    2024-01-01 open Assets:Cash USD
    2024-01-01 custom "coop-consent" "Ana" "written"
    2024-01-01 custom "coop-member" "Ana" "Ana Souza"
    2024-01-01 custom "coop-consent" "Ben" "written"
    2024-01-01 custom "coop-member" "Ben" "Ben Okafor"
    2024-01-01 custom "coop-consent" "Cy" "written"
    2024-01-01 custom "coop-member" "Cy" "Cy Park"
    2024-06-30 * "Client work"
      Assets:Cash  10000.00 USD
      Income:Patronage:Sales
    2024-03-02 custom "coop-hours" "Ana" 10 "design sprint"
      kind: "design"
    2024-03-03 custom "coop-hours" "Ana" 5
    2024-04-02 custom "coop-hours" "Ben" 12.5 "support rota"
      kind: "support"
    2024-05-02 custom "coop-hours" "Cy" 7 "design review"
      kind: "design"
    2025-03-01 custom "coop-allocation" 2024
      margin: "Income:Patronage"
      measure: "hours"
      cash: "20%"
      paid: 2025-03-15
      late: TRUE  ; the cash is not paid out in these books
    """

# (member, hours, kind) as BOOKS records them.
LINES = [("Ana", D(10), "design"), ("Ana", D(5), None), ("Ben", D("12.5"), "support"),
         ("Cy", D(7), "design")]


def measure(**meta: str) -> str:
    lines = ['    2024-01-01 custom "coop-measure" "hours"', '      from: "coop-hours"']
    lines += [f'      {key}: "{value}"' for key, value in meta.items()]
    return "\n" + "\n".join(lines) + "\n"


def allocation(entries: list) -> data.Transaction:
    found = [e for e in entries if isinstance(e, data.Transaction)
             and e.meta.get("coop-generated") == "allocation"]
    assert len(found) == 1
    return found[0]


def patronage_of(entry: data.Transaction) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for posting in entry.postings:
        if posting.meta and "coop-patronage" in posting.meta:
            found[posting.account.split(":")[2]] = posting.meta["coop-patronage"]
    return found


def expected(members: dict[str, Decimal], kinds: dict[str, Decimal]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for member, hours, kind in LINES:
        factor = members.get(member, D(1)) * (kinds.get(kind, D(1)) if kind else D(1))
        totals[member] = totals.get(member, D(0)) + hours * factor
    return totals


def test_plain_hours_are_the_patronage_and_the_pool_is_shared_by_them(load):
    entries, errors, _ = load(measure() + BOOKS)
    assert errors == []
    entry = allocation(entries)
    totals = expected({}, {})
    assert patronage_of(entry) == totals
    # The pool (all the margin: no reserve) is divided by hours, to the cent.
    parts = allocate(D("10000.00"), totals, None)
    allocated = {p.account.split(":")[2]: p.meta["coop-allocation"]
                 for p in entry.postings if p.meta and "coop-allocation" in p.meta}
    assert allocated == parts
    assert sum(allocated.values()) == D("10000.00")


def test_hours_weighted_by_member_and_by_kind_of_work(load):
    members, kinds = {"Ana": D("1.25")}, {"design": D("1.5"), "support": D("0.8")}
    entries, errors, _ = load(measure(weights="Ana 1.25", kinds="design 1.5, support 0.8")
                              + BOOKS)
    assert errors == []
    totals = expected(members, kinds)
    assert totals != expected({}, {})  # the weights change the figures
    assert patronage_of(allocation(entries)) == totals


def test_records_of_an_hours_measure_add_to_the_hours(load):
    entries, errors, _ = load(measure() + BOOKS + """
    2024-12-31 custom "coop-patronage" "Cy" "hours" 3 "hours given before the books"
    """)
    assert errors == []
    totals = expected({}, {})
    totals["Cy"] += 3
    assert patronage_of(allocation(entries)) == totals


def test_a_kind_the_measure_does_not_weight_is_an_error_at_the_hours(load):
    text = measure(kinds="design 1.5") + BOOKS
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"Ben" 12.5', "kind 'support'", "measure 'hours'",
                        "kinds: design", "add it to the measure's kinds:")
    assert len(coop_errors(errors)) == 1


def test_weights_for_a_non_member_is_an_error_at_the_measure(load):
    text = measure(weights="Ana 2, Zed 3") + BOOKS
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-measure"', "Zed", "not a member")


def test_hours_outside_membership_are_reported_once_and_count_for_nobody(load):
    text = measure() + BOOKS.replace('"Cy" "Cy Park"', '"Cy" "Cy Park"\n    2024-05-01 '
                                     'custom "coop-leave" "Cy"')
    entries, errors, _ = load(text)
    assert_one_error_at(errors, text, '"Cy" 7', "not a member", "left 2024-05-01")
    assert len(coop_errors(errors)) == 1
    assert "Cy" not in patronage_of(allocation(entries))


def test_wrong_measure_settings_are_errors_at_the_measure(load):
    cases = [
        ('from: "timesheets"', "is not a source of patronage"),
        ('from: "coop-hours"\n      weights: "Ana -1"', "negative factor"),
        ('from: "coop-hours"\n      kinds: "design"', "'kinds:'"),
        ('weights: "Ana 2"', 'only an hours measure takes'),
    ]
    for meta, words in cases:
        text = f"""
    2024-01-01 custom "coop-measure" "hours"
      {meta}
    """
        _, errors, _ = load(text)
        assert_one_error_at(errors, text, '"coop-measure"', words)
    text = """
    2024-01-01 custom "coop-measure" "hours" Income:Patronage:Sales
      from: "coop-hours"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-measure"', "one source")


def test_a_kind_of_more_than_one_word_is_an_error(load):
    text = """
    2024-01-01 custom "coop-consent" "Ana" "written"
    2024-01-01 custom "coop-member" "Ana" "Ana Souza"
    2024-03-02 custom "coop-hours" "Ana" 10
      kind: "user research"
    """
    _, errors, _ = load(text)
    assert_one_error_at(errors, text, '"coop-hours"', "one word")
