"""Propagation: the worked link budget of mesh.md §4.7, floors, walls, shadowing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.field.radio import (
    RadioParams,
    Walls,
    device_keys,
    floor_loss_db,
    path_loss_db,
    shadowing_db,
    walls_crossed_loss_db,
)

P = RadioParams()


@pytest.mark.parametrize(
    ("extra_loss_db", "exponent", "range_m"),
    [(0.0, 3.0, 408.0), (10.0, 3.0, 189.0), (20.0, 3.0, 88.0), (30.0, 3.0, 41.0),
     (0.0, 3.5, 173.0), (20.0, 3.5, 46.0)],
)
def test_worked_link_budget_of_mesh_md_4_7(extra_loss_db: float, exponent: float,
                                          range_m: float) -> None:
    # MDT +10 dBm, sensitivity -110 dBm: MAPL 120 dB, 10 dB fade margin kept aside
    params = dataclasses.replace(P, path_loss_exponent=exponent)
    budget_db = params.tx_power_dbm_mdt - params.sensitivity_dbm - 10.0
    loss = float(path_loss_db(range_m, params)[()]) + extra_loss_db
    # the table's ranges are rounded to the metre: 1 m at 41 m is 0.3 dB at n = 3.5
    assert loss == pytest.approx(budget_db, abs=0.35)


def test_path_loss_at_one_metre_and_clamped_below() -> None:
    assert path_loss_db([0.0, 0.5, 1.0], P).tolist() == pytest.approx([31.7, 31.7, 31.7])
    assert float(path_loss_db(10.0, P)[()]) == pytest.approx(61.7)


def test_path_loss_takes_arrays_and_scalars() -> None:
    d = np.array([[1.0, 10.0], [100.0, 1000.0]])
    out = path_loss_db(d, P)
    assert out.shape == (2, 2)
    assert out[1, 1] == pytest.approx(31.7 + 90.0)


def test_floor_loss_itu_p1238_shapes() -> None:
    assert floor_loss_db([0, 1, 2, -3], P).tolist() == [0.0, 4.0, 8.0, 12.0]
    office = dataclasses.replace(P, floor_loss_base_db=11.0, floor_loss_db=4.0)
    assert floor_loss_db([0, 1, 3], office).tolist() == [0.0, 15.0, 23.0]


def _walls() -> Walls:
    # floor 0: a vertical wall at x = 5 from y = 0 to 10, a 12 dB wall at x = 8
    # floor 1: a horizontal wall at y = 5
    return Walls.from_rows([(0, 5.0, 0.0, 5.0, 10.0, 5.0), (0, 8.0, 0.0, 8.0, 10.0, 12.0),
                            (1, 0.0, 5.0, 10.0, 5.0, 5.0)])


def test_wall_counting_geometry() -> None:
    w = _walls()
    ax = np.array([0.0, 0.0, 0.0, 0.0, 6.0, 0.0, 0.0, 0.0, 5.0])
    ay = np.array([5.0, 5.0, 12.0, 1.0, 5.0, 0.0, 4.0, 1.0, 5.0])
    bx = np.array([4.0, 10.0, 10.0, 9.0, 7.0, 10.0, 10.0, 4.0, 7.0])
    by = np.array([5.0, 5.0, 12.0, 9.0, 5.0, 10.0, 6.0, 9.0, 5.0])
    fa = np.array([0, 0, 0, 0, 0, 1, 0, 1, 0])
    fb = np.array([0, 0, 0, 0, 0, 1, 1, 1, 0])
    got = walls_crossed_loss_db(ax, ay, fa, bx, by, fb, w).tolist()
    assert got == [
        0.0,    # short of the wall
        17.0,   # both walls of floor 0
        0.0,    # passes beyond the walls' ends
        17.0,   # diagonal through both
        0.0,    # between the walls
        5.0,    # floor 1: the diagonal crosses y = 5
        22.0,   # floor 0 -> 1: the walls of both end floors
        5.0,    # floor 1: vertical link crosses y = 5
        0.0,    # starts on the wall: touching is not crossing
    ]


def test_wall_counting_is_symmetric_and_scalar() -> None:
    w = _walls()
    there = walls_crossed_loss_db(0.0, 1.0, 0, 9.0, 9.0, 1, w)
    back = walls_crossed_loss_db(9.0, 9.0, 1, 0.0, 1.0, 0, w)
    assert there.tolist() == back.tolist() == [22.0]


def test_wall_counting_many_pairs_matches_a_loop() -> None:
    rng = np.random.default_rng(3)
    rows = [(int(rng.integers(0, 2)), *rng.uniform(0, 50, 4).tolist(), 5.0) for _ in range(30)]
    w = Walls.from_rows(rows)
    n = 500
    ax, ay, bx, by = (rng.uniform(0, 50, n) for _ in range(4))
    fa, fb = rng.integers(0, 2, n), rng.integers(0, 2, n)
    got = walls_crossed_loss_db(ax, ay, fa, bx, by, fb, w)

    def cross(ox: float, oy: float, px: float, py: float, qx: float, qy: float) -> float:
        return (px - ox) * (qy - oy) - (py - oy) * (qx - ox)

    for i in range(n):
        want = 0.0
        for f, x1, y1, x2, y2, loss in rows:
            if f not in (fa[i], fb[i]):
                continue
            d1 = cross(x1, y1, x2, y2, ax[i], ay[i])
            d2 = cross(x1, y1, x2, y2, bx[i], by[i])
            d3 = cross(ax[i], ay[i], bx[i], by[i], x1, y1)
            d4 = cross(ax[i], ay[i], bx[i], by[i], x2, y2)
            if d1 * d2 < 0 and d3 * d4 < 0:
                want += loss
        assert got[i] == pytest.approx(want), i


def test_shadowing_is_symmetric_deterministic_and_seeded() -> None:
    keys = device_keys([f"M-{i:04d}" for i in range(400)])
    a, b = keys[:200], keys[200:]
    one = shadowing_db(a, b, 8.0, seed=1)
    assert np.array_equal(one, shadowing_db(b, a, 8.0, seed=1))
    assert np.array_equal(one, shadowing_db(a, b, 8.0, seed=1))
    assert not np.array_equal(one, shadowing_db(a, b, 8.0, seed=2))


def test_shadowing_has_the_asked_spread() -> None:
    keys = device_keys([f"n{i}" for i in range(40_000)])
    s = shadowing_db(keys[:20_000], keys[20_000:], 8.0, seed=5)
    assert abs(float(s.mean())) < 0.2
    assert float(s.std()) == pytest.approx(8.0, rel=0.03)


@given(st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=12),
       st.integers(min_value=0, max_value=2**31))
def test_shadowing_symmetric_for_any_ids(id_a: str, id_b: str, seed: int) -> None:
    ka, kb = device_keys([id_a]), device_keys([id_b])
    assert shadowing_db(ka, kb, 8.0, seed).tolist() == shadowing_db(kb, ka, 8.0, seed).tolist()


def test_radio_params_refuse_bad_values() -> None:
    with pytest.raises(InputError, match=r"radio\.path_loss_exponent"):
        RadioParams(path_loss_exponent=0.0)
    with pytest.raises(InputError, match="allowed: frequency_mhz"):
        P.with_overrides({"pathloss": 3.0})
    with pytest.raises(InputError, match='expected a number, got "ten"'):
        P.with_overrides({"wall_loss_db": "ten"})
    assert P.with_overrides({"wall_loss_db": 7}).wall_loss_db == 7.0


def _brute_force_db(ax: np.ndarray, ay: np.ndarray, fa: np.ndarray, bx: np.ndarray,
                    by: np.ndarray, fb: np.ndarray,
                    rows: list[tuple[int, float, float, float, float, float]]) -> np.ndarray:
    def cross(ox: float, oy: float, px: float, py: float, qx: float, qy: float) -> float:
        return (px - ox) * (qy - oy) - (py - oy) * (qx - ox)

    out = np.zeros(ax.shape[0])
    for i in range(ax.shape[0]):
        for f, x1, y1, x2, y2, loss in rows:
            if f not in (fa[i], fb[i]):
                continue
            d1 = cross(x1, y1, x2, y2, ax[i], ay[i])
            d2 = cross(x1, y1, x2, y2, bx[i], by[i])
            d3 = cross(ax[i], ay[i], bx[i], by[i], x1, y1)
            d4 = cross(ax[i], ay[i], bx[i], by[i], x2, y2)
            if d1 * d2 < 0 and d3 * d4 < 0:
                out[i] += loss
    return out


def test_long_axis_aligned_walls_take_the_fast_path_and_agree() -> None:
    rng = np.random.default_rng(11)
    rows: list[tuple[int, float, float, float, float, float]] = []
    for f in range(2):
        for y in (10.0, 12.0, 22.0, 32.0, 34.0):          # corridor walls spanning the floor
            rows.append((f, 0.0, y, 100.0, y, float(rng.integers(3, 9))))
        for x in (50.0,):                                   # a full-depth fire wall
            rows.append((f, x, 0.0, x, 44.0, 10.0))
        for _ in range(12):                                 # short partitions
            x, y = rng.uniform(5, 95), rng.uniform(0, 40)
            rows.append((f, x, y, x, y + 4.0, 5.0))
    w = Walls.from_rows(rows)
    n = 400
    # integer-and-a-half coordinates never sit exactly on a wall line
    ax, bx = rng.integers(1, 99, n) + 0.5, rng.integers(1, 99, n) + 0.5
    ay, by = rng.integers(1, 43, n) + 0.5, rng.integers(1, 43, n) + 0.5
    fa, fb = rng.integers(0, 2, n), rng.integers(0, 2, n)
    got = walls_crossed_loss_db(ax, ay, fa, bx, by, fb, w)
    assert got == pytest.approx(_brute_force_db(ax, ay, fa, bx, by, fb, rows))
    # a link outside the long walls' span falls back to the exact test
    out = walls_crossed_loss_db([-5.0], [5.0], [0], [60.0], [40.0], [0], w)
    assert out == pytest.approx(_brute_force_db(np.array([-5.0]), np.array([5.0]),
                                                np.array([0]), np.array([60.0]),
                                                np.array([40.0]), np.array([0]), rows))


def test_give_up_is_exact_below_the_budget() -> None:
    rows = [(0, float(x), -10.0, float(x), 10.0, 5.0) for x in range(1, 20)]
    w = Walls.from_rows(rows)
    ax = np.zeros(3)
    bx = np.array([2.5, 6.5, 19.5])
    zeros = np.zeros(3)
    full = walls_crossed_loss_db(ax, zeros, [0, 0, 0], bx, zeros, [0, 0, 0], w)
    assert full.tolist() == [10.0, 30.0, 95.0]
    cut = walls_crossed_loss_db(ax, zeros, [0, 0, 0], bx, zeros, [0, 0, 0], w,
                                give_up_db=20.0)
    assert cut[0] == 10.0
    assert (cut[1:] >= 20.0).all()
