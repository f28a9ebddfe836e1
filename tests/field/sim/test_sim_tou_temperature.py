"""TOU and temperature end to end against the real head-end: a week across a DST change in a
real zone, the head-end's TOU_SCHEDULE applied by the simulated MDTs, TOU registers per period
served by the API; the temperature of a D02 in every interval, served too."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from urllib.parse import quote

import anyio
import httpx
import numpy as np

from openamr.field.mesh.mdt_node import MdtNode
from openamr.field.site.generate import generate_site
from openamr.headend.api import create_app
from openamr.headend.auth import issue_token
from openamr.headend.tou import set_site_tou
from openamr.timeutil import site_zone

ZONE = "America/New_York"
START_UTC = "2026-03-06T05:00:00Z"  # Friday 00:00 EST; DST starts Sunday 2026-03-08 02:00
TOU = {"default": "off_peak",
       "periods": [{"name": "on_peak", "start": "16:00", "end": "21:00", "days": "weekdays"}]}
DAYS = 6.0


async def _get(app: object, url: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(url, headers=headers)


def _on_peak(start_s: int) -> bool:
    local = datetime.fromtimestamp(start_s, site_zone(ZONE))
    return local.weekday() < 5 and 16 <= local.hour < 21


def test_tou_registers_per_period_across_dst_and_temperature_served(site_mesh) -> None:
    base = generate_site(3, 1, 1, seed=8, time_zone=ZONE, start_utc=START_UTC)
    meters = (dataclasses.replace(base.meters[0], model="MMSMT-D02"), *base.meters[1:])
    site = dataclasses.replace(base, meters=meters)
    run, he, sc = site_mesh(site, DAYS)
    set_site_tou(he.store, site.site_id, TOU, where="tou", updated_s=sc.epoch_s)
    he.ingest.refresh()
    run.run(DAYS)
    end_s = sc.epoch_s + int(DAYS * 86400)
    assert he.rejected == {}
    for node in run.nodes:
        if not isinstance(node, MdtNode):
            continue
        assert node.tou_schedules >= 1  # the head-end sent it; re-sent before it ran out
        meter_id = he.meter_of[node.eui]
        rows = he.interval_rows(node.eui)
        energy = dict(zip(rows.start_s.tolist(), rows.energy_wh.tolist(), strict=True))
        flags = dict(zip(rows.start_s.tolist(), rows.flags.tolist(), strict=True))
        # after the first day no interval is TOU_STALE any more
        later = [s for s in flags if sc.epoch_s + 86400 <= s < end_s]
        assert later
        assert not any(flags[s] & 0x40 for s in later)
        # between two TOU register reads, each register grew by its period's energy, the
        # periods taken in local time on both sides of the DST change
        reads = he.store.get_tou_register_reads(meter_id)
        times = sorted(set(reads.t_s.tolist()))
        t_a = next(t for t in times if t >= sc.epoch_s + 86400)
        t_b = max(t for t in times if t <= end_s)
        assert t_b - t_a > 3 * 86400  # the span crosses Sunday 8 March
        by = {(int(t), int(k)): w for t, k, w in zip(reads.t_s, reads.register_index,
                                                      reads.register_wh, strict=True)}
        span = [s for s in energy if t_a <= s < t_b]
        on_wh = sum(energy[s] for s in span if _on_peak(s))
        off_wh = sum(energy[s] for s in span if not _on_peak(s))
        assert by[(t_b, 1)] - by[(t_a, 1)] == on_wh > 0
        assert by[(t_b, 0)] - by[(t_a, 0)] == off_wh > 0
    # the API serves tou_wh by period name, and the D02's temperature on every interval
    d02 = next(n for n in run.nodes if isinstance(n, MdtNode) and n.model == "MMSMT-D02")
    meter_id = he.meter_of[d02.eui]
    secret = issue_token(he.store, "read-only", "test", sc.epoch_s).secret
    app = create_app(he.store, clock=lambda: end_s + 86400)
    auth = {"Authorization": f"Bearer {secret}"}
    regs = anyio.run(_get, app, f"/api/v1/meters/{meter_id}/registers?limit=1000", auth)
    assert regs.status_code == 200, regs.text
    tou_reads = [r["tou_wh"] for r in regs.json()["reads"] if r.get("tou_wh")]
    assert tou_reads
    assert set(tou_reads[-1]) == {"off_peak", "on_peak"}
    zone = site_zone(ZONE)
    day_start = datetime(2026, 3, 8, tzinfo=zone)  # the 23-hour day
    day_end = datetime(2026, 3, 9, tzinfo=zone)
    url = (f"/api/v1/meters/{meter_id}/intervals?start={quote(day_start.isoformat())}"
           f"&end={quote(day_end.isoformat())}&limit=1000")
    ivs = anyio.run(_get, app, url, auth)
    assert ivs.status_code == 200, ivs.text
    temps = [i["temperature_c"] for i in ivs.json()["intervals"]]
    assert len(temps) == 92  # Sunday 8 March in New York has 23 hours
    assert all(t is not None and 15.0 < t < 27.0 for t in temps)
    assert float(np.std(temps)) > 0.1
