"""The bill engine: many meters' 15-minute energy → exact line amounts, vectorised with numpy.

Three steps, the first two across all rows (meters or tenants) at once:

1. **Quantities** from numpy: energy per TOU period (a matrix product with the one-hot period
   matrix of the intervals' periods on the :class:`~openamr.timeutil.LocalGrid`, read by
   :func:`~openamr.billing.schedule.tariff_indices`), maximum 15-minute demand per
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
from functools import cached_property
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from openamr.billing.money import MAX_RATE_DECIMALS, scaled
from openamr.billing.periods import BillingPeriod
from openamr.billing.schedule import tariff_indices
from openamr.billing.tariff import Charge, DemandPeriod, DemandTier, EnergyTier, Tariff
from openamr.errors import InputError
from openamr.timeutil import LocalGrid
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

    @cached_property
    def energy_period_of_line(self) -> list[int]:
        """The energy period index of each line (-1 for other lines)."""
        names = [p.name for p in self.tariff.energy_periods]
        return [names.index(s.period) if s.kind == "energy" and s.period in names else -1
                for s in self.lines]

    @cached_property
    def policy_pairs(self) -> tuple[tuple[str, str], ...]:
        """The retail policies as ``(name, choice)`` pairs (shown on every bill)."""
        return tuple((k, str(getattr(self.tariff.policy, k))) for k in (
            "fixed_proration", "tiers_under_tou", "demand_reset", "rounding"))

    @cached_property
    def as_lists(self) -> dict[str, list[Any]]:
        """The per-row arrays as Python lists, converted once for all rows (materialising
        12,000 bills touches each value once, not through a numpy scalar per access)."""
        return {"quantity": self.quantity_micro.tolist(), "cents": self.amount_cents.tolist(),
                "energy_wh": self.energy_wh.tolist(), "estimated_wh": self.estimated_wh.tolist(),
                "peak_demand_w": self.peak_demand_w.tolist(),
                "days": self.billable_days.tolist(),
                "expected": self.intervals_expected.tolist(),
                "present": self.intervals_present.tolist(),
                "estimated_periods": (self.estimated_period_wh > 0).tolist()}

    def row_amounts(self, row: int) -> list[Decimal]:
        """The ``Decimal`` amount of every line of ``row`` (they sum to :meth:`total`)."""
        if self.tariff.policy.rounding == "lines":
            return [_CENTS[c] if c in _CENTS else Decimal(c).scaleb(-2)
                    for c in self.as_lists["cents"][row]]
        return [Decimal(int(a)).scaleb(-AMOUNT_DECIMALS).normalize() + Decimal("0.00")
                for a in self.amount_exact[row]]

    def total(self, row: int) -> Decimal:
        """The bill's total [currency], rounded to cents."""
        return Decimal(int(self.total_cents[row])).scaleb(-2)


_CENTS = {c: Decimal(c).scaleb(-2) for c in range(-10_000, 100_000)}
"""Decimal amounts of the commonest cents (an amount object per line is the cost of a bill)."""


def _rate_int(rate: Decimal) -> int:
    return scaled(rate, MAX_RATE_DECIMALS)


def _limit_micro(limit: Decimal) -> int:
    """A tier limit in 10⁻⁶ units (limits finer than that are truncated)."""
    return int(limit.scaleb(QUANTITY_DECIMALS).to_integral_value(rounding="ROUND_FLOOR"))


def _cumulative_fill(total: npt.NDArray[np.object_], limits: list[Decimal | None],
                     scale: npt.NDArray[np.object_]) -> list[npt.NDArray[np.object_]]:
    """``min(total, limit_t × scale)`` per tier; the last tier takes the rest whatever its
    limit (URDB: use above the last ``max`` is priced at the last tier)."""
    return [total if limit is None or t == len(limits) - 1
            else np.minimum(total, scale * _limit_micro(limit))
            for t, limit in enumerate(limits)]


def _round_cents(exact: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """Exact amounts (10⁻¹⁶) → cents, half-up (ties away from zero), elementwise on ints."""
    twice = exact * 2
    up = (twice + _CENT_UNIT) // (2 * _CENT_UNIT)
    down = -((-twice + _CENT_UNIT) // (2 * _CENT_UNIT))
    result: npt.NDArray[np.object_] = np.where(exact >= 0, up, down)
    return result


_PER_YEAR = {"day": Decimal(365), "month": Decimal(12), "year": Decimal(1)}
"""How many of each charge unit a year holds (a ``$/day`` charge is × 365 / 12 a month)."""


def _equivalent(charge: Charge, per: str) -> Decimal:
    """The charge's amount per ``per`` (``day`` or ``month``), through its yearly amount."""
    if charge.per == per:
        return charge.amount
    return charge.amount * _PER_YEAR[charge.per] / _PER_YEAR[per]


def prorated_charge(charge: Charge, policy: str, period: BillingPeriod, days: int) -> Decimal:
    """A fixed or minimum charge for ``days`` billed days of ``period`` under ``policy``."""
    if policy == "flat":
        return _equivalent(charge, "month") * period.months
    if policy == "daily" or charge.per == "day":
        return _equivalent(charge, "day") * days
    if days == period.days:
        return _equivalent(charge, "month") * period.months
    return _equivalent(charge, "month") * period.months * days / period.days


def _exact(amount: Decimal) -> int:
    return int(amount.scaleb(AMOUNT_DECIMALS).to_integral_value())


def _charges(charge: Charge, policy: str, period: BillingPeriod,
             days: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
    """Exact prorated amounts per row (computed once per distinct number of days)."""
    cache = {int(d): _exact(prorated_charge(charge, policy, period, int(d)))
             for d in np.unique(days)}
    return np.asarray([cache[int(d)] for d in days], dtype=object)


def _segments(grid: LocalGrid, reset: str) -> list[tuple[int, int, int, int, int]]:
    """Demand segments ``(first, stop, days, month_days, month)``: one per bill, or one per
    local calendar month (charged × days / month_days)."""
    n = len(grid)
    month_key = grid.month_key
    if reset == "billing_period":
        return [(0, n, 1, 1, int(month_key[0] % 12))]
    cuts = [0, *(np.nonzero(np.diff(month_key))[0] + 1).tolist(), n]
    out = []
    for a, b in itertools.pairwise(cuts):
        days = int(np.unique(grid.day_index[a:b]).size)
        key = int(month_key[a])
        month_days = calendar.monthrange(1970 + key // 12, key % 12 + 1)[1]
        out.append((a, b, days, month_days, key % 12))
    return out


def _runs(n: int, labels: list[npt.NDArray[np.int64]], cuts: list[int]) -> npt.NDArray[
        np.int64]:
    """Starts of the maximal runs of intervals on which every label is constant."""
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for label in labels:
        change[1:] |= label[1:] != label[:-1]
    change[[c for c in cuts if c < n]] = True
    return np.flatnonzero(change)


def compute_bills(tariff: Tariff, period: BillingPeriod, grid: LocalGrid,
                  usage: UsageBatch) -> BillBatch:
    """Bills of every row of ``usage`` for ``period`` under ``tariff`` (a retail tariff).

    One pass of ``np.add.reduceat`` and one of ``np.maximum.reduceat`` over the runs of
    intervals that share their energy period, demand period and demand segment; everything
    after works on ``(rows, runs)`` arrays and exact integers.
    """
    if tariff.kind != "retail":
        raise InputError(f"tariff {tariff.name!r} is an {tariff.kind} tariff, not a retail "
                         "tariff", where="--tariff")
    energy = usage.energy_wh
    rows, n = energy.shape
    if n != len(grid) or n == 0:
        raise ValueError("usage and grid differ in length (or are empty)")
    policy = tariff.policy
    energy_index, demand_index = tariff_indices(grid, tariff)
    segments = _segments(grid, policy.demand_reset)
    starts = _runs(n, [energy_index] + ([demand_index] if demand_index is not None else []),
                   [s[0] for s in segments])
    run_sums = np.add.reduceat(energy, starts, axis=1)  # rows × runs [Wh]
    run_max = np.maximum.reduceat(energy, starts, axis=1)  # rows × runs [Wh per 15 min]
    n_periods = len(tariff.energy_periods)
    run_period = energy_index[starts]
    onehot = np.zeros((starts.size, n_periods), dtype=np.float64)
    onehot[np.arange(starts.size), run_period] = 1.0
    period_wh = run_sums @ onehot  # rows × periods
    period_micro = np.rint(period_wh * (_Q / WH_PER_KWH)).astype(np.int64)
    if usage.estimated is not None and usage.estimated.any():
        estimated_period_wh = np.add.reduceat(np.where(usage.estimated, energy, 0.0), starts,
                                              axis=1) @ onehot
    else:
        estimated_period_wh = np.zeros_like(period_wh)

    specs: list[LineSpec] = []
    qty_cols: list[npt.NDArray[np.object_]] = []
    amount_cols: list[npt.NDArray[np.object_]] = []

    def add_tiers(kind: str, name: str, tiers: tuple[EnergyTier, ...] | tuple[DemandTier, ...],
                  cumulative: list[npt.NDArray[np.object_]], unit: str,
                  factor: Decimal | None = None, tag: str = "") -> None:
        previous: npt.NDArray[np.object_] | int = 0
        for t, tier in enumerate(tiers):
            qty = cumulative[t] - previous
            previous = cumulative[t]
            rate = (tier.rate_per_kwh if isinstance(tier, EnergyTier)
                    else cast(DemandTier, tier).rate_per_kw)
            amount = qty * _rate_int(rate)
            if factor is not None:
                amount = np.asarray([int((Decimal(int(a)) * factor).to_integral_value())
                                     for a in amount], dtype=object)
            label = name if len(tiers) == 1 else f"{name} tier {t + 1}"
            specs.append(LineSpec(kind, label + tag, name, t + 1, unit, rate))
            qty_cols.append(qty)
            amount_cols.append(amount)

    # -- energy: tiers --------------------------------------------------------------------
    ones = np.ones(rows, dtype=object)
    scale = usage.billable_days.astype(object) if tariff.tier_unit == "daily" else ones
    period_obj = period_micro.astype(object)
    total_obj = period_obj.sum(axis=1)
    safe_total = np.where(total_obj == 0, 1, total_obj)
    for p, eperiod in enumerate(tariff.energy_periods):
        limits = [t.max_kwh for t in eperiod.tiers]
        if policy.tiers_under_tou == "proportional" and n_periods > 1:
            mine = period_obj[:, p]
            cumulative = [(f * mine * 2 + safe_total) // (2 * safe_total)
                          for f in _cumulative_fill(total_obj, limits, scale)]
        else:
            cumulative = _cumulative_fill(period_obj[:, p], limits, scale)
        add_tiers("energy", eperiod.name, eperiod.tiers, cumulative, "kWh")

    # -- demand ---------------------------------------------------------------------------
    peak_w = run_max.max(axis=1) * (S_PER_H / INTERVAL_LENGTH_S)
    multi = len(segments) > 1
    run_demand = demand_index[starts] if demand_index is not None else None

    def demand_lines(dperiod: DemandPeriod, max_wh: npt.NDArray[np.float64],
                     factor: Decimal, tag: str) -> None:
        kw_micro = np.rint(max_wh * _KW_PER_WH * _Q).astype(np.int64).astype(object)
        cumulative = _cumulative_fill(kw_micro, [t.max_kw for t in dperiod.tiers], ones)
        add_tiers("demand", dperiod.name, dperiod.tiers, cumulative, "kW",
                  None if factor == 1 else factor, tag)

    for first, stop, seg_days, month_days, month in segments:
        factor = Decimal(seg_days) / Decimal(month_days)
        tag = "" if not multi else f" ({seg_days}/{month_days} of month {month + 1})"
        in_segment = (starts >= first) & (starts < stop)
        if tariff.flat_demand_periods:
            index = tariff.flat_demand_months[month]
            if index >= 0:
                demand_lines(tariff.flat_demand_periods[index],
                             run_max[:, in_segment].max(axis=1), factor, tag)
        if run_demand is not None:
            for d, dperiod in enumerate(tariff.demand_periods):
                cols = in_segment & (run_demand == d)
                max_wh = run_max[:, cols].max(axis=1) if cols.any() else np.zeros(rows)
                demand_lines(dperiod, max_wh, factor, tag)

    # -- fixed ----------------------------------------------------------------------------
    days = usage.billable_days
    if tariff.fixed is not None:
        specs.append(LineSpec("fixed", f"customer charge ({tariff.fixed.amount}/"
                              f"{tariff.fixed.per})", unit="day"))
        qty_cols.append((days * _Q).astype(object))
        amount_cols.append(_charges(tariff.fixed, policy.fixed_proration, period, days))

    quantity = np.stack(qty_cols, axis=1) if qty_cols else np.zeros((rows, 0), dtype=object)
    exact = np.stack(amount_cols, axis=1) if amount_cols else np.zeros((rows, 0), dtype=object)
    cents = _round_cents(exact) if exact.size else np.zeros((rows, 0), dtype=object)

    # -- minimum and rounding -------------------------------------------------------------
    extra_specs: list[LineSpec] = []
    extra_exact: list[npt.NDArray[np.object_]] = []
    extra_cents: list[npt.NDArray[np.object_]] = []
    zeros = np.zeros(rows, dtype=object)
    by_lines = policy.rounding == "lines"
    subtotal = zeros
    if exact.shape[1]:
        subtotal = cents.sum(axis=1) if by_lines else exact.sum(axis=1)
    if tariff.minimum is not None:
        minimum = _charges(tariff.minimum, policy.fixed_proration, period, days)
        if by_lines:
            top_up = np.maximum(_round_cents(minimum) - subtotal, 0)
            extra_cents.append(top_up)
            extra_exact.append(top_up * _CENT_UNIT)
        else:
            top_up = np.maximum(minimum - subtotal, 0)
            extra_exact.append(top_up)
            extra_cents.append(_round_cents(top_up))
        extra_specs.append(LineSpec("minimum", f"minimum charge ({tariff.minimum.amount}/"
                                    f"{tariff.minimum.per}) top-up"))
        subtotal = subtotal + top_up  # cents or exact units, as the subtotal
    if by_lines:
        total_cents = subtotal
    else:
        total_cents = _round_cents(subtotal)
        extra_specs.append(LineSpec("rounding", "rounding to the cent"))
        extra_exact.append(total_cents * _CENT_UNIT - subtotal)
        extra_cents.append(zeros)
    if extra_specs:
        quantity = np.concatenate([quantity, np.zeros((rows, len(extra_specs)), dtype=object)],
                                  axis=1)
        exact = np.concatenate([exact, np.stack(extra_exact, axis=1)], axis=1)
        cents = np.concatenate([cents, np.stack(extra_cents, axis=1)], axis=1)

    expected = (usage.billed.sum(axis=1).astype(np.int64) if usage.billed is not None
                else np.full(rows, n, dtype=np.int64))
    return BillBatch(
        tariff=tariff, period=period, lines=(*specs, *extra_specs),
        quantity_micro=quantity.astype(np.int64), amount_exact=exact, amount_cents=cents,
        total_cents=np.asarray(total_cents, dtype=object),
        energy_wh=period_wh.sum(axis=1),
        estimated_wh=estimated_period_wh.sum(axis=1),
        intervals_present=usage.present.sum(axis=1).astype(np.int64),
        intervals_expected=expected, peak_demand_w=peak_w, billable_days=days,
        estimated_period_wh=estimated_period_wh)
