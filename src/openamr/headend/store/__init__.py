"""The head-end store: one interface (:class:`Store`), two backends (SQLite, PostgreSQL).

``open_store(target)``: a path or ``sqlite:///path`` opens (and migrates) a SQLite file;
``postgresql://...`` opens PostgreSQL.  See ``docs/headend-store.md``.
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
    "OutboxItem",
    "PutResult",
    "RegisterArrays",
    "RejectionRow",
    "SeqState",
    "Site",
    "SiteScope",
    "Store",
    "StoredBatch",
    "TokenRow",
    "open_store",
]


def open_store(target: str, *, options: str | None = None,
               sqlite_synchronous: str = "NORMAL") -> Store:
    """Open the store at ``target``: a file path, ``sqlite:///path`` or ``postgresql://...``.

    ``options`` (PostgreSQL only) is passed as the libpq ``options`` parameter, e.g.
    ``-c search_path=myschema``.  ``sqlite_synchronous`` (SQLite only): ``NORMAL`` or ``FULL``
    (see docs/headend-store.md).  The schema is created or migrated to the latest version.
    """
    if target.startswith(("postgresql://", "postgres://")):
        from openamr.headend.store.postgres import PostgresStore

        return PostgresStore(target, options=options)
    from openamr.headend.store.sqlite import SqliteStore

    path = target.removeprefix("sqlite:///") if target.startswith("sqlite:///") else target
    return SqliteStore(path, synchronous=sqlite_synchronous)
