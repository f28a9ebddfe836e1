"""A batch that fails while the store is away leaves no stale state behind.

When the store fails mid-batch the ingest reloads its cached state (seqs, replay windows,
counters); when that reload fails too (the store is still away), the next batch reloads first,
so the memory never runs ahead of the store, and the devices' resends are stored once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_ingest_fakes import T0, make_site

from openamr.errors import StoreError
from openamr.frames import Ack, Frame
from openamr.headend.ingest import Ingest
from openamr.headend.store import open_store

NOW = T0 + 3600


def test_a_failed_reload_is_retried_before_the_next_batch(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(str(tmp_path / "h.db"))
    dev = make_site(store, 1)[0]
    ingest = Ingest(store, dcap_id=0xD1)
    key = ingest.network_key
    ingest.handle(dev.intervals(key, 0, [T0], [10]), NOW)
    real_put = store.put_register_rows
    real_windows = store.load_replay_windows

    def away(*_a: Any, **_k: Any) -> Any:
        raise StoreError("connection lost")

    monkeypatch.setattr(store, "put_register_rows", away)
    monkeypatch.setattr(store, "load_replay_windows", away)
    frame = dev.intervals(key, 1, [T0 + 900], [20], register_wh=30)
    with pytest.raises(StoreError):
        ingest.handle(frame, NOW)
    monkeypatch.setattr(store, "put_register_rows", real_put)
    monkeypatch.setattr(store, "load_replay_windows", real_windows)
    replies = ingest.handle(frame, NOW)  # the device resends the same frame
    ack = Frame.from_bytes(replies[0], key).payload
    assert isinstance(ack, Ack)
    assert ack.acked_seq == 1
    assert store.get_intervals("m0").energy_wh.tolist() == [10, 20]
    assert store.rejection_counts() == {}
    store.close()
