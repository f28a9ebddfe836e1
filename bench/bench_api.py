"""Benchmark of the pull API: one meter-year of 15-minute intervals (35,040) in one response.

A SQLite store in a temporary directory holds one meter with every interval of 2026 in
America/Los_Angeles.  The figure is the latency of ``GET /api/v1/meters/m-1/intervals`` for
the whole year (JSON, admin token), through the ASGI app in process with ``httpx`` (request
parsing, token check, store query, rendering, response; the app's start-up lifespan runs
first, as under uvicorn), as p50 and p95 over ``REQUESTS``
requests after a warm-up.  The same-run baseline is the bare ``store.get_intervals`` call for
the same range, interleaved: the very call the route makes for a year that fits in one page
(``routes_data._first_intervals``: same meter, site and range, the same SQL); what the API adds
is the token, meter and site look-ups, the rendering and the ASGI round trip.  The ratio is
figure / baseline.  Goal: p95 ratio ≤ 1.3.  For
reference the same request is also timed through uvicorn on loopback (a real socket).
Run with ``python -m bench api``.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np
import orjson
import uvicorn

from bench.timing import Result, interleaved_s
from openamr.headend.api import create_app
from openamr.headend.api.bytecols import float_column, iso_utc_column, text_column
from openamr.headend.api.json_render import series_json
from openamr.headend.auth import issue_token
from openamr.headend.store import IntervalBatch, Meter, Site, Store, open_store
from openamr.timeutil import epoch_s, format_utc, site_zone

REQUESTS = 60
WARMUP = 5
GOAL_P95_RATIO = 1.3


def _percentiles_ms(samples_s: list[float]) -> tuple[float, float]:
    p50, p95 = np.percentile(np.asarray(samples_s) * 1e3, [50, 95])
    return float(p50), float(p95)


def make_store(path: str) -> tuple[Store, str, int, int]:
    """A store with one meter-year; returns (store, admin token, start_s, end_s)."""
    zone = site_zone("America/Los_Angeles")
    start_s = epoch_s(datetime(2026, 1, 1, tzinfo=zone))
    end_s = epoch_s(datetime(2027, 1, 1, tzinfo=zone))
    store = open_store(path)
    store.upsert_site(Site("s-1", "bench", "America/Los_Angeles"))
    store.upsert_meter(Meter("m-1", "s-1"))
    starts = np.arange(start_s, end_s, 900, dtype=np.int64)
    rng = np.random.default_rng(20261125)
    energy = np.round(rng.uniform(0.0, 400.0, starts.size) / 10.0) * 10.0
    store.put_intervals(IntervalBatch("m-1", starts, energy, source="import", received_s=end_s))
    token = issue_token(store, "admin", "bench", end_s).secret
    store.close()  # the last close checkpoints the WAL: read the year from the main file
    return open_store(path), token, start_s, end_s


async def _samples(store: Store, token: str, start_s: int,
                   end_s: int) -> tuple[list[float], list[float]]:
    """(bare store query, API request) times [s], interleaved so both see the same load."""
    app = create_app(store)
    headers = {"Authorization": f"Bearer {token}"}
    params = {"start": format_utc(start_s), "end": format_utc(end_s)}
    url = "/api/v1/meters/m-1/intervals"
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        first = await client.get(url, params=params, headers=headers)
        assert first.status_code == 200, first.text
        body = orjson.loads(first.content)
        assert len(body["intervals"]) == 35_040
        assert body["next"] is None
        print(f"response: {len(first.content) / 1e6:.2f} MB JSON, "
              f"{len(body['intervals'])} intervals")
        async def request() -> None:
            r = await client.get(url, params=params, headers=headers)
            assert r.status_code == 200

        return await interleaved_s(lambda: store.get_intervals("m-1", start_s, end_s,
                                                               site_id="s-1"), request,
                                   samples=REQUESTS, warmup=WARMUP)


def _uvicorn_samples(store: Store, token: str, start_s: int, end_s: int) -> list[float]:
    """API request times [s] through uvicorn on loopback (a real socket and HTTP/1.1)."""
    config = uvicorn.Config(create_app(store), host="127.0.0.1", port=0, log_level="warning",
                            lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        params = {"start": format_utc(start_s), "end": format_utc(end_s)}
        samples = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}",
                          headers={"Authorization": f"Bearer {token}"}) as client:
            for i in range(WARMUP + REQUESTS):
                t0 = time.perf_counter()
                r = client.get("/api/v1/meters/m-1/intervals", params=params)
                elapsed = time.perf_counter() - t0
                assert r.status_code == 200
                if i >= WARMUP:
                    samples.append(elapsed)
        return samples
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _render_samples(store: Store, start_s: int, end_s: int) -> list[float]:
    """Times [s] of building the JSON body from the stored arrays (no store, no HTTP)."""
    arrays = store.get_intervals("m-1", start_s, end_s)
    samples = []
    for i in range(WARMUP + REQUESTS):
        t0 = time.perf_counter()
        series_json({"meter_id": "m-1", "site_timezone": "America/Los_Angeles", "next": None},
                    "intervals", len(arrays),
                    [("start", iso_utc_column(arrays.start_s, quote=True)),
                     ("energy_wh", float_column(arrays.energy_wh, align="right")),
                     ("quality", text_column(arrays.quality, quote=True, pad=True))])
        if i >= WARMUP:
            samples.append(time.perf_counter() - t0)
    return samples


def main(quick: bool = False) -> list[Result]:
    # one meter-year is already small: --quick runs the same workload
    with tempfile.TemporaryDirectory() as tmp:
        store, token, start_s, end_s = make_store(str(Path(tmp) / "bench.db"))
        try:
            store_s, api_s = asyncio.run(_samples(store, token, start_s, end_s))
            loop50, loop95 = _percentiles_ms(_uvicorn_samples(store, token, start_s, end_s))
            render50, render95 = _percentiles_ms(_render_samples(store, start_s, end_s))
        finally:
            store.close()
    base50, base95 = _percentiles_ms(store_s)
    api50, api95 = _percentiles_ms(api_s)
    print(f"baseline store.get_intervals (35,040 rows): p50 {base50:.1f} ms, p95 {base95:.1f} ms")
    print(f"API GET intervals, one meter-year (JSON):   p50 {api50:.1f} ms, p95 {api95:.1f} ms "
          f"(goal p95 ratio <= {GOAL_P95_RATIO:g})")
    print(f"JSON rendering alone (from the arrays):    p50 {render50:.1f} ms, "
          f"p95 {render95:.1f} ms")
    print(f"same through uvicorn on loopback:          p50 {loop50:.1f} ms, p95 {loop95:.1f} ms")
    print(f"ratio API / bare store query: p50 {api50 / base50:.2f}, p95 {api95 / base95:.2f}; "
          f"API overhead over the query at p50: {api50 - base50:.1f} ms")
    return [Result("api: one meter-year of intervals, p95, vs the bare store query", api95, "ms",
                   base95, api95 / base95, GOAL_P95_RATIO),
            Result("api: one meter-year of intervals, p50, vs the bare store query", api50, "ms",
                   base50, api50 / base50)]


if __name__ == "__main__":
    main()
