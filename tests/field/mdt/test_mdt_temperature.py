"""D02 and E02 temperature per interval; E02 also reports a change of 1 % of span (1.0 K)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.field.mdt import DeltaTemperatureRule, Mdt, MdtClock, delta_report_mask

T0_S = 1_767_225_600
RULE = DeltaTemperatureRule()


def test_one_percent_of_span_is_one_kelvin() -> None:
    assert RULE.threshold_c == pytest.approx(1.0)
    assert RULE.threshold_counts == 100


@pytest.mark.parametrize(("last", "now", "reported"), [
    (None, 21.3, True),          # the first reading is always reported
    (20.0, 21.0, True),          # exactly 1 % of span
    (20.0, 20.99, False),
    (20.0, 19.0, True),          # falls count too
    (0.0, 0.5, False),           # 0 °C is nothing special: no division by the value
    (0.0, -1.0, True),
    (-0.5, 0.49, False),         # crossing zero by less than 1 K
    (-0.5, 0.5, True),
    (0.1, 0.2, False),           # "100 %" of the °C value, but only 0.1 K
    (-30.0, -29.0, True),        # same threshold at both ends of the range
    (70.0, 69.01, False),
    (20.0, 20.0 + 0.1 * 10, True),  # 1.0000000000000002 after float steps: quantised
])
def test_edges(last: float | None, now: float, reported: bool) -> None:
    assert RULE.should_report(now, last) is reported


def test_float_steps_do_not_decide_an_edge() -> None:
    value = 20.0
    for _ in range(10):
        value += 0.1  # 20.999999999999996
    assert RULE.should_report(value, 20.0)


def test_vectorised_rule_walks_the_reference() -> None:
    samples = np.array([[20.0, 20.6, 21.0, 21.5, 22.0, 21.0, 20.5],
                        [0.0, -0.6, -1.0, -0.2, 0.0, 1.0, 1.0]])
    mask = delta_report_mask(samples, RULE)
    assert mask.tolist() == [[True, False, True, False, True, True, False],
                             [True, False, True, False, True, True, False]]
    assert delta_report_mask(samples[0], RULE, last_reported_c=21.0).tolist() == \
        [True, False, True, False, True, True, False]
    with pytest.raises(InputError):
        delta_report_mask([np.nan], RULE)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-30.0, 70.0, allow_nan=False), min_size=1, max_size=60))
def test_vectorised_rule_matches_the_scalar_rule(samples: list[float]) -> None:
    mask = delta_report_mask(samples, RULE)
    last: float | None = None
    for value, hit in zip(samples, mask, strict=True):
        expected = RULE.should_report(value, last)
        assert hit == expected
        if expected:
            last = value


def test_d02_records_a_temperature_per_interval() -> None:
    mdt = Mdt("MMSMT-D02", device_id="d", clock=MdtClock(base_clock_s=T0_S),
              temperature_source=lambda t: 15.0 + t / 900.0)
    mdt.on_time_sync(0.0, T0_S)
    mdt.on_button(0.0, held_s=4.0)
    mdt.tick(2700.0)
    assert mdt.unacknowledged().temperature_c.tolist() == [16.0, 17.0, 18.0]
    assert mdt.pending_events() == []


def test_d02_without_a_source_records_the_last_reading() -> None:
    mdt = Mdt("MMSMT-D02", device_id="d", clock=MdtClock(base_clock_s=T0_S))
    mdt.on_button(0.0, held_s=4.0)
    mdt.tick(900.0)
    mdt.on_temperature(1000.0, 22.5)
    mdt.tick(1800.0)
    temps = mdt.unacknowledged().temperature_c
    assert np.isnan(temps[0])
    assert temps[1] == pytest.approx(22.5)


def test_e02_reports_changes_as_events() -> None:
    mdt = Mdt("MMSMT-E02", device_id="e", clock=MdtClock(base_clock_s=T0_S))
    mdt.on_time_sync(0.0, T0_S)
    mdt.on_button(0.0, held_s=4.0)
    for i, value in enumerate([20.0, 20.5, 21.0, 21.2, 19.9]):
        mdt.on_temperature(60.0 * i, value)
    events = mdt.pending_events()
    assert [(e.kind, e.value, e.t_s) for e in events] == [
        ("temperature.changed", 20.0, T0_S), ("temperature.changed", 21.0, T0_S + 120),
        ("temperature.changed", 19.9, T0_S + 240)]
    mdt.tick(900.0)
    # by default E02 also records the temperature in every interval (the last reading)
    assert mdt.unacknowledged().temperature_c[0] == pytest.approx(19.9)


def test_e02_on_change_setting_keeps_only_the_events() -> None:
    from openamr.field.mdt import MdtParams, TemperatureMode

    mdt = Mdt("MMSMT-E02", device_id="e", clock=MdtClock(base_clock_s=T0_S),
              params=MdtParams(temperature_mode=TemperatureMode.ON_CHANGE))
    mdt.on_time_sync(0.0, T0_S)
    mdt.on_button(0.0, held_s=4.0)
    for i, value in enumerate([20.0, 20.5, 21.0]):
        mdt.on_temperature(60.0 * i, value)
    assert [e.value for e in mdt.pending_events()] == [20.0, 21.0]
    mdt.tick(900.0)
    assert np.isnan(mdt.unacknowledged().temperature_c[0])  # no temperature per interval


def test_e02_samples_its_source_at_each_interval_close() -> None:
    mdt = Mdt("MMSMT-E02", device_id="e", clock=MdtClock(base_clock_s=T0_S),
              temperature_source=lambda t: 20.0 + 0.4 * t / 900.0)
    mdt.on_button(0.0, held_s=4.0)
    mdt.tick(900.0 * 6)
    values = [e.value for e in mdt.pending_events()]
    # readings 20.4, 20.8, 21.2, 21.6, 22.0, 22.4: reported when 1 K from the last report
    assert values == pytest.approx([20.4, 21.6])
    assert not mdt.pending_events()[0].clock_synced


def test_c02_has_no_sensor() -> None:
    mdt = Mdt("MMSMT-C02", device_id="c", clock=MdtClock(base_clock_s=T0_S))
    with pytest.raises(InputError, match="no temperature"):
        mdt.on_temperature(0.0, 20.0)
