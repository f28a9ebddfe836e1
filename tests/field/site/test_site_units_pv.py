"""The site file's ``[[units]]`` table and PV loads: parsed, written back, refused when wrong,
and the PV load is the clear-sky profile of ``openamr.field.solar``."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from openamr.field.loads import site_leg_power_w
from openamr.field.site import LoadKind, SiteError, SiteUnit, load_site, parse_site
from openamr.field.site.write import site_to_toml
from openamr.field.solar import PvArray, pv_ac_power_w

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "solar-building.toml"


def test_example_units_and_pv() -> None:
    site = load_site(EXAMPLE)
    assert site.units[0] == SiteUnit("101", "Apartment 101", "apartment", 62.0)
    assert [u.id for u in site.units] == ["101", "102", "201", "PV"]
    pv = site.device("M-PV")
    assert pv.load.kind is LoadKind.PV  # type: ignore[union-attr]
    assert (site.latitude_deg, site.longitude_deg) == (37.77, -122.42)
    # written back and read again: the same site
    again = parse_site(tomllib.loads(site_to_toml(site)), base_dir=EXAMPLE.parent)
    assert again.units == site.units
    assert again.device("M-PV") == pv
    assert again.latitude_deg == site.latitude_deg


def test_pv_load_is_the_clear_sky_profile_on_both_legs() -> None:
    site = load_site(EXAMPLE)
    assert site.start_s is not None
    legs = site_leg_power_w(site, 24 * 60, 60.0)
    i = [m.id for m in site.meters].index("M-PV")
    array = PvArray(6.0, 20.0, 180.0, 37.77, -122.42)
    expected = pv_ac_power_w(array, site.start_s + 30.0 + 60.0 * np.arange(24 * 60))
    np.testing.assert_allclose(legs[i, 0] + legs[i, 1], expected, rtol=1e-6)
    np.testing.assert_allclose(legs[i, 0], legs[i, 1])
    assert legs[i].min() == 0.0  # night
    # the households are untouched by the PV meter
    assert legs[0].sum() > 0


def _doc(**meter: object) -> dict[str, object]:
    base: dict[str, object] = {"id": "M-1", "x_m": 1.0, "y_m": 1.0, "floor": 0}
    return {"site": {"name": "S", "time_zone": "UTC"}, "building": {"floors": 1},
            "dcap": {"id": "D", "x_m": 0.0, "y_m": 0.0, "floor": 0},
            "meters": [{**base, **meter}]}


@pytest.mark.parametrize(("doc", "where", "message"), [
    (_doc(load="pv", pv_kwp=5), "meters[0].load", r"needs \[site\] latitude_deg"),
    (_doc(load="household", pv_kwp=5), "meters[0].pv_kwp", 'only allowed with load = "pv"'),
    (_doc(load="pv"), "meters[0].pv_kwp", "missing"),
    (_doc(load="pv", pv_kwp=5, load_scale_w=100), "meters[0].load_scale_w", "not allowed"),
    ({**_doc(), "units": [{"id": "A"}, {"id": "A"}]}, "units[1].id", "duplicate unit id"),
    ({**_doc(), "units": [{"id": "A", "floor_area_m2": 0}]}, "units[0].floor_area_m2",
     "must be positive"),
    ({**_doc(), "units": [{"id": "A", "size": 3}]}, "units[0].size", "unknown key"),
])
def test_refusals_name_the_key(doc: dict[str, object], where: str, message: str) -> None:
    with pytest.raises(SiteError, match=message) as info:
        parse_site(doc, file="s.toml")
    assert info.value.where == f"s.toml: {where}"


def test_pv_orientation_is_checked() -> None:
    doc = _doc(load="pv", pv_kwp=5, pv_tilt_deg=120)
    doc["site"] = {"name": "S", "time_zone": "UTC", "latitude_deg": 10, "longitude_deg": 20}
    with pytest.raises(SiteError, match="between 0 and 90") as info:
        parse_site(doc, file="s.toml")
    assert info.value.where == "s.toml: meters[0].pv_tilt_deg"
    doc["site"] = {"name": "S", "time_zone": "UTC", "latitude_deg": 100, "longitude_deg": 20}
    with pytest.raises(SiteError, match="at most 90"):
        parse_site(doc, file="s.toml")
