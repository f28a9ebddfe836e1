"""The link layer: one acknowledged unicast (:meth:`Network.hop`, retries and link ACKs, one
draw per attempt) and the receiver's duplicate filter."""

from __future__ import annotations

from openamr.field.kernel import Kernel
from openamr.field.mesh.mac import DuplicateFilter
from openamr.field.mesh.medium import Medium
from openamr.field.mesh.network import Network
from openamr.field.mesh.node import MeshNode
from openamr.field.mesh.params import MeshParams
from openamr.field.mesh.routing import etx_from_rssi

FRAME_BYTES = 50


def _pair(p_data: float, p_ack: float, seed: int = 0) -> tuple[Network, MeshNode]:
    """Node 0 (a joined receiver) and node 1 (the sender), with the given delivery
    probabilities of a reference frame each way."""
    medium = Medium(2, [1, 0], [0, 1], [-90.0, -90.0], [p_data, p_ack], seed=seed)
    net = Network(Kernel(), medium, MeshParams(mac_max_retries=3), lambda frames, t: [])
    receiver, sender = MeshNode(net, 0, 0xD0), MeshNode(net, 1, 0xA1)
    net.add(receiver)
    net.add(sender)
    receiver.joined = True
    return net, sender


def test_a_perfect_link_delivers_on_the_first_attempt() -> None:
    net, sender = _pair(1.0, 1.0)
    assert net.hop(sender, 0, FRAME_BYTES)
    assert (net.last_copies, sender.tx_attempts, sender.tx_failures) == (1, 1, 0)
    assert sender.link_stats[0] == [1, 1, 1]  # attempts, frames acked, frames
    assert sender.estimator.etx[0] < etx_from_rssi(-90.0)  # pulled towards 1 per frame


def test_a_dead_link_tries_1_plus_max_retries_times() -> None:
    net, sender = _pair(0.0, 0.0)
    assert not net.hop(sender, 0, FRAME_BYTES)
    assert (net.last_copies, sender.tx_attempts, sender.tx_failures) == (0, 4, 1)
    assert sender.link_stats[0] == [4, 0, 1]
    assert net.hop_failures == 1


def test_a_receiver_that_is_not_joined_never_acks() -> None:
    net, sender = _pair(1.0, 1.0)
    net.nodes[0].joined = False
    assert not net.hop(sender, 0, FRAME_BYTES)
    assert net.last_copies == 0


def test_lost_acks_cause_duplicate_copies_that_the_filter_drops() -> None:
    # data always arrives, ACKs never: 4 copies, never acked
    net, sender = _pair(1.0, 0.0)
    assert not net.hop(sender, 0, FRAME_BYTES)
    assert (net.last_copies, sender.tx_attempts) == (4, 4)
    f = DuplicateFilter(window_frames=8)
    accepted = [f.first_time(7, 100) for _ in range(net.last_copies)]
    assert accepted == [True, False, False, False]
    assert f.dropped == 3


def test_duplicate_filter_forgets_beyond_its_window() -> None:
    f = DuplicateFilter(window_frames=2)
    assert f.first_time(1, 1)
    assert f.first_time(1, 2)
    assert f.first_time(1, 3)
    assert f.first_time(1, 1)  # evicted: a very late copy is accepted again (head-end dedups)


def test_retries_recover_a_lossy_link_deterministically() -> None:
    runs = []
    for _ in range(2):
        net, sender = _pair(0.5, 0.9, seed=3)
        runs.append([(net.hop(sender, 0, FRAME_BYTES), net.last_copies) for _ in range(200)])
    assert runs[0] == runs[1]
    acked = [ok for ok, _ in runs[0]]
    assert sum(acked) / 200 > 0.8  # 1 - (1 - 0.45)^4 ≈ 0.91
    net, sender = _pair(0.5, 0.9, seed=3)
    for _ in range(200):
        net.hop(sender, 0, FRAME_BYTES)
    assert sender.tx_attempts > 200  # some frames needed retries
