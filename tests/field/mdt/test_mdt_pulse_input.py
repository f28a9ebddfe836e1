"""Pulse input: 25 ms debounce, 20 pulses/s, running total, event path == vectorised path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.field.mdt import PulseInput, PulseInputParams, debounce_mask


def count_events(edges: list[float], params: PulseInputParams | None = None) -> PulseInput:
    p = PulseInput(params or PulseInputParams())
    for t in edges:
        p.on_pulse(t)
    return p


def test_a_bounce_10_ms_after_a_pulse_is_not_counted() -> None:
    p = count_events([1.000, 1.010, 1.012, 1.020])
    assert p.total_pulses == 1
    assert p.bounce_count == 3
    assert p.overrun_count == 0


def test_pulses_50_ms_apart_are_all_counted() -> None:
    edges = [0.05 * i for i in range(200)]  # exactly 20 /s, float steps included
    p = count_events(edges)
    assert p.total_pulses == 200
    assert p.total_wh == 2000


def test_more_than_20_pulses_per_s_are_capped() -> None:
    for rate_per_s in (25.0, 30.0, 39.0, 100.0):
        edges = list(np.arange(0.0, 10.0, 1.0 / rate_per_s))
        p = count_events(edges)
        assert p.total_pulses <= 20 * 10
        assert p.overrun_count > 0
        accepted = np.asarray(edges)[debounce_mask(edges, p.params.dead_time_s)]
        assert np.all(np.diff(accepted) >= 0.05 - 1e-9)
        # at most 20 in any one-second window
        starts = np.searchsorted(accepted, accepted + 1.0 - 1e-9)
        assert int((starts - np.arange(accepted.size)).max()) <= 20


def test_a_bouncing_pulse_counts_once_and_is_measured_from_the_accepted_edge() -> None:
    # a chain of bounces each 20 ms apart: 0, 20, 40 (>= 25 ms from 0 but < 50: overrun), 60
    p = count_events([0.0, 0.020, 0.040, 0.060])
    assert p.total_pulses == 2  # 0.0 and 0.060
    assert (p.bounce_count, p.overrun_count) == (1, 1)


def test_vectorised_debounce_matches_an_example() -> None:
    edges = np.array([0.0, 0.01, 0.02, 0.1, 0.11, 0.16, 0.2, 1.0])
    mask = debounce_mask(edges, 0.05)
    assert mask.tolist() == [True, False, False, True, False, True, False, True]


def test_debounce_carries_the_last_accepted_edge_across_batches() -> None:
    mask = debounce_mask([0.02, 0.06], 0.05, last_accepted_t_s=0.0)
    assert mask.tolist() == [False, True]


def test_no_debounce_variant_still_caps_the_rate() -> None:
    p = count_events([0.0, 0.01, 0.05], PulseInputParams(debounce_s=0.0))
    assert p.total_pulses == 2
    assert (p.bounce_count, p.overrun_count) == (0, 1)


def test_bad_input_is_refused() -> None:
    with pytest.raises(InputError, match="sorted"):
        debounce_mask([1.0, 0.5], 0.05)
    with pytest.raises(InputError):
        PulseInputParams(kh_wh=0)
    p = count_events([5.0])
    with pytest.raises(InputError):
        p.on_pulse(4.0)
    with pytest.raises(InputError, match="negative"):
        p.accept_counts([1, -1])
    with pytest.raises(InputError, match="whole"):
        p.accept_counts([1.5])


def test_counts_per_interval_are_capped_at_the_input_rate() -> None:
    p = PulseInput(PulseInputParams())
    accepted, overrun = p.accept_counts(np.array([[0, 100, 18_000, 18_001]]), 900.0)
    assert accepted.tolist() == [[0, 100, 18_000, 18_000]]
    assert overrun.tolist() == [[False, False, False, True]]
    assert p.total_pulses == 36_100
    assert p.overrun_count == 1


def test_running_total_survives_a_restart() -> None:
    p = count_events([0.0, 1.0, 2.0])
    q = PulseInput.from_state(p.params, p.to_state())
    q.on_pulse(3.0)
    assert q.total_wh == 40


edge_lists = st.lists(st.floats(0.0, 5.0, allow_nan=False), max_size=200).map(sorted)


@settings(max_examples=200, deadline=None)
@given(edges=edge_lists, split=st.integers(0, 200))
def test_event_and_vectorised_paths_agree(edges: list[float], split: int) -> None:
    one = count_events(edges)
    two = PulseInput(PulseInputParams())
    split = min(split, len(edges))
    a1, _ = two.accept_edges(np.asarray(edges[:split]))
    a2, _ = two.accept_edges(np.asarray(edges[split:]))
    assert two.total_pulses == one.total_pulses
    assert (two.bounce_count, two.overrun_count) == (one.bounce_count, one.overrun_count)
    assert two.total_pulses == a1.size + a2.size


@settings(max_examples=200, deadline=None)
@given(edges=edge_lists, dead_ms=st.integers(0, 100))
def test_debounce_never_counts_more_than_edges_or_faster_than_its_dead_time(
        edges: list[float], dead_ms: int) -> None:
    mask = debounce_mask(edges, dead_ms / 1000.0)
    accepted = np.asarray(edges)[mask]
    assert accepted.size <= len(edges)
    if edges:
        assert mask[0]
    assert np.all(np.diff(accepted) >= dead_ms / 1000.0 - 1e-9)
