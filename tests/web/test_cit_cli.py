"""``openamr cit``: status of a simulated 120-MDT site, checklist, register check, troubleshoot
and survey, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from web_seed import SimSite, simulate

from openamr.cli import main
from openamr.field.site import load_site
from openamr.field.site.check import coverage
from openamr.headend.store import open_store

STATUS_FIELDS = {"device_id", "site_id", "role", "join_state", "parent_id", "hops", "rssi_dbm",
                 "margin_db", "battery_days_left", "last_heard"}


@pytest.fixture(scope="module")
def site120(tmp_path_factory: pytest.TempPathFactory) -> SimSite:
    return simulate(tmp_path_factory.mktemp("sim120"), meters=120, floors=4, days=1, seed=9)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_status_lists_every_device_of_a_120_mdt_site(site120: SimSite) -> None:
    code, out = _run("cit", "status", "--db", str(site120.db), "--at", "latest", "--json")
    assert code == 0, out
    doc = json.loads(out)
    with open_store(str(site120.db)) as store:
        devices = store.list_devices()
        site_id = store.list_sites()[0].site_id
    assert len(doc["devices"]) == len(devices)
    assert sum(d["role"] == "mdt" for d in doc["devices"]) == 120
    assert {d["device_id"] for d in doc["devices"]} == {d.device_id for d in devices}
    for d in doc["devices"]:
        assert d.keys() >= STATUS_FIELDS
        assert d["site_id"] == site_id
        assert d["role"] in ("dcap", "repeater", "mdt")
    mdts = [d for d in doc["devices"] if d["role"] == "mdt"]
    assert all(d["join_state"] == "joined" for d in mdts)
    assert all(d["last_heard"].endswith("Z") for d in mdts)
    assert all(d["completeness_24h_ratio"] > 0.9 for d in mdts)
    # the text table too, and one site only
    code, out = _run("cit", "status", "--db", str(site120.db), "--site", site_id,
                     "--at", "latest")
    assert code == 0
    assert "M-120" in out


def test_status_refuses_a_missing_store_and_an_unknown_site(tmp_path: Path,
                                                            site120: SimSite) -> None:
    code, out = _run("cit", "status", "--db", str(tmp_path / "none.db"))
    assert code == 2
    assert "no such store" in out
    assert not (tmp_path / "none.db").exists()
    code, out = _run("cit", "status", "--db", str(site120.db), "--site", "nowhere")
    assert code == 2
    assert "no site 'nowhere'" in out
    code, out = _run("cit", "status", "--db", str(site120.db), "--at", "yesterday")
    assert code == 2


def test_checklist_register_and_troubleshoot(site120: SimSite) -> None:
    code, out = _run("cit", "checklist", "--db", str(site120.db), "--at", "latest", "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["steps"][0]["role"] == "dcap"
    assert doc["done"] == len(doc["steps"])
    with open_store(str(site120.db)) as store:
        total_wh = float(store.get_register_reads("M-007").register_wh[-1])
    code, out = _run("cit", "register", "--db", str(site120.db), "--meter", "M-007",
                     "--lcd-kwh", f"{total_wh / 1000:.3f}")
    assert code == 0
    assert out.startswith("register.match")
    code, out = _run("cit", "register", "--db", str(site120.db), "--meter", "M-007",
                     "--lcd-kwh", f"{total_wh / 100:.3f}", "--json")
    assert code == 1
    assert json.loads(out)["code"] == "wiring.pulse_terminal_100"
    code, out = _run("cit", "troubleshoot", "--db", str(site120.db), "--device", "M-007",
                     "--symptom", "wireless", "--at", "latest", "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["findings"][0]["code"] == "ts.joined"
    assert "Verify wireless AMR is wired correctly per Section 5.1." in doc["manual"]


def test_survey_of_a_site_with_metal_boxes(tmp_path: Path) -> None:
    site_file = tmp_path / "boxed.toml"
    code, out = _run("site", "generate", "--meters", "120", "--floors", "4", "--seed", "3",
                     "--repeaters", "1", "--metal-box-ratio", "0.2", "-o", str(site_file))
    assert code == 0, out
    fixed_file = tmp_path / "fixed.toml"
    code, out = _run("cit", "survey", str(site_file), "--min-margin-db", "20", "--json",
                     "-o", str(fixed_file))
    assert code == 0, out
    doc = json.loads(out)
    site = load_site(site_file)
    boxed = {m.id for m in site.meters if m.placement.value == "metal_box"}
    assert doc["below_margin"]
    assert set(doc["below_margin"]) <= boxed
    assert {link["device_id"] for link in doc["links"]} == {d.id for d in site.devices}
    for link in doc["links"]:
        assert {"device_id", "parent_id", "margin_db"} <= link.keys()
    assert doc["proposed_repeaters"]
    for p in doc["proposed_repeaters"]:
        assert {"device_id", "floor", "x_m", "y_m"} <= p.keys()
    assert doc["still_below"] == []
    # the written site file, checked by the site's own coverage: every MDT above 20 dB
    fixed = load_site(fixed_file)
    assert len(fixed.repeaters) == len(site.repeaters) + len(doc["proposed_repeaters"])
    cov = coverage(fixed, k_nearest=len(fixed.repeaters) + 1)
    assert float(cov.best_margin_db.min()) >= 20.0
    code, out = _run("cit", "survey", str(site_file), "--min-margin-db", "20")
    assert code == 0
    assert "every device reaches the margin" in out


def test_survey_of_a_missing_file(tmp_path: Path) -> None:
    code, out = _run("cit", "survey", str(tmp_path / "nope.toml"))
    assert code == 2
    assert "no such file" in out


def test_the_reverse_phase_indicator_read_at_the_register_check_raises_and_clears_the_alarm(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The manual's MDT reads only the pulse output; the reverse phase indicator is on the LCD
    (§3.2), and §7 has the installer check it.  Recorded at the register check, it reaches the
    alarm rules and the §7 troubleshooting like any reported event."""
    import time

    site = simulate(tmp_path / "site", meters=4, floors=1, days=1, seed=3)
    db = str(site.db)
    with open_store(db) as store:
        meter = sorted(str(d.meter_id) for d in store.list_devices(role="mdt"))[1]
        total_kwh = float(store.get_register_reads(meter).register_wh[-1]) / 1000
    code, out = _run("cit", "register", "--db", db, "--meter", meter, "--lcd-kwh",
                     f"{total_kwh:.3f}", "--reverse-phase", "L2", "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["code"] == "register.match"
    assert doc["reverse_phase"]["value"] == 2
    assert doc["reverse_phase"]["alarm_open"] is True
    with open_store(db) as store:
        alarms = [a for a in store.list_alarms("open") if a.code == "alarm.reverse_phase"]
        assert [(a.meter_id, a.detail) for a in alarms] == [(meter, "reverse phase on element 2")]
        events = store.list_events(code="meter.reverse_phase")
        assert [(e.meter_id, e.value) for e in events] == [(meter, 2)]
    code, out = _run("cit", "troubleshoot", "--db", db, "--device", meter, "--symptom",
                     "consumption_low", "--at", "latest", "--json")
    assert code == 0, out
    assert "ts.reverse_phase" in [f["code"] for f in json.loads(out)["findings"]]

    later_s = time.time() + 60.0  # the CT turned round, read again a minute later
    monkeypatch.setattr(time, "time", lambda: later_s)
    code, out = _run("cit", "register", "--db", db, "--meter", meter, "--lcd-kwh",
                     f"{total_kwh:.3f}", "--reverse-phase", "off")
    assert code == 0, out
    assert "reverse phase indicator: off (alarm.reverse_phase not open)" in out
    with open_store(db) as store:
        assert not [a for a in store.list_alarms("open") if a.code == "alarm.reverse_phase"]
        assert [a.code for a in store.list_alarms("cleared")] == ["alarm.reverse_phase"]
    code, out = _run("cit", "register", "--db", db, "--meter", "M-404", "--lcd-kwh", "1",
                     "--reverse-phase", "L1")
    assert code == 2
    assert "M-404" in out
