"""Clock arithmetic, variants, the public API of openamr.field.mdt."""

from __future__ import annotations

import numpy as np
import pytest

import openamr.field.mdt as mdt_pkg
from openamr.errors import InputError
from openamr.field.mdt import (
    VARIANTS,
    EventQueue,
    MdtClock,
    TemperatureMode,
    draw_drift_ppm,
    variant_for_model,
)

T0_S = 1_767_225_600


def test_clock_drifts_and_syncs() -> None:
    clock = MdtClock(base_clock_s=T0_S, drift_ppm=20.0)
    assert clock.read_s(86_400.0) == pytest.approx(T0_S + 86_400 + 1.728)
    assert not clock.is_synced(0.0)
    step = clock.sync(86_400.0, T0_S + 86_400)
    assert step == pytest.approx(-1.728)
    assert clock.is_synced(86_400.0 + 7 * 86_400)
    assert not clock.is_synced(86_400.0 + 7 * 86_400 + 1)
    assert clock.sim_time_at(clock.read_s(1e6)) == pytest.approx(1e6)
    np.testing.assert_allclose(clock.read_array_s([1e5, 2e5]),
                               [clock.read_s(1e5), clock.read_s(2e5)])
    again = MdtClock.from_state(clock.to_state())
    assert again.read_s(5e5) == clock.read_s(5e5)
    with pytest.raises(InputError):
        MdtClock(base_clock_s=0.0, drift_ppm=float("nan"))


def test_drift_is_seeded() -> None:
    np.testing.assert_array_equal(draw_drift_ppm(1, 5), draw_drift_ppm(1, 5))
    assert not np.array_equal(draw_drift_ppm(1, 5), draw_drift_ppm(2, 5))


def test_variants_follow_table_1() -> None:
    assert set(VARIANTS) == {"MMSMT-C02", "MMSMT-D02", "MMSMT-E02"}
    assert all(v.has_tou for v in VARIANTS.values())
    assert variant_for_model("mmsmt-d02").temperature is TemperatureMode.PER_INTERVAL
    assert variant_for_model("MMSMT-E02").temperature is TemperatureMode.PER_INTERVAL
    assert variant_for_model("MMSMT-E02").delta_events
    assert variant_for_model("MMSMT-C02").temperature is TemperatureMode.NONE
    with pytest.raises(InputError, match="no MDT") as info:
        variant_for_model("6PSMT-C02")
    assert info.value.where == "model"


def test_event_queue_bounds_and_acknowledges() -> None:
    q = EventQueue(depth=2)
    for i in range(3):
        q.push(T0_S + i, "tamper.cover_removed")
    assert q.lost_count == 1
    assert [e.seq for e in q.pending()] == [1, 2]
    q.acknowledge(1)
    assert [e.seq for e in q.pending()] == [2]
    with pytest.raises(InputError):
        q.acknowledge(3)
    with pytest.raises(InputError, match="kind"):
        q.push(T0_S, "tamper.unknown")
    again = EventQueue.from_state(q.to_state())
    assert again.pending() == q.pending()
    assert again.next_seq == 3


def test_all_is_complete() -> None:
    public = {name for name in dir(mdt_pkg) if not name.startswith("_")}
    modules = {"battery", "buffer", "clock", "delivery", "device", "events", "fleet", "intervals",
               "power_states", "pulse_input", "temperature", "tou", "uplink", "variants",
               "link", "pulse_source", "software"}  # the software MDT's (not re-exported)
    assert set(mdt_pkg.__all__) == public - modules
    assert len(mdt_pkg.__all__) == len(set(mdt_pkg.__all__))
