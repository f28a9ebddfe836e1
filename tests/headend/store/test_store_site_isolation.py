"""Property: whatever another site registers or stores (the same ids, even A's EUI-64s), no row
of site A changes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import StoreError
from openamr.headend.store import Device, IntervalBatch, Meter, Site, Store, open_store

T0 = 1_767_225_600
IDS = st.sampled_from(["M-01", "M-02", "M-03", "REP-001", "DCAP-1"])
EUIS = st.integers(min_value=1, max_value=12).map(lambda i: f"{i:016x}")
OPS = st.lists(st.one_of(
    st.tuples(st.just("meter"), IDS, st.none()),
    st.tuples(st.just("device"), IDS, EUIS),
    st.tuples(st.just("interval"), IDS, st.integers(0, 5)),
    st.tuples(st.just("remove"), EUIS, st.none()),
), max_size=25)


def _snapshot(store: Store) -> tuple[object, ...]:
    meters = store.list_meters("a")
    return (meters, store.list_devices("a"),
            [(m.meter_id, store.get_intervals(m.meter_id, site_id="a").energy_wh.tolist())
             for m in meters])


def _apply(store: Store, op: tuple[str, str, object]) -> None:
    kind, ident, arg = op
    try:
        if kind == "meter":
            store.upsert_meter(Meter(ident, "b", None, "X", unit="b"))
        elif kind == "device":
            store.upsert_device(Device(str(arg), "mdt", "b", None, "", "ff" * 16,
                                       local_id=ident))
        elif kind == "interval":
            store.put_intervals(IntervalBatch(ident, [T0 + 900 * int(str(arg))], [99.0],
                                              site_id="b"))
        elif (dev := store.get_device(ident)) is not None and dev.site_id == "b":
            store.remove_device(ident)
    except StoreError:
        pass  # refused (an EUI of site A, an unknown meter of B): refused is fine, changed is not


@settings(max_examples=40, deadline=None)
@given(OPS)
def test_site_b_never_changes_site_a(ops: list[tuple[str, str, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp, open_store(str(Path(tmp) / "s.db")) as store:
        for site in ("a", "b"):
            store.upsert_site(Site(site, site, "UTC"))
        for i, mid in enumerate(("M-01", "M-02")):
            eui = f"{i + 1:016x}"
            store.upsert_meter(Meter(mid, "a", eui, "MMSMT-C02"))
            store.upsert_device(Device(eui, "mdt", "a", mid, "", "00" * 16, local_id=mid))
            store.put_intervals(IntervalBatch(mid, [T0, T0 + 900], [1.0 + i, 2.0], site_id="a"))
        before = _snapshot(store)
        for op in ops:
            _apply(store, op)
        assert _snapshot(store) == before
