"""Pure, vectorised propagation functions: path loss, floors, walls, shadowing.

All take numpy arrays (or scalars) and return arrays; nothing here knows about nodes, sites or
time.  Losses are positive numbers of dB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.field.radio.hashing import pair_normal
from openamr.field.radio.params import RadioParams

__all__ = [
    "Walls",
    "floor_loss_db",
    "path_loss_db",
    "shadowing_db",
    "walls_crossed_loss_db",
]

F64 = npt.NDArray[np.float64]

#: pairs × walls elements evaluated at once in the wall-crossing test
_CHUNK_ELEMENTS = 1 << 21


def path_loss_db(distance_m: npt.ArrayLike, params: RadioParams) -> F64:
    """Log-distance path loss ``PL(d) = PL(1 m) + 10·n·log10(d)`` [dB] for ``distance_m`` [m].

    Distances below ``params.min_distance_m`` are clamped to it.
    """
    d = np.maximum(np.asarray(distance_m, dtype=np.float64), params.min_distance_m)
    out: F64 = params.pl_1m_db + 10.0 * params.path_loss_exponent * np.log10(d)
    return out


def floor_loss_db(floors_crossed: npt.ArrayLike, params: RadioParams) -> F64:
    """ITU-R P.1238-style floor penetration loss [dB] for a number of floors crossed.

    ``Lf(n) = floor_loss_base_db + floor_loss_db·n`` for n ≥ 1 and 0 for n = 0 (residential:
    base 0, 4 dB per floor; office: base 11, 4 dB; commercial: base 3, 3 dB).
    """
    n = np.abs(np.asarray(floors_crossed, dtype=np.float64))
    out: F64 = np.where(n > 0, params.floor_loss_base_db + params.floor_loss_db * n, 0.0)
    return out


def shadowing_db(key_a: npt.ArrayLike, key_b: npt.ArrayLike, sigma_db: npt.ArrayLike,
                 seed: int) -> F64:
    """Frozen log-normal shadowing [dB] of each link: N(0, sigma_db²), one draw per unordered
    pair of device keys and seed (symmetric, independent of every other link)."""
    out: F64 = pair_normal(key_a, key_b, seed, stream=0) * np.asarray(sigma_db, dtype=np.float64)
    return out


@dataclass(frozen=True, eq=False)
class Walls:
    """Wall segments of a building, each on one floor, with its loss [dB]."""

    floor: npt.NDArray[np.int64]
    x1_m: F64
    y1_m: F64
    x2_m: F64
    y2_m: F64
    loss_db: F64

    @classmethod
    def empty(cls) -> Walls:
        """No walls at all."""
        z = np.zeros(0, dtype=np.float64)
        return cls(np.zeros(0, dtype=np.int64), z, z, z, z, z)

    @classmethod
    def from_rows(cls, rows: list[tuple[int, float, float, float, float, float]]) -> Walls:
        """Build from ``(floor, x1_m, y1_m, x2_m, y2_m, loss_db)`` rows."""
        if not rows:
            return cls.empty()
        a = np.array(rows, dtype=np.float64)
        if not np.all(np.isfinite(a)):
            raise InputError("wall coordinates and losses must be finite numbers", where="walls")
        return cls(a[:, 0].astype(np.int64), a[:, 1], a[:, 2], a[:, 3], a[:, 4], a[:, 5])

    def __len__(self) -> int:
        return int(self.floor.shape[0])

    def on_floor(self, floor: int) -> npt.NDArray[np.intp]:
        """Indices of the walls on ``floor``."""
        return np.flatnonzero(self.floor == floor)


def _crossing_loss_db(ax: F64, ay: F64, bx: F64, by: F64, walls: Walls,
                      idx: npt.NDArray[np.intp]) -> F64:
    """Sum of losses of the walls ``idx`` that segment a→b properly crosses [dB].

    Two segments cross when each one's end points lie strictly on opposite sides of the other.
    The four orientation tests are linear in the coordinates, so each is a (pairs × 3) @
    (3 × walls) matrix product.
    """
    n = ax.shape[0]
    out = np.zeros(n, dtype=np.float64)
    if n == 0 or idx.shape[0] == 0:
        return out
    w1x, w1y, w2x, w2y = walls.x1_m[idx], walls.y1_m[idx], walls.x2_m[idx], walls.y2_m[idx]
    wx, wy = w2x - w1x, w2y - w1y
    loss = walls.loss_db[idx]
    # side of a (and b) w.r.t. the wall line: wx*(py - w1y) - wy*(px - w1x)
    wall_side = np.stack([-wy, wx, wy * w1x - wx * w1y])          # (3, K)
    ex, ey = bx - ax, by - ay
    # side of w1 (and w2) w.r.t. the link line: ex*(qy - ay) - ey*(qx - ax)
    link_side = np.stack([-ey, ex, ey * ax - ex * ay], axis=1)    # (n, 3)
    p1 = np.stack([w1x, w1y, np.ones_like(w1x)])                   # (3, K)
    p2 = np.stack([w2x, w2y, np.ones_like(w2x)])
    step = max(1, _CHUNK_ELEMENTS // idx.shape[0])
    for s in range(0, n, step):
        sl = slice(s, s + step)
        pa = np.stack([ax[sl], ay[sl], np.ones_like(ax[sl])], axis=1)
        pb = np.stack([bx[sl], by[sl], np.ones_like(bx[sl])], axis=1)
        d1 = pa @ wall_side
        d2 = pb @ wall_side
        crossed = (d1 * d2) < 0.0
        ls = link_side[sl]
        d3 = ls @ p1
        d4 = ls @ p2
        crossed &= (d3 * d4) < 0.0
        out[sl] = crossed @ loss
    return out


def walls_crossed_loss_db(ax: npt.ArrayLike, ay: npt.ArrayLike, a_floor: npt.ArrayLike,
                          bx: npt.ArrayLike, by: npt.ArrayLike, b_floor: npt.ArrayLike,
                          walls: Walls, give_up_db: npt.ArrayLike | None = None) -> F64:
    """Loss [dB] of the walls crossed by each link a→b (arrays of equal length).

    The link's horizontal projection is intersected with the walls of the floor of each end;
    a link within one floor counts that floor's walls once, a link between two floors counts
    the walls of both end floors (the walls of floors in between are not counted: their floors
    are, through :func:`floor_loss_db`).  A link that only touches a wall's end or runs along
    it does not count it.

    ``give_up_db`` (per link, optional) lets a caller that only needs to know whether the loss
    stays below a budget skip the rest of the walls once it is exceeded: the result is exact
    where it is below ``give_up_db`` and at least ``give_up_db`` elsewhere.
    """
    axa = np.atleast_1d(np.asarray(ax, dtype=np.float64))
    aya = np.atleast_1d(np.asarray(ay, dtype=np.float64))
    bxa = np.atleast_1d(np.asarray(bx, dtype=np.float64))
    bya = np.atleast_1d(np.asarray(by, dtype=np.float64))
    fa = np.atleast_1d(np.asarray(a_floor, dtype=np.int64))
    fb = np.atleast_1d(np.asarray(b_floor, dtype=np.int64))
    out = np.zeros(axa.shape[0], dtype=np.float64)
    if len(walls) == 0 or axa.shape[0] == 0:
        return out
    give_up = (None if give_up_db is None
               else np.broadcast_to(np.asarray(give_up_db, dtype=np.float64), out.shape))
    for plan in _floor_plans(walls):
        sel = np.flatnonzero((fa == plan.floor) | (fb == plan.floor))
        if not sel.shape[0]:
            continue
        sx0 = np.minimum(axa[sel], bxa[sel])
        sx1 = np.maximum(axa[sel], bxa[sel])
        sy0 = np.minimum(aya[sel], bya[sel])
        sy1 = np.maximum(aya[sel], bya[sel])
        groups = plan.groups_all
        if plan.spans_x_m is not None and plan.spans_y_m is not None:
            (hx0, hx1), (vy0, vy1) = plan.spans_x_m, plan.spans_y_m
            # every link lies strictly within the span of the long walls: a long horizontal
            # wall is crossed exactly when the link's ends are on opposite sides of its line
            if hx0 < sx0.min() and sx1.max() < hx1 and vy0 < sy0.min() and sy1.max() < vy1:
                groups = plan.groups_rest
                for levels, cum, lo, hi in ((plan.levels_y_m, plan.cum_y_db, sy0, sy1),
                                            (plan.levels_x_m, plan.cum_x_db, sx0, sx1)):
                    if levels.shape[0]:
                        i_hi = np.searchsorted(levels, hi, side="left")
                        i_lo = np.searchsorted(levels, lo, side="right")
                        out[sel] += np.where(i_hi > i_lo, cum[i_hi] - cum[i_lo], 0.0)
        if give_up is not None:
            alive = out[sel] < give_up[sel]
            sel, sx0, sx1, sy0, sy1 = (sel[alive], sx0[alive], sx1[alive], sy0[alive],
                                       sy1[alive])
        for idx, (gx0, gy0, gx1, gy1) in groups:
            # only links whose bounding box meets the group's can cross one of its walls
            hit = sel[(sx1 >= gx0) & (sx0 <= gx1) & (sy1 >= gy0) & (sy0 <= gy1)]
            if hit.shape[0]:
                out[hit] += _crossing_loss_db(axa[hit], aya[hit], bxa[hit], bya[hit], walls, idx)
    return out


_GROUP_WALLS = 16

Group = tuple[npt.NDArray[np.intp], tuple[float, float, float, float]]


@dataclass(frozen=True)
class _FloorPlan:
    """The walls of one floor arranged for fast crossing tests.

    *Long* walls are axis-aligned walls that span the whole extent of the floor's walls in
    their direction (corridor walls, façades): crossing one is a matter of which side of its
    line each end lies, counted with ``searchsorted`` over the sorted levels.  The other walls
    are tested exactly, in spatially compact groups.
    """

    floor: int
    groups_all: list[Group]
    groups_rest: list[Group]
    levels_y_m: F64
    """y of the long horizontal walls, sorted."""
    cum_y_db: F64
    """Cumulative loss of those walls, with a leading 0."""
    levels_x_m: F64
    cum_x_db: F64
    spans_x_m: tuple[float, float] | None
    """Common x-span of the long horizontal walls (links must lie strictly inside)."""
    spans_y_m: tuple[float, float] | None


def _groups(walls: Walls, idx: npt.NDArray[np.intp]) -> list[Group]:
    if idx.shape[0] == 0:
        return []
    cy = (walls.y1_m[idx] + walls.y2_m[idx]) / 2.0
    cx = (walls.x1_m[idx] + walls.x2_m[idx]) / 2.0
    # stripes of rows sorted by y, each stripe sorted by x: compact boxes
    by_y = idx[np.lexsort((cx, cy))]
    n_groups = max(1, -(-idx.shape[0] // _GROUP_WALLS))
    stripes = max(1, round(n_groups**0.5))
    groups: list[Group] = []
    for stripe in np.array_split(by_y, stripes):
        sx = (walls.x1_m[stripe] + walls.x2_m[stripe]) / 2.0
        stripe = stripe[np.argsort(sx, kind="stable")]
        for g in np.array_split(stripe, max(1, -(-stripe.shape[0] // _GROUP_WALLS))):
            if g.shape[0] == 0:
                continue
            xs = np.concatenate([walls.x1_m[g], walls.x2_m[g]])
            ys = np.concatenate([walls.y1_m[g], walls.y2_m[g]])
            groups.append((g, (float(xs.min()), float(ys.min()), float(xs.max()),
                               float(ys.max()))))
    return groups


def _floor_plans(walls: Walls) -> list[_FloorPlan]:
    """Per floor, the walls arranged for :func:`walls_crossed_loss_db`; cached on ``walls``."""
    cached = walls.__dict__.get("_plans")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    plans = []
    for floor in np.unique(walls.floor).tolist():
        idx = walls.on_floor(int(floor))
        x0 = np.minimum(walls.x1_m[idx], walls.x2_m[idx])
        x1 = np.maximum(walls.x1_m[idx], walls.x2_m[idx])
        y0 = np.minimum(walls.y1_m[idx], walls.y2_m[idx])
        y1 = np.maximum(walls.y1_m[idx], walls.y2_m[idx])
        horizontal = (y0 == y1) & (x0 <= x0.min()) & (x1 >= x1.max())
        vertical = (x0 == x1) & (y0 <= y0.min()) & (y1 >= y1.max())
        long_ = horizontal | vertical
        levels = []
        for mask, coord in ((horizontal, y0), (vertical, x0)):
            order = np.argsort(coord[mask], kind="stable")
            lv = coord[mask][order]
            cum = np.concatenate(([0.0], np.cumsum(walls.loss_db[idx][mask][order])))
            levels.append((lv, cum))
        spans_x = (float(x0.min()), float(x1.max())) if horizontal.any() else None
        spans_y = (float(y0.min()), float(y1.max())) if vertical.any() else None
        if horizontal.any() and not vertical.any():
            spans_y = (-np.inf, np.inf)
        if vertical.any() and not horizontal.any():
            spans_x = (-np.inf, np.inf)
        plans.append(_FloorPlan(
            floor=int(floor), groups_all=_groups(walls, idx),
            groups_rest=_groups(walls, idx[~long_]) if long_.any() else [],
            levels_y_m=levels[0][0], cum_y_db=levels[0][1],
            levels_x_m=levels[1][0], cum_x_db=levels[1][1],
            spans_x_m=spans_x if long_.any() else None,
            spans_y_m=spans_y if long_.any() else None))
    object.__setattr__(walls, "_plans", plans)
    return plans
