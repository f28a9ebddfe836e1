"""Key performance indicators of a run: joins, read success, hops, links, battery.

* ``join_time_s``: per role, time from power-up to first join [s] (p50, max) over joined nodes;
* ``intervals_expected``: intervals closed by the MDTs that were on, up to the end of the
  simulated days; ``intervals_delivered``: those that reached the DCAP;
* ``read_success_24h_ratio`` / ``_72h_ratio``: share of expected intervals that reached the
  DCAP within 24 h / 72 h of their end (mesh.md §2.6: 99.5 % / 98.5 % targets);
* ``hops``: mean and max hops of joined MDTs; ``links``: delivery ratio (frames link-ACKed /
  frames sent) and margin [dB] of the parent links in use, uplink direction (an MDT's +10 dBm
  reaches its parent 10 dB weaker than the parent's +20 dB beacons reach it);
* ``never_joined``: ids (as in the site file) of the repeaters and MDTs that never joined;
* ``battery_projection_years``: p50 and min over MDTs of the life a full battery gives at the
  average current drawn so far (radio, LED and the sleep floor only: self-discharge and the
  FHSS synchronisation overhead are not modelled, so a healthy MDT projects decades).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from openamr.field.mesh.mdt_node import MdtNode
from openamr.field.mesh.repeater import Repeater
from openamr.units import INTERVAL_LENGTH_S

if TYPE_CHECKING:
    from openamr.field.sim.runner import SimRun

__all__ = ["summarise"]


def _p50_max(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "max": None}
    arr = np.asarray(values)
    return {"p50": round(float(np.median(arr)), 1), "max": round(float(arr.max()), 1)}


def summarise(run: SimRun) -> dict[str, Any]:
    """The JSON-ready summary of a finished run."""
    net = run.net
    mdts = [n for n in net.nodes if isinstance(n, MdtNode)]
    reps = [n for n in net.nodes if isinstance(n, Repeater)]
    join = {
        "repeater": _p50_max([n.joined_s - n.powered_s for n in reps
                              if n.joined_s is not None and n.powered_s is not None]),
        "mdt": _p50_max([n.joined_s - n.powered_s for n in mdts
                         if n.joined_s is not None and n.powered_s is not None]),
    }
    end_k = int(run.end_s // INTERVAL_LENGTH_S)
    expected = delivered = ok24 = ok72 = 0
    for m in mdts:
        if m.powered_s is None or m.powered_s > run.end_s:
            continue
        n = max(0, min(end_k - m.first_interval, m.delivered_s.size))
        if n == 0:
            continue
        ends = (np.arange(m.first_interval, m.first_interval + n) + 1) * INTERVAL_LENGTH_S
        d = m.delivered_s[:n]
        expected += n
        delivered += int(np.isfinite(d).sum())
        ok24 += int((d - ends <= 86400).sum())
        ok72 += int((d - ends <= 3 * 86400).sum())
    joined_mdts = [m for m in mdts if m.joined]
    hops = [m.hops for m in joined_mdts]
    ratios, margins = [], []
    sens = net.medium.sensitivity_dbm
    for node in net.nodes:
        if node.parent is None:
            continue
        st = node.link_stats.get(node.parent)
        if st and st[2]:
            ratios.append(st[1] / st[2])
        r = net.medium.rssi_dbm(node.idx, node.parent)
        if r is not None:
            margins.append(r - sens)
    batt = [m.battery_projection_years() for m in mdts if m.powered_s is not None]
    specs = run.scenario.nodes
    never = [specs[n.idx].id for n in [*reps, *mdts] if n.joined_s is None]
    return {
        "mdts": len(mdts),
        "repeaters": len(reps),
        "days": round(run.end_s / 86400, 6),
        "joined": {"repeater": sum(1 for r in reps if r.joined),
                   "mdt": len(joined_mdts)},
        "join_time_s": join,
        "intervals_expected": expected,
        "intervals_delivered": delivered,
        "read_success_24h_ratio": round(ok24 / expected, 6) if expected else None,
        "read_success_72h_ratio": round(ok72 / expected, 6) if expected else None,
        "hops": {"mean": round(float(np.mean(hops)), 3) if hops else None,
                 "max": int(max(hops)) if hops else None},
        "links": {
            "count": len(margins),
            "delivery_ratio_p50": round(float(np.median(ratios)), 4) if ratios else None,
            "delivery_ratio_min": round(float(min(ratios)), 4) if ratios else None,
            "margin_db_p50": round(float(np.median(margins)), 1) if margins else None,
            "margin_db_min": round(float(min(margins)), 1) if margins else None,
        },
        "battery_projection_years": {
            "p50": round(float(np.median(batt)), 2) if batt else None,
            "min": round(float(min(batt)), 2) if batt else None,
        },
        "never_joined": never,
        "frames_delivered": net.delivered_frames,
        "duplicates_dropped": sum(n.dedup.dropped for n in net.nodes),
        "events": run.kernel.events,
        "wall_s": round(run.wall_s, 3),
    }
