"""Timing and results shared by the benchmarks (a benchmark, never a test, decides what a time
means).

Every benchmark's ``main(quick)`` returns a list of :class:`Result`: a figure, the baseline
measured in the same run, and their ratio, expressed as a *cost* (how many times the baseline's
time the figure takes; lower is better), so one kind of bound, ``ratio <= goal``, serves every
benchmark.  A throughput is turned into a cost by :func:`rate_result`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["Result", "best_s", "interleaved_s", "rate_result", "time_result"]


def best_s(func: Callable[[], object], repeats: int = 3) -> float:
    """The shortest wall time [s] of ``repeats`` calls of ``func``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


async def interleaved_s(baseline: Callable[[], object], figure: Callable[[], Awaitable[object]],
                        *, samples: int, warmup: int) -> tuple[list[float], list[float]]:
    """Wall times [s] of ``baseline()`` and of ``await figure()``, called in turn so both see
    the same load: ``samples`` of each after ``warmup`` rounds."""
    baseline_s: list[float] = []
    figure_s: list[float] = []
    for i in range(warmup + samples):
        t0 = time.perf_counter()
        baseline()
        t1 = time.perf_counter()
        await figure()
        t2 = time.perf_counter()
        if i >= warmup:
            baseline_s.append(t1 - t0)
            figure_s.append(t2 - t1)
    return baseline_s, figure_s


@dataclass(frozen=True, slots=True)
class Result:
    """One benchmark figure beside its same-run baseline.

    ``value`` and ``baseline`` are in ``unit``; ``ratio`` is the figure's cost relative to the
    baseline (1.0: as fast as the baseline; 5.0: five times its time); ``goal`` is the upper
    bound on ``ratio`` the project aims for, or ``None`` where there is none.
    """

    name: str
    value: float
    unit: str
    baseline: float
    ratio: float
    goal: float | None = None

    @property
    def met(self) -> bool | None:
        """``ratio <= goal``; ``None`` without a goal."""
        return None if self.goal is None else self.ratio <= self.goal

    def as_dict(self) -> dict[str, object]:
        """The JSON form: ``name, value, unit, baseline, ratio, goal, met``."""
        return {"name": self.name, "value": self.value, "unit": self.unit,
                "baseline": self.baseline, "ratio": self.ratio, "goal": self.goal,
                "met": self.met}


def time_result(name: str, value_s: float, baseline_s: float, *, unit: str = "s",
                goal: float | None = None) -> Result:
    """A figure that is a time: ratio = ``value_s / baseline_s`` (``unit`` scales both)."""
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit]
    return Result(name, value_s * scale, unit, baseline_s * scale, value_s / baseline_s, goal)


def rate_result(name: str, value_per_s: float, baseline_per_s: float, *, unit: str,
                goal: float | None = None) -> Result:
    """A figure that is a throughput: ratio = ``baseline / value`` (time per item, relative)."""
    return Result(name, value_per_s, unit, baseline_per_s, baseline_per_s / value_per_s, goal)
