"""The tamper micro-switch: cover removed and replaced as timed events."""

from __future__ import annotations

import pytest

from openamr.errors import InputError
from openamr.field.meter.catalogue import get_model
from openamr.field.meter.meter import Meter
from openamr.field.meter.profile import LoadProfile
from openamr.field.meter.tamper import TamperEvent, TamperSwitch


def test_remove_and_replace_cover() -> None:
    switch = TamperSwitch()
    assert switch.cover_on
    switch.remove_cover(120.0)
    assert not switch.cover_on
    switch.replace_cover(300.0)
    assert switch.events == [TamperEvent("cover_removed", 120.0),
                             TamperEvent("cover_replaced", 300.0)]
    assert switch.cover_on_at(100.0)
    assert not switch.cover_on_at(200.0)
    assert switch.cover_on_at(300.0)
    assert [e.to_dict() for e in switch.events_until(200.0)] == [
        {"kind": "cover_removed", "sim_t_s": 120.0}]


def test_refused_sequences() -> None:
    switch = TamperSwitch()
    with pytest.raises(InputError, match="not removed"):
        switch.replace_cover(10.0)
    switch.remove_cover(10.0)
    with pytest.raises(InputError, match="already removed"):
        switch.remove_cover(20.0)
    with pytest.raises(InputError, match="before the previous"):
        switch.replace_cover(5.0)
    with pytest.raises(InputError, match="non-negative"):
        TamperSwitch().remove_cover(-1.0)


def test_meter_reports_events_within_the_run() -> None:
    meter = Meter(get_model("MMSMT-C02"))
    meter.remove_cover(60.0)
    meter.replace_cover(7200.0)
    result = meter.run(LoadProfile.constant(1000.0), 3600.0)
    assert [e.kind for e in result.tamper_events] == ["cover_removed"]
    assert result.to_json_dict()["tamper_events"] == [{"kind": "cover_removed", "sim_t_s": 60.0}]
    # tampering does not touch the register
    assert result.register_wh == 1000.0
