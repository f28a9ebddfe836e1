"""Solar performance-based-incentive (PBI) statements: measured kWh × incentive rate.

A PBI programme (e.g. the California Solar Initiative) pays the system owner monthly for the
MEASURED output of a PV meter (reference: ``docs/billing.md``).  Negative intervals (an
inverter's night-time tare) are clipped to zero, never netted.  Estimated kWh are listed on
their own line and handled by the tariff's policy ``estimated_incentive``: ``defer`` (listed,
not paid until validated), ``pay`` (paid as measured), ``exclude`` (never paid).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np

from openamr.billing.bill import Bill, BillLine, RegisterRead
from openamr.billing.engine import UsageBatch
from openamr.billing.money import round_money
from openamr.billing.periods import BillingPeriod
from openamr.billing.tariff import Tariff
from openamr.errors import InputError
from openamr.units import INTERVAL_LENGTH_S, S_PER_H, WH_PER_KWH

__all__ = ["incentive_statement"]

_KWH = Decimal("0.001")


def _kwh(energy_wh: float) -> Decimal:
    return (Decimal(repr(float(energy_wh))) / WH_PER_KWH).quantize(_KWH)


def incentive_statement(tariff: Tariff, period: BillingPeriod, usage: UsageBatch, row: int, *,
                        account_id: str, site_id: str, meter_ids: tuple[str, ...],
                        billed_first_day: date, billed_end_day: date,
                        register_reads: tuple[RegisterRead, ...] = ()) -> Bill:
    """The incentive statement of one row of ``usage`` (an ``incentive`` tariff)."""
    if tariff.kind != "incentive" or tariff.incentive_rate_per_kwh is None:
        raise InputError(f"tariff {tariff.name!r} is not an incentive tariff", where="--tariff")
    rate = tariff.incentive_rate_per_kwh
    energy = np.clip(usage.energy_wh[row], 0.0, None)
    estimated_mask = (usage.estimated[row] if usage.estimated is not None
                      else np.zeros(energy.size, dtype=bool))
    measured_kwh = _kwh(float(energy[~estimated_mask].sum()))
    estimated_kwh = _kwh(float(energy[estimated_mask].sum()))
    lines = [BillLine("incentive", "measured production", measured_kwh, "kWh", rate,
                      round_money(measured_kwh * rate))]
    if estimated_kwh:
        choice = tariff.policy.estimated_incentive
        paid = choice == "pay"
        label = {"pay": "estimated production (paid as measured)",
                 "defer": "estimated production (deferred until validated)",
                 "exclude": "estimated production (excluded)"}[choice]
        lines.append(BillLine("incentive", label, estimated_kwh, "kWh", rate,
                              round_money(estimated_kwh * rate) if paid else Decimal("0.00"),
                              estimated=True))
    present = usage.present[row]
    expected = int(usage.billed[row].sum()) if usage.billed is not None else int(energy.size)
    return Bill(
        account_id=account_id, account_kind="meter", site_id=site_id, meter_ids=meter_ids,
        tariff_name=tariff.name, tariff_kind=tariff.kind, currency=tariff.currency,
        timezone=period.timezone, first_day=period.first_day, end_day=period.end_day,
        start_s=period.start_s, end_s=period.end_s, billed_first_day=billed_first_day,
        billed_end_day=billed_end_day, billable_days=int(usage.billable_days[row]),
        lines=tuple(lines), total=sum((ln.amount for ln in lines), Decimal("0.00")),
        energy_kwh=measured_kwh + estimated_kwh, estimated_kwh=estimated_kwh,
        intervals_expected=expected, intervals_present=int(present.sum()),
        peak_demand_kw=_kwh(float(energy.max(initial=0.0)) * S_PER_H / INTERVAL_LENGTH_S),
        register_reads=register_reads,
        policy=(("estimated_incentive", tariff.policy.estimated_incentive),))
