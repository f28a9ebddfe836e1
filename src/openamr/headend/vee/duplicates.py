"""Duplicates with different values: intervals the head-end received twice, differently.

The store keeps one row per ``(meter, interval start)``: the same value again is a no-op, and a
different value keeps the first and records a rejection ``conflict`` (Oracle's "Duplicate IMD
Check": keep the first, flag the conflicting ones).  VEE reads those rejections back so the
kept value is marked ``failed_validation`` (rule ``vee.duplicate``): someone sent another value
for it, and a person should decide which is right (an edit).
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.headend.store.base import Store
from openamr.timeutil import epoch_s, parse_utc

__all__ = ["CONFLICT_DETAIL", "conflicting_intervals"]

CONFLICT_DETAIL = re.compile(r"^meter (?P<meter>.+) interval (?P<start>\S+): stored \S+ Wh kept, "
                             r"refused \S+ Wh$")
"""The detail the store writes for a conflicting interval (``SqlStore._put_with_duplicates``)."""

REJECTIONS_READ_MAX = 1_000_000
"""Conflict rejections read per run at most (the newest)."""


def conflicting_intervals(store: Store) -> dict[str, npt.NDArray[np.int64]]:
    """Meter id -> starts [UTC epoch s] of the intervals that were received with a different
    value than the one stored (sorted, unique)."""
    found: dict[str, set[int]] = {}
    for row in store.list_rejections(limit=REJECTIONS_READ_MAX, reason="conflict"):
        match = CONFLICT_DETAIL.match(row.detail)
        if match is None:
            continue
        try:
            start_s = epoch_s(parse_utc(match["start"]))
        except InputError:
            continue
        found.setdefault(match["meter"], set()).add(start_s)
    return {m: np.array(sorted(s), dtype=np.int64) for m, s in found.items()}
