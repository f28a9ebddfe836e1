"""The §5.2 checklist's order and warnings, and the §7 troubleshooting answers."""

from __future__ import annotations

from dataclasses import replace

from openamr.headend.store.base import DeviceStatus, EventRow
from openamr.web.checklist import build_checklist
from openamr.web.health import LED_PATTERNS, DeviceHealth
from openamr.web.troubleshoot import diagnose


def _h(device_id: str, role: str, label: str, x: float, *, parent: str | None = None,
       state: str = "joined", placement: str = "open", margin: float | None = None,
       meter: str | None = None) -> DeviceHealth:
    return DeviceHealth(device_id, "s", role, label, meter, state, LED_PATTERNS[state], parent,
                        None, None, None, margin, None, None, None, None, None, None, None, None,
                        None, None, 0, x, 0.0, placement)


DEVICES = [
    _h("d", "dcap", "DCAP-1", 0.0, state="not_heard"),
    _h("far", "repeater", "REP-FAR", 40.0, parent="near"),
    _h("near", "repeater", "REP-NEAR", 10.0, parent="d"),
    _h("m1", "mdt", "M-1", 12.0, parent="near", meter="M-1", placement="metal_box"),
]


def _joined(**times: int) -> dict[str, DeviceStatus]:
    return {k: DeviceStatus(k, t, joined_s=t) for k, t in times.items()}


def test_repeaters_nearest_first_and_one_at_a_time() -> None:
    c = build_checklist(DEVICES, {}, {}, 1000)
    assert [s.label for s in c.steps] == ["DCAP-1", "REP-NEAR", "REP-FAR", "M-1"]
    assert [s.state for s in c.steps] == ["current", "todo", "todo", "todo"]
    c = build_checklist(DEVICES, _joined(near=100), {}, 1000)
    assert [s.state for s in c.steps] == ["done", "done", "current", "todo"]
    assert c.current == 3
    assert c.done == 2


def test_warns_for_a_repeater_powered_before_its_upstream_and_for_metal() -> None:
    c = build_checklist(DEVICES, _joined(near=300, far=200, m1=400), {"m1": True}, 1000)
    far = next(s for s in c.steps if s.label == "REP-FAR")
    assert any("before its upstream REP-NEAR" in w for w in far.warnings)
    m1 = next(s for s in c.steps if s.label == "M-1")
    assert any("metal box" in w for w in m1.warnings)
    assert c.current is None
    assert c.done == 4


def test_warns_for_an_mdt_joined_long_ago_without_data() -> None:
    c = build_checklist(DEVICES, _joined(near=100, far=200, m1=300), {"m1": False}, 300 + 600)
    assert not any("no interval" in w for w in c.steps[-1].warnings)
    c = build_checklist(DEVICES, _joined(near=100, far=200, m1=300), {"m1": False}, 300 + 9000)
    assert any("no interval" in w for w in c.steps[-1].warnings)


def test_wireless_amr_not_operating_is_answered_from_the_data() -> None:
    mdt = replace(DEVICES[3], margin_db=6.0)
    parent = replace(DEVICES[2], join_state="silent")
    codes = {f.code for f in diagnose("wireless", mdt, [], 100.0, parent)}
    assert codes == {"ts.joined", "ts.metal", "ts.weak_link", "ts.parent_down"}
    never = replace(mdt, join_state="not_heard", placement="open", margin_db=None)
    assert [f.code for f in diagnose("wireless", never, [], None, None)] == ["ts.never_heard"]


def test_lcd_dark_and_load_led_and_low_consumption() -> None:
    mdt = DEVICES[3]
    lost = EventRow("m1", "M-1", "power.lost", 50)
    assert diagnose("lcd_dark", mdt, [lost], 0.0)[0].code == "ts.power_lost"
    restored = EventRow("m1", "M-1", "power.restored", 60)
    assert diagnose("lcd_dark", mdt, [restored, lost], 500.0)[0].code == "ts.meter_counting"
    assert diagnose("load_led", mdt, [], 0.0)[0].code == "ts.no_load"
    reverse = EventRow("m1", "M-1", "meter.reverse_phase", 70)
    assert "ts.reverse_phase" in {f.code for f in diagnose("consumption_low", mdt, [reverse],
                                                            10.0)}


def test_a_failed_join_and_lost_records_are_reported() -> None:
    mdt = DEVICES[3]
    events = [EventRow("m1", "M-1", "join.failed", 90), EventRow("m1", "M-1",
                                                                 "buffer.records_lost", 80, 12)]
    codes = [f.code for f in diagnose("wireless", mdt, events, None)]
    assert codes[:2] == ["ts.join_failed", "ts.records_lost"]
