"""Check a site with its own radio: link coverage, the backbone, capacity and power-up order.

Findings are values with dotted codes (the caller decides what to do with them):

=============================  ========  ===================================================
code                           severity  meaning
=============================  ========  ===================================================
``site.mdt_no_usable_link``    error     no relay within the usable margin of an MDT
``site.mdt_no_path``           error     the MDT's usable relays are all cut off from the DCAP
``site.repeater_isolated``     error     a repeater with no usable multi-hop path to the DCAP
``site.backbone_too_deep``     warning   a relay more than ``max_hops`` hops from the DCAP
``site.dcap_over_capacity``    warning   more MDTs than one DCAP serves (≈ 1000)
``site.repeater_ratio``        warning   more than 30 MDTs per repeater (Tehama guide: 20–30)
``site.placement.metal_box``   warning   devices inside a metal box (manual §1, §5.2)
``site.placement.near_metal``  info      devices near a metal wall, furnace or panel
``order.dcap_not_first``       warning   a device powered before the DCAP (manual §5.2)
``order.repeater_early``       warning   a repeater powered before its backbone parent
``order.mdt_before_backbone``  info      an MDT powered before every usable relay
=============================  ========  ===================================================

"Usable" means an uplink margin (MDT → relay) or weaker-direction margin (relay ↔ relay) of at
least ``radio.usable_margin_db``.  Each MDT is tried against its ``k_nearest`` relays only
(by 3-D distance); the backbone tries every relay pair up to 600 relays, beyond that each
relay's ``k_backbone`` nearest relays overall and on its floor.  That keeps the check fast for
10,000 meters.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from openamr.field.radio import (
    Placement,
    RadioNodes,
    Walls,
    link_loss_db,
    walls_crossed_loss_db,
)
from openamr.field.site.model import Site

__all__ = ["Coverage", "Finding", "check_site", "coverage"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

DCAP_CAPACITY_MDTS = 1000
"""MDTs one DCAP serves (Tehama TW113 guide, reference mesh.md §1)."""
MAX_MDTS_PER_REPEATER = 30
"""Tehama's "one Repeater for every 20–30 MDTs" (TW113 user's guide, reference mesh.md §1; not
in the Mini Meter manual): a planning rule of the radio's maker, used here as a warning."""
MAX_HOPS = 8
"""Hop limit of the mesh (reference mesh.md §7.3)."""
ALL_PAIRS_MAX_RELAYS = 600
"""Up to this many relays the backbone check tries every relay pair."""


@dataclass(frozen=True)
class Finding:
    """One result of a check: a dotted code, a severity, a message, the device(s) concerned."""

    code: str
    severity: Literal["error", "warning", "info"]
    message: str
    devices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Coverage:
    """Link coverage of a site, indexed like ``site.devices`` (radio-node order)."""

    best_relay: I64
    """Per MDT (in ``site.meters`` order): node number of its best relay by uplink margin."""
    best_margin_db: F64
    """Per MDT: uplink margin to that relay [dB] (exact when usable; below the usable margin
    it is an upper bound: walls stop being counted once a link cannot be usable)."""
    usable_relays: I64
    """Per MDT: how many of its nearest relays have a usable uplink."""
    hops: I64
    """Per relay (DCAP, then repeaters): hops to the DCAP over usable links, −1 if none."""
    backbone_parent: I64
    """Per relay: node number of its best next hop towards the DCAP (−1: none or DCAP)."""
    relay_distance_m: F64
    """Per relay: straight-line 3-D distance to the DCAP [m]."""


def _sq_distances(a: F64, b: F64) -> F64:
    """Squared distances between the rows of ``a`` and ``b`` [m²] (a matrix product)."""
    out: F64 = np.maximum((a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :]
                          - 2.0 * (a @ b.T), 0.0)
    return out


def _usable_loss_db(site: Site, nodes: RadioNodes, walls: Walls, a: I64, b: I64,
                    tx_dbm: F64, keys: npt.NDArray[np.uint64]) -> F64:
    """Loss [dB] of links a–b, exact while the link stays usable at ``tx_dbm``; walls stop
    being counted once a link cannot be usable any more (its loss is then a lower bound)."""
    p = site.radio
    loss = link_loss_db(nodes, a, b, walls, p, site.seed, keys=keys, with_walls=False)
    budget = tx_dbm - loss - p.sensitivity_dbm - p.usable_margin_db
    out: F64 = loss + walls_crossed_loss_db(nodes.x_m[a], nodes.y_m[a], nodes.floor[a],
                                            nodes.x_m[b], nodes.y_m[b], nodes.floor[b], walls,
                                            give_up_db=budget + 1e-9)
    return out


def coverage(site: Site, *, k_nearest: int = 8, k_backbone: int = 24) -> Coverage:
    """Usable links of every MDT and the backbone's hop counts, with the site's radio.

    Each MDT is tried against its ``k_nearest`` relays (by 3-D distance); the backbone uses
    every relay pair up to ``ALL_PAIRS_MAX_RELAYS`` relays, beyond that each relay's
    ``k_backbone`` nearest relays overall and on its own floor.
    """
    nodes = site.radio_nodes()
    walls = site.radio_walls()
    p = site.radio
    keys = nodes.keys
    n_relay = 1 + len(site.repeaters)
    relays = np.arange(n_relay)
    z_m = nodes.floor.astype(np.float64) * nodes.floor_height_m
    pos = np.stack([nodes.x_m, nodes.y_m, z_m], axis=1)

    # backbone: every relay pair on small sites; else each relay with its k_backbone nearest
    # relays overall and its k_backbone nearest on the same floor
    if n_relay <= ALL_PAIRS_MAX_RELAYS:
        ra, rb = (x.astype(np.int64) for x in np.triu_indices(n_relay, k=1))
    else:
        kb = min(k_backbone, n_relay - 1)
        d2r = _sq_distances(pos[:n_relay], pos[:n_relay])
        np.fill_diagonal(d2r, np.inf)
        other_floor = nodes.floor[:n_relay, None] != nodes.floor[None, :n_relay]
        d2f = np.where(other_floor, np.inf, d2r)
        near_r = np.concatenate([np.argpartition(d2r, kb - 1, axis=1)[:, :kb],
                                 np.argpartition(d2f, kb - 1, axis=1)[:, :kb]], axis=1)
        ra = np.repeat(relays, near_r.shape[1])
        rb = near_r.reshape(-1).astype(np.int64)
        lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
        uniq = np.unique(lo * n_relay + hi)
        uniq = uniq[uniq // n_relay != uniq % n_relay]
        ra, rb = uniq // n_relay, uniq % n_relay
    weak_tx = np.minimum(nodes.tx_power_dbm[ra], nodes.tx_power_dbm[rb])
    loss = _usable_loss_db(site, nodes, walls, ra, rb, weak_tx, keys)
    margin = weak_tx - loss - p.sensitivity_dbm
    good = margin >= p.usable_margin_db
    adj: list[list[tuple[int, float]]] = [[] for _ in range(n_relay)]
    for i, j, m in zip(ra[good].tolist(), rb[good].tolist(), margin[good].tolist(), strict=True):
        adj[i].append((j, m))
        adj[j].append((i, m))
    hops = np.full(n_relay, -1, dtype=np.int64)
    parent = np.full(n_relay, -1, dtype=np.int64)
    hops[0] = 0
    queue = deque([0])
    while queue:
        i = queue.popleft()
        for j, _m in sorted(adj[i], key=lambda t: -t[1]):
            if hops[j] < 0:
                hops[j] = hops[i] + 1
                parent[j] = i
                queue.append(j)
    relay_distance_m = np.linalg.norm(pos[:n_relay] - pos[0], axis=1)

    # MDTs: the k nearest relays by distance
    n_mdt = len(site.meters)
    best_relay = np.full(n_mdt, -1, dtype=np.int64)
    best_margin = np.full(n_mdt, -np.inf)
    usable = np.zeros(n_mdt, dtype=np.int64)
    k = min(k_nearest, n_relay)
    chunk = 4096
    for s in range(0, n_mdt, chunk):
        mdt = np.arange(s, min(s + chunk, n_mdt)) + n_relay
        d2 = _sq_distances(pos[mdt], pos[:n_relay])
        near = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < n_relay else \
            np.broadcast_to(relays, (mdt.shape[0], n_relay))
        a = np.repeat(mdt, k)
        b = near.reshape(-1).astype(np.int64)
        up = (nodes.tx_power_dbm[a]
              - _usable_loss_db(site, nodes, walls, a, b, nodes.tx_power_dbm[a], keys)
              - p.sensitivity_dbm).reshape(-1, k)
        arg = np.argmax(up, axis=1)
        rows = np.arange(mdt.shape[0])
        best_relay[mdt - n_relay] = near[rows, arg]
        best_margin[mdt - n_relay] = up[rows, arg]
        usable[mdt - n_relay] = (up >= p.usable_margin_db).sum(axis=1)
    return Coverage(best_relay, best_margin, usable, hops, parent, relay_distance_m)


def check_site(site: Site, cov: Coverage | None = None) -> list[Finding]:
    """Every finding of :mod:`this module <openamr.field.site.check>` for ``site``."""
    cov = cov or coverage(site)
    out: list[Finding] = []
    p = site.radio
    relay_ids = [site.dcap.id] + [r.id for r in site.repeaters]
    meter_ids = [m.id for m in site.meters]

    lost = [meter_ids[i] for i in np.flatnonzero(cov.usable_relays == 0)]
    if lost:
        out.append(Finding("site.mdt_no_usable_link", "error",
                           f"{len(lost)} MDT(s) have no repeater or DCAP within a "
                           f"{p.usable_margin_db:g} dB margin", tuple(lost)))
    isolated = [relay_ids[i] for i in np.flatnonzero(cov.hops < 0)]
    if isolated:
        out.append(Finding("site.repeater_isolated", "error",
                           f"{len(isolated)} repeater(s) have no usable path to the DCAP",
                           tuple(isolated)))
        cut = [meter_ids[i] for i in range(len(meter_ids))
               if cov.usable_relays[i] > 0 and cov.hops[cov.best_relay[i]] < 0]
        if cut:
            out.append(Finding("site.mdt_no_path", "error",
                               f"{len(cut)} MDT(s) reach only repeaters cut off from the DCAP",
                               tuple(cut)))
    deep = [relay_ids[i] for i in np.flatnonzero(cov.hops > MAX_HOPS)]
    if deep:
        out.append(Finding("site.backbone_too_deep", "warning",
                           f"{len(deep)} repeater(s) are more than {MAX_HOPS} hops from the "
                           f"DCAP (deepest: {int(cov.hops.max())})", tuple(deep)))
    if len(site.meters) > DCAP_CAPACITY_MDTS:
        out.append(Finding("site.dcap_over_capacity", "warning",
                           f"{len(site.meters)} MDTs on one DCAP (it serves about "
                           f"{DCAP_CAPACITY_MDTS})", (site.dcap.id,)))
    if len(site.meters) > MAX_MDTS_PER_REPEATER * max(len(site.repeaters), 1):
        ratio = (f"{len(site.meters) / len(site.repeaters):.1f} MDTs per repeater"
                 if site.repeaters else f"{len(site.meters)} MDTs and no repeater")
        out.append(Finding("site.repeater_ratio", "warning",
                           f"{ratio} (Tehama's TW113 guide plans one repeater per 20–30 MDTs)"))
    boxed = tuple(d.id for d in site.devices
                  if d.placement in (Placement.METAL_BOX, Placement.METAL_BOX_WINDOW))
    if boxed:
        out.append(Finding("site.placement.metal_box", "warning",
                           f"{len(boxed)} device(s) mounted inside a metal box (manual: not "
                           "inside a metal box or near a metal wall)", boxed))
    near = tuple(d.id for d in site.devices if d.placement is Placement.NEAR_METAL)
    if near:
        out.append(Finding("site.placement.near_metal", "info",
                           f"{len(near)} device(s) mounted near a metal wall, furnace or "
                           "electrical panel", near))
    out.extend(_order_findings(site, cov))
    return out


def _order_findings(site: Site, cov: Coverage) -> list[Finding]:
    out: list[Finding] = []
    t0 = site.dcap.power_on_s
    early = tuple(d.id for d in site.devices[1:] if d.power_on_s < t0)
    if early:
        out.append(Finding("order.dcap_not_first", "warning",
                           f"{len(early)} device(s) powered before the DCAP", early))
    relays = [site.dcap, *site.repeaters]
    bad = tuple(relays[j].id for j in range(1, len(relays))
                if cov.backbone_parent[j] >= 0
                and relays[j].power_on_s < relays[int(cov.backbone_parent[j])].power_on_s)
    if bad:
        out.append(Finding("order.repeater_early", "warning",
                           f"{len(bad)} repeater(s) powered before the repeater that links them "
                           "to the backbone (manual §5.2: nearest first)", bad))
    if site.repeaters and site.meters:
        first_relay_s = min(r.power_on_s for r in relays)
        mdt_early = tuple(m.id for m in site.meters if m.power_on_s < first_relay_s)
        if mdt_early:
            out.append(Finding("order.mdt_before_backbone", "info",
                               f"{len(mdt_early)} MDT(s) powered before any relay", mdt_early))
    return out
