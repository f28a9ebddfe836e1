"""Portfolio jobs against the real PostgreSQL, through a running Dask cluster
(``--scheduler``): concurrent publishes into one store give each site exactly what ``sim run``
gives it alone, a second run stores nothing, and the bills are those of ``openamr bill``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from portfolio_snapshot import site_snapshot

from openamr.cli import main
from openamr.headend.store import open_store

pytestmark = pytest.mark.postgres

TARIFF = Path(__file__).resolve().parents[2] / "examples" / "tariffs" / "residential-tou.toml"
PERIOD = ["--from", "2026-01-01", "--to", "2026-01-01"]


@pytest.fixture
def pg_dsn(pg_schema_dsn: str) -> str:
    """The DSN of a fresh schema (every Dask worker's connection sees it)."""
    return pg_schema_dsn


def test_a_portfolio_in_postgresql_on_a_running_cluster(pg_dsn: str, dask_cluster: Any,
                                                        tmp_path: Path) -> None:
    runner = CliRunner()
    sites = tmp_path / "sites"
    args = ["portfolio", "simulate", "--generate", "4", "--meters", "5", "--floors", "1",
            "--prefix", "tower", "--days", "1.5", "--db", pg_dsn, "--scheduler",
            dask_cluster.scheduler_address, "--write-sites", str(sites), "--json"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["stored"], summary["failed"], summary["workers"]) == (4, 0, 2)
    assert summary["scheduler"] == dask_cluster.scheduler_address
    site_ids = [r["site_id"] for r in summary["sites"]]
    for row in summary["sites"]:
        alone_db = tmp_path / f"{row['site_id']}.db"
        alone = runner.invoke(main, ["sim", "run", str(sites / f"{row['site_id']}.toml"),
                                     "--days", "1.5", "--db", str(alone_db), "--json"])
        assert alone.exit_code == 0, alone.output
        assert row["intervals_stored"] == json.loads(alone.output)["intervals_stored"] > 0
        with open_store(pg_dsn, create=False) as pg, \
                open_store(str(alone_db), create=False) as lite:
            assert site_snapshot(pg, row["site_id"]) == site_snapshot(lite, row["site_id"])

    with open_store(pg_dsn, create=False) as pg:
        intervals = pg.interval_count()
    again = runner.invoke(main, args)
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["skipped"] == 4
    with open_store(pg_dsn, create=False) as pg:
        assert pg.interval_count() == intervals

    out = tmp_path / "bills"
    billed = runner.invoke(main, ["portfolio", "bill", "--db", pg_dsn, "--tariff", str(TARIFF),
                                  *PERIOD, "-o", str(out), "--scheduler",
                                  dask_cluster.scheduler_address, "--json"])
    assert billed.exit_code == 0, billed.output
    assert sorted(r["site_id"] for r in json.loads(billed.output)["sites"]) == sorted(site_ids)
    for site_id in site_ids:
        alone = runner.invoke(main, ["bill", "--db", pg_dsn, "--tariff", str(TARIFF), *PERIOD,
                                     "--site", site_id, "--format", "csv"])
        assert alone.exit_code == 0, alone.output
        assert (out / f"{site_id}.csv").read_bytes() == alone.stdout_bytes
