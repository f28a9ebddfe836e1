"""A generated site's day through the simulator and the real ingest, diffed against a golden file.

The run pins what the simulator decides (every draw, hop and answer shows in the summary's
counts) and what the head-end stored (per meter: the intervals' count, energy and a digest of
every row, and the event codes).  The site (Chicago, from noon on 7 March 2026 across the
change to daylight saving time) has a meter outage, a tamper and a button hold, so the paths
beside the periodic report run too.  ``make test`` checks the file with the pure Python
modules and CI checks it again after ``make compile`` (``docs/performance.md``, "The compiled
simulator"): the two builds are held to the same results.  Regenerate it after a deliberate
change with ``OPENAMR_REGENERATE_GOLDEN=1 python -m pytest tests/field/sim/test_sim_golden.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from openamr.field.site.generate import generate_site
from openamr.field.site.model import Outage, Press, Tamper

GOLDEN = Path(__file__).parent / "golden" / "site_day.json"
H = 3600.0


def run_site(site_mesh: Any) -> dict[str, Any]:
    base = generate_site(24, 2, 1, seed=9, time_zone="America/Chicago",
                         start_utc="2026-03-07T18:00:00Z")
    m = [meter.id for meter in base.meters]
    site = dataclasses.replace(
        base, outages=(Outage(m[0], 5 * H, 2 * H),), tampers=(Tamper(m[1], 8 * H, 600.0),),
        presses=(Press(m[2], 10 * H, "hold"),))
    run, he, _ = site_mesh(site, 1.0)
    summary = run.run(1.0)
    summary.pop("wall_s")
    stored = {}
    for eui, meter_id in sorted(he.meter_of.items()):
        rows = he.interval_rows(eui)
        digest = hashlib.sha256(json.dumps(
            [rows.start_s.tolist(), rows.energy_wh.tolist(), rows.quality.tolist(),
             rows.flags.tolist()]).encode()).hexdigest()[:16]
        stored[meter_id] = {"intervals": len(rows.start_s),
                            "energy_wh": float(rows.energy_wh.sum()), "rows_sha256": digest,
                            "events": he.event_codes(eui)}
    return {"summary": summary, "stored": stored}


def test_a_sites_day_matches_the_golden_file(site_mesh) -> None:
    got = json.loads(json.dumps(run_site(site_mesh)))
    if os.environ.get("OPENAMR_REGENERATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert got["stored"] == expected["stored"]
    assert got["summary"] == expected["summary"]
