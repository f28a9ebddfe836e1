"""The site simulator's vectorised meter path mirrors the meter model's own run."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.field.meter import Meter
from openamr.field.meter.catalogue import get_model
from openamr.field.meter.profile import LoadProfile
from openamr.field.meter.wiring import CT1_VALUES, CT2_VALUES, V2_VALUES, Wiring
from openamr.field.sim.site_scenario import meter_registered_power_w, wiring_segments
from openamr.field.site.model import Fault

WATTS = st.floats(0.0, 20_000.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(l1=WATTS, l2=WATTS, ct1=st.sampled_from(CT1_VALUES), ct2=st.sampled_from(CT2_VALUES),
       v2=st.sampled_from(V2_VALUES), service=st.sampled_from(["split", "network", "single"]))
def test_registered_power_matches_meter_run(l1: float, l2: float, ct1: str, ct2: str, v2: str,
                                            service: str) -> None:
    wiring = Wiring(ct1=ct1, ct2=ct2, v2=v2)
    fast = meter_registered_power_w(service, np.array([l1]), np.array([l2]),
                                    [(0, 1, wiring)])
    run = Meter(get_model("MMSMT-C02"), service, wiring).run(LoadProfile.constant(l1, l2), 60.0)
    assert abs(fast[0] - run.curve.last_power_w) <= 1e-9 * max(1.0, abs(fast[0]))


def test_faults_take_effect_from_their_start_and_keep_earlier_keys() -> None:
    spans = wiring_segments([Fault("m", 600.0, v2="open"), Fault("m", 0.0, ct1="reversed")],
                            n_steps=12, step_s=300.0)
    assert spans == [(0, 2, Wiring(ct1="reversed")), (2, 12, Wiring(ct1="reversed", v2="open"))]
    dark = np.zeros(12, bool)
    dark[5:7] = True
    p = meter_registered_power_w("split", np.full(12, 300.0), np.full(12, 1000.0), spans, dark)
    assert p[:2].tolist() == [700.0, 700.0]  # P2 - P1 with CT1 reversed
    assert p[5:7].tolist() == [0.0, 0.0]  # the meter was dark


def test_many_meters_at_once_match_one_by_one() -> None:
    rng = np.random.default_rng(4)
    l1 = rng.uniform(0.0, 5000.0, (7, 48))
    l2 = rng.uniform(0.0, 5000.0, (7, 48))
    spans = [(0, 48, Wiring())]
    many = meter_registered_power_w("split", l1, l2, spans)
    for i in range(7):
        assert np.array_equal(many[i], meter_registered_power_w("split", l1[i], l2[i], spans))
