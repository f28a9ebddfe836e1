"""The manual's LED sequence (§5.2: "After about 30 seconds the LED flash frequency will change
from slow to fast.  After another 30 seconds, the LED will stay solid for 10 seconds then turn
off") emerges from the discovery Trickle and the join exchange; nothing in the model sets the
slow-flash time."""

from __future__ import annotations

import numpy as np

from openamr.field.mesh.mdt_node import MdtNode
from openamr.frames import DeviceRole as R

N_MDTS = 30


def test_slow_fast_solid_timing_emerges(mesh) -> None:
    roles = [R.DCAP, R.REPEATER] + [R.MDT] * N_MDTS
    links = [(0, 1, -70.0, 1.0)] + [(1, 2 + i, -85.0, 0.99) for i in range(N_MDTS)]
    # the MDTs are turned on one by one, after the repeater joined, as an installer would
    power_on = [0.0, 30.0] + [600.0 + 240.0 * i for i in range(N_MDTS)]
    run, _, _ = mesh(roles, links, power_on_s=power_on, days=0.25, seed=3)
    run.run(0.25)
    slow, fast, solid = [], [], []
    for node in run.nodes[2:]:
        assert isinstance(node, MdtNode)
        patterns = [p for _, p in node.led_log]
        assert patterns[:4] == ["slow_flash", "rapid_flash", "solid", "off"]
        t = [s for s, _ in node.led_log[:4]]
        slow.append(t[1] - t[0])
        fast.append(t[2] - t[1])
        solid.append(t[3] - t[2])
    slow_a, fast_a = np.asarray(slow), np.asarray(fast)
    # "about 30 seconds", then "another 30 seconds", then 10 s solid
    # a solicitation or its answer can be lost: the next discovery Trickle interval retries,
    # so a few MDTs flash slowly longer, always within the 90 s search window
    assert np.all((slow_a >= 15.0) & (slow_a < 90.0))
    assert np.mean(slow_a <= 32.0) >= 0.9
    assert 20.0 <= float(np.median(slow_a)) <= 30.0
    assert np.all((fast_a >= 20.0) & (fast_a <= 40.0))
    assert 25.0 <= float(np.median(fast_a)) <= 35.0
    assert solid == [10.0] * N_MDTS
    # emerged, not injected: the durations vary from MDT to MDT
    assert float(np.std(slow_a)) > 1.0
