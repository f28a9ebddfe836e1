from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from openamr.frames import FrameCounter, ReplayWindow, install_code_key


def test_install_code_key_is_deterministic_and_label_format_agnostic() -> None:
    a = install_code_key("83FE-D340-7A93-9723")
    assert a == install_code_key(bytes.fromhex("83FED3407A939723"))
    assert len(a) == 16
    assert a != install_code_key("83FE-D340-7A93-9724")


def test_replay_window_rejects_repeats_and_stale_but_accepts_reordering() -> None:
    w = ReplayWindow()
    for c in (5, 3, 7, 4):
        assert w.check(c) is None
        w.accept(c)
    assert w.check(5) == "replay"
    assert w.check(3) == "replay"
    assert w.check(6) is None
    w.accept(200)
    assert w.check(100) == "stale"
    assert w.check(199) is None


@given(st.lists(st.integers(0, 500), max_size=200))
def test_each_counter_is_accepted_at_most_once(counters: list[int]) -> None:
    w = ReplayWindow()
    accepted: list[int] = []
    for c in counters:
        if w.check(c) is None:
            w.accept(c)
            accepted.append(c)
    assert len(accepted) == len(set(accepted))
    assert set(accepted) <= set(counters)


@given(st.integers(1, 5000), st.integers(1, 64))
def test_frame_counter_never_repeats_across_resets(
    sent_before_reset: int, persist_every: int
) -> None:
    counter = FrameCounter(persist_every=persist_every)
    flash = 0
    used = []
    for _ in range(sent_before_reset):
        value, persist = counter.next()
        used.append(value)
        if persist:
            flash = counter.reserved_until
    restarted = FrameCounter.after_reset(flash, persist_every)
    value, persist = restarted.next()
    assert value > max(used)
    assert persist
