"""Benchmark of the simulator: which event kernel, and how fast the whole mesh runs.

1. **Kernel choice** (the same wake-up workload for each): ``NODES`` nodes wake every 900 s of
   simulated time with a random phase for one simulated day.  Timed: SimPy 4 processes
   (``yield env.timeout(900)``), our :class:`openamr.field.kernel.Kernel` (callbacks on a
   heap) and a bare ``heapq`` loop with an inline handler (the floor).  The kernel with the
   higher events/s is the one the simulator uses.
2. **The mesh at scale**, with full radio and security (every application frame sealed and
   verified through :mod:`openamr.frames`) and the real head-end ingest over a SQLite store
   (:class:`openamr.compose.site_sim.IngestBackhaul`, as ``openamr sim run``) as backhaul:
   1,000 MDTs + 40 repeaters for 30 days, and 10,000 MDTs + 400 repeaters for one day
   (generated sites).
   Beside each: a bare heapq loop doing the same number of wake-ups in the same run, and the
   ratio.  The head-end runs in a worker process (:mod:`openamr.field.sim.pipeline`), as in
   ``openamr sim run``, so the simulator's figure is its own process's CPU time (goal ≤ 25×
   the bare loop); the wall time through the head-end is reported beside it without a goal.

Run with ``python -m bench sim`` (``BENCH_SIM_QUICK=1`` for a 3-day / 0.25-day smoke run).
Figures depend on the machine's load: the report prints CPU time (the simulator's process and
the head-end worker's, which share the two cores) beside wall time.
"""

from __future__ import annotations

import heapq
import os
import random
import time
from collections.abc import Callable
from typing import Any

from bench.timing import Result, time_result

NODES = 10_000
PERIOD_S = 900.0
DAY_S = 86_400.0
GOAL_RATIO = 25.0


def _timed(func: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    events = func()
    return time.perf_counter() - start, events


def simpy_wakeups(nodes: int = NODES, until_s: float = DAY_S) -> int:
    """SimPy: one process per node, ``yield env.timeout(900)``."""
    import simpy

    env = simpy.Environment()
    count = [0]
    rng = random.Random(1)

    def node(env: simpy.Environment, phase_s: float) -> Any:
        yield env.timeout(phase_s)
        while True:
            count[0] += 1
            yield env.timeout(PERIOD_S)

    for _ in range(nodes):
        env.process(node(env, rng.random() * PERIOD_S))
    env.run(until=until_s)
    return count[0]


def kernel_wakeups(nodes: int = NODES, until_s: float = DAY_S) -> int:
    """Our kernel: a callback per node that re-schedules itself."""
    from openamr.field.kernel import Kernel

    k = Kernel()
    count = [0]
    rng = random.Random(1)

    def wake() -> None:
        count[0] += 1
        k.after(PERIOD_S, wake)

    for _ in range(nodes):
        k.at(rng.random() * PERIOD_S, wake)
    k.run(until_s)
    return count[0]


def bare_heapq_wakeups(nodes: int = NODES, until_s: float = DAY_S) -> int:
    """The floor: a bare heap of (time, node) with an inline handler."""
    rng = random.Random(1)
    heap = [(rng.random() * PERIOD_S, i) for i in range(nodes)]
    heapq.heapify(heap)
    count = 0
    pop, push = heapq.heappop, heapq.heappush
    while heap[0][0] < until_s:
        t, i = pop(heap)
        count += 1
        push(heap, (t + PERIOD_S, i))
    return count


def bare_heapq_events(n_events: int, repeats: int = 5) -> float:
    """Seconds a bare heapq loop takes for ``n_events`` wake-ups (1,000 periodic nodes), the
    best of ``repeats`` runs (one run lasts ~50 ms, short enough for a busy machine to double
    it)."""
    nodes = 1000
    pop, push = heapq.heappop, heapq.heappush
    best_s = float("inf")
    for _ in range(repeats):
        rng = random.Random(2)
        heap = [(rng.random() * PERIOD_S, i) for i in range(nodes)]
        heapq.heapify(heap)
        start = time.perf_counter()
        for _ in range(n_events):
            t, i = pop(heap)
            push(heap, (t + PERIOD_S, i))
        best_s = min(best_s, time.perf_counter() - start)
    return best_s


def mesh_run(meters: int, repeaters: int, floors: int, days: float, *,
             pipelined: bool = True, max_hops: int = 8) -> dict[str, Any]:
    """One generated site through the whole simulator; timings and the summary.

    ``pipelined``: the head-end ingest runs in a worker process (the second core), one
    upload behind (:mod:`openamr.field.sim.pipeline`); else in the simulator's process.
    """
    import resource
    import tempfile
    from functools import partial
    from pathlib import Path

    from openamr.compose.site_sim import make_ingest_backhaul, register_scenario
    from openamr.field.mesh.params import MeshParams
    from openamr.field.sim.pipeline import PipelinedBackhaul
    from openamr.field.sim.runner import SimRun
    from openamr.field.sim.site_scenario import scenario_from_site
    from openamr.field.site.generate import generate_site
    from openamr.headend.store import open_store

    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    site = generate_site(meters, floors, repeaters, seed=1)
    scenario = scenario_from_site(site, days)
    tmp = tempfile.TemporaryDirectory(prefix="bench-sim-")
    db = str(Path(tmp.name) / "headend.db")
    with open_store(db) as store:
        register_scenario(store, site.site_id, site.name, site.time_zone, scenario)
    factory = partial(make_ingest_backhaul, db, scenario.epoch_s, scenario.nodes[0].eui)
    backhaul: Any = PipelinedBackhaul(factory) if pipelined else factory()
    build_s = time.perf_counter() - t0
    try:
        run = SimRun(scenario, backhaul, params=MeshParams(max_hops=max_hops))
        cpu0 = time.process_time()
        start = time.perf_counter()
        summary = run.run(days)
        wall_s = time.perf_counter() - start
        cpu_s = time.process_time() - cpu0
    finally:
        backhaul.close()
    with open_store(db) as store:
        rejected = store.rejection_counts()
    tmp.cleanup()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu_s = (children.ru_utime + children.ru_stime
                    - children0.ru_utime - children0.ru_stime)
    return {"build_s": build_s, "wall_s": wall_s, "cpu_s": cpu_s, "summary": summary,
            "rejected": rejected, "pipelined": pipelined,
            "worker_cpu_s": worker_cpu_s}


def _report_mesh(label: str, r: dict[str, Any]) -> list[Result]:
    """The simulator's own figure (its process's CPU time: the head-end ingest runs in a worker
    process and is left out) against the goal, and the wall time through the head-end beside it
    (no goal: it includes the real ingest of every frame)."""
    from openamr.field.compiled import compiled_modules

    s = r["summary"]
    events = s["events"]
    base_s = bare_heapq_events(events)
    compiled = compiled_modules()
    build = (f"compiled with mypyc ({len(compiled)} modules)" if compiled
             else "pure Python (`make compile` compiles its per-event modules)")
    tag = " (compiled)" if compiled else ""
    where = (f"in a worker process, cpu {r['worker_cpu_s']:.1f} s" if r["pipelined"]
             else "in-process")
    print(f"{label}: wall {r['wall_s']:.1f} s (simulator process cpu {r['cpu_s']:.1f} s; "
          f"head-end ingest {where}; site+energy build {r['build_s']:.1f} s); simulator "
          f"{build}")
    print(f"  {events:,} events -> {events / r['wall_s']:,.0f} events/s; bare heapq, same "
          f"wake-ups, same run: {base_s:.2f} s ({events / base_s:,.0f}/s); ratio "
          f"{r['wall_s'] / base_s:.0f}x")
    print(f"  the simulator alone: process cpu {r['cpu_s']:.1f} s, ratio "
          f"{r['cpu_s'] / base_s:.0f}x the bare heapq (the rest of the wall is the head-end "
          "ingest in its worker, which the simulator waits for at each upload)")
    print(f"  frames delivered {s['frames_delivered']:,}; joined {s['joined']}; read success "
          f"24 h {s['read_success_24h_ratio']}, 72 h {s['read_success_72h_ratio']}; "
          f"rejected {r['rejected'] or 'none'}")
    return [time_result(f"sim: {label}, simulator process CPU{tag}", r["cpu_s"], base_s,
                        goal=GOAL_RATIO),
            time_result(f"sim: {label}, wall through the head-end{tag}", r["wall_s"], base_s)]


def main(quick: bool = False) -> list[Result]:
    quick = quick or bool(os.environ.get("BENCH_SIM_QUICK"))
    print(f"kernel choice: {NODES:,} nodes waking every 900 s for one simulated day")
    results_s = {}
    for name, func in (("simpy", simpy_wakeups), ("openamr Kernel", kernel_wakeups),
                       ("bare heapq", bare_heapq_wakeups)):
        best = min((_timed(func) for _ in range(3)), key=lambda x: x[0])
        results_s[name] = best
        print(f"  {name:15s} {best[1]:,} wake-ups in {best[0]:.2f} s -> "
              f"{best[1] / best[0]:,.0f}/s")
    ratio = results_s["simpy"][0] / results_s["openamr Kernel"][0]
    print(f"  SimPy takes {ratio:.1f}x the time of the heapq kernel on this workload; "
          f"the kernel is {results_s['openamr Kernel'][0] / results_s['bare heapq'][0]:.1f}x "
          "a bare heapq loop")
    days_a, days_b = (3.0, 0.25) if quick else (30.0, 1.0)
    results = [Result("sim: openamr Kernel vs bare heapq, same wake-ups",
                      results_s["openamr Kernel"][0], "s", results_s["bare heapq"][0],
                      results_s["openamr Kernel"][0] / results_s["bare heapq"][0])]
    results += _report_mesh(f"1,000 MDTs + 40 repeaters x {days_a:g} days",
                            mesh_run(1000, 40, 10, days_a))
    # 25 floors: a single DCAP's backbone then needs up to ~16 hops (default limit 8)
    results += _report_mesh(f"10,000 MDTs + 400 repeaters (25 floors) x {days_b:g} day",
                            mesh_run(10_000, 400, 25, days_b, max_hops=24))
    return results


if __name__ == "__main__":
    main()
