"""Site-qualified routes, 409 for an id of several sites, tokens scoped to sites, and the
provisioning routes (on the seeded store plus a second site that reuses ``m-1``)."""

from __future__ import annotations

import pytest
from api_seed import NOW_S, ApiClient, bearer

from openamr.headend.auth import issue_token
from openamr.headend.store import Device, IntervalBatch, Meter, Store

OTHER_MDT = "00000000000000c1"
CODE = "000102030405060708090a0b0c0d0e0f"


@pytest.fixture
def twin(store: Store, tokens: dict[str, str]) -> Store:
    """Site s-2 gets its own meter m-1 (and MDT) with one interval of 77 Wh."""
    store.upsert_meter(Meter("m-1", "s-2", OTHER_MDT, "MMSMT-C02"))
    store.upsert_device(Device(OTHER_MDT, "mdt", "s-2", "m-1", "", CODE, local_id="m-1"))
    store.put_intervals(IntervalBatch("m-1", [NOW_S - NOW_S % 900 - 86_400], [77.0],
                                      site_id="s-2"))
    return store


def _scoped(store: Store, role: str, *sites: str) -> dict[str, str]:
    return bearer(issue_token(store, role, "scoped", NOW_S, sites).secret)


def test_site_qualified_routes_and_409_for_an_ambiguous_id(client: ApiClient, twin: Store,
                                                           headers: dict[str, dict[str, str]]
                                                           ) -> None:
    admin = headers["admin"]
    r = client.get("/api/v1/meters/m-1", headers=admin)
    assert r.status_code == 409
    assert r.json()["error"] == {
        "code": "conflict.ambiguous_id", "candidates": ["s-1", "s-2"],
        "message": r.json()["error"]["message"]}
    assert "/api/v1/sites/{site_id}/meters/m-1" in r.json()["error"]["message"]
    for path in ("/intervals", "/registers", "/rollup?period=daily&start=2026-11-01T00:00:00Z"
                 "&end=2026-11-02T00:00:00Z"):
        assert client.get(f"/api/v1/meters/m-1{path}", headers=admin).status_code == 409
    two = client.get("/api/v1/sites/s-2/meters/m-1/intervals", headers=admin).json()
    assert [i["energy_wh"] for i in two["intervals"]] == [77.0]
    assert client.get("/api/v1/meters/m-1/intervals?site_id=s-2",
                      headers=admin).json() == two
    one = client.get("/api/v1/sites/s-1/meters/m-1", headers=admin).json()
    assert (one["site_id"], one["device_id"]) == ("s-1", "00000000000000a1")
    assert client.get("/api/v1/meters/m-2", headers=admin).json()["site_id"] == "s-2"
    assert client.get("/api/v1/sites/s-1/meters/m-2", headers=admin).status_code == 404
    assert client.get("/api/v1/sites/nope/meters/m-1", headers=admin).status_code == 404
    assert [m["meter_id"] for m in client.get("/api/v1/sites/s-2/meters",
                                              headers=admin).json()["meters"]] == ["m-1", "m-2"]
    dev = client.get("/api/v1/sites/s-2/devices/m-1", headers=admin).json()
    assert (dev["device_id"], dev["local_id"]) == (OTHER_MDT, "m-1")
    assert client.get(f"/api/v1/devices/{OTHER_MDT}", headers=admin).json()["site_id"] == "s-2"
    assert [d["device_id"] for d in client.get("/api/v1/sites/s-2/devices",
                                               headers=admin).json()["devices"]] == [OTHER_MDT]


def test_a_scoped_token_sees_only_its_sites(client: ApiClient, twin: Store) -> None:
    only_2 = _scoped(twin, "read-only", "s-2")
    assert [s["site_id"] for s in client.get("/api/v1/sites", headers=only_2).json()[
        "sites"]] == ["s-2"]
    r = client.get("/api/v1/meters/m-1/intervals", headers=only_2)  # m-1 means s-2's here
    assert [i["energy_wh"] for i in r.json()["intervals"]] == [77.0]
    for url in ("/api/v1/sites/s-1", "/api/v1/sites/s-1/meters", "/api/v1/sites/s-1/meters/m-1",
                "/api/v1/sites/s-1/meters/m-1/intervals", "/api/v1/devices/00000000000000a1",
                "/api/v1/meters?site_id=s-1", "/api/v1/events?site_id=s-1",
                "/api/v1/alarms?site_id=s-1"):
        assert client.get(url, headers=only_2).status_code == 404, url
    assert {m["site_id"] for m in client.get("/api/v1/meters", headers=only_2).json()[
        "meters"]} == {"s-2"}
    assert client.get("/api/v1/events", headers=only_2).json()["events"] == []
    assert client.get("/api/v1/alarms", headers=only_2).json()["alarms"] == []
    (alarm,) = client.get("/api/v1/alarms", headers=bearer_admin(twin)).json()["alarms"]
    installer_2 = _scoped(twin, "installer", "s-2")
    assert client.post(f"/api/v1/alarms/{alarm['alarm_id']}/ack",
                       headers=installer_2).status_code == 404
    for url in ("/api/v1/tokens", "/api/v1/ingest/rejections"):  # head-end-wide: 403
        assert client.get(url, headers=_scoped(twin, "admin", "s-2")).status_code == 403


def bearer_admin(store: Store) -> dict[str, str]:
    return bearer(issue_token(store, "admin", "", NOW_S).secret)


def test_tokens_created_through_the_api_may_be_scoped(client: ApiClient, store: Store,
                                                      headers: dict[str, dict[str, str]]) -> None:
    r = client.post("/api/v1/tokens", headers=headers["admin"],
                    json={"role": "installer", "sites": ["s-1"]})
    assert r.status_code == 201
    assert r.json()["sites"] == ["s-1"]
    scoped = bearer(r.json()["token"])
    assert [s["site_id"] for s in client.get("/api/v1/sites", headers=scoped).json()[
        "sites"]] == ["s-1"]
    listed = {t["token_id"]: t["sites"] for t in client.get(
        "/api/v1/tokens", headers=headers["admin"]).json()["tokens"]}
    assert listed[r.json()["token_id"]] == ["s-1"]
    bad = client.post("/api/v1/tokens", headers=headers["admin"],
                      json={"role": "installer", "sites": ["nowhere"]})
    assert bad.status_code == 400
    assert "unknown site 'nowhere'" in bad.json()["error"]["message"]


def test_an_installer_provisions_devices_and_reads_their_data(client: ApiClient, store: Store,
                                                              headers: dict[str, dict[str, str]]
                                                              ) -> None:
    installer = headers["installer"]
    r = client.post("/api/v1/sites", headers=installer,
                    json={"site_id": "s-3", "name": "Third", "timezone": "Europe/Paris"})
    assert r.status_code == 201
    body = {"id": "m-1", "role": "mdt", "eui": "70:B3:D5:00:00:00:00:01", "install_code": CODE,
            "meter_model": "MMSMT-D02", "unit": "3B"}
    r = client.post("/api/v1/sites/s-3/devices", headers=installer, json=body)
    assert r.status_code == 201, r.text
    assert (r.json()["device_id"], r.json()["local_id"]) == ("70b3d50000000001", "m-1")
    meter = client.get("/api/v1/sites/s-3/meters/m-1", headers=installer).json()
    assert (meter["unit"], meter["model"], meter["device_id"]) == (
        "3B", "MMSMT-D02", "70b3d50000000001")
    assert client.get("/api/v1/sites/s-3/meters/m-1/intervals",
                      headers=installer).status_code == 200  # installers read meter data
    for change, field in (({"eui": "70b3d5000000001"}, "EUI-64"),  # 15 digits
                          ({"install_code": CODE[:-2]}, "install code"),
                          ({"id": "m-9"}, "registered already"),  # the same EUI again
                          ({"id": "bad id/x", "eui": "70b3d50000000009"}, "not a valid id")):
        r = client.post("/api/v1/sites/s-3/devices", headers=installer, json={**body, **change})
        assert r.status_code == 400, change
        assert field in r.json()["error"]["message"]
    assert [d.local_id for d in store.list_devices("s-3")] == ["m-1"]  # nothing changed
    r = client.post("/api/v1/sites", headers=installer,
                    json={"site_id": "s-4", "name": "x", "timezone": "Mars/Olympus"})
    assert r.status_code == 400
    assert store.get_site("s-4") is None
    scoped = _scoped(store, "installer", "s-3")
    assert client.post("/api/v1/sites", headers=scoped, json={
        "site_id": "s-5", "name": "x", "timezone": "UTC"}).status_code == 403
    assert client.post("/api/v1/sites/s-1/devices", headers=scoped, json={
        **body, "eui": "70b3d50000000002"}).status_code == 404
    assert client.delete("/api/v1/sites/s-3/devices/m-1", headers=headers["billing"]
                         ).status_code == 403
    assert client.delete("/api/v1/sites/s-3/devices/m-1", headers=scoped).status_code == 204
    assert store.list_devices("s-3") == []
    assert store.get_meter("m-1", site_id="s-3") is not None  # the meter stays
    assert client.delete("/api/v1/sites/s-3/devices/m-1", headers=scoped).status_code == 404


def test_provisioning_tells_the_running_ingest(client: ApiClient, store: Store,
                                               headers: dict[str, dict[str, str]]) -> None:
    calls: list[int] = []
    client.app.state.on_devices_changed = lambda: calls.append(1)  # what serve passes
    body = {"id": "r-9", "role": "repeater", "eui": "70b3d50000000009", "install_code": CODE}
    assert client.post("/api/v1/sites/s-2/devices", headers=headers["admin"],
                       json=body).status_code == 201
    assert client.delete("/api/v1/sites/s-2/devices/r-9",
                         headers=headers["admin"]).status_code == 204
    assert calls == [1, 1]
