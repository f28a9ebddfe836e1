"""The API serves what STATUS, TOU and temperature frames stored: devices with their status,
the status history, ``tou_wh`` on register reads, ``temperature_c`` on intervals, and a site's
TOU configuration (crafted frames through the real ingest into the API's store)."""

from __future__ import annotations

import csv
import io

import pytest
from api_seed import DCAP, NOW_S, ApiClient

from openamr.frames import Frame, FrameCounter, IntervalRecord, Intervals, Payload, Status
from openamr.headend.ingest import Ingest
from openamr.headend.store import Device, Meter, Store
from openamr.timeutil import format_utc

Headers = dict[str, dict[str, str]]
MDT_T = "00000000000000c2"
START_S = NOW_S - 8 * 900
TOU_TABLE = {"default": "off_peak", "periods": [
    {"name": "on_peak", "start": "16:00", "end": "21:00", "days": "weekdays"},
    {"name": "mid_peak", "start": "07:00", "end": "16:00", "days": "weekdays"}]}


@pytest.fixture
def fed(store: Store, client: ApiClient) -> Store:
    """A temperature-variant MDT (``m-t``) of site ``s-1`` whose frames went through ingest."""
    store.upsert_meter(Meter("m-t", "s-1", MDT_T, "MMSMT-D02", 10.0))
    store.upsert_device(Device(MDT_T, "mdt", "s-1", "m-t", "MMSMT-D02", "22" * 16, START_S))
    ingest = Ingest(store, dcap_id=DCAP)
    counter = FrameCounter()

    def send(payload: Payload, t_s: int) -> None:
        c, _ = counter.next()
        ingest.handle(Frame(int(MDT_T, 16), int(DCAP, 16), c, payload).to_bytes(
            ingest.network_key), t_s)

    send(Status(int(DCAP, 16), -95, 1.8, 1, 2900, 1700, False, 30, 4, 0, 0, 15.5, 1, 3600, 20),
         NOW_S - 3600)
    records = tuple(IntervalRecord(k, START_S + 900 * k, 30 + k, temperature_c=(
        None if k == 3 else 20.5 + k / 4)) for k in range(8))
    send(Intervals(50_000, records, (30_000, 15_000, 5_000)), NOW_S)
    send(Status(int(DCAP, 16), -99, 2.1, 1, 2890, 1699, False, 12, 2, 0, 0, 11.0, 0, 7200, -5),
         NOW_S + 60)
    return store


def test_devices_carry_their_latest_status(fed: Store, client: ApiClient,
                                           headers: Headers) -> None:
    r = client.get("/api/v1/devices?role=mdt", headers=headers["read-only"])
    assert r.status_code == 200
    (device,) = [d for d in r.json()["devices"] if d["device_id"] == MDT_T]
    assert {k: device[k] for k in ("parent_id", "rssi_dbm", "link_margin_db", "etx", "hops",
                                   "battery_mv", "battery_remaining_mah", "drops", "retries",
                                   "uptime_s", "clock_offset_ms", "last_status",
                                   "last_heard")} == {
        "parent_id": DCAP, "rssi_dbm": -99, "link_margin_db": 11.0, "etx": 2.1, "hops": 1,
        "battery_mv": 2890, "battery_remaining_mah": 1699, "drops": 0, "retries": 2,
        "uptime_s": 7200, "clock_offset_ms": -5, "last_status": format_utc(NOW_S + 60),
        "last_heard": format_utc(NOW_S + 60)}


def test_status_history_route(fed: Store, client: ApiClient, headers: Headers) -> None:
    r = client.get(f"/api/v1/devices/{MDT_T}/status", headers=headers["installer"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(x["received"], x["link_margin_db"], x["tx_frames"]) for x in body["reports"]] == [
        (format_utc(NOW_S - 3600), 15.5, 30), (format_utc(NOW_S + 60), 11.0, 12)]
    assert body["next"] is None
    r = client.get(f"/api/v1/devices/{MDT_T}/status?start={format_utc(NOW_S)}&limit=1",
                   headers=headers["installer"])
    assert [x["uptime_s"] for x in r.json()["reports"]] == [7200]
    r = client.get(f"/api/v1/devices/{MDT_T}/status?limit=1", headers=headers["installer"])
    assert "offset=1" in r.json()["next"]
    r = client.get(f"/api/v1/devices/{MDT_T}/status?format=csv", headers=headers["billing"])
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["rssi_dbm"] for row in rows] == ["-95", "-99"]
    assert client.get(f"/api/v1/devices/{MDT_T}/status?format=csv",
                      headers=headers["installer"]).status_code == 403
    r = client.get("/api/v1/devices/00000000000000ee/status", headers=headers["admin"])
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found.device")
    r = client.get(f"/api/v1/devices/{MDT_T}/status?start={format_utc(NOW_S)}"
                   f"&end={format_utc(NOW_S)}", headers=headers["admin"])
    assert r.status_code == 400


def test_register_reads_carry_tou_wh_by_period_name(fed: Store, client: ApiClient,
                                                    headers: Headers) -> None:
    url = "/api/v1/meters/m-t/registers"
    (read,) = client.get(url, headers=headers["read-only"]).json()["reads"]
    # no TOU configuration yet: the registers by index
    assert read["tou_wh"] == {"register_0": 30_000, "register_1": 15_000, "register_2": 5_000}
    r = client.request("PUT", "/api/v1/sites/s-1/tou", json=TOU_TABLE, headers=headers["admin"])
    assert r.status_code == 200, r.text
    (read,) = client.get(url, headers=headers["read-only"]).json()["reads"]
    assert (read["t"], read["register_wh"]) == (format_utc(NOW_S), 50_000)
    assert read["tou_wh"] == {"off_peak": 30_000, "on_peak": 15_000, "mid_peak": 5_000}
    rows = list(csv.DictReader(io.StringIO(client.get(url + "?format=csv",
                                                      headers=headers["billing"]).text)))
    assert rows == [{"meter_id": "m-t", "t": format_utc(NOW_S), "register_wh": "50000.0",
                     "tou_mid_peak_wh": "5000", "tou_off_peak_wh": "30000",
                     "tou_on_peak_wh": "15000"}]
    # a TOU meter's reads without TOU registers carry null
    reads = client.get("/api/v1/meters/m-1/registers", headers=headers["read-only"]).json()
    assert {r["tou_wh"] for r in reads["reads"]} == {None}


def test_intervals_of_the_temperature_variant_carry_temperature(fed: Store, client: ApiClient,
                                                                headers: Headers) -> None:
    body = client.get("/api/v1/meters/m-t/intervals", headers=headers["read-only"]).json()
    assert [i["temperature_c"] for i in body["intervals"]] == [
        20.5, 20.75, 21.0, None, 21.5, 21.75, 22.0, 22.25]
    assert [i["energy_wh"] for i in body["intervals"]] == [30 + k for k in range(8)]
    text = client.get("/api/v1/meters/m-t/intervals?format=csv",
                      headers=headers["billing"]).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["meter_id", "start", "energy_wh", "quality", "temperature_c"]
    assert [row["temperature_c"] for row in rows[2:5]] == ["21.0", "", "21.5"]
    other = client.get("/api/v1/meters/m-1/intervals?limit=2", headers=headers["read-only"])
    assert "temperature_c" not in other.json()["intervals"][0]


def test_site_tou_configuration_routes(client: ApiClient, headers: Headers) -> None:
    url = "/api/v1/sites/s-1/tou"
    empty = client.get(url, headers=headers["read-only"]).json()
    assert (empty["configured"], empty["timezone"], empty["registers"]) == (
        False, "America/Los_Angeles", [])
    r = client.request("PUT", url, json=TOU_TABLE, headers=headers["admin"])
    body = r.json()
    assert (body["configured"], body["default"], body["registers"]) == (
        True, "off_peak", ["off_peak", "on_peak", "mid_peak"])
    assert body["periods"][0] == {"name": "on_peak", "start": "16:00", "end": "21:00",
                                  "days": ["mon", "tue", "wed", "thu", "fri"]}
    assert body["updated"] == format_utc(NOW_S)
    assert client.get(url, headers=headers["billing"]).json() == body
    bad = dict(TOU_TABLE, periods=[{"name": "on_peak", "start": "16:10", "end": "21:00"}])
    r = client.request("PUT", url, json=bad, headers=headers["admin"])
    assert r.status_code == 400
    assert "body periods[0] start" in r.json()["error"]["message"]
    assert client.get(url, headers=headers["admin"]).json() == body  # unchanged
    assert client.request("PUT", url, json=TOU_TABLE,
                          headers=headers["installer"]).status_code == 403
    assert client.request("PUT", "/api/v1/sites/nowhere/tou", json=TOU_TABLE,
                          headers=headers["admin"]).status_code == 404
    assert client.delete(url, headers=headers["admin"]).json()["configured"] is False
    assert client.get(url, headers=headers["admin"]).json()["configured"] is False
