"""``openamr sim run``: the JSON summary, the real ingest behind it, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from openamr.cli import main
from openamr.field.site import write_site
from openamr.field.site.generate import generate_site

KEYS = {"mdts", "repeaters", "joined", "intervals_expected", "intervals_stored",
        "read_success_24h_ratio", "read_success_72h_ratio", "join_time_s", "frames_rejected"}


@pytest.fixture(scope="module")
def site_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("site") / "site.toml"
    write_site(generate_site(12, 1, 1, seed=3), path)
    return path


def test_sim_run_json_stores_every_interval(site_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "sim.db"
    frames = tmp_path / "frames.jsonl"
    result = CliRunner().invoke(main, ["sim", "run", str(site_file), "--days", "1", "--db",
                                       str(db), "--frames-out", str(frames), "--json"])
    assert result.exit_code == 0, result.output
    s = json.loads(result.output)
    assert set(s) >= KEYS
    assert s["mdts"] == 12
    assert s["joined"] == {"repeater": 1, "mdt": 12}
    assert s["intervals_stored"] == s["intervals_expected"] > 0
    assert s["read_success_24h_ratio"] == 1.0
    assert set(s["join_time_s"]) == {"repeater", "mdt"}
    assert set(s["join_time_s"]["mdt"]) == {"p50", "max"}
    assert s["frames_rejected"] == {}
    assert s["store"] == str(db)
    assert frames.read_text().count("\n") > 12 * 24


def test_the_real_ingest_rejects_replay_forgery_and_strangers(site_file: Path,
                                                              tmp_path: Path) -> None:
    from openamr.frames import Frame, IntervalRecord, Intervals, peek_header
    from openamr.headend.ingest import Ingest
    from openamr.headend.store import open_store

    db = tmp_path / "sim.db"
    frames = tmp_path / "frames.jsonl"
    result = CliRunner().invoke(main, ["sim", "run", str(site_file), "--days", "0.5", "--db",
                                       str(db), "--frames-out", str(frames), "--json"])
    assert result.exit_code == 0, result.output
    captured = [bytes.fromhex(json.loads(line)["frame"])
                for line in frames.read_text().splitlines()]
    report = next(f for f in captured if peek_header(f).frame_type == 4)
    store = open_store(str(db))
    try:
        before = store.interval_count()
        ingest = Ingest(store)
        forged = bytearray(report)
        forged[-1] ^= 0x01
        stranger = Frame(0x0BAD_0BAD_0BAD_0BAD, 1, 0, Intervals(10, (IntervalRecord(
            0, 1_767_225_600, 10),))).to_bytes(store.get_or_create_network_key())
        replies = ingest.handle_batch([report, bytes(forged), stranger], 1_767_300_000)
        assert replies == [[], [], []]
        counts = store.rejection_counts()
        assert counts.get("replay") == 1
        assert counts.get("bad_mic") == 1
        assert counts.get("unknown_device") == 1
        assert store.interval_count() == before
    finally:
        store.close()


def test_a_used_store_is_refused(site_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "sim.db"
    args = ["sim", "run", str(site_file), "--days", "0.1", "--db", str(db), "--json"]
    assert CliRunner().invoke(main, args).exit_code == 0
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2
    assert "new --db" in again.output


def test_a_malformed_site_is_rejected_with_status_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[site]\nname = 1\n")
    result = CliRunner().invoke(main, ["sim", "run", str(bad), "--days", "1", "--json"])
    assert result.exit_code == 2
    assert "bad.toml" in result.output


def test_site_tampers_reach_the_real_ingest_as_events(tmp_path: Path) -> None:
    from openamr.field.site import load_site
    from openamr.headend.store import open_store

    path = tmp_path / "site.toml"
    write_site(generate_site(4, 1, 1, seed=3), path)
    meter = load_site(path).meters[0].id
    with path.open("a") as f:
        f.write(f'\n[[tampers]]\nmeter = "{meter}"\nstart_s = 21600\nduration_s = 1800\n')
    db = tmp_path / "sim.db"
    result = CliRunner().invoke(main, ["sim", "run", str(path), "--days", "0.5", "--db",
                                       str(db), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["frames_rejected"] == {}
    store = open_store(str(db))
    try:
        codes = sorted(e.code for e in store.list_events(meter_id=meter)
                       if e.code.startswith("tamper."))
    finally:
        store.close()
    assert codes == ["tamper.cover_removed", "tamper.cover_replaced"]


def test_devices_that_never_joined_are_named_and_fail_require_all_joined(
        site_file: Path, tmp_path: Path) -> None:
    import dataclasses

    from openamr.field.site import load_site

    site = load_site(site_file)
    # the last meter is moved 2 km away: nothing hears it
    far = dataclasses.replace(site.meters[-1], x_m=2000.0, y_m=2000.0)
    lonely = tmp_path / "lonely.toml"
    write_site(dataclasses.replace(site, meters=(*site.meters[:-1], far)), lonely)
    result = CliRunner().invoke(main, ["sim", "run", str(lonely), "--days", "0.25", "--db",
                                       str(tmp_path / "a.db"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["never_joined"] == [far.id]
    strict = CliRunner().invoke(main, ["sim", "run", str(lonely), "--days", "0.25", "--db",
                                       str(tmp_path / "b.db"), "--json", "--require-all-joined"])
    assert strict.exit_code == 1
    assert json.loads(strict.output)["never_joined"] == [far.id]
    text = CliRunner().invoke(main, ["sim", "run", str(lonely), "--days", "0.25", "--db",
                                     str(tmp_path / "c.db")])
    assert f"never joined: {far.id}" in text.output


def test_the_summary_counts_what_this_run_stored(site_file: Path, tmp_path: Path) -> None:
    from openamr.field.site import load_site
    from openamr.headend.store import open_store

    db = tmp_path / "sim.db"
    result = CliRunner().invoke(main, ["sim", "run", str(site_file), "--days", "0.5", "--db",
                                       str(db), "--json"])
    s = json.loads(result.output)
    site = load_site(site_file)
    start_s = site.start_s or 1_767_225_600
    end_s = start_s + 43_200
    with open_store(str(db)) as store:
        in_run = store.get_intervals_bulk([m.id for m in site.meters], start_s, end_s)
        everything = store.interval_count()
    # the drain after the run's end stores intervals too: they are not this run's days
    assert everything > len(in_run)
    assert s["intervals_stored"] == len(in_run) == s["intervals_expected"]
