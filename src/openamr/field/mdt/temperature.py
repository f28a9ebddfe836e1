"""Temperature reporting of the MMSMT-D02 and MMSMT-E02 MDTs.

D02 and E02 record a temperature [°C] in every interval record (the sensor read when the
interval closes); E02 also reports a temperature *event* whenever the reading has moved by 1 % or
more since the last reported value.  The manual says only "TOU and 1% Delta Temperature enabled"
(Table 1): how to read "1 %" is an **assumption** of this model, and a setting
(``DeltaTemperatureRule.delta_pct`` and the span; ``MdtParams.temperature_mode``).  It is read
as **1 % of the sensor's span**, the operating range of the kit (−30 … +70 °C, manual Table 2),
i.e. 1.0 K, because:

* a relative change of the °C value is undefined at 0 °C and explodes near it (0.1 → 0.2 °C is
  "100 %"), so a device in a cold basement would flood the network;
* a relative change of the kelvin value (1 % of ~293 K ≈ 2.9 K) is well defined but depends on
  the temperature (2.4 K at −30 °C, 3.4 K at +70 °C) for no physical reason;
* a deadband in percent of span is how industrial telemetry defines "report on change"
  (IEC 61850-7-3 ``db``: deadband in units of 0.001 % of the range); it is the same in °C and K,
  symmetric, and well behaved at 0 °C.

Readings are quantised to the sensor resolution (0.01 °C) as integer centi-degrees before the
comparison, so "exactly 1.00 K" is reported and float rounding cannot decide an edge.  The first
reading is always reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError

__all__ = ["DeltaTemperatureRule", "delta_report_mask", "indoor_temperature_c"]


def indoor_temperature_c(t_s: npt.ArrayLike, offset_c: npt.ArrayLike = 0.0, *,
                         mean_c: float = 21.0, swing_c: float = 1.5,
                         warmest_s_of_day: float = 15 * 3600.0) -> npt.NDArray[np.float64]:
    """A simulated MDT's sensor reading [°C] at ``t_s`` [UTC epoch s]: a conditioned room's
    mean ``mean_c`` plus a daily sine of amplitude ``swing_c`` peaking at ``warmest_s_of_day``
    [s of the UTC day], plus a per-MDT ``offset_c`` (broadcast: ``(n, 1)`` offsets against
    ``(k,)`` times give ``(n, k)``).  Assumption for the simulator (no source: a plausible
    indoor electrical room), not a claim about any building."""
    t = np.asarray(t_s, dtype=np.float64)
    phase = 2.0 * np.pi * (t - warmest_s_of_day) / 86400.0
    out: npt.NDArray[np.float64] = mean_c + swing_c * np.cos(phase) + np.asarray(
        offset_c, dtype=np.float64)
    return out


@dataclass(frozen=True)
class DeltaTemperatureRule:
    """Report-on-change rule: ``delta_pct`` [%] of the span ``range_min_c..range_max_c`` [°C]."""

    delta_pct: float = 1.0
    range_min_c: float = -30.0
    range_max_c: float = 70.0
    resolution_c: float = 0.01

    def __post_init__(self) -> None:
        if self.range_max_c <= self.range_min_c:
            raise InputError("range_max_c must be above range_min_c", where="range_max_c")
        if not 0 < self.delta_pct <= 100 or self.resolution_c <= 0:
            raise InputError("delta_pct must be in (0, 100] and resolution_c positive",
                             where="delta_pct")

    @property
    def threshold_c(self) -> float:
        """The reporting threshold [K]: 1.0 for the defaults."""
        return self.delta_pct / 100.0 * (self.range_max_c - self.range_min_c)

    @property
    def threshold_counts(self) -> int:
        """The threshold in sensor counts (of ``resolution_c``)."""
        return round(self.threshold_c / self.resolution_c)

    def counts(self, temperature_c: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Readings [°C] as integer sensor counts."""
        t = np.asarray(temperature_c, dtype=np.float64)
        if np.any(~np.isfinite(t)):
            raise InputError("temperature readings must be finite", where="temperature_c")
        return np.rint(t / self.resolution_c).astype(np.int64)

    def should_report(self, temperature_c: float, last_reported_c: float | None) -> bool:
        """Whether a reading [°C] is an event, given the last reported one (None: never)."""
        if last_reported_c is None:
            return True
        now, ref = self.counts([temperature_c, last_reported_c])
        return bool(abs(int(now) - int(ref)) >= self.threshold_counts)


def delta_report_mask(samples_c: npt.ArrayLike, rule: DeltaTemperatureRule,
                      last_reported_c: npt.ArrayLike | None = None) -> npt.NDArray[np.bool_]:
    """Which samples [°C] are reported, for many MDTs at once.

    ``samples_c`` is ``(m,)`` for one MDT or ``(n, m)`` for ``n`` MDTs (time along the last
    axis); ``last_reported_c`` per MDT (NaN or None: nothing reported yet).  The reference moves
    only when a sample is reported, so time is walked step by step, vectorised across MDTs.
    """
    s = np.asarray(samples_c, dtype=np.float64)
    one = s.ndim == 1
    s2 = s.reshape(1, -1) if one else s
    q = rule.counts(s2)
    n, m = q.shape
    ref = np.zeros(n, np.int64)
    have = np.zeros(n, bool)
    if last_reported_c is not None:
        last = np.broadcast_to(np.asarray(last_reported_c, dtype=np.float64), (n,))
        have = np.isfinite(last)
        ref[have] = rule.counts(last[have])
    out = np.zeros((n, m), bool)
    thr = rule.threshold_counts
    for j in range(m):
        col = q[:, j]
        hit = ~have | (np.abs(col - ref) >= thr)
        out[:, j] = hit
        ref = np.where(hit, col, ref)
        have |= hit
    return out[0] if one else out
