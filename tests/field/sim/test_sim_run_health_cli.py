"""``openamr sim run`` of a generated site for a day: every joined MDT in ``/api/v1/devices``
has its health filled from its STATUS frames, and the daily CSV's health columns are filled."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import anyio
import httpx

from openamr.headend.api import create_app
from openamr.headend.auth import issue_token
from openamr.headend.export.csv_daily import export_daily_csv
from openamr.headend.store import open_store

START_S = 1_767_225_600  # 2026-01-01T00:00:00Z


async def _get(app: object, url: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(url, headers=headers)


def test_a_day_of_a_generated_site_fills_every_joined_mdts_health(sim_run_cli) -> None:
    _, db = sim_run_cli(12, 2, 3)
    with open_store(str(db)) as store:
        secret = issue_token(store, "read-only", "test", START_S).secret
        app = create_app(store, clock=lambda: START_S + 2 * 86400)
        resp = anyio.run(_get, app, "/api/v1/devices?role=mdt&limit=1000",
                         {"Authorization": f"Bearer {secret}"})
        assert resp.status_code == 200, resp.text
        mdts = resp.json()["devices"]
        assert len(mdts) == 12
        for dev in mdts:
            for key in ("last_heard", "parent_id", "rssi_dbm", "hops", "battery_mv"):
                assert dev[key] is not None, (dev["device_id"], key)
        day = datetime.fromtimestamp(START_S, UTC).date()
        rows = list(csv.DictReader(io.StringIO(export_daily_csv(store, day))))
    assert len(rows) == 12
    for row in rows:
        for column in ("rssi_dbm", "link_margin_db", "hops", "battery_mv", "parent_id",
                       "last_heard"):
            assert row[column] not in ("", None), (row.get("meter_id"), column)
