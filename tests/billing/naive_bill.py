"""A deliberately naive bill: one interval at a time, local time by ``datetime.astimezone``,
``Decimal`` throughout.  The oracle of the engine's differential tests (it shares nothing with
the engine but the tariff object)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from openamr.billing.tariff import Tariff
from openamr.timeutil import from_epoch_s, site_zone


def _fill(total: Decimal, limits: Sequence[Decimal | None]) -> list[Decimal]:
    out, previous = [], Decimal(0)
    for limit in limits:
        upto = total if limit is None else min(total, limit)
        out.append(max(upto - previous, Decimal(0)))
        previous = max(previous, upto)
    return out


def naive_components(tariff: Tariff, start_s: Sequence[int], energy_wh: Sequence[float],
                     timezone: str, days: int, holidays: frozenset[object] = frozenset()
                     ) -> dict[str, Decimal]:
    """Unrounded energy and demand charges [currency] of one billing period."""
    zone = site_zone(timezone)
    n_periods = len(tariff.energy_periods)
    kwh = [Decimal(0)] * n_periods
    demand_kw: dict[int, Decimal] = {}
    flat_kw = Decimal(0)
    month = None
    for t, e in zip(start_s, energy_wh, strict=True):
        local = from_epoch_s(int(t)).astimezone(zone)
        month = local.month - 1 if month is None else month
        weekend = local.weekday() >= 5 or local.date() in holidays
        slot = local.hour * 4 + local.minute // 15
        table = tariff.energy_weekend if weekend else tariff.energy_weekday
        p = int(table[local.month - 1, slot])
        kwh[p] += Decimal(repr(float(e))) / 1000
        kw = Decimal(repr(float(e))) * 4 / 1000
        flat_kw = max(flat_kw, kw)
        if tariff.demand_periods:
            dtable = tariff.demand_weekend if weekend else tariff.demand_weekday
            assert dtable is not None
            d = int(dtable[local.month - 1, slot])
            if d >= 0:
                demand_kw[d] = max(demand_kw.get(d, Decimal(0)), kw)
    total = sum(kwh, Decimal(0))
    scale = days if tariff.tier_unit == "daily" else 1
    energy = Decimal(0)
    for p, period in enumerate(tariff.energy_periods):
        limits = [None if t.max_kwh is None else t.max_kwh * scale for t in period.tiers]
        if tariff.policy.tiers_under_tou == "proportional" and n_periods > 1:
            share = kwh[p] / total if total else Decimal(0)
            amounts = [q * share for q in _fill(total, limits)]
        else:
            amounts = _fill(kwh[p], limits)
        energy += sum((q * t.rate_per_kwh for q, t in zip(amounts, period.tiers, strict=True)),
                      Decimal(0))
    demand = Decimal(0)
    if tariff.flat_demand_periods and month is not None:
        index = tariff.flat_demand_months[month]
        if index >= 0:
            tiers = tariff.flat_demand_periods[index].tiers
            for q, tier in zip(_fill(flat_kw, [t.max_kw for t in tiers]), tiers, strict=True):
                demand += q * tier.rate_per_kw
    for d, kw in demand_kw.items():
        tiers = tariff.demand_periods[d].tiers
        for q, tier in zip(_fill(kw, [t.max_kw for t in tiers]), tiers, strict=True):
            demand += q * tier.rate_per_kw
    return {"energy": energy, "demand": demand}
