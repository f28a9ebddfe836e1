"""A bill: ``Decimal`` lines of one row of a :class:`~openamr.billing.engine.BillBatch`.

The JSON form (:meth:`Bill.to_json`) is the contract of ``openamr bill --format json`` and of
``POST /api/v1/bills``: amounts are decimal strings in the tariff's currency, ``total``,
``energy_charge``, ``demand_charge``, ``fixed_charge``, ``minimum_charge`` and ``lines``, whose
amounts sum to ``total`` exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openamr.billing.engine import QUANTITY_DECIMALS, BillBatch
from openamr.timeutil import format_utc
from openamr.units import WH_PER_KWH

__all__ = ["Bill", "BillLine", "RegisterRead", "bill_from_batch"]

_KWH = Decimal("0.001")


@dataclass(frozen=True, slots=True)
class BillLine:
    """One line: ``quantity`` [``unit``] × ``rate`` = ``amount`` (fixed lines have no rate)."""

    kind: str
    """``energy``, ``demand``, ``fixed``, ``minimum``, ``rounding``, ``incentive``,
    ``common_area``."""
    label: str
    quantity: Decimal
    unit: str
    rate: Decimal | None
    amount: Decimal
    period: str | None = None
    tier: int | None = None
    estimated: bool = False
    """The line's quantity is (partly) estimated."""

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "label": self.label, "period": self.period,
                "tier": self.tier, "quantity": str(self.quantity), "unit": self.unit,
                "rate": None if self.rate is None else str(self.rate),
                "amount": str(self.amount), "estimated": self.estimated}


@dataclass(frozen=True, slots=True)
class RegisterRead:
    """Opening and closing register reads of a meter for a bill (None: no read stored)."""

    meter_id: str
    opening_wh: float | None
    opening_s: int | None
    """When the opening read was taken [UTC epoch s] (at or before the bill's start)."""
    closing_wh: float | None
    closing_s: int | None
    """When the closing read was taken (at or before the bill's end)."""

    def to_json(self) -> dict[str, object]:
        def kwh(value: float | None) -> str | None:
            return None if value is None else str(
                (Decimal(repr(value)) / WH_PER_KWH).quantize(_KWH))

        return {"meter_id": self.meter_id,
                "opening_kwh": kwh(self.opening_wh),
                "opening_at": None if self.opening_s is None else format_utc(self.opening_s),
                "closing_kwh": kwh(self.closing_wh),
                "closing_at": None if self.closing_s is None else format_utc(self.closing_s)}


@dataclass(frozen=True, slots=True)
class Bill:
    """An itemised bill (or incentive statement) for one meter or tenant and period."""

    account_id: str
    """The meter id or tenant id billed."""
    account_kind: str
    """``meter`` or ``tenant``."""
    site_id: str
    meter_ids: tuple[str, ...]
    tariff_name: str
    tariff_kind: str
    currency: str
    timezone: str
    first_day: date
    """First civil day of the billing period."""
    end_day: date
    """The day after the period's last day."""
    start_s: int
    end_s: int
    billed_first_day: date
    """First day billed to this account (later than ``first_day`` after a move-in)."""
    billed_end_day: date
    billable_days: int
    lines: tuple[BillLine, ...]
    total: Decimal
    energy_kwh: Decimal
    estimated_kwh: Decimal
    intervals_expected: int
    intervals_present: int
    peak_demand_kw: Decimal
    register_reads: tuple[RegisterRead, ...] = ()
    policy: tuple[tuple[str, str], ...] = ()
    """The tariff's policies as ``(name, choice)`` pairs."""
    unit_id: str | None = None
    """The unit a tenant's bill is for (None for a meter's bill)."""

    def charge(self, kind: str) -> Decimal:
        """Sum of the lines of ``kind`` (``energy``, ``demand``, ``fixed`` ...)."""
        return sum((ln.amount for ln in self.lines if ln.kind == kind), Decimal("0.00"))

    @property
    def estimated(self) -> bool:
        """Some billed energy is estimated, or some intervals are missing."""
        return self.estimated_kwh > 0 or self.intervals_present < self.intervals_expected

    def to_json(self) -> dict[str, object]:
        """The bill as JSON-ready values (amounts as decimal strings)."""
        return {
            "account_id": self.account_id, "account_kind": self.account_kind,
            "site_id": self.site_id, "unit_id": self.unit_id,
            "meter_ids": list(self.meter_ids),
            "tariff": self.tariff_name, "tariff_kind": self.tariff_kind,
            "currency": self.currency,
            "period": {"first_day": self.first_day.isoformat(),
                       "last_day": date.fromordinal(self.end_day.toordinal() - 1).isoformat(),
                       "start": format_utc(self.start_s), "end": format_utc(self.end_s),
                       "timezone": self.timezone},
            "billed": {"first_day": self.billed_first_day.isoformat(),
                       "last_day": date.fromordinal(
                           self.billed_end_day.toordinal() - 1).isoformat(),
                       "days": self.billable_days},
            "total": str(self.total),
            "energy_charge": str(self.charge("energy")),
            "demand_charge": str(self.charge("demand")),
            "fixed_charge": str(self.charge("fixed")),
            "minimum_charge": str(self.charge("minimum")),
            "energy_kwh": str(self.energy_kwh),
            "estimated_kwh": str(self.estimated_kwh),
            "estimated": self.estimated,
            "intervals_expected": self.intervals_expected,
            "intervals_present": self.intervals_present,
            "peak_demand_kw": str(self.peak_demand_kw),
            "register_reads": [r.to_json() for r in self.register_reads],
            "policy": dict(self.policy),
            "lines": [ln.to_json() for ln in self.lines],
        }


def _kwh_of_wh(energy_wh: float) -> Decimal:
    return (Decimal(repr(float(energy_wh))) / WH_PER_KWH).quantize(_KWH)


def bill_from_batch(batch: BillBatch, row: int, *, account_id: str, account_kind: str,
                    site_id: str, meter_ids: tuple[str, ...], billed_first_day: date,
                    billed_end_day: date,
                    register_reads: tuple[RegisterRead, ...] = ()) -> Bill:
    """The ``Decimal`` bill of one row (lines with a zero quantity and amount are left out,
    but the fixed charge is always listed).

    An energy line is flagged estimated when its period holds estimated energy; a demand line
    when the bill holds any."""
    amounts = batch.row_amounts(row)
    any_estimated = bool(batch.estimated_wh[row] > 0)
    period_of = batch.energy_period_of_line
    estimated_periods = batch.estimated_period_wh[row] > 0
    lines = []
    for i, (spec, qty, amount) in enumerate(zip(batch.lines, batch.quantity_micro[row].tolist(),
                                                amounts, strict=True)):
        if qty == 0 and not amount and spec.kind != "fixed":
            continue
        p = period_of[i]
        flagged = bool(estimated_periods[p]) if p >= 0 else (any_estimated
                                                              and spec.kind == "demand")
        lines.append(BillLine(spec.kind, spec.label, Decimal(qty).scaleb(-QUANTITY_DECIMALS),
                              spec.unit, spec.rate, amount, spec.period, spec.tier, flagged))
    tariff = batch.tariff
    period = batch.period
    return Bill(
        account_id=account_id, account_kind=account_kind, site_id=site_id, meter_ids=meter_ids,
        tariff_name=tariff.name, tariff_kind=tariff.kind, currency=tariff.currency,
        timezone=period.timezone, first_day=period.first_day,
        end_day=period.end_day, start_s=period.start_s, end_s=period.end_s,
        billed_first_day=billed_first_day, billed_end_day=billed_end_day,
        billable_days=int(batch.billable_days[row]), lines=tuple(lines),
        total=batch.total(row),
        energy_kwh=_kwh_of_wh(batch.energy_wh[row]),
        estimated_kwh=_kwh_of_wh(batch.estimated_wh[row]),
        intervals_expected=int(batch.intervals_expected[row]),
        intervals_present=int(batch.intervals_present[row]),
        peak_demand_kw=_kwh_of_wh(batch.peak_demand_w[row]),
        register_reads=register_reads,
        policy=batch.policy_pairs,
    )
