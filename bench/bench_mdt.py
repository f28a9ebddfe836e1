"""Benchmark of the MDT's hot path: closing intervals into the 35-day logs of many MDTs.

Cases (seeded Poisson pulse counts, generated outside the timing; TOU variant with a two-register
schedule, so TOU accrual is included):

* 1,000 MDTs × 30 days (2.88 M intervals), appended one day at a time (30 blocks of 1000 × 96),
  as the simulator does;
* 10,000 MDTs × 1 day (0.96 M intervals) in one block.

Same-run baseline: the same work record by record (``IntervalRing.append_one`` in a Python
loop, what a per-MDT object does), timed on a slice and given as intervals/s.  The debounce
kernel, and one MDT's month through ``Mdt.ingest_edges``, are compared with the per-edge event
path.  Run with ``python -m bench mdt``.
"""

from __future__ import annotations

import numpy as np

from bench.timing import Result, best_s, rate_result, time_result
from openamr.field.mdt import (
    IntervalRing,
    Mdt,
    MdtClock,
    MdtFleet,
    PulseInput,
    PulseInputParams,
    TouSchedule,
    debounce_mask,
)

T0_S = 1_767_225_600  # 2026-01-01T00:00:00Z



def _schedule(days: int) -> TouSchedule:
    return TouSchedule.daily(("off_peak", "on_peak"), [(0, 0), (16 * 60, 1), (21 * 60, 0)],
                             utc_offset_s=0, from_s=T0_S, days=days)


def _fleet_days(counts: np.ndarray, days: int) -> float:
    n = counts.shape[0]

    def run() -> None:
        fleet = MdtFleet(n, "MMSMT-C02", tou=_schedule(days))
        for day in range(days):
            fleet.append_counts(T0_S + day * 86_400, counts[:, day * 96:(day + 1) * 96])

    return best_s(run)


def _baseline_rate(counts: np.ndarray) -> float:
    """Intervals/s record by record: a Python loop over append_one (TOU done by hand)."""
    sched = _schedule(1)
    n, k = counts.shape
    starts = T0_S + 900 * np.arange(k)
    regs = sched.register_at(starts).tolist()

    def run() -> None:
        ring = IntervalRing(n, n_registers=4)
        totals = [[0, 0, 0, 0] for _ in range(n)]
        for i in range(n):
            row = counts[i].tolist()
            tot = totals[i]
            for j in range(k):
                energy_wh = row[j] * 10
                tot[regs[j]] += energy_wh
                ring.append_one(i, int(starts[j]), energy_wh, 0, tou_register=regs[j],
                                tou_register_wh=tuple(tot))

    return n * k / best_s(run)


def main(quick: bool = False) -> list[Result]:
    rng = np.random.default_rng(20261125)
    fleet = 100 if quick else 1_000
    month = rng.poisson(25, size=(fleet, 30 * 96)).astype(np.int64)
    day10k = rng.poisson(25, size=(fleet * 10, 96)).astype(np.int64)
    base_rate = _baseline_rate(month[:50, :96])

    t_month = _fleet_days(month, 30)
    rate_month = month.size / t_month
    print(f"{fleet:,} MDTs x 30 days ({month.size / 1e6:.2f} M intervals, day blocks): "
          f"{t_month:.3f} s = {rate_month / 1e6:.2f} M intervals/s; "
          f"baseline record-by-record {base_rate / 1e3:.0f} k intervals/s; "
          f"ratio {rate_month / base_rate:.0f}x faster")

    t_day = _fleet_days(day10k, 1)
    rate_day = day10k.size / t_day
    print(f"{fleet * 10:,} MDTs x 1 day ({day10k.size / 1e6:.2f} M intervals, one block): "
          f"{t_day:.3f} s = {rate_day / 1e6:.2f} M intervals/s; "
          f"ratio {rate_day / base_rate:.0f}x the baseline")

    # debounce: a month of one busy meter's edges (2 kW -> 200 pulses/h) with 5 % bounces
    edges = np.sort(rng.uniform(0.0, 30 * 86_400.0, 144_000))
    bounces = edges[rng.random(edges.size) < 0.05] + rng.uniform(0.001, 0.02)
    edges = np.sort(np.concatenate([edges, bounces]))
    dead_s = PulseInputParams().dead_time_s
    t_vec = best_s(lambda: debounce_mask(edges, dead_s))

    def per_edge() -> None:
        p = PulseInput(PulseInputParams())
        for t in edges.tolist():
            p.on_pulse(t)

    t_loop = best_s(per_edge, 1)
    print(f"debounce of {edges.size:,} edges: vectorised {t_vec * 1e3:.1f} ms; "
          f"baseline per-edge on_pulse {t_loop * 1e3:.0f} ms; ratio {t_loop / t_vec:.0f}x")

    # one D02 MDT for the same month through the device: ingest_edges vs on_pulse per edge
    def device() -> Mdt:
        mdt = Mdt("MMSMT-D02", device_id="bench", clock=MdtClock(base_clock_s=T0_S),
                  temperature_source=lambda t: 20.0)
        mdt.on_button(0.0, held_s=4.0)
        mdt.on_time_sync(0.0, T0_S)
        return mdt

    end_s = 30 * 86_400.0

    def fast() -> None:
        device().ingest_edges(edges, end_s)

    def slow() -> None:
        mdt = device()
        for t in edges.tolist():
            mdt.on_pulse(t)
        mdt.tick(end_s)

    t_fast = best_s(fast)
    t_slow = best_s(slow, 1)
    print(f"one MDT-month through Mdt ({edges.size:,} edges, 2,880 intervals): ingest_edges "
          f"{t_fast * 1e3:.1f} ms; baseline on_pulse per edge {t_slow * 1e3:.0f} ms "
          f"({t_slow / edges.size * 1e6:.1f} us/edge); ratio {t_slow / t_fast:.0f}x")
    return [rate_result(f"mdt: close {fleet:,} MDTs x 30 d of intervals vs record-by-record",
                        rate_month, base_rate, unit="intervals/s"),
            rate_result(f"mdt: close {fleet * 10:,} MDTs x 1 d vs record-by-record", rate_day,
                        base_rate, unit="intervals/s"),
            time_result("mdt: debounce vectorised vs per edge", t_vec, t_loop, unit="ms"),
            time_result("mdt: one MDT-month ingest_edges vs per edge", t_fast, t_slow,
                        unit="ms")]


if __name__ == "__main__":
    main()
