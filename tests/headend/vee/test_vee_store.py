"""The VEE tables on both backends: rows, edits, findings, coverage, the stored span."""

from __future__ import annotations

import numpy as np
import pytest

from openamr.errors import StoreError
from openamr.headend.store import IntervalBatch, Meter, Site, Store
from openamr.headend.store.vee_rows import VeeEdit, VeeFinding, VeeRows

T0 = 1_790_000_000 - 1_790_000_000 % 900


def _setup(store: Store) -> tuple[int, int]:
    store.upsert_site(Site("s1"))
    store.upsert_site(Site("s2"))
    store.upsert_meter(Meter("m1", "s1"))
    store.upsert_meter(Meter("m2", "s2"))
    k1, k2 = store.meter_keys(["m1", "m2"]).tolist()
    return int(k1), int(k2)


def test_rows_upsert_read_and_delete(vee_store: Store) -> None:
    k1, k2 = _setup(vee_store)
    rows = VeeRows(np.array([k2, k1, k1]), np.array([T0, T0 + 900, T0]),
                   np.array([3.0, 2.0, 1.0]), np.array([4, 5, 7]), np.array([1, 2, 0]),
                   np.array([1, 1, 8]))
    assert vee_store.put_vee_rows(rows) == 3
    got = vee_store.get_vee_rows([k1, k2])
    assert list(zip(got.meter_key.tolist(), got.start_s.tolist(), got.energy_wh.tolist(),
                    strict=True)) == sorted([(k1, T0, 1.0), (k1, T0 + 900, 2.0), (k2, T0, 3.0)])
    vee_store.put_vee_rows(VeeRows(np.array([k1]), np.array([T0]), np.array([9.0]),
                                   np.array([6]), np.array([5]), np.array([0])))
    one = vee_store.get_vee_rows([k1], T0, T0 + 1)
    assert (one.energy_wh.tolist(), one.quality.tolist(), one.method.tolist()) == ([9.0], [6],
                                                                                    [5])
    assert vee_store.delete_vee_rows(np.array([k1, k1]), np.array([T0, T0 + 1])) == 1
    assert len(vee_store.get_vee_rows([k1, k2])) == 2
    with pytest.raises(StoreError, match="NaN"):
        vee_store.put_vee_rows(VeeRows(np.array([k1]), np.array([T0]), np.array([np.nan]),
                                       np.array([6]), np.array([5]), np.array([0])))


def test_edits_keep_an_audit_trail(vee_store: Store) -> None:
    _setup(vee_store)
    first = vee_store.put_vee_edit(VeeEdit("m1", T0, 5.0, "ann", "re-read", 100, None))
    second = vee_store.put_vee_edit(VeeEdit("m1", T0, 6.0, "bob", "typo", 200, 5.0))
    vee_store.put_vee_edit(VeeEdit("m2", T0, 1.0, "ann", "x", 300, 2.0))
    assert second > first
    trail = vee_store.list_vee_edits("m1")
    assert [(e.user, e.before_wh, e.after_wh, e.reason, e.edited_s) for e in trail] == [
        ("bob", 5.0, 6.0, "typo", 200), ("ann", None, 5.0, "re-read", 100)]
    assert len(vee_store.list_vee_edits()) == 3
    assert vee_store.list_vee_edits("nope") == []
    assert vee_store.list_vee_edits("m1", T0 + 1) == []
    row = vee_store.get_vee_rows(vee_store.meter_keys(["m1"]))
    assert row.energy_wh.tolist() == [6.0]


def test_findings_are_replaced_per_range_and_listed(vee_store: Store) -> None:
    k1, k2 = _setup(vee_store)
    gap = VeeFinding("m1", "vee.gap", T0, T0 + 1800, 2, "2 missing")
    spike = VeeFinding("m1", "vee.spike", T0 + 3600, T0 + 4500, 1, "1")
    assert vee_store.replace_vee_findings(k1, T0, T0 + 86_400, [gap, spike]) == (2, 0)
    assert vee_store.replace_vee_findings(k1, T0, T0 + 86_400, [gap, spike]) == (0, 0)
    assert vee_store.replace_vee_findings(k2, T0, T0 + 86_400,
                                          [VeeFinding("m2", "vee.gap", T0, T0 + 900, 1)]) == (1,
                                                                                              0)
    assert vee_store.list_vee_findings(meter_id="m1") == [gap, spike]
    assert vee_store.list_vee_findings(site_id="s2")[0].meter_id == "m2"
    assert vee_store.list_vee_findings(code="vee.spike") == [spike]
    assert vee_store.list_vee_findings(start_s=T0 + 1800, end_s=T0 + 3600) == []
    assert vee_store.list_vee_findings(limit=1, offset=1) == [spike]
    assert vee_store.replace_vee_findings(k1, T0, T0 + 86_400, [gap]) == (0, 1)


def test_coverage_merges_and_the_span_of_stored_intervals(vee_store: Store) -> None:
    k1, k2 = _setup(vee_store)
    assert vee_store.interval_span_s([k1]) is None
    vee_store.put_intervals(IntervalBatch("m1", [T0 + 900, T0 + 9000], [1.0, 2.0]))
    assert vee_store.interval_span_s([k1, k2]) == (T0 + 900, T0 + 9900)
    assert vee_store.add_vee_coverage(k1, 100, 200)
    assert vee_store.add_vee_coverage(k1, 300, 400)
    assert not vee_store.add_vee_coverage(k1, 120, 180)
    assert vee_store.add_vee_coverage(k1, 200, 300)  # touching ranges merge
    assert vee_store.get_vee_coverage(k1) == [(100, 400)]
    assert vee_store.get_vee_coverage(k2) == []
