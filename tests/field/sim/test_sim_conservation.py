"""For every meter the stored intervals add up to the MDT's running total, which is within
10 Wh (one Kh pulse) of the meter's register."""

import numpy as np

from openamr.field.mesh.mdt_node import MdtNode
from openamr.frames import DeviceRole as R

ROLES = [R.DCAP, R.REPEATER, R.MDT, R.MDT, R.MDT, R.MDT]
LINKS = [(0, 1, -70.0, 0.99), (1, 2, -88.0, 0.9), (1, 3, -80.0, 0.97), (0, 4, -95.0, 0.8),
         (1, 5, -75.0, 0.99), (0, 5, -90.0, 0.95)]


def test_stored_intervals_equal_the_mdt_total_and_the_meter_register(mesh) -> None:
    power_w = [137.0, 820.5, 2999.0, 45.2]
    run, he, sc = mesh(ROLES, LINKS, power_on_s=[0, 30, 200, 450, 900, 1234], days=2,
                       power_w=power_w, seed=7)
    run.run(2)
    for row, idx in enumerate(sc.mdt_indices):
        mdt = run.nodes[idx]
        assert isinstance(mdt, MdtNode)
        n = mdt.sent_end
        assert he.seq_index(mdt.eui, mdt.first_interval) == list(range(n))
        stored_wh = sum(he.intervals(mdt.eui).values())
        mdt_total_wh = int(mdt.cum_wh[n])
        assert stored_wh == mdt_total_wh
        k0 = mdt.first_interval
        register_wh = sc.register_wh[row, k0 + n] - sc.register_wh[row, k0]
        assert abs(register_wh - mdt_total_wh) <= 10.0  # closures: within Kh/2 at each end
        # the head-end also got the MDT's running total in its last report
        assert he.register_wh(mdt.eui) == int(mdt.cum_wh[n])
        assert np.all(np.isfinite(mdt.delivered_s[:n]))
