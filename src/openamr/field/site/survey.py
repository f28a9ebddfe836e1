"""Site survey: predicted link margins of a planned site, and repeaters proposed until every MDT
reaches a chosen margin (the commissioning tool's ``openamr cit survey``).

The prediction is the site's own radio model (:func:`openamr.field.radio.link_loss_db`: path
loss, floors, walls, placements, frozen shadowing keyed by the device ids), so it agrees with
``site check`` and with what ``sim run`` would see.  Margins:

* an MDT's **uplink margin** to a relay is ``tx_mdt − loss − sensitivity`` [dB];
* a **backbone link** between two relays counts in its weaker direction
  (``min(tx_a, tx_b) − loss − sensitivity``);
* a relay is **connected** when a chain of backbone links of at least ``min_margin_db`` joins it
  to the DCAP; an MDT **reaches the margin** when its best uplink to a connected relay is at
  least ``min_margin_db``.

Proposing repeaters is greedy.  Each round, candidate positions are tried: around every MDT still
below the margin (its own position and 1.5 m to each side, on its floor, mounted in the open:
the manual's §5.2 placement advice) and, when no such candidate reaches the backbone, points on
the straight line from those MDTs to the nearest connected relay.  The candidate that lifts the
most MDTs above the margin and has a backbone link of at least the margin wins (ties: the
stronger backbone link); it is named ``REP-Pnn`` (the name seeds its shadowing, so the id
written to the site file gives the same prediction).  Rounds repeat until every MDT reaches the
margin or ``max_repeaters`` are placed.  A metal box costs its MDT ``metal_box_loss_db`` on every
link: a repeater close by is usually the only cure short of moving the MDT.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.field.radio import Placement, RadioNodes, Role, link_loss_db
from openamr.field.site.model import Meter, Repeater, Site

__all__ = ["ProposedRepeater", "Survey", "SurveyLink", "survey_site"]

F64 = npt.NDArray[np.float64]

OFFSETS_M: tuple[tuple[float, float], ...] = ((0.0, 0.0), (1.5, 0.0), (-1.5, 0.0), (0.0, 1.5),
                                              (0.0, -1.5))
"""Where candidate repeaters are tried around an MDT below the margin [m]."""
K_NEAREST = 16
"""Each MDT is tried against its nearest relays (3-D distance)."""


@dataclass(frozen=True)
class SurveyLink:
    """A device's best predicted link towards the DCAP."""

    device_id: str
    role: str
    """``dcap`` | ``repeater`` | ``mdt``."""
    floor: int
    parent_id: str | None
    """The relay it would use (None: the DCAP itself, or nothing reachable)."""
    margin_db: float | None
    """Margin of that link [dB] (None for the DCAP; ``-inf`` when nothing is in reach)."""
    hops: int | None
    """Hops to the DCAP over links of at least the margin (None: not connected)."""
    placement: str


@dataclass(frozen=True)
class ProposedRepeater:
    """A repeater the survey proposes."""

    device_id: str
    floor: int
    x_m: float
    y_m: float
    parent_id: str
    """The relay it links to."""
    margin_db: float
    """Margin of that backbone link [dB]."""
    serves: tuple[str, ...]
    """The MDTs it lifts above the margin when it is placed."""


@dataclass(frozen=True)
class Survey:
    """The survey of a planned site."""

    min_margin_db: float
    links: tuple[SurveyLink, ...]
    """Every device of the site as planned, DCAP, repeaters, MDTs."""
    below_margin: tuple[str, ...]
    """Devices of the site as planned below the margin (or not connected)."""
    proposed_repeaters: tuple[ProposedRepeater, ...]
    links_with_proposed: tuple[SurveyLink, ...]
    """Every device with the proposed repeaters added."""
    still_below: tuple[str, ...]
    """Devices still below the margin after the proposals (empty on success)."""

    def site_with_proposed(self, site: Site) -> Site:
        """``site`` with the proposed repeaters added (open placement, powered after the rest
        of the backbone, nearest first in proposal order)."""
        last_s = max((r.power_on_s for r in site.repeaters), default=site.dcap.power_on_s)
        extra = tuple(Repeater(id=p.device_id, x_m=p.x_m, y_m=p.y_m, floor=p.floor,
                               placement=Placement.OPEN, power_on_s=last_s + 30.0 * (i + 1))
                      for i, p in enumerate(self.proposed_repeaters))
        return dataclasses.replace(site, repeaters=site.repeaters + extra)


class _Plan:
    """The relays (DCAP first, then repeaters, then proposals) and the MDTs as radio nodes."""

    def __init__(self, site: Site, extra: list[tuple[str, float, float, int]]) -> None:
        self.site = site
        relays = [site.dcap, *site.repeaters]
        self.relay_ids = [d.id for d in relays] + [e[0] for e in extra]
        self.mdt_ids = [m.id for m in site.meters]
        ids = self.relay_ids + self.mdt_ids
        roles = ([Role.DCAP] + [Role.REPEATER] * (len(self.relay_ids) - 1)
                 + [Role.MDT] * len(self.mdt_ids))
        xs = [d.x_m for d in relays] + [e[1] for e in extra] + [m.x_m for m in site.meters]
        ys = [d.y_m for d in relays] + [e[2] for e in extra] + [m.y_m for m in site.meters]
        fl = [d.floor for d in relays] + [e[3] for e in extra] + [m.floor for m in site.meters]
        pl = ([d.placement for d in relays] + [Placement.OPEN] * len(extra)
              + [m.placement for m in site.meters])
        tx = ([d.tx_power_dbm for d in relays] + [None] * len(extra)
              + [m.tx_power_dbm for m in site.meters])
        self.nodes = RadioNodes.build(ids, roles, xs, ys, fl, pl, tx, site.radio,
                                      site.building.floor_height_m)
        self.walls = site.radio_walls()
        self.n_relay = len(self.relay_ids)

    def loss_db(self, a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> F64:
        return link_loss_db(self.nodes, a, b, self.walls, self.site.radio, self.site.seed)

    def backbone(self, min_margin_db: float) -> tuple[npt.NDArray[np.int64],
                                                      npt.NDArray[np.int64], F64]:
        """Per relay: hops to the DCAP (−1: not connected), parent relay, parent margin."""
        n = self.n_relay
        hops = np.full(n, -1, dtype=np.int64)
        parent = np.full(n, -1, dtype=np.int64)
        pmargin = np.full(n, np.nan)
        if n == 0:
            return hops, parent, pmargin
        a, b = (x.astype(np.int64) for x in np.triu_indices(n, k=1))
        tx = self.nodes.tx_power_dbm
        margin = np.minimum(tx[a], tx[b]) - self.loss_db(a, b) - self.site.radio.sensitivity_dbm
        m = np.full((n, n), -np.inf)
        m[a, b] = margin
        m[b, a] = margin
        hops[0] = 0
        queue = deque([0])
        while queue:  # breadth first: fewest hops, then the strongest link
            i = queue.popleft()
            for j in np.argsort(-m[i]):
                j = int(j)
                if hops[j] < 0 and m[i, j] >= min_margin_db:
                    hops[j] = hops[i] + 1
                    parent[j] = i
                    pmargin[j] = m[i, j]
                    queue.append(j)
        return hops, parent, pmargin

    def uplinks(self, connected: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int64], F64]:
        """Per MDT: best connected relay (−1: none) and its uplink margin [dB]."""
        n_mdt = len(self.mdt_ids)
        best = np.full(n_mdt, -1, dtype=np.int64)
        margin = np.full(n_mdt, -np.inf)
        relays = np.flatnonzero(connected).astype(np.int64)
        if n_mdt == 0 or relays.size == 0:
            return best, margin
        k = min(K_NEAREST, relays.size)
        nodes = self.nodes
        z = nodes.floor.astype(np.float64) * nodes.floor_height_m
        pos = np.stack([nodes.x_m, nodes.y_m, z], axis=1)
        mdt = np.arange(n_mdt) + self.n_relay
        d2 = ((pos[mdt, None, :] - pos[None, relays, :]) ** 2).sum(axis=2)
        near = relays[np.argpartition(d2, k - 1, axis=1)[:, :k]] if k < relays.size else \
            np.broadcast_to(relays, (n_mdt, relays.size))
        a = np.repeat(mdt, near.shape[1])
        b = near.reshape(-1)
        up = (nodes.tx_power_dbm[a] - self.loss_db(a, b)
              - self.site.radio.sensitivity_dbm).reshape(n_mdt, -1)
        arg = np.argmax(up, axis=1)
        rows = np.arange(n_mdt)
        return near[rows, arg].astype(np.int64), up[rows, arg]


def _links(plan: _Plan, min_margin_db: float) -> tuple[list[SurveyLink], list[str]]:
    hops, parent, pmargin = plan.backbone(min_margin_db)
    best, margin = plan.uplinks(hops >= 0)
    site = plan.site
    placements = ([site.dcap.placement, *(r.placement for r in site.repeaters)]
                  + [Placement.OPEN] * (plan.n_relay - 1 - len(site.repeaters)))
    links: list[SurveyLink] = []
    below: list[str] = []
    for i, rid in enumerate(plan.relay_ids):
        role = "dcap" if i == 0 else "repeater"
        connected = hops[i] >= 0
        links.append(SurveyLink(
            rid, role, int(plan.nodes.floor[i]),
            plan.relay_ids[int(parent[i])] if parent[i] >= 0 else None,
            None if i == 0 else (round(float(pmargin[i]), 1) if connected else None),
            int(hops[i]) if connected else None, str(placements[i])))
        if not connected:
            below.append(rid)
    for j, mid in enumerate(plan.mdt_ids):
        relay = int(best[j])
        ok = relay >= 0 and margin[j] >= min_margin_db
        links.append(SurveyLink(
            mid, "mdt", int(site.meters[j].floor), plan.relay_ids[relay] if relay >= 0 else None,
            round(float(margin[j]), 1) if np.isfinite(margin[j]) else float("-inf"),
            int(hops[relay]) + 1 if relay >= 0 else None, str(site.meters[j].placement)))
        if not ok:
            below.append(mid)
    return links, below


def _next_id(taken: set[str], n: int) -> str:
    while True:
        name = f"REP-P{n:02d}"
        if name not in taken:
            return name
        n += 1


def survey_site(site: Site, min_margin_db: float = 15.0, *,
                max_repeaters: int = 50) -> Survey:
    """Predict every link of ``site`` and propose repeaters (see the module docstring)."""
    plan = _Plan(site, [])
    links, below = _links(plan, min_margin_db)
    extra: list[tuple[str, float, float, int]] = []
    taken = {d.id for d in site.devices}
    proposed: list[ProposedRepeater] = []
    current_links, current_below = links, below
    meters = {m.id: m for m in site.meters}
    while current_below and len(proposed) < max_repeaters:
        lacking = [meters[i] for i in current_below if i in meters]
        if not lacking:
            break
        name = _next_id(taken, len(proposed) + 1)
        base = _Plan(site, extra)
        hops, _, _ = base.backbone(min_margin_db)
        connected = np.flatnonzero(hops >= 0)
        cands = [(m.x_m + dx, m.y_m + dy, m.floor) for m in lacking for dx, dy in OFFSETS_M]
        choice = _best_candidate(site, extra, name, cands, connected, lacking, min_margin_db)
        if choice is None:  # nothing next to them reaches the backbone: step towards it
            cands = _stepping_stones(base, connected, lacking)
            choice = _best_candidate(site, extra, name, cands, connected, lacking,
                                     min_margin_db, need_serve=False)
        if choice is None:
            break
        (x, y, floor), parent_id, margin, serves = choice
        extra.append((name, x, y, floor))
        taken.add(name)
        proposed.append(ProposedRepeater(name, floor, round(x, 2), round(y, 2), parent_id,
                                         round(margin, 1), serves))
        current_links, current_below = _links(_Plan(site, extra), min_margin_db)
    return Survey(min_margin_db, tuple(links), tuple(below), tuple(proposed),
                  tuple(current_links), tuple(current_below))


def _best_candidate(site: Site, extra: list[tuple[str, float, float, int]], name: str,
                    cands: list[tuple[float, float, int]], connected: npt.NDArray[np.int64],
                    lacking: list[Meter], min_margin_db: float, *, need_serve: bool = True
                    ) -> tuple[tuple[float, float, int], str, float, tuple[str, ...]] | None:
    """The candidate that lifts most MDTs and links to the backbone, or None."""
    best: tuple[tuple[int, float, float], tuple[float, float, int], str, float,
                tuple[str, ...]] | None = None
    lacking_ids = [m.id for m in lacking]
    for x, y, floor in cands:
        plan = _Plan(site, [*extra, (name, x, y, floor)])
        me = plan.n_relay - 1
        rel = connected.astype(np.int64)
        a = np.full(rel.size, me, dtype=np.int64)
        tx = plan.nodes.tx_power_dbm
        back = (np.minimum(tx[a], tx[rel]) - plan.loss_db(a, rel)
                - site.radio.sensitivity_dbm)
        k = int(np.argmax(back)) if back.size else -1
        if k < 0 or back[k] < min_margin_db:
            continue
        idx = np.array([plan.mdt_ids.index(i) for i in lacking_ids], dtype=np.int64)
        mdt_nodes = idx + plan.n_relay
        up = (tx[mdt_nodes] - plan.loss_db(mdt_nodes, np.full(idx.size, me, dtype=np.int64))
              - site.radio.sensitivity_dbm)
        serves = tuple(lacking_ids[i] for i in np.flatnonzero(up >= min_margin_db))
        if need_serve and not serves:
            continue
        # most MDTs lifted, then the nearest to the backbone's weak side (strongest link)
        score = (len(serves), float(back[k]), -float(np.mean(up)) if not serves else 0.0)
        if best is None or score > best[0]:
            best = (score, (x, y, floor), plan.relay_ids[int(rel[k])], float(back[k]), serves)
    if best is None:
        return None
    return best[1], best[2], best[3], best[4]


def _stepping_stones(plan: _Plan, connected: npt.NDArray[np.int64],
                     lacking: list[Meter]) -> list[tuple[float, float, int]]:
    """Points on the way from the MDTs below the margin to their nearest connected relay."""
    nodes = plan.nodes
    out: list[tuple[float, float, int]] = []
    for m in lacking:
        mx, my, mf = m.x_m, m.y_m, m.floor
        d2 = ((nodes.x_m[connected] - mx) ** 2 + (nodes.y_m[connected] - my) ** 2
              + ((nodes.floor[connected] - mf) * nodes.floor_height_m) ** 2)
        r = int(connected[int(np.argmin(d2))])
        rx, ry, rf = float(nodes.x_m[r]), float(nodes.y_m[r]), int(nodes.floor[r])
        for t in (0.25, 0.5, 0.75):
            out.append((rx + (mx - rx) * t, ry + (my - ry) * t, rf if t < 0.5 else mf))
    return out
