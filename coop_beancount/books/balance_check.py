"""Beancount's check that every transaction balances, with the same errors, in less time.

    errors = check_transaction_balances(entries, options_map)

Beancount's last validation, `validate_check_transaction_balances`, builds for every
transaction the inventory of its postings' weights (`interpolate.compute_residual`:
an Amount, a Position and an Inventory entry per posting) and the tolerances the
transaction's numbers imply (`interpolate.infer_tolerances`), then reports the
transaction if the inventory is not small:

    2025-02-01 * "A sale"
      Assets:Bank               10.00 USD
      Income:Sales             -10.00 USD

On co-op books nearly every transaction is like this one: no cost, no price, and
postings that add up to exactly zero in each currency. That is a quarter of the
whole load on large books (4.9 s of 20 s at 25,000 transactions), to find nothing.

`check_transaction_balances` gives exactly Beancount's errors with a fast path:

- Without cost or price, a posting's weight is its units (`convert.get_weight`), and
  `Inventory.add_amount` keeps, per currency, the running sum of the units: it stores
  the first non-zero number as it is, adds each next one in the current decimal
  context, and drops the currency when the sum is zero. The fast path keeps the same
  sums the same way (the same additions in the same order, so the same rounding), and
  skips the automatic residual postings as `compute_residual` does.
- When no currency is left, the residual inventory is empty, and an empty inventory
  is small whatever the tolerances (`is_small` looks at no position): no error, and
  the tolerances need not be inferred at all.
- Anything else (a posting with a cost or a price, units that are not a number, a
  sum that is not zero) goes to Beancount's own `compute_residual`, `infer_tolerances`
  and `is_small` for that transaction, so a message is Beancount's to the byte (and an
  exception on broken data is Beancount's too).

books/quick_loads.py puts it in the place of Beancount's function in
`beancount.ops.validation.VALIDATIONS` while our loads run.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from beancount.core import interpolate
from beancount.core.amount import Amount
from beancount.core.data import Transaction
from beancount.core.number import ZERO
from beancount.ops import validation

_RESIDUAL = interpolate.AUTOMATIC_RESIDUAL


def _balances_exactly(postings: list[Any]) -> bool:
    """Whether the postings' residual inventory is surely empty (see the module's text);
    False also when it cannot tell (then Beancount's own check decides)."""
    sums: dict[Any, Decimal] = {}
    for posting in postings:
        meta = posting.meta
        if meta and meta.get(_RESIDUAL, False):
            continue
        units = posting.units
        if posting.cost is not None or posting.price is not None \
                or not isinstance(units, Amount):
            return False
        number = units.number
        if not isinstance(number, Decimal):
            return False
        currency = units.currency
        total = sums.get(currency)
        if total is None:
            # As Inventory.add_amount: a zero is not stored, another number is, as it is.
            if number != ZERO:
                sums[currency] = number
        else:
            total = total + number
            if total == ZERO:
                del sums[currency]
            else:
                sums[currency] = total
    return not sums


def check_transaction_balances(entries: list[Any], options_map: dict[str, Any],
                               ) -> list[validation.ValidationError]:
    """`validation.validate_check_transaction_balances`: the same errors, in the same order."""
    errors = []
    for entry in entries:
        if isinstance(entry, Transaction) and not _balances_exactly(entry.postings):
            # Beancount's own steps, for the transactions the fast path cannot clear.
            residual = interpolate.compute_residual(entry.postings)
            tolerances = interpolate.infer_tolerances(entry.postings, options_map)
            if not residual.is_small(tolerances):
                errors.append(validation.ValidationError(
                    entry.meta, f"Transaction does not balance: {residual}", entry))
    return errors
