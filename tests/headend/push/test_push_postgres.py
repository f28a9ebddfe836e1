"""The outbox over PostgreSQL: delivery with failures, and a restart, as over SQLite."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from push_helpers import METERS, interval_batch, seed, store_batch
from test_push_webhook import SECRET, Receiver, _serve, fast_clock

from openamr.headend.push import PushConfig, PushService
from openamr.headend.store import Store, open_store

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_target(postgres_dsn: str) -> Iterator[tuple[str, str]]:
    schema = f"openamr_push_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield postgres_dsn, f"-c search_path={schema}"
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _open(target: tuple[str, str]) -> Store:
    return open_store(target[0], options=target[1])


def test_outbox_over_postgres_delivers_once_by_key_across_a_restart(
        pg_target: tuple[str, str]) -> None:
    rec = Receiver(plan=["500", "drop", "ok"], rng=random.Random(5), failure_ratio=0.2)
    server, url = _serve(rec)
    config = PushConfig(webhook_enabled=True, webhook_url=url, webhook_secret=SECRET,
                        webhook_timeout_s=0.5, retry_initial_s=0.2, retry_max_s=1.0,
                        batch_readings=32, poll_s=0.05)
    batch = interval_batch(n=64)
    try:
        first = _open(pg_target)
        seed(first)
        store_batch(first, batch)
        service = PushService(first, config=config)
        service.on_stored(batch)  # queued, not yet delivered: no thread runs
        assert service.depth() == {"webhook": 2 * len(METERS)}  # 2 batches of 32 per meter
        first.close()
        second = _open(pg_target)
        try:
            with PushService(second, config=config, clock=fast_clock()) as again:
                again.on_stored(batch)  # the same keys: nothing added
                assert again.flush(timeout_s=30.0), again.depth()
        finally:
            second.close()
    finally:
        rec.release.set()
        server.shutdown()
        server.server_close()
    intervals = [b for b in rec.bodies.values() if b["kind"] == "intervals"]
    assert len(intervals) == 2 * len(METERS)
    starts = [(b["data"]["meter_id"], r["start"])  # type: ignore[index]
              for b in intervals for r in b["data"]["readings"]]  # type: ignore[index]
    assert len(starts) == len(set(starts)) == 64 * len(METERS)
