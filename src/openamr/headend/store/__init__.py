"""The head-end store: one interface (:class:`Store`), two backends (SQLite, PostgreSQL).

``open_store(target)``: a path or ``sqlite:///path`` opens (and migrates) a SQLite file;
``postgresql://...`` opens PostgreSQL; ``create=False`` refuses a store that does not exist.
See ``docs/headend-store.md``.
"""

from __future__ import annotations

from openamr.headend.store.base import (
    ALARM_STATES,
    DEVICE_ROLES,
    QUALITIES,
    SOURCES,
    AlarmRow,
    AmbiguousIdError,
    Device,
    DeviceStatus,
    EventRow,
    IntervalArrays,
    IntervalBatch,
    IntervalTable,
    Meter,
    OutboxItem,
    PutResult,
    RegisterArrays,
    RejectionRow,
    SeqState,
    Site,
    SiteScope,
    Store,
    StoredBatch,
    TokenRow,
)
from openamr.headend.store.target import open_target, redact
from openamr.headend.store.units import (
    Occupancy,
    OccupancyOverlapError,
    Tenant,
    Unit,
    UnitsStore,
)

__all__ = [
    "ALARM_STATES",
    "DEVICE_ROLES",
    "QUALITIES",
    "SOURCES",
    "AlarmRow",
    "AmbiguousIdError",
    "Device",
    "DeviceStatus",
    "EventRow",
    "IntervalArrays",
    "IntervalBatch",
    "IntervalTable",
    "Meter",
    "Occupancy",
    "OccupancyOverlapError",
    "OutboxItem",
    "PutResult",
    "RegisterArrays",
    "RejectionRow",
    "SeqState",
    "Site",
    "SiteScope",
    "Store",
    "StoredBatch",
    "Tenant",
    "TokenRow",
    "Unit",
    "UnitsStore",
    "open_store",
    "redact",
]


def open_store(target: str, *, options: str | None = None, sqlite_synchronous: str = "FULL",
               create: bool = True, busy_timeout_s: float | None = None) -> Store:
    """Open the store at ``target``: a file path, ``sqlite:///path`` or ``postgresql://...``.

    ``create=False`` refuses a store that does not exist yet (commands that serve or read a
    store); an unknown scheme, or any failure to open, is an ``InputError`` naming the target
    with its password redacted (see :mod:`openamr.headend.store.target`, the one rule).
    ``options`` (PostgreSQL only) is passed as the libpq ``options`` parameter, e.g.
    ``-c search_path=myschema``.  ``sqlite_synchronous`` (SQLite only): ``FULL`` (the default,
    durable) or ``NORMAL`` (see docs/headend-store.md).  The schema is created or migrated to
    the latest version.
    """
    return open_target(target, create=create, options=options,
                       sqlite_synchronous=sqlite_synchronous, busy_timeout_s=busy_timeout_s)
