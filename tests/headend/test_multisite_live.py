"""Acceptance: two generated sites with the same device ids, simulated one after the other into
one ``openamr serve`` (``sim run --live``), stay two sites: both keep all their meters, both
fully join, each site's data and alarms are its own, and a token scoped to one site sees nothing
of the other."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from serve_process import ServeProcess

from openamr.cli import main
from openamr.field.site import load_site, write_site
from openamr.field.site.generate import generate_site

METERS = 5
TAMPER = '\n[[tampers]]\nmeter = "M-2"\nstart_s = 3600.0\n'


def _token(db: Path, *extra: str) -> str:
    result = CliRunner().invoke(main, ["token", "create", "--db", str(db), *extra])
    assert result.exit_code == 0, result.output
    return result.output.split()[-1]


def _sim(site: Path, server: ServeProcess, db: Path) -> dict[str, object]:
    result = CliRunner().invoke(main, ["sim", "run", str(site), "--days", "0.25", "--live",
                                       server.tcp, "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.output)
    return summary


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_two_sites_with_the_same_ids_stay_apart(tmp_path: Path) -> None:
    db = tmp_path / "head.db"
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    write_site(generate_site(METERS, 1, 1, seed=4, name="Alpha House"), a)
    write_site(generate_site(METERS, 1, 1, seed=5, name="Beta House"), b)
    b.write_text(b.read_text() + TAMPER)  # an alarm at B only
    ids_a = [d.id for d in load_site(a).devices]
    assert ids_a == [d.id for d in load_site(b).devices]  # DCAP-1, REP-001, M-1 ... at both
    with ServeProcess(str(db), tmp_path / "serve.log") as server:
        first = _sim(a, server, db)
        second = _sim(b, server, db)
        for s in (first, second):  # both fully join, every interval stored, nothing refused
            assert s["joined"] == {"repeater": 1, "mdt": METERS}
            assert s["frames_rejected"] == {}
            assert s["intervals_stored"] == s["intervals_expected"]
        admin = server.client(_token(db, "--role", "admin"))
        only_a = server.client(_token(db, "--role", "read-only", "--site", "alpha-house"))

        sites = admin.get("/api/v1/sites").json()["sites"]
        assert [s["site_id"] for s in sites] == ["alpha-house", "beta-house"]
        for site_id in ("alpha-house", "beta-house"):
            meters = admin.get(f"/api/v1/sites/{site_id}/meters").json()["meters"]
            assert sorted(m["meter_id"] for m in meters) == [f"M-{i}" for i in
                                                             range(1, METERS + 1)]
            devices = admin.get(f"/api/v1/sites/{site_id}/devices").json()["devices"]
            assert sorted(d["local_id"] for d in devices) == sorted(ids_a)
            assert all(d["joined"] is not None for d in devices if d["role"] != "dcap")
        euis = {d["device_id"] for d in admin.get("/api/v1/devices").json()["devices"]}
        assert len(euis) == 2 * len(ids_a)  # one EUI-64 per device, none shared
        assert admin.get("/api/v1/ingest/rejections").json()["counts"] == {}

        # each site's data is its own: A's M-1 kept A's readings after B was simulated
        path = "/meters/M-1/intervals?limit=10000"
        data_a = admin.get(f"/api/v1/sites/alpha-house{path}").json()["intervals"]
        data_b = admin.get(f"/api/v1/sites/beta-house{path}").json()["intervals"]
        assert data_a
        assert data_b
        assert [i["energy_wh"] for i in data_a] != [i["energy_wh"] for i in data_b]
        ambiguous = admin.get(f"/api/v1{path}")
        assert ambiguous.status_code == 409
        assert ambiguous.json()["error"]["candidates"] == ["alpha-house", "beta-house"]

        # alarms: B's tamper is B's
        tampers = [x for x in admin.get("/api/v1/alarms").json()["alarms"]
                   if x["code"] == "alarm.tamper"]
        assert [(x["site_id"], x["meter_id"]) for x in tampers] == [("beta-house", "M-2")]
        assert admin.get("/api/v1/alarms?site_id=alpha-house").json()["alarms"] == []

        # a token scoped to A: A only, 404 on B, M-1 means A's
        assert [s["site_id"] for s in only_a.get("/api/v1/sites").json()["sites"]] == [
            "alpha-house"]
        assert only_a.get(f"/api/v1{path}").json()["intervals"] == data_a
        for url in ("/api/v1/sites/beta-house", f"/api/v1/sites/beta-house{path}",
                    "/api/v1/sites/beta-house/devices", "/api/v1/alarms?site_id=beta-house",
                    f"/api/v1/alarms/{tampers[0]['alarm_id']}/ack"):
            r = only_a.post(url) if url.endswith("/ack") else only_a.get(url)
            assert r.status_code in (403, 404), (url, r.status_code)
        assert only_a.get("/api/v1/alarms").json()["alarms"] == []
        assert all(d["site_id"] == "alpha-house"
                   for d in only_a.get("/api/v1/devices").json()["devices"])
        admin.close()
        only_a.close()
