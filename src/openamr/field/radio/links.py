"""The link table: RSSI of every link that matters, computed in vectorised chunks.

A link's loss is symmetric (distance, floors, walls, placements, frozen shadowing); its RSSI in
each direction is the transmitter's power minus that loss, so a repeater (+20 dBm) is heard
10 dB better by an MDT than the MDT (+10 dBm) is heard by the repeater.

For 10,000 MDTs only links with a relay (repeater or DCAP) at one end matter: MDTs are leaves
and never forward.  :func:`link_table` computes those by default (``pairs="relay"``), drops
links weaker than ``sensitivity − neighbour_floor_margin_db`` and returns a sparse,
row-compressed table (one row per transmitter).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.field.radio.hashing import device_keys
from openamr.field.radio.params import RadioParams
from openamr.field.radio.placement import Placement, placement_loss_db, placement_sigma_db
from openamr.field.radio.propagation import (
    Walls,
    floor_loss_db,
    path_loss_db,
    shadowing_db,
    walls_crossed_loss_db,
)

__all__ = ["LinkTable", "RadioNodes", "Role", "link_loss_db", "link_matrix_dbm", "link_table"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: pairs evaluated per chunk before the wall test
_CHUNK_PAIRS = 1 << 18


class Role(IntEnum):
    """What a radio node is."""

    DCAP = 0
    REPEATER = 1
    MDT = 2

    @property
    def relays(self) -> bool:
        """True for nodes that forward frames (DCAP and repeaters)."""
        return self is not Role.MDT


@dataclass(frozen=True, eq=False)
class RadioNodes:
    """The radio view of a site: one entry per node, in a fixed order (index = node number)."""

    ids: tuple[str, ...]
    role: npt.NDArray[np.int8]
    """:class:`Role` value of each node."""
    x_m: F64
    y_m: F64
    floor: I64
    """Floor number (0 = ground)."""
    placement: npt.NDArray[np.int8]
    """:attr:`Placement.code` of each node."""
    tx_power_dbm: F64
    floor_height_m: float = 3.0
    """Height of one floor [m], for the vertical part of distances."""

    @classmethod
    def build(cls, ids: Sequence[str], roles: Sequence[Role], x_m: npt.ArrayLike,
              y_m: npt.ArrayLike, floor: npt.ArrayLike,
              placements: Sequence[Placement] | None = None,
              tx_power_dbm: Sequence[float | None] | None = None,
              params: RadioParams | None = None, floor_height_m: float = 3.0) -> RadioNodes:
        """Nodes from per-node sequences; a missing TX power takes the role's default."""
        params = params or RadioParams()
        n = len(ids)
        if len(set(ids)) != n:
            raise InputError("node ids must be unique", where="ids")
        role = np.array([int(r) for r in roles], dtype=np.int8)
        default_tx = np.array([params.tx_power_dbm_dcap, params.tx_power_dbm_repeater,
                               params.tx_power_dbm_mdt])[role]
        if tx_power_dbm is not None:
            tx = np.array([default_tx[i] if p is None else float(p)
                           for i, p in enumerate(tx_power_dbm)], dtype=np.float64)
        else:
            tx = default_tx.astype(np.float64)
        plc = np.array([Placement.parse(p).code for p in placements], dtype=np.int8) \
            if placements is not None else np.zeros(n, dtype=np.int8)
        out = cls(tuple(ids), role, np.asarray(x_m, dtype=np.float64).reshape(n),
                  np.asarray(y_m, dtype=np.float64).reshape(n),
                  np.asarray(floor, dtype=np.int64).reshape(n), plc, tx, float(floor_height_m))
        return out

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def keys(self) -> npt.NDArray[np.uint64]:
        """64-bit hash key of each id (what shadowing is seeded by)."""
        return device_keys(self.ids)

    @property
    def relay_mask(self) -> npt.NDArray[np.bool_]:
        """True for the DCAP and repeaters."""
        out: npt.NDArray[np.bool_] = self.role != np.int8(Role.MDT)
        return out


def link_loss_db(nodes: RadioNodes, a: npt.ArrayLike, b: npt.ArrayLike, walls: Walls,
                 params: RadioParams, seed: int, *, keys: npt.NDArray[np.uint64] | None = None,
                 with_walls: bool = True) -> F64:
    """Total loss [dB] of the links between node indices ``a`` and ``b`` (symmetric).

    Path loss over the 3-D distance + floors crossed + walls crossed + both placements
    − frozen shadowing (σ² = shadowing σ² + both placements' extra σ²).
    """
    ia = np.atleast_1d(np.asarray(a, dtype=np.intp))
    ib = np.atleast_1d(np.asarray(b, dtype=np.intp))
    keys = nodes.keys if keys is None else keys
    fa, fb = nodes.floor[ia], nodes.floor[ib]
    dz = (fa - fb).astype(np.float64) * nodes.floor_height_m
    dx = nodes.x_m[ia] - nodes.x_m[ib]
    dy = nodes.y_m[ia] - nodes.y_m[ib]
    distance_m = np.sqrt(dx * dx + dy * dy + dz * dz)
    pa, pb = nodes.placement[ia], nodes.placement[ib]
    sigma = np.sqrt(params.shadowing_sigma_db ** 2 + placement_sigma_db(pa, params) ** 2
                    + placement_sigma_db(pb, params) ** 2)
    loss = (path_loss_db(distance_m, params) + floor_loss_db(fa - fb, params)
            + placement_loss_db(pa, params) + placement_loss_db(pb, params)
            - shadowing_db(keys[ia], keys[ib], sigma, seed))
    if with_walls:
        loss += walls_crossed_loss_db(nodes.x_m[ia], nodes.y_m[ia], fa,
                                      nodes.x_m[ib], nodes.y_m[ib], fb, walls)
    out: F64 = loss
    return out


@dataclass(frozen=True, eq=False)
class LinkTable:
    """Directed links kept, row-compressed by transmitter.

    The receivers of node ``i`` are ``rx[indptr[i]:indptr[i+1]]`` (sorted ascending), with
    ``rssi_dbm`` and ``pair`` (the undirected link number, shared by both directions) alongside.
    """

    n_nodes: int
    indptr: npt.NDArray[np.int64]
    rx: npt.NDArray[np.int32]
    rssi_dbm: F64
    pair: npt.NDArray[np.int64]
    pair_key: npt.NDArray[np.uint64]
    """Per undirected link: a 64-bit key symmetric in its two nodes (seeds slow fading)."""

    def __len__(self) -> int:
        return int(self.rx.shape[0])

    @property
    def tx(self) -> npt.NDArray[np.int32]:
        """Transmitter of each directed link (expanded from ``indptr``)."""
        out: npt.NDArray[np.int32] = np.repeat(np.arange(self.n_nodes, dtype=np.int32),
                                               np.diff(self.indptr))
        return out

    def row(self, tx: int) -> slice:
        """Slice of the directed links transmitted by ``tx``."""
        return slice(int(self.indptr[tx]), int(self.indptr[tx + 1]))

    def find(self, tx: int, rx: int) -> int:
        """Position of link tx→rx in the table, or −1 when it was not kept."""
        start, stop = int(self.indptr[tx]), int(self.indptr[tx + 1])
        k = start + int(np.searchsorted(self.rx[start:stop], rx))
        if k < stop and int(self.rx[k]) == rx:
            return k
        return -1

    def rssi_of(self, tx: int, rx: int) -> float:
        """RSSI [dBm] of tx→rx, ``-inf`` when the link was not kept."""
        k = self.find(tx, rx)
        return float(self.rssi_dbm[k]) if k >= 0 else float("-inf")

    def to_dense(self) -> F64:
        """An N×N matrix ``rssi_dbm[tx, rx]`` with ``-inf`` for links not kept (small N only)."""
        out = np.full((self.n_nodes, self.n_nodes), -np.inf)
        out[self.tx, self.rx] = self.rssi_dbm
        return out


def _candidate_chunks(nodes: RadioNodes, pairs: str) -> Iterator[tuple[I64, I64]]:
    """Unordered candidate pairs (a, b), in chunks of about ``_CHUNK_PAIRS`` (never all at
    once: 10,000 MDTs × 400 relays is 4 M pairs)."""
    n = len(nodes)
    if pairs == "all":
        row_len = n - 1 - np.arange(n)
        ends = np.cumsum(row_len)
        i = 0
        while i < n - 1:
            # rows i .. j-1 hold about _CHUNK_PAIRS pairs
            start_total = ends[i - 1] if i else 0
            j = int(np.searchsorted(ends, start_total + _CHUNK_PAIRS, side="right")) + 1
            j = min(max(j, i + 1), n)
            rows = np.arange(i, j)
            counts = row_len[rows]
            a = np.repeat(rows, counts)
            first = np.repeat(np.cumsum(counts) - counts, counts)
            b = a + 1 + (np.arange(a.shape[0]) - first)
            yield a.astype(np.int64), b.astype(np.int64)
            i = j
        return
    relays = np.flatnonzero(nodes.relay_mask).astype(np.int64)
    others = np.flatnonzero(~nodes.relay_mask).astype(np.int64)
    ra, rb = np.triu_indices(relays.shape[0], k=1)
    if ra.shape[0]:
        yield relays[ra], relays[rb]
    if others.shape[0] == 0:
        return
    per = max(1, _CHUNK_PAIRS // others.shape[0])
    for s in range(0, relays.shape[0], per):
        block = relays[s:s + per]
        yield np.repeat(block, others.shape[0]), np.tile(others, block.shape[0])


def link_table(nodes: RadioNodes, walls: Walls | None = None,
               params: RadioParams | None = None, seed: int = 0, *,
               pairs: Literal["relay", "all"] = "relay") -> LinkTable:
    """Compute the RSSI [dBm] of every kept directed link of ``nodes``.

    ``pairs="relay"`` (default) computes only links with a relay at one end at least;
    ``"all"`` computes every pair (O(N²): small sites only).  Links with RSSI below
    ``params.sensitivity_dbm − params.neighbour_floor_margin_db`` are dropped.  The cheap part of
    the loss is computed first; the wall test runs only on links that could still be kept.
    """
    params = params or RadioParams()
    walls = walls if walls is not None else Walls.empty()
    if pairs not in ("relay", "all"):
        raise InputError(f"unknown pair selection {pairs!r}; known: relay, all", where="pairs")
    keys = nodes.keys
    floor_dbm = params.sensitivity_dbm - params.neighbour_floor_margin_db
    kept_a: list[I64] = []
    kept_b: list[I64] = []
    kept_loss: list[F64] = []
    for a, b in _candidate_chunks(nodes, pairs):
        loss = link_loss_db(nodes, a, b, walls, params, seed, keys=keys, with_walls=False)
        best_tx = np.maximum(nodes.tx_power_dbm[a], nodes.tx_power_dbm[b])
        keep = best_tx - loss >= floor_dbm
        a, b, loss = a[keep], b[keep], loss[keep]
        if len(walls):
            best_tx = np.maximum(nodes.tx_power_dbm[a], nodes.tx_power_dbm[b])
            budget = best_tx - loss - floor_dbm      # wall loss beyond this drops the link
            loss = loss + walls_crossed_loss_db(nodes.x_m[a], nodes.y_m[a], nodes.floor[a],
                                                nodes.x_m[b], nodes.y_m[b], nodes.floor[b],
                                                walls, give_up_db=budget + 1e-9)
            keep = best_tx - loss >= floor_dbm
            a, b, loss = a[keep], b[keep], loss[keep]
        kept_a.append(a)
        kept_b.append(b)
        kept_loss.append(loss)
    pa = np.concatenate(kept_a) if kept_a else np.zeros(0, dtype=np.int64)
    pb = np.concatenate(kept_b) if kept_b else np.zeros(0, dtype=np.int64)
    ploss = np.concatenate(kept_loss) if kept_loss else np.zeros(0, dtype=np.float64)
    # both directions, each with its transmitter's power
    tx = np.concatenate([pa, pb])
    rx = np.concatenate([pb, pa])
    pair = np.concatenate([np.arange(pa.shape[0]), np.arange(pa.shape[0])])
    rssi = nodes.tx_power_dbm[tx] - np.concatenate([ploss, ploss])
    keep = rssi >= floor_dbm
    tx, rx, pair, rssi = tx[keep], rx[keep], pair[keep], rssi[keep]
    order = np.lexsort((rx, tx))
    tx, rx, pair, rssi = tx[order], rx[order], pair[order], rssi[order]
    indptr = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(tx, minlength=len(nodes)), out=indptr[1:])
    lo, hi = np.minimum(keys[pa], keys[pb]), np.maximum(keys[pa], keys[pb])
    with np.errstate(over="ignore"):
        pair_key = (lo * np.uint64(0x9E3779B97F4A7C15)) ^ hi
    return LinkTable(n_nodes=len(nodes), indptr=indptr, rx=rx.astype(np.int32),
                     rssi_dbm=rssi.astype(np.float64), pair=pair.astype(np.int64),
                     pair_key=pair_key.astype(np.uint64))


def link_matrix_dbm(nodes: RadioNodes, walls: Walls | None = None,
                    params: RadioParams | None = None, seed: int = 0) -> F64:
    """Dense N×N ``rssi_dbm[tx, rx]`` over every pair, no floor applied (diagonal ``-inf``).

    O(N²) memory: for sites up to a few thousand nodes; use :func:`link_table` beyond.
    """
    params = params or RadioParams()
    walls = walls if walls is not None else Walls.empty()
    n = len(nodes)
    if n > 5000:
        raise InputError(f"{n} nodes is too many for a dense matrix; use link_table()",
                         where="nodes")
    a, b = np.triu_indices(n, k=1)
    loss = link_loss_db(nodes, a, b, walls, params, seed)
    out = np.full((n, n), -np.inf)
    out[a, b] = nodes.tx_power_dbm[a] - loss
    out[b, a] = nodes.tx_power_dbm[b] - loss
    return out
