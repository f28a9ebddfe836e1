"""``openamr backup``: SQLite through the online backup API, PostgreSQL through ``pg_dump``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from openamr.cli import main
from openamr.headend.store import IntervalBatch, Meter, Site, Store, open_store

T0 = 1_767_225_600


def _fill(store: Store) -> None:
    store.upsert_site(Site("s1", "S", "UTC"))
    store.upsert_meter(Meter("M-01", "s1"))
    store.put_intervals(IntervalBatch("M-01", T0 + 900 * np.arange(96), np.full(96, 12.5),
                                      source="import", received_s=T0))


def test_sqlite_backup_while_the_store_is_open(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    out = tmp_path / "copy.db"
    with open_store(str(db)) as store:  # open in this process, as under ``openamr serve``
        _fill(store)
        result = CliRunner().invoke(main, ["backup", "--db", str(db), "-o", str(out)])
        assert result.exit_code == 0, result.output
    with open_store(str(out), create=False) as copy:
        assert copy.interval_count() == 96
        assert copy.interval_total_wh() == 96 * 12.5
    assert not list(tmp_path.glob(".*.partial"))


def test_backup_of_a_missing_store_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["backup", "--db", str(tmp_path / "no.db"), "-o",
                                       str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert "no such store" in result.output
    assert not (tmp_path / "x.db").exists()


@pytest.fixture
def pg_target(pg_schema_dsn: str) -> str:
    """The DSN of a fresh schema to back up."""
    return pg_schema_dsn


def test_postgres_backup_with_pg_dump(pg_target: str, tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed (the error case is tested below)")
    with open_store(pg_target) as store:
        _fill(store)
    out = tmp_path / "pg.dump"
    result = CliRunner().invoke(main, ["backup", "--db", pg_target, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    listing = subprocess.run(["pg_restore", "--list", str(out)], capture_output=True, text=True,
                             check=True).stdout
    assert "TABLE DATA" in listing
    assert "intervals" in listing


def test_postgres_backup_without_pg_dump_is_a_clear_error(pg_target: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store(pg_target) as store:
        _fill(store)
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump here
    result = CliRunner().invoke(main, ["backup", "--db", pg_target, "-o",
                                       str(tmp_path / "pg.dump")])
    assert result.exit_code == 2
    assert "pg_dump is not installed" in result.output
    assert not (tmp_path / "pg.dump").exists()


def test_prune_keeps_recent_rows_and_the_counts(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "h.db")) as store:
        store.put_rejection("malformed", "x", T0 - 200 * 86_400, "old")
        store.put_rejection("malformed", "x", T0, "new")
        store.outbox_put("mqtt", "k-old", b"p", T0 - 100 * 86_400)
        store.outbox_put("mqtt", "k-new", b"p", T0)
        store.outbox_put("mqtt", "k-pending", b"p", T0 - 100 * 86_400)
        due = {i.idempotency_key: i.item_id for i in store.outbox_due("mqtt", T0)}
        store.outbox_done([due["k-old"], due["k-new"]])
        assert store.prune(T0 - 90 * 86_400, T0 - 30 * 86_400) == (1, 1)
        assert [r.detail for r in store.list_rejections()] == ["new"]
        assert store.rejection_counts() == {"malformed": 2}
        assert store.outbox_depth("mqtt") == 1  # the undelivered one is never pruned
        assert not store.outbox_put("mqtt", "k-new", b"p", T0)  # recent keys still dedupe


def test_backup_into_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    open_store(str(db)).close()
    target = tmp_path / "sub"
    target.mkdir()
    (target / ".out.db.partial").mkdir()  # the partial file cannot be created: a directory
    result = CliRunner().invoke(main, ["backup", "--db", str(db), "-o", str(target / "out.db")])
    assert result.exit_code == 2, result.output
    assert "cannot write the backup" in result.output
    assert not (target / "out.db").exists()
