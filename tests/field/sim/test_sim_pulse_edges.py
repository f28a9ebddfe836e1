"""One meter, one MDT: the site simulator's pulses per interval are what the MDT's pulse input
would count edge by edge.

The simulator gives each MDT the closures of its meter's Kh 10 output per 15-minute interval
(:func:`closure_counts_per_interval`) instead of feeding it every edge.  Here the meter's exact
50 %-duty transitions (:func:`transition_times_s`) go through the MDT's debounce
(:meth:`PulseInput.accept_edges`) one by one, up to the largest kit's maximum load (two elements
at 220 A and the 138 V supply maximum), and the two paths count the same pulses in the same
intervals.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.field.mdt import PulseInput, PulseInputParams
from openamr.field.meter.catalogue import CATALOGUE_NUMBERS, get_model
from openamr.field.meter.outputs import closure_counts_per_interval, transition_times_s
from openamr.field.meter.registers import EnergyCurve

STEP_S = 60.0
INTERVAL_S = 900.0
KH_WH = 10.0
MAX_POWER_W = max(2 * m.max_primary_current_a * m.supply_max_v
                  for m in (get_model(name) for name in CATALOGUE_NUMBERS))
"""The largest load any kit registers [W]: two elements at their maximum current and the
manual's highest supply voltage, unity power factor."""


def test_the_largest_load_closes_the_output_far_slower_than_the_dead_time() -> None:
    spacing_s = KH_WH * 3600.0 / MAX_POWER_W
    assert spacing_s > 10 * PulseInput(PulseInputParams()).params.dead_time_s


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=15, max_size=8 * 60))
def test_debouncing_each_edge_counts_the_closures_per_interval(shares: list[float]) -> None:
    power_w = np.asarray(shares) * MAX_POWER_W
    t_s = np.arange(power_w.size + 1) * STEP_S
    times_s, rising = transition_times_s(EnergyCurve(t_s, power_w), KH_WH)
    accepted_s, overrun_s = PulseInput(PulseInputParams()).accept_edges(times_s[rising])
    assert accepted_s.size == int(rising.sum())
    assert overrun_s.size == 0
    n_int = int(np.ceil(power_w.size * STEP_S / INTERVAL_S))
    # an edge exactly at an interval's end belongs to that interval
    interval = np.maximum(np.ceil(accepted_s / INTERVAL_S).astype(np.int64) - 1, 0)
    per_edge = np.bincount(interval, minlength=n_int)
    counts = closure_counts_per_interval(power_w, STEP_S, INTERVAL_S, KH_WH)
    per_interval, overrun = PulseInput(PulseInputParams()).accept_counts(counts, INTERVAL_S)
    assert not overrun.any()
    np.testing.assert_array_equal(per_edge, per_interval)


def test_next_closure_spreads_an_intervals_closures_evenly() -> None:
    """``MdtNode.next_closure_s``: when a switched-off MDT's meter next pulses (the closures
    of each interval evenly spread over it; none beyond the run)."""
    from openamr.field.kernel import Kernel
    from openamr.field.mesh.mdt_node import MdtNode
    from openamr.field.mesh.medium import Medium
    from openamr.field.mesh.network import Network
    from openamr.field.mesh.params import MeshParams

    net = Network(Kernel(), Medium(1, [], [], [], []), MeshParams(), lambda frames, t: [])
    # intervals of 0, 3, 0 and 1 closures (Kh 10)
    node = MdtNode(net, 0, 0x100, "00" * 16, np.array([0, 30, 0, 10], dtype=np.int64))
    assert node.next_closure_s(0.0) == 900 + 150
    assert node.next_closure_s(1050.0) == 900 + 450
    assert node.next_closure_s(1049.0) == 1050
    assert node.next_closure_s(1650.0) == 2700 + 450
    assert node.next_closure_s(3150.0) is None
