"""The per-sender state that ingest workers sharing one store read under a lock."""

from __future__ import annotations

import pytest

from openamr.errors import StoreError
from openamr.headend.store import SeqState, Store


def test_lock_device_state_reads_the_given_senders_only(store: Store) -> None:
    store.save_replay_windows({"00000000000000a1": (41, 0b1011), "00000000000000a2": (7, 1)})
    store.save_seq_states({"00000000000000a1": SeqState(95, (97, 99))})
    with store.transaction():
        windows, seqs = store.lock_device_state(["00000000000000A1", "00000000000000b9"])
    assert windows == {"00000000000000a1": (41, 0b1011)}
    assert seqs == {"00000000000000a1": SeqState(95, (97, 99))}


def test_counter_reservations_are_read_under_the_transaction(store: Store) -> None:
    with store.transaction():
        assert store.lock_counter_reservation("00000000000000d1") == 0  # the row is created
        store.set_counter_reservation("00000000000000d1", 1234)
    with store.transaction():
        assert store.lock_counter_reservation("00000000000000d1") == 1234
    assert store.get_counter_reservation("00000000000000d1") == 1234


def test_locks_need_a_transaction(store: Store) -> None:
    with pytest.raises(StoreError, match="needs a transaction"):
        store.lock_device_state(["00000000000000a1"])
    with pytest.raises(StoreError, match="needs a transaction"):
        store.lock_counter_reservation("00000000000000d1")
