"""Many MDTs at once: the simulator's fast path (and the meter's pulse counts)."""

from __future__ import annotations

import numpy as np
import pytest

from openamr.errors import InputError
from openamr.field.mdt import IntervalFlag, Mdt, MdtClock, MdtFleet

T0_S = 1_767_225_600


def test_a_month_for_many_mdts_wraps_counts_and_conserves_energy() -> None:
    n = 20
    rng = np.random.default_rng(11)
    fleet = MdtFleet(n, "MMSMT-D02", buffer_days=35)
    total = np.zeros(n, np.int64)
    for day in range(40):
        counts = rng.poisson(30, (n, 96))
        temps = rng.normal(20, 2, (n, 96))
        fleet.append_counts(T0_S + day * 86_400, counts, temperature_c=temps)
        total += counts.sum(axis=1) * 10
    assert fleet.total_wh.tolist() == total.tolist()
    assert fleet.register_wh.tolist() == total.tolist()
    assert fleet.ring.next_seq.tolist() == [40 * 96] * n
    assert fleet.ring.lost_count.tolist() == [5 * 96] * n
    held = fleet.ring.unacknowledged(3)
    assert len(held) == 3360
    assert held.start_s[0] == T0_S + 5 * 86_400
    assert np.all(np.diff(held.start_s) == 900)
    assert not np.any(np.isnan(held.temperature_c))


def test_fleet_and_single_mdt_fast_paths_agree() -> None:
    rng = np.random.default_rng(5)
    counts = rng.poisson(12, (3, 200))
    fleet = MdtFleet(3, "MMSMT-C02")
    fleet.append_counts(T0_S, counts[:, :100])
    fleet.append_counts(T0_S + 100 * 900, counts[:, 100:])
    for i in range(3):
        mdt = Mdt("MMSMT-C02", device_id=f"m{i}", clock=MdtClock(base_clock_s=T0_S))
        mdt.ingest_counts(T0_S, counts[i])
        a, b = fleet.ring.unacknowledged(i), mdt.unacknowledged()
        for name in ("seq", "start_s", "energy_wh", "flags", "tou_register_wh"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_counts_for_some_rows_and_bad_input() -> None:
    fleet = MdtFleet(4, "MMSMT-C02")
    fleet.append_counts(T0_S, [[1, 2]], rows=[2])
    assert fleet.ring.next_seq.tolist() == [0, 0, 2, 0]
    assert fleet.total_wh.tolist() == [0, 0, 30, 0]
    with pytest.raises(InputError, match="aligned"):
        fleet.append_counts(T0_S + 5, [[1]] * 4)
    with pytest.raises(InputError, match="rows"):
        fleet.append_counts(T0_S, [[1]] * 3)
    with pytest.raises(InputError, match="negative"):
        fleet.append_counts(T0_S, [[-1]] * 4)
    fleet.append_counts(T0_S, np.full((4, 1), 18_001))
    assert IntervalFlag.RATE_LIMITED in IntervalFlag(int(fleet.ring.flags[0, 0]))


def test_fleet_state_round_trip() -> None:
    fleet = MdtFleet(2, "MMSMT-C02")
    fleet.append_counts(T0_S, [[1, 2, 3], [4, 5, 6]])
    other = MdtFleet(2, "MMSMT-C02")
    other.restore(fleet.to_state())
    assert other.total_wh.tolist() == [60, 150]
    assert other.ring.unacknowledged(1).energy_wh.tolist() == [40, 50, 60]


def test_with_the_meters_pulse_counts() -> None:
    outputs = pytest.importorskip("openamr.field.meter.outputs")
    power_w = np.array([[200.0] * 96 * 4, [1500.0] * 96 * 4])  # one day of 15-min steps
    counts = outputs.pulse_counts_per_interval(power_w, 225.0)
    fleet = MdtFleet(2, "MMSMT-C02")
    fleet.append_counts(T0_S, counts)
    # 200 W for a day is 4800 Wh, 1500 W is 36 000 Wh; the pulses left over are < Kh
    assert 4800 - 10 <= int(fleet.total_wh[0]) <= 4800
    assert 36_000 - 10 <= int(fleet.total_wh[1]) <= 36_000


def test_meter_edges_through_the_mdt_match_the_meters_counts() -> None:
    """The meter's exact falling-edge times, debounced by the MDT, give the meter's own
    completed-pulse counts per interval (synced clock, no drift)."""
    outputs = pytest.importorskip("openamr.field.meter.outputs")
    registers = pytest.importorskip("openamr.field.meter.registers")
    rng = np.random.default_rng(2)
    step_s = 60.0
    power_w = rng.uniform(100.0, 7000.0, 24 * 60) * np.sin(np.linspace(0, 3, 24 * 60)) ** 2
    curve = registers.EnergyCurve(np.arange(power_w.size + 1) * step_s, power_w)
    edges = outputs.PulseOutput(10.0).run(curve).falling_times_s
    counts = np.asarray(outputs.pulse_counts_per_interval(power_w, step_s)).reshape(-1)
    mdt = Mdt("MMSMT-C02", device_id="m", clock=MdtClock(base_clock_s=T0_S))
    mdt.on_button(0.0, held_s=4.0)
    mdt.on_time_sync(0.0, T0_S)
    mdt.ingest_edges(edges, until_sim_t_s=86_400.0)
    log = mdt.unacknowledged()
    assert log.energy_wh.tolist() == (counts * 10).tolist()
    assert mdt.total_wh == int(counts.sum()) * 10
