"""Validation of interval records, vectorised: each record gets a reason code (0 = accepted).

Checks, in order (the first that fails names the reason):

=====================  ===================================================================
``unknown_meter``      the sending device reads no meter (not an MDT, or not mapped)
``time_out_of_range``  start not on the 900 s grid; interval ending later than the receive
                       time plus ``future_tolerance_s``; start before the device's install or
                       first join minus its buffer horizon
``energy_out_of_range`` energy above the meter's physical maximum ``max_power_w * 900 / 3600``
=====================  ===================================================================

Quality comes from the MDT's flags: ``PARTIAL`` or ``RATE_LIMITED`` → ``partial``;
``CLOCK_UNSYNCED`` or ``CLOCK_STEPPED`` → ``clock_unsynced``; otherwise ``measured``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from openamr.frames import RECORD_DTYPE
from openamr.headend.store.base import QUALITIES
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["RECORD_DTYPE", "REJECT_NAMES", "check_records", "quality_codes", "quality_names"]


OK, UNKNOWN_METER, TIME_OUT_OF_RANGE, ENERGY_OUT_OF_RANGE = 0, 1, 2, 3
REJECT_NAMES = ("", "unknown_meter", "time_out_of_range", "energy_out_of_range")
"""Reason code -> rejection reason."""

_PARTIAL = 0x02 | 0x08  # IntervalFlag.PARTIAL | RATE_LIMITED
_CLOCK = 0x01 | 0x10  # IntervalFlag.CLOCK_UNSYNCED | CLOCK_STEPPED
_QUALITY_NAMES = np.array(QUALITIES)


def check_records(meter_key: npt.NDArray[np.int64], start_s: npt.NDArray[np.int64],
                  energy_wh: npt.NDArray[np.float64], max_energy_wh: npt.NDArray[np.float64],
                  earliest_start_s: npt.NDArray[np.int64] | int,
                  latest_end_s: int) -> npt.NDArray[np.int8]:
    """A reason code per record (0: accepted; see :data:`REJECT_NAMES`).

    ``meter_key`` < 0 means no meter; ``max_energy_wh`` [Wh] per record;
    ``earliest_start_s`` / ``latest_end_s`` [UTC epoch s] bound the interval in time.
    """
    reason = np.zeros(len(start_s), dtype=np.int8)
    reason[energy_wh > max_energy_wh] = ENERGY_OUT_OF_RANGE
    bad_time = ((start_s % INTERVAL_LENGTH_S != 0) | (start_s + INTERVAL_LENGTH_S > latest_end_s)
                | (start_s < earliest_start_s))
    reason[bad_time] = TIME_OUT_OF_RANGE
    reason[meter_key < 0] = UNKNOWN_METER
    return reason


def quality_codes(flags: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Quality code (index into ``QUALITIES``) of each record from its MDT flags."""
    codes = np.zeros(len(flags), dtype=np.int64)
    codes[(flags & _CLOCK) != 0] = QUALITIES.index("clock_unsynced")
    codes[(flags & _PARTIAL) != 0] = QUALITIES.index("partial")
    return codes


def quality_names(codes: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """Quality names of codes."""
    names: npt.NDArray[np.str_] = _QUALITY_NAMES[codes]
    return names
