"""The same bills from PostgreSQL as from SQLite (the store is one interface)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from billing_seed import EXAMPLES, SITE, fill_store, seed_store

from openamr.billing.periods import month_cycle
from openamr.billing.render import bills_json
from openamr.billing.run import bill_accounts, site_accounts, site_timezone
from openamr.billing.tariff_file import load_tariff
from openamr.headend.store import Store, open_store

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(postgres_dsn: str) -> Iterator[Store]:
    schema = f"openamr_billing_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    store = open_store(postgres_dsn, options=f"-c search_path={schema}")
    try:
        yield fill_store(store)
    finally:
        store.close()
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _site_bills(store: Store) -> str:
    tariff = load_tariff(EXAMPLES / "urdb-tou-demand.json")
    period = month_cycle(2026, 7, site_timezone(store, SITE), 15)
    bills = bill_accounts(store, tariff, period, site_accounts(store, SITE, period))
    return json.dumps(bills_json(bills, scope="site"), sort_keys=True)


def test_postgres_bills_equal_sqlite_bills(pg_store: Store, tmp_path: Path) -> None:
    with seed_store(tmp_path / "lite.db") as lite:
        expected = _site_bills(lite)
    assert _site_bills(pg_store) == expected
