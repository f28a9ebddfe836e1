"""Catalogue: the four kits of the manual's Table 1 and their ratings."""

from __future__ import annotations

import dataclasses

import pytest

from openamr.errors import InputError
from openamr.field.meter.catalogue import CATALOGUE_NUMBERS, MeterModel, Service, get_model


def test_four_kits_exactly() -> None:
    assert CATALOGUE_NUMBERS == ("6PSMT-C02", "MMSMT-C02", "MMSMT-D02", "MMSMT-E02")
    mdts = [get_model(n).mdt for n in CATALOGUE_NUMBERS]
    assert mdts == ["none", "tou", "tou+temperature", "tou+temperature-1pct-delta"]
    for name in CATALOGUE_NUMBERS:
        m = get_model(name)
        assert m.catalogue_number == name
        assert m.has_lcd
        assert m.pulse_outputs_wh == (10, 100, 1000)
        assert m.counter_supply_12v is name.startswith("MMS")
        assert m.has_mdt is (name != "6PSMT-C02")


def test_ratings() -> None:
    m200 = get_model("MMSMT-C02")
    assert (m200.rated_current_a, m200.max_primary_current_a) == (200.0, 220.0)
    assert (m200.ct_secondary_a, m200.max_ct_secondary_a) == (0.2, 0.22)
    assert m200.ct_part_numbers == ("CDA02-K12", "CDA02-R12")
    assert m200.ct_ratio == pytest.approx(1000.0)
    m100 = get_model("MMSMT-C02", rating_a=100)
    assert (m100.rated_current_a, m100.max_primary_current_a) == (100.0, 110.0)
    assert (m100.ct_secondary_a, m100.max_ct_secondary_a) == (0.1, 0.11)


def test_shared_specifications() -> None:
    m = get_model("6PSMT-C02")
    assert (m.supply_min_v, m.supply_max_v) == (102.0, 138.0)
    assert (m.frequency_min_hz, m.frequency_max_hz) == (50.0, 60.0)
    assert m.pf_min == 0.5
    assert (m.accuracy_pf1_pct, m.accuracy_pf05_pct) == (0.5, 0.75)
    assert (m.accuracy_min_current_a, m.accuracy_max_current_a) == (2.0, 200.0)
    assert m.max_input_power_va == 8.0
    assert m.counter_wh_per_count == (100, 1000)
    assert Service.SPLIT in m.services
    assert Service.SINGLE in m.services


def test_frozen() -> None:
    m = get_model("6PSMT-C02")
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.rated_current_a = 5.0  # type: ignore[misc]
    assert isinstance(m, MeterModel)


@pytest.mark.parametrize("name", ["mmsmt-c02", "MMSMT-F02", "", "6PSMT"])
def test_unknown_model_lists_known(name: str) -> None:
    with pytest.raises(InputError) as err:
        get_model(name)
    for known in CATALOGUE_NUMBERS:
        assert known in str(err.value)


def test_unknown_rating() -> None:
    with pytest.raises(InputError, match="rating"):
        get_model("6PSMT-C02", rating_a=150)


def test_service_angles() -> None:
    assert Service.SPLIT.leg_angles_deg == (0.0, 180.0)
    assert Service.NETWORK.leg_angles_deg == (0.0, -120.0)
    assert Service.NETWORK_AC.leg_angles_deg == (0.0, 120.0)
    assert Service.SINGLE.leg_angles_deg == (0.0, None)
    assert Service.SINGLE.elements == 1
    assert Service.SPLIT.elements == 2
    assert abs(Service.SPLIT.leg_phasor(2) + 120) < 1e-9
    assert Service.SINGLE.leg_phasor(2) == 0j
    assert Service.parse(" Split ") is Service.SPLIT
    with pytest.raises(InputError, match="known"):
        Service.parse("delta")
