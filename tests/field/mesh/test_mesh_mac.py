from openamr.field.mesh.mac import DuplicateFilter, unicast
from openamr.field.mesh.medium import Medium


def test_a_perfect_link_delivers_on_the_first_attempt() -> None:
    m = Medium(2, [0, 1], [1, 0], [-60.0, -60.0], [1.0, 1.0])
    ex = unicast(m, 0, 1, 50)
    assert (ex.copies, ex.acked, ex.attempts) == (1, True, 1)


def test_a_dead_link_tries_1_plus_max_retries_times() -> None:
    m = Medium(2, [0, 1], [1, 0], [-120.0, -120.0], [0.0, 0.0])
    ex = unicast(m, 0, 1, 50, max_retries=3)
    assert (ex.copies, ex.acked, ex.attempts) == (0, False, 4)


def test_lost_acks_cause_duplicate_copies_that_the_filter_drops() -> None:
    # data always arrives, ACKs never: 4 copies, never acked
    m = Medium(2, [0, 1], [1, 0], [-60.0, -120.0], [1.0, 0.0])
    ex = unicast(m, 0, 1, 50, max_retries=3)
    assert (ex.copies, ex.acked, ex.attempts) == (4, False, 4)
    f = DuplicateFilter(window_frames=8)
    accepted = [f.first_time(7, 100) for _ in range(ex.copies)]
    assert accepted == [True, False, False, False]
    assert f.dropped == 3


def test_duplicate_filter_forgets_beyond_its_window() -> None:
    f = DuplicateFilter(window_frames=2)
    assert f.first_time(1, 1)
    assert f.first_time(1, 2)
    assert f.first_time(1, 3)
    assert f.first_time(1, 1)  # evicted: a very late copy is accepted again (head-end dedups)


def test_retries_recover_a_lossy_link_deterministically() -> None:
    m1 = Medium(2, [0, 1], [1, 0], [-100.0, -100.0], [0.5, 0.9], seed=3)
    m2 = Medium(2, [0, 1], [1, 0], [-100.0, -100.0], [0.5, 0.9], seed=3)
    r1 = [unicast(m1, 0, 1, 50) for _ in range(200)]
    r2 = [unicast(m2, 0, 1, 50) for _ in range(200)]
    assert r1 == r2
    assert sum(e.acked for e in r1) / 200 > 0.8  # 1 - (1 - 0.45)^4 ≈ 0.91
    assert any(e.attempts > 1 for e in r1)
