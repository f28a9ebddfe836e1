import itertools

from openamr.field.kernel import Kernel
from openamr.field.mesh.medium import Medium
from openamr.field.mesh.params import MeshParams
from openamr.field.mesh.trickle import Trickle


def _trickle(params: MeshParams) -> tuple[Kernel, Trickle, list[float]]:
    k = Kernel()
    sent: list[float] = []
    t = Trickle(k, Medium(1, [], [], [], [], seed=1), params, lambda: sent.append(k.now_s))
    return k, t, sent


def test_intervals_double_up_to_the_stable_imax() -> None:
    p = MeshParams(beacon_redundancy_k=0)
    k, t, sent = _trickle(p)
    t.start()
    k.run(3600.0)
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert sent[0] < p.beacon_imin_s
    assert max(gaps) <= 2 * p.beacon_stable_imax_s
    assert t.interval_s == p.beacon_stable_imax_s
    # after the first minutes a quiet network beacons about once per stable Imax
    assert 5 <= len(sent) <= 15


def test_redundant_beacons_are_suppressed_once_stable_and_reset_restarts() -> None:
    p = MeshParams(beacon_redundancy_k=1)
    k, t, sent = _trickle(p)
    t.start()
    k.run(1000.0)

    def hear() -> None:
        t.consistent(k.now_s)
        k.after(10.0, hear)

    k.at(1000.0, hear)
    n = len(sent)
    k.run(5000.0)
    assert t.suppressed > 0
    assert len(sent) == n  # every stable interval heard a neighbour: nothing sent
    t.reset()
    assert t.interval_s == p.beacon_imin_s
    t.stop()
    k.run(6000.0)
    assert len(sent) == n
