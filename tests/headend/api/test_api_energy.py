"""Energy reports through the API: JSON, CSV, plots, roles and refusals (seeded store:
meter m-1 has 10 Wh per interval from 1 March 2026 in America/Los_Angeles, with a 4-interval
gap on 10 March)."""

from __future__ import annotations

import io

from api_seed import ApiClient
from PIL import Image

from openamr.headend.store import Store, Unit

Headers = dict[str, dict[str, str]]
URL = "/api/v1/meters/m-1/energy?from=2026-03-08&to=2026-03-10"


def test_meter_energy_json(client: ApiClient, headers: Headers) -> None:
    r = client.get(URL, headers=headers["read-only"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["subject"] == {"kind": "meter", "id": "m-1", "site_id": "s-1", "unit_id": None,
                               "meter_ids": ["m-1"]}
    assert [d["intervals_expected"] for d in body["daily"]] == [92, 96, 96]
    assert [d["intervals_present"] for d in body["daily"]] == [92, 96, 92]
    assert [d["energy_wh"] for d in body["daily"]] == [920.0, 960.0, 920.0]
    assert body["total"]["energy_wh"] == 2800.0
    assert body["peak_demand"]["demand_w"] == 40.0
    assert body["heatmap"]["columns"] == 96
    assert len(body["heatmap"]["energy_wh"]) == 3
    assert body["load_profile"]["weekday_power_w"][0] == 40.0
    assert body["previous_period"] == {"from": "2026-03-05", "to": "2026-03-07",
                                       "energy_wh": 2880.0, "change_wh": -80.0,
                                       "change_pct": round(-80.0 / 2880.0 * 100, 3)}
    assert body["similar_units"] is None
    assert body["similar_units_note"] == "the meter is not in a unit"


def test_unit_and_site_energy(client: ApiClient, headers: Headers, store: Store) -> None:
    store.upsert_unit(Unit("101", "s-1", ("m-1",), kind="apartment", floor_area_m2=55.0))
    r = client.get("/api/v1/units/101/energy?from=2026-03-08&to=2026-03-10",
                   headers=headers["billing"])
    assert r.status_code == 200
    assert r.json()["total"]["energy_wh"] == 2800.0
    assert r.json()["similar_units"]["peer_ids"] == []
    r = client.get("/api/v1/sites/s-1/energy?from=2026-03-08&to=2026-03-10",
                   headers=headers["admin"])
    assert r.status_code == 200
    assert r.json()["meters"] == [{"meter_id": "m-1", "unit_id": "101", "included": True,
                                   "energy_wh": 2800.0, "intervals_present": 280,
                                   "peak_demand_w": 40.0}]


def test_csv_and_plots(client: ApiClient, headers: Headers) -> None:
    r = client.get(URL + "&format=csv", headers=headers["billing"])
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[1].startswith("daily,2026-03-08,2026-03-08T08:00:00Z")
    assert client.get(URL + "&format=csv", headers=headers["read-only"]).status_code == 403
    r = client.get(URL + "&format=png&plot=heatmap", headers=headers["read-only"])
    assert r.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(r.content)).size == (800, 400)
    r = client.get(URL + "&format=svg&plot=profile", headers=headers["read-only"])
    assert r.headers["content-type"].startswith("image/svg+xml")


def test_refusals(client: ApiClient, headers: Headers) -> None:
    h = headers["admin"]
    assert client.get("/api/v1/meters/nope/energy?from=2026-03-08&to=2026-03-10",
                      headers=h).json()["error"]["code"] == "not_found.meter"
    assert client.get("/api/v1/sites/nope/energy?from=2026-03-08&to=2026-03-10",
                      headers=h).status_code == 404
    assert client.get("/api/v1/units/nope/energy?from=2026-03-08&to=2026-03-10",
                      headers=h).status_code == 404
    r = client.get("/api/v1/meters/m-1/energy?from=2026-03-10&to=2026-03-08", headers=h)
    assert r.status_code == 400
    assert "before" in r.json()["error"]["message"]
    r = client.get("/api/v1/meters/m-1/energy?from=2010-03-10&to=2026-03-08", headers=h)
    assert r.status_code == 400
    assert client.get("/api/v1/meters/m-1/energy?from=2026-03-10", headers=h).status_code == 422
    # the installer reads meter data as JSON (to check a meter counts), exports nothing
    assert client.get(URL, headers=headers["installer"]).status_code == 200
    assert client.get(URL + "&format=csv", headers=headers["installer"]).status_code == 403
