"""Benchmark of energy reports: a site of 1,000 meters × one month (about 2.9 M intervals).

A SQLite store in a temporary directory holds 1,000 meters of one site (America/Los_Angeles)
with every 15-minute interval of March 2026 (a DST month).  Figures:

* the whole site report (``energy_report(site_id=...)``: reading every meter's month, the
  local grid, daily and monthly usage, load profile, heatmap, peak, per-meter totals, the
  previous period) against the same-run baseline of reading the same rows alone
  (``store.get_intervals_bulk``): the report should cost little beyond the read;
* the figures alone on arrays already in memory (``energy_grid`` + ``usage`` + ``load_profile`` +
  ``heatmap`` + ``peak_demand``) against a numpy sum over the same rows.

Goal: the site report within 2× the read alone.  ``--quick``: 100 meters.  Run with
``python -m bench energy`` (or ``openamr bench energy``).
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from pathlib import Path

import numpy as np

from bench.timing import Result, best_s, time_result
from openamr.headend.energy import (
    energy_grid,
    energy_report,
    heatmap,
    load_profile,
    peak_demand,
    usage,
)
from openamr.headend.store import IntervalBatch, Meter, Site, open_store
from openamr.timeutil import epoch_s, site_zone

METERS = int(os.environ.get("BENCH_ENERGY_METERS", "1000"))
QUICK_METERS = 100
GOAL_REPORT_RATIO = 2.0
FIRST, LAST = date(2026, 3, 1), date(2026, 3, 31)


def main(quick: bool = False) -> list[Result]:
    meters = QUICK_METERS if quick else METERS
    zone = site_zone("America/Los_Angeles")
    start_s = epoch_s(datetime(2026, 3, 1, tzinfo=zone))
    end_s = epoch_s(datetime(2026, 4, 1, tzinfo=zone))
    starts = np.arange(start_s, end_s, 900, dtype=np.int64)
    rng = np.random.default_rng(20261203)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "energy.db")
        with open_store(path) as store:
            store.upsert_site(Site("s-1", "bench", "America/Los_Angeles"))
            ids = [f"m-{i:04d}" for i in range(meters)]
            for meter_id in ids:
                store.upsert_meter(Meter(meter_id, "s-1"))
            with store.transaction():
                for meter_id in ids:
                    energy = np.round(rng.uniform(0.0, 400.0, starts.size) / 10.0) * 10.0
                    store.put_intervals(IntervalBatch(meter_id, starts, energy,
                                                      source="import"))
        with open_store(path) as store:
            rows = meters * starts.size
            read_s = best_s(lambda: store.get_intervals_bulk(ids, start_s, end_s), repeats=3)
            report_s = best_s(lambda: energy_report(store, FIRST, LAST, site_id="s-1"),
                              repeats=3)
            table = store.get_intervals_bulk(ids, start_s, end_s)
        print(f"site report, {meters} meters x {starts.size} intervals ({rows / 1e6:.2f} M rows):"
              f" {report_s:.3f} s; reading the rows alone {read_s:.3f} s; "
              f"ratio {report_s / read_s:.2f}x")

        def figures() -> None:
            grid = energy_grid("America/Los_Angeles", FIRST, date(2026, 4, 1),
                              interval_start_s=table.start_s, energy_wh=table.energy_wh,
                              meters=meters)
            usage(grid, "daily")
            usage(grid, "monthly")
            load_profile(grid)
            heatmap(grid)
            peak_demand(grid)

        figures_s = best_s(figures, repeats=5)
        sum_s = best_s(lambda: float(table.energy_wh.sum()), repeats=5)
        print(f"figures on arrays in memory: {figures_s * 1e3:.1f} ms; numpy sum of the same "
              f"rows {sum_s * 1e3:.2f} ms; ratio {figures_s / sum_s:.1f}x")
    return [time_result(f"energy site report ({meters} meters x 1 month) / read", report_s,
                        read_s, goal=GOAL_REPORT_RATIO),
            time_result("energy figures on arrays / numpy sum", figures_s, sum_s, unit="ms")]


if __name__ == "__main__":
    main()
