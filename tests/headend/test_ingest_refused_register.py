"""A refused record changes nothing: not the intervals, not the register-read watermark.

Regression: a frame whose newest record was refused (it ended too far in the future) still
stored its register reading at that future time and moved the watermark there; later genuine
readings were then judged against it (refused as decreasing, or a really decreasing one let
through) and the daily report showed the wrong register.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_ingest_fakes import T0, make_site

from openamr.headend.ingest import Ingest
from openamr.headend.store import Store, open_store
from openamr.units import INTERVAL_LENGTH_S

NOW = T0 + 3600
DAY_S = 86_400


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(str(tmp_path / "h.db")) as opened:
        yield opened


def _starts(first: int, n: int) -> list[int]:
    return [first + k * INTERVAL_LENGTH_S for k in range(n)]


def test_a_refused_future_record_does_not_move_the_register_watermark(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = Ingest(store, dcap_id=0xD1)
    key = ingest.network_key
    # genuine: four records of the first hour, register 500 Wh at T0 + 1 h
    ingest.handle(dev.intervals(key, 0, _starts(T0, 4), [100, 100, 100, 200],
                                register_wh=500), NOW)
    # a record dated ten days ahead (a clock gone wrong), register 9000 Wh: refused
    ingest.handle(dev.intervals(key, 4, [T0 + 10 * DAY_S], [50], register_wh=9000), NOW)
    assert store.rejection_counts() == {"time_out_of_range": 1}
    # genuine again, the next hour: 800 Wh more, register 1300 Wh at T0 + 2 h
    later = NOW + 3600
    ingest.handle(dev.intervals(key, 5, _starts(T0 + 3600, 4), [200, 200, 200, 200],
                                register_wh=1300), later)
    reads = store.get_register_reads("m0")
    assert reads.t_s.tolist() == [T0 + 3600, T0 + 7200]
    assert reads.register_wh.tolist() == [500, 1300]
    assert store.rejection_counts() == {"time_out_of_range": 1}
    # and a reading that really goes backwards is still refused
    ingest.handle(dev.intervals(key, 9, _starts(T0 + 7200, 1), [10], register_wh=1000),
                  later + 900)
    assert store.get_register_reads("m0").register_wh.tolist() == [500, 1300]
    assert store.rejection_counts() == {"time_out_of_range": 1, "register_decreased": 1}


def test_a_frame_refused_whole_stores_no_register_reading(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = Ingest(store, dcap_id=0xD1)
    ingest.handle(dev.intervals(ingest.network_key, 0, [T0 + 30 * DAY_S], [5],
                                register_wh=123_456), NOW)
    assert len(store.get_register_reads("m0").t_s) == 0
    assert store.interval_count() == 0
