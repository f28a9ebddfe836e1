"""Synthetic and CSV load profiles (openamr.field.loads)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.field.loads import (
    csv_leg_power_w,
    site_leg_power_w,
    synthetic_leg_power_w,
    synthetic_power_w,
)
from openamr.field.meter.profile import LoadProfile
from openamr.field.site import load_site

MONDAY_UTC = 1772409600          # 2026-03-02T00:00:00Z, a Monday
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "small-building.toml"
IDS = [f"M-{i:04d}" for i in range(400)]


def _day(kind: str, n: int = 400, days: int = 1, start_s: int = MONDAY_UTC,
         zone: str = "UTC") -> np.ndarray:
    return synthetic_power_w([kind] * n, 800.0 if kind == "household" else 3000.0,
                             1440 * days, 60, start_s, seed=3, meter_ids=IDS[:n],
                             time_zone=zone)


def test_shape_dtype_and_non_negative() -> None:
    p = synthetic_power_w(["household", "commercial"], [800.0, 3000.0], 96, 900, MONDAY_UTC)
    assert p.shape == (2, 96)
    assert p.dtype == np.float32
    legs = synthetic_leg_power_w(["household"], 800.0, 96, 900, MONDAY_UTC, dtype=np.float64)
    assert legs.shape == (1, 2, 96)
    assert legs.dtype == np.float64
    assert (p >= 0).all()
    assert (legs >= 0).all()


def test_legs_add_up_to_the_total() -> None:
    kinds, scales = ["household", "commercial"] * 3, [700.0, 2500.0] * 3
    legs = synthetic_leg_power_w(kinds, scales, 1440, 60, MONDAY_UTC, seed=1, dtype=np.float64)
    total = synthetic_power_w(kinds, scales, 1440, 60, MONDAY_UTC, seed=1, dtype=np.float64)
    assert np.allclose(legs.sum(axis=1), total, rtol=1e-5)
    share = legs[:, 0, :].sum(axis=1) / legs.sum(axis=(1, 2))
    assert ((share > 0.25) & (share < 0.75)).all()


def test_deterministic_per_meter_id_whatever_the_batch() -> None:
    many = synthetic_power_w(["household"] * 5, 800.0, 240, 60, MONDAY_UTC, seed=2,
                             meter_ids=["a", "b", "c", "d", "e"])
    alone = synthetic_power_w(["household"], 800.0, 240, 60, MONDAY_UTC, seed=2, meter_ids=["c"])
    assert np.array_equal(many[2], alone[0])
    other_seed = synthetic_power_w(["household"], 800.0, 240, 60, MONDAY_UTC, seed=3,
                                   meter_ids=["c"])
    assert not np.array_equal(alone, other_seed)


def test_a_day_is_the_same_whatever_the_window() -> None:
    two_days = _day("household", n=20, days=2)
    second = _day("household", n=20, days=1, start_s=MONDAY_UTC + 86_400)
    assert np.allclose(two_days[:, 1440:], second, rtol=1e-6)


def test_household_shape() -> None:
    p = _day("household")
    hourly = p.reshape(400, 24, 60).mean(axis=(0, 2))
    assert float(p.mean()) == pytest.approx(800.0, rel=0.12)
    assert hourly[19] > 1.5 * hourly[13]
    assert hourly[7] > 1.5 * hourly[3]
    assert 100.0 <= hourly[3] <= 350.0                                      # base at night
    night_min = p[:, 120:240].min(axis=1)
    assert (night_min > 50.0).all()
    assert p.max() > 1500.0                                                 # appliance spikes


def test_commercial_shape_weekday_and_weekend() -> None:
    week = _day("commercial", n=100, days=7)                               # Monday … Sunday
    daily = week.reshape(100, 7, 1440).mean(axis=(0, 2))
    assert float(week[:, :1440].mean()) == pytest.approx(3000.0, rel=0.1)
    assert daily[5] < 0.7 * daily[0]
    assert daily[6] < 0.7 * daily[2]
    hourly = week[:, :1440].reshape(100, 24, 60).mean(axis=(0, 2))
    assert hourly[11] > 2.0 * hourly[2]


def test_local_time_moves_the_shape() -> None:
    utc = _day("household", n=200).reshape(200, 24, 60).mean(axis=(0, 2))
    la = _day("household", n=200, zone="America/Los_Angeles").reshape(200, 24, 60).mean(
        axis=(0, 2))
    # 19:00 PST is 03:00 UTC: the evening peak moves by 8 hours
    assert int(np.argmax(utc)) in (18, 19, 20)
    assert int(np.argmax(la)) in (2, 3, 4)


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="unknown synthetic load kind"):
        synthetic_power_w(["factory"], 1.0, 10, 60, 0)
    with pytest.raises(InputError) as info:
        synthetic_power_w(["household"], -1.0, 10, 60, 0)
    assert info.value.where == "scales_w"
    with pytest.raises(InputError):
        synthetic_power_w(["household"], 1.0, 10, 0, 0)
    with pytest.raises(InputError):
        synthetic_power_w(["household"], 1.0, 10, 60, 0, meter_ids=["a", "b"])
    with pytest.raises(InputError, match="unknown time zone"):
        synthetic_power_w(["household"], 1.0, 10, 60, 0, time_zone="Nowhere/Land")


def test_csv_profile_is_averaged_over_each_step() -> None:
    profile = LoadProfile.from_steps([30.0, 90.0], [600.0, 0.0], [300.0, 120.0])
    legs = csv_leg_power_w(profile, 3, 60.0)
    # step 0: zero before t = 30, then 600 W for 30 s
    assert legs[0].tolist() == pytest.approx([300.0, 300.0, 0.0])
    assert legs[1].tolist() == pytest.approx([150.0, 210.0, 120.0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 600), st.floats(0, 5000), st.floats(0, 5000)),
                min_size=1, max_size=8),
       st.sampled_from([1.0, 7.0, 60.0, 900.0]))
def test_csv_resampling_conserves_energy(rows: list[tuple[int, float, float]],
                                         step_s: float) -> None:
    t = np.cumsum([r[0] for r in rows]).astype(float)
    profile = LoadProfile.from_steps(t, [r[1] for r in rows], [r[2] for r in rows])
    n = int(np.ceil((t[-1] + 300.0) / step_s))
    legs = csv_leg_power_w(profile, n, step_s)
    end = n * step_s
    bounds = np.append(t, end)
    want = [float(np.sum(np.asarray(w) * np.diff(bounds))) for w in (profile.l1_w, profile.l2_w)]
    got = (legs.sum(axis=1) * step_s).tolist()
    assert got == pytest.approx(want, rel=1e-9, abs=1e-6)


def test_site_loads_with_csv_and_a_single_element_meter(tmp_path: Path) -> None:
    site = load_site(EXAMPLE)
    legs = site_leg_power_w(site, 96, 900)
    assert legs.shape == (8, 2, 96)
    assert (legs[7, 1] == 0).all()
    assert legs[7, 0].sum() > 0
    assert legs[2].sum() / 96 == pytest.approx(2500.0, rel=0.25)  # the shop
    (tmp_path / "p.csv").write_text("t_s,l1_w,l2_w\n0,100,200\n")
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'load = "household"\nload_scale_w = 700', 'load_csv = "p.csv"')
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    legs = site_leg_power_w(load_site(path), 4, 900, dtype=np.float64)
    assert legs[0].tolist() == [[100.0] * 4, [200.0] * 4]


@pytest.mark.parametrize("zone", ["America/Sao_Paulo", "America/Havana", "Europe/London"])
def test_zones_that_change_at_midnight(zone: str) -> None:
    # 2018-02-17 00:00 (Sao Paulo) fell back to 2018-02-16 23:00: a local day repeats
    start_s = 1518822000 - 86_400
    p = synthetic_power_w(["household", "commercial"], [800.0, 3000.0], 3 * 96, 900, start_s,
                          seed=1, meter_ids=["a", "b"], time_zone=zone)
    assert p.shape == (2, 288)
    assert np.isfinite(p).all()
    assert (p >= 0).all()
    again = synthetic_power_w(["household"], [800.0], 3 * 96, 900, start_s, seed=1,
                              meter_ids=["a"], time_zone=zone)
    assert np.array_equal(again[0], p[0])


def test_the_evening_peak_stays_at_local_19h_across_dst() -> None:
    from openamr.timeutil import site_zone, utc_offsets_s

    zone = "America/Los_Angeles"
    start_s = 1772611200            # 2026-03-04T08:00Z: Wednesday 00:00 PST; DST on 2026-03-08
    n = 8 * 1440
    p = synthetic_power_w(["household"] * 300, 800.0, n, 60, start_s, seed=4,
                          meter_ids=IDS[:300], time_zone=zone).mean(axis=0)
    t = start_s + 60 * np.arange(n, dtype=np.int64)
    offsets = utc_offsets_s(t, site_zone(zone))
    local_hour = ((t + offsets) % 86_400) // 3600
    for days in (slice(0, 3 * 1440), slice(5 * 1440, 8 * 1440)):      # before, after
        hourly = np.bincount(local_hour[days], weights=p[days], minlength=24)
        assert int(np.argmax(hourly)) in (18, 19, 20)
    assert set(offsets.tolist()) == {-8 * 3600, -7 * 3600}
