"""Benchmark of the meter's hot path: Kh 10 pulse counts per 15-minute interval.

1,000 meters × 30 days of 1-minute load profiles (43.2 M float64 load steps, 346 MB), generated
once (seeded) outside the timing.  The figure is the time of
:func:`openamr.field.meter.outputs.pulse_counts_per_interval`; the same-run baseline is a plain
``np.cumsum(power, axis=1)`` over the same array.  Goal: ratio ≤ 1.  Each is timed as the best
of a few repeats.  Run with ``python -m bench meter`` (``--quick``: 100 meters).
"""

from __future__ import annotations

import tracemalloc

import numpy as np

from bench.timing import Result, best_s, time_result
from openamr.field.meter.outputs import (
    pulse_counts_per_interval,
    pulse_counts_per_interval_registered,
)

METERS = 1_000
DAYS = 30
STEP_S = 60.0



def make_loads(meters: int = METERS, days: int = DAYS, seed: int = 20261125) -> np.ndarray:
    """Seeded 1-minute loads [W]: a daily shape times a per-meter size, plus noise, ≥ 0."""
    rng = np.random.default_rng(seed)
    steps = days * 1440
    minute = np.arange(steps) % 1440
    daily = 0.6 + 0.4 * np.sin(2 * np.pi * (minute - 360) / 1440) ** 2
    size_w = rng.uniform(200.0, 5000.0, size=(meters, 1))
    power = size_w * daily[np.newaxis, :]
    power *= rng.uniform(0.5, 1.5, size=(meters, steps))
    return power


def main(quick: bool = False) -> list[Result]:
    meters = 100 if quick else METERS
    power = make_loads(meters)
    steps = power.shape[1]
    print(f"load array: {meters} meters × {steps} 1-min steps = {power.size / 1e6:.1f} M "
          f"float64 ({power.nbytes / 1e6:.0f} MB)")
    counts = pulse_counts_per_interval(power, STEP_S, 900.0, 10.0)
    total_wh = power.sum(axis=1) * STEP_S / 3600.0
    assert counts.shape == (meters, steps // 15)
    assert np.all(np.abs(counts.sum(axis=1) - total_wh / 10.0) <= 1.0)

    baseline_s = best_s(lambda: np.cumsum(power, axis=1))
    figure_s = best_s(lambda: pulse_counts_per_interval(power, STEP_S, 900.0, 10.0))
    print(f"np.cumsum(power, axis=1) baseline: {baseline_s * 1e3:8.1f} ms")
    print(f"pulse_counts_per_interval (Kh 10): {figure_s * 1e3:8.1f} ms")
    print(f"ratio: {figure_s / baseline_s:.2f} (goal ≤ 1)")
    tracemalloc.start()
    pulse_counts_per_interval(power, STEP_S, 900.0, 10.0)
    _, peak_b = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory allocated by the call: {peak_b / 1e6:.1f} MB "
          f"(input {power.nbytes / 1e6:.0f} MB, result {counts.nbytes / 1e6:.1f} MB)")

    half = power / 2.0
    registered_s = best_s(lambda: pulse_counts_per_interval_registered(
        half, half, STEP_S, 900.0, 10.0), repeats=1)
    print(f"pulse_counts_per_interval_registered (two elements + register rule): "
          f"{registered_s * 1e3:8.1f} ms, ratio {registered_s / baseline_s:.2f} (information)")
    return [time_result("meter: Kh 10 pulse counts per interval vs np.cumsum", figure_s,
                        baseline_s, unit="ms", goal=1.0),
            time_result("meter: counts with the register rule vs np.cumsum", registered_s,
                        baseline_s, unit="ms")]


if __name__ == "__main__":
    main()
