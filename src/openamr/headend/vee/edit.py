"""Manual edits: a person sets an interval's validated value, with an audit trail.

The raw interval is never changed: the edit becomes the interval's ``vee_intervals`` row
(quality ``edited``, method ``manual``), which later VEE runs keep as good data, and a
``vee_edits`` row records who, when, why, the value before and the value after.
"""

from __future__ import annotations

import math

import numpy as np

from openamr.errors import InputError
from openamr.headend.store.base import Store
from openamr.headend.store.vee_rows import VeeEdit
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["current_value_wh", "edit_interval"]


def current_value_wh(store: Store, meter_id: str, start_s: int) -> float | None:
    """The validated value of one interval [Wh] (None: missing)."""
    key = store.meter_keys([meter_id])
    rows = store.get_vee_rows(key, start_s, start_s + 1)
    if len(rows):
        return float(rows.energy_wh[0])
    raw = store.get_intervals(meter_id, start_s, start_s + 1)
    return float(raw.energy_wh[0]) if len(raw) else None


def edit_interval(store: Store, meter_id: str, start_s: int, energy_wh: float, *, user: str,
                  reason: str, now_s: int) -> VeeEdit:
    """Set the validated value of ``meter_id``'s interval starting at ``start_s`` [UTC epoch s]
    to ``energy_wh`` [Wh]; returns the audit row.  ``InputError`` for an unknown meter, a start
    off the 900-s grid, a value that is not a finite number >= 0, or an empty reason."""
    if store.get_meter(meter_id) is None:
        raise InputError(f"unknown meter {meter_id!r}", where="meter_id")
    if int(start_s) % INTERVAL_LENGTH_S:
        raise InputError("start is not on the 15-minute grid (:00, :15, :30, :45 UTC)",
                         where="start")
    if not isinstance(energy_wh, int | float | np.floating) or not math.isfinite(energy_wh) \
            or energy_wh < 0:
        raise InputError(f"energy_wh {energy_wh!r} must be a finite number >= 0",
                         where="energy_wh")
    if not reason.strip():
        raise InputError("an edit needs a reason (it goes into the audit trail)",
                         where="reason")
    if not user.strip():
        raise InputError("an edit needs a user", where="user")
    with store.transaction():
        before = current_value_wh(store, meter_id, int(start_s))
        edit = VeeEdit(meter_id, int(start_s), float(energy_wh), user.strip(), reason.strip(),
                       int(now_s), before)
        edit_id = store.put_vee_edit(edit)
    return VeeEdit(edit.meter_id, edit.start_s, edit.after_wh, edit.user, edit.reason,
                   edit.edited_s, edit.before_wh, edit_id)
