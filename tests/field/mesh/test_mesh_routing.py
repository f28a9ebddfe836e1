from openamr.field.mesh.params import MeshParams
from openamr.field.mesh.routing import Candidate, LinkEstimator, choose_parent, etx_from_rssi

P = MeshParams()
SENS = -110.0


def cand(path_etx: float, rssi: float, hops: int = 1) -> Candidate:
    return Candidate(256 * (hops + 1), hops, path_etx, rssi, 0.0)


def test_best_path_cost_wins_when_there_is_no_parent() -> None:
    est = LinkEstimator()
    cands = {1: cand(1.0, -70.0), 2: cand(0.0, -75.0)}
    best, cost = choose_parent(cands, est, None, P, SENS)
    assert best == 2
    assert cost == est.get(2, -75.0)


def test_hysteresis_keeps_the_current_parent_for_small_gains() -> None:
    est = LinkEstimator()
    cands = {1: cand(1.0, -60.0), 2: cand(0.0, -60.0)}  # 2 is better by 1.0 ETX < 1.5
    assert choose_parent(cands, est, 1, P, SENS)[0] == 1
    cands[2] = cand(-1.0, -60.0)  # now better by 2.0 >= 1.5: switch
    assert choose_parent(cands, est, 1, P, SENS)[0] == 2


def test_links_with_etx_above_4_are_rejected() -> None:
    est = LinkEstimator()
    cands = {1: cand(0.0, -60.0)}
    for _ in range(10):
        est.update(1, -60.0, 4, acked=False)  # every retry failed: counts as 16
    assert est.etx[1] > 4.0
    assert choose_parent(cands, est, None, P, SENS) == (None, float("inf"))


def test_candidate_threshold_and_rssi_hysteresis() -> None:
    est = LinkEstimator()
    weak = {1: cand(0.0, SENS + 8.0)}  # below sensitivity + 10 dB
    assert choose_parent(weak, est, None, P, SENS)[0] is None
    # ... but a current parent keeps its candidacy down to 3 dB below the threshold
    assert choose_parent(weak, est, 1, P, SENS)[0] == 1


def test_descendants_and_deep_nodes_are_excluded() -> None:
    est = LinkEstimator()
    cands = {1: cand(0.0, -60.0), 2: cand(0.5, -60.0, hops=P.max_hops)}
    assert choose_parent(cands, est, None, P, SENS, excluded={1})[0] is None


def test_etx_guess_from_rssi_is_bounded() -> None:
    assert etx_from_rssi(-50.0) == 1.0
    assert etx_from_rssi(-100.0) == 3.0
    assert 1.0 < etx_from_rssi(-70.0) < 3.0
