"""Timing shared by the benchmarks (a benchmark, never a test, decides what a time means)."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["best_s"]


def best_s(func: Callable[[], object], repeats: int = 3) -> float:
    """The shortest wall time [s] of ``repeats`` calls of ``func``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best
