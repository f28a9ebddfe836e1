"""The radio medium: the one object that knows how frames travel between nodes.

Like SimPy's ``Cable`` example, nodes never compute propagation: they ask the medium who hears
a transmission and whether a frame arrived.  The medium holds the nodes, the walls, the
parameters, the frozen link table and the optional slow fading.  Whether a node is powered or
joined is the simulator's business, not the medium's.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.field.radio.delivery import delivery_probability
from openamr.field.radio.fading import SlowFading
from openamr.field.radio.links import LinkTable, RadioNodes, link_table
from openamr.field.radio.params import RadioParams
from openamr.field.radio.propagation import Walls

__all__ = ["LinkArrays", "Medium"]

F64 = npt.NDArray[np.float64]


class LinkArrays(NamedTuple):
    """Flat arrays of the kept directed links (one entry per link)."""

    src: npt.NDArray[np.int32]
    """Transmitting node number."""
    dst: npt.NDArray[np.int32]
    """Receiving node number."""
    rssi_dbm: F64
    """Current RSSI [dBm]."""
    delivery_probability: F64
    """Probability [0, 1] that a ``reference_frame_bytes`` frame arrives."""


class Medium:
    """Shared 915 MHz medium of one site.

    ``rssi_dbm(tx, rx)`` is ``tx_power − loss + slow fading`` where the loss (distance, floors,
    walls, placements, frozen shadowing) is fixed for the run.
    """

    def __init__(self, nodes: RadioNodes, walls: Walls | None = None,
                 params: RadioParams | None = None, seed: int = 0, *,
                 pairs: Literal["relay", "all"] = "relay") -> None:
        self.nodes = nodes
        self.walls = walls if walls is not None else Walls.empty()
        self.params = params or RadioParams()
        self.seed = seed
        self.links: LinkTable = link_table(nodes, self.walls, self.params, seed, pairs=pairs)
        self._index = {node_id: i for i, node_id in enumerate(nodes.ids)}
        self._fading = SlowFading(self.links.pair_key, self.params, seed)

    def __len__(self) -> int:
        return len(self.nodes)

    def index(self, node_id: str) -> int:
        """Node number of ``node_id``."""
        try:
            return self._index[node_id]
        except KeyError:
            raise InputError(f"unknown node id {node_id!r}", where="node_id") from None

    # -- time ---------------------------------------------------------------------------------
    def advance_to(self, sim_t_s: float) -> bool:
        """Update the slow fading for ``sim_t_s`` [s]; True when RSSI values changed."""
        return self._fading.advance_to(sim_t_s)

    # -- queries ------------------------------------------------------------------------------
    def _row_rssi(self, tx: int) -> tuple[npt.NDArray[np.int32], F64]:
        sl = self.links.row(tx)
        rssi = self.links.rssi_dbm[sl]
        if self.params.fading_sigma_db:
            rssi = rssi + self._fading.fading_db[self.links.pair[sl]]
        return self.links.rx[sl], rssi

    def rssi_dbm(self, tx: int, rx: int) -> float:
        """Current RSSI [dBm] of tx→rx (node numbers); ``-inf`` if the link is not kept."""
        k = self.links.find(tx, rx)
        if k < 0:
            return float("-inf")
        value = float(self.links.rssi_dbm[k])
        if self.params.fading_sigma_db:
            value += float(self._fading.fading_db[self.links.pair[k]])
        return value

    def margin_db(self, tx: int, rx: int) -> float:
        """Current link margin [dB] of tx→rx = RSSI − sensitivity."""
        return self.rssi_dbm(tx, rx) - self.params.sensitivity_dbm

    def neighbours(self, tx: int, min_margin_db: float | None = None
                   ) -> tuple[npt.NDArray[np.int32], F64]:
        """Receivers of ``tx`` and their current RSSI [dBm], optionally only those with a
        margin of at least ``min_margin_db`` [dB]."""
        rx, rssi = self._row_rssi(tx)
        if min_margin_db is not None:
            keep = rssi - self.params.sensitivity_dbm >= min_margin_db
            rx, rssi = rx[keep], rssi[keep]
        return rx, rssi

    def link_arrays(self) -> LinkArrays:
        """Every kept directed link as flat arrays, with the current fading applied."""
        rssi = self.links.rssi_dbm
        if self.params.fading_sigma_db:
            rssi = rssi + self._fading.fading_db[self.links.pair]
        p = delivery_probability(rssi - self.params.sensitivity_dbm, self.params)
        return LinkArrays(self.links.tx, self.links.rx.copy(), rssi.copy(), p)

    def delivery_probability(self, tx: int, rx: int, frame_bytes: int | None = None) -> float:
        """Probability [0, 1] that one frame of ``frame_bytes`` from tx reaches rx."""
        return float(delivery_probability(self.margin_db(tx, rx), self.params, frame_bytes)[()])

    # -- draws --------------------------------------------------------------------------------
    def deliver(self, tx: int, rx: int, frame_bytes: int, rng: np.random.Generator) -> bool:
        """Draw whether one frame tx→rx arrives (collisions are the caller's business)."""
        return bool(rng.random() < self.delivery_probability(tx, rx, frame_bytes))

    def broadcast(self, tx: int, frame_bytes: int, rng: np.random.Generator,
                  listening: npt.NDArray[np.bool_] | None = None) -> tuple[
                      npt.NDArray[np.int32], F64]:
        """Draw which nodes receive one frame broadcast by ``tx``; returns their numbers and
        RSSI [dBm].  ``listening`` (bool per node) restricts the draw to nodes whose radio is
        on; one random number is drawn per candidate receiver."""
        rx, rssi = self._row_rssi(tx)
        if listening is not None:
            keep = listening[rx]
            rx, rssi = rx[keep], rssi[keep]
        p = delivery_probability(rssi - self.params.sensitivity_dbm, self.params, frame_bytes)
        ok = rng.random(rx.shape[0]) < p
        return rx[ok], rssi[ok]
