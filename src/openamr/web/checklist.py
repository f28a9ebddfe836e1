"""The commissioning checklist of the manual's §5.2 "Network Activation", from the stored state.

Steps, in the manual's order:

1. the DCAP, "the first device installed and powered";
2. the repeaters, "starting with the closest to the DCAP and progressing out to the one farthest
   from the DCAP", each one's join confirmed before the next (a repeater counts as joined when
   the head-end has accepted its join: ``joined_s``);
3. the MDTs, wired as in §5.1 (power: red to +12 VDC, black to counter; pulse input: green to
   terminal 10, black to ISOL COM; tamper: white and black to the micro-switch), each joined;
   one that has not delivered an interval one report period after joining gets a warning
   (check the pulse input and the load).

A step is ``done``, ``current`` (the first not done: what the installer does next) or ``todo``.
Warnings: a repeater that joined before its upstream (its parent, or a repeater nearer to the
DCAP) "may not turn on [its LED] to indicate that it has successfully joined"; a device in or
near metal (manual §1 and §5.2 "Placement").  Distances are 3-D between stored positions with
an assumed floor height of 3 m (the site file's default).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from openamr.headend.store.base import DeviceStatus
from openamr.web.health import DeviceHealth, HealthSettings

__all__ = ["FLOOR_HEIGHT_M", "MDT_WIRING", "Checklist", "ChecklistStep", "build_checklist"]

MDT_WIRING = ("§5.1 MDT wiring: power, red wire to meter terminal +12 VDC and black to terminal "
              "counter; meter pulse input, green wire to terminal 10 and black to ISOL COM; "
              "tamper switch, white and black to the micro-switch.")
"""The manual's §5.1 wiring, shown once above the MDT steps."""

FLOOR_HEIGHT_M = 3.0
"""Assumed floor height for distances between floors [m] (site-file default)."""

_METAL = {"metal_box": "inside a metal box", "metal_box_window": "inside a metal box (window)",
          "near_metal": "near a metal wall, furnace or electrical panel"}


@dataclass(frozen=True)
class ChecklistStep:
    """One thing the installer does, in order."""

    number: int
    device_id: str
    label: str
    role: str
    action: str
    """What to do (from the manual)."""
    state: str
    """``done`` | ``current`` | ``todo``."""
    warnings: tuple[str, ...] = ()
    distance_m: float | None = None
    """Straight-line distance to the DCAP [m] (repeaters' order)."""


@dataclass(frozen=True)
class Checklist:
    """The ordered steps and how far commissioning has come."""

    steps: tuple[ChecklistStep, ...]
    done: int
    current: int | None
    """Number of the current step (None when every step is done)."""


def _distance_m(a: DeviceHealth, b: DeviceHealth) -> float | None:
    if None in (a.x_m, a.y_m, a.floor, b.x_m, b.y_m, b.floor):
        return None
    dz = (float(a.floor or 0) - float(b.floor or 0)) * FLOOR_HEIGHT_M
    return math.hypot(float(a.x_m or 0) - float(b.x_m or 0),
                      float(a.y_m or 0) - float(b.y_m or 0), dz)


def _metal(h: DeviceHealth) -> tuple[str, ...]:
    where = _METAL.get(h.placement or "")
    return (f"{h.label} is mounted {where}: the manual says not to (§1, §5.2 Placement); "
            "expect a weak link",) if where else ()


def build_checklist(devices: Sequence[DeviceHealth], statuses: dict[str, DeviceStatus],
                    mdt_has_data: dict[str, bool], now_s: int,
                    settings: HealthSettings | None = None) -> Checklist:
    """The §5.2 checklist for one site's device table.

    ``statuses``: the stored status by device id (for ``joined_s``); ``mdt_has_data``: whether
    each MDT's meter has delivered at least one interval (by device id); ``now_s`` [UTC epoch
    s]: an MDT joined longer than one report period and upload ago without any interval gets a
    wiring warning.
    """
    hs = settings or HealthSettings()
    dcaps = [d for d in devices if d.role == "dcap"]
    repeaters = [d for d in devices if d.role == "repeater"]
    mdts = [d for d in devices if d.role == "mdt"]
    dcap = dcaps[0] if dcaps else None

    def joined_s(h: DeviceHealth) -> int | None:
        st = statuses.get(h.device_id)
        return st.joined_s if st is not None else None

    steps: list[tuple[DeviceHealth, str, bool, tuple[str, ...], float | None]] = []
    any_joined = any(joined_s(d) is not None for d in devices if d.role != "dcap")
    if dcap is not None:
        dcap_done = dcap.join_state != "not_heard" or any_joined
        steps.append((dcap, "Install and power the DCAP first (§5.2).", dcap_done, _metal(dcap),
                      0.0))
    dist = {r.device_id: (_distance_m(r, dcap) if dcap else None) for r in repeaters}
    repeaters.sort(key=lambda r: (math.inf if dist[r.device_id] is None else dist[r.device_id],
                                  r.label))
    for i, r in enumerate(repeaters):
        warns = list(_metal(r))
        t = joined_s(r)
        if t is not None:
            parent = next((d for d in devices if d.device_id == r.parent_id), None)
            pt = joined_s(parent) if parent is not None and parent.role == "repeater" else None
            if pt is not None and t < pt:
                upstream = parent.label if parent else ""
                warns.append(f"{r.label} joined before its upstream {upstream}: it was powered "
                             "before the repeater that links it to the backbone (§5.2: nearest "
                             "first)")
            else:
                nearer = [q for q in repeaters[:i] if (joined_s(q) or 0) > t]
                if nearer:
                    warns.append(f"{r.label} was powered before {nearer[0].label}, which is "
                                 "nearer to the DCAP (§5.2: nearest first)")
        action = (f"Power repeater {r.label} ({i + 1} of {len(repeaters)}, nearest first) and "
                  "confirm its join before the next.")
        steps.append((r, action, t is not None, tuple(warns), dist[r.device_id]))
    for m in sorted(mdts, key=lambda h: h.label):
        action = f"Wire MDT {m.label} as in §5.1, power it and watch it join."
        t = joined_s(m)
        done = t is not None
        mdt_warns = list(_metal(m))
        if (t is not None and not mdt_has_data.get(m.device_id, False)
                and now_s - t > hs.report_period_s + hs.upload_s):
            mdt_warns.append(f"{m.label} joined but no interval has arrived: check the pulse "
                             "input (green to terminal 10) and that the meter has load")
        steps.append((m, action, done, tuple(mdt_warns), None))

    out: list[ChecklistStep] = []
    current: int | None = None
    done_count = 0
    for n, (h, action, done, step_warns, d) in enumerate(steps, start=1):
        if done:
            state = "done"
            done_count += 1
        elif current is None:
            state = "current"
            current = n
        else:
            state = "todo"
        out.append(ChecklistStep(n, h.device_id, h.label, h.role, action, state, step_warns,
                                 None if d is None else round(d, 1)))
    return Checklist(tuple(out), done_count, current)
