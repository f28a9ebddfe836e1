"""The VEE run end to end on a store: each rule, each method, idempotence, edits, DST days."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from vee_seed import ZONE, seed_meter

from openamr.errors import InputError
from openamr.headend.store import IntervalBatch, Store
from openamr.headend.store.vee_rows import VEE_METHODS
from openamr.headend.vee import edit_interval, run_vee, validated_intervals
from openamr.timeutil import local_day_bounds_s, site_zone

NOW_S = 2_000_000_000
LA = site_zone(ZONE)


def _grid(store: Store, starts: np.ndarray, meter_id: str = "m1") -> tuple[np.ndarray, list[str]]:
    v = validated_intervals(store, [meter_id], int(starts[0]), int(starts[-1]) + 900)
    return v.energy_wh[0], v.quality_names(0).tolist()


def test_a_short_gap_is_a_straight_line_and_raw_data_is_untouched(store: Store) -> None:
    drop = np.zeros(42 * 96, dtype=bool)
    drop[3000:3003] = True
    starts, true = seed_meter(store, drop=drop)
    raw_before = store.get_intervals("m1")
    summary = run_vee(store, site_id="s1", now_s=NOW_S)
    assert summary.intervals_by_rule == {"vee.gap": 3}
    assert summary.estimated_by_method == {"linear": 3}
    energy, quality = _grid(store, starts)
    a, b = true[2999], true[3003]
    assert energy[3000:3003].tolist() == pytest.approx([a + (b - a) * k / 4 for k in (1, 2, 3)])
    assert quality[3000:3003] == ["estimated_linear"] * 3
    raw_after = store.get_intervals("m1")
    assert np.array_equal(raw_before.start_s, raw_after.start_s)
    assert np.array_equal(raw_before.energy_wh, raw_after.energy_wh)
    findings = store.list_vee_findings(meter_id="m1", code="vee.gap")
    assert [(f.start_s, f.intervals) for f in findings] == [(int(starts[3000]), 3)]
    assert "estimated 3 (linear)" in findings[0].detail


def test_a_long_gap_takes_like_days_by_local_wall_time_across_dst(store: Store) -> None:
    """The gap is on Monday 9 March 2026, the day after spring-forward; its like days (2, 23
    February and 2 March) are in standard time: matched by wall-clock time they fit exactly."""
    lo, _ = local_day_bounds_s(date(2026, 3, 9), LA)
    starts, true = seed_meter(store)
    col = int((lo - starts[0]) // 900)
    drop = np.zeros(42 * 96, dtype=bool)
    drop[col + 20:col + 60] = True
    seed_meter(store, "m2", drop=drop)
    run_vee(store, meter_ids=["m2"], now_s=NOW_S)
    energy, quality = _grid(store, starts, "m2")
    assert energy[col + 20:col + 60].tolist() == true[col + 20:col + 60].tolist()
    assert set(quality[col + 20:col + 60]) == {"estimated_like_day"}


def test_estimates_are_scaled_to_the_register(store: Store) -> None:
    drop = np.zeros(42 * 96, dtype=bool)
    drop[3000:3050] = True
    energy = np.full(42 * 96, 100.0)
    energy[3000:3050] = 150.0  # the tenant used more during the outage than on like days
    starts, _ = seed_meter(store, drop=drop, energy=energy, register_every=96)
    summary = run_vee(store, site_id="s1", now_s=NOW_S)
    assert summary.estimated_by_method == {"like_day_scaled": 50}
    got, _ = _grid(store, starts)
    window = slice(2976, 3072)  # the register window (one day) holding the gap
    assert got[window].sum() == pytest.approx(energy[window].sum(), rel=1e-12)
    rows = store.get_vee_rows(store.meter_keys(["m1"]))
    assert set(rows.method.tolist()) == {VEE_METHODS.index("like_day_scaled")}


def test_an_impossible_spike_is_estimated_and_a_negative_value_too(store: Store) -> None:
    energy = np.full(42 * 96, 100.0)
    energy[2000] = 1e6  # more than 60.72 kW for 15 minutes
    energy[2100] = -5.0
    starts, _ = seed_meter(store, energy=energy)
    summary = run_vee(store, site_id="s1", now_s=NOW_S)
    assert summary.intervals_by_rule["vee.spike"] == 1
    assert summary.intervals_by_rule["vee.negative"] == 1
    got, quality = _grid(store, starts)
    assert got[2000] == got[2100] == 100.0
    assert quality[2000] == quality[2100] == "estimated_linear"
    assert store.get_intervals("m1", int(starts[2000]), int(starts[2000]) + 1).energy_wh[0] == 1e6


def test_zero_runs_are_flagged_unless_the_unit_is_vacant(store: Store) -> None:
    energy = np.full(42 * 96, 100.0)
    energy[1000:1100] = 0.0  # 25 hours of nothing
    energy[2000:2050] = 0.0  # 12.5 hours: plausible (away)
    starts, _ = seed_meter(store, energy=energy)
    summary = run_vee(store, site_id="s1", now_s=NOW_S)
    assert summary.intervals_by_rule == {"vee.zero_run": 100}
    got, quality = _grid(store, starts)
    assert set(quality[1000:1100]) == {"failed_validation"}
    assert got[1000:1100].sum() == 0.0  # kept: zero may be true
    assert quality[2000] == "measured"
    vacant = run_vee(store, site_id="s1", now_s=NOW_S, vacant={"m1": [(0, 1 << 40)]})
    assert "vee.zero_run" not in vacant.intervals_by_rule
    assert vacant.rows_deleted == 100


def test_clock_and_partial_flags_mark_values_failed_validation(store: Store) -> None:
    flags = np.zeros(42 * 96, dtype=np.int64)
    flags[500] = 0x01  # CLOCK_UNSYNCED
    flags[501] = 0x10  # CLOCK_STEPPED
    flags[502] = 0x02  # PARTIAL
    starts, true = seed_meter(store, flags=flags)
    summary = run_vee(store, site_id="s1", now_s=NOW_S)
    assert summary.intervals_by_rule == {"vee.clock": 2, "vee.partial": 1}
    got, quality = _grid(store, starts)
    assert quality[500:503] == ["failed_validation"] * 3
    assert got[500:503].tolist() == true[500:503].tolist()


def test_interval_sums_are_checked_against_register_reads(store: Store) -> None:
    energy = np.full(42 * 96, 100.0)
    starts, _ = seed_meter(store, energy=energy, register_every=96)
    assert run_vee(store, site_id="s1", now_s=NOW_S).intervals_by_rule == {}
    # a meter whose intervals read 10 % low against its register (a multiplier fault)
    seed_meter(store, "m2", energy=energy * 0.9)
    lo = int(starts[0])
    store.put_register_reads("m2", [lo, lo + 96 * 900], [0.0, 9600.0])
    summary = run_vee(store, meter_ids=["m2"], now_s=NOW_S)
    assert summary.intervals_by_rule == {"vee.sum_mismatch": 96}


def test_a_register_rollover_is_not_a_mismatch(store: Store) -> None:
    energy = np.full(42 * 96, 100.0)
    starts, _ = seed_meter(store, energy=energy)
    lo = int(starts[0])
    store.put_register_reads("m1", [lo, lo + 96 * 900], [99_999_000.0, 99_999_000.0 + 9600.0
                                                         - 100_000_000.0])
    assert run_vee(store, site_id="s1", now_s=NOW_S).intervals_by_rule == {}


@pytest.mark.parametrize(("day", "expected"), [(date(2026, 3, 8), 92), (date(2026, 3, 9), 96)])
def test_dst_days_expect_92_or_96_intervals(store: Store, day: date, expected: int) -> None:
    seed_meter(store)
    lo, hi = local_day_bounds_s(day, LA)
    assert (hi - lo) // 900 == expected
    summary = run_vee(store, site_id="s1", start_s=lo, end_s=hi, now_s=NOW_S)
    assert summary.intervals_checked == expected
    assert summary.findings == 0


def test_an_incomplete_fall_back_day_says_100(store: Store) -> None:
    from vee_seed import FIRST_DAY

    days = (date(2026, 11, 3) - FIRST_DAY).days
    lo, hi = local_day_bounds_s(date(2026, 11, 1), LA)
    starts, _ = seed_meter(store, days=days)
    col = int((lo - starts[0]) // 900)
    drop = np.zeros(days * 96, dtype=bool)
    drop[col + 30:col + 32] = True
    seed_meter(store, "m2", days=days, drop=drop)
    run_vee(store, meter_ids=["m2"], start_s=lo, end_s=hi, now_s=NOW_S)
    (day,) = store.list_vee_findings(meter_id="m2", code="vee.day_incomplete")
    assert day.detail == "local day 2026-11-01: 98 of 100 intervals stored (a fall-back day of " \
                         "25 hours)"
    assert (day.start_s, day.end_s, day.intervals) == (lo, hi, 2)


def test_running_twice_changes_nothing_more(vee_store: Store) -> None:
    drop = np.zeros(42 * 96, dtype=bool)
    drop[3000:3003] = drop[3500:3600] = True
    energy = np.full(42 * 96, 100.0)
    energy[100:200] = 0.0
    seed_meter(vee_store, drop=drop, energy=energy, register_every=8)
    first = run_vee(vee_store, site_id="s1", now_s=NOW_S)
    assert first.rows_written == 3 + 100 + 100
    second = run_vee(vee_store, site_id="s1", now_s=NOW_S)
    assert (second.rows_written, second.rows_deleted, second.findings_added,
            second.findings_removed) == (0, 0, 0, 0)
    assert second.rows_unchanged == first.rows_written
    assert second.intervals_by_rule == first.intervals_by_rule


def test_late_raw_data_replaces_the_estimate(store: Store) -> None:
    drop = np.zeros(42 * 96, dtype=bool)
    drop[3000:3003] = True
    starts, true = seed_meter(store, drop=drop)
    run_vee(store, site_id="s1", now_s=NOW_S)
    store.put_intervals(IntervalBatch("m1", starts[3000:3003], true[3000:3003]))
    again = run_vee(store, site_id="s1", now_s=NOW_S)
    assert (again.rows_deleted, again.findings_removed) == (3, 2)
    assert _grid(store, starts)[1][3000:3003] == ["measured"] * 3


def test_an_edit_is_audited_kept_by_later_runs_and_leaves_raw_alone(vee_store: Store) -> None:
    drop = np.zeros(42 * 96, dtype=bool)
    drop[3001] = True
    starts, true = seed_meter(vee_store, drop=drop)
    run_vee(vee_store, site_id="s1", now_s=NOW_S)
    t = int(starts[3000])
    edit = edit_interval(vee_store, "m1", t, 55.5, user="clerk", reason="meter test",
                         now_s=NOW_S)
    assert (edit.before_wh, edit.after_wh, edit.user, edit.edit_id) == (true[3000], 55.5,
                                                                        "clerk", edit.edit_id)
    again = edit_interval(vee_store, "m1", t, 60.0, user="supervisor", reason="re-read",
                          now_s=NOW_S + 60)
    assert again.before_wh == 55.5
    trail = vee_store.list_vee_edits("m1")
    assert [(e.user, e.before_wh, e.after_wh, e.edited_s) for e in trail] == [
        ("supervisor", 55.5, 60.0, NOW_S + 60), ("clerk", true[3000], 55.5, NOW_S)]
    rerun = run_vee(vee_store, site_id="s1", now_s=NOW_S)
    got, quality = _grid(vee_store, starts)
    assert (got[3000], quality[3000]) == (60.0, "edited")
    # the straight line of the gap next to it now starts from the edited value
    assert got[3001] == pytest.approx(60.0 + (true[3002] - 60.0) / 2)
    assert rerun.rows_written == 1
    assert vee_store.get_intervals("m1", t, t + 1).energy_wh.tolist() == [true[3000]]


def test_bad_edits_and_bad_runs_are_input_errors(store: Store) -> None:
    starts, _ = seed_meter(store)
    t = int(starts[0])
    for kwargs, where in (({"meter_id": "nope"}, "meter_id"), ({"start_s": t + 60}, "start"),
                          ({"energy_wh": -1.0}, "energy_wh"), ({"energy_wh": float("nan")},
                                                               "energy_wh"),
                          ({"reason": "  "}, "reason")):
        args = {"meter_id": "m1", "start_s": t, "energy_wh": 1.0, "reason": "x", **kwargs}
        with pytest.raises(InputError) as info:
            edit_interval(store, args["meter_id"], args["start_s"], args["energy_wh"],  # type: ignore[arg-type]
                          user="me", reason=args["reason"], now_s=NOW_S)  # type: ignore[arg-type]
        assert info.value.where == where
    assert store.list_vee_edits() == []
    with pytest.raises(InputError, match="unknown site"):
        run_vee(store, site_id="nope", now_s=NOW_S)
    with pytest.raises(InputError, match="unknown meter"):
        run_vee(store, meter_ids=["nope"], now_s=NOW_S)
    with pytest.raises(InputError, match="unknown meter"):
        run_vee(store, vacant={"nope": [(0, 1)]}, now_s=NOW_S)
    with pytest.raises(InputError, match="empty"):
        run_vee(store, start_s=t, end_s=t, now_s=NOW_S)


def test_a_gap_without_history_is_left_missing(store: Store) -> None:
    drop = np.zeros(42 * 96, dtype=bool)
    drop[10:40] = True  # in the first day: no like days before it
    seed_meter(store, drop=drop)
    summary = run_vee(store, site_id="s1", now_s=NOW_S)
    assert summary.left_missing == 30
    (gap,) = store.list_vee_findings(code="vee.gap")
    assert "not estimated" in gap.detail


def test_a_duplicate_with_another_value_keeps_the_first_and_is_flagged(store: Store) -> None:
    starts, true = seed_meter(store)
    t = int(starts[700])
    result = store.put_intervals(IntervalBatch("m1", [t], [true[700] + 5.0]))
    assert result.conflicts == 1
    summary = run_vee(store, site_id="s1", now_s=NOW_S)
    assert summary.intervals_by_rule == {"vee.duplicate": 1}
    got, quality = _grid(store, starts)
    assert (got[700], quality[700]) == (true[700], "failed_validation")
    (finding,) = store.list_vee_findings(code="vee.duplicate")
    assert finding.start_s == t
