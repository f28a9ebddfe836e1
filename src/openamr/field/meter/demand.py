"""kW demand: rolling (the meter's default), fixed block, timed sliding and thermal; maximum demand.

Demand is average power over a demand interval (reference §3).  The meter's method (MDNCT
manual, reference §0): a 15-minute rolling window of three 5-minute sub-intervals, L1 + L2
combined, updated at each sub-interval end; the display shows the *maximum* demand, as the
running maximum during the first 24 h of runtime, then the previous 24-h window's maximum,
updated once every 24 h (runtime since power-up, not a clock).

Every window method is the same formula sampled on a different update grid:

    demand(t) = (E(t) − E(max(t − T, 0))) / T        fill "zero"
    demand(t) = (E(t) − E(max(t − T, 0))) / min(t, T) fill "available"

with T the interval (900 s) and E the cumulative registered energy
(:class:`~openamr.field.meter.registers.EnergyCurve`), evaluated exactly at the update instants:
every sub-interval end (``rolling``: T/3 = 300 s), every interval end (``block``), or every
``sliding_update_s`` (``sliding``: 15 s).  ``thermal`` is the exponential response
dD/dt = (P − D)/τ with τ = T/ln 10 (90 % of a step in one interval), solved exactly step by step
(D relaxes towards the constant P inside each step).

Fill rule before the first full interval (``fill``): ``zero`` (default) counts the sub-intervals
before power-up as zero, as a firmware ring buffer cleared at power-up does (constant 2 kW:
0.667 kW at 5 min); ``available`` averages only what has elapsed (2.0 kW at 5 min).  From 15 min
on both give the same values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.field.meter.registers import EnergyCurve
from openamr.units import INTERVAL_LENGTH_S, S_PER_DAY

__all__ = [
    "DEMAND_FILLS",
    "DEMAND_METHODS",
    "DemandResult",
    "DemandSettings",
    "compute_demand",
    "demand_series",
    "displayed_max_demand_w",
]

FloatArray = npt.NDArray[np.float64]

DEMAND_METHODS: tuple[str, ...] = ("rolling", "block", "sliding", "thermal")
"""Demand methods: the meter's rolling block, fixed block, timed sliding window, thermal."""

DEMAND_FILLS: tuple[str, ...] = ("zero", "available")
"""How the first interval after power-up is averaged."""


@dataclass(frozen=True)
class DemandSettings:
    """How demand is computed and how the maximum is kept."""

    method: Literal["rolling", "block", "sliding", "thermal"] | str = "rolling"
    interval_s: float = float(INTERVAL_LENGTH_S)
    """Demand interval T [s] (15 min)."""
    subintervals: int = 3
    """Sub-intervals of the rolling window (3 × 5 min)."""
    sliding_update_s: float = 15.0
    """Update period of the timed sliding window and sampling period of thermal demand [s]."""
    fill: Literal["zero", "available"] | str = "zero"
    """First-interval rule: ``zero`` (default) or ``available``."""
    max_window_s: float = float(S_PER_DAY)
    """Maximum-demand window [s of runtime] (24 h)."""

    def __post_init__(self) -> None:
        if self.method not in DEMAND_METHODS:
            raise InputError(f"unknown demand method {self.method!r}; known: "
                             f"{', '.join(DEMAND_METHODS)}", where="demand_method")
        if self.fill not in DEMAND_FILLS:
            raise InputError(f"unknown demand fill rule {self.fill!r}; known: "
                             f"{', '.join(DEMAND_FILLS)}", where="demand_fill")
        for name in ("interval_s", "sliding_update_s", "max_window_s"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise InputError(f"{name} must be positive, got {value!r}", where=name)
        if self.subintervals < 1:
            raise InputError("subintervals must be at least 1", where="subintervals")

    @property
    def update_s(self) -> float:
        """Period between demand updates [s] for the window methods."""
        if self.method == "rolling":
            return self.interval_s / self.subintervals
        if self.method == "block":
            return self.interval_s
        return self.sliding_update_s

    @property
    def tau_s(self) -> float:
        """Thermal time constant τ = T / ln 10 [s] (90 % response in one interval)."""
        return self.interval_s / math.log(10.0)


@dataclass(frozen=True)
class DemandResult:
    """Demand over one run."""

    settings: DemandSettings
    update_times_s: FloatArray
    """Instants at which demand was updated [s from power-up]."""
    demand_w: FloatArray
    """Demand at each update [W]."""
    present_demand_w: float
    """Latest demand at the end of the run [W] (0 before the first update)."""
    max_demand_w: float
    """Maximum demand as displayed at the end of the run [W] (24-h rule)."""


def _grid(duration_s: float, step_s: float) -> FloatArray:
    n = math.floor(duration_s / step_s + 1e-9)
    grid: FloatArray = np.arange(1, n + 1, dtype=np.float64) * step_s
    return grid[grid <= duration_s]


def _thermal(curve: EnergyCurve, settings: DemandSettings) -> tuple[FloatArray, FloatArray]:
    """Thermal demand at every step boundary and every ``sliding_update_s`` [s, W]."""
    grid = _grid(curve.duration_s, settings.sliding_update_s)
    points = np.union1d(grid, curve.t_s[1:])
    tau = settings.tau_s
    # power on (points[n-1], points[n]]: the step containing the left end
    left = np.concatenate(([0.0], points[:-1]))
    step = np.clip(np.searchsorted(curve.t_s, left, side="right") - 1, 0,
                   curve.power_w.shape[0] - 1)
    power = curve.power_w[step]
    # D_n = e^{(T_e−T_n)/τ}·[D_0·e^{(t_0−T_e)/τ} + Σ_k (e^{(T_k−T_e)/τ} − e^{(T_{k−1}−T_e)/τ})·P_k]
    # per block of points spanning at most 30 τ, referred to the block's end T_e: every
    # exponent inside the sum is ≤ 0 (no overflow, whatever the gaps) and the outer factor is
    # at most e^30.
    out = np.empty_like(points)
    d0 = 0.0
    block_s = 30.0 * tau
    start = 0
    while start < points.shape[0]:
        stop = max(int(np.searchsorted(points, points[start] + block_s, side="right")),
                   start + 1)
        t_end = points[stop - 1]
        t = points[start:stop]
        growth = np.exp((t - t_end) / tau) - np.exp((left[start:stop] - t_end) / tau)
        acc = np.cumsum(growth * power[start:stop])
        carried = d0 * math.exp((left[start] - t_end) / tau)
        out[start:stop] = np.exp((t_end - t) / tau) * (carried + acc)
        d0 = float(out[stop - 1])
        start = stop
    keep = np.isin(points, grid) if grid.size else np.zeros(points.shape, dtype=bool)
    # the maximum of a thermal response is reached at a step boundary: keep those too
    keep |= np.isin(points, curve.t_s[1:])
    return points[keep], out[keep]


def demand_series(curve: EnergyCurve, settings: DemandSettings | None = None
                  ) -> tuple[FloatArray, FloatArray]:
    """Demand updates over the run: ``(update_times_s, demand_w)`` [s, W]."""
    settings = settings or DemandSettings()
    if settings.method == "thermal":
        return _thermal(curve, settings)
    times = _grid(curve.duration_s, settings.update_s)
    window_s = settings.interval_s
    start = np.maximum(times - window_s, 0.0)
    energy_ws = curve.energy_ws_at(times) - curve.energy_ws_at(start)
    divisor = np.full_like(times, window_s) if settings.fill == "zero" else times - start
    demand: FloatArray = energy_ws / divisor if times.size else np.empty(0)
    return times, demand


def displayed_max_demand_w(update_times_s: FloatArray, demand_w: FloatArray, at_s: float,
                           window_s: float = float(S_PER_DAY)) -> float:
    """Maximum demand the meter displays at runtime ``at_s`` [s] [W].

    Windows are ``(k·window, (k+1)·window]`` of runtime.  During the first window the running
    maximum of the updates so far; afterwards the maximum of the last *completed* window,
    which changes only at window ends.  0 when no update falls in the window.
    """
    completed = math.floor(at_s / window_s + 1e-12)
    times = np.asarray(update_times_s)
    values = np.asarray(demand_w)
    if completed == 0:
        mask = times <= at_s
    else:
        lo, hi = (completed - 1) * window_s, completed * window_s
        mask = (times > lo) & (times <= hi)
        if completed == 1:
            mask = times <= hi
    return float(values[mask].max()) if np.any(mask) else 0.0


def compute_demand(curve: EnergyCurve, settings: DemandSettings | None = None) -> DemandResult:
    """Demand series, present demand and displayed maximum demand for a run."""
    settings = settings or DemandSettings()
    times, demand = demand_series(curve, settings)
    return DemandResult(
        settings=settings,
        update_times_s=times,
        demand_w=demand,
        present_demand_w=float(demand[-1]) if demand.size else 0.0,
        max_demand_w=displayed_max_demand_w(times, demand, curve.duration_s,
                                            settings.max_window_s),
    )
