"""A repeater loses mains for 24 h: power.lost on its backup battery, children re-parent where
they can, and after it returns gap-fill from the MDT buffers completes every interval."""

import numpy as np

from openamr.field.mesh.mdt_node import MdtNode
from openamr.field.mesh.repeater import Repeater, RepeaterState
from openamr.frames import DeviceRole as R
from openamr.frames import EventKind

H = 3600.0
ROLES = [R.DCAP, R.REPEATER, R.REPEATER, R.MDT, R.MDT, R.MDT]
# R1 and R2 both reach the DCAP; MDTs 3 and 4 hear only R1; MDT 5 prefers R1 but hears R2
LINKS = [(0, 1, -70.0, 1.0), (0, 2, -72.0, 1.0), (1, 3, -80.0, 0.99), (1, 4, -84.0, 0.98),
         (1, 5, -70.0, 0.99), (2, 5, -92.0, 0.97)]
OUTAGE = {1: ((6 * H, 24 * H),)}


def test_repeater_outage_is_reported_and_gap_fill_completes(mesh) -> None:
    run, he, _ = mesh(ROLES, LINKS, power_on_s=[0, 30, 150, 300, 302, 304], outages=OUTAGE,
                      days=3)
    r1 = run.nodes[1]
    m5 = run.nodes[5]
    assert isinstance(r1, Repeater)
    assert isinstance(m5, MdtNode)
    run.kernel.run(5 * H)
    assert m5.parent == 1
    run.kernel.run(6 * H + 60)
    assert r1.state == RepeaterState.ON_BATTERY
    run.kernel.run(20 * H)
    assert r1.state == RepeaterState.UNPOWERED  # the backup battery ran out after 8 h
    assert m5.parent == 2  # re-parented to the other repeater
    assert not run.nodes[3].joined  # nowhere else to go: searching / light sleep
    summary = run.run(3)
    kinds = he.event_codes(r1.eui)
    assert EventKind.POWER_LOST.code in kinds
    assert EventKind.POWER_RESTORED.code in kinds
    assert r1.joined
    assert summary["joined"] == {"repeater": 2, "mdt": 3}
    assert summary["intervals_expected"] > 0
    assert summary["intervals_delivered"] == summary["intervals_expected"]
    assert summary["read_success_72h_ratio"] == 1.0
    # MDT 3 had nowhere to send for ~20 h: its buffer kept the records until it rejoined
    m3 = run.nodes[3]
    assert isinstance(m3, MdtNode)
    n = m3.sent_end
    ends = (m3.first_interval + 1 + np.arange(n)) * 900.0
    assert float(np.max(m3.delivered_s[:n] - ends)) > 10 * H
    for node in run.nodes[3:]:
        assert isinstance(node, MdtNode)
        # every interval, no gap
        assert he.seq_index(node.eui, node.first_interval) == list(range(node.sent_end))
