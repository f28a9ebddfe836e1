"""The bill engine: many meters' 15-minute energy → exact line amounts, vectorised with numpy.

Three steps, the first two across all rows (meters or tenants) at once:

1. **Quantities** from numpy: energy per TOU period (a matrix product with the one-hot period
   matrix of the :class:`~openamr.billing.local_grid.LocalGrid`), maximum 15-minute demand per
   demand segment and period; all as exact integers of 10⁻⁶ kWh or kW.
2. **Tiers** (monthly, or daily allowances × billable days) and **amounts**: quantity × rate in
   exact integers (10⁻¹⁶ of the currency; rates have at most 10 decimals), rounded half-up to
   cents per line or on the total (policy ``rounding``).
3. :meth:`BillBatch.row_lines` turns one row into ``Decimal`` lines (see :mod:`.bill`).

The energy of a row is 0 where an interval is missing (``present`` False) or outside the
tenant's occupancy; missing and estimated intervals are counted so the bill can say so.
"""

from __future__ import annotations

import calendar
import itertools
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from openamr.billing.local_grid import LocalGrid, tariff_indices
from openamr.billing.money import MAX_RATE_DECIMALS, round_half_up_int, scaled
from openamr.billing.periods import BillingPeriod
from openamr.billing.tariff import Charge, DemandPeriod, Tariff
from openamr.errors import InputError
from openamr.units import INTERVAL_LENGTH_S, S_PER_H, WH_PER_KWH

__all__ = ["AMOUNT_DECIMALS", "QUANTITY_DECIMALS", "BillBatch", "LineSpec", "UsageBatch",
           "compute_bills"]

QUANTITY_DECIMALS = 6
"""Quantities (kWh, kW) are exact to 10⁻⁶ (1 mWh, 1 mW)."""
AMOUNT_DECIMALS = QUANTITY_DECIMALS + MAX_RATE_DECIMALS
"""Unrounded amounts are exact integers of 10⁻¹⁶ of the currency."""
_Q = 10 ** QUANTITY_DECIMALS
_CENT_UNIT = 10 ** (AMOUNT_DECIMALS - 2)
_KW_PER_WH = S_PER_H / INTERVAL_LENGTH_S / WH_PER_KWH  # 15-minute Wh → average kW


@dataclass(frozen=True, eq=False)
class UsageBatch:
    """Rows of 15-minute energy on one billing period's grid (``rows × intervals``)."""

    energy_wh: npt.NDArray[np.float64]
    """Energy [Wh] per row and interval; 0 where missing or not billed."""
    present: npt.NDArray[np.bool_]
    """The interval has a value and is billed to the row."""
    estimated: npt.NDArray[np.bool_] | None
    """The interval's value is an estimate (None: none is)."""
    billed: npt.NDArray[np.bool_] | None
    """The interval is in the row's occupancy (None: every interval of the period)."""
    billable_days: npt.NDArray[np.int64]
    """Civil days billed to each row (the period's days, fewer at move-in/out)."""


@dataclass(frozen=True, slots=True)
class LineSpec:
    """One line (column) of a batch: what it charges."""

    kind: str
    """``energy``, ``demand``, ``fixed``, ``minimum`` or ``rounding``."""
    label: str
    period: str | None = None
    """Energy or demand period name."""
    tier: int | None = None
    """Tier number, 1-based."""
    unit: str = ""
    """Unit of the quantity: ``kWh``, ``kW`` or ``day``."""
    rate: Decimal | None = None
    """[currency per unit]."""


@dataclass(frozen=True, eq=False)
class BillBatch:
    """Exact results for every row of a :class:`UsageBatch` under one tariff and period."""

    tariff: Tariff
    period: BillingPeriod
    lines: tuple[LineSpec, ...]
    quantity_micro: npt.NDArray[np.int64]
    """rows × lines: quantity in 10⁻⁶ of the line's unit."""
    amount_exact: npt.NDArray[np.object_]
    """rows × lines: exact amounts as ints of 10⁻¹⁶ currency (Python ints)."""
    amount_cents: npt.NDArray[np.object_]
    """rows × lines: rounded amounts in cents (policy ``lines``) — with ``total`` rounding, the
    exact amounts and a ``rounding`` line; see :meth:`row_amounts`."""
    total_cents: npt.NDArray[np.object_]
    energy_wh: npt.NDArray[np.float64]
    estimated_wh: npt.NDArray[np.float64]
    intervals_present: npt.NDArray[np.int64]
    intervals_expected: npt.NDArray[np.int64]
    peak_demand_w: npt.NDArray[np.float64]
    billable_days: npt.NDArray[np.int64]
    estimated_period_wh: npt.NDArray[np.float64]
    """rows × energy periods: estimated energy [Wh] in each period."""

    def __len__(self) -> int:
        return int(self.quantity_micro.shape[0])

    def row_amounts(self, row: int) -> list[Decimal]:
        """The ``Decimal`` amount of every line of ``row`` (they sum to :meth:`total`)."""
        if self.tariff.policy.rounding == "lines":
            return [Decimal(int(c)).scaleb(-2) for c in self.amount_cents[row]]
        return [Decimal(int(a)).scaleb(-AMOUNT_DECIMALS).normalize() + Decimal("0.00")
                for a in self.amount_exact[row]]

    def total(self, row: int) -> Decimal:
        """The bill's total [currency], rounded to cents."""
        return Decimal(int(self.total_cents[row])).scaleb(-2)


def _rate_int(rate: Decimal) -> int:
    return scaled(rate, MAX_RATE_DECIMALS)


def _limits_micro(limits: list[Decimal | None], scale: npt.NDArray[np.int64]) -> npt.NDArray[
        np.object_]:
    """Cumulative tier limits (rows × tiers) in 10⁻⁶ units; the last unlimited tier is None→inf."""
    rows = scale.size
    out = np.empty((rows, len(limits)), dtype=object)
    for t, limit in enumerate(limits):
        if limit is None:
            out[:, t] = None
        else:
            base = scaled(limit, QUANTITY_DECIMALS) if limit == limit.quantize(
                Decimal(1).scaleb(-QUANTITY_DECIMALS)) else int(limit.scaleb(QUANTITY_DECIMALS))
            out[:, t] = [base * int(s) for s in scale]
    return out


def _fill(total: npt.NDArray[np.object_], limits: npt.NDArray[np.object_]) -> npt.NDArray[
        np.object_]:
    """Cumulative fill min(total, limit_t) per tier (rows × tiers), the last tier = total."""
    rows, tiers = limits.shape
    out = np.empty((rows, tiers), dtype=object)
    for t in range(tiers):
        col = limits[:, t]
        out[:, t] = [tot if lim is None else min(tot, lim) for tot, lim in zip(total, col,
                                                                                strict=True)]
    return out


def _monthly_equivalent(charge: Charge) -> Decimal:
    if charge.per == "month":
        return charge.amount
    if charge.per == "day":
        return charge.amount * Decimal(365) / Decimal(12)
    return charge.amount / Decimal(12)


def _daily_equivalent(charge: Charge) -> Decimal:
    if charge.per == "day":
        return charge.amount
    if charge.per == "month":
        return charge.amount * Decimal(12) / Decimal(365)
    return charge.amount / Decimal(365)


def prorated_charge(charge: Charge, policy: str, period: BillingPeriod, days: int) -> Decimal:
    """A fixed or minimum charge for ``days`` billed days of ``period`` under ``policy``."""
    if policy == "flat":
        return _monthly_equivalent(charge) * period.months
    if policy == "daily" or charge.per == "day":
        return _daily_equivalent(charge) * days
    if days == period.days:
        return _monthly_equivalent(charge) * period.months
    return _monthly_equivalent(charge) * period.months * days / period.days


def _exact(amount: Decimal) -> int:
    return int(amount.scaleb(AMOUNT_DECIMALS).to_integral_value())


def _segments(grid: LocalGrid, reset: str) -> list[tuple[int, int, int, int, int]]:
    """Demand segments ``(first, stop, days, month_days, month)``: one per bill, or one per
    local calendar month (charged × days / month_days)."""
    n = len(grid)
    if reset == "billing_period":
        return [(0, n, 1, 1, int(grid.month[0]))]
    cuts = [0, *(np.nonzero(np.diff(grid.month_key))[0] + 1).tolist(), n]
    out = []
    for a, b in itertools.pairwise(cuts):
        days = int(np.unique(grid.day[a:b]).size)
        key = int(grid.month_key[a])
        month_days = calendar.monthrange(1970 + key // 12, key % 12 + 1)[1]
        out.append((a, b, days, month_days, int(grid.month[a])))
    return out


def compute_bills(tariff: Tariff, period: BillingPeriod, grid: LocalGrid,
                  usage: UsageBatch) -> BillBatch:
    """Bills of every row of ``usage`` for ``period`` under ``tariff`` (a retail tariff)."""
    if tariff.kind != "retail":
        raise InputError(f"tariff {tariff.name!r} is an {tariff.kind} tariff, not a retail "
                         "tariff", where="--tariff")
    energy = usage.energy_wh
    rows, n = energy.shape
    if n != len(grid):
        raise ValueError("usage and grid differ in length")
    policy = tariff.policy
    energy_index, demand_index = tariff_indices(grid, tariff)
    n_periods = len(tariff.energy_periods)
    onehot = np.zeros((n, n_periods), dtype=np.float64)
    onehot[np.arange(n), energy_index] = 1.0
    period_wh = energy @ onehot  # rows × periods
    period_micro = np.rint(period_wh * (_Q / WH_PER_KWH)).astype(np.int64)
    estimated_period_wh = (np.where(usage.estimated, energy, 0.0) @ onehot
                           if usage.estimated is not None else np.zeros_like(period_wh))

    specs: list[LineSpec] = []
    qty_cols: list[npt.NDArray[np.int64]] = []
    amount_cols: list[npt.NDArray[np.object_]] = []

    def add(spec: LineSpec, qty: npt.NDArray[np.int64], amount: npt.NDArray[np.object_]) -> None:
        specs.append(spec)
        qty_cols.append(qty)
        amount_cols.append(amount)

    # -- energy: tiers --------------------------------------------------------------------
    scale = (usage.billable_days if tariff.tier_unit == "daily"
             else np.ones(rows, dtype=np.int64))
    period_obj = period_micro.astype(object)
    total_obj = period_obj.sum(axis=1) if n_periods else np.zeros(rows, dtype=object)
    for p, eperiod in enumerate(tariff.energy_periods):
        limits = _limits_micro([t.max_kwh for t in eperiod.tiers], scale)
        if policy.tiers_under_tou == "proportional" and n_periods > 1:
            filled = _fill(total_obj, limits)  # cumulative over the period's tiers of the total
            share = np.empty_like(filled)
            for r in range(rows):
                tot, mine = int(total_obj[r]), int(period_obj[r, p])
                share[r] = [0 if tot == 0 else round_half_up_int(int(f) * mine, tot)
                            for f in filled[r]]
            cumulative = share
        else:
            cumulative = _fill(period_obj[:, p], limits)
        previous = np.zeros(rows, dtype=object)
        for t, tier in enumerate(eperiod.tiers):
            qty = cumulative[:, t] - previous
            previous = cumulative[:, t]
            label = eperiod.name if len(eperiod.tiers) == 1 else f"{eperiod.name} tier {t + 1}"
            add(LineSpec("energy", label, eperiod.name, t + 1, "kWh", tier.rate_per_kwh),
                qty.astype(np.int64), qty * _rate_int(tier.rate_per_kwh))

    # -- demand ---------------------------------------------------------------------------
    peak_w = (energy.max(axis=1) if n else np.zeros(rows)) * (S_PER_H / INTERVAL_LENGTH_S)
    segments = _segments(grid, policy.demand_reset)
    multi = len(segments) > 1

    def demand_lines(dperiod: DemandPeriod, max_wh: npt.NDArray[np.float64], factor: Decimal,
                     tag: str) -> None:
        kw_micro = np.rint(max_wh * _KW_PER_WH * _Q).astype(np.int64).astype(object)
        limits = _limits_micro([t.max_kw for t in dperiod.tiers], np.ones(rows, dtype=np.int64))
        cumulative = _fill(kw_micro, limits)
        previous = np.zeros(rows, dtype=object)
        for t, tier in enumerate(dperiod.tiers):
            qty = cumulative[:, t] - previous
            previous = cumulative[:, t]
            amount = qty * _rate_int(tier.rate_per_kw)
            if factor != 1:
                amount = np.asarray([int((Decimal(int(a)) * factor).to_integral_value())
                                     for a in amount], dtype=object)
            label = dperiod.name if len(dperiod.tiers) == 1 else f"{dperiod.name} tier {t + 1}"
            add(LineSpec("demand", label + tag, dperiod.name, t + 1, "kW", tier.rate_per_kw),
                qty.astype(np.int64), amount)

    for first, stop, seg_days, month_days, month in segments:
        factor = Decimal(seg_days) / Decimal(month_days)
        tag = "" if not multi else f" ({seg_days}/{month_days} of month {month + 1})"
        block = energy[:, first:stop]
        if tariff.flat_demand_periods:
            index = tariff.flat_demand_months[month]
            if index >= 0:
                demand_lines(tariff.flat_demand_periods[index], block.max(axis=1), factor, tag)
        if demand_index is not None:
            seg_index = demand_index[first:stop]
            for d, dperiod in enumerate(tariff.demand_periods):
                cols = np.nonzero(seg_index == d)[0]
                max_wh = block[:, cols].max(axis=1) if cols.size else np.zeros(rows)
                demand_lines(dperiod, max_wh, factor, tag)

    # -- fixed ----------------------------------------------------------------------------
    days = usage.billable_days
    if tariff.fixed is not None:
        fixed = np.asarray([_exact(prorated_charge(tariff.fixed, policy.fixed_proration,
                                                   period, int(d))) for d in days], dtype=object)
        add(LineSpec("fixed", f"customer charge ({tariff.fixed.amount}/{tariff.fixed.per})",
                     unit="day"), (days * _Q).astype(np.int64), fixed)

    quantity = (np.stack(qty_cols, axis=1) if qty_cols
                else np.zeros((rows, 0), dtype=np.int64))
    exact = (np.stack(amount_cols, axis=1) if amount_cols
             else np.zeros((rows, 0), dtype=object))
    cents = np.vectorize(lambda a: round_half_up_int(int(a), _CENT_UNIT), otypes=[object])(
        exact) if exact.size else np.zeros((rows, 0), dtype=object)

    # -- minimum and rounding -------------------------------------------------------------
    extra_specs: list[LineSpec] = []
    extra_exact: list[npt.NDArray[np.object_]] = []
    extra_cents: list[npt.NDArray[np.object_]] = []
    if policy.rounding == "lines":
        subtotal = cents.sum(axis=1) if cents.shape[1] else np.zeros(rows, dtype=object)
    else:
        subtotal = exact.sum(axis=1) if exact.shape[1] else np.zeros(rows, dtype=object)
    if tariff.minimum is not None:
        minimum = [prorated_charge(tariff.minimum, policy.fixed_proration, period, int(d))
                   for d in days]
        if policy.rounding == "lines":
            floor = [round_half_up_int(_exact(m), _CENT_UNIT) for m in minimum]
            top_up = np.asarray([max(0, f - int(s)) for f, s in zip(floor, subtotal,
                                                                      strict=True)], dtype=object)
            extra_cents.append(top_up)
            extra_exact.append(top_up * _CENT_UNIT)
        else:
            top_up = np.asarray([max(0, _exact(m) - int(s)) for m, s in zip(minimum, subtotal,
                                                                              strict=True)],
                                dtype=object)
            extra_exact.append(top_up)
            extra_cents.append(np.asarray([round_half_up_int(int(a), _CENT_UNIT)
                                           for a in top_up], dtype=object))
        extra_specs.append(LineSpec("minimum", f"minimum charge ({tariff.minimum.amount}/"
                                    f"{tariff.minimum.per}) top-up"))
        subtotal = subtotal + top_up  # cents or exact units, as the subtotal
    if policy.rounding == "lines":
        total_cents = subtotal
    else:
        total_cents = np.asarray([round_half_up_int(int(s), _CENT_UNIT) for s in subtotal],
                                 dtype=object)
        diff = total_cents * _CENT_UNIT - subtotal
        extra_specs.append(LineSpec("rounding", "rounding to the cent"))
        extra_exact.append(diff)
        extra_cents.append(np.zeros(rows, dtype=object))
    if extra_specs:
        quantity = np.concatenate([quantity, np.zeros((rows, len(extra_specs)),
                                                      dtype=np.int64)], axis=1)
        exact = np.concatenate([exact, np.stack(extra_exact, axis=1)], axis=1)
        cents = np.concatenate([cents, np.stack(extra_cents, axis=1)], axis=1)

    present = usage.present
    estimated_wh = estimated_period_wh.sum(axis=1)
    expected = (usage.billed.sum(axis=1).astype(np.int64) if usage.billed is not None
                else np.full(rows, n, dtype=np.int64))
    return BillBatch(
        tariff=tariff, period=period, lines=(*specs, *extra_specs),
        quantity_micro=quantity, amount_exact=exact, amount_cents=cents,
        total_cents=np.asarray(total_cents, dtype=object),
        energy_wh=period_wh.sum(axis=1) if n_periods else energy.sum(axis=1),
        estimated_wh=estimated_wh,
        intervals_present=present.sum(axis=1).astype(np.int64),
        intervals_expected=expected, peak_demand_w=peak_w, billable_days=days,
        estimated_period_wh=estimated_period_wh)
