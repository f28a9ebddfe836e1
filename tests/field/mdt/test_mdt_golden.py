"""A scripted five hours of one MDT, diffed against a golden file.

The script (a TOU schedule with on-peak 01:00-03:00 UTC) turns a D02 on by its first pulse,
joins, syncs its clock (a 37 s step), opens the cover for a while, loses its parent, backs off,
rejoins, and shows a button tap.  The golden file pins the actions, LED patterns, interval
records and events.  Regenerate it after a deliberate change with
``OPENAMR_REGENERATE_GOLDEN=1 python -m pytest tests/field/mdt``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from openamr.field.mdt import Mdt, MdtClock, MdtEvent, TouSchedule

GOLDEN = Path(__file__).parent / "golden" / "mdt_five_hours.json"
T0_S = 1_767_225_600  # 2026-01-01T00:00:00Z


def run_script() -> dict[str, Any]:
    tou = TouSchedule.daily(("off_peak", "on_peak"), [(0, 0), (60, 1), (180, 0)],
                            utc_offset_s=0, from_s=T0_S, days=1)
    mdt = Mdt("MMSMT-D02", device_id="golden", temperature_source=lambda t: 19.25,
              clock=MdtClock(base_clock_s=T0_S - 37.0, drift_ppm=15.0), tou=tou)
    trace: list[dict[str, Any]] = []

    def note(t_s: float, what: str, actions: tuple[Any, ...]) -> None:
        trace.append({"sim_t_s": t_s, "what": what, "state": mdt.state.value,
                      "led": mdt.led_pattern(t_s),
                      "actions": [[a.kind, a.name, a.duration_s] for a in actions]})

    script: list[tuple[float, str]] = [
        (130.0, "beacon_heard"), (160.0, "join_ok"), (200.0, "sync"), (3000.0, "cover_open"),
        (4000.0, "cover_closed"), (9000.0, "parent_lost"), (9400.0, "beacon_heard"),
        (9430.0, "join_ok"), (10_000.0, "tap"),
    ]
    pulses = [100.0 + 45.0 * i for i in range(int((18_000.0 - 100.0) / 45.0))]
    steps = sorted([(t, "pulse") for t in pulses] + script)
    for t_s, what in steps:
        for name, due in sorted(mdt.timers.items(), key=lambda kv: kv[1]):
            if due <= t_s and name in mdt.timers:
                note(due, f"timer {name}", mdt.on_timer(name, due))
        if what == "pulse":
            actions = mdt.on_pulse(t_s)
            if actions:
                note(t_s, "first pulse", actions)
        elif what == "sync":
            step_s = mdt.on_time_sync(t_s, T0_S + t_s)
            note(t_s, f"sync step {step_s:.3f} s", ())
        elif what == "cover_open":
            note(t_s, "cover removed", mdt.on_cover(t_s, cover_open=True))
        elif what == "cover_closed":
            note(t_s, "cover replaced", mdt.on_cover(t_s, cover_open=False))
        elif what == "tap":
            note(t_s, "tap", mdt.on_button(t_s, held_s=0.3))
            note(t_s + 9.9, "led check", ())
        else:
            note(t_s, what, mdt.on_event(MdtEvent(what), t_s))
    mdt.tick(18_000.0)
    records = [{"seq": r.seq, "start_s": r.start_s, "energy_wh": r.energy_wh,
                "flags": int(r.flags), "tou_register": r.tou_register,
                "tou_register_wh": list(r.tou_register_wh),
                "temperature_c": None if math.isnan(r.temperature_c) else r.temperature_c}
               for r in mdt.unacknowledged().records()]
    events = [{"seq": e.seq, "t_s": e.t_s, "kind": e.kind, "value": e.value,
               "clock_synced": e.clock_synced} for e in mdt.pending_events()]
    return {"trace": trace, "records": records, "events": events, "total_wh": mdt.total_wh,
            "current_pulses": mdt.current_pulses}


def test_five_hours_of_one_mdt_match_the_golden_file() -> None:
    got = json.loads(json.dumps(run_script()))
    if os.environ.get("OPENAMR_REGENERATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert got["trace"] == expected["trace"]
    assert got["events"] == expected["events"]
    assert got["records"] == expected["records"]
    assert got["total_wh"] == expected["total_wh"]
    # the invariants the golden file must also satisfy
    assert sum(r["energy_wh"] for r in got["records"]) + 10 * got["current_pulses"] \
        == got["total_wh"]
    assert [r["seq"] for r in got["records"]] == list(range(len(got["records"])))
