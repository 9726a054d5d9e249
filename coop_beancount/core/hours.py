"""Hours of work as a patronage measure, optionally weighted.

    2025-01-01 custom "coop-measure" "hours"
      from: "coop-hours"
      weights: "Ana 1.25"               ; a factor per member (anyone not named: 1)
      kinds: "design 1.5, support 1"    ; a factor per kind of work (lines with no kind: 1)
    2025-03-02 custom "coop-hours" "Ana" 6 "checkout redesign"
      kind: "design"

Each `coop-hours` line is that member's patronage in the measure on its date:
its hours times the member's factor times its kind's factor (here 6 × 1.25 ×
1.5 = 11.25). A kind the measure's `kinds:` does not name is an error at the
hours line (a typo must not count at 1). The products are exact (Decimal); the allocation's largest
remainder rule makes the cents add up, as for any measure. One record of
hours, not two: nothing else needs to be written for them to count.

Pure: records in, records and problems out.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from coop_beancount.core.records import Measure, PatronageRecord, Source, WorkRecord

ONE = Decimal(1)


def hours_patronage(work: Iterable[WorkRecord], measure: Measure,
                    ) -> tuple[list[PatronageRecord], list[tuple[Source, str]]]:
    """Each line of hours as patronage in an hours measure, weighted by member and kind;
    and (source, message) for each line whose kind the measure has no factor for."""
    members = dict(measure.member_weights)
    kinds = dict(measure.kind_weights)
    records = []
    problems = []
    for line in work:
        kind_factor = ONE
        if line.kind is not None and kinds:
            if line.kind not in kinds:
                problems.append((line.source, (
                    f"these hours are of kind {line.kind!r}, which measure {measure.name!r} "
                    f"has no factor for (kinds: {', '.join(kinds)}); fix the kind or add it "
                    "to the measure's kinds:")))
                continue
            kind_factor = kinds[line.kind]
        factor = members.get(line.member, ONE) * kind_factor
        what = f"{line.hours} h" + (f" {line.kind}" if line.kind else "")
        if factor != ONE:
            what += f" × {factor.normalize()}"
        records.append(PatronageRecord(
            date=line.date, member=line.member, measure=measure.name,
            quantity=line.hours * factor, source=line.source,
            description=f"{what}: {line.description}" if line.description else what))
    return records, problems
