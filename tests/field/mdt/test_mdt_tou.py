"""TOU schedule from the DCAP and register accrual."""

from __future__ import annotations

import numpy as np
import pytest

from openamr.errors import InputError
from openamr.field.mdt import IntervalFlag, Mdt, MdtClock, MdtFleet, TouSchedule

T0_S = 1_767_225_600  # 2026-01-01T00:00:00Z
PST_S = -8 * 3600
LOCAL_MIDNIGHT_S = T0_S - PST_S  # 2026-01-01T00:00-08:00


def peak_schedule(days: int = 2) -> TouSchedule:
    """off-peak 0:00-16:00 and 21:00-24:00, on-peak 16:00-21:00 local (PST)."""
    return TouSchedule.daily(("off_peak", "on_peak"), [(0, 0), (16 * 60, 1), (21 * 60, 0)],
                             utc_offset_s=PST_S, from_s=LOCAL_MIDNIGHT_S, days=days)


def test_daily_pattern_becomes_utc_switches() -> None:
    s = peak_schedule(1)
    assert s.switch_s == (LOCAL_MIDNIGHT_S, LOCAL_MIDNIGHT_S + 16 * 3600,
                          LOCAL_MIDNIGHT_S + 21 * 3600)
    assert s.switch_register == (0, 1, 0)
    assert s.valid_until_s == LOCAL_MIDNIGHT_S + 86_400
    # 16:00 PST is 00:00 UTC the next day
    assert s.register_at([LOCAL_MIDNIGHT_S + 16 * 3600 - 900, T0_S + 86_400,
                          T0_S + 86_400 + 5 * 3600 - 900, T0_S + 86_400 + 5 * 3600]).tolist() \
        == [0, 1, 1, 0]


def test_bad_schedules_are_refused() -> None:
    with pytest.raises(InputError, match="15-minute"):
        TouSchedule(("a", "b"), 0, (T0_S + 60,), (1,), T0_S + 86_400)
    with pytest.raises(InputError, match="out of range"):
        TouSchedule(("a",), 0, (T0_S,), (1,), T0_S + 86_400)
    with pytest.raises(InputError, match="ascending"):
        TouSchedule(("a", "b"), 0, (T0_S + 900, T0_S), (1, 0), T0_S + 86_400)
    with pytest.raises(InputError, match="midnight"):
        TouSchedule.daily(("a",), [(0, 0)], utc_offset_s=PST_S, from_s=T0_S, days=1)


def test_fleet_accrues_each_interval_to_the_scheduled_register() -> None:
    fleet = MdtFleet(3, "MMSMT-C02", tou=peak_schedule(2))
    k = 96 * 2
    counts = np.ones((3, k), np.int64) * np.array([[1], [2], [3]])
    fleet.append_counts(LOCAL_MIDNIGHT_S, counts)
    # per day: 5 h on-peak = 20 intervals, 19 h off-peak = 76 intervals
    assert fleet.tou_register_wh.tolist() == [[2 * 76 * 10 * m, 2 * 20 * 10 * m, 0, 0]
                                            for m in (1, 2, 3)]
    assert fleet.tou_register_wh.sum(axis=1).tolist() == fleet.register_wh.tolist()
    assert fleet.total_wh.tolist() == fleet.register_wh.tolist()
    log = fleet.ring.unacknowledged(0)
    assert log.tou_register[64] == 1  # 16:00 local
    assert log.tou_register[63] == 0
    assert log.tou_register_wh[-1].tolist() == fleet.tou_register_wh[0].tolist()
    assert np.all(np.diff(log.tou_register_wh.sum(axis=1)) == log.energy_wh[1:])
    assert not np.any(log.flags & IntervalFlag.TOU_STALE)


def test_beyond_the_schedule_and_without_one_the_intervals_are_stale() -> None:
    fleet = MdtFleet(1, "MMSMT-C02", tou=peak_schedule(1))
    fleet.append_counts(LOCAL_MIDNIGHT_S + 86_400 - 900, [[1, 1]])
    flags = fleet.ring.unacknowledged(0).flags
    assert [bool(f & IntervalFlag.TOU_STALE) for f in flags] == [False, True]
    bare = MdtFleet(1, "MMSMT-C02")
    bare.append_counts(T0_S, [[3]])
    rec = bare.ring.unacknowledged(0).records()[0]
    assert IntervalFlag.TOU_STALE in rec.flags
    assert rec.tou_register_wh == (30, 0, 0, 0)


def test_the_device_accrues_by_its_clock() -> None:
    t1_s = LOCAL_MIDNIGHT_S + 16 * 3600  # 2026-01-01T16:00-08:00
    mdt = Mdt("MMSMT-C02", device_id="t", clock=MdtClock(base_clock_s=t1_s),
              tou=peak_schedule(2))
    mdt.on_time_sync(0.0, t1_s)
    mdt.on_button(0.0, held_s=4.0)
    for t in np.arange(0.0, 6 * 3600.0, 60.0):
        mdt.on_pulse(float(t))
    mdt.tick(6 * 3600.0)
    log = mdt.unacknowledged()
    assert log.tou_register[:20].tolist() == [1] * 20  # 16:00-21:00 PST
    assert log.tou_register[20:].tolist() == [0] * 4
    assert log.tou_register_wh[-1].tolist() == [4 * 150, 20 * 150, 0, 0]


def test_a_schedule_with_too_many_registers_or_on_a_non_tou_model_is_refused() -> None:
    names = tuple(f"r{i}" for i in range(6))
    with pytest.raises(InputError, match="registers"):
        MdtFleet(1, "MMSMT-C02", tou=TouSchedule(names, 0, (), (), T0_S))
