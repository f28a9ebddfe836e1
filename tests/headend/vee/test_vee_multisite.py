"""VEE with meter ids repeated across sites (the API's site scopes: test_api_vee_sites.py)."""

from __future__ import annotations

import numpy as np
import pytest
from vee_seed import seed_meter

from openamr.errors import InputError
from openamr.headend.store import IntervalBatch, Meter, Site, Store
from openamr.headend.vee import edit_interval, run_vee, validated_intervals

NOW_S = 2_000_000_000


def _two_sites(store: Store) -> tuple[np.ndarray, np.ndarray]:
    drop = np.zeros(42 * 96, dtype=bool)
    drop[3000:3002] = True
    starts, true = seed_meter(store, drop=drop)  # site s1, meter m1
    store.upsert_site(Site("s2", "annex", "UTC"))
    store.upsert_meter(Meter("m1", "s2"))
    store.put_intervals(IntervalBatch("m1", starts[:100], np.full(100, 7.0), site_id="s2"))
    return starts, true


def test_the_same_meter_id_at_two_sites(store: Store) -> None:
    starts, _ = _two_sites(store)
    with pytest.raises(InputError, match="exists at sites s1, s2"):
        run_vee(store, meter_ids=["m1"], now_s=NOW_S)
    one = run_vee(store, site_id="s1", meter_ids=["m1"], now_s=NOW_S)
    assert one.estimated_by_method == {"linear": 2}
    every = run_vee(store, now_s=NOW_S)  # both sites, each meter on its own site
    assert every.meters == 2
    assert every.rows_written == 0
    grid = validated_intervals(store, ["m1"], int(starts[0]), int(starts[200]), site_id="s2")
    assert np.nansum(grid.energy_wh) == 700.0
    with pytest.raises(InputError, match="exists at sites"):
        edit_interval(store, "m1", int(starts[0]), 1.0, user="u", reason="r", now_s=NOW_S)
    edit = edit_interval(store, "m1", int(starts[0]), 1.0, user="u", reason="r", now_s=NOW_S,
                         site_id="s2")
    assert (edit.site_id, edit.before_wh) == ("s2", 7.0)
    assert [e.site_id for e in store.list_vee_edits("m1", site_id="s2")] == ["s2"]
    assert store.list_vee_edits("m1", site_id="s1") == []
