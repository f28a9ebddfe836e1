"""Meter.run end to end: profile → wiring → register rule → outputs, demand, LCD."""

from __future__ import annotations

import numpy as np
import pytest

from openamr.errors import InputError
from openamr.field.meter.catalogue import get_model
from openamr.field.meter.demand import DemandSettings
from openamr.field.meter.meter import Meter
from openamr.field.meter.profile import LoadProfile
from openamr.field.meter.wiring import Wiring

MODEL = get_model("6PSMT-C02")


def _meter(**kwargs: object) -> Meter:
    return Meter(MODEL, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("l1_w", "l2_w", "duration_s", "pulses"),
    [(200.0, 0.0, 3600.0, (20, 2, 0)), (500.0, 500.0, 3600.0, (100, 10, 1)),
     (1200.0, 1200.0, 900.0, (60, 6, 0)), (2400.0, 2400.0, 60.0, (8, 0, 0)),
     (12_000.0, 12_000.0, 3600.0, (2400, 240, 24)), (200.0, 0.0, 179.9, (0, 0, 0)),
     (100.0, 100.0, 180.0, (1, 0, 0))],
)
def test_pulse_vectors_through_the_meter(l1_w: float, l2_w: float, duration_s: float,
                                         pulses: tuple[int, int, int]) -> None:
    result = _meter().run(LoadProfile.constant(l1_w, l2_w), duration_s)
    assert result.pulses == dict(zip(("kh10", "kh100", "kh1000"), pulses, strict=True))


def test_led_vectors_through_the_meter() -> None:
    result = _meter().run(LoadProfile.constant(200.0), 90.0)
    assert result.led.toggle_times_s.tolist() == [90.0]  # LED-7
    assert result.led.on_at_end
    result = _meter().run(LoadProfile.constant(1200.0, 1200.0), 30.0)
    assert result.led.toggle_times_s.tolist() == [7.5, 15.0, 22.5, 30.0]  # LED-3


def test_register_instant_and_counter() -> None:
    result = _meter(counter_wh_per_count=1000.0).run(LoadProfile.constant(24_000.0, 24_000.0),
                                                    3600.0)
    assert result.register_wh == 48_000.0
    assert result.instant_power_w == 48_000.0
    assert result.counter_counts == 48
    assert _meter().run(LoadProfile.constant(24_000.0, 24_000.0), 3600.0).counter_counts == 480
    with pytest.raises(InputError, match="counter"):
        _meter(counter_wh_per_count=50.0)


def test_demand_start_up_through_the_meter() -> None:
    profile = LoadProfile.constant(1000.0, 1000.0)
    zero = _meter().run(profile, 300.0)
    assert zero.max_demand_w == pytest.approx(2000.0 / 3.0)
    assert zero.lcd.demand_kw == "0.667"
    available = _meter(demand_settings=DemandSettings(fill="available")).run(profile, 300.0)
    assert available.max_demand_w == 2000.0
    assert _meter().run(profile, 900.0).max_demand_w == 2000.0


def test_demand_24_h_rule_through_the_meter() -> None:
    day = 86_400.0
    profile = LoadProfile.from_steps([0.0, 3600.0, day, day + 3600.0],
                                     [3000.0, 500.0, 1000.0, 500.0], 0.0)
    assert _meter().run(profile, day - 1).max_demand_w == pytest.approx(3000.0)
    assert _meter().run(profile, 1.5 * day).max_demand_w == pytest.approx(3000.0)
    assert _meter().run(profile, 2 * day).max_demand_w == pytest.approx(1000.0)


def test_reverse_phase_and_register_rules() -> None:
    profile = LoadProfile.constant(1200.0, 1200.0)
    result = _meter(wiring=Wiring(ct1="reversed")).run(profile, 3600.0)
    assert result.reverse_phase == (True, False)
    assert result.element_power_w == (-1200.0, 1200.0)
    assert result.register_wh == 0.0  # net clamp (reference FLT-2)
    result = _meter(wiring=Wiring(ct1="reversed"), register_mode="element").run(profile, 3600.0)
    assert result.register_wh == 1200.0
    result = _meter(wiring=Wiring(ct1="L2", ct2="L1")).run(profile, 3600.0)
    assert result.reverse_phase == (True, True)  # CTs swapped (FLT-3)
    result = _meter(wiring=Wiring(v2="open")).run(profile, 3600.0)
    assert result.register_wh == 1200.0  # FLT-4: 50 %
    assert result.reverse_phase == (False, False)


def test_pf_05_reversed_ct() -> None:
    profile = LoadProfile.constant(600.0, 600.0, 0.5)
    result = _meter(wiring=Wiring(ct1="reversed")).run(profile, 3600.0)
    assert result.element_power_w[0] == pytest.approx(-600.0)
    assert result.reverse_phase == (True, False)


def test_network_and_single_services() -> None:
    result = _meter(service="network").run(LoadProfile.constant(1200.0, 1200.0), 3600.0)
    assert result.register_wh == pytest.approx(2400.0)
    result = _meter(service="single").run(LoadProfile.constant(1200.0, 1200.0), 3600.0)
    assert result.register_wh == 1200.0
    with pytest.raises(InputError, match="service"):
        _meter(service="delta")


def test_anti_creep_holds_everything() -> None:
    # 10 W per leg is below the no-load threshold: nothing registers, nothing toggles
    result = _meter().run(LoadProfile.constant(10.0, 10.0), 86_400.0)
    assert result.register_wh == 0.0
    assert result.led.toggle_times_s.size == 0
    assert not result.led.on_at_end


def test_profile_with_idle_gap() -> None:
    profile = LoadProfile.from_steps([0.0, 135.0, 3600.0], [200.0, 0.0, 200.0], 0.0)
    result = _meter().run(profile, 3600.0 + 45.0)
    toggles = result.led.toggle_times_s
    assert toggles.tolist() == [90.0, 3600.0 + 45.0]
    assert result.instant_power_w == 200.0


def test_json_dict_keys() -> None:
    data = _meter().run(LoadProfile.constant(200.0), 180.0).to_json_dict()
    for key in ("register_wh", "pulses", "counter_counts", "led_toggle_times_s", "max_demand_w",
                "instant_power_w", "reverse_phase", "lcd", "tamper_events", "element_power_w"):
        assert key in data
    assert data["pulses"] == {"kh10": 1, "kh100": 0, "kh1000": 0}
    assert data["led_toggle_times_s"] == [90.0, 180.0]
    capped = _meter().run(LoadProfile.constant(48_000.0), 3600.0).to_json_dict(max_led_toggles=5)
    assert capped["led_toggles"] == 9600
    assert len(capped["led_toggle_times_s"]) == 5
    assert capped["led_toggles_truncated"]


def test_negative_duration_refused() -> None:
    with pytest.raises(InputError, match="duration"):
        _meter().run(LoadProfile.constant(1.0), -1.0)


def test_long_profile_is_fast_enough_to_run() -> None:
    rng = np.random.default_rng(3)
    steps = 30 * 1440
    profile = LoadProfile.from_steps(np.arange(steps) * 60.0, rng.uniform(0, 3000, steps),
                                     rng.uniform(0, 3000, steps))
    result = _meter().run(profile, steps * 60.0)
    assert result.pulses["kh10"] == int(result.register_wh // 10)
    assert result.led.toggle_times_s.shape[0] == int(result.register_wh // 5)


def test_led6_load_drops_into_the_anti_creep_zone() -> None:
    # 200 W for 120 s (LED on since 90 s), then 8 W per leg (below the no-load threshold)
    profile = LoadProfile.from_steps([0.0, 120.0], [200.0, 8.0], [0.0, 8.0])
    result = _meter().run(profile, 86_400.0)
    assert result.led.toggle_times_s.tolist() == [90.0]
    assert result.led.on_at_end
    assert result.instant_power_w == 0.0


def test_crp3_starting_current_registers_crp4_half_does_not() -> None:
    # I_start = 0.2 A at 120 V, PF 1 on both legs = 48 W (reference §7.5)
    result = _meter().run(LoadProfile.constant(24.0, 24.0), 3000.0)
    assert result.led.rising_times_s.tolist() == [375.0, 1125.0, 1875.0, 2625.0]
    assert result.led.falling_times_s.tolist() == [750.0, 1500.0, 2250.0, 3000.0]
    result = _meter().run(LoadProfile.constant(12.0, 12.0), 86_400.0)
    assert result.register_wh == 0.0
    assert result.pulses["kh10"] == 0


def test_resource_guards() -> None:
    with pytest.raises(InputError, match="10 years"):
        _meter().run(LoadProfile.constant(1.0), 1e12)
    # 48 kW for a year: 84 M LED toggles; counted, but listed only with a cap
    result = _meter().run(LoadProfile.constant(48_000.0), 365 * 86_400.0)
    assert result.led.toggles == 48_000 * 365 * 24 // 5
    with pytest.raises(InputError, match="explicit cap"):
        result.to_json_dict()
    data = result.to_json_dict(max_led_toggles=2)
    assert data["led_toggle_times_s"] == [0.375, 0.75]
    assert data["led_toggles"] == result.led.toggles
