"""Where billing reads its data: the ONE door to the store's interval data and register reads.

:func:`read_usage` reads many meters' intervals onto one 15-minute grid through VEE's validated
view (:func:`openamr.headend.vee.view.validated_intervals`: the raw values with estimates and
edits laid over them, raw data never changed), so bills use and flag VEE's estimates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.billing.bill import RegisterRead
from openamr.errors import InputError
from openamr.headend.store.base import Store
from openamr.headend.vee.view import validated_intervals
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["REGISTER_LOOKBACK_S", "MeterUsage", "read_usage", "register_reads"]

REGISTER_LOOKBACK_S = 35 * 86_400
"""An opening or closing register read is the latest within this span before the instant
(the MDT's 35-day buffer)."""

@dataclass(frozen=True, eq=False)
class MeterUsage:
    """Many meters' intervals on one grid: row ``m`` is ``meter_ids[m]``."""

    meter_ids: tuple[str, ...]
    start_s: npt.NDArray[np.int64]
    """Interval starts [UTC epoch s], every 900 s."""
    energy_wh: npt.NDArray[np.float64]
    """``(meters, intervals)`` energy [Wh]; NaN where no value is stored."""
    estimated: npt.NDArray[np.bool_]
    """``(meters, intervals)``: the value is an estimate, not a measurement."""


def read_usage(store: Store, meter_ids: Sequence[str], start_s: int, end_s: int, *,
               site_id: str | None = None) -> MeterUsage:
    """The meters' intervals in ``[start_s, end_s)`` (an unknown meter is an ``InputError``);
    ``site_id`` qualifies ids that several sites use."""
    for meter_id in meter_ids:
        if store.get_meter(meter_id, site_id=site_id) is None:
            raise InputError(f"no meter {meter_id!r} in the store", where="--meter")
    if not meter_ids:
        starts = np.arange(start_s, end_s, INTERVAL_LENGTH_S, dtype=np.int64)
        return MeterUsage((), starts, np.zeros((0, starts.size)),
                          np.zeros((0, starts.size), dtype=bool))
    view = validated_intervals(store, list(meter_ids), start_s, end_s, site_id=site_id)
    return MeterUsage(tuple(meter_ids), view.start_s, view.energy_wh, view.estimated)


def _latest(store: Store, meter_id: str, t_s: int,
            site_id: str | None) -> tuple[float | None, int | None]:
    reads = store.get_register_reads(meter_id, t_s - REGISTER_LOOKBACK_S, t_s + 1,
                                     site_id=site_id)
    if len(reads) == 0:
        return None, None
    return float(reads.register_wh[-1]), int(reads.t_s[-1])


def register_reads(store: Store, meter_id: str, start_s: int, end_s: int, *,
                   site_id: str | None = None) -> RegisterRead:
    """Opening (at or before ``start_s``) and closing (at or before ``end_s``) reads."""
    opening_wh, opening_s = _latest(store, meter_id, start_s, site_id)
    closing_wh, closing_s = _latest(store, meter_id, end_s, site_id)
    return RegisterRead(meter_id, opening_wh, opening_s, closing_wh, closing_s)
