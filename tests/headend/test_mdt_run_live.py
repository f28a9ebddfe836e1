"""Acceptance: a building provisioned with ``site add`` and ``device add`` is fed by two
``openamr mdt run --pulses`` processes (one over UDP, one over TCP, that one killed with SIGKILL
mid-run and started again on the same state), into a real ``openamr serve``.  The API's
intervals equal the pulses × 10 Wh, interval by interval: no gap, no duplicate."""

from __future__ import annotations

import random
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from click.testing import CliRunner
from serve_process import ServeProcess

from openamr.cli import main

SITE = "bldg-1"
MDTS = {"M-01": ("70b3d5a000000101", "00112233445566778899aabbccddeeff"),
        "M-02": ("70b3d5a000000102", "ffeeddccbbaa99887766554433221100")}
SPAN_S = 8 * 3600
READ_TIMEOUT_S = 60.0


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _pulse_times(seed: int, end_s: float) -> list[float]:
    """Pulses over SPAN_S up to ``end_s``: bursts and pauses (some intervals get none)."""
    rng = random.Random(seed)
    t, out = end_s - SPAN_S, []
    while True:
        t += rng.choice((rng.uniform(1.0, 30.0), rng.uniform(1.0, 30.0), rng.uniform(300, 1500)))
        if t >= end_s:
            return out
        out.append(round(t, 3))


def _expected(times: list[float]) -> dict[int, float]:
    """Energy of every closed interval [Wh]: from the first pulse's interval to the one before
    the last pulse's (that one stays open in the MDT's state), empty ones included."""
    counts = Counter(int(t // 900) * 900 for t in times)
    first, last = min(counts), int(times[-1] // 900) * 900
    return {s: counts.get(s, 0) * 10.0 for s in range(first, last, 900)}


def _mdt(headend: str, meter_id: str, state: Path, pulses: str,
         **kw: object) -> subprocess.Popen[str]:
    eui, code = MDTS[meter_id]
    return subprocess.Popen(
        [sys.executable, "-m", "openamr", "mdt", "run", "--site", SITE, "--id", meter_id,
         "--eui", eui, "--install-code", code, "--headend", headend, "--state", str(state),
         "--pulses", pulses, "--ack-timeout-s", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)  # type: ignore[call-overload]


def _read_until(proc: subprocess.Popen[str], needle: str, times: int) -> list[str]:
    """Lines of ``proc`` until ``needle`` was seen ``times`` times."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + READ_TIMEOUT_S
    while sum(needle in line for line in lines) < times:
        ready, _, _ = select.select([proc.stdout], [], [], max(deadline - time.monotonic(), 0))
        assert ready, f"no {needle!r} within {READ_TIMEOUT_S} s: {lines}"
        line = proc.stdout.readline()
        assert line, f"the MDT exited: {lines}"
        lines.append(line)
    return lines


def _stored(api: httpx.Client, meter_id: str) -> list[tuple[int, float]]:
    from openamr.timeutil import epoch_s, parse_utc

    body = api.get(f"/api/v1/sites/{SITE}/meters/{meter_id}/intervals",
                   params={"limit": 100_000}).json()
    return [(epoch_s(parse_utc(i["start"])), i["energy_wh"]) for i in body["intervals"]]


def test_two_software_mdts_one_killed_mid_run(tmp_path: Path) -> None:
    db = tmp_path / "head.db"
    _cli("site", "add", "--db", str(db), "--id", SITE, "--name", "Building 1",
         "--time-zone", "America/Los_Angeles")
    for meter_id, (eui, code) in MDTS.items():
        _cli("device", "add", "--db", str(db), "--site", SITE, "--id", meter_id, "--role",
             "mdt", "--eui", eui, "--install-code", code)
    token = _cli("token", "create", "--db", str(db), "--role", "installer",
                 "--site", SITE).split()[-1]  # the installer checks the meters count
    admin = _cli("token", "create", "--db", str(db), "--role", "admin").split()[-1]
    end_s = time.time() - 600
    pulses = {m: _pulse_times(i, end_s) for i, m in enumerate(MDTS)}
    files = {}
    for meter_id, times in pulses.items():
        files[meter_id] = tmp_path / f"{meter_id}.txt"
        files[meter_id].write_text("".join(f"{t}\n" for t in times))

    with ServeProcess(str(db), tmp_path / "serve.log") as server:
        first = _mdt(server.udp, "M-01", tmp_path / "state-1", str(files["M-01"]))
        # M-02 over TCP, its pulses streamed: killed after two acknowledged reports
        tcp = f"tcp://{server.tcp}"
        second = _mdt(tcp, "M-02", tmp_path / "state-2", "-", stdin=subprocess.PIPE)
        assert second.stdin is not None
        half = pulses["M-02"][: len(pulses["M-02"]) // 2]
        second.stdin.write("".join(f"{t}\n" for t in half))
        second.stdin.flush()
        _read_until(second, "acknowledged through seq", 2)
        second.send_signal(signal.SIGKILL)
        second.wait(30)
        second.stdin.close()
        assert second.stdout is not None
        second.stdout.close()
        with server.client(token) as api:  # killed mid-run: some of M-02 stored, not all
            assert 0 < len(_stored(api, "M-02")) < len(_expected(pulses["M-02"]))
        again = _mdt(tcp, "M-02", tmp_path / "state-2", str(files["M-02"]))
        outputs = {}
        for name, proc in (("M-01", first), ("M-02", again)):
            outputs[name], _ = proc.communicate(timeout=120)
            assert proc.returncode == 0, outputs[name]
            assert "every closed interval acknowledged" in outputs[name]
        assert "state restored" in outputs["M-02"]
        assert "already counted" in outputs["M-02"]

        with server.client(token) as api:
            for meter_id, times in pulses.items():
                stored = _stored(api, meter_id)
                starts = [s for s, _ in stored]
                assert starts == sorted(set(starts))  # no duplicate
                assert dict(stored) == _expected(times), meter_id  # no gap, pulses × 10 Wh
        with server.client(admin) as api:
            assert api.get("/api/v1/ingest/rejections").json()["counts"] == {}
    assert (tmp_path / "state-2" / "mdt-state.json").exists()
