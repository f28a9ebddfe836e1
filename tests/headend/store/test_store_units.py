"""Units, tenants and occupancies on both backends (fixture ``store``)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.headend.store import (
    Meter,
    Occupancy,
    OccupancyOverlapError,
    Site,
    Store,
    Tenant,
    Unit,
    open_store,
)
from openamr.timeutil import local_day_bounds_s, site_zone


def _setup(store: Store) -> None:
    store.upsert_site(Site("s1", "One", "America/Los_Angeles"))
    store.upsert_site(Site("s2", "Two", "UTC"))
    for m in ("m1", "m2", "m3"):
        store.upsert_meter(Meter(m, "s1"))
    store.upsert_meter(Meter("x1", "s2"))
    store.upsert_unit(Unit("101", "s1", ("m1", "m2"), "Apartment 101", "apartment", 55.0))
    store.upsert_tenant(Tenant("t1", "Ann Example", "ACC-1", "ann@example.org"))
    store.upsert_tenant(Tenant("t2", "Bob Example"))


def test_units_round_trip(store: Store) -> None:
    _setup(store)
    unit = store.get_unit("101")
    assert unit == Unit("101", "s1", ("m1", "m2"), "Apartment 101", "apartment", 55.0)
    assert store.get_unit("101", site_id="s2") is None
    assert store.unit_of_meter("m2") == unit
    assert store.unit_of_meter("m3") is None
    # replacing the unit replaces its meter list
    store.upsert_unit(Unit("101", "s1", ("m3",), "Apartment 101", "apartment", None))
    assert store.get_unit("101") == Unit("101", "s1", ("m3",), "Apartment 101", "apartment")
    assert store.unit_of_meter("m1") is None
    store.upsert_unit(Unit("common", "s1", ("m1",), kind="common"))
    store.upsert_unit(Unit("101", "s2", ("x1",)))
    assert [(u.site_id, u.unit_id) for u in store.list_units()] == [
        ("s1", "101"), ("s1", "common"), ("s2", "101")]
    assert [u.unit_id for u in store.list_units("s1")] == ["101", "common"]
    with pytest.raises(InputError, match="several sites"):
        store.get_unit("101")
    assert store.get_unit("101", site_id="s2") == Unit("101", "s2", ("x1",))


def test_unit_refusals_change_nothing(store: Store) -> None:
    _setup(store)
    before = store.list_units()
    cases: list[tuple[Unit, str]] = [
        (Unit("102", "nosite", ()), "unknown site 'nosite'"),
        (Unit("102", "s1", ("m9",)), "unknown meter 'm9'"),
        (Unit("102", "s1", ("x1",)), "unknown meter 'x1' of site 's1'"),
        (Unit("102", "s1", ("m3", "m1")), "meter 'm1' already belongs to unit '101'"),
        (Unit("102", "s1", ("m3", "m3")), "listed twice"),
        (Unit("102", "s1", (), floor_area_m2=0.0), "floor_area_m2: must be a number > 0"),
        (Unit("102", "s1", (), floor_area_m2=float("nan")), "floor_area_m2"),
        (Unit("", "s1", ()), "unit_id: unit_id .. is not a valid id"),
        (Unit("Shop A", "s1", ()), "is not a valid id"),
    ]
    for unit, message in cases:
        with pytest.raises(InputError, match=message):
            store.upsert_unit(unit)
    assert store.list_units() == before


def test_tenants(store: Store) -> None:
    _setup(store)
    assert store.get_tenant("t1") == Tenant("t1", "Ann Example", "ACC-1", "ann@example.org")
    store.upsert_tenant(Tenant("t1", "Ann Renamed"))
    assert store.get_tenant("t1") == Tenant("t1", "Ann Renamed")
    assert [t.tenant_id for t in store.list_tenants()] == ["t1", "t2"]
    assert store.get_tenant("nobody") is None
    with pytest.raises(InputError, match="tenant_id"):
        store.upsert_tenant(Tenant(" t3"))


def test_occupancies(store: Store) -> None:
    _setup(store)
    first = store.add_occupancy(Occupancy("s1", "101", "t1", date(2026, 1, 15), date(2026, 3, 8)))
    assert first.occupancy_id is not None
    # idempotent: the same occupancy again is the stored one
    assert store.add_occupancy(Occupancy("s1", "101", "t1", date(2026, 1, 15),
                                         date(2026, 3, 8))) == first
    # half-open: the next tenant may move in on the move-out day
    second = store.add_occupancy(Occupancy("", "101", "t2", date(2026, 3, 8)))
    assert second.site_id == "s1"
    assert second.move_out is None
    assert store.list_occupancies(unit_id="101") == [first, second]
    assert store.list_occupancies(tenant_id="t2") == [second]
    assert store.list_occupancies(start=date(2026, 3, 8)) == [second]
    assert store.list_occupancies(end=date(2026, 3, 8)) == [first]
    assert store.list_occupancies(start=date(2026, 1, 1), end=date(2026, 1, 15)) == []
    assert store.list_occupancies(site_id="s2") == []
    assert store.get_occupancy(int(first.occupancy_id)) == first
    units = store.list_units("s1")
    assert store.occupancies_for_units(units, date(2026, 3, 1), date(2026, 4, 1)) == {
        ("s1", "101"): [first, second]}
    # the tenant moves out: the unit is free again afterwards
    ended = store.set_move_out(int(second.occupancy_id or 0), date(2026, 6, 1))
    assert ended.move_out == date(2026, 6, 1)
    assert store.get_occupancy(int(second.occupancy_id or 0)) == ended
    third = store.add_occupancy(Occupancy("s1", "101", "t1", date(2026, 6, 1)))
    assert store.delete_occupancy(int(third.occupancy_id or 0))
    assert not store.delete_occupancy(int(third.occupancy_id or 0))
    with pytest.raises(InputError, match="has occupancies"):
        store.delete_unit("101")
    store.upsert_unit(Unit("empty", "s1", ("m3",)))
    assert store.delete_unit("empty")
    assert not store.delete_unit("empty")
    assert store.unit_of_meter("m3") is None


def test_occupancy_refusals_change_nothing(store: Store) -> None:
    _setup(store)
    held = store.add_occupancy(Occupancy("s1", "101", "t1", date(2026, 2, 1), date(2026, 5, 1)))
    cases: list[tuple[Occupancy, type[Exception], str]] = [
        (Occupancy("s1", "101", "t2", date(2026, 4, 30)), OccupancyOverlapError,
         r"occupied by tenant 't1' over \[2026-02-01, 2026-05-01\)"),
        (Occupancy("s1", "101", "t2", date(2026, 1, 1), date(2026, 2, 2)),
         OccupancyOverlapError, "overlaps"),
        (Occupancy("s1", "101", "t2", date(2026, 1, 1), date(2026, 12, 1)),
         OccupancyOverlapError, "overlaps"),
        (Occupancy("s1", "101", "t2", date(2026, 6, 1), date(2026, 6, 1)), InputError,
         "move_out: move_out 2026-06-01 must be after move_in"),
        (Occupancy("s1", "nounit", "t2", date(2026, 6, 1)), InputError, "unknown unit"),
        (Occupancy("s1", "101", "nobody", date(2026, 6, 1)), InputError, "unknown tenant"),
        (Occupancy("s1", "101", "t2", "2026-13-01"), InputError,  # type: ignore[arg-type]
         "move_in: not a date"),
    ]
    for occ, kind, message in cases:
        with pytest.raises(kind, match=message):
            store.add_occupancy(occ)
    with pytest.raises(InputError, match="no occupancy 999"):
        store.set_move_out(999, None)
    later = store.add_occupancy(Occupancy("s1", "101", "t2", date(2026, 5, 1)))
    with pytest.raises(OccupancyOverlapError, match="overlaps"):
        store.set_move_out(int(held.occupancy_id or 0), None)  # reopening would overlap
    assert store.list_occupancies() == [held, later]


def test_occupancy_bounds_follow_dst() -> None:
    occ = Occupancy("s1", "101", "t1", date(2026, 3, 8), date(2026, 3, 9))
    start_s, end_s = occ.bounds_s("America/Los_Angeles")
    assert (start_s, end_s) == local_day_bounds_s(date(2026, 3, 8),
                                                  site_zone("America/Los_Angeles"))
    assert end_s is not None
    assert end_s - start_s == 23 * 3600
    assert occ.days_in(date(2026, 3, 1), date(2026, 4, 1)) == 1
    assert occ.overlap(date(2026, 3, 9), date(2026, 4, 1)) is None
    assert Occupancy("s1", "u", "t", date(2026, 3, 20)).days_in(date(2026, 3, 1),
                                                                date(2026, 4, 1)) == 12


_DAY = st.integers(min_value=0, max_value=60)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_DAY, st.integers(min_value=1, max_value=30)), max_size=8))
def test_stored_occupancies_never_overlap(spans: list[tuple[int, int]]) -> None:
    """Whatever is offered, what the store keeps for a unit is pairwise disjoint, and an offer
    is refused exactly when it overlaps something kept."""
    with open_store(":memory:") as store:
        store.upsert_site(Site("s", "S", "UTC"))
        store.upsert_unit(Unit("u", "s"))
        store.upsert_tenant(Tenant("t"))
        kept: list[tuple[int, int]] = []
        base = date(2026, 1, 1).toordinal()
        for first, length in spans:
            occ = Occupancy("s", "u", "t", date.fromordinal(base + first),
                            date.fromordinal(base + first + length))
            clash = any(a < first + length and first < b for a, b in kept)
            if clash and (first, first + length) not in kept:
                with pytest.raises(OccupancyOverlapError):
                    store.add_occupancy(occ)
            else:
                store.add_occupancy(occ)
                if (first, first + length) not in kept:
                    kept.append((first, first + length))
        stored = sorted((o.move_in.toordinal() - base, (o.move_out or o.move_in).toordinal()
                         - base) for o in store.list_occupancies())
        assert stored == sorted(kept)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(stored))
