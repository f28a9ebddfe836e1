"""The dashboard's pages over a simulated site, through an in-process HTTP client."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from web_seed import WebClient, web_client

from openamr.headend.store import Store
from openamr.headend.store.base import AlarmRow
from openamr.web.session import COOKIE


@pytest.fixture
def client(app: Any) -> Iterator[WebClient]:
    yield from web_client(app)


def _signed_in(client: WebClient, token: str) -> WebClient:
    client.cookies.set(COOKIE, token)
    return client


def _site_id(store: Store) -> str:
    return store.list_sites()[0].site_id


def test_token_in_the_url_signs_in_and_leaves_the_url(client: WebClient,
                                                      tokens: dict[str, str]) -> None:
    r = client.get(f"/cit?token={tokens['installer']}&site=abc")
    assert r.status_code == 303
    assert r.headers["location"] == "/cit?site=abc"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={tokens['installer']};")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    r = client.get("/?token=" + tokens["admin"])
    assert r.status_code == 303
    assert r.headers["location"] == "/"


def test_a_bad_token_or_none_gets_the_sign_in_page(client: WebClient,
                                                   tokens: dict[str, str]) -> None:
    r = client.get("/?token=oamr_not-a-real-token")
    assert r.status_code == 401
    assert "unknown or revoked" in r.text
    assert COOKIE not in r.headers.get("set-cookie", "")
    r = client.get("/alarms?state=open")
    assert r.status_code == 303
    assert r.headers["location"] == "/signin?next=%2Falarms%3Fstate%3Dopen"
    r = client.post("/signin", content=f"token={tokens['billing']}&next=/alarms",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 303
    assert r.headers["location"] == "/alarms"
    assert r.cookies.get(COOKIE) == tokens["billing"]
    # no open redirect to another host
    r = client.post("/signin", content=f"token={tokens['billing']}&next=//evil.example/",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.headers["location"] == "/"


def test_forms_are_read_only_up_to_their_bound(client: WebClient, tokens: dict[str, str]) -> None:
    """The sign-in form is read before anyone is signed in: a huge body is refused (413), not
    held in memory; so are the other forms past their bounds."""
    form = {"content-type": "application/x-www-form-urlencoded"}
    r = client.post("/signin", content=f"token={tokens['billing']}&next=/" + "x" * 100_000,
                    headers=form)
    assert r.status_code == 413
    assert COOKIE not in r.headers.get("set-cookie", "")
    _signed_in(client, tokens["admin"])
    r = client.post("/cit/devices", content="site=s&" + "x" * 30_000, headers=form)
    assert r.status_code == 413
    r = client.post("/bills", content="site=s&" + "x" * 1_100_000, headers=form)
    assert r.status_code == 413


def test_a_revoked_token_is_signed_out_at_once(client: WebClient, store: Store,
                                               tokens: dict[str, str], now_s: int) -> None:
    _signed_in(client, tokens["admin"])
    assert client.get("/").status_code == 200
    row = next(t for t in store.list_tokens() if t.role == "admin")
    assert store.revoke_token(row.token_id, now_s)
    assert client.get("/").status_code == 303


def test_every_page_renders(client: WebClient, store: Store, tokens: dict[str, str]) -> None:
    _signed_in(client, tokens["admin"])
    site = _site_id(store)
    for path in ("/", f"/sites/{site}", "/meters/M-01", "/alarms", "/alarms?state=all",
                 "/cit", f"/cit?site={site}", "/signin"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        assert r.headers["content-type"].startswith("text/html")
        assert "<main" in r.text
    assert client.get("/static/vendor/uPlot.iife.min.js").status_code == 200
    assert client.get("/static/vendor/uPlot.LICENSE.txt").status_code == 200


def test_unknown_site_and_meter_are_404(client: WebClient, tokens: dict[str, str]) -> None:
    _signed_in(client, tokens["admin"])
    assert client.get("/sites/nowhere").status_code == 404
    assert client.get("/meters/NOPE").status_code == 404
    assert client.get("/cit?site=nowhere").status_code == 404


def test_meter_page_carries_the_stored_intervals(client: WebClient, store: Store,
                                                 tokens: dict[str, str], now_s: int) -> None:
    _signed_in(client, tokens["read-only"])
    r = client.get("/meters/M-03")
    assert r.status_code == 200
    blob = re.search(r'<script type="application/json" id="meter-data">(.*?)</script>', r.text,
                     re.S)
    assert blob is not None
    data = json.loads(blob.group(1))
    stored = store.get_intervals("M-03")
    assert data["intervals"]["t_s"] == stored.start_s.tolist()
    assert np.allclose(data["intervals"]["energy_wh"], stored.energy_wh)
    daily = [v for v in data["daily"]["energy_wh"] if v is not None]
    assert sum(daily) == pytest.approx(float(stored.energy_wh.sum()))
    monthly = [v for v in data["monthly"]["energy_wh"] if v is not None]
    assert sum(monthly) == pytest.approx(float(stored.energy_wh.sum()))
    heat = [v for row in data["heatmap"]["energy_wh"] for v in row if v is not None]
    assert sum(heat) == pytest.approx(float(stored.energy_wh.sum()))
    reads = store.get_register_reads("M-03")
    assert f"{reads.register_wh[-1] / 1000:.3f} kWh" in r.text
    # sections without data are left out, not shown as placeholders
    assert "Temperature" not in r.text


@pytest.mark.parametrize("role", ["admin", "installer", "billing", "read-only"])
def test_the_meter_page_follows_the_data_permission(client: WebClient, tokens: dict[str, str],
                                                    role: str) -> None:
    from openamr.headend.auth import allowed

    _signed_in(client, tokens[role])
    r = client.get("/meters/M-01")
    assert r.status_code == (200 if allowed(role, "data.read") else 403)


def _raise(store: Store, now_s: int) -> int:
    meter = store.get_meter("M-02")
    assert meter is not None
    return store.raise_alarm(AlarmRow("alarm.no_data", meter.device_id, "M-02", now_s - 60,
                                      "no interval for 2 h"))


def test_an_alarm_is_acknowledged_from_the_page(client: WebClient, store: Store,
                                                tokens: dict[str, str], now_s: int) -> None:
    alarm_id = _raise(store, now_s)
    _signed_in(client, tokens["installer"])
    page = client.get("/alarms")
    assert f'data-alarm-id="{alarm_id}"' in page.text
    assert "Acknowledge" in page.text
    r = client.post(f"/alarms/{alarm_id}/ack")
    assert r.status_code == 303
    assert r.headers["location"] == f"/alarms?done={alarm_id}"
    acked = store.get_alarm(alarm_id)
    assert acked is not None
    assert acked.state == "acknowledged"
    assert acked.acked_by is not None
    assert "installer" in acked.acked_by
    assert acked.acked_s == now_s
    assert client.post(f"/alarms/{alarm_id}/ack").status_code == 409
    assert client.post("/alarms/999999/ack").status_code == 404


def test_read_only_cannot_acknowledge(client: WebClient, store: Store,
                                      tokens: dict[str, str], now_s: int) -> None:
    alarm_id = _raise(store, now_s)
    _signed_in(client, tokens["read-only"])
    assert "Acknowledge</button>" not in client.get("/alarms").text
    assert client.post(f"/alarms/{alarm_id}/ack").status_code == 403
    alarm = store.get_alarm(alarm_id)
    assert alarm is not None
    assert alarm.state == "open"


def test_cit_page_register_check_and_troubleshooting(client: WebClient, store: Store,
                                                     tokens: dict[str, str]) -> None:
    _signed_in(client, tokens["installer"])
    site = _site_id(store)
    total_kwh = float(store.get_register_reads("M-04").register_wh[-1]) / 1000
    r = client.get(f"/cit?site={site}&meter=M-04&lcd_kwh={total_kwh * 10:.3f}")
    assert 'data-code="wiring.pulse_terminal_100"' in r.text
    r = client.get(f"/cit?site={site}&meter=M-04&lcd_kwh={total_kwh:.3f}")
    assert 'data-code="register.match"' in r.text
    r = client.get(f"/cit?site={site}&meter=M-04&lcd_kwh=abc")
    assert "must be numbers" in r.text
    rep = next(d for d in store.list_devices(role="repeater"))
    r = client.get(f"/cit?site={site}&device={rep.device_id}&symptom=wireless")
    assert 'id="ts-result"' in r.text
    assert "Verify wireless network commissioning per section 5.2." in r.text


def test_watching_joins_reloads_the_cit_page(client: WebClient, store: Store,
                                             tokens: dict[str, str]) -> None:
    _signed_in(client, tokens["installer"])
    site = _site_id(store)
    assert 'http-equiv="refresh"' not in client.get(f"/cit?site={site}").text
    watched = client.get(f"/cit?site={site}&watch=1").text
    assert '<meta http-equiv="refresh" content="15">' in watched
    assert "Stop watching" in watched


def _boxed_site_text() -> str:
    from openamr.field.site import site_to_toml
    from openamr.field.site.generate import generate_site

    return site_to_toml(generate_site(120, 4, repeaters=1, seed=3, metal_box_ratio=0.2))


def test_the_survey_form_proposes_repeaters(client: WebClient, tokens: dict[str, str]) -> None:
    from urllib.parse import urlencode

    _signed_in(client, tokens["installer"])
    assert client.get("/cit/survey").status_code == 200
    body = urlencode({"site_toml": _boxed_site_text(), "min_margin_db": "20"})
    r = client.post("/cit/survey", content=body,
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200
    below = re.search(r'id="sv-below"><strong>(\d+)</strong>', r.text)
    assert below is not None
    assert int(below.group(1)) > 0
    assert "REP-P01" in r.text
    assert "Every device reaches the margin with these repeaters" in r.text
    assert 'download="site-with-repeaters.toml"' in r.text
    assert r.text.count('data-proposed="1"') >= 1


def test_the_survey_form_refuses_bad_files(client: WebClient, tokens: dict[str, str]) -> None:
    from urllib.parse import urlencode

    _signed_in(client, tokens["installer"])
    form = {"content-type": "application/x-www-form-urlencoded"}
    r = client.post("/cit/survey", content=urlencode({"site_toml": "[site\nname="}),
                    headers=form)
    assert r.status_code == 400
    assert "TOML syntax error" in r.text
    text = _boxed_site_text().replace('load = "household"', 'load_csv = "/etc/passwd"', 1)
    r = client.post("/cit/survey", content=urlencode({"site_toml": text}), headers=form)
    assert r.status_code == 400
    assert "CSV loads are not accepted" in r.text
    r = client.post("/cit/survey", content=urlencode({"site_toml": "x", "min_margin_db": "a"}),
                    headers=form)
    assert r.status_code == 400


def test_a_site_scoped_token_sees_only_its_site(client: WebClient, store: Store,
                                                now_s: int) -> None:
    from openamr.headend.auth import issue_token
    from openamr.headend.store.base import Device, Meter, Site

    store.upsert_site(Site("other", "Other building", "UTC"))
    store.upsert_meter(Meter("M-01", "other", "00000000000000e1"))
    store.upsert_device(Device("00000000000000e1", "mdt", "other", "M-01", local_id="M-01"))
    mine = _site_id(store)
    scoped = issue_token(store, "installer", "scoped", now_s, [mine]).secret
    admin = issue_token(store, "admin", "all", now_s).secret
    _signed_in(client, scoped)
    overview = client.get("/").text
    assert mine in overview
    assert "Other building" not in overview
    assert client.get("/sites/other").status_code == 404
    assert client.get("/cit?site=other").status_code == 404
    assert client.get("/meters/M-01?site=other").status_code == 404
    assert client.get("/meters/M-01").status_code == 200  # its own M-01
    _signed_in(client, admin)
    assert client.get("/meters/M-01").status_code == 409  # two sites have M-01
    assert client.get(f"/meters/M-01?site={mine}").status_code == 200


def test_an_installer_adds_a_device_and_the_checklist_shows_it(
        client: WebClient, store: Store, tokens: dict[str, str]) -> None:
    from urllib.parse import urlencode

    site = _site_id(store)
    form = {"content-type": "application/x-www-form-urlencoded"}
    fields = {"site": site, "id": "REP-NEW", "role": "repeater", "eui": "00:11:22:33:44:55:66:77",
              "install_code": "00112233445566778899aabbccddeeff", "floor": "1", "x_m": "12.5",
              "y_m": "4", "placement": "near_metal"}
    _signed_in(client, tokens["read-only"])
    assert client.post("/cit/devices", content=urlencode(fields), headers=form).status_code == 403
    _signed_in(client, tokens["installer"])
    r = client.post("/cit/devices", content=urlencode(fields), headers=form)
    assert r.status_code == 303
    assert r.headers["location"].startswith(f"/cit?site={site}&added=REP-NEW")
    device = store.get_device("0011223344556677")
    assert device is not None
    assert device.local_id == "REP-NEW"
    assert device.role == "repeater"
    (pos,) = [p for p in store.list_device_positions(site) if p.device_id == "0011223344556677"]
    assert (pos.floor, pos.x_m, pos.y_m, pos.placement) == (1, 12.5, 4.0, "near_metal")
    page = client.get(r.headers["location"]).text
    assert "Added REP-NEW" in page
    assert 'data-device-id="0011223344556677" data-state="todo"' in page \
        or 'data-device-id="0011223344556677" data-state="current"' in page
    bad = dict(fields, id="REP-BAD", eui="xyz")
    r = client.post("/cit/devices", content=urlencode(bad), headers=form)
    assert r.status_code == 400
    assert "EUI" in r.text
    assert store.get_device("REP-BAD", site_id=site) is None


def test_the_meter_page_offers_the_validated_view_and_vee_findings(
        client: WebClient, store: Store, tokens: dict[str, str], now_s: int) -> None:
    import numpy as np

    from openamr.headend.store.base import IntervalBatch, Meter
    from openamr.headend.vee import run_vee

    site = _site_id(store)
    store.upsert_meter(Meter("GAPPY", site))
    grid = np.arange(now_s - now_s % 900 - 2 * 86_400, now_s - now_s % 900, 900,
                     dtype=np.int64)
    keep = np.ones(grid.size, dtype=bool)
    keep[40:44] = False  # an hour's gap: straight-line estimates
    store.put_intervals(IntervalBatch("GAPPY", grid[keep], np.full(int(keep.sum()), 25.0),
                                      site_id=site))
    _signed_in(client, tokens["read-only"])
    assert "Validated (VEE)" not in client.get(f"/meters/GAPPY?site={site}").text
    run_vee(store, site_id=site, meter_ids=["GAPPY"], now_s=now_s)
    raw = client.get(f"/meters/GAPPY?site={site}").text
    assert "Validated (VEE)" in raw
    assert "vee.gap" in raw
    validated = client.get(f"/meters/GAPPY?site={site}&view=validated").text
    blob = re.search(r'id="meter-data">(.*?)</script>', validated, re.S)
    assert blob is not None
    data = json.loads(blob.group(1))
    assert len(data["intervals"]["t_s"]) == grid.size  # the gap is filled by estimates
    raw_blob = re.search(r'id="meter-data">(.*?)</script>', raw, re.S)
    assert raw_blob is not None
    assert len(json.loads(raw_blob.group(1))["intervals"]["t_s"]) == int(keep.sum())


def test_tou_registers_and_temperature_of_a_d02_meter(client: WebClient, store: Store,
                                                      tokens: dict[str, str]) -> None:
    from openamr.headend.variants import has_temperature

    site = _site_id(store)
    d02 = next(m for m in store.list_meters(site) if has_temperature(m.model))
    assert len(store.get_temperatures(d02.meter_id, site_id=site)) > 0
    _signed_in(client, tokens["read-only"])
    r = client.get(f"/meters/{d02.meter_id}?site={site}")
    assert r.status_code == 200
    assert 'id="tou"' in r.text  # a TOU MDT: its registers by period
    blob = re.search(r'id="meter-data">(.*?)</script>', r.text, re.S)
    assert blob is not None
    temps = json.loads(blob.group(1))["temperature"]
    stored = store.get_temperatures(d02.meter_id, site_id=site)
    assert temps["t_s"] == stored.start_s.tolist()
    assert "Temperature" in r.text
    c02 = next(m for m in store.list_meters(site) if m.model.endswith("C02"))
    assert "Temperature</h2>" not in client.get(f"/meters/{c02.meter_id}?site={site}").text
