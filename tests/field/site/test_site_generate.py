"""The generator: deterministic, covered with its own radio, in the manual's power-up order."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.field.radio import Placement
from openamr.field.site import LoadKind, load_site, parse_site, site_to_dict, site_to_toml
from openamr.field.site.check import check_site, coverage
from openamr.field.site.generate import generate_site


def test_deterministic_for_a_seed() -> None:
    one = site_to_toml(generate_site(120, 3, seed=4))
    assert one == site_to_toml(generate_site(120, 3, seed=4))
    assert one != site_to_toml(generate_site(120, 3, seed=5))


def test_counts_and_default_repeater_ratio() -> None:
    site = generate_site(260, 4, seed=1)
    assert len(site.meters) == 260
    assert len(site.repeaters) >= math.ceil(260 / 25)
    assert len({m.id for m in site.meters}) == 260
    assert {m.floor for m in site.meters} == {0, 1, 2, 3}
    assert all(m.model.startswith("MMSMT") for m in site.meters)
    assert site.dcap.floor == 0
    # an explicit repeater count is kept
    assert len(generate_site(260, 4, 3, seed=1).repeaters) == 3


def test_every_mdt_has_a_usable_link_and_the_backbone_reaches_the_dcap() -> None:
    site = generate_site(600, 6, seed=2)
    cov = coverage(site)
    assert (cov.usable_relays > 0).all()
    assert (cov.best_margin_db >= site.radio.usable_margin_db).all()
    assert (cov.hops >= 0).all()
    assert not [f for f in check_site(site, cov) if f.severity == "error"]


def test_meters_cluster_in_meter_rooms_with_some_near_the_panel() -> None:
    site = generate_site(300, 2, seed=3)
    rooms = {(m.floor, round(m.x_m // 5), round(m.y_m // 5)) for m in site.meters}
    assert len(rooms) < len(site.meters) / 10
    near = sum(m.placement is Placement.NEAR_METAL for m in site.meters)
    assert 0.1 < near / len(site.meters) < 0.4
    kinds = {m.load.kind for m in site.meters}
    assert kinds == {LoadKind.HOUSEHOLD, LoadKind.COMMERCIAL}
    # commercial units sit on the lowest floor
    assert all(m.floor == 0 for m in site.meters if m.load.kind is LoadKind.COMMERCIAL)


def test_manual_power_up_order() -> None:
    site = generate_site(200, 4, seed=6)
    cov = coverage(site)
    relays = [site.dcap, *site.repeaters]
    assert site.dcap.power_on_s == 0.0
    assert all(d.power_on_s > 0 for d in site.devices[1:])
    # each repeater after the relay that links it to the backbone
    for j in range(1, len(relays)):
        parent = int(cov.backbone_parent[j])
        assert relays[parent].power_on_s < relays[j].power_on_s
    # MDTs after the whole backbone
    assert min(m.power_on_s for m in site.meters) > max(r.power_on_s for r in site.repeaters)
    assert not [f for f in check_site(site, cov) if f.code.startswith("order.")]


def test_reverse_and_random_orders_replay_the_wrong_order() -> None:
    rev = generate_site(200, 4, seed=6, order="reverse")
    codes = {f.code for f in check_site(rev)}
    assert {"order.dcap_not_first", "order.repeater_early", "order.mdt_before_backbone"} <= codes
    assert max(d.power_on_s for d in rev.devices) == rev.dcap.power_on_s
    rnd = generate_site(200, 4, seed=6, order="random")
    assert rnd.power_on_order() != generate_site(200, 4, seed=6).power_on_order()
    assert rnd.power_on_order() == generate_site(200, 4, seed=6, order="random").power_on_order()


def test_metal_boxes_on_request() -> None:
    site = generate_site(100, 2, seed=1, metal_box_ratio=0.5, near_metal_ratio=0.0)
    boxed = sum(m.placement is Placement.METAL_BOX for m in site.meters)
    assert 30 < boxed < 70
    assert "site.placement.metal_box" in {f.code for f in check_site(site)}


@pytest.mark.parametrize(("kwargs", "where"), [
    ({"meters": 0, "floors": 1}, "--meters"),
    ({"meters": 5, "floors": 0}, "--floors"),
    ({"meters": 5, "floors": 1, "repeaters": -1}, "--repeaters"),
    ({"meters": 5, "floors": 1, "order": "sideways"}, "--order"),
    ({"meters": 5, "floors": 1, "commercial_ratio": 1.5}, "commercial_ratio"),
    ({"meters": 5, "floors": 1, "start_utc": "yesterday"}, "start_utc"),
])
def test_bad_arguments(kwargs: dict[str, object], where: str) -> None:
    with pytest.raises(InputError) as info:
        generate_site(**kwargs)  # type: ignore[arg-type]
    assert info.value.where == where


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=1, max_value=150), st.integers(min_value=1, max_value=6),
       st.integers(min_value=0, max_value=2**16), st.sampled_from(["manual", "reverse", "random"]))
def test_generated_sites_round_trip_through_toml(meters: int, floors: int, seed: int,
                                                 order: str) -> None:
    site = generate_site(meters, floors, seed=seed, order=order,  # type: ignore[arg-type]
                         start_utc="2026-06-01T07:00:00Z")
    text = site_to_toml(site)
    again = parse_site(tomllib.loads(text))
    assert site_to_dict(again) == site_to_dict(site)
    assert len(again.meters) == meters
    assert (coverage(again).usable_relays > 0).all()


def test_write_and_load_back(tmp_path: Path) -> None:
    from openamr.field.site import write_site

    site = generate_site(40, 2, seed=9)
    path = write_site(site, tmp_path / "g.toml")
    back = load_site(path)
    assert site_to_dict(back) == site_to_dict(site)
    assert back.source == path


@pytest.mark.slow
def test_ten_thousand_meters() -> None:
    site = generate_site(10_000, 20, seed=0)
    assert len(site.meters) == 10_000
    assert len(site.repeaters) >= 400
    cov = coverage(site)
    assert (cov.usable_relays > 0).all()
    assert (cov.hops >= 0).all()
