"""Manual §5.2: power the DCAP first, then repeaters nearest first, then MDTs."""

from openamr.field.mesh.repeater import Repeater
from openamr.frames import DeviceRole as R

ROLES = [R.DCAP, R.REPEATER, R.REPEATER, R.MDT, R.MDT, R.MDT]
# a chain: DCAP - R1 - R2; MDT 3 hears the DCAP, 4 hears R1, 5 hears only R2.  The manual
# powers the next repeater once the previous one shows it joined (about two minutes apart).
LINKS = [(0, 1, -80.0, 0.99), (1, 2, -82.0, 0.99), (0, 3, -85.0, 0.99), (1, 4, -85.0, 0.98),
         (2, 5, -86.0, 0.97)]


def test_manual_order_joins_everything(mesh) -> None:
    run, he, _ = mesh(ROLES, LINKS, power_on_s=[0, 30, 150, 300, 302, 304], days=0.5)
    summary = run.run(0.5)
    assert summary["joined"] == {"repeater": 2, "mdt": 3}
    r1, r2 = run.nodes[1], run.nodes[2]
    assert isinstance(r2, Repeater)
    assert r1.scans == 1
    assert r2.scans == 1  # joined on its first search: its upstream was already beaconing
    assert r2.hops == 2
    assert run.nodes[5].hops == 3
    assert summary["join_time_s"]["mdt"]["max"] < 120.0
    assert summary["read_success_24h_ratio"] == 1.0
    assert he.rejected == {}


def test_reverse_order_leaves_far_repeaters_unjoined_until_a_retry(mesh) -> None:
    # MDTs first, then the far repeater, the near one, the DCAP last
    run, _, _ = mesh(ROLES, LINKS, power_on_s=[240, 120, 60, 0, 2, 4], days=0.5)
    run.kernel.run(200.0)
    r1, r2 = run.nodes[1], run.nodes[2]
    assert isinstance(r1, Repeater)
    assert isinstance(r2, Repeater)
    assert not r2.joined
    assert r2.led_pattern() in ("slow_flash", "off")  # shows it has not joined
    assert not any(n.joined for n in run.nodes[3:])
    summary = run.run(0.5)
    assert summary["joined"] == {"repeater": 2, "mdt": 3}
    assert r2.joined_s is not None
    assert r1.joined_s is not None
    assert r2.joined_s > r1.joined_s > 240.0
    assert r2.scans > 1  # it joined only on a retry after its upstream was up
