"""The MDT's real-time clock: a crystal with drift, set by time-sync messages from the DCAP.

The clock maps simulation time ``sim_t_s`` to what the MDT believes is UTC [epoch s]:
``clock_s = base_clock_s + (sim_t_s - base_sim_t_s) * (1 + drift_ppm / 1e6)``.  A sync with
the DCAP's UTC re-bases it; the difference it corrects is the *step* [s] (positive: the clock
was behind).  A clock that was never synced, or not for ``sync_valid_s``, is *unsynced* and the
intervals it closes carry the ``CLOCK_UNSYNCED`` flag.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError

__all__ = ["MdtClock", "draw_drift_ppm"]


def draw_drift_ppm(seed: int, n: int = 1, sigma_ppm: float = 20.0) -> npt.NDArray[np.float64]:
    """``n`` crystal drifts [ppm], normal with ``sigma_ppm``, reproducible from ``seed``."""
    return np.random.default_rng(seed).normal(0.0, sigma_ppm, size=n)


@dataclass
class MdtClock:
    """A drifting clock, sans-IO.

    ``base_clock_s`` [UTC epoch s] is the reading at ``base_sim_t_s`` [sim s]; ``drift_ppm``
    [ppm] is its rate error; ``sync_valid_s`` [s] is how long a sync keeps the clock "synced".
    """

    base_clock_s: float
    base_sim_t_s: float = 0.0
    drift_ppm: float = 0.0
    sync_valid_s: float = 7 * 86_400.0
    last_sync_sim_t_s: float | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.drift_ppm) or abs(self.drift_ppm) >= 1e5:
            raise InputError(f"implausible clock drift {self.drift_ppm} ppm", where="drift_ppm")

    @property
    def rate(self) -> float:
        """Clock seconds per simulation second."""
        return 1.0 + self.drift_ppm * 1e-6

    def read_s(self, sim_t_s: float) -> float:
        """The clock's reading [UTC epoch s] at ``sim_t_s``."""
        return self.base_clock_s + (sim_t_s - self.base_sim_t_s) * self.rate

    def read_array_s(self, sim_t_s: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Vectorised :meth:`read_s`."""
        t = np.asarray(sim_t_s, dtype=np.float64)
        return self.base_clock_s + (t - self.base_sim_t_s) * self.rate

    def sim_time_at(self, clock_s: float) -> float:
        """The simulation time [s] at which the clock reads ``clock_s`` (no sync in between)."""
        return self.base_sim_t_s + (clock_s - self.base_clock_s) / self.rate

    def sim_time_at_array(self, clock_s: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Vectorised :meth:`sim_time_at`."""
        c = np.asarray(clock_s, dtype=np.float64)
        return self.base_sim_t_s + (c - self.base_clock_s) / self.rate

    def is_synced(self, sim_t_s: float) -> bool:
        """Whether a sync happened within ``sync_valid_s`` before ``sim_t_s``."""
        return (self.last_sync_sim_t_s is not None
                and sim_t_s - self.last_sync_sim_t_s <= self.sync_valid_s)

    def sync(self, sim_t_s: float, utc_s: float) -> float:
        """Set the clock to the DCAP's ``utc_s`` at ``sim_t_s``; return the step [s]."""
        step_s = utc_s - self.read_s(sim_t_s)
        self.base_clock_s = float(utc_s)
        self.base_sim_t_s = float(sim_t_s)
        self.last_sync_sim_t_s = float(sim_t_s)
        return step_s

    def to_state(self) -> dict[str, float | None]:
        """The RTC registers (kept by a soft restart, lost with the battery)."""
        return {"base_clock_s": self.base_clock_s, "base_sim_t_s": self.base_sim_t_s,
                "drift_ppm": self.drift_ppm, "sync_valid_s": self.sync_valid_s,
                "last_sync_sim_t_s": self.last_sync_sim_t_s}

    @classmethod
    def from_state(cls, state: dict[str, float | None]) -> MdtClock:
        """Inverse of :meth:`to_state`."""
        last = state.get("last_sync_sim_t_s")
        return cls(base_clock_s=float(state["base_clock_s"] or 0.0),
                   base_sim_t_s=float(state["base_sim_t_s"] or 0.0),
                   drift_ppm=float(state["drift_ppm"] or 0.0),
                   sync_valid_s=float(state["sync_valid_s"] or 0.0),
                   last_sync_sim_t_s=None if last is None else float(last))
