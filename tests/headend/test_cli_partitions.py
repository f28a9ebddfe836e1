"""``openamr partitions``: list and maintain the monthly interval partitions (PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import psycopg
from click.testing import CliRunner

from openamr.cli import main
from openamr.headend.store import IntervalBatch, Meter, Site, open_store
from openamr.headend.store._partitions import month_name
from openamr.timeutil import epoch_s, utc_months, utc_now

T0 = 1_767_225_600  # 2026-01-01
FAR_S = 7_258_118_400  # 2200-01-01


def _current_month() -> int:
    return int(utc_months(np.array([epoch_s(utc_now())]))[0])


def test_partitions_lists_creates_ahead_and_empties_default(
        pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    options = f"-c search_path={schema}"
    with open_store(dsn, options=options) as store:
        store.upsert_site(Site("s1", "One", "UTC"))
        store.upsert_meter(Meter("m0", "s1"))
        store.put_intervals(IntervalBatch("m0", T0 + 900 * np.arange(4), np.ones(4),
                                          source="import", received_s=T0))
        store.put_intervals(IntervalBatch("m0", np.array([FAR_S]), np.ones(1),
                                          source="import", received_s=T0))  # DEFAULT
    with psycopg.connect(dsn, autocommit=True, options=options) as conn:
        conn.execute("INSERT INTO intervals VALUES (1, -900, 2.0, 0, 0, 0, 0)")  # a restore
    url = f"{dsn}?options=-csearch_path%3D{schema}"
    runner = CliRunner()

    listed = runner.invoke(main, ["partitions", "--db", url, "--list"])
    assert listed.exit_code == 0, listed.output
    assert "1 partition(s) and DEFAULT (2 row(s) waiting in DEFAULT)" in listed.output
    lines = listed.output.splitlines()
    assert lines[1].split()[:4] == ["intervals_y2026m01", "2026-01-01T00:00:00Z", "..",
                                    "2026-02-01T00:00:00Z"]
    assert lines[2].split() == ["intervals_default", "DEFAULT", "rows", "2"]
    assert "created" not in listed.output

    before = _current_month()
    done = runner.invoke(main, ["partitions", "--db", url, "--ahead-months", "2"])
    after = _current_month()
    assert done.exit_code == 0, done.output
    created = done.output.split("created: ")[1].splitlines()[0].split(", ")
    assert "intervals_y1969m12" in created
    assert any({month_name("intervals", m + k) for k in range(3)} <= set(created)
               for m in (before, after)), done.output
    # the 1969 row moved to its month; 2200 is beyond the horizon and stays in DEFAULT
    assert "(1 row(s) waiting in DEFAULT)" in done.output
    with psycopg.connect(dsn, autocommit=True, options=options) as conn:
        placed = dict(conn.execute("SELECT tableoid::regclass::text, count(*) FROM intervals "
                                   "GROUP BY 1").fetchall())
    assert placed == {"intervals_y2026m01": 4, "intervals_y1969m12": 1, "intervals_default": 1}

    again = runner.invoke(main, ["partitions", "--db", url])
    assert again.exit_code == 0
    assert "created" not in again.output


def test_partitions_refuses_a_sqlite_store(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    open_store(str(db)).close()
    result = CliRunner().invoke(main, ["partitions", "--db", str(db)])
    assert result.exit_code == 2
    assert "SQLite store has no partitions" in result.output
