from openamr.field.kernel import Kernel


def test_events_run_in_time_order_and_ties_in_scheduling_order() -> None:
    k = Kernel()
    seen: list[tuple[float, str]] = []
    k.at(5.0, lambda: seen.append((k.now_s, "b")))
    k.at(1.0, lambda: seen.append((k.now_s, "a")))
    k.at(5.0, lambda: seen.append((k.now_s, "c")))
    k.run(10.0)
    assert seen == [(1.0, "a"), (5.0, "b"), (5.0, "c")]
    assert k.now_s == 10.0
    assert k.events == 3


def test_run_stops_before_until_and_past_times_are_clamped() -> None:
    k = Kernel()
    seen: list[float] = []

    def tick() -> None:
        seen.append(k.now_s)
        k.after(1.0, tick)
        k.at(k.now_s - 100.0, lambda: None)  # in the past: runs now, never earlier

    k.at(0.0, tick)
    k.run(3.0)
    assert seen == [0.0, 1.0, 2.0]
    assert k.pending() >= 1
