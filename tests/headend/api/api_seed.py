"""A seeded store and an in-process API client, shared by the API tests (see conftest.py).

The site is in America/Los_Angeles (so the DST days of 2026 — 8 March, 92 quarter-hours;
1 November, 100 — are in the data); meter ``m-1`` has every interval of 1 March to
30 November 2026 local time except a 4-interval gap, with energy 10 Wh per interval.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import numpy as np
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from openamr.headend.api import create_app
from openamr.headend.auth import ROLES, issue_token
from openamr.headend.store import (
    AlarmRow,
    Device,
    DeviceStatus,
    EventRow,
    IntervalBatch,
    Meter,
    Site,
    Store,
)
from openamr.timeutil import epoch_s, site_zone

LA = site_zone("America/Los_Angeles")
NOW_S = epoch_s(datetime(2026, 12, 1, 12, tzinfo=LA))
DATA_START_S = epoch_s(datetime(2026, 3, 1, tzinfo=LA))
DATA_END_S = epoch_s(datetime(2026, 12, 1, tzinfo=LA))
GAP_START_S = epoch_s(datetime(2026, 3, 10, 12, tzinfo=LA))
DCAP = "00000000000000d1"
MDT = "00000000000000a1"
REPEATER = "00000000000000b1"


def seed(store: Store) -> dict[str, str]:
    """Fill ``store`` with a small site; return a token secret per role."""
    store.upsert_site(Site("s-1", "Main building", "America/Los_Angeles"))
    store.upsert_site(Site("s-2", "Annex", "UTC"))
    store.upsert_meter(Meter("m-1", "s-1", MDT, "MMSMT-C02", 10.0))
    store.upsert_meter(Meter("m-2", "s-2", None, "MMSMT-C02", 100.0))
    store.upsert_device(Device(DCAP, "dcap", "s-1", None, "DCAP-1", "00" * 16, DATA_START_S))
    store.upsert_device(Device(REPEATER, "repeater", "s-1"))
    store.upsert_device(Device(MDT, "mdt", "s-1", "m-1", "MDT-3", "11" * 16, DATA_START_S))
    store.put_device_status(DeviceStatus(MDT, last_heard_s=NOW_S - 60, parent_id=REPEATER,
                                         rssi_dbm=-87, link_margin_db=12.5, battery_mv=3600,
                                         on_battery=False, joined_s=DATA_START_S))
    starts = np.arange(DATA_START_S, DATA_END_S, 900, dtype=np.int64)
    starts = starts[(starts < GAP_START_S) | (starts >= GAP_START_S + 3600)]
    store.put_intervals(IntervalBatch("m-1", starts, np.full(starts.size, 10.0), source="frame",
                                      received_s=NOW_S))
    store.put_register_reads("m-1", np.array([DATA_START_S, DATA_END_S]),
                             np.array([1000.0, 1000.0 + 10.0 * starts.size]))
    store.put_events([EventRow(MDT, "m-1", "tamper.cover_removed", DATA_START_S + 900, 1,
                               NOW_S),
                      EventRow(DCAP, None, "power.lost", DATA_START_S + 1800, 0, NOW_S)])
    store.raise_alarm(AlarmRow("alarm.tamper", MDT, "m-1", DATA_START_S + 900, "cover removed"))
    store.put_rejection("bad_mic", "udp:127.0.0.1:5000", NOW_S, "MIC mismatch", b"\x01\x02")
    return {role: issue_token(store, role, f"test {role}", NOW_S).secret for role in ROLES}


class ApiClient:
    """A synchronous httpx client over the ASGI app, in process (no sockets).

    (Starlette's TestClient warns that it is deprecated with httpx; this is the same idea:
    an ``httpx.AsyncClient`` on ``ASGITransport`` driven through an anyio blocking portal.)
    """

    def __init__(self, app: FastAPI, portal: BlockingPortal) -> None:
        self.app = app
        self._portal = portal
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://testserver")

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(lambda: self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def close(self) -> None:
        self._portal.call(self._client.aclose)


def api_client(store: Store) -> Iterator[ApiClient]:
    with start_blocking_portal() as portal:
        client = ApiClient(create_app(store, clock=lambda: NOW_S), portal)
        try:
            yield client
        finally:
            client.close()




def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
