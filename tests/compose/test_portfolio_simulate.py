"""``openamr portfolio simulate``: sites as Dask tasks, the same stored data as ``sim run`` of
each site alone, nothing new on a second run, a bad site reported without losing the others,
and a publish that is all or nothing (a worker that dies mid-task leaves no trace)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from portfolio_snapshot import site_snapshot

from openamr.cli import main
from openamr.compose.portfolio import (
    SiteSource,
    build_site,
    file_sources,
    generated_sources,
    publish_site,
    run_tasks,
    simulate_site_task,
    stage_site,
)
from openamr.field.sim.site_scenario import scenario_from_site
from openamr.field.site import write_site
from openamr.field.site.generate import generate_site
from openamr.headend.store import open_store

DAYS = "0.5"


def _alone(site_file: Path, db: Path) -> dict[str, Any]:
    """``openamr sim run`` of one site into its own store."""
    result = CliRunner().invoke(main, ["sim", "run", str(site_file), "--days", DAYS, "--db",
                                       str(db), "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def _snapshot(db: Path | str, site_id: str) -> dict[str, Any]:
    with open_store(str(db), create=False) as store:
        return site_snapshot(store, site_id)


@pytest.fixture(scope="module")
def site_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sites") / "tower.toml"
    write_site(generate_site(10, 1, 1, seed=3, name="Tower"), path)
    return path


@pytest.fixture(scope="module")
def portfolio_run(site_file: Path, tmp_path_factory: pytest.TempPathFactory
                  ) -> tuple[Path, Path, dict[str, Any]]:
    """A site file and two generated sites simulated into one SQLite store by a LocalCluster
    of two worker processes."""
    tmp = tmp_path_factory.mktemp("portfolio")
    db, sites = tmp / "portfolio.db", tmp / "sites"
    result = CliRunner().invoke(main, [
        "portfolio", "simulate", str(site_file), "--generate", "2", "--meters", "6",
        "--floors", "1", "--prefix", "block", "--days", DAYS, "--db", str(db),
        "--workers", "2", "--write-sites", str(sites), "--json"])
    assert result.exit_code == 0, result.output
    return db, sites, json.loads(result.output)


def test_each_site_is_stored_as_sim_run_stores_it_alone(
        portfolio_run: tuple[Path, Path, dict[str, Any]], tmp_path: Path) -> None:
    db, sites, summary = portfolio_run
    assert (summary["stored"], summary["skipped"], summary["failed"]) == (3, 0, 0)
    assert summary["workers"] == 2
    rows = {r["site_id"]: r for r in summary["sites"]}
    assert set(rows) == {"tower", "block-001", "block-002"}
    assert sorted(p.name for p in sites.iterdir()) == [
        "block-001.toml", "block-002.toml", "tower.toml"]
    rejected_alone: dict[str, int] = {}
    for site_id, row in rows.items():
        alone_db = tmp_path / f"{site_id}.db"
        alone = _alone(sites / f"{site_id}.toml", alone_db)
        assert row["status"] == "stored"
        assert row["intervals_stored"] == alone["intervals_stored"] > 0
        assert row["intervals_expected"] == alone["intervals_expected"]
        assert row["frames_rejected"] == alone["frames_rejected"]
        assert _snapshot(db, site_id) == _snapshot(alone_db, site_id)
        for reason, n in alone["frames_rejected"].items():
            rejected_alone[reason] = rejected_alone.get(reason, 0) + n
    with open_store(str(db), create=False) as store:
        assert store.rejection_counts() == rejected_alone
        assert sorted(s.site_id for s in store.list_sites()) == sorted(rows)


def test_a_second_run_stores_nothing_new(portfolio_run: tuple[Path, Path, dict[str, Any]],
                                         site_file: Path) -> None:
    db, _, _ = portfolio_run
    with open_store(str(db), create=False) as store:
        before = {s.site_id: site_snapshot(store, s.site_id) for s in store.list_sites()}
        rejections_before = store.rejection_counts()
        intervals_before = store.interval_count()
    result = CliRunner().invoke(main, [
        "portfolio", "simulate", str(site_file), "--generate", "2", "--meters", "6",
        "--floors", "1", "--prefix", "block", "--days", DAYS, "--db", str(db),
        "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    again = json.loads(result.output)
    assert (again["stored"], again["skipped"], again["failed"]) == (0, 3, 0)
    with open_store(str(db), create=False) as store:
        assert store.interval_count() == intervals_before
        assert store.rejection_counts() == rejections_before
        assert {s.site_id: site_snapshot(store, s.site_id)
                for s in store.list_sites()} == before


def test_a_bad_site_file_is_reported_by_name_and_the_others_are_kept(
        dask_client: Any, site_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text('[site]\nname = "Broken"\n', encoding="utf-8")  # no time_zone, no building
    db = tmp_path / "p.db"
    open_store(str(db)).close()
    sources = [*file_sources([bad, site_file]),
               *generated_sources(1, 4, 1, prefix="annex")]
    heard = []
    outcomes = run_tasks(dask_client, simulate_site_task,
                         [(s.label, (s, 0.25, str(db)), {}) for s in sources], retries=0,
                         on_done=heard.append)
    assert sorted(o.label for o in heard) == sorted(s.label for s in sources)
    failed, *good = outcomes
    assert failed.label == str(bad)
    assert not failed.ok
    assert failed.error is not None
    assert "SiteError" in failed.error
    assert str(bad) in failed.error
    assert "time_zone" in failed.error
    assert [o.value["status"] for o in good] == ["stored", "stored"]
    with open_store(str(db), create=False) as store:
        for o in good:
            # (the drain after the run's days stores a few more than it counts)
            assert store.interval_count(site_id=o.value["site_id"]) \
                >= o.value["intervals_stored"] > 0


def test_the_cli_reports_a_failed_site_and_exits_1(site_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("[site\n", encoding="utf-8")
    db = tmp_path / "p.db"
    result = CliRunner().invoke(main, ["portfolio", "simulate", str(bad), str(site_file),
                                       "--days", "0.25", "--db", str(db), "--workers", "1",
                                       "--retries", "0", "--json"])
    assert result.exit_code == 1, result.output
    summary = json.loads(result.output)
    assert (summary["stored"], summary["failed"]) == (1, 1)
    failed = next(r for r in summary["sites"] if r["status"] == "failed")
    assert failed["label"] == str(bad)
    assert f"{bad}:1" in failed["error"]
    assert "TOML syntax error" in failed["error"]
    with open_store(str(db), create=False) as store:
        assert store.interval_count(site_id="tower") > 0


class _WorkerDiedError(Exception):
    pass


def test_a_publish_is_all_or_nothing(site_file: Path, tmp_path: Path) -> None:
    """A task whose worker dies while it publishes leaves nothing of its site: the retry
    stores the site exactly as ``sim run`` does."""
    db = tmp_path / "p.db"
    source = file_sources([site_file])[0]
    site = build_site(source)
    scenario = scenario_from_site(site, 0.5)
    with open_store(str(db)) as store:
        key = store.get_or_create_network_key()
    _, batches = stage_site(site, scenario, 0.5, key)
    assert len(batches) > 4

    def dies_halfway() -> Any:
        yield from batches[:len(batches) // 2]
        raise _WorkerDiedError

    with pytest.raises(_WorkerDiedError):
        publish_site(str(db), site, scenario, 0.5, dies_halfway())
    with open_store(str(db), create=False) as store:
        assert store.get_site(site.site_id) is None
        assert store.interval_count() == 0
        assert store.list_devices() == []
        assert store.load_replay_windows() == {}
    row = simulate_site_task(source, 0.5, str(db))
    assert row["status"] == "stored"
    alone_db = tmp_path / "alone.db"
    _alone(site_file, alone_db)
    assert _snapshot(db, site.site_id) == _snapshot(alone_db, site.site_id)
    assert publish_site(str(db), site, scenario, 0.5, batches) is None  # a late duplicate


def test_two_tasks_of_one_site_publish_once(dask_client: Any, site_file: Path,
                                            tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    open_store(str(db)).close()
    source = file_sources([site_file])[0]
    outcomes = run_tasks(dask_client, simulate_site_task,
                         [("a", (source, 0.25, str(db)), {}), ("b", (source, 0.25, str(db)), {})])
    assert sorted(o.value["status"] for o in outcomes) == ["skipped", "stored"]
    stored = next(o.value for o in outcomes if o.value["status"] == "stored")
    with open_store(str(db), create=False) as store:
        assert store.interval_count() >= stored["intervals_stored"] > 0
        assert len(store.list_sites()) == 1


def test_generated_sources_are_distinct_sites() -> None:
    sources = generated_sources(3, 5, 1, seed=7, prefix="campus")
    assert [s.label for s in sources] == ["campus-001", "campus-002", "campus-003"]
    sites = [build_site(s) for s in sources]
    assert [s.site_id for s in sites] == ["campus-001", "campus-002", "campus-003"]
    assert [s.seed for s in sites] == [7, 8, 9]
    assert all(len(s.meters) == 5 for s in sites)


def test_bad_options_are_refused(site_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["portfolio", "simulate", "--days", "1", "--db",
                                  str(tmp_path / "p.db")])
    assert result.exit_code == 2
    assert "--generate" in result.output
    result = runner.invoke(main, ["portfolio", "simulate", str(site_file), "--days", "1",
                                  "--db", str(tmp_path / "p.db"), "--scheduler",
                                  "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2
    assert "postgresql://" in result.output
    assert not (tmp_path / "p.db").exists()
    result = runner.invoke(main, ["portfolio", "simulate", "--generate", "1", "--days", "1",
                                  "--db", str(tmp_path / "p.db"), "--time-zone", "Mars/Base"])
    assert result.exit_code == 2
    assert "Mars/Base" in result.output


def test_without_dask_the_command_says_what_to_install(site_file: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    result = CliRunner().invoke(main, ["portfolio", "simulate", str(site_file), "--days", "1",
                                       "--db", str(tmp_path / "p.db")])
    assert result.exit_code == 1
    assert "pip install 'openamr[portfolio]'" in result.output
    assert not (tmp_path / "p.db").exists()


def test_a_site_source_needs_text_or_parameters() -> None:
    with pytest.raises(ValueError, match="needs a text"):
        build_site(SiteSource("nothing"))


def test_a_scheduler_without_workers_or_unreachable_is_a_clear_error() -> None:
    import logging

    import distributed

    from openamr.compose.portfolio import dask_client
    from openamr.errors import InputError

    with distributed.LocalCluster(n_workers=0, dashboard_address="127.0.0.1:0",
                                  silence_logs=logging.CRITICAL) as empty:
        with pytest.raises(InputError, match="no worker") as info, \
                dask_client(empty.scheduler_address, 1, worker_timeout_s=0.2):
            pass
        assert info.value.where == "--scheduler"
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"), \
            dask_client("tcp://127.0.0.1:9", 1, connect_timeout_s=0.5):
        pass
