"""Seqs the MDT can no longer serve are settled (``records_lost``), so ``acked_seq`` moves on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_ingest_fakes import DCAP, T0, FakeDevice, make_site

from openamr.frames import Ack, Event, EventKind, Frame
from openamr.headend.ingest import Ingest
from openamr.headend.settings import IngestSettings
from openamr.headend.store import Store, open_store

NOW = T0 + 3 * 3600


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(str(tmp_path / "lost.db"))
    yield s
    s.close()


def _ack(ingest: Ingest, data: bytes) -> Ack:
    (reply, *_) = ingest.handle(data, NOW)
    payload = Frame.from_bytes(reply, ingest.network_key).payload
    assert isinstance(payload, Ack)
    return payload


def _frame(dev: FakeDevice, ingest: Ingest, first_seq: int, n: int) -> bytes:
    starts = [T0 + 900 * (first_seq + k) for k in range(n)]
    return dev.intervals(ingest.network_key, first_seq, starts, [1] * n)


def _lost(dev: FakeDevice, ingest: Ingest, n: int) -> bytes:
    return dev.seal(Event(EventKind.RECORDS_LOST, T0 + 7200, n), ingest.network_key)


def test_reported_loss_settles_the_gap(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = Ingest(store, settings=IngestSettings(), dcap_id=DCAP)
    assert _ack(ingest, _frame(dev, ingest, 0, 2)) == Ack(0, 1, ())
    assert _ack(ingest, _frame(dev, ingest, 5, 2)) == Ack(1, 1, ((2, 4),))
    # the MDT overwrote 3 unacknowledged records (seqs 2..4): they can never come
    assert _ack(ingest, _lost(dev, ingest, 3)) == Ack(2, 6, ())
    assert store.rejection_counts() == {"records_lost": 3}
    assert "seq 2..4" in store.list_rejections(reason="records_lost")[0].detail
    assert [e.code for e in store.list_events(device_id=dev.device_id)] == [
        "buffer.records_lost"]
    # the state survives a restart
    again = Ingest(store, settings=IngestSettings(), dcap_id=DCAP)
    assert _ack(again, _frame(dev, again, 7, 1)) == Ack(3, 7, ())


def test_loss_reported_before_the_gap_is_seen(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = Ingest(store, settings=IngestSettings(), dcap_id=DCAP)
    assert _ack(ingest, _frame(dev, ingest, 0, 2)) == Ack(0, 1, ())
    assert _ack(ingest, _lost(dev, ingest, 2)) == Ack(1, 1, ())  # nothing missing yet
    assert _ack(ingest, _frame(dev, ingest, 4, 2)) == Ack(2, 5, ())  # seqs 2..3 were lost
    assert store.rejection_counts() == {"records_lost": 2}


def test_loss_never_covers_seqs_above_the_first_seen(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = Ingest(store, settings=IngestSettings(), dcap_id=DCAP)
    ingest.handle(_frame(dev, ingest, 0, 1), NOW)
    ingest.handle(_frame(dev, ingest, 3, 1), NOW)
    ingest.handle(_frame(dev, ingest, 6, 1), NOW)
    # 5 lost, but only the oldest gap (1..2) can be them: 4..5 stay requested
    assert _ack(ingest, _lost(dev, ingest, 5)) == Ack(3, 3, ())
    assert _ack(ingest, _frame(dev, ingest, 7, 1)) == Ack(4, 3, ((4, 5),))
    assert store.rejection_counts() == {"records_lost": 2}


def test_gap_beyond_the_buffer_horizon_is_recorded(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = Ingest(store, settings=IngestSettings(seq_horizon_records=4), dcap_id=DCAP)
    assert _ack(ingest, _frame(dev, ingest, 0, 1)) == Ack(0, 0, ())
    assert _ack(ingest, _frame(dev, ingest, 8, 2)) == Ack(1, 5, ((6, 7),))
    assert store.rejection_counts() == {"records_lost": 5}
    assert "below the newest seq 9" in store.list_rejections(reason="records_lost")[0].detail
