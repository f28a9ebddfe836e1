"""Parent selection: link ETX estimates and MRHOF rules (RFC 6719, Contiki-NG link-stats).

* :class:`LinkEstimator` keeps an EWMA of the transmissions per delivered frame on each link
  (α = 0.1; a frame that failed every retry counts as 16); a fresh link starts from a guess
  made from its RSSI (linear PRR between −90 and −60 dBm, ETX capped at 3, mesh.md §2.3).
* :func:`choose_parent` applies MRHOF: path cost = the candidate's advertised path ETX + the
  link ETX; links with ETX above ``max_link_etx`` (4) and candidates weaker than sensitivity +
  10 dB are rejected; the current parent is kept unless another is better by at least
  ``parent_switch_etx`` (1.5), and keeps its candidacy down to 3 dB below the threshold
  (hysteresis).
"""

from __future__ import annotations

from dataclasses import dataclass

from openamr.field.mesh.params import MeshParams

__all__ = ["Candidate", "LinkEstimator", "choose_parent", "etx_from_rssi"]


def etx_from_rssi(rssi_dbm: float) -> float:
    """Initial ETX guess of a fresh link from its RSSI [dBm] (1 .. 3)."""
    prr = min(1.0, max(0.0, (rssi_dbm + 90.0) / 30.0))
    if prr <= 1.0 / 3.0:
        return 3.0
    return max(1.0, min(3.0, 1.0 / prr))


class LinkEstimator:
    """ETX per neighbour, updated after every unicast."""

    __slots__ = ("alpha", "etx", "noack_tx")

    def __init__(self, alpha: float = 0.1, noack_tx: float = 16.0) -> None:
        self.etx: dict[int, float] = {}
        """Current ETX estimate per neighbour index [transmissions per delivered frame]."""
        self.alpha = alpha
        """EWMA weight of a new sample."""
        self.noack_tx = noack_tx
        """Transmissions a unicast that failed every retry counts as."""

    def get(self, neighbour: int, rssi_dbm: float) -> float:
        """The ETX of ``neighbour``, guessed from ``rssi_dbm`` [dBm] if never measured."""
        value = self.etx.get(neighbour)
        return etx_from_rssi(rssi_dbm) if value is None else value

    def update(self, neighbour: int, rssi_dbm: float, attempts: int, acked: bool) -> float:
        """Fold one exchange into the estimate; returns the new ETX."""
        sample = float(attempts) if acked else self.noack_tx
        old = self.get(neighbour, rssi_dbm)
        new = old + self.alpha * (sample - old)
        self.etx[neighbour] = new
        return new


@dataclass(slots=True)
class Candidate:
    """What a node knows about a neighbour that beaconed: advertised values and link RSSI."""

    rank: int
    hops: int
    path_etx: float
    """The neighbour's advertised ETX to the DCAP."""
    rssi_dbm: float
    """RSSI of the neighbour's beacon here [dBm]."""
    heard_s: float
    """When its last beacon was heard [sim s]."""


def choose_parent(candidates: dict[int, Candidate], estimator: LinkEstimator, current: int | None,
                  params: MeshParams, sensitivity_dbm: float, *,
                  excluded: frozenset[int] | set[int] = frozenset(),
                  ) -> tuple[int | None, float]:
    """The preferred parent among ``candidates`` and its path ETX (``(None, inf)`` if none).

    ``excluded`` are neighbours that must not be chosen (descendants, lost parents).
    """
    threshold = sensitivity_dbm + params.candidate_margin_db
    best: int | None = None
    best_cost = float("inf")
    current_cost = float("inf")
    for nbr, cand in candidates.items():
        if nbr in excluded or cand.hops >= params.max_hops:
            continue
        floor = threshold - params.candidate_hysteresis_db if nbr == current else threshold
        if cand.rssi_dbm < floor:
            continue
        link = estimator.get(nbr, cand.rssi_dbm)
        if link > params.max_link_etx:
            continue
        cost = cand.path_etx + link
        if nbr == current:
            current_cost = cost
        if cost < best_cost or (cost == best_cost and best is not None and nbr < best):
            best, best_cost = nbr, cost
    if current is not None and current_cost < float("inf") and best != current \
            and best_cost > current_cost - params.parent_switch_etx:
        return current, current_cost
    return best, best_cost
