"""Where billing reads its data: the ONE door to the store's interval data and register reads.

:func:`read_usage` reads the stored (raw) intervals of many meters onto one 15-minute grid.
When the VEE's validated view (``openamr.headend.vee``) is available, this is the single
function to switch to it (``validated_intervals``), so bills use estimates and edits and flag
them; until then estimated intervals are those the store marks ``estimated``.
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

__all__ = ["REGISTER_LOOKBACK_S", "MeterUsage", "read_raw_usage", "read_usage", "register_reads"]

REGISTER_LOOKBACK_S = 35 * 86_400
"""An opening or closing register read is the latest within this span before the instant
(the MDT's 35-day buffer)."""

_ESTIMATED = frozenset({"estimated", "estimated_linear", "estimated_like_day", "derived"})


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


def read_usage(store: Store, meter_ids: Sequence[str], start_s: int, end_s: int) -> MeterUsage:
    """The meters' intervals in ``[start_s, end_s)`` (an unknown meter is an ``InputError``)."""
    for meter_id in meter_ids:
        if store.get_meter(meter_id) is None:
            raise InputError(f"no meter {meter_id!r} in the store", where="--meter")
    if meter_ids:
        view = validated_intervals(store, list(meter_ids), start_s, end_s)
        return MeterUsage(tuple(meter_ids), view.start_s, view.energy_wh, view.estimated)
    return read_raw_usage(store, meter_ids, start_s, end_s)


def read_raw_usage(store: Store, meter_ids: Sequence[str], start_s: int,
                   end_s: int) -> MeterUsage:
    """The stored raw intervals on the grid (no VEE overlay)."""
    starts = np.arange(start_s, end_s, INTERVAL_LENGTH_S, dtype=np.int64)
    energy = np.full((len(meter_ids), starts.size), np.nan)
    estimated = np.zeros((len(meter_ids), starts.size), dtype=bool)
    for row, meter_id in enumerate(meter_ids):
        arrays = store.get_intervals(meter_id, start_s, end_s)
        cols = (arrays.start_s - start_s) // INTERVAL_LENGTH_S
        energy[row, cols] = arrays.energy_wh
        if arrays.quality.size:
            estimated[row, cols] = np.isin(arrays.quality, list(_ESTIMATED))
    return MeterUsage(tuple(meter_ids), starts, energy, estimated)


def _latest(store: Store, meter_id: str, t_s: int) -> tuple[float | None, int | None]:
    reads = store.get_register_reads(meter_id, t_s - REGISTER_LOOKBACK_S, t_s + 1)
    if len(reads) == 0:
        return None, None
    return float(reads.register_wh[-1]), int(reads.t_s[-1])


def register_reads(store: Store, meter_id: str, start_s: int, end_s: int) -> RegisterRead:
    """Opening (at or before ``start_s``) and closing (at or before ``end_s``) reads."""
    opening_wh, opening_s = _latest(store, meter_id, start_s)
    closing_wh, closing_s = _latest(store, meter_id, end_s)
    return RegisterRead(meter_id, opening_wh, opening_s, closing_wh, closing_s)
