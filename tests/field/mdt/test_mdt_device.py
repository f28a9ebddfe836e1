"""The MDT as the simulator drives it: intervals, seq, restarts, clock steps, tamper, supply."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.field.mdt import (
    IntervalBatch,
    IntervalFlag,
    Mdt,
    MdtClock,
    MdtEvent,
    PowerState,
)

T0_S = 1_767_225_600  # 2026-01-01T00:00:00Z, sim time 0
F = IntervalFlag


def joined_mdt(model: str = "MMSMT-C02", *, drift_ppm: float = 0.0, sync: bool = True,
               clock_error_s: float = 0.0) -> Mdt:
    """An MDT turned on at sim 0 and synced to T0 (its clock reads T0 + clock_error_s)."""
    mdt = Mdt(model, device_id="mdt-1",
              clock=MdtClock(base_clock_s=T0_S + clock_error_s, drift_ppm=drift_ppm))
    mdt.on_button(0.0, held_s=4.0)
    if sync:
        mdt.on_time_sync(0.0, T0_S)
    return mdt


def check_log(batch: IntervalBatch) -> None:
    assert np.all(np.diff(batch.seq) == 1)
    assert np.all(batch.start_s % 900 == 0)
    assert np.all(np.diff(batch.start_s) > 0)


def test_intervals_are_aligned_labelled_by_start_and_sequenced() -> None:
    mdt = joined_mdt()
    for t in (10.0, 899.9, 900.0, 901.0, 2700.5):
        mdt.on_pulse(t)
    assert mdt.tick(3600.0) == 1  # the others closed as pulses came
    log = mdt.unacknowledged()
    check_log(log)
    assert log.seq.tolist() == [0, 1, 2, 3]
    assert log.start_s.tolist() == [T0_S, T0_S + 900, T0_S + 1800, T0_S + 2700]
    assert log.energy_wh.tolist() == [20, 20, 0, 10]
    assert mdt.total_wh == 50
    assert mdt.current_start_s == T0_S + 3600


def test_the_first_interval_after_turn_on_is_partial() -> None:
    mdt = Mdt("MMSMT-C02", device_id="x", clock=MdtClock(base_clock_s=T0_S + 300))
    mdt.on_time_sync(0.0, T0_S + 300)
    mdt.on_button(0.0, held_s=4.0)
    mdt.tick(900.0)
    rec = mdt.unacknowledged().records()
    assert rec[0].start_s == T0_S
    assert F.PARTIAL in rec[0].flags


def test_unsynced_intervals_are_flagged_and_stale_sync_too() -> None:
    mdt = joined_mdt(sync=False)
    mdt.tick(1800.0)
    assert all(F.CLOCK_UNSYNCED in r.flags for r in mdt.unacknowledged().records())
    mdt.on_time_sync(1800.0, T0_S + 1800)
    mdt.tick(2700.0)
    assert F.CLOCK_UNSYNCED not in mdt.unacknowledged().records()[-1].flags
    mdt.tick(1800.0 + 8 * 86_400)  # more than sync_valid_s (7 days) without a sync
    last = mdt.unacknowledged().records()[-1]
    assert F.CLOCK_UNSYNCED in last.flags


def test_first_pulse_turns_an_off_mdt_on_and_counts() -> None:
    mdt = Mdt("MMSMT-C02", device_id="x", clock=MdtClock(base_clock_s=T0_S))
    assert mdt.tick(5000.0) == 0  # off: nothing closes
    actions = mdt.on_pulse(5000.0)
    assert mdt.state is PowerState.SEARCHING
    assert [a.kind for a in actions] == ["start_search", "start_timer"]
    assert mdt.total_wh == 10
    assert mdt.current_pulses == 1
    assert mdt.led_pattern(5001.0) == "slow_flash"


def test_off_time_makes_no_records_and_no_seq_gap() -> None:
    mdt = joined_mdt()
    mdt.on_pulse(100.0)
    mdt.on_button(200.0, held_s=4.0)  # off in the first interval
    assert mdt.state is PowerState.OFF
    mdt.on_button(10_000.0, held_s=4.0)  # on again 2.7 h later
    mdt.on_pulse(10_100.0)
    mdt.tick(10_800.0)
    log = mdt.unacknowledged().records()
    assert [r.seq for r in log] == [0, 1]
    assert [r.start_s for r in log] == [T0_S, T0_S + 9900]
    assert all(F.PARTIAL in r.flags for r in log)
    assert [r.energy_wh for r in log] == [10, 10]


def test_restart_keeps_total_seq_and_interval_in_progress() -> None:
    mdt = joined_mdt()
    for t in np.arange(10.0, 2000.0, 100.0):
        mdt.on_pulse(float(t))
    state = mdt.to_state()
    restored = Mdt.from_state(state, clock=mdt.clock)
    assert restored.state is PowerState.OFF
    actions = restored.boot(2100.0)
    assert restored.state is PowerState.SEARCHING
    assert actions
    assert restored.total_wh == mdt.total_wh
    restored.on_pulse(2200.0)
    restored.tick(3600.0)
    log = restored.unacknowledged()
    check_log(log)
    assert log.seq.tolist() == [0, 1, 2, 3]
    assert int(log.energy_wh.sum()) == restored.total_wh
    assert F.PARTIAL in IntervalFlag(int(log.flags[2]))


def test_restart_after_a_battery_change_has_an_unsynced_clock() -> None:
    mdt = joined_mdt()
    mdt.tick(1800.0)
    fresh = MdtClock(base_clock_s=T0_S + 1000, base_sim_t_s=1900.0)  # lost ~15 min
    restored = Mdt.from_state(mdt.to_state(), clock=fresh)
    restored.boot(1900.0)
    restored.tick(2800.0)
    restored.on_time_sync(2800.0, T0_S + 2800)  # sync steps it 900 s forward
    restored.tick(4500.0)
    log = restored.unacknowledged()
    assert np.all(np.diff(log.seq) == 1)
    assert log.seq.tolist() == list(range(len(log)))
    flags = [IntervalFlag(int(f)) for f in log.flags]
    assert F.CLOCK_UNSYNCED in flags[2]


def test_small_forward_step_inside_an_interval_only_moves_the_clock() -> None:
    mdt = joined_mdt(clock_error_s=0.0)
    mdt.on_pulse(100.0)
    step = mdt.on_time_sync(200.0, T0_S + 201.0)
    assert step == pytest.approx(1.0)
    mdt.tick(1000.0)
    rec = mdt.unacknowledged().records()
    assert [r.start_s for r in rec] == [T0_S]
    assert rec[0].flags & (F.CLOCK_STEPPED | F.PARTIAL) == F.PARTIAL  # partial: turned on at 0


def test_big_forward_step_closes_the_interval_and_skips_without_fillers() -> None:
    mdt = joined_mdt()
    mdt.tick(1000.0)  # closes [T0, T0+900)
    mdt.on_pulse(1100.0)
    mdt.on_time_sync(1200.0, T0_S + 1200 + 3000)  # clock was 50 min slow
    mdt.on_pulse(1300.0)
    mdt.tick(1200.0 + 2000.0)
    log = mdt.unacknowledged().records()
    assert [r.seq for r in log] == [0, 1, 2, 3]
    assert [r.start_s for r in log] == [T0_S, T0_S + 900, T0_S + 3600 + 0, T0_S + 4500]
    assert F.CLOCK_STEPPED | F.PARTIAL in log[1].flags
    assert F.CLOCK_STEPPED | F.PARTIAL in log[2].flags
    assert [r.energy_wh for r in log] == [0, 10, 10, 0]
    assert [e.kind for e in mdt.pending_events()] == ["clock.stepped"]
    assert mdt.pending_events()[0].value == pytest.approx(3000.0)


def test_backward_step_holds_the_interval_so_labels_never_repeat() -> None:
    mdt = joined_mdt()
    mdt.tick(1000.0)
    mdt.on_pulse(1700.0)
    mdt.on_time_sync(1750.0, T0_S + 1750 - 1200)  # clock 20 min fast: back to T0+550
    mdt.on_pulse(1800.0)
    mdt.tick(1750.0 + 1200.0)  # clock T0+1750 again: still in [T0+900, T0+1800)
    assert [r.start_s for r in mdt.unacknowledged().records()] == [T0_S]
    mdt.tick(1750.0 + 1300.0)
    log = mdt.unacknowledged().records()
    assert [r.start_s for r in log] == [T0_S, T0_S + 900]
    assert log[1].energy_wh == 20
    assert F.CLOCK_STEPPED in log[1].flags


def test_first_sync_of_an_unsynced_clock_that_was_ahead() -> None:
    mdt = joined_mdt(sync=False, clock_error_s=86_400.0)  # a day ahead
    mdt.on_pulse(100.0)
    mdt.on_time_sync(200.0, T0_S + 200)
    mdt.on_pulse(300.0)
    mdt.tick(1000.0)
    log = mdt.unacknowledged().records()
    assert [r.seq for r in log] == [0, 1]
    assert log[0].start_s == T0_S + 86_400
    assert F.CLOCK_UNSYNCED | F.CLOCK_STEPPED | F.PARTIAL in log[0].flags
    assert log[1].start_s == T0_S
    assert F.CLOCK_UNSYNCED not in log[1].flags
    assert sum(r.energy_wh for r in log) == mdt.total_wh


def test_clock_drift_moves_interval_boundaries() -> None:
    mdt = joined_mdt(drift_ppm=1000.0)  # 1000 ppm fast: 0.9 s per interval
    mdt.on_pulse(899.5)  # clock reads T0 + 900.4: next interval
    mdt.tick(899.6)
    assert mdt.unacknowledged().energy_wh.tolist() == [0]
    assert mdt.current_pulses == 1


def test_tamper_events_and_flags() -> None:
    mdt = joined_mdt()
    mdt.on_event(MdtEvent.BEACON_HEARD, 30.0)
    mdt.on_event(MdtEvent.JOIN_OK, 60.0)
    actions = mdt.on_cover(1000.0, cover_open=True)
    assert [a.kind for a in actions] == ["send_data"]
    assert mdt.on_cover(1001.0, cover_open=True) == ()  # no change, no event
    mdt.on_cover(3000.0, cover_open=False)
    mdt.tick(4500.0)
    events = mdt.pending_events()
    assert [(e.seq, e.kind, e.t_s) for e in events] == [
        (0, "tamper.cover_removed", T0_S + 1000), (1, "tamper.cover_replaced", T0_S + 3000)]
    flags = [F.TAMPER_OPEN in r.flags for r in mdt.unacknowledged().records()]
    assert flags == [False, True, True, True, False]
    mdt.acknowledge_events(0)
    assert [e.kind for e in mdt.pending_events()] == ["tamper.cover_replaced"]


def test_supply_loss_flags_power_fail() -> None:
    mdt = joined_mdt()
    mdt.on_supply(100.0, present=False)
    mdt.on_supply(1000.0, present=True)
    mdt.tick(1800.0)
    log = mdt.unacknowledged().records()
    assert [F.POWER_FAIL in r.flags for r in log] == [True, True]
    assert [e.kind for e in mdt.pending_events()] == ["power.lost", "power.restored"]


def test_overrun_flags_the_interval() -> None:
    mdt = joined_mdt()
    mdt.on_pulse(10.0)
    mdt.on_pulse(10.03)  # 30 ms: not a bounce, but faster than 20 /s
    mdt.on_pulse(10.01)  # would raise: earlier than the accepted one? no: 10 ms after it
    mdt.tick(900.0)
    rec = mdt.unacknowledged().records()[0]
    assert F.RATE_LIMITED in rec.flags
    assert rec.energy_wh == 10


def test_ingest_edges_matches_on_pulse() -> None:
    rng = np.random.default_rng(3)
    edges = np.sort(rng.uniform(1.0, 20_000.0, 3000))
    edges = np.sort(np.concatenate([edges, edges[:300] + 0.005]))  # some bounces
    a, b = joined_mdt(), joined_mdt()
    for t in edges:
        a.on_pulse(float(t))
    a.tick(21_000.0)
    b.ingest_edges(edges[:1000], until_sim_t_s=float(edges[1000]))
    b.ingest_edges(edges[1000:], until_sim_t_s=21_000.0)
    for name in ("seq", "start_s", "energy_wh", "flags"):
        np.testing.assert_array_equal(getattr(a.unacknowledged(), name),
                                      getattr(b.unacknowledged(), name))
    assert a.total_wh == b.total_wh
    assert a.current_pulses == b.current_pulses


def test_ingest_edges_turns_an_off_mdt_on() -> None:
    mdt = Mdt("MMSMT-C02", device_id="x", clock=MdtClock(base_clock_s=T0_S))
    actions = mdt.ingest_edges(np.array([100.0, 200.0, 1000.0]), until_sim_t_s=1700.0)
    assert mdt.state is PowerState.SEARCHING
    assert actions
    assert mdt.unacknowledged().energy_wh.tolist() == [20]
    assert mdt.current_pulses == 1
    with pytest.raises(InputError):
        mdt.ingest_edges(np.array([5000.0]), until_sim_t_s=4000.0)


def test_ingest_counts_fast_path() -> None:
    mdt = joined_mdt()
    mdt.on_pulse(10.0)
    mdt.ingest_counts(T0_S, [4, 0, 20_000, 7])
    log = mdt.unacknowledged()
    assert log.energy_wh.tolist() == [50, 0, 180_000, 70]
    assert F.RATE_LIMITED in IntervalFlag(int(log.flags[2]))
    assert mdt.total_wh == int(log.energy_wh.sum())
    assert mdt.current_start_s == T0_S + 3600
    with pytest.raises(InputError):
        mdt.ingest_counts(T0_S, [1])


def test_the_radio_interface() -> None:
    mdt = joined_mdt()
    mdt.tick(900.0 * 10)
    assert mdt.records_since(6).seq.tolist() == [7, 8, 9]
    assert mdt.records_in(2, 3).seq.tolist() == [2, 3]
    mdt.acknowledge(8)
    assert mdt.unacknowledged().seq.tolist() == [9]
    assert mdt.lost_count == 0
    assert mdt.next_timer() == ("search", 90.0)
    actions = mdt.fire_due_timers(90.0)
    assert mdt.state is PowerState.LIGHT_SLEEP
    assert any(a.kind == "start_timer" and a.name == "sleep" for a in actions)
    assert mdt.timers == {"sleep": 390.0}


def test_models_without_an_mdt_are_refused() -> None:
    with pytest.raises(InputError, match="6PSMT-C02"):
        Mdt("6PSMT-C02", device_id="x", clock=MdtClock(base_clock_s=T0_S))
    with pytest.raises(InputError, match="unknown"):
        Mdt("MMSMT-Z99", device_id="x", clock=MdtClock(base_clock_s=T0_S))
    with pytest.raises(InputError):
        Mdt("MMSMT-C02", device_id="", clock=MdtClock(base_clock_s=T0_S))


pulse_times = st.lists(st.floats(0.0, 20_000.0, allow_nan=False), max_size=150).map(sorted)


@settings(max_examples=100, deadline=None)
@given(times=pulse_times,
       syncs=st.lists(st.tuples(st.floats(0.0, 20_000.0), st.floats(-4000.0, 4000.0)),
                      max_size=4),
       restart_at=st.one_of(st.none(), st.floats(0.0, 20_000.0)))
def test_interval_energies_sum_to_the_running_total(
        times: list[float], syncs: list[tuple[float, float]], restart_at: float | None) -> None:
    """Energy conservation: closed intervals + the interval in progress == pulses × 10,
    whatever the pulse times, clock steps and restarts; seq stays contiguous."""
    mdt = joined_mdt(sync=False, clock_error_s=123.0)
    events: list[tuple[float, int, float]] = [(t, 1, 0.0) for t in times]
    events += [(t, 0, step) for t, step in syncs]
    if restart_at is not None:
        events.append((restart_at, 2, 0.0))
    for t, kind, step in sorted(events):
        if kind == 1:
            mdt.on_pulse(t)
        elif kind == 0:
            mdt.on_time_sync(t, mdt.clock_s(t) + step)
        else:
            mdt = Mdt.from_state(mdt.to_state(), clock=mdt.clock)
            mdt.boot(t)
    mdt.tick(30_000.0)
    log = mdt.unacknowledged()
    assert np.all(np.diff(log.seq) == 1)
    assert int(log.energy_wh.sum()) + 10 * mdt.current_pulses == mdt.total_wh
    synced = (log.flags & F.CLOCK_UNSYNCED) == 0
    assert np.all(np.diff(log.start_s[synced]) > 0)


def test_a_stale_clock_stepping_back_holds_like_a_synced_one() -> None:
    mdt = joined_mdt(drift_ppm=50.0)  # 4.3 s per day fast
    mdt.tick(10 * 86_400.0 - 100.0)
    last = mdt.unacknowledged().records()[-1]
    assert F.CLOCK_UNSYNCED in last.flags  # 10 days without a sync
    t_s = 10 * 86_400.0 + 4.0  # the clock reads ~43 s ahead: already in the next interval
    assert mdt.clock_s(t_s) >= T0_S + 10 * 86_400
    mdt.tick(t_s)
    before = mdt.current_start_s
    mdt.on_time_sync(t_s, T0_S + t_s)  # back 43 s, to the previous label
    assert mdt.current_start_s == before  # held, not reopened
    mdt.tick(t_s + 2000.0)
    log = mdt.unacknowledged()
    check_log(log)
