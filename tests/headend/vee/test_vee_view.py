"""The validated view: VEE rows over raw intervals, raw rows untouched, many meters on a grid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from openamr.headend.store import IntervalBatch, Meter, Site, Store, open_store
from openamr.headend.store.base import QUALITIES
from openamr.headend.store.vee_rows import VEE_METHODS, VeeRows
from openamr.headend.vee import interval_series, validated_intervals

T0 = 1_790_000_100 - 1_790_000_100 % 900


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(str(tmp_path / "view.db")) as s:
        s.upsert_site(Site("s1"))
        s.upsert_meter(Meter("m1", "s1"))
        s.upsert_meter(Meter("m2", "s1"))
        yield s


def _rows(store: Store, meter_id: str, starts: list[int], energy: list[float],
          quality: str, method: str) -> VeeRows:
    n = len(starts)
    key = int(store.meter_keys([meter_id])[0])
    return VeeRows(np.full(n, key), np.array(starts), np.array(energy),
                   np.full(n, QUALITIES.index(quality)), np.full(n, VEE_METHODS.index(method)),
                   np.ones(n, dtype=np.int64))


def test_vee_rows_fill_gaps_and_override_without_touching_raw(store: Store) -> None:
    starts = T0 + 900 * np.array([0, 2, 3])
    store.put_intervals(IntervalBatch("m1", starts, [1.0, 3.0, 500.0], flags=0x10))
    store.put_vee_rows(_rows(store, "m1", [T0 + 900], [2.0], "estimated_linear", "linear"))
    store.put_vee_rows(_rows(store, "m1", [T0 + 2700], [4.0], "estimated_like_day",
                             "like_day"))
    grid = validated_intervals(store, ["m1", "m2"], T0, T0 + 5 * 900)
    assert grid.start_s.tolist() == (T0 + 900 * np.arange(5)).tolist()
    assert np.array_equal(grid.energy_wh[0], [1.0, 2.0, 3.0, 4.0, np.nan], equal_nan=True)
    assert grid.quality_names(0).tolist() == ["measured", "estimated_linear", "measured",
                                              "estimated_like_day", ""]
    assert grid.estimated[0].tolist() == [False, True, False, True, False]
    assert grid.missing[1].all()
    raw = validated_intervals(store, ["m1"], T0, T0 + 5 * 900, view="raw")
    assert np.array_equal(raw.energy_wh[0], [1.0, np.nan, 3.0, 500.0, np.nan], equal_nan=True)
    assert store.get_intervals("m1").energy_wh.tolist() == [1.0, 3.0, 500.0]
    series = interval_series(store, "m1", None, None, view="validated")
    assert series.start_s.tolist() == (T0 + 900 * np.arange(4)).tolist()
    assert series.energy_wh.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert series.flags.tolist() == [0x10, 0, 0x10, 0x10]  # the raw row's MDT flags stay
    assert interval_series(store, "m1", None, None).energy_wh.tolist() == [1.0, 3.0, 500.0]
