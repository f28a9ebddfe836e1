"""Pulse outputs, counter and load LED against reference metrology §7.1–§7.2."""

from __future__ import annotations

import numpy as np
import pytest

from openamr.field.meter.outputs import (
    PulseOutput,
    completed_pulses,
    counter_counts,
    output_is_on,
    pulse_counts_per_interval,
    pulse_counts_per_interval_registered,
    rising_edges,
    transition_times_s,
)
from openamr.field.meter.registers import EnergyCurve


def _led(power_w: float, duration_s: float) -> np.ndarray:
    return PulseOutput(10.0).run(EnergyCurve.constant(power_w, duration_s)).toggle_times_s


@pytest.mark.parametrize(
    ("vector", "power_w", "half_period_s"),
    [("LED-1", 200.0, 90.0), ("LED-2", 1000.0, 18.0), ("LED-3", 2400.0, 7.5),
     ("LED-4", 48_000.0, 0.375)],
)
def test_led_half_period(vector: str, power_w: float, half_period_s: float) -> None:
    toggles = _led(power_w, 20 * half_period_s)
    assert toggles.shape[0] == 20, vector
    np.testing.assert_allclose(toggles, half_period_s * np.arange(1, 21), rtol=1e-12)
    # first toggle switches ON (rising), then OFF
    _, rising = transition_times_s(EnergyCurve.constant(power_w, 20 * half_period_s), 10.0)
    assert rising.tolist() == [True, False] * 10


def test_led1_is_90_s_on_90_s_off_exactly() -> None:
    toggles = _led(200.0, 3600.0)
    assert toggles.tolist() == [90.0 * k for k in range(1, 41)]


def test_led6_load_removed_holds_state() -> None:
    # 200 W for 135 s (LED turned on at 90 s), then nothing for a day: stays ON, no toggles
    curve = EnergyCurve(np.array([0.0, 135.0, 86_400.0]), np.array([200.0, 0.0]))
    out = PulseOutput(10.0).run(curve)
    assert out.rising_times_s.tolist() == [90.0]
    assert out.falling_times_s.size == 0
    assert out.on_at_end
    # removed while OFF (after a completed pulse): stays off
    curve = EnergyCurve(np.array([0.0, 200.0, 86_400.0]), np.array([200.0, 0.0]))
    out = PulseOutput(10.0).run(curve)
    assert out.toggle_times_s.tolist() == [90.0, 180.0]
    assert not out.on_at_end


def test_led7_on_at_90_s() -> None:
    out = PulseOutput(10.0).run(EnergyCurve.constant(200.0, 90.0))
    assert out.rising_times_s.tolist() == [90.0]
    assert out.rising == 1
    assert out.completed == 0
    assert out.on_at_end


PUL = [
    # id, power [W], duration [s], (completed, rising) for Kh 10, 100, 1000
    ("PUL-1", 200.0, 3600.0, ((20, 20), (2, 2), (0, 0))),
    ("PUL-2", 1000.0, 3600.0, ((100, 100), (10, 10), (1, 1))),
    ("PUL-3", 2400.0, 900.0, ((60, 60), (6, 6), (0, 1))),
    ("PUL-4", 4800.0, 60.0, ((8, 8), (0, 1), (0, 0))),
    ("PUL-6", 24_000.0, 3600.0, ((2400, 2400), (240, 240), (24, 24))),
    ("PUL-8", 200.0, 179.9, ((0, 1), (0, 0), (0, 0))),
    ("PUL-9", 200.0, 180.0, ((1, 1), (0, 0), (0, 0))),
]


@pytest.mark.parametrize(("vector", "power_w", "duration_s", "expected"), PUL)
def test_pulse_vectors(vector: str, power_w: float, duration_s: float,
                       expected: tuple[tuple[int, int], ...]) -> None:
    curve = EnergyCurve.constant(power_w, duration_s)
    for kh, (completed, rising) in zip((10.0, 100.0, 1000.0), expected, strict=True):
        out = PulseOutput(kh).run(curve)
        assert (out.completed, out.rising) == (completed, rising), (vector, kh)
        assert out.falling_times_s.shape[0] == completed
        assert out.rising_times_s.shape[0] == rising
        assert completed_pulses(curve.register_wh, kh) == completed
        assert rising_edges(curve.register_wh, kh) == rising


def test_pul9_boundary_through_several_steps() -> None:
    # 200 W as 3 × 60 s, and as 7 uneven steps: still exactly 10 Wh = 1 pulse
    curve = EnergyCurve(np.array([0.0, 60.0, 120.0, 180.0]), np.array([200.0] * 3))
    assert curve.register_wh == 10.0
    assert PulseOutput(10.0).run(curve).completed == 1
    t = np.array([0.0, 1.0, 7.0, 33.0, 90.0, 91.0, 150.0, 180.0])
    curve = EnergyCurve(t, np.full(7, 200.0))
    out = PulseOutput(10.0).run(curve)
    assert out.completed == 1
    assert out.falling_times_s.tolist() == [180.0]


def test_half_period_at_2400_w() -> None:
    curve = EnergyCurve.constant(2400.0, 3000.0)
    assert np.diff(PulseOutput(100.0).run(curve).toggle_times_s)[:3].tolist() == [75.0] * 3
    assert PulseOutput(1000.0).run(curve).toggle_times_s.tolist() == [750.0, 1500.0, 2250.0,
                                                                      3000.0]


@pytest.mark.parametrize(
    ("power_w", "counts_100", "counts_1000"),
    [(1000.0, 10, 1), (2400.0, 24, 2), (48_000.0, 480, 48)],
)
def test_counter_vectors(power_w: float, counts_100: int, counts_1000: int) -> None:
    energy_wh = EnergyCurve.constant(power_w, 3600.0).register_wh
    assert counter_counts(energy_wh, 100.0) == counts_100
    assert counter_counts(energy_wh, 1000.0) == counts_1000


def test_power_up_phase_is_a_parameter() -> None:
    curve = EnergyCurve.constant(200.0, 180.0)
    out = PulseOutput(10.0, start_on=True).run(curve)
    # starting ON: the first falling edge (a completed pulse) at 5 Wh = 90 s
    assert out.falling_times_s.tolist() == [90.0]
    assert out.rising_times_s.tolist() == [180.0]
    assert out.completed == 1 == completed_pulses(10.0, 10.0, start_on=True)
    assert out.on_at_end
    assert output_is_on(0.0, 10.0, start_on=True)
    assert not output_is_on(0.0, 10.0)


def test_scalar_and_array_counts_agree() -> None:
    energy = np.array([0.0, 4.999, 5.0, 9.999, 10.0, 15.0, 1234.5])
    assert completed_pulses(energy, 10.0).tolist() == [completed_pulses(float(e), 10.0)
                                                       for e in energy]
    assert rising_edges(energy, 10.0).tolist() == [0, 0, 1, 1, 1, 2, 123]


def test_interval_counts_for_many_meters() -> None:
    power = np.array([np.full(120, 1000.0), np.full(120, 200.0), np.zeros(120)])
    counts = pulse_counts_per_interval(power, 60.0, 900.0, 10.0)
    assert counts.shape == (3, 8)
    assert counts[0].tolist() == [25] * 8
    assert counts[1].tolist() == [5] * 8
    assert counts[2].tolist() == [0] * 8
    single = pulse_counts_per_interval(power[1], 60.0)
    assert single.tolist() == [5] * 8


def test_interval_counts_carry_fractions_across_intervals() -> None:
    # 100 W: 25 Wh per 15 min → 2, 3, 2, 3 ... (floor of the cumulative energy)
    counts = pulse_counts_per_interval(np.full(60, 100.0), 60.0, 900.0, 10.0)
    assert counts.tolist() == [2, 3, 2, 3]
    assert counts.sum() == completed_pulses(100.0, 10.0)


def test_interval_counts_general_path_partial_interval() -> None:
    # 7-s steps: intervals do not hold whole steps; the last interval is partial
    power = np.full((2, 300), 1000.0)
    counts = pulse_counts_per_interval(power, 7.0, 900.0, 10.0)
    assert counts.shape == (2, 3)
    total_wh = 1000.0 * 300 * 7.0 / 3600.0
    assert counts[0].sum() == int(total_wh // 10)
    assert counts[0, 0] == 25
    assert counts[0, 1] == 25


def test_interval_counts_match_exact_outputs_for_random_loads() -> None:
    rng = np.random.default_rng(7)
    power = rng.integers(0, 5000, size=(5, 15 * 16)).astype(float)
    counts = pulse_counts_per_interval(power, 60.0, 900.0, 10.0, chunk_meters=2)
    for row, count_row in zip(power, counts, strict=True):
        t = np.arange(row.shape[0] + 1) * 60.0
        curve = EnergyCurve(t, row)
        ends = curve.energy_ws_at(np.arange(1, 17) * 900.0) / 3600.0
        expected = np.diff(np.floor_divide(np.concatenate(([0.0], ends)), 10.0))
        assert count_row.tolist() == expected.astype(int).tolist()
        assert count_row.sum() == PulseOutput(10.0).run(curve).completed


def test_interval_counts_chain_with_initial_register() -> None:
    power = np.full((1, 30), 100.0)
    first = pulse_counts_per_interval(power, 60.0)
    second = pulse_counts_per_interval(power, 60.0, initial_wh=5.0)
    assert first.tolist() == [[2, 3]]
    assert second.tolist() == [[3, 2]]


def test_interval_counts_with_register_rule() -> None:
    half = np.full((2, 30), 600.0)
    counts = pulse_counts_per_interval_registered(half, half, 60.0)
    assert counts.tolist() == [[30, 30], [30, 30]]
    # CT1 reversed on a balanced load: net 0 (default), per element 50 %
    counts = pulse_counts_per_interval_registered(-half, half, 60.0)
    assert counts.tolist() == [[0, 0], [0, 0]]
    counts = pulse_counts_per_interval_registered(-half, half, 60.0, mode="element")
    assert counts.tolist() == [[15, 15], [15, 15]]
    # below the anti-creep threshold: nothing
    assert pulse_counts_per_interval_registered(np.full(30, 5.0), np.zeros(30),
                                                60.0).tolist() == [0, 0]


def test_interval_counts_accept_float32_and_integers() -> None:
    power = np.full((3, 60), 100.0)
    expected = pulse_counts_per_interval(power, 60.0).tolist()
    assert pulse_counts_per_interval(power.astype(np.float32), 60.0).tolist() == expected
    assert pulse_counts_per_interval(power.astype(np.int64), 60.0).tolist() == expected
    # a non-contiguous view works too
    wide = np.full((3, 120), 100.0)[:, ::2]
    assert pulse_counts_per_interval(wide, 60.0).tolist() == expected
