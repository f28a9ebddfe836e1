"""Site-file keys for what happens to a building and what a meter carries: [[faults]],
[[presses]], clock_drift_ppm, and several loads on one meter ([[meters.loads]])."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openamr.field.loads import site_leg_power_w, synthetic_leg_power_w
from openamr.field.site import SiteError, load_site, site_to_toml

BASE = """\
[site]
name = "t"
time_zone = "UTC"
start_utc = "2026-01-05T00:00:00Z"

[building]
floors = 1

[dcap]
id = "D"
x_m = 0
y_m = 0
floor = 0

[[meters]]
id = "M1"
x_m = 5
y_m = 1
floor = 0
clock_drift_ppm = 35.5

[[meters.loads]]
element = 1
load = "household"
load_scale_w = 600

[[meters.loads]]
element = 1
load = "csv"
load_csv = "pump.csv"

[[meters.loads]]
element = 2
load = "commercial"
load_scale_w = 2000

[[meters]]
id = "M2"
x_m = 6
y_m = 1
floor = 0
ct_ratio_error_pct = -0.4
ct_phase_error_deg = 0.25

[[faults]]
meter = "M2"
ct1 = "reversed"

[[faults]]
meter = "M2"
start_s = 3600
v2 = "open"

[[presses]]
mdt = "M2"
start_s = 120
kind = "hold"
"""


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pump.csv").write_text("t_s,l1_w,l2_w\n0,400,400\n", encoding="utf-8")
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_keys_load_and_round_trip(tmp_path: Path) -> None:
    site = load_site(_write(tmp_path, BASE))
    m1, m2 = site.meters
    assert m1.clock_drift_ppm == 35.5
    assert (m2.ct_ratio_error_pct, m2.ct_phase_error_deg) == (-0.4, 0.25)
    assert (m1.ct_ratio_error_pct, m1.ct_phase_error_deg) == (0.0, 0.0)
    assert [(e.element, e.load.kind.value) for e in m1.loads] == [
        (1, "household"), (1, "csv"), (2, "commercial")]
    assert [(f.meter, f.start_s, f.ct1, f.v2) for f in site.faults] == [
        ("M2", 0.0, "reversed", "connected"), ("M2", 3600.0, "normal", "open")]
    assert [(p.mdt, p.start_s, p.kind) for p in site.presses] == [("M2", 120.0, "hold")]
    again = load_site(_write(tmp_path, site_to_toml(site, tmp_path)))
    assert again.meters == site.meters
    assert (again.faults, again.presses) == (site.faults, site.presses)


def test_several_loads_on_one_meter_add_up_on_their_elements(tmp_path: Path) -> None:
    site = load_site(_write(tmp_path, BASE))
    legs = site_leg_power_w(site, 288, 300.0, dtype=np.float64)
    m1 = legs[0]
    # element 1's CT carries the household load's two legs and the pump's 800 W
    assert site.start_s is not None
    household = synthetic_leg_power_w(["household"], [600.0], 288, 300.0, site.start_s,
                                      site.seed, meter_ids=["M1/0"], time_zone="UTC",
                                      dtype=np.float64)[0].sum(axis=0)
    assert np.allclose(m1[0], household + 800.0)
    commercial = synthetic_leg_power_w(["commercial"], [2000.0], 288, 300.0, site.start_s,
                                       site.seed, meter_ids=["M1/2"], time_zone="UTC",
                                       dtype=np.float64)[0].sum(axis=0)
    assert np.allclose(m1[1], commercial)  # the commercial load alone on element 2


@pytest.mark.parametrize(("old", "new", "where"), [
    ('ct1 = "reversed"', 'ct1 = "backwards"', "faults[0].ct1"),
    ('kind = "hold"', 'kind = "long"', "presses[0].kind"),
    ('mdt = "M2"', 'mdt = "D"', "presses[0].mdt"),
    ("element = 2", "element = 3", "meters[0].loads[2].element"),
    ("clock_drift_ppm = 35.5", "clock_drift_ppm = 900", "meters[0].clock_drift_ppm"),
    ("ct_ratio_error_pct = -0.4", "ct_ratio_error_pct = -60", "meters[1].ct_ratio_error_pct"),
    ('meter = "M2"\nstart_s = 3600\nv2 = "open"', 'meter = "M2"\nstart_s = 3600',
     "faults[1].ct1"),
])
def test_bad_keys_are_refused_with_where(tmp_path: Path, old: str, new: str, where: str) -> None:
    assert old in BASE
    with pytest.raises(SiteError) as err:
        load_site(_write(tmp_path, BASE.replace(old, new, 1)))
    assert where in (err.value.where or "")


def test_a_meter_with_loads_takes_no_load_key(tmp_path: Path) -> None:
    text = BASE.replace("clock_drift_ppm = 35.5\n", 'clock_drift_ppm = 35.5\nload = "household"\n')
    with pytest.raises(SiteError, match=r"meters\.loads"):
        load_site(_write(tmp_path, text))
