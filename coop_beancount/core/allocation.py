"""Dividing an amount among members exactly, to the cent, fairly over time.

The rule (largest remainder, with a rotating tie-break):

1. Work in whole cents (or the amount's own smallest unit): 100.00 is 10000.
2. Each member gets the floor of `cents × weight / total weight`.
3. The cents left over (fewer than the number of members) go one each to the
   members with the largest remainders.
4. Members whose remainders tie are taken in key order, starting from a place
   picked by a hash of the split's identity (its date, description, account and
   amount). The same books always give the same result, on every machine; but
   across many splits the start moves around the circle, so the odd cents do
   not keep landing on the same member.

Integer arithmetic only: the parts always add up to the amount exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal


def rotation(seed: str, size: int) -> int:
    """A deterministic start position in [0, size) for the tie-break."""
    digest = hashlib.blake2b(seed.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % size


def quantum_of(amount: Decimal) -> Decimal:
    """The smallest unit to split in: the amount's own decimals, at least cents."""
    return Decimal(1).scaleb(min(amount.as_tuple().exponent, -2))


def _integer_weights(weights: Mapping[str, Decimal]) -> dict[str, int]:
    """Weights scaled to integers with the same ratios (1.5 and 2 become 15 and 20)."""
    exponent = min(min(w.as_tuple().exponent for w in weights.values()), 0)
    scale = Decimal(1).scaleb(-exponent)
    return {key: int(w * scale) for key, w in weights.items()}


def allocate(
    amount: Decimal, weights: Mapping[str, Decimal], seed: str | None,
    quantum: Decimal | None = None,
) -> dict[str, Decimal]:
    """Split `amount` among the keys of `weights` in proportion to the weights.

    Weights must be non-negative with a positive sum (the caller checks and
    reports). Members with weight 0 get 0. Negative amounts (refunds) split
    like positive ones, with the signs turned. With `seed` None, ties go to
    the lower key (the rule bylaws usually state for patronage).
    """
    quantum = quantum or quantum_of(amount)
    sign = -1 if amount < 0 else 1
    cents = int((abs(amount) / quantum).to_integral_value())
    keys = sorted(weights)
    ints = _integer_weights(weights)
    total_weight = sum(ints.values())
    parts: dict[str, int] = {}
    remainders: list[tuple[int, int, str]] = []
    start = rotation(seed, len(keys)) if seed is not None else 0
    for position, key in enumerate(keys):
        share, remainder = divmod(cents * ints[key], total_weight)
        parts[key] = share
        if remainder:
            # Largest remainder first; ties by distance from the rotating start.
            remainders.append((-remainder, (position - start) % len(keys), key))
    left_over = cents - sum(parts.values())
    if left_over:
        remainders.sort()
        for _, _, key in remainders[:left_over]:
            parts[key] += 1
    return {key: sign * quantum * parts[key] for key in keys}
