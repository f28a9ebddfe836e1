"""``openamr vee``: the summary, JSON, idempotence, date ranges in the site's zone, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from vee_seed import seed_meter

from openamr.cli import main
from openamr.headend.store import open_store


def _db(tmp_path: Path) -> str:
    db = str(tmp_path / "cli.db")
    drop = np.zeros(42 * 96, dtype=bool)
    drop[3000:3003] = drop[3500:3600] = True
    energy = np.full(42 * 96, 100.0)
    energy[100:200] = 0.0
    with open_store(db) as store:
        seed_meter(store, drop=drop, energy=energy)
    return db


def test_the_summary_and_a_second_run_that_writes_nothing(tmp_path: Path) -> None:
    db = _db(tmp_path)
    runner = CliRunner()
    r = runner.invoke(main, ["vee", "--db", db, "--site", "s1"])
    assert r.exit_code == 0, r.output
    assert "VEE over 1 meter(s), 2026-02-01T08:00:00Z .. 2026-03-15T08:00:00Z" in r.output
    assert "vee.gap                     103" in r.output
    assert "vee.zero_run                100" in r.output
    assert "like_day                    100" in r.output
    assert "linear                        3" in r.output
    assert "validated rows: 203 written, 0 deleted, 0 unchanged" in r.output
    r = runner.invoke(main, ["vee", "--db", db, "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert (out["rows_written"], out["rows_unchanged"], out["findings_added"]) == (0, 203, 0)
    assert out["intervals_by_rule"] == {"vee.gap": 103, "vee.zero_run": 100}
    assert out["estimated_by_method"] == {"like_day": 100, "linear": 3}


def test_dates_are_local_days_of_the_site_and_vacant_units(tmp_path: Path) -> None:
    db = _db(tmp_path)
    r = CliRunner().invoke(main, ["vee", "--db", db, "--site", "s1", "--from", "2026-02-02",
                                  "--to", "2026-02-02", "--vacant", "m1", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["intervals_checked"] == 96
    assert out["start_s"] == 1_769_932_800 + 86_400  # 2026-02-02T00:00-08:00
    assert out["intervals_by_rule"] == {}  # the zeros of that day belong to a vacant unit


def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    db = _db(tmp_path)
    runner = CliRunner()
    for args, message in ((["--site", "nope"], "unknown site 'nope'"),
                          (["--meter", "nope"], "unknown meter 'nope'"),
                          (["--from", "2026-02-30", "--to", "2026-03-01"], "not a date"),
                          (["--from", "2026-03-02"], "both --from and --to"),
                          (["--from", "2026-03-02", "--to", "2026-03-01"], "before"),
                          (["--vacant", "nope"], "unknown meter 'nope'"),
                          (["--zero-run", "0"], "zero_run_intervals"),
                          (["--like-day-weeks", "9"], "like_day_weeks")):
        r = runner.invoke(main, ["vee", "--db", db, *args])
        assert r.exit_code == 2, (args, r.output)
        assert message in r.output
    r = runner.invoke(main, ["vee", "--db", str(tmp_path / "missing.db")])
    assert r.exit_code == 2
    assert "no such store file" in r.output
    with open_store(db) as store:
        assert store.list_vee_findings() == []


def test_parameters_change_what_is_flagged_and_how_gaps_are_filled(tmp_path: Path) -> None:
    db = _db(tmp_path)
    r = CliRunner().invoke(main, ["vee", "--db", db, "--zero-run", "200", "--max-linear-gap",
                                  "100", "--no-register-scaling", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["intervals_by_rule"] == {"vee.gap": 103}  # 100 zeros < 200
    assert out["estimated_by_method"] == {"linear": 103}  # a 100-interval line is allowed
