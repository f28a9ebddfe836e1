"""The radio medium as its own object (SimPy's ``Cable``): who hears whom, and with what luck.

Propagation never lives in a node's code.  The medium is built once from a precomputed sparse
link list (the radio room's RSSI matrix with frozen shadowing): for each directed link
``src → dst`` its RSSI [dBm] and its delivery probability for a reference-length frame.
Delivery of a longer frame is ``p_ref ** (length / reference_length)`` (mesh.md §4.6).  Random
draws come from one seeded generator, drawn in batches of ``batch`` numbers, so a run is
deterministic for a seed and a draw costs a list index.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["Medium"]


class Medium:
    """Directed links between ``n_nodes`` nodes (indices), with seeded delivery draws."""

    def __init__(self, n_nodes: int, src: npt.ArrayLike, dst: npt.ArrayLike,
                 rssi_dbm: npt.ArrayLike, delivery_probability: npt.ArrayLike, *,
                 seed: int = 0, reference_frame_bytes: int = 50, batch: int = 1 << 16,
                 sensitivity_dbm: float = -110.0) -> None:
        s = np.asarray(src, dtype=np.int64)
        d = np.asarray(dst, dtype=np.int64)
        r = np.asarray(rssi_dbm, dtype=np.float64)
        p = np.clip(np.asarray(delivery_probability, dtype=np.float64), 0.0, 1.0)
        if not (s.shape == d.shape == r.shape == p.shape):
            raise ValueError("src, dst, rssi_dbm and delivery_probability must have one shape")
        if s.size and (s.min() < 0 or max(s.max(), d.max()) >= n_nodes):
            raise ValueError("link endpoints must be node indices in [0, n_nodes)")
        self.n_nodes = n_nodes
        self.sensitivity_dbm = sensitivity_dbm
        """Receiver sensitivity [dBm]; link margin = RSSI − sensitivity."""
        self.reference_frame_bytes = reference_frame_bytes
        #: per node: neighbour -> (rssi_dbm, delivery probability of a reference frame)
        self.links: list[dict[int, tuple[float, float]]] = [{} for _ in range(n_nodes)]
        #: per sender: [(receiver, p_ref)] in a fixed order (broadcasts iterate it)
        self.hearers: list[list[tuple[int, float]]] = [[] for _ in range(n_nodes)]
        order = np.lexsort((d, s))
        for k in order.tolist():
            a, b, rs, pr = int(s[k]), int(d[k]), float(r[k]), float(p[k])
            self.links[a][b] = (rs, pr)
            self.hearers[a].append((b, pr))
        self._rng = np.random.default_rng(seed)
        self._batch = batch
        self._draws: list[float] = []
        self._next = 0
        self._batches = 0

    @classmethod
    def from_radio(cls, radio: object, *, seed: int = 0, batch: int = 1 << 16) -> Medium:
        """The mesh's view of a :class:`openamr.field.radio.Medium` (its kept link arrays)."""
        from openamr.field.radio import Medium as RadioMedium

        if not isinstance(radio, RadioMedium):
            raise TypeError("expected an openamr.field.radio.Medium")
        arrays = radio.link_arrays()
        return cls(len(radio), arrays.src, arrays.dst, arrays.rssi_dbm,
                   arrays.delivery_probability, seed=seed,
                   reference_frame_bytes=radio.params.reference_frame_bytes, batch=batch,
                   sensitivity_dbm=radio.params.sensitivity_dbm)

    def uniform(self) -> float:
        """One uniform draw in [0, 1) from the batched stream."""
        i = self._next
        try:
            value = self._draws[i]
        except IndexError:
            self._draws = self._rng.random(self._batch).tolist()
            self._batches += 1
            i = 0
            value = self._draws[0]
        self._next = i + 1
        return value

    @property
    def draws(self) -> int:
        """Random numbers used so far."""
        return max(0, self._batches - 1) * self._batch + self._next

    def rssi_dbm(self, src: int, dst: int) -> float | None:
        """RSSI of ``src`` at ``dst`` [dBm], None when ``dst`` cannot hear ``src``."""
        link = self.links[src].get(dst)
        return None if link is None else link[0]

    def probability(self, src: int, dst: int, length_bytes: int | None = None) -> float:
        """Delivery probability of one frame of ``length_bytes`` on ``src → dst`` [0, 1]."""
        link = self.links[src].get(dst)
        if link is None:
            return 0.0
        p = link[1]
        if length_bytes is not None and length_bytes != self.reference_frame_bytes and 0 < p < 1:
            p = p ** (length_bytes / self.reference_frame_bytes)
        return p

    def neighbours(self, node: int) -> Sequence[tuple[int, float]]:
        """``(receiver, p_ref)`` of every node that can hear ``node``."""
        return self.hearers[node]
