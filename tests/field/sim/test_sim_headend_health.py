"""Health end to end against the real head-end: STATUS frames from the simulated MDTs raise and
clear the weak-link alarm, raise the low-battery alarm, and fill the devices' health."""

from __future__ import annotations

from openamr.field.mesh.mdt_node import MdtNode
from openamr.field.mesh.params import MeshParams
from openamr.frames import DeviceRole as R
from openamr.headend.alarms import ALARM_BATTERY_LOW, ALARM_WEAK_LINK, AlarmRules

H = 3600.0
ROLES = [R.DCAP, R.REPEATER, R.MDT, R.MDT]
LINKS = [(0, 1, -70.0, 1.0), (1, 2, -80.0, 0.99), (1, 3, -82.0, 0.99)]


def _alarms(he, code: str, device_id: str) -> list:
    return [a for a in he.store.list_alarms(limit=1000)
            if a.code == code and a.device_id == device_id]


def test_a_weak_link_raises_and_clears_the_weak_link_alarm(mesh) -> None:
    run, he, _ = mesh(ROLES, LINKS, power_on_s=[0, 30, 300, 300], days=1,
                      params=MeshParams(status_period_s=2 * H))
    rules = AlarmRules(he.store)
    he.ingest.subscribe(rules.on_stored)
    run.kernel.run(4 * H)
    m2 = run.nodes[2]
    assert isinstance(m2, MdtNode)
    assert m2.parent == 1
    dev = f"{m2.eui:016x}"
    assert _alarms(he, ALARM_WEAK_LINK, dev) == []
    sens = run.net.medium.sensitivity_dbm
    run.net.set_link(1, 2, sens + 8.0, 0.97)  # a cabinet door shut: 8 dB of margin left
    run.kernel.run(8 * H)
    (alarm,) = _alarms(he, ALARM_WEAK_LINK, dev)
    assert alarm.state == "open"
    assert m2.parent == 1  # still the parent (hysteresis), just weak
    run.net.set_link(1, 2, -80.0, 0.99)  # the door open again
    run.run(1)
    (alarm,) = _alarms(he, ALARM_WEAK_LINK, dev)
    assert alarm.state == "cleared"
    assert _alarms(he, ALARM_WEAK_LINK, f"{run.nodes[3].eui:016x}") == []


def test_a_battery_running_low_raises_the_low_battery_alarm(mesh) -> None:
    # a tiny cell: the sleep floor and the radio empty it within the day
    run, he, _ = mesh(ROLES, LINKS, power_on_s=[0, 30, 300, 300], days=1,
                      params=MeshParams(status_period_s=2 * H, battery_mah=0.06))
    rules = AlarmRules(he.store)
    he.ingest.subscribe(rules.on_stored)
    run.run(1)
    for idx in (2, 3):
        node = run.nodes[idx]
        assert isinstance(node, MdtNode)
        assert node.battery_ledger().voltage_mv() < 2500
        (alarm,) = _alarms(he, ALARM_BATTERY_LOW, f"{node.eui:016x}")
        assert alarm.state == "open"
    status = he.store.get_device_status(f"{run.nodes[2].eui:016x}")
    assert status is not None
    assert status.battery_mv < 2500
