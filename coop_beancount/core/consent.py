"""A member's consent to qualified notices (IRC §1388(c)), and qualified checks.

    2024-03-01 custom "coop-consent" "G1" "written"        ; signed consent, dated
    2023-01-15 custom "coop-consent" "G2" "bylaw"          ; the consent bylaw adopted
      notified: 2024-02-01                                 ; G2 got it in writing that day
    2026-05-01 custom "coop-consent" "G1" "revoked"
    2026-04-02 custom "coop-check-cashed" "G3" 2025 "barrels"   ; qualified check cashed

A written notice of allocation (or a per-unit retain certificate) is *qualified* only
if the member consented to take its stated amount into income (26 CFR 1.1388-1(c)(3)):

* **written**: a signed consent; it counts for the patronage of the co-op's fiscal year in
  which it is made and of every later year, until revoked (1.1388-1(c)(3)(ii)(a));
* **bylaw**: a bylaw says membership is consent; it counts for a member only for patronage
  *after* they were given written notice of the bylaw and a copy of it, and only while
  a member after its adoption (1.1388-1(c)(3)(ii)(b));
* **revoked**: the consent counts no more for the patronage of fiscal years after the one
  in which it is revoked (1.1388-1(c)(3)(ii)(a));
* **a qualified check** (1.1388-1(c)(3)(ii)(c)): a member with no other consent
  consents by endorsing and cashing the check paying the cash part, within 90 days after
  the end of the payment period; a check not cashed by then leaves the notice
  non-qualified.

Pure: records and dates in, a verdict and the words for it out.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: The kinds a `coop-consent` line takes.
WRITTEN, BYLAW, REVOKED = "written", "bylaw", "revoked"
KINDS = (WRITTEN, BYLAW, REVOKED)
#: Days after the payment period a qualified check may still be cashed (§1388(c)(2)(C)).
CHECK_DAYS = 90


@dataclass(frozen=True)
class ConsentRecord:
    """One `coop-consent` line: a member's written consent, the consent bylaw (and when
    the member was notified of it), or a revocation."""

    date: datetime.date
    member: str
    kind: str
    source: dict[str, Any]
    #: For a bylaw consent: the day the member was given written notice and a copy.
    notified: datetime.date | None = None


@dataclass(frozen=True)
class CheckCashed:
    """One `coop-check-cashed` line: the day a member cashed the qualified check paying
    their cash part of a fiscal year's pool."""

    date: datetime.date
    member: str
    year: int
    pool: str
    source: dict[str, Any]


@dataclass(frozen=True)
class Consent:
    """Whether a member's consent is in force for one notice, and why, in words."""

    in_force: bool
    #: The basis ("written consent of 2024-03-01"), or why there is none.
    basis: str
    #: A qualified check still within its 90 days: qualified unless it stays uncashed.
    pending: bool = False


def check_window(deadline: datetime.date) -> datetime.date:
    """The last day a qualified check counts as consent: 90 days after the payment period."""
    return deadline + datetime.timedelta(days=CHECK_DAYS)


def consent_for(records: Iterable[ConsentRecord], year: int, year_of: Any,
                patronage_from: datetime.date | None,
                member_left: datetime.date | None = None) -> Consent:
    """The member's consent for a notice of fiscal year `year` from their `coop-consent`
    lines (in date order); `year_of` maps a date to its fiscal year, `patronage_from` is
    the day of the member's first patronage the notice pays (None: not known)."""
    found = Consent(False, "no consent recorded")
    for record in records:
        if record.kind == REVOKED:
            if year_of(record.date) < year:  # the year of the revocation is still covered
                found = Consent(False, f"consent revoked on {record.date}, before "
                                f"FY{year} began")
        elif record.kind == WRITTEN:
            if year_of(record.date) <= year:
                found = Consent(True, f"written consent of {record.date}")
        elif member_left is None or member_left >= record.date:  # a member after the bylaw
            notified = record.notified or record.date
            if patronage_from is not None and patronage_from <= notified:
                if not found.in_force:
                    found = Consent(False, (
                        f"the consent bylaw counts only for patronage after the member was "
                        f"notified of it in writing ({notified}), and this notice pays "
                        f"patronage of {patronage_from}"))
            elif patronage_from is not None or year_of(notified) < year:
                found = Consent(True, f"the consent bylaw of {record.date}, of which you "
                                f"were notified in writing on {notified}")
    return found


def check_consent(cashed: datetime.date | None, deadline: datetime.date,
                  as_of: datetime.date) -> Consent:
    """The consent a qualified check gives: cashed within 90 days after the payment period
    (`deadline`), in force; not cashed and the 90 days still running (by `as_of`),
    pending; else none, and the notice is non-qualified."""
    last = check_window(deadline)
    if cashed is not None and cashed <= last:
        return Consent(True, f"qualified check endorsed and cashed on {cashed}")
    if cashed is None and as_of <= last:
        return Consent(True, f"qualified check, counted as consent once cashed by {last}",
                       pending=True)
    when = f"cashed only on {cashed}" if cashed is not None else "not cashed"
    return Consent(False, f"qualified check {when}, not within 90 days after the payment "
                   f"period (by {last})")
