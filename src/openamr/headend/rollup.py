"""Roll-ups of 15-minute interval energy into hourly, daily and monthly buckets of local time.

Pure and vectorised: interval starts [UTC epoch s] and energies [Wh] in, one row per bucket out.
Buckets are the civil periods of the site's time zone (edges from
:func:`openamr.timeutil.local_period_edges_s`), so a spring-forward day has 92 quarter-hours, a
fall-back day 100, and the repeated local hour is two hourly buckets.  Each bucket says how many
intervals it should hold (``intervals_expected``) and how many it holds (``intervals_present``):
a bucket with gaps is reported with the energy that is there, never scaled up, and a bucket
with no interval at all has no energy (``NaN``; ``null`` in JSON, an empty CSV cell), so a gap
is never mistaken for zero use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.timeutil import Period, local_period_edges_s, site_zone
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["PERIODS", "Rollup", "bucket_sums", "rollup"]

PERIODS: tuple[Period, ...] = ("hourly", "daily", "monthly")


@dataclass(frozen=True)
class Rollup:
    """One row per bucket ``[start_s[i], end_s[i])`` (numpy arrays of equal length).

    ``start_s``/``end_s`` [UTC epoch s], ``energy_wh`` [Wh] summed over the intervals present
    (NaN when none is present),
    ``intervals_expected`` (the bucket's length / ``length_s``: 92/96/100 for a DST/ordinary day),
    ``intervals_present`` (intervals with a finite energy in the bucket).
    """

    period: Period
    timezone: str
    start_s: npt.NDArray[np.int64]
    end_s: npt.NDArray[np.int64]
    energy_wh: npt.NDArray[np.float64]
    intervals_expected: npt.NDArray[np.int64]
    intervals_present: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.start_s.size)


def bucket_sums(
    interval_start_s: npt.ArrayLike, energy_wh: npt.ArrayLike, edges_s: npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Energy [Wh] and count of finite intervals per bucket ``[edges[i], edges[i+1])``.

    Intervals outside the edges and non-finite energies (NaN) are ignored.
    """
    edges = np.asarray(edges_s, dtype=np.int64)
    starts = np.asarray(interval_start_s, dtype=np.int64)
    energy = np.asarray(energy_wh, dtype=np.float64)
    buckets = max(edges.size - 1, 0)
    if buckets == 0:
        return np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.int64)
    index = np.searchsorted(edges, starts, side="right") - 1
    keep = (index >= 0) & (index < buckets) & np.isfinite(energy)
    sums = np.bincount(index[keep], weights=energy[keep], minlength=buckets)
    counts = np.bincount(index[keep], minlength=buckets).astype(np.int64)
    return sums.astype(np.float64), counts


def rollup(
    interval_start_s: npt.ArrayLike,
    energy_wh: npt.ArrayLike,
    *,
    start_s: int,
    end_s: int,
    period: str,
    timezone: str,
    length_s: int = INTERVAL_LENGTH_S,
) -> Rollup:
    """Roll intervals up into the ``period`` buckets of ``timezone`` covering ``[start_s, end_s)``.

    The range is widened to whole local periods (the first bucket starts at the start of the
    period that contains ``start_s``).  ``period`` is ``hourly``, ``daily`` or ``monthly``;
    anything else is an ``InputError``.
    """
    if period not in PERIODS:
        raise InputError(f"unknown roll-up period {period!r} (use one of {', '.join(PERIODS)})",
                         where="period")
    zone = site_zone(timezone)
    edges = local_period_edges_s(start_s, end_s, zone, period, length_s)
    sums, counts = bucket_sums(interval_start_s, energy_wh, edges)
    return Rollup(
        period=period,
        timezone=timezone,
        start_s=edges[:-1],
        end_s=edges[1:],
        energy_wh=np.where(counts > 0, sums, np.nan),
        intervals_expected=(np.diff(edges) // length_s).astype(np.int64),
        intervals_present=counts,
    )
