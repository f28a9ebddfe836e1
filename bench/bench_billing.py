"""Benchmark of billing: monthly bills of 1,000 meters × one year of 15-minute data.

Part 1, the engine (target ≤ 20×): the twelve monthly bills of 2026 of ``METERS`` meters in
America/Los_Angeles under ``examples/tariffs/residential-tou.toml`` (four seasonal TOU periods,
US-CA holidays, a daily customer charge, a minimum charge) and under
``commercial-demand.toml`` (flat and TOU demand), from an in-memory ``(meters, 35,040)``
array: the local grid, the period sums, tiers, demand maxima and exact line amounts of every
bill (:func:`compute_bills`), then every bill as ``Decimal`` lines (:func:`bill_from_batch`).
The same-run baseline is one ``numpy.sum`` over the same array.

Part 2, from the store (target ≤ 3×): a SQLite store holding ``STORE_METERS`` meters × the
year; the figure is the whole run of :func:`openamr.billing.run.bill_accounts` for the site,
month by month (reading every meter's intervals and register reads, billing, ``Decimal``
bills); the baseline is reading the same rows alone (``store.get_intervals`` for every meter
and month).  ``STORE_METERS`` defaults to 200 (7.0 M rows; the ratio does not depend on the
count, the time to fill the store does); ``OPENAMR_BENCH_BILLING_STORE_METERS=1000`` runs the
full size.  ``--quick``: 100 meters in the engine part, 20 in the store.  Run with
``openamr bench billing`` (or ``python -m bench billing``).
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from bench.timing import Result, best_s, time_result
from openamr.billing.bill import bill_from_batch
from openamr.billing.engine import UsageBatch, compute_bills
from openamr.billing.periods import month_cycle
from openamr.billing.run import bill_accounts, site_accounts
from openamr.billing.tariff_file import load_tariff
from openamr.headend.store import Meter, Site, open_store
from openamr.timeutil import epoch_s, local_grid, site_zone

METERS = 1000
STORE_METERS = int(os.environ.get("OPENAMR_BENCH_BILLING_STORE_METERS", "200"))
ZONE = "America/Los_Angeles"
YEAR = 2026
TARIFFS = Path(__file__).resolve().parents[1] / "examples" / "tariffs"


def year_bounds_s() -> tuple[int, int]:
    zone = site_zone(ZONE)
    return (epoch_s(datetime(YEAR, 1, 1, tzinfo=zone)),
            epoch_s(datetime(YEAR + 1, 1, 1, tzinfo=zone)))


def year_load(meters: int, seed: int = 1) -> np.ndarray:
    """``(meters, intervals)`` energy [Wh] in whole 10 Wh pulses."""
    start_s, end_s = year_bounds_s()
    n = (end_s - start_s) // 900
    rng = np.random.default_rng(seed)
    hour = (np.arange(n) % 96) / 4.0
    shape = 60.0 + 80.0 * ((hour >= 16) & (hour < 22))
    noise = rng.gamma(2.0, 20.0, (meters, n))
    return np.round((shape + noise) / 10) * 10


def engine_run(energy: np.ndarray, tariff_name: str, materialise: bool) -> int:
    tariff = load_tariff(TARIFFS / tariff_name)
    start_s, _ = year_bounds_s()
    made = 0
    for month in range(1, 13):
        period = month_cycle(YEAR, month, ZONE)
        grid = local_grid(period.start_s, period.end_s, ZONE)
        first = (period.start_s - start_s) // 900
        block = energy[:, first:first + len(grid)]
        usage = UsageBatch(block, np.ones(block.shape, dtype=bool), None, None,
                           np.full(block.shape[0], period.days, dtype=np.int64))
        batch = compute_bills(tariff, period, grid, usage)
        if materialise:
            for row in range(len(batch)):
                bill_from_batch(batch, row, account_id=f"m{row}", account_kind="meter",
                                site_id="s", meter_ids=(f"m{row}",),
                                billed_first_day=period.first_day,
                                billed_end_day=period.end_day)
                made += 1
        else:
            made += len(batch)
    return made


def part_engine(meters: int) -> list[Result]:
    energy = year_load(meters)
    baseline = best_s(lambda: energy.sum())
    print(f"engine: {meters} meters × {energy.shape[1]} intervals "
          f"({energy.size / 1e6:.1f} M values); numpy sum {baseline * 1e3:.1f} ms")
    results = []
    for name in ("residential-tou.toml", "commercial-demand.toml"):
        batch_s = best_s(lambda n=name: engine_run(energy, n, False), repeats=2)  # type: ignore[misc]
        full_s = best_s(lambda n=name: engine_run(energy, n, True), repeats=2)  # type: ignore[misc]
        bills = 12 * meters
        print(f"  {name}: {bills:,} bills (exact amounts) {batch_s:.3f} s = "
              f"{batch_s / baseline:.1f}× the sum; as Decimal Bill objects "
              f"{full_s:.3f} s = {full_s / baseline:.1f}× (goal ≤ 20×)")
        stem = name.removesuffix(".toml")
        results.append(time_result(f"billing: {bills:,} bills, {stem}, exact amounts", batch_s,
                                   baseline, unit="ms", goal=20.0))
        results.append(time_result(f"billing: {bills:,} bills, {stem}, Decimal bills", full_s,
                                   baseline, unit="ms", goal=20.0))
    return results


def part_store(meters: int) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "bench.db"))
        store.upsert_site(Site("s", "bench", ZONE))
        ids = [f"m{i:04d}" for i in range(meters)]
        for meter_id in ids:
            store.upsert_meter(Meter(meter_id, "s"))
        keys = store.meter_keys(ids)
        start_s, _ = year_bounds_s()
        energy = year_load(meters, seed=2)
        n = energy.shape[1]
        starts = start_s + 900 * np.arange(n, dtype=np.int64)
        t0 = time.perf_counter()
        with store.transaction():
            for row, key in enumerate(keys):
                store.put_interval_rows(np.full(n, key, dtype=np.int64), starts, energy[row],
                                        np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
                                        "import", 0)
        print(f"store: {meters} meters × {n} intervals filled in "
              f"{time.perf_counter() - t0:.1f} s")
        tariff = load_tariff(TARIFFS / "residential-tou.toml")
        periods = [month_cycle(YEAR, m, ZONE) for m in range(1, 13)]

        def read_only() -> None:
            for period in periods:
                for meter_id in ids:
                    store.get_intervals(meter_id, period.start_s, period.end_s)

        def whole_run() -> None:
            for period in periods:
                bill_accounts(store, tariff, period, site_accounts(store, "s", period))

        read_s = best_s(read_only, repeats=2)
        run_s = best_s(whole_run, repeats=2)
        print(f"  reading the rows alone {read_s:.2f} s; the whole bill run {run_s:.2f} s = "
              f"{run_s / read_s:.2f}× (goal ≤ 3×)")
        store.close()
    return [time_result(f"billing: {meters} meters × 12 months from SQLite, whole run", run_s,
                        read_s, goal=3.0)]


def main(quick: bool = False) -> list[Result]:
    return [*part_engine(100 if quick else METERS),
            *part_store(20 if quick else STORE_METERS)]


if __name__ == "__main__":
    main()
