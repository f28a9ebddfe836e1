"""The SQL of units, tenants and occupancies, shared by both backends (mixed into ``SqlStore``).

Dates are stored as ISO text (``YYYY-MM-DD``), which orders like the dates themselves in both
engines; the overlap check runs inside the write transaction, so two writers cannot both pass
it (SQLite: one writer; PostgreSQL: the unit's row is locked with ``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import TYPE_CHECKING, Any

from openamr.errors import InputError
from openamr.headend.ids import check_id
from openamr.headend.store.units import (
    Occupancy,
    OccupancyOverlapError,
    Tenant,
    Unit,
    UnitsStore,
    parse_local_date,
)

__all__ = ["UnitsSql"]

_OCC_COLS = ("o.occupancy_id, u.site_id, u.unit_id, o.tenant_id, o.move_in, o.move_out")


def _text_id(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError("must be a non-empty string", where=where)
    if value != value.strip():
        raise InputError(f"{value!r} has leading or trailing spaces", where=where)
    return value


def _occupancy(row: Sequence[Any]) -> Occupancy:
    return Occupancy(site_id=row[1], unit_id=row[2], tenant_id=row[3],
                     move_in=date.fromisoformat(row[4]),
                     move_out=None if row[5] is None else date.fromisoformat(row[5]),
                     occupancy_id=int(row[0]))


class UnitsSql(UnitsStore):
    """:class:`UnitsStore` over the SQL helpers of ``SqlStore`` (``_wx``, ``_q``, ``_q1``)."""

    dialect: str

    if TYPE_CHECKING:  # provided by SqlStore
        def transaction(self) -> AbstractContextManager[None]: ...

        def _wx(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

        def _q(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    # -- units ----------------------------------------------------------------------------

    def _unit_key(self, unit_id: str, site_id: str | None, *, write: bool = False
                  ) -> tuple[int, str] | None:
        """``(unit_key, site_id)`` of a unit, None if unknown; ``InputError`` if ambiguous."""
        sql = "SELECT unit_key, site_id FROM units WHERE unit_id = ?"
        params: list[Any] = [unit_id]
        if site_id is not None:
            sql += " AND site_id = ?"
            params.append(site_id)
        rows = (self._wx(sql, params).fetchall() if write else self._q(sql, params))
        if not rows:
            return None
        if len(rows) > 1:
            sites = ", ".join(sorted(str(r[1]) for r in rows))
            raise InputError(f"unit {unit_id!r} exists in several sites ({sites}): give the "
                             "site", where="site_id")
        return int(rows[0][0]), str(rows[0][1])

    def upsert_unit(self, unit: Unit) -> None:
        check_id(unit.unit_id, "unit_id")
        _text_id(unit.site_id, "site_id")
        area = unit.floor_area_m2
        if area is not None and not (isinstance(area, int | float) and math.isfinite(area)
                                     and area > 0):
            raise InputError(f"must be a number > 0, got {area!r}", where="floor_area_m2")
        meters = list(unit.meter_ids)
        for i, meter_id in enumerate(meters):
            _text_id(meter_id, f"meter_ids[{i}]")
        if len(set(meters)) != len(meters):
            raise InputError("a meter is listed twice", where="meter_ids")
        with self.transaction():
            if not self._wx("SELECT 1 FROM sites WHERE site_id = ?", (unit.site_id,)).fetchall():
                raise InputError(f"unknown site {unit.site_id!r}", where="site_id")
            if meters:
                marks = ", ".join("?" for _ in meters)
                known = {r[0] for r in self._wx(
                    f"SELECT meter_id FROM meters WHERE site_id = ? AND meter_id IN ({marks})",
                    (unit.site_id, *meters)).fetchall()}
                unknown = [m for m in meters if m not in known]
                if unknown:
                    raise InputError(f"unknown meter {unknown[0]!r} of site {unit.site_id!r}",
                                     where="meter_ids")
                taken = self._wx(
                    "SELECT um.meter_id, u.unit_id FROM unit_meters um JOIN units u "
                    f"ON u.unit_key = um.unit_key WHERE um.site_id = ? AND um.meter_id IN "
                    f"({marks}) AND u.unit_id <> ? ORDER BY um.meter_id",
                    (unit.site_id, *meters, unit.unit_id)).fetchall()
                if taken:
                    raise InputError(f"meter {taken[0][0]!r} already belongs to unit "
                                     f"{taken[0][1]!r}", where="meter_ids")
            row = self._wx(
                "INSERT INTO units (site_id, unit_id, name, kind, floor_area_m2) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (site_id, unit_id) DO UPDATE SET "
                "name = excluded.name, kind = excluded.kind, "
                "floor_area_m2 = excluded.floor_area_m2 RETURNING unit_key",
                (unit.site_id, unit.unit_id, unit.name, unit.kind,
                 None if area is None else float(area))).fetchone()
            key = int(row[0])
            self._wx("DELETE FROM unit_meters WHERE unit_key = ?", (key,))
            for meter_id in meters:
                self._wx("INSERT INTO unit_meters (unit_key, site_id, meter_id) VALUES (?, ?, ?)",
                         (key, unit.site_id, meter_id))

    def _units(self, where: str, params: Sequence[Any]) -> list[Unit]:
        rows = self._q(
            "SELECT u.unit_key, u.unit_id, u.site_id, u.name, u.kind, u.floor_area_m2, "
            f"um.meter_id FROM units u LEFT JOIN unit_meters um ON um.unit_key = u.unit_key "
            f"{where} ORDER BY u.site_id, u.unit_id, um.meter_id", params)
        out: list[Unit] = []
        meters: dict[int, list[str]] = {}
        for key, unit_id, site_id, name, kind, area, meter_id in rows:
            if key not in meters:
                meters[key] = []
                out.append(Unit(unit_id, site_id, (), name, kind,
                                None if area is None else float(area)))
            if meter_id is not None:
                meters[key].append(meter_id)
        return [Unit(u.unit_id, u.site_id, tuple(m), u.name, u.kind, u.floor_area_m2)
                for u, m in zip(out, meters.values(), strict=True)]

    def get_unit(self, unit_id: str, *, site_id: str | None = None) -> Unit | None:
        found = self._unit_key(unit_id, site_id)
        if found is None:
            return None
        units = self._units("WHERE u.unit_key = ?", (found[0],))
        return units[0] if units else None

    def list_units(self, site_id: str | None = None) -> list[Unit]:
        if site_id is None:
            return self._units("", ())
        return self._units("WHERE u.site_id = ?", (site_id,))

    def unit_of_meter(self, meter_id: str, *, site_id: str | None = None) -> Unit | None:
        sql = "SELECT unit_key FROM unit_meters WHERE meter_id = ?"
        params: list[Any] = [meter_id]
        if site_id is not None:
            sql += " AND site_id = ?"
            params.append(site_id)
        rows = self._q(sql, params)
        if len(rows) > 1:
            raise InputError(f"meter {meter_id!r} exists in several sites: give the site",
                             where="site_id")
        if not rows:
            return None
        units = self._units("WHERE u.unit_key = ?", (int(rows[0][0]),))
        return units[0] if units else None

    def delete_unit(self, unit_id: str, *, site_id: str | None = None) -> bool:
        with self.transaction():
            found = self._unit_key(unit_id, site_id, write=True)
            if found is None:
                return False
            if self._wx("SELECT 1 FROM occupancies WHERE unit_key = ?", (found[0],)).fetchall():
                raise InputError(f"unit {unit_id!r} has occupancies (billing history): it "
                                 "cannot be deleted", where="unit_id")
            self._wx("DELETE FROM unit_meters WHERE unit_key = ?", (found[0],))
            self._wx("DELETE FROM units WHERE unit_key = ?", (found[0],))
            return True

    # -- tenants --------------------------------------------------------------------------

    def upsert_tenant(self, tenant: Tenant) -> None:
        check_id(tenant.tenant_id, "tenant_id")
        with self.transaction():
            self._wx("INSERT INTO tenants (tenant_id, name, account, email) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (tenant_id) DO UPDATE SET name = excluded.name, "
                     "account = excluded.account, email = excluded.email",
                     (tenant.tenant_id, tenant.name, tenant.account, tenant.email))

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        rows = self._q("SELECT tenant_id, name, account, email FROM tenants WHERE tenant_id = ?",
                       (tenant_id,))
        return Tenant(*rows[0]) if rows else None

    def list_tenants(self) -> list[Tenant]:
        return [Tenant(*r) for r in self._q("SELECT tenant_id, name, account, email FROM tenants "
                                            "ORDER BY tenant_id")]

    # -- occupancies ----------------------------------------------------------------------

    def _check_dates(self, move_in: object, move_out: object) -> tuple[date, date | None]:
        start = parse_local_date(move_in, where="move_in")  # type: ignore[arg-type]
        if start is None:
            raise InputError("a move-in date is required", where="move_in")
        end = parse_local_date(move_out, where="move_out")  # type: ignore[arg-type]
        if end is not None and end <= start:
            raise InputError(f"move_out {end.isoformat()} must be after move_in "
                             f"{start.isoformat()} (dates are half-open: [move_in, move_out))",
                             where="move_out")
        return start, end

    def _lock_unit(self, key: int) -> None:
        if self.dialect == "postgres":
            self._wx("SELECT unit_key FROM units WHERE unit_key = ? FOR UPDATE", (key,))

    def _check_overlap(self, key: int, unit_id: str, start: date, end: date | None,
                       exclude_id: int | None) -> None:
        sql = ("SELECT occupancy_id, tenant_id, move_in, move_out FROM occupancies "
               "WHERE unit_key = ? AND (move_out IS NULL OR move_out > ?)")
        params: list[Any] = [key, start.isoformat()]
        if end is not None:
            sql += " AND move_in < ?"
            params.append(end.isoformat())
        if exclude_id is not None:
            sql += " AND occupancy_id <> ?"
            params.append(exclude_id)
        rows = self._wx(sql + " ORDER BY move_in LIMIT 1", params).fetchall()
        if rows:
            oid, tenant, a, b = rows[0]
            raise OccupancyOverlapError(
                f"unit {unit_id!r} is occupied by tenant {tenant!r} over [{a}, "
                f"{b or 'open'}) (occupancy {oid}): it overlaps [{start.isoformat()}, "
                f"{end.isoformat() if end else 'open'}); end that occupancy first",
                where="move_in")

    def add_occupancy(self, occupancy: Occupancy) -> Occupancy:
        start, end = self._check_dates(occupancy.move_in, occupancy.move_out)
        _text_id(occupancy.tenant_id, "tenant_id")
        with self.transaction():
            found = self._unit_key(occupancy.unit_id, occupancy.site_id or None, write=True)
            if found is None:
                raise InputError(f"unknown unit {occupancy.unit_id!r} of site "
                                 f"{occupancy.site_id!r}", where="unit_id")
            key, site_id = found
            if not self._wx("SELECT 1 FROM tenants WHERE tenant_id = ?",
                            (occupancy.tenant_id,)).fetchall():
                raise InputError(f"unknown tenant {occupancy.tenant_id!r} (create it first)",
                                 where="tenant_id")
            self._lock_unit(key)
            same_end = ("move_out IS NULL", ()) if end is None else ("move_out = ?",
                                                                      (end.isoformat(),))
            same = self._wx(
                "SELECT occupancy_id FROM occupancies WHERE unit_key = ? AND tenant_id = ? AND "
                f"move_in = ? AND {same_end[0]}",
                (key, occupancy.tenant_id, start.isoformat(), *same_end[1])).fetchall()
            if same:
                return Occupancy(site_id, occupancy.unit_id, occupancy.tenant_id, start, end,
                                 int(same[0][0]))
            self._check_overlap(key, occupancy.unit_id, start, end, None)
            row = self._wx(
                "INSERT INTO occupancies (unit_key, tenant_id, move_in, move_out) "
                "VALUES (?, ?, ?, ?) RETURNING occupancy_id",
                (key, occupancy.tenant_id, start.isoformat(),
                 None if end is None else end.isoformat())).fetchone()
            return Occupancy(site_id, occupancy.unit_id, occupancy.tenant_id, start, end,
                             int(row[0]))

    def set_move_out(self, occupancy_id: int, move_out: date | None) -> Occupancy:
        with self.transaction():
            rows = self._wx(f"SELECT {_OCC_COLS}, o.unit_key FROM occupancies o JOIN units u "
                            "ON u.unit_key = o.unit_key WHERE o.occupancy_id = ?",
                            (int(occupancy_id),)).fetchall()
            if not rows:
                raise InputError(f"no occupancy {occupancy_id}", where="occupancy_id")
            current = _occupancy(rows[0])
            key = int(rows[0][6])
            start, end = self._check_dates(current.move_in, move_out)
            self._lock_unit(key)
            self._check_overlap(key, current.unit_id, start, end, int(occupancy_id))
            self._wx("UPDATE occupancies SET move_out = ? WHERE occupancy_id = ?",
                     (None if end is None else end.isoformat(), int(occupancy_id)))
            return Occupancy(current.site_id, current.unit_id, current.tenant_id, start, end,
                             current.occupancy_id)

    def get_occupancy(self, occupancy_id: int) -> Occupancy | None:
        rows = self._q(f"SELECT {_OCC_COLS} FROM occupancies o JOIN units u "
                       "ON u.unit_key = o.unit_key WHERE o.occupancy_id = ?",
                       (int(occupancy_id),))
        return _occupancy(rows[0]) if rows else None

    def delete_occupancy(self, occupancy_id: int) -> bool:
        with self.transaction():
            return bool(self._wx("DELETE FROM occupancies WHERE occupancy_id = ? "
                                 "RETURNING occupancy_id", (int(occupancy_id),)).fetchall())

    def list_occupancies(self, *, site_id: str | None = None, unit_id: str | None = None,
                         tenant_id: str | None = None, start: date | None = None,
                         end: date | None = None) -> list[Occupancy]:
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("u.site_id", site_id), ("u.unit_id", unit_id),
                              ("o.tenant_id", tenant_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        first = parse_local_date(start, where="start")
        stop = parse_local_date(end, where="end")
        if first is not None:
            where.append("(o.move_out IS NULL OR o.move_out > ?)")
            params.append(first.isoformat())
        if stop is not None:
            where.append("o.move_in < ?")
            params.append(stop.isoformat())
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._q(f"SELECT {_OCC_COLS} FROM occupancies o JOIN units u "
                       f"ON u.unit_key = o.unit_key{clause} "
                       "ORDER BY u.site_id, u.unit_id, o.move_in", params)
        return [_occupancy(r) for r in rows]
