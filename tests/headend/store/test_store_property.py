"""put_intervals invariants on each backend (hypothesis): batches in any order, with repeats and
contradictions, keep the first value of each interval, count every row once, change nothing
stored."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openamr.headend.store import IntervalBatch, Meter, Site, Store

T0 = 1_767_225_600
_fresh = itertools.count()

_rows = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 15), st.integers(0, 3)),
                 min_size=1, max_size=30)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(_rows, min_size=1, max_size=5))
def test_first_value_wins_and_every_row_is_counted(store: Store,
                                                   batches: list[list[tuple[int, int, int]]]
                                                   ) -> None:
    run = next(_fresh)
    store.upsert_site(Site("s"))
    meters = [f"p{run}-{i}" for i in range(3)]
    for m in meters:
        store.upsert_meter(Meter(m, "s"))
    first: dict[tuple[str, int], float] = {}
    conflicts = 0
    for rows in batches:
        ids = [meters[m] for m, _, _ in rows]
        starts = np.array([T0 + 900 * k for _, k, _ in rows], dtype=np.int64)
        energy = np.array([float(e) for _, _, e in rows])
        r = store.put_intervals(IntervalBatch(ids, starts, energy, "import", T0))
        assert r.inserted + r.duplicates + r.conflicts == len(rows)
        expected_new = 0
        for mid, s, e in zip(ids, starts.tolist(), energy.tolist(), strict=True):
            if (mid, s) not in first:
                first[(mid, s)] = e
                expected_new += 1
            elif first[(mid, s)] != e:
                conflicts += 1
        assert r.inserted == expected_new
    for m in meters:
        got = store.get_intervals(m)
        want = sorted((s, e) for (mid, s), e in first.items() if mid == m)
        assert list(zip(got.start_s.tolist(), got.energy_wh.tolist(), strict=True)) == want
    assert len(store.list_rejections(limit=10_000, reason="conflict")) >= conflicts
