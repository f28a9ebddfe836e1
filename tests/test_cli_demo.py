"""``openamr demo``: the summary is the store's truth, bills equal ``openamr bill``'s, it serves.

The demo runs as a user runs it (``python -m openamr demo`` in a fresh directory), on a
small-but-real building (``--days 2 --apartments 6``: every step of the default run, fewer
meters and days).  The demo building's generator and the master meter are tested directly.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openamr.cli.demo import is_demo_store, last_full_month
from openamr.field.site.demo_building import (
    COMMON_METER_ID,
    DEMO_SITE_ID,
    MASTER_METER_ID,
    demo_site,
    master_interval_wh,
)
from openamr.headend.store import open_store
from openamr.timeutil import parse_utc


def _openamr(*args: str, cwd: Path, timeout_s: float = 300.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "openamr", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=timeout_s, check=False)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One small demo run (its directory and its JSON summary), shared by the tests."""
    cwd = tmp_path_factory.mktemp("demo")
    result = _openamr("demo", "--no-serve", "--json", "--days", "2", "--apartments", "6",
                      cwd=cwd)
    assert result.returncode == 0, result.stderr
    return cwd, json.loads(result.stdout)


def test_the_summary_is_what_the_store_holds(demo_run: tuple[Path, dict[str, Any]]) -> None:
    cwd, summary = demo_run
    db = cwd / "demo.db"  # the default store, in the current directory
    assert db.is_file()
    assert summary["db"] == "demo.db"
    assert summary["site_id"] == DEMO_SITE_ID
    devices = summary["devices"]
    assert devices["dcap"] == 1
    assert 2 <= devices["repeaters"] <= 3
    assert devices["joined"] == {"mdt": devices["mdts"], "repeater": devices["repeaters"]}
    assert devices["mdts"] == 6 + 2  # the apartments, the common area, the roof PV
    start_s = int(parse_utc(summary["start_utc"]).timestamp())
    end_s = int(parse_utc(summary["end_utc"]).timestamp())
    assert end_s - start_s == 2 * 86400
    assert start_s % 900 == 0
    per_meter = summary["intervals"]["per_meter"]
    assert len(per_meter) == devices["joined"]["mdt"]
    with open_store(str(db), create=False) as store:
        for meter_id, counts in per_meter.items():
            # every joined MDT delivered every interval it closed, and the store holds each once
            assert counts["expected"] > 0
            assert counts["stored"] == counts["expected"], meter_id
            assert store.interval_count(meter_id, start_s=start_s, end_s=end_s) \
                == counts["stored"]
        assert summary["intervals"]["stored"] == summary["intervals"]["expected"] \
            == sum(c["expected"] for c in per_meter.values())
        # the utility master meter: every 15-minute interval of the days, the building's total
        master = summary["master_meter"]
        assert master["meter_id"] == MASTER_METER_ID
        assert store.interval_count(MASTER_METER_ID, start_s=start_s, end_s=end_s) \
            == master["intervals_stored"] == 2 * 96
        assert store.interval_total_wh(MASTER_METER_ID, start_s=start_s, end_s=end_s) \
            == pytest.approx(master["delivered_kwh"] * 1000.0, abs=1.0)


def test_tenants_vee_and_what_is_not_available(demo_run: tuple[Path, dict[str, Any]]) -> None:
    """Every apartment has a tenant; VEE checked every meter's intervals from commissioning on
    and found nothing missing; a part of openamr that is not installed is named, not faked."""
    import importlib.util

    cwd, summary = demo_run
    assert summary["tenants"] == 6
    with open_store(str(cwd / "demo.db"), create=False) as store:
        occupancies = store.list_occupancies(site_id=DEMO_SITE_ID)
        assert sorted(o.tenant_id for o in occupancies) == sorted(summary["bills"]["accounts"])
    commissioned_s = int(parse_utc(summary["commissioned_utc"]).timestamp())
    end_s = int(parse_utc(summary["end_utc"]).timestamp())
    meters = summary["devices"]["mdts"] + 1  # and the master meter
    vee = summary["vee"]
    assert vee["meters"] == meters
    assert vee["intervals_checked"] == meters * (end_s - commissioned_s) // 900
    assert vee["left_missing"] == 0
    assert summary["pv"] == {"meter_id": "PV-ROOF", "kwp": 3.75}  # 0.625 kWp per apartment
    web = importlib.util.find_spec("openamr.web") is not None
    assert any(n.startswith("dashboard:") for n in summary["unavailable"]) != web
    assert summary["url"].startswith("http://127.0.0.1:8080/?token=" if web
                                     else "http://127.0.0.1:8080/docs")


def test_bills_equal_openamr_bill(demo_run: tuple[Path, dict[str, Any]]) -> None:
    cwd, summary = demo_run
    bills = summary["bills"]
    assert bills["count"] == 6
    assert bills["scope"] == "tenant"
    total = 0
    for account_id, row in bills["accounts"].items():
        result = _openamr("bill", "--db", "demo.db", "--tariff", bills["tariff"], "--period",
                          bills["period"], "--tenant", account_id, "--format", "json", cwd=cwd)
        assert result.returncode == 0, result.stderr
        printed = json.loads(result.stdout)
        printed = printed["bills"][0] if "bills" in printed else printed
        assert printed["total"] == row["total"], account_id
        assert printed["energy_kwh"] == row["energy_kwh"], account_id
        total += float(row["total"])
    assert float(bills["total"]) == pytest.approx(total, abs=0.005)


def test_a_store_that_is_not_the_demos_is_refused_then_forced(tmp_path: Path) -> None:
    other = tmp_path / "head.db"
    other.write_text("not a store\n")
    result = _openamr("demo", "--no-serve", "--days", "1", "--apartments", "2",
                      "--db", str(other), cwd=tmp_path)
    assert result.returncode == 2
    assert "not an openamr demo store" in result.stderr
    assert str(other) in result.stderr
    assert other.read_text() == "not a store\n"  # nothing changed
    result = _openamr("demo", "--no-serve", "--days", "1", "--apartments", "2",
                      "--db", str(other), "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert is_demo_store(other)
    # a demo store is replaced without --force: the second run starts afresh
    result = _openamr("demo", "--no-serve", "--json", "--days", "1", "--apartments", "2",
                      "--db", str(other), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    again = json.loads(result.stdout)
    assert again["intervals"]["stored"] == again["intervals"]["expected"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_the_demo_serves_the_api_and_the_dashboard(tmp_path: Path) -> None:
    import importlib.util

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "openamr", "demo", "--days", "1",
                             "--apartments", "2", "--port", str(port)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:  # the demo prints the link once the port answers
            lines.append(line)
            if "Ctrl-C" in line:
                break
        assert any("Ctrl-C" in line for line in lines), "".join(lines)
        link = next(line.split()[1] for line in lines if line.startswith("Open "))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health",
                                    timeout=10) as resp:
            assert resp.status == 200
            assert json.loads(resp.read())["status"] == "ok"
        if importlib.util.find_spec("openamr.web") is not None:
            assert link.startswith(f"http://127.0.0.1:{port}/?token=")
            opener = urllib.request.build_opener(_NoRedirect)
            with pytest.raises(urllib.error.HTTPError) as signed_in:
                opener.open(link, timeout=10)  # 303 to / with the session cookie
            signed_in.value.close()
            assert signed_in.value.code == 303
            cookie = signed_in.value.headers["set-cookie"].split(";")[0]
            page = urllib.request.Request(f"http://127.0.0.1:{port}/",
                                          headers={"Cookie": cookie})
            with urllib.request.urlopen(page, timeout=10) as resp:
                assert resp.status == 200
                assert DEMO_SITE_ID in resp.read().decode()
        else:
            assert f"http://127.0.0.1:{port}/docs" in link
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "openamr serve stopped" in out


# --- the building and its master meter ----------------------------------------------------------

def test_the_demo_building() -> None:
    b = demo_site(48)
    site = b.site
    assert site.site_id == DEMO_SITE_ID
    assert site.time_zone == "America/Los_Angeles"
    assert len(b.apartment_meter_ids) == 48
    assert len(set(b.apartment_meter_ids)) == 48
    assert 2 <= len(site.repeaters) <= 3
    ids = [m.id for m in site.meters]
    assert COMMON_METER_ID in ids
    assert MASTER_METER_ID not in ids
    assert b.pv_meter_id in ids
    units = b.unit_of
    assert all(units[a] == a for a in b.apartment_meter_ids)
    common = site.device(COMMON_METER_ID)
    assert common.floor == 0
    assert {u.id for u in site.units} == {*b.apartment_meter_ids, "COMMON", "PV"}
    assert site.device(b.pv_meter_id).floor == max(m.floor for m in site.meters)  # the roof
    assert demo_site(48) == b  # deterministic


def test_the_master_meter_is_the_buildings_net_total() -> None:
    from openamr.field.loads import site_leg_power_w

    b = demo_site(6, pv_kwp=20.0)  # an oversized array: midday export on sunny days
    start_s = 1_780_000_200 - 1_780_000_200 % 900
    n = 3 * 96
    master = master_interval_wh(b, start_s, n)
    assert master.delivered_wh.shape == (n,)
    assert (master.delivered_wh >= 0).all()
    legs = site_leg_power_w(b.site, n * 3, 300.0, start_s, dtype=np.float64).sum(axis=1)
    use_wh = sum(legs[i].sum() for i, m in enumerate(b.site.meters) if m.id != b.pv_meter_id)
    pv_wh = sum(legs[i].sum() for i, m in enumerate(b.site.meters) if m.id == b.pv_meter_id)
    hours = 300.0 / 3600.0
    # delivered − exported is the building's use less the PV production (rounding: ½ Wh each)
    assert master.delivered_wh.sum() - master.exported_wh.sum() == pytest.approx(
        (use_wh - pv_wh) * hours, abs=n * 0.5 + 1e-6)
    assert master.exported_wh.sum() > 0
    with pytest.raises(ValueError, match="15-minute grid"):
        master_interval_wh(b, start_s + 60, 4)


@pytest.mark.parametrize(("now_utc", "month"), [
    ("2026-12-04T00:30:00Z", "2026-11"),
    ("2026-12-01T05:00:00Z", "2026-10"),   # still 30 November in Los Angeles
    ("2026-12-01T08:00:00Z", "2026-11"),
    ("2027-01-15T12:00:00Z", "2026-12"),
])
def test_last_full_month_is_in_the_sites_zone(now_utc: str, month: str) -> None:
    assert last_full_month(int(parse_utc(now_utc).timestamp()), "America/Los_Angeles") == month


def test_is_demo_store_reads_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    assert not is_demo_store(path)
    assert not path.exists()  # a read-only probe never creates a file
    with open_store(str(path)) as store:
        from openamr.headend.store.base import Site

        store.upsert_site(Site("other", "Other", "UTC"))
    before = path.read_bytes()
    assert not is_demo_store(path)
    assert path.read_bytes() == before


def test_bad_input_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """A tariff that does not load, or a --db in a missing directory: exit 2, nothing written."""
    from click.testing import CliRunner

    from openamr.cli import main

    bad = tmp_path / "bad.toml"
    bad.write_text("x = \n")
    runner = CliRunner()
    result = runner.invoke(main, ["demo", "--no-serve", "--tariff", str(bad),
                                  "--db", str(tmp_path / "d.db")])
    assert result.exit_code == 2
    assert "bad.toml" in result.output
    assert not (tmp_path / "d.db").exists()
    result = runner.invoke(main, ["demo", "--no-serve", "--tariff", str(tmp_path / "none.toml"),
                                  "--db", str(tmp_path / "d.db")])
    assert result.exit_code == 2
    assert "--tariff" in result.output
    result = runner.invoke(main, ["demo", "--no-serve", "--db", str(tmp_path / "no" / "d.db")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert list(tmp_path.iterdir()) == [bad]
