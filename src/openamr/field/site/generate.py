"""Generate a plausible building for a given number of meters, deterministic for a seed.

The floor plan: every floor is cut into *blocks* of units (apartments or offices, 10 m deep and
8 m wide, at most 15 on each side of a 2 m corridor), each block with its meter room (4 m × 3 m,
at the middle of its stretch of corridor) holding the Mini Meters of its units: meters cluster
the way they do in real buildings, and a share of them sit next to the electrical panel
(``near_metal``).  Blocks are laid out in rows (wings, each along one corridor running the
whole length of the floor) and columns, close to a square.  Walls: the two corridor walls and
the back wall of each wing (spanning the floor), the meter rooms' walls, and a partition every
second unit.

Repeaters stand in the corridor outside meter rooms, spread over the rooms (about one per
``meters / repeaters`` MDTs); the DCAP stands in the ground floor's central meter room
corridor (the electrical room).  The site is then checked with its own radio
(:func:`openamr.field.site.check.coverage`): when the repeater count was not given, repeaters
are added outside meter rooms whose MDTs have no usable link and between isolated repeaters
and the backbone, until every MDT is covered (or a few rounds have passed).

Power-up order (``order``): ``manual`` follows the manual §5.2 (the DCAP first, then repeaters
by backbone hops and distance from the DCAP, nearest first, then the MDTs meter room by meter
room, nearest rooms first); ``reverse`` replays that sequence backwards; ``random`` shuffles it
(seeded).  Devices are powered ``repeater_gap_s`` / ``mdt_gap_s`` apart.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from openamr.errors import InputError
from openamr.field.radio import Placement, RadioParams
from openamr.field.site.check import Coverage, coverage
from openamr.field.site.load import parse_start_utc
from openamr.field.site.model import (
    Building,
    Dcap,
    LoadKind,
    LoadSpec,
    Meter,
    Repeater,
    Site,
    Wall,
)

__all__ = ["HOUSEHOLD_LOADS", "ORDERS", "generate_site"]

ORDERS = ("manual", "reverse", "random")
"""Power-up orders :func:`generate_site` knows."""
HOUSEHOLD_LOADS = ("synthetic", "uci")
"""Where the generated households' loads come from: the synthetic shape or the measured UCI
household (:mod:`openamr.field.uci`), scaled to the same drawn mean power."""

UNIT_WIDTH_M = 8.0
UNIT_DEPTH_M = 10.0
CORRIDOR_M = 2.0
WING_DEPTH_M = 2 * UNIT_DEPTH_M + CORRIDOR_M
UNITS_PER_SIDE_MAX = 15
ROOM_WIDTH_M = 4.0
ROOM_DEPTH_M = 3.0
MAX_METERS = 100_000
DOOR_OFFSET_M = 2.5
"""Repeaters stand this far along the corridor from the meter room's middle, the DCAP as far
the other way."""


@dataclass(frozen=True)
class _Plan:
    """The floor plan shared by every floor: blocks of units around a meter room, laid out in
    rows (wings, each along one corridor) and columns (blocks along the corridor)."""

    per_floor: tuple[int, ...]
    """Meters on each floor."""
    blocks: int
    """Meter rooms (blocks) per floor."""
    cols: int
    rows: int
    per_side: int
    """Units on each side of the corridor in one block."""

    @property
    def block_len_m(self) -> float:
        return self.per_side * UNIT_WIDTH_M

    @property
    def length_m(self) -> float:
        return self.cols * self.block_len_m

    def room_x_m(self, block: int) -> float:
        """x of the middle of a block's meter room [m]."""
        return (block % self.cols + 0.5) * self.block_len_m

    def row_y0_m(self, block: int) -> float:
        """y where a block's row (wing) starts [m]."""
        return (block // self.cols) * WING_DEPTH_M

    def corridor_y_m(self, block: int) -> float:
        return self.row_y0_m(block) + UNIT_DEPTH_M + CORRIDOR_M / 2

    def block_at(self, x_m: float, y_m: float) -> int:
        """The block that holds the point (x_m, y_m)."""
        col = min(int(x_m // self.block_len_m), self.cols - 1)
        row = min(int(y_m // WING_DEPTH_M), self.rows - 1)
        return min(row * self.cols + col, self.blocks - 1)

    def meters_in(self, floor: int, block: int) -> int:
        count = self.per_floor[floor]
        return count // self.blocks + (1 if block < count % self.blocks else 0)


def _plan(meters: int, floors: int) -> _Plan:
    """Blocks of at most 2 × 15 units per meter room, arranged close to a square."""
    per_floor = tuple(meters // floors + (1 if f < meters % floors else 0) for f in range(floors))
    most = max(per_floor)
    blocks = max(1, math.ceil(most / (2 * UNITS_PER_SIDE_MAX)))
    per_side = max(2, math.ceil(most / (2 * blocks)))
    cols = max(1, min(blocks, round(math.sqrt(blocks * WING_DEPTH_M
                                              / (per_side * UNIT_WIDTH_M)))))
    rows = math.ceil(blocks / cols)
    return _Plan(per_floor, blocks, cols, rows, per_side)


def generate_site(meters: int, floors: int, repeaters: int | None = None, *, seed: int = 0,
                  order: Literal["manual", "reverse", "random"] = "manual",
                  name: str | None = None, time_zone: str = "America/Los_Angeles",
                  start_utc: str | None = None, commercial_ratio: float = 0.1,
                  near_metal_ratio: float = 0.25, metal_box_ratio: float = 0.0,
                  repeater_gap_s: float = 30.0, mdt_gap_s: float = 2.0,
                  radio: RadioParams | None = None,
                  household_load: Literal["synthetic", "uci"] = "synthetic") -> Site:
    """A plausible building with ``meters`` MDT-equipped meters on ``floors`` floors.

    ``repeaters`` defaults to ``ceil(meters / 25)`` (and grows until every MDT has a usable
    link); an explicit count is kept as given.  Ratios are in [0, 1].  Deterministic for
    ``seed``.  ``household_load = "uci"`` gives the households measured loads (each its own
    slice of the UCI household, scaled to the mean power drawn for it) instead of synthetic
    ones; everything else is drawn alike.
    """
    if not 1 <= meters <= MAX_METERS:
        raise InputError(f"must be between 1 and {MAX_METERS}, got {meters}", where="--meters")
    if not 1 <= floors <= 200:
        raise InputError(f"must be between 1 and 200, got {floors}", where="--floors")
    if repeaters is not None and repeaters < 0:
        raise InputError(f"must not be negative, got {repeaters}", where="--repeaters")
    if order not in ORDERS:
        raise InputError(f"unknown order {order!r}; known: {', '.join(ORDERS)}", where="--order")
    if household_load not in HOUSEHOLD_LOADS:
        raise InputError(f"unknown household load {household_load!r}; known: "
                         f"{', '.join(HOUSEHOLD_LOADS)}", where="--household-load")
    house_kind = LoadKind.UCI if household_load == "uci" else LoadKind.HOUSEHOLD
    for label, ratio in (("commercial_ratio", commercial_ratio),
                         ("near_metal_ratio", near_metal_ratio),
                         ("metal_box_ratio", metal_box_ratio)):
        if not 0.0 <= ratio <= 1.0:
            raise InputError(f"must be in [0, 1], got {ratio}", where=label)
    if near_metal_ratio + metal_box_ratio > 1.0:
        raise InputError("near_metal_ratio + metal_box_ratio must not exceed 1",
                         where="metal_box_ratio")
    start_s = parse_start_utc(start_utc, where="start_utc") if start_utc else None
    radio = radio or RadioParams()
    rng = np.random.default_rng(seed)

    plan = _plan(meters, floors)
    length_m = plan.length_m

    # -- walls ------------------------------------------------------------------------------
    walls: list[Wall] = []
    for f in range(floors):
        for r in range(plan.rows):
            y0 = r * WING_DEPTH_M
            # the corridor walls and the back wall run the whole length of the floor
            for y in (y0 + UNIT_DEPTH_M, y0 + UNIT_DEPTH_M + CORRIDOR_M):
                walls.append(Wall(f, 0.0, y, length_m, y))
            if r + 1 < plan.rows:
                walls.append(Wall(f, 0.0, y0 + WING_DEPTH_M, length_m, y0 + WING_DEPTH_M))
            # partitions every second unit, on both sides
            for k in range(2, plan.cols * plan.per_side, 2):
                x = k * UNIT_WIDTH_M
                walls.append(Wall(f, x, y0, x, y0 + UNIT_DEPTH_M))
                walls.append(Wall(f, x, y0 + UNIT_DEPTH_M + CORRIDOR_M, x, y0 + WING_DEPTH_M))
        for block in range(plan.blocks):
            # the block's meter room at its stretch of corridor, on the first side
            mx, y0 = plan.room_x_m(block), plan.row_y0_m(block)
            ry = y0 + UNIT_DEPTH_M - ROOM_DEPTH_M
            walls.append(Wall(f, mx - ROOM_WIDTH_M / 2, ry, mx + ROOM_WIDTH_M / 2, ry))
            walls.append(Wall(f, mx - ROOM_WIDTH_M / 2, ry, mx - ROOM_WIDTH_M / 2,
                              y0 + UNIT_DEPTH_M))
            walls.append(Wall(f, mx + ROOM_WIDTH_M / 2, ry, mx + ROOM_WIDTH_M / 2,
                              y0 + UNIT_DEPTH_M))

    # -- meters: per floor, split over the blocks; in each block's meter room -----------------
    width = len(str(meters))
    meter_rows: list[tuple[int, int, int, float, float]] = []   # floor, block, slot, x, y
    for f in range(floors):
        for block in range(plan.blocks):
            in_room = plan.meters_in(f, block)
            mx, y0 = plan.room_x_m(block), plan.row_y0_m(block)
            grid = max(1, math.ceil(math.sqrt(in_room * 2)))
            for slot in range(in_room):
                col, row = slot % grid, slot // grid
                x = mx - ROOM_WIDTH_M / 2 + 0.3 + (ROOM_WIDTH_M - 0.6) * (col + 0.5) / grid
                y = min(y0 + UNIT_DEPTH_M - ROOM_DEPTH_M + 0.3 + 0.4 * row,
                        y0 + UNIT_DEPTH_M - 0.2)
                meter_rows.append((f, block, slot, round(x, 2), round(y, 2)))
    n = len(meter_rows)
    u = rng.random(n)
    placements = np.where(u < metal_box_ratio, Placement.METAL_BOX.code,
                          np.where(u < metal_box_ratio + near_metal_ratio,
                                   Placement.NEAR_METAL.code, Placement.OPEN.code))
    by_code = {p.code: p for p in Placement}
    # commercial units: the lowest floors first (shops and offices on the ground floor)
    n_commercial = round(commercial_ratio * n)
    commercial = np.zeros(n, dtype=bool)
    commercial[np.argsort([r[0] for r in meter_rows], kind="stable")[:n_commercial]] = True
    house_scale = np.round(np.clip(rng.lognormal(np.log(800.0), 0.35, n), 250.0, 3000.0), 0)
    shop_scale = np.round(np.clip(rng.lognormal(np.log(3000.0), 0.5, n), 800.0, 20_000.0), 0)
    service_u = rng.random(n)
    model_u = rng.random(n)
    models = np.where(model_u < 0.85, "MMSMT-C02", np.where(model_u < 0.95, "MMSMT-D02",
                                                             "MMSMT-E02"))
    meter_list: list[Meter] = []
    for i, (f, block, slot, x, y) in enumerate(meter_rows):
        is_shop = bool(commercial[i])
        load = (LoadSpec(LoadKind.COMMERCIAL, float(shop_scale[i])) if is_shop
                else LoadSpec(house_kind, float(house_scale[i])))
        service = "network" if is_shop or service_u[i] < 0.5 else "split"
        meter_list.append(Meter(
            id=f"M-{i + 1:0{width}d}", x_m=x, y_m=y, floor=f,
            placement=by_code[int(placements[i])], model=str(models[i]), service=service,
            load=load, unit=f"{f + 1}-{block + 1:02d}-{slot + 1:02d}"))

    # -- the DCAP and the repeaters --------------------------------------------------------
    centre = (plan.rows - 1) // 2 * plan.cols + (plan.cols - 1) // 2
    centre = min(centre, plan.blocks - 1)
    # the DCAP on one side of the central meter room's door, its repeater on the other
    dcap = Dcap(id="DCAP-1", x_m=plan.room_x_m(centre) - DOOR_OFFSET_M,
                y_m=plan.corridor_y_m(centre), floor=0)
    rooms = [(f, b) for f in range(floors) for b in range(plan.blocks)
             if plan.meters_in(f, b) > 0]
    wanted = math.ceil(meters / 25) if repeaters is None else repeaters
    spots: list[tuple[int, int, float]] = []   # floor, block, x offset along the corridor
    if wanted:
        if wanted <= len(rooms):
            picks = np.unique(np.round(np.linspace(0, len(rooms) - 1, wanted)).astype(int))
            spots = [(rooms[k][0], rooms[k][1], 0.0) for k in picks]
            extra = [k for k in range(len(rooms)) if k not in set(picks.tolist())]
            spots += [(rooms[k][0], rooms[k][1], 0.0) for k in extra[:wanted - len(spots)]]
        else:
            # one outside every meter room first, then further along the corridors
            per_room = math.ceil(wanted / len(rooms))
            step_m = plan.block_len_m * 0.3 / (1 + (per_room - 1) // 2)
            offsets = [0.0] + [sign * step_m * (1 + k // 2)
                               for k, sign in zip(range(per_room - 1), [1, -1] * per_room,
                                                  strict=False)]
            spots = [(f, b, float(o)) for o in offsets for (f, b) in rooms][:wanted]
    rep_list = [_repeater(k, f, b, off, plan) for k, (f, b, off) in enumerate(spots)]

    site = Site(name=name or f"Generated building ({meters} meters, {floors} floors)",
                time_zone=time_zone, building=Building(floors, 3.0, length_m,
                                                       plan.rows * WING_DEPTH_M),
                dcap=dcap, repeaters=tuple(rep_list), meters=tuple(meter_list),
                walls=tuple(walls), radio=radio, start_s=start_s, seed=seed,
                description=f"openamr site generate --meters {meters} --floors {floors} "
                            f"--seed {seed} --order {order}"
                            + (f" --household-load {household_load}"
                               if household_load != "synthetic" else ""))
    site, cov = _fill_gaps(site, plan, rounds=4 if repeaters is None else 0)
    return _power_up(site, cov, order, rng, repeater_gap_s, mdt_gap_s)


def _repeater(k: int, floor: int, block: int, offset_m: float, plan: _Plan) -> Repeater:
    return Repeater(id=f"REP-{k + 1:03d}",
                    x_m=round(plan.room_x_m(block) + DOOR_OFFSET_M + offset_m, 2),
                    y_m=plan.corridor_y_m(block), floor=floor)


def _fill_gaps(site: Site, plan: _Plan, rounds: int) -> tuple[Site, Coverage]:
    """Add repeaters outside meter rooms left without a usable link, and between isolated
    repeaters and the backbone; returns the site and its final coverage."""
    cov = coverage(site)
    for _ in range(rounds):
        reps = list(site.repeaters)
        places: set[tuple[int, int, float]] = set()
        for i in np.flatnonzero(cov.usable_relays == 0).tolist():
            m = site.meters[i]
            places.add((m.floor, plan.block_at(m.x_m, m.y_m), 0.0))
        for j in np.flatnonzero(cov.hops < 0).tolist():
            r = ([site.dcap, *site.repeaters])[j]
            # halfway back along its corridor, on the floor below
            block = plan.block_at(r.x_m, r.y_m)
            off = (r.x_m - plan.room_x_m(block) - DOOR_OFFSET_M) / 2.0
            places.add((max(r.floor - 1, 0), block, round(off, 2)))
        taken = {(r.floor, r.y_m, r.x_m) for r in reps}
        added = 0
        for f, b, off in sorted(places):
            new = _repeater(len(reps), f, b, off, plan)
            if (new.floor, new.y_m, new.x_m) in taken:
                new = dataclasses.replace(new, x_m=round(new.x_m + 6.0, 2))
            taken.add((new.floor, new.y_m, new.x_m))
            reps.append(new)
            added += 1
        if not added:
            break
        site = dataclasses.replace(site, repeaters=tuple(reps))
        cov = coverage(site)
    return site, cov


def _power_up(site: Site, cov: Coverage, order: str, rng: np.random.Generator,
              repeater_gap_s: float, mdt_gap_s: float) -> Site:
    """Assign ``power_on_s`` to every device following ``order``."""
    n_rep = len(site.repeaters)
    hops = np.where(cov.hops[1:] < 0, 10**6, cov.hops[1:])
    rep_order = np.lexsort((cov.relay_distance_m[1:], hops)) if n_rep else np.zeros(0, int)
    # MDTs by their best relay's place in the backbone order, then by id
    rank = np.empty(n_rep + 1, dtype=np.int64)
    rank[0] = -1
    rank[1 + rep_order] = np.arange(n_rep)
    mdt_rank = rank[np.maximum(cov.best_relay, 0)]
    mdt_order = np.lexsort((np.arange(len(site.meters)), mdt_rank))
    sequence: list[tuple[str, int]] = [("dcap", 0)]
    sequence += [("repeater", int(k)) for k in rep_order]
    sequence += [("meter", int(k)) for k in mdt_order]
    if order == "reverse":
        sequence.reverse()
    elif order == "random":
        perm = rng.permutation(len(sequence))
        sequence = [sequence[int(k)] for k in perm]
    times: dict[tuple[str, int], float] = {}
    t = 0.0
    previous: str | None = None
    for key in sequence:
        if previous is not None:
            t += mdt_gap_s if (key[0] == "meter" and previous == "meter") else repeater_gap_s
        times[key] = round(t, 3)
        previous = key[0]
    dcap = dataclasses.replace(site.dcap, power_on_s=times[("dcap", 0)])
    reps = tuple(dataclasses.replace(r, power_on_s=times[("repeater", k)])
                 for k, r in enumerate(site.repeaters))
    mets = tuple(dataclasses.replace(m, power_on_s=times[("meter", k)])
                 for k, m in enumerate(site.meters))
    return dataclasses.replace(site, dcap=dcap, repeaters=reps, meters=mets)
