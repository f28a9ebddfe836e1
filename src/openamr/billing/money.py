"""Money: ``Decimal`` amounts, their parsing from tariff files and their rounding.

Every amount and rate of openamr is a ``Decimal`` in the tariff's currency.  Amounts are rounded
half-up (ties away from zero, as ``decimal.ROUND_HALF_UP``) to cents; the bill engine computes
with exact scaled integers (:func:`scaled`) and turns them into ``Decimal`` at the line level.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from openamr.errors import InputError

__all__ = ["CENT", "MAX_RATE_DECIMALS", "decimal_of", "round_half_up_int", "round_money",
           "scaled"]

CENT = Decimal("0.01")
"""The smallest amount on a bill."""

MAX_RATE_DECIMALS = 10
"""Rates and charges may carry at most this many decimals (URDB rates have up to 7)."""


def decimal_of(value: object, where: str, *, minimum: Decimal | None = None) -> Decimal:
    """A finite ``Decimal`` from a TOML/JSON value (string, int or float), or an ``InputError``.

    Floats are read through their shortest ``repr`` (``0.1`` is ``Decimal("0.1")``), so a JSON
    number and the same digits in a string give the same rate.  ``minimum`` refuses smaller
    values; more than :data:`MAX_RATE_DECIMALS` decimals are refused.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"expected a number or a decimal string, not {value!r}", where=where)
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise InputError(f"not a decimal number: {value!r}", where=where) from exc
    if not number.is_finite():
        raise InputError(f"not a finite number: {value!r}", where=where)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_RATE_DECIMALS:
        raise InputError(f"{value!r} has more than {MAX_RATE_DECIMALS} decimals", where=where)
    if minimum is not None and number < minimum:
        raise InputError(f"{value!r} is below {minimum}", where=where)
    return number


def round_money(amount: Decimal) -> Decimal:
    """``amount`` rounded half-up to cents."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def scaled(value: Decimal, decimals: int) -> int:
    """``value × 10**decimals`` as an exact int (``value`` must have at most ``decimals``)."""
    result = value.scaleb(decimals)
    if result != result.to_integral_value():
        raise ValueError(f"{value} has more than {decimals} decimals")
    return int(result)


def round_half_up_int(numerator: int, unit: int) -> int:
    """``numerator / unit`` rounded half-up (ties away from zero), for exact integer money."""
    if numerator >= 0:
        return (numerator * 2 + unit) // (2 * unit)
    return -((-numerator * 2 + unit) // (2 * unit))
