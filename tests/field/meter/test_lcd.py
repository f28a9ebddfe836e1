"""The LCD: register, demand, instantaneous power, reverse phase, serial at boot, off unpowered."""

from __future__ import annotations

import numpy as np

from openamr.field.meter.catalogue import get_model
from openamr.field.meter.lcd import BOOT_S, LcdReading, reverse_phase_flags, screen_at
from openamr.field.meter.meter import Meter
from openamr.field.meter.profile import LoadProfile
from openamr.field.meter.wiring import Wiring


def test_reading_strings() -> None:
    lcd = LcdReading.show(on=True, serial="MM123", register_wh=2400.0, max_demand_w=2000.0,
                          instant_power_w=2400.0, reverse_phase=(False, True))
    assert lcd.to_dict() == {"on": True, "serial": "MM123", "total_kwh": "2.400",
                             "demand_kw": "2.000", "instant_kw": "2.400",
                             "reverse_phase": [False, True]}


def test_unpowered_lcd_shows_nothing() -> None:
    lcd = LcdReading.show(on=False, serial="MM123", register_wh=1.0, max_demand_w=0.0,
                          instant_power_w=0.0, reverse_phase=(False, False))
    assert lcd.to_dict() == {"on": False, "serial": None, "total_kwh": None, "demand_kw": None,
                             "instant_kw": None, "reverse_phase": None}
    assert screen_at(0.0, on=False) is None


def test_serial_number_at_boot_then_cycle() -> None:
    assert screen_at(0.0) == "serial"
    assert screen_at(BOOT_S - 0.1) == "serial"
    shown = {screen_at(BOOT_S + k * 5.0) for k in range(3)}
    assert shown == {"total_kwh", "demand_kw", "instant_kw"}


def test_reverse_phase_rule() -> None:
    # negative power with current above the starting current: on
    assert reverse_phase_flags(-1200.0, 10.0, 0.2, 18.0)
    # negative but the current is below the starting current: off
    assert not reverse_phase_flags(-12.0, 0.1, 0.2, 18.0)
    # current above the starting current but |P| in the anti-creep zone (low PF): off
    assert not reverse_phase_flags(-12.0, 0.2, 0.2, 18.0)
    # no voltage: off
    assert not reverse_phase_flags(0.0, 10.0, 0.2, 18.0, voltage_v=0.0)
    # load removed after a reversed period: the indication holds
    assert reverse_phase_flags(np.array([-1200.0, 0.0]), np.array([10.0, 0.0]), 0.2, 18.0)
    # reversed then correct: off
    assert not reverse_phase_flags(np.array([-1200.0, 1200.0]), np.array([10.0, 10.0]), 0.2)


def test_reverse_phase_threshold_through_the_meter() -> None:
    # CT1 reversed but only 12 W (0.1 A) on leg 1: below the starting current, no indication
    meter = Meter(get_model("6PSMT-C02"), wiring=Wiring(ct1="reversed"))
    result = meter.run(LoadProfile.constant(12.0, 1200.0), 600.0)
    assert result.reverse_phase == (False, False)
    result = meter.run(LoadProfile.constant(600.0, 1200.0), 600.0)
    assert result.reverse_phase == (True, False)


def test_meter_lcd_with_ct1_reversed() -> None:
    meter = Meter(get_model("6PSMT-C02"), wiring=Wiring(ct1="reversed"), serial="SN42")
    result = meter.run(LoadProfile.constant(1200.0, 1200.0), 3600.0)
    assert result.reverse_phase == (True, False)
    assert result.lcd.reverse_phase == (True, False)
    assert result.lcd.serial == "SN42"
    assert result.lcd.total_kwh == "0.000"


def test_lcd_off_below_operating_voltage() -> None:
    meter = Meter(get_model("6PSMT-C02"), voltage_v=60.0)
    result = meter.run(LoadProfile.constant(1200.0, 1200.0), 3600.0)
    assert not result.powered
    assert not result.lcd.on
    assert result.register_wh == 0.0
    assert result.pulses == {"kh10": 0, "kh100": 0, "kh1000": 0}


def test_lcd_on_from_either_leg() -> None:
    meter = Meter(get_model("6PSMT-C02"), wiring=Wiring(v1="open"))
    result = meter.run(LoadProfile.constant(1200.0, 1200.0), 3600.0)
    assert result.lcd.on
    assert result.register_wh == 1200.0  # only element 2 has voltage
    meter = Meter(get_model("6PSMT-C02"), wiring=Wiring(v1="open", v2="open"))
    assert not meter.run(LoadProfile.constant(1200.0, 1200.0), 3600.0).lcd.on
