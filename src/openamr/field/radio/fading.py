"""Optional slow fading: an AR(1) process per undirected link, updated every ``fading_update_s``.

``f[k] = ρ·f[k−1] + sqrt(1 − ρ²)·σ·ε[k]`` with ``f[0] = σ·ε[0]`` so the process is stationary
with standard deviation σ.  ``ε[k]`` is hashed from the link's symmetric key, the update number
and the seed: both directions fade alike, and a replay with the same seed fades the same.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from openamr.field.radio.hashing import pair_normal
from openamr.field.radio.params import RadioParams

__all__ = ["SlowFading"]

F64 = npt.NDArray[np.float64]


class SlowFading:
    """State of the slow fading of a set of links (one value per undirected link) [dB]."""

    def __init__(self, pair_keys: npt.NDArray[np.uint64], params: RadioParams, seed: int) -> None:
        self._keys = np.asarray(pair_keys, dtype=np.uint64)
        self._zero = np.zeros_like(self._keys)
        self._params = params
        self._seed = seed
        self.update_index = 0
        """Number of the current update (0 at ``sim_t_s`` = 0)."""
        self.fading_db: F64 = (self._draw(0) * params.fading_sigma_db if params.fading_sigma_db
                               else np.zeros(self._keys.shape[0]))
        """Current fading of each undirected link [dB] (added to RSSI)."""

    def _draw(self, k: int) -> F64:
        return pair_normal(self._keys, self._zero, self._seed, stream=1000 + k)

    def advance_to(self, sim_t_s: float) -> bool:
        """Bring the fading to the update that covers ``sim_t_s`` [s]; True if it changed."""
        p = self._params
        if p.fading_sigma_db == 0.0:
            return False
        target = int(sim_t_s // p.fading_update_s)
        if target <= self.update_index:
            return False
        rho = p.fading_correlation_ratio
        scale = np.sqrt(1.0 - rho * rho) * p.fading_sigma_db
        for k in range(self.update_index + 1, target + 1):
            self.fading_db = rho * self.fading_db + scale * self._draw(k)
        self.update_index = target
        return True
