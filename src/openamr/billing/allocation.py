"""Common-area allocation: the master meter minus the sum of the submeters, shared out.

The building's master meter (the utility's, imported with ``openamr import greenbutton``) less
the submeters billed in the same period is the common load (corridors, lifts, the submeters'
own losses).  It is shared among the bills by one rule: ``usage`` (each bill's share of the
submetered kWh), ``area`` (floor area of the tenant's unit, m²) or ``equal``.  Its cost is the
master meter's average energy price over the period (the master bill's energy charge / its
kWh) × the common kWh; each share is a ``common_area`` line on its bill, rounded to cents with
the largest-remainder method so the shares add up to the common cost exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal

from openamr.billing.bill import Bill, BillLine
from openamr.billing.money import CENT, round_money
from openamr.errors import InputError

__all__ = ["ALLOCATION_RULES", "CommonArea", "allocate_common_area", "split_cents"]

ALLOCATION_RULES: tuple[str, ...] = ("usage", "area", "equal")
_KWH = Decimal("0.001")


@dataclass(frozen=True, slots=True)
class CommonArea:
    """What was allocated: the common kWh and cost and each bill's weight."""

    master_meter_id: str
    master_kwh: Decimal
    submetered_kwh: Decimal
    common_kwh: Decimal
    """Master minus submeters [kWh] (negative common load is refused)."""
    rate_per_kwh: Decimal
    """The master bill's average energy price [currency/kWh]."""
    cost: Decimal
    rule: str
    weights: tuple[tuple[str, Decimal], ...]
    """``(account_id, weight)`` per bill, weights summing to 1."""

    def to_json(self) -> dict[str, object]:
        return {"master_meter_id": self.master_meter_id, "master_kwh": str(self.master_kwh),
                "submetered_kwh": str(self.submetered_kwh), "common_kwh": str(self.common_kwh),
                "rate_per_kwh": str(self.rate_per_kwh), "cost": str(self.cost),
                "rule": self.rule,
                "weights": {a: str(w) for a, w in self.weights}}


def _weights(bills: Sequence[Bill], rule: str,
             areas_m2: Mapping[str, float] | None) -> list[Decimal]:
    if rule == "equal":
        raw = [Decimal(1)] * len(bills)
    elif rule == "usage":
        raw = [b.energy_kwh for b in bills]
    elif rule == "area":
        if areas_m2 is None:
            raise InputError("floor areas are needed for the area rule", where="--allocate")
        missing = [b.account_id for b in bills if areas_m2.get(b.account_id) is None]
        if missing:
            raise InputError(f"no floor area for {missing[0]!r} (set the unit's floor_area_m2)",
                             where="--allocate")
        raw = [Decimal(repr(float(areas_m2[b.account_id]))) for b in bills]
    else:
        raise InputError(f"unknown rule {rule!r} (use one of {', '.join(ALLOCATION_RULES)})",
                         where="--allocate")
    total = sum(raw, Decimal(0))
    if total <= 0:
        raise InputError(f"the {rule} weights add up to zero", where="--allocate")
    return [w / total for w in raw]


def split_cents(cost: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Cents by largest remainder: ``Σ shares == cost`` exactly."""
    cents = int((cost / CENT).to_integral_value())
    exact = [Decimal(cents) * w for w in weights]
    floors = [int(x.to_integral_value(rounding=ROUND_FLOOR)) for x in exact]
    left = cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(c) * CENT for c in floors]


def allocate_common_area(master: Bill, bills: Sequence[Bill], rule: str, *,
                         areas_m2: Mapping[str, float] | None = None) -> tuple[
                             list[Bill], CommonArea]:
    """The bills with their ``common_area`` line added, and what was allocated."""
    if not bills:
        raise InputError("no submeter bills to allocate to", where="--common-area")
    submetered = sum((b.energy_kwh for b in bills), Decimal(0))
    common = master.energy_kwh - submetered
    if common < 0:
        raise InputError(f"the submeters ({submetered} kWh) exceed the master meter "
                         f"{master.account_id!r} ({master.energy_kwh} kWh)",
                         where="--common-area")
    price = (master.charge("energy") / master.energy_kwh if master.energy_kwh
             else Decimal(0)).quantize(Decimal("0.00001"))
    cost = round_money(common * price)
    weights = _weights(bills, rule, areas_m2)
    shares = split_cents(cost, weights)
    out = []
    for bill, weight, share in zip(bills, weights, shares, strict=True):
        line = BillLine("common_area", f"common area ({rule}, {weight * 100:.2f} %)",
                        (common * weight).quantize(_KWH), "kWh", price, share)
        out.append(replace(bill, lines=(*bill.lines, line), total=bill.total + share))
    info = CommonArea(master.account_id, master.energy_kwh, submetered, common, price, cost,
                      rule, tuple((b.account_id, w.quantize(Decimal("0.000001")))
                                  for b, w in zip(bills, weights, strict=True)))
    return out, info
