"""Benchmark of the commissioning tool's page of a 1,000-MDT site.

A SQLite store in a temporary directory holds one site: a DCAP, 40 repeaters and 1,000 MDTs,
each with a status (parent, margin, RSSI) and a position, and 7 days of 15-minute intervals
per MDT (672,000 rows; 3 days with ``--quick``).  The figure is the time of
``GET /cit?site=…`` through the ASGI app in process (session cookie, store reads, the device
table with its ratios, the checklist, the SVG map, the template), p50 over ``REQUESTS``
requests; the same-run baseline is the bare store reads the page needs (devices, statuses,
positions, interval counts per meter and window), interleaved.  Goal: ratio ≤ 3 (the page's
own work, mostly the 1,041-row table and the map, within twice its reads).  The browser
side (parsing and layout) is measured by ``tests/web/test_web_browser.py`` (docs/cit.md).
Run with ``python -m bench cit``.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from bench.timing import Result, interleaved_s, time_result
from openamr.headend.api import create_app
from openamr.headend.auth import issue_token
from openamr.headend.store import IntervalBatch, Meter, Site, Store, open_store
from openamr.headend.store.base import Device, DevicePosition, DeviceStatus
from openamr.web import mount_web
from openamr.web.session import COOKIE

MDTS = 1000
REPEATERS = 40
REQUESTS = 20
WARMUP = 3
GOAL_RATIO = 3.0
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def make_store(path: str, days: int) -> tuple[Store, str, int]:
    """The site; returns (store, installer token, now_s)."""
    store = open_store(path)
    now = T0 + days * 86_400 + 600
    store.upsert_site(Site("s-1", "bench", "America/Los_Angeles"))
    rng = np.random.default_rng(20261203)
    relays = [f"{i:016x}" for i in range(REPEATERS + 1)]
    positions = []
    statuses = []
    with store.transaction():
        for i, eui in enumerate(relays):
            role = "dcap" if i == 0 else "repeater"
            store.upsert_device(Device(eui, role, "s-1", installed_s=T0))
            positions.append(DevicePosition(eui, "s-1", "DCAP-1" if i == 0 else f"REP-{i:03d}",
                                            i % 10, 5.0 + i, 5.0, "open"))
            if i:
                statuses.append(DeviceStatus(eui, now - 300, parent_id=relays[0], hops=1,
                                             rssi_dbm=-70, link_margin_db=40.0,
                                             joined_s=T0 + 30 * i))
        starts = np.arange(T0, T0 + days * 86_400, 900, dtype=np.int64)
        for j in range(MDTS):
            eui = f"{0x1000 + j:016x}"
            meter = f"M-{j:04d}"
            store.upsert_meter(Meter(meter, "s-1", eui))
            store.upsert_device(Device(eui, "mdt", "s-1", meter, installed_s=T0))
            positions.append(DevicePosition(eui, "s-1", meter, j % 10, float(j % 50),
                                            float(j // 50), "open"))
            margin = float(rng.uniform(5.0, 45.0))
            statuses.append(DeviceStatus(eui, now - int(rng.integers(0, 4000)),
                                         parent_id=relays[1 + j % REPEATERS], hops=2,
                                         rssi_dbm=int(-110 + margin), link_margin_db=margin,
                                         etx=1.1, battery_mv=3000, battery_remaining_mah=1900,
                                         joined_s=T0 + 1300 + j))
            keep = rng.random(starts.size) > 0.01
            store.put_intervals(IntervalBatch(meter, starts[keep],
                                              np.full(int(keep.sum()), 10.0)))
        store.put_device_positions(positions)
        store.put_device_statuses(statuses)
    token = issue_token(store, "installer", "bench", now).secret
    store.close()
    return open_store(path), token, now


def _reads(store: Store, now: int) -> None:
    """What the page reads from the store (the baseline)."""
    devices = store.list_devices(site_id="s-1")
    store.list_device_status(site_id="s-1")
    store.list_device_positions(site_id="s-1")
    ids = [d.meter_id for d in devices if d.meter_id]
    end = now - now % 900
    store.interval_counts(ids, [(end - 86_400, end), (end - 7 * 86_400, end),
                                (end - 86_400, end), (end - 3 * 86_400, end)])


async def _samples(store: Store, token: str, now: int) -> tuple[list[float], list[float]]:
    app = create_app(store, clock=lambda: now, freeze_gc=False)
    mount_web(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench", cookies={COOKIE: token}) as client:
        first = await client.get("/cit", params={"site": "s-1"})
        assert first.status_code == 200, first.text[:500]
        assert first.text.count('<g class="dev"') == MDTS + REPEATERS + 1
        print(f"page: {len(first.content) / 1e6:.2f} MB HTML, {MDTS + REPEATERS + 1} devices")
        async def page() -> None:
            r = await client.get("/cit", params={"site": "s-1"})
            assert r.status_code == 200

        return await interleaved_s(lambda: _reads(store, now), page, samples=REQUESTS,
                                   warmup=WARMUP)


def main(quick: bool = False) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        store, token, now = make_store(str(Path(tmp) / "cit.db"), 3 if quick else 7)
        print(f"store of {MDTS} MDTs built in {time.perf_counter() - t0:.1f} s")
        try:
            reads_s, page_s = asyncio.run(_samples(store, token, now))
        finally:
            store.close()
    page = float(np.median(page_s))
    reads = float(np.median(reads_s))
    result = time_result("cit page, 1,000 MDTs (p50)", page, reads, unit="ms", goal=GOAL_RATIO)
    print(f"CIT page p50 {page * 1e3:.1f} ms, its store reads {reads * 1e3:.1f} ms: "
          f"{result.ratio:.1f}x (goal <= {GOAL_RATIO:g}x)")
    return [result]
