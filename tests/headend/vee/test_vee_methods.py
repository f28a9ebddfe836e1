"""The pure, vectorised pieces of VEE: runs, masks, straight lines, like days, register windows."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from openamr.headend.vee.estimate import like_day_columns, like_day_fill, linear_fill
from openamr.headend.vee.registers import register_windows, scale_to_registers, window_sums
from openamr.headend.vee.rules import runs, spike_mask, zero_run_mask
from openamr.timeutil import epoch_s, site_zone


def test_runs_of_each_row() -> None:
    mask = np.array([[1, 1, 0, 1], [0, 0, 0, 0], [0, 1, 1, 1]], dtype=bool)
    row, first, end = runs(mask)
    assert list(zip(row.tolist(), first.tolist(), end.tolist(), strict=True)) == [
        (0, 0, 2), (0, 3, 4), (2, 1, 4)]


def test_spike_limit_is_per_meter_and_zero_runs_respect_vacancy() -> None:
    energy = np.array([[15_180.0, 15_181.0], [26.0, 24.0]])
    assert spike_mask(energy, np.array([60_720.0, 100.0])).tolist() == [[False, True],
                                                                         [True, False]]
    zeros = np.zeros((1, 10))
    vacant = np.zeros((1, 10), dtype=bool)
    vacant[0, 4] = True  # a vacant interval splits the run into 4 and 5
    assert zero_run_mask(zeros, 5).sum() == 10
    assert zero_run_mask(zeros, 5, vacant)[0].tolist() == [False] * 5 + [True] * 5


def test_linear_fill_across_meters() -> None:
    energy = np.array([[10.0, np.nan, np.nan, 40.0, 1.0],
                       [np.nan, 5.0, np.nan, 7.0, np.nan]])
    good = ~np.isnan(energy)
    out = linear_fill(energy, good, max_gap=2)
    assert out[0, 1:3].tolist() == [20.0, 30.0]
    assert out[1, 2] == 6.0
    assert np.isnan(out[1, 0])  # a good value on one side only
    assert np.isnan(out[1, 4])
    assert np.isnan(linear_fill(energy, good, max_gap=1)[0, 1])


def test_like_day_columns_match_wall_clock_time_across_spring_forward() -> None:
    zone = site_zone("America/Los_Angeles")
    lo = epoch_s(datetime(2026, 3, 1, tzinfo=zone))
    starts = lo + 900 * np.arange(9 * 96, dtype=np.int64)
    cols = like_day_columns(starts, "America/Los_Angeles", 1)[0]
    target = epoch_s(datetime(2026, 3, 8, 5, 0, tzinfo=zone))  # after the change
    col = int((target - lo) // 900)
    assert starts[cols[col]] == epoch_s(datetime(2026, 3, 1, 5, 0, tzinfo=zone))
    assert (starts[col] - starts[cols[col]]) == 7 * 86_400 - 3600  # 5:00 PST, a week earlier
    assert (cols[:7 * 96] == -1).all()  # no week of history before the first day
    energy = np.tile(np.arange(96, dtype=float), 9)[None, :]
    good = np.ones_like(energy, dtype=bool)
    good[0, col] = False
    assert like_day_fill(energy, good, cols[None, :], 1)[0, col] == energy[0, cols[col]]


def test_register_windows_with_rollover_and_a_negative_delta() -> None:
    t = np.array([0, 900, 1800, 2700, 4000])  # the last read is off the grid: ignored
    reg = np.array([99_990.0, 5.0, 20.0, 10.0, 50.0])
    w = register_windows(t, reg, 0, 4)
    assert w.first_col.tolist() == [0, 1, 2]
    assert w.rollover.tolist() == [True, False, False]
    assert w.negative.tolist() == [False, False, True]
    assert w.advance_wh[:2].tolist() == [15.0, 15.0]
    assert np.isnan(w.advance_wh[2])
    assert window_sums(np.array([1.0, np.nan, 3.0, 4.0]), w).tolist() == [1.0, 0.0, 3.0]


def test_scaling_makes_the_window_add_up() -> None:
    w = register_windows(np.array([0, 3600]), np.array([0.0, 100.0]), 0, 4)
    measured = np.array([10.0, np.nan, np.nan, 30.0])
    estimate = np.array([np.nan, 10.0, 30.0, np.nan])
    out, scaled = scale_to_registers(estimate, measured, w)
    assert out[1:3].tolist() == pytest.approx([15.0, 45.0])
    assert scaled.tolist() == [False, True, True, False]
    zero, _ = scale_to_registers(np.array([np.nan, 0.0, 0.0, np.nan]), measured, w)
    assert zero[1:3].tolist() == [30.0, 30.0]
    too_much, none = scale_to_registers(estimate, np.array([90.0, np.nan, np.nan, 30.0]), w)
    assert not none.any()
    assert too_much[1:3].tolist() == [10.0, 30.0]
