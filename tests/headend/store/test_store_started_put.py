"""``start_interval_rows``: the put may still run when it returns; the result (or the next use
of the store) finishes it, with the same outcome as ``put_interval_rows``."""

from __future__ import annotations

import numpy as np
import pytest

from openamr.headend.store import Meter, Site, Store

T0 = 1_767_225_600


def _rows(store: Store, n: int, first: int = 0, energy: float = 1.0) -> tuple[np.ndarray, ...]:
    keys = store.meter_keys(["m1", "m2"])
    k = np.repeat(keys, n)
    start = T0 + 900 * (first + np.tile(np.arange(n), 2))
    e = np.full(2 * n, energy)
    z = np.zeros(2 * n, dtype=np.int64)
    return k, start, e, z, z


@pytest.fixture
def meters(store: Store) -> Store:
    store.upsert_site(Site("s", "S", "UTC"))
    store.upsert_meter(Meter("m1", "s"))
    store.upsert_meter(Meter("m2", "s"))
    return store


def test_started_put_stores_new_rows(meters: Store) -> None:
    store = meters
    with store.transaction():
        result = store.start_interval_rows(*_rows(store, 5), "frame", T0)
        assert result().inserted == 10
    assert store.interval_count() == 10
    assert store.get_intervals("m2").start_s.tolist() == [T0 + 900 * k for k in range(5)]


def test_started_put_meeting_stored_rows_counts_duplicates_and_conflicts(meters: Store) -> None:
    store = meters
    store.put_interval_rows(*_rows(store, 3), "frame", T0)
    k, start, e, q, f = _rows(store, 5)
    e = e.copy()
    e[0] = 7.0  # m1's first interval: another value (a conflict)
    with store.transaction():
        result = store.start_interval_rows(k, start, e, q, f, "frame", T0)()
    assert (result.inserted, result.duplicates, result.conflicts) == (4, 5, 1)
    assert store.interval_count() == 10
    assert store.get_intervals("m1").energy_wh[0] == 1.0
    assert store.rejection_counts() == {"conflict": 1}
    # and the next one, all new, goes through as well
    with store.transaction():
        assert store.start_interval_rows(*_rows(store, 2, first=5), "frame", T0)().inserted == 4
    assert store.interval_count() == 14


def test_next_use_of_the_store_finishes_a_started_put(meters: Store) -> None:
    store = meters
    with store.transaction():
        result = store.start_interval_rows(*_rows(store, 4), "frame", T0)
        assert store.interval_count("m1") == 4  # a read in the transaction finishes it
        store.put_register_rows(store.meter_keys(["m1"]), np.array([T0]), np.array([5.0]), 0)
        assert result().inserted == 8
    assert store.interval_count() == 8


def test_started_put_is_rolled_back_with_its_transaction(meters: Store) -> None:
    store = meters

    def fail() -> None:
        with store.transaction():
            store.start_interval_rows(*_rows(store, 4), "frame", T0)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail()
    assert store.interval_count() == 0
    with store.transaction():
        assert store.start_interval_rows(*_rows(store, 4), "frame", T0)().inserted == 8
    assert store.interval_count() == 8
