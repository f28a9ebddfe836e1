"""Seed data of the dashboard tests: the simulated site, plus what today's simulator does not
store yet (parent links with RSSI and margin) written through the store's own API."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from click.testing import CliRunner

from openamr.cli import main
from openamr.headend.store import Store
from openamr.headend.store.base import DeviceStatus

#: where the browser tests keep their screenshots: docs/screenshots/ when
#: OPENAMR_SCREENSHOTS is set (to refresh the ones the docs show), else a temporary folder
SCREENSHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots"
               if os.environ.get("OPENAMR_SCREENSHOTS")
               else Path(tempfile.gettempdir()) / "openamr-screenshots")

#: margins [dB] cycled over the MDTs so the map has every band
MARGINS_DB = (35.0, 15.0, 6.0, 25.0)


@dataclass(frozen=True)
class SimSite:
    site_file: Path
    db: Path


def seed_statuses(store: Store) -> dict[str, float]:
    """Give every repeater the DCAP as parent and every MDT a repeater (or the DCAP) with a
    margin from :data:`MARGINS_DB`, keeping stored values the status frames did set.
    Returns the margin given to each device."""
    devices = store.list_devices()
    dcap = next(d for d in devices if d.role == "dcap")
    repeaters = [d for d in devices if d.role == "repeater"]
    relays = [dcap, *repeaters]
    stored = {s.device_id: s for s in store.list_device_status()}
    given: dict[str, float] = {}
    out: list[DeviceStatus] = []
    for i, d in enumerate(devices):
        if d.role == "dcap":
            continue
        current = stored.get(d.device_id)
        if current is None:
            continue
        if current.parent_id is not None and current.link_margin_db is not None:
            given[d.device_id] = current.link_margin_db
            continue
        parent = dcap if d.role == "repeater" else relays[i % len(relays)]
        margin = 40.0 if d.role == "repeater" else MARGINS_DB[i % len(MARGINS_DB)]
        hops = 1 if parent is dcap else 2
        out.append(replace(current, parent_id=parent.device_id, link_margin_db=margin,
                           rssi_dbm=int(-110 + margin), etx=1.0 + (30 - min(margin, 30)) / 30,
                           hops=hops))
        given[d.device_id] = margin
    store.put_device_statuses(out)
    return given


class WebClient:
    """A synchronous httpx client over the ASGI app, in process, redirects not followed, with
    a cookie jar (what a browser keeps between pages)."""

    def __init__(self, app: Any, portal: BlockingPortal) -> None:
        self._portal = portal
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://testserver", follow_redirects=False)
        self.cookies = self._client.cookies

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(lambda: self._client.get(url, **kwargs))

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(lambda: self._client.post(url, **kwargs))

    def close(self) -> None:
        self._portal.call(self._client.aclose)


def web_client(app: Any) -> Iterator[WebClient]:
    with start_blocking_portal() as portal:
        client = WebClient(app, portal)
        try:
            yield client
        finally:
            client.close()


def replay_until(src: Store, dst: Store, until_s: int) -> None:
    """Copy into ``dst`` what the head-end of ``src`` knew at ``until_s`` [UTC epoch s]: the
    site registration, the status of each device that had joined by then (heard last at its
    join or at ``until_s``), and the intervals of reports that had arrived (received by then)."""
    for site in src.list_sites():
        dst.upsert_site(site)
    for meter in src.list_meters():
        dst.upsert_meter(meter)
    for device in src.list_devices():
        dst.upsert_device(device)
    dst.put_device_positions(src.list_device_positions())
    statuses = []
    for st in src.list_device_status():
        if st.joined_s is None or st.joined_s > until_s:
            continue
        statuses.append(replace(st, last_heard_s=min(st.last_heard_s, until_s)))
    dst.put_device_statuses(statuses)
    for meter in src.list_meters():
        arr = src.get_intervals(meter.meter_id, None, None)
        # a report carries the intervals of the hour before it; an interval is known once it
        # has ended and its report (hourly) has arrived
        keep = arr.start_s + 900 + 3600 <= until_s
        if keep.any():
            from openamr.headend.store.base import IntervalBatch

            dst.put_intervals(IntervalBatch(meter.meter_id, arr.start_s[keep],
                                            arr.energy_wh[keep], received_s=until_s))


def simulate(tmp: Path, *, meters: int, floors: int, days: float, seed: int = 7,
             extra: tuple[str, ...] = ()) -> SimSite:
    """Generate a site and simulate it into a fresh SQLite store (through the CLI)."""
    runner = CliRunner()
    tmp.mkdir(parents=True, exist_ok=True)
    site_file = tmp / "site.toml"
    result = runner.invoke(main, ["site", "generate", "--meters", str(meters), "--floors",
                                  str(floors), "--seed", str(seed), "-o", str(site_file),
                                  *extra])
    assert result.exit_code == 0, result.output
    db = tmp / "head.db"
    result = runner.invoke(main, ["sim", "run", str(site_file), "--days", str(days), "--db",
                                  str(db), "--json"])
    assert result.exit_code == 0, result.output
    return SimSite(site_file, db)


def latest_heard_s(store: Store) -> int:
    return max(s.last_heard_s for s in store.list_device_status())


class LiveServer:
    """uvicorn serving ``app`` in a thread on a socket bound before the thread starts (so the
    first request simply waits in the listen backlog: no polling)."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()
