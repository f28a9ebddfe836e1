"""Units, tenants and occupancies: who is billed for which meters over which local dates.

A **unit** (an apartment, office, shop, the common area, a PV array ...) is one or more meters
of one site, billed together, with an optional floor area [m²] (for common-area allocation and
for comparing like units) and a free ``kind`` (the unit type).  A **tenant** is a person or
company billed by the property manager.  An **occupancy** says that a tenant occupies a unit
over the civil dates ``[move_in, move_out)`` of the site's time zone: from local midnight at
the start of ``move_in`` to local midnight at the start of ``move_out`` (``None``: still
there).  Occupancies of one unit never overlap; a bill is prorated to the part of its period
that an occupancy covers (:meth:`Occupancy.overlap`, :meth:`Occupancy.bounds_s`).

This module holds the rows and :class:`UnitsStore`, the narrow interface billing and the API
use; :class:`openamr.headend.store.Store` includes it and both backends implement it
(``_units_sql``).  Bad input raises :class:`~openamr.errors.InputError` naming the field;
an overlap raises its subclass :class:`OccupancyOverlapError` (the API answers 409).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from openamr.errors import InputError
from openamr.timeutil import local_day_bounds_s, site_zone

__all__ = [
    "Occupancy",
    "OccupancyOverlapError",
    "Tenant",
    "Unit",
    "UnitsStore",
    "parse_local_date",
]


class OccupancyOverlapError(InputError):
    """An occupancy would overlap another of the same unit (``where`` names the field)."""


def parse_local_date(value: date | str | None, *, where: str) -> date | None:
    """A civil date from a ``date`` or ``YYYY-MM-DD`` text (``None`` stays ``None``).

    A ``datetime`` is refused: occupancies are whole local days."""
    if value is None or (isinstance(value, date) and type(value) is date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise InputError(f"not a date (YYYY-MM-DD): {value!r}", where=where) from exc
    raise InputError(f"expected a date (YYYY-MM-DD), got {type(value).__name__}", where=where)


@dataclass(frozen=True, slots=True)
class Unit:
    """One or more meters of a site billed together (an apartment, an office, a PV array)."""

    unit_id: str
    site_id: str
    meter_ids: tuple[str, ...] = ()
    """The unit's meters (each meter belongs to at most one unit)."""
    name: str = ""
    kind: str = ""
    """Unit type (``apartment``, ``office``, ``retail``, ``common``, ``pv`` ...); free text,
    compared as written when energy reports look for similar units."""
    floor_area_m2: float | None = None
    """Floor area [m²] (> 0), for common-area allocation and floor-area bands."""


@dataclass(frozen=True, slots=True)
class Tenant:
    """Someone billed for a unit's energy."""

    tenant_id: str
    name: str = ""
    account: str = ""
    """The billing company's account reference (free text)."""
    email: str = ""


@dataclass(frozen=True, slots=True)
class Occupancy:
    """Tenant ``tenant_id`` occupies unit ``unit_id`` of ``site_id`` over the local dates
    ``[move_in, move_out)`` (``move_out`` None: open-ended)."""

    site_id: str
    unit_id: str
    tenant_id: str
    move_in: date
    """First civil day occupied (site's time zone)."""
    move_out: date | None = None
    """First civil day no longer occupied (exclusive); ``None`` while the tenant stays."""
    occupancy_id: int | None = None
    """Assigned by the store (None before storing)."""

    def overlap(self, start: date, end: date) -> tuple[date, date] | None:
        """The civil dates ``[a, b)`` this occupancy shares with ``[start, end)``, or None."""
        a = max(self.move_in, start)
        b = end if self.move_out is None else min(self.move_out, end)
        return (a, b) if a < b else None

    def days_in(self, start: date, end: date) -> int:
        """How many civil days of ``[start, end)`` the occupancy covers (proration)."""
        shared = self.overlap(start, end)
        return 0 if shared is None else (shared[1] - shared[0]).days

    def bounds_s(self, timezone: str) -> tuple[int, int | None]:
        """UTC epoch seconds ``[start, end)`` of the occupancy in the site's zone ``timezone``
        (``end`` None when open-ended); DST days are 23 or 25 hours long."""
        zone = site_zone(timezone)
        start_s = local_day_bounds_s(self.move_in, zone)[0]
        end_s = None if self.move_out is None else local_day_bounds_s(self.move_out, zone)[0]
        return start_s, end_s


class UnitsStore(abc.ABC):
    """The units-and-tenants part of the store (both backends implement it).

    Identity: ``unit_id`` is unique within its site; where a method takes ``site_id=None`` a
    unit id alone works when only one site has it (otherwise ``InputError`` asks for the site).
    Tenant ids are global (one tenant may rent in several sites).
    """

    # -- units ----------------------------------------------------------------------------

    @abc.abstractmethod
    def upsert_unit(self, unit: Unit) -> None:
        """Insert or replace a unit and its meter list.

        Refused (``InputError``): an unknown site, a meter that is not a meter of that site,
        a meter already in another unit, a floor area that is not > 0, an empty id."""

    @abc.abstractmethod
    def get_unit(self, unit_id: str, *, site_id: str | None = None) -> Unit | None: ...

    @abc.abstractmethod
    def list_units(self, site_id: str | None = None) -> list[Unit]:
        """Units (of one site), by ``(site_id, unit_id)``."""

    @abc.abstractmethod
    def unit_of_meter(self, meter_id: str, *, site_id: str | None = None) -> Unit | None:
        """The unit a meter belongs to, if any."""

    @abc.abstractmethod
    def delete_unit(self, unit_id: str, *, site_id: str | None = None) -> bool:
        """Delete a unit that never had an occupancy (``InputError`` otherwise: the
        occupancies are billing history); False when there is no such unit."""

    # -- tenants --------------------------------------------------------------------------

    @abc.abstractmethod
    def upsert_tenant(self, tenant: Tenant) -> None:
        """Insert or replace a tenant (``InputError`` for an empty id)."""

    @abc.abstractmethod
    def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    @abc.abstractmethod
    def list_tenants(self) -> list[Tenant]:
        """Every tenant, by ``tenant_id``."""

    # -- occupancies ----------------------------------------------------------------------

    @abc.abstractmethod
    def add_occupancy(self, occupancy: Occupancy) -> Occupancy:
        """Store an occupancy; returns it with its ``occupancy_id``.

        Idempotent: the same unit, tenant and dates again return the stored row.  Refused
        (``InputError`` naming the field): an unknown unit or tenant, ``move_out`` not after
        ``move_in``; an overlap with another occupancy of the unit raises
        :class:`OccupancyOverlapError` naming it."""

    @abc.abstractmethod
    def set_move_out(self, occupancy_id: int, move_out: date | None) -> Occupancy:
        """Set (or clear, with None) the move-out date of an occupancy, with the same checks
        as :meth:`add_occupancy`; ``InputError`` for an unknown id."""

    @abc.abstractmethod
    def get_occupancy(self, occupancy_id: int) -> Occupancy | None: ...

    @abc.abstractmethod
    def delete_occupancy(self, occupancy_id: int) -> bool:
        """Delete an occupancy entered by mistake; False when unknown."""

    @abc.abstractmethod
    def list_occupancies(self, *, site_id: str | None = None, unit_id: str | None = None,
                         tenant_id: str | None = None, start: date | None = None,
                         end: date | None = None) -> list[Occupancy]:
        """Occupancies (of a site, a unit, a tenant) that overlap the civil dates
        ``[start, end)`` (either bound may be None), by ``(site_id, unit_id, move_in)``."""

    def occupancies_for_units(self, units: Sequence[Unit], start: date,
                              end: date) -> dict[tuple[str, str], list[Occupancy]]:
        """``(site_id, unit_id) -> occupancies`` overlapping ``[start, end)`` for many units
        (one query per site, for bill runs)."""
        wanted = {(u.site_id, u.unit_id) for u in units}
        out: dict[tuple[str, str], list[Occupancy]] = {key: [] for key in wanted}
        for site_id in sorted({u.site_id for u in units}):
            for occ in self.list_occupancies(site_id=site_id, start=start, end=end):
                key = (occ.site_id, occ.unit_id)
                if key in wanted:
                    out[key].append(occ)
        return out
