"""Battery ledger and the back-off argument of reference mesh.md §6."""

from __future__ import annotations

import math

import pytest

from openamr.errors import InputError
from openamr.field.mdt import (
    BatteryCurrents,
    BatteryLedger,
    project_unjoined_life_days,
    search_cycle_mah,
)


def test_ledger_integrates_charge() -> None:
    ledger = BatteryLedger(self_discharge_ratio_per_year=0.0)
    added = ledger.charge(sleep_s=3600.0, rx_s=36.0, tx_s=3.6, led_s=10.0)
    expected_mah = (1.5e-6 * 3600 + 5.4e-3 * 36 + 13.4e-3 * 3.6 + 2e-3 * 10) / 3.6
    assert added == pytest.approx(expected_mah)
    assert ledger.battery_remaining_mah == pytest.approx(2000.0 - expected_mah)
    assert ledger.average_current_a == pytest.approx(expected_mah * 3.6 / 3600)


def test_self_discharge_drains_one_percent_a_year_and_life_is_capped() -> None:
    ledger = BatteryLedger(capacity_mah=2000.0)
    ledger.charge(sleep_s=365.25 * 86400)
    sleep_mah = 1.5e-6 * 365.25 * 86400 / 3.6
    assert ledger.used_mah == pytest.approx(sleep_mah + 20.0)  # 1 % of 2,000 mAh
    # a healthy MDT drawing microamps projects years, capped by the shelf life, not a century
    assert ledger.projection_years() <= 20.0
    assert ledger.projection_years() > 10.0
    idle = BatteryLedger(capacity_mah=2000.0, currents=BatteryCurrents(sleep_a=0.0))
    idle.charge(sleep_s=86400.0)
    assert idle.projection_years() == 20.0  # self-discharge alone would give 100 years


def test_voltage_is_flat_then_falls_past_the_knee() -> None:
    ledger = BatteryLedger(capacity_mah=100.0)
    assert ledger.voltage_mv() == 3000
    ledger.used_mah = 95.0  # 5 % left: half way down the knee
    assert ledger.voltage_mv() == 2500
    ledger.used_mah = 100.0
    assert ledger.voltage_mv() == 2000


def test_days_remaining() -> None:
    ledger = BatteryLedger(capacity_mah=2000.0, self_discharge_ratio_per_year=0.0)
    assert ledger.days_remaining(45e-6) == pytest.approx(2000 / 0.045 / 24)  # ≈ 5.1 years
    assert BatteryLedger(capacity_mah=2000.0).days_remaining(1e-9) == pytest.approx(20 * 365.25)
    assert math.isinf(ledger.days_remaining(0.0))  # no load, no self-discharge: no limit
    with pytest.raises(InputError):
        ledger.days_remaining(-1.0)
    with pytest.raises(InputError):
        ledger.charge(rx_s=-1.0)


def test_a_search_cycle_draws_rx_for_the_window() -> None:
    c = BatteryCurrents(slow_flash_duty_ratio=0.0, sleep_a=0.0)
    assert search_cycle_mah(90.0, 300.0, c) == pytest.approx(5.4e-3 * 90 / 3.6)


def test_backoff_keeps_a_lost_mdt_alive_for_years_fixed_retry_drains_it_in_months() -> None:
    fixed_days = project_unjoined_life_days(2000.0, search_window_s=90.0, retry_sleep_s=(300.0,))
    backoff_days = project_unjoined_life_days(
        2000.0, search_window_s=90.0, retry_sleep_s=(300.0, 900.0, 3600.0, 14400.0))
    # the figures of reference mesh.md §6: 1.25 mA -> 0.18 y; 35 µA -> 6.5 y without
    # self-discharge, ~6.1 y with it (1 %/year: 20 mAh a year of a 2,000 mAh cell)
    assert fixed_days == pytest.approx(66.0, rel=0.03)
    assert 30 < fixed_days < 90  # months
    assert backoff_days / 365.25 == pytest.approx(6.1, rel=0.03)
    assert project_unjoined_life_days(self_discharge_ratio_per_year=0.0) / 365.25 == \
        pytest.approx(6.5, rel=0.05)
    assert backoff_days > 5 * 365  # years
    assert backoff_days / fixed_days > 30


def test_ledger_driven_like_the_simulator_agrees_with_the_projection() -> None:
    """Charge a ledger cycle by cycle as the radio would report it."""
    ledger = BatteryLedger()
    schedule = (300.0, 900.0, 3600.0, 14400.0)
    elapsed_s = 0.0
    i = 0
    while ledger.battery_remaining_mah > 0:
        sleep_s = schedule[min(i, len(schedule) - 1)]
        ledger.charge(sleep_s=90.0 + sleep_s, rx_s=90.0, led_s=0.9)
        elapsed_s += 90.0 + sleep_s
        i += 1
    projected = project_unjoined_life_days(retry_sleep_s=schedule)
    assert elapsed_s / 86_400 == pytest.approx(projected, rel=0.001)
