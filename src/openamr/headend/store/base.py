"""The head-end store: rows as frozen dataclasses and the abstract :class:`Store`.

Two backends implement it (:mod:`.sqlite`, :mod:`.postgres`) and pass one test suite; open one
with :func:`openamr.headend.store.open_store`.  Conventions:

* times are UTC epoch seconds (``*_s`` ints); energy is Wh (``energy_wh`` float64, register
  totals ``register_wh``); interval rows are labelled by their start and cover
  ``[start_s, start_s + 900)``;
* every write is idempotent: interval rows on ``(meter_id, start_s)``, register reads on
  ``(meter_id, t_s)``, events on ``(device_id, code, t_s)``, outbox items on their idempotency
  key, alarms while one of the same code and device is open;
* nothing stored is ever changed by a later different value: a conflicting interval keeps the
  stored row and is recorded as a rejection (reason ``conflict``);
* each method commits on its own, unless it runs inside ``with store.transaction():`` where
  everything commits together at the end of the outermost block (or rolls back on an
  exception).  Ingest uses one transaction per batch of frames.

Thread-safety: one writer at a time (SQLite: one write connection behind a lock,
``BEGIN IMMEDIATE``); reads may come from any thread (each thread gets its own read connection
and sees the last committed state, except inside a transaction of its own).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from openamr.errors import StoreError
from openamr.headend.store.units import UnitsStore
from openamr.headend.store.vee_rows import VeeEdit, VeeFinding, VeeRows

__all__ = [
    "ALARM_STATES",
    "DEVICE_ROLES",
    "QUALITIES",
    "SOURCES",
    "AlarmRow",
    "AmbiguousIdError",
    "Device",
    "DevicePosition",
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
    "SiteTou",
    "StatusReport",
    "Store",
    "StoredBatch",
    "TemperatureArrays",
    "TokenRow",
    "TouRegisterArrays",
]

QUALITIES: tuple[str, ...] = ("measured", "partial", "clock_unsynced", "estimated",
                               "estimated_linear", "estimated_like_day", "edited",
                               "failed_validation", "derived")
"""Interval quality codes; stored as their index (0 = ``measured``; new codes only appended).

``partial``: the MDT was off, restarted or rate-limited during the interval (energy may be
incomplete); ``clock_unsynced``: closed while the MDT's clock was not synchronised or was
stepped; ``estimated``: not measured, filled in by an unknown method (e.g. an imported file
said so); ``estimated_linear`` / ``estimated_like_day``: filled in by VEE (straight line /
like days); ``edited``: set by a person (audit trail in ``vee_edits``); ``failed_validation``:
measured but failed a VEE rule (questionable); ``derived``: a share of a longer measured
interval (a utility's hourly or daily reading split into quarter-hours).  ``docs/vee.md`` maps
each to Green Button's QualityOfReading.
"""

SOURCES: tuple[str, ...] = ("frame", "import", "api", "manual")
"""Where a stored interval came from; stored as its index."""

DEVICE_ROLES: tuple[str, ...] = ("dcap", "repeater", "mdt")
ALARM_STATES: tuple[str, ...] = ("open", "acknowledged", "cleared")

SiteScope = str | Sequence[str] | None
"""A site filter: one site id, several (a token's scope), or None for every site."""


class AmbiguousIdError(StoreError):
    """A meter or device id given without its site names objects at several sites.

    ``candidates`` are the site ids that have it (the API answers 409 with them)."""

    def __init__(self, kind: str, ident: str, candidates: Sequence[str]) -> None:
        self.kind = kind
        self.ident = ident
        self.candidates = tuple(candidates)
        super().__init__(f"{kind} id {ident!r} exists at several sites "
                         f"({', '.join(self.candidates)}): name the site")


DEFAULT_MAX_POWER_W = 60_720.0
"""Catalogue maximum power of a meter [W]: 220 A x 2 elements x 138 V."""


# ------------------------------------------------------------------------------------------
# Configuration rows
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Site:
    """A building or campus whose meters share one civil time zone."""

    site_id: str
    name: str = ""
    timezone: str = "UTC"
    """IANA zone name (e.g. ``America/Los_Angeles``), used for calendars only."""


@dataclass(frozen=True, slots=True)
class Meter:
    """A revenue meter.  ``max_power_w`` bounds plausible interval energy (ingest validation)."""

    meter_id: str
    site_id: str
    device_id: str | None = None
    """EUI-64 (16 hex digits) of the MDT reading this meter, if any."""
    model: str = ""
    """Catalogue number, e.g. ``MMSMT-C02``."""
    kh_wh: float = 10.0
    """Meter constant [Wh per pulse]."""
    max_power_w: float = DEFAULT_MAX_POWER_W
    """Physical maximum power [W]; an interval above ``max_power_w * 900 / 3600`` Wh is refused."""
    unit: str | None = None
    """The apartment, office or suite the meter bills (a label from the site file or
    ``device add --unit``)."""


@dataclass(frozen=True, slots=True)
class Device:
    """A radio device: the DCAP (concentrator), a repeater or an MDT (meter transceiver)."""

    device_id: str
    """EUI-64 as 16 lower-case hex digits."""
    role: str
    """``dcap`` | ``repeater`` | ``mdt``."""
    site_id: str
    meter_id: str | None = None
    """The meter an MDT reads (None for DCAP and repeaters)."""
    model: str = ""
    install_code: str | None = None
    """Install code from the label (hex); its HKDF key protects the join."""
    installed_s: int | None = None
    """When the device was installed [UTC epoch s]; bounds the oldest plausible interval."""
    local_id: str | None = None
    """The device's id within its site (``DCAP-1``, ``REP-001``; an MDT's is its meter id);
    unique per site, while ``device_id`` (the EUI-64) is unique across the head-end."""


@dataclass(frozen=True, slots=True)
class DevicePosition:
    """Where a device is mounted: registered with the site (``sim run`` from the site file)."""

    device_id: str
    """EUI-64 as 16 lower-case hex digits (as in :class:`Device`)."""
    site_id: str
    label: str
    """The name the site file gives the device (``DCAP-1``, ``REP-001``, ``M-01`` ...)."""
    floor: int
    """Floor number, 0 = ground."""
    x_m: float
    """Position along the building's x axis [m]."""
    y_m: float
    """Position along the building's y axis [m]."""
    placement: str = "open"
    """``open`` | ``near_metal`` | ``metal_box_window`` | ``metal_box`` (manual §5.2)."""


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """The latest health of a device (one row per device, replaced by each report).

    The radio and battery fields come from the device's latest STATUS frame (``battery_mv``
    also from its join request); ``None`` until one arrived.  Every STATUS frame is also kept
    as a :class:`StatusReport` (the history)."""

    device_id: str
    last_heard_s: int
    """Receive time of the last verified frame from the device [UTC epoch s]."""
    parent_id: str | None = None
    rssi_dbm: int | None = None
    link_margin_db: float | None = None
    """Margin of the parent link above the receiver sensitivity [dB], as the device reports."""
    etx: float | None = None
    """Expected transmissions on the path to the DCAP (STATUS ``etx``)."""
    hops: int | None = None
    battery_mv: int | None = None
    battery_remaining_mah: int | None = None
    on_battery: bool = False
    joined_s: int | None = None
    """Last accepted join [UTC epoch s]."""
    tx_frames: int | None = None
    """Frames sent in the window of the latest status (since the one before)."""
    retries: int | None = None
    """Retransmissions in the window of the latest status."""
    queue_frames: int | None = None
    parent_changes: int | None = None
    firmware: int | None = None
    drops: int | None = None
    """Frames given up in the window of the latest status."""
    uptime_s: int | None = None
    """Time since the device last restarted, at its latest status [s]."""
    clock_offset_ms: int | None = None
    """Device clock minus network time at its last TIME_SYNC [ms] (latest status)."""
    status_received_s: int | None = None
    """Receive time of the latest STATUS frame [UTC epoch s]."""


@dataclass(frozen=True, slots=True)
class StatusReport:
    """One STATUS frame as received: a row of a device's status history (``status_reports``).

    Idempotent on ``(device_id, frame_counter)``; ``tx_frames``, ``retries`` and ``drops``
    count since the device's previous STATUS, so the rows of a period add up."""

    device_id: str
    frame_counter: int
    """The frame counter of the STATUS frame (unique per device)."""
    received_s: int
    """When the head-end received it [UTC epoch s]."""
    parent_id: str | None
    rssi_dbm: int
    link_margin_db: float
    etx: float
    hops: int
    battery_mv: int | None
    """Battery voltage [mV]; ``None`` for a mains-powered device (0 on the wire)."""
    battery_remaining_mah: int
    on_battery: bool
    tx_frames: int
    retries: int
    drops: int
    queue_frames: int
    parent_changes: int
    uptime_s: int
    clock_offset_ms: int


# ------------------------------------------------------------------------------------------
# Interval data
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntervalBatch:
    """Intervals to store.  Arrays are parallel; ``meter_id`` is one id for all rows or one per
    row.

    ``quality`` is one code of :data:`QUALITIES` for all rows, a sequence of codes, or an
    integer array of their indices.  ``flags`` are the MDT's ``IntervalFlag`` bits (int or
    array).  ``source`` is one of :data:`SOURCES`.
    """

    meter_id: Sequence[str] | str
    start_s: npt.ArrayLike
    """Interval starts [UTC epoch s], aligned to 900 s."""
    energy_wh: npt.ArrayLike
    """Energy of each interval [Wh]."""
    source: str = "frame"
    received_s: int = 0
    """When the head-end received the data [UTC epoch s]."""
    quality: str | Sequence[str] | npt.NDArray[np.integer] = "measured"
    flags: int | npt.NDArray[np.integer] = 0
    site_id: str | None = None
    """The site of every ``meter_id`` (None: each id must name one meter head-end-wide)."""


@dataclass(frozen=True, slots=True)
class PutResult:
    """What ``put_intervals`` did with a batch: every row is exactly one of the three."""

    inserted: int
    duplicates: int
    """Rows already stored with the same energy (no-op)."""
    conflicts: int
    """Rows already stored with a different energy: kept unchanged, recorded as rejections."""
    inserted_index: npt.NDArray[np.int64] | None = None
    """Positions (in the batch) of the inserted rows; ``None`` means all rows were inserted."""


@dataclass(frozen=True, slots=True)
class IntervalArrays:
    """One meter's intervals, sorted by start (numpy arrays of equal length)."""

    start_s: npt.NDArray[np.int64]
    energy_wh: npt.NDArray[np.float64]
    quality: npt.NDArray[np.str_]
    """Quality codes (see :data:`QUALITIES`)."""
    flags: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.start_s)


@dataclass(frozen=True, slots=True)
class IntervalTable:
    """Intervals of many meters (long format), sorted by ``(meter_id, start_s)`` when read."""

    meter_id: npt.NDArray[np.object_]
    start_s: npt.NDArray[np.int64]
    energy_wh: npt.NDArray[np.float64]
    quality: npt.NDArray[np.str_]
    flags: npt.NDArray[np.int64]
    site_id: npt.NDArray[np.object_] | None = None
    """The site of each row's meter (None when the reader did not say)."""

    def __len__(self) -> int:
        return len(self.start_s)

    @classmethod
    def empty(cls) -> IntervalTable:
        return cls(np.empty(0, dtype=object), np.empty(0, dtype=np.int64),
                   np.empty(0, dtype=np.float64), np.empty(0, dtype="<U18"),
                   np.empty(0, dtype=np.int64))


@dataclass(frozen=True, slots=True)
class TouRegisterArrays:
    """One meter's TOU register reads (long format, sorted by time then register index)."""

    t_s: npt.NDArray[np.int64]
    """When the totals were read [UTC epoch s] (the same instants as the total register)."""
    register_index: npt.NDArray[np.int64]
    """TOU register index (0 = the site's default period; see ``openamr.headend.tou``)."""
    register_wh: npt.NDArray[np.float64]
    """Cumulative energy of that register [Wh]."""

    def __len__(self) -> int:
        return len(self.t_s)


@dataclass(frozen=True, slots=True)
class TemperatureArrays:
    """One meter's interval temperatures (temperature variants), sorted by interval start."""

    start_s: npt.NDArray[np.int64]
    temperature_c: npt.NDArray[np.float64]
    """Temperature the MDT recorded for the interval [degC], 0.01 degC resolution."""

    def __len__(self) -> int:
        return len(self.start_s)


@dataclass(frozen=True, slots=True)
class SiteTou:
    """A site's time-of-use configuration as stored (validated by ``openamr.headend.tou``)."""

    site_id: str
    config_json: str
    """``{"default": name, "periods": [{"name", "start", "end", "days"}, ...]}`` (local time)."""
    updated_s: int
    """When it was last set [UTC epoch s]."""


@dataclass(frozen=True, slots=True)
class RegisterArrays:
    """One meter's register reads (cumulative totals), sorted by time."""

    t_s: npt.NDArray[np.int64]
    """When the total was read [UTC epoch s]."""
    register_wh: npt.NDArray[np.float64]
    """Cumulative energy [Wh]."""

    def __len__(self) -> int:
        return len(self.t_s)


# ------------------------------------------------------------------------------------------
# Events, alarms, rejections, tokens, outbox
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventRow:
    """Something a device reported (``code`` dotted, e.g. ``tamper.cover_removed``)."""

    device_id: str
    meter_id: str | None
    code: str
    t_s: int
    """When it happened, by the device's clock [UTC epoch s]."""
    value: int = 0
    """Code-specific value (temperature [0.01 degC], records lost ...)."""
    received_s: int = 0
    event_id: int | None = None
    """Assigned by the store (None before storing)."""


@dataclass(frozen=True, slots=True)
class AlarmRow:
    """A condition someone should look at.  ``state``: open -> acknowledged -> cleared."""

    code: str
    """Dotted code, e.g. ``alarm.no_data``, ``alarm.low_battery``."""
    device_id: str | None
    meter_id: str | None
    raised_s: int
    detail: str = ""
    alarm_id: int | None = None
    state: str = "open"
    acked_by: str | None = None
    acked_s: int | None = None
    cleared_s: int | None = None
    site_id: str | None = None
    """The site the alarm belongs to (filled from the device, or the meter, when None)."""


@dataclass(frozen=True, slots=True)
class RejectionRow:
    """Input the head-end refused, kept for inspection."""

    rejection_id: int
    reason: str
    """``malformed``, ``bad_mic``, ``replay``, ``stale``, ``unknown_device``, ``conflict`` ..."""
    source: str
    """Where it came from: a device id, ``import:FILE``, ``udp:HOST:PORT`` ..."""
    received_s: int
    detail: str
    raw: bytes | None


@dataclass(frozen=True, slots=True)
class TokenRow:
    """An API token; only its hash is stored."""

    token_id: str
    token_hash: str
    role: str
    label: str
    created_s: int
    revoked_s: int | None = None
    site_ids: tuple[str, ...] | None = None
    """The sites the token may see (None: every site)."""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One message waiting in the durable push queue."""

    item_id: int
    channel: str
    idempotency_key: str
    payload: bytes
    created_s: int
    attempts: int
    next_attempt_s: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class SeqState:
    """Interval-sequence bookkeeping of one MDT, for ACKs and gap requests.

    ``acked_seq``: every seq at or below it is settled (stored, a duplicate, or rejected for
    good) (-1: none); ``above``: settled seqs above ``acked_seq`` (sorted; the holes between
    them are the gaps to request).
    """

    acked_seq: int = -1
    above: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """What one ingest commit stored: given to ``Ingest.subscribe`` callbacks after the commit.

    ``intervals`` holds only newly inserted rows (not duplicates or conflicts).
    """

    intervals: IntervalTable
    events: tuple[EventRow, ...] = ()
    statuses: tuple[DeviceStatus, ...] = ()
    """Statuses reported in this commit (STATUS frames and joins), not mere ``last_heard_s``."""
    received_s: int = 0
    rejections: Mapping[str, int] = field(default_factory=dict)
    """Rejections of this batch counted by reason."""


# ------------------------------------------------------------------------------------------
# The interface
# ------------------------------------------------------------------------------------------


class Store(UnitsStore):
    """The head-end's persistent state.  See the module docstring for the conventions.

    Units, tenants and occupancies: :class:`~openamr.headend.store.units.UnitsStore`."""

    url: str
    """Where the store lives (``sqlite:///path`` or the PostgreSQL DSN)."""
    dialect: str
    """``sqlite`` | ``postgres``."""

    # -- lifecycle ------------------------------------------------------------------------

    @abc.abstractmethod
    def close(self) -> None:
        """Close every connection (commits nothing that is still open)."""

    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """``with store.transaction():`` groups writes into one commit (re-entrant)."""

    @abc.abstractmethod
    def schema_version(self) -> int:
        """The schema version of the database (migrations applied on open)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sites, meters, devices -----------------------------------------------------------

    @abc.abstractmethod
    def upsert_site(self, site: Site) -> None:
        """Insert or replace a site."""

    @abc.abstractmethod
    def get_site(self, site_id: str) -> Site | None: ...

    @abc.abstractmethod
    def list_sites(self) -> list[Site]:
        """Every site, by ``site_id``."""

    @abc.abstractmethod
    def upsert_meter(self, meter: Meter) -> None:
        """Insert or replace a meter (its site must exist: ``StoreError`` otherwise)."""

    @abc.abstractmethod
    def get_meter(self, meter_id: str, *, site_id: str | None = None) -> Meter | None:
        """The meter ``meter_id`` of ``site_id``; without a site, the one meter of that id
        (:class:`AmbiguousIdError` when several sites have it)."""

    @abc.abstractmethod
    def find_meters(self, meter_id: str, site_id: SiteScope = None) -> list[Meter]:
        """Every meter of that id (at the sites in scope), by ``site_id``."""

    @abc.abstractmethod
    def list_meters(self, site_id: SiteScope = None) -> list[Meter]:
        """Meters (of the sites in scope), by ``meter_id`` then ``site_id``."""

    @abc.abstractmethod
    def upsert_device(self, device: Device) -> None:
        """Insert or replace a device (its site must exist; a ``local_id`` of None keeps the
        stored one).  An EUI-64 registered at another
        site, or a ``local_id`` its site gives another device, raise ``StoreError``: nothing
        of one site changes when another is registered."""

    @abc.abstractmethod
    def get_device(self, device_id: str, *, site_id: str | None = None) -> Device | None:
        """The device of that EUI-64, or of that site-scoped id (``local_id``) at ``site_id``
        (without a site: :class:`AmbiguousIdError` when several sites have it)."""

    @abc.abstractmethod
    def find_devices(self, ident: str, site_id: SiteScope = None) -> list[Device]:
        """Devices whose EUI-64 or site-scoped id is ``ident`` (at the sites in scope)."""

    @abc.abstractmethod
    def remove_device(self, device_id: str) -> bool:
        """Forget a device (by EUI-64), its status, replay window and sequence state; False if
        unknown.  Its meter and every stored reading stay.  Registered again, it starts afresh
        (frame counters and record seqs from 0, as a replaced or reset MDT): a replayed old
        frame can then only repeat readings already stored (ingest is idempotent)."""

    @abc.abstractmethod
    def list_devices(self, site_id: SiteScope = None, role: str | None = None) -> list[Device]:
        """Devices (of the sites in scope, of one role), by ``device_id``."""

    @abc.abstractmethod
    def put_device_positions(self, positions: Sequence[DevicePosition]) -> None:
        """Insert or replace where devices are mounted (one row per device)."""

    @abc.abstractmethod
    def list_device_positions(self, site_id: SiteScope = None) -> list[DevicePosition]:
        """Positions (of the sites in scope), by ``device_id``."""

    @abc.abstractmethod
    def put_device_status(self, status: DeviceStatus) -> None:
        """Upsert the device's status row.  Fields left ``None`` keep their stored value;
        ``last_heard_s`` and ``on_battery`` are always replaced."""

    @abc.abstractmethod
    def put_device_statuses(self, statuses: Sequence[DeviceStatus]) -> None:
        """Many :meth:`put_device_status` at once (one statement)."""

    @abc.abstractmethod
    def put_last_heard(self, device_ids: Sequence[str], last_heard_s: int) -> None:
        """Devices heard at ``last_heard_s`` [UTC epoch s] that reported nothing else: only
        ``last_heard_s`` moves; every other field, ``on_battery`` included, keeps what the last
        STATUS said (a missing row is created with nothing but ``last_heard_s``)."""

    @abc.abstractmethod
    def get_device_status(self, device_id: str) -> DeviceStatus | None: ...

    @abc.abstractmethod
    def list_device_status(self, site_id: SiteScope = None) -> list[DeviceStatus]:
        """Status rows (of one site's devices), by ``device_id``."""

    @abc.abstractmethod
    def put_status_reports(self, reports: Sequence[StatusReport]) -> int:
        """Keep STATUS frames in the history, idempotently on ``(device_id, frame_counter)``;
        returns how many were new."""

    @abc.abstractmethod
    def list_status_reports(self, device_id: str, start_s: int | None = None,
                            end_s: int | None = None, limit: int = 1000) -> list[StatusReport]:
        """A device's status history with ``start_s <= received_s < end_s``, oldest first, at
        most ``limit`` rows."""

    # -- time-of-use and temperature ---------------------------------------------------------

    @abc.abstractmethod
    def put_site_tou(self, site_id: str, config_json: str | None, updated_s: int) -> None:
        """Set (``None``: remove) a site's TOU configuration (the site must exist)."""

    @abc.abstractmethod
    def get_site_tou(self, site_id: str) -> SiteTou | None: ...

    @abc.abstractmethod
    def put_tou_register_rows(self, keys: npt.NDArray[np.int64], t_s: npt.NDArray[np.int64],
                              register_index: npt.NDArray[np.int64],
                              register_wh: npt.NDArray[np.float64]) -> int:
        """TOU register reads by meter key, idempotent on ``(meter, t_s, register_index)``;
        returns how many were new."""

    @abc.abstractmethod
    def get_tou_register_reads(self, meter_id: str, start_s: int | None = None,
                               end_s: int | None = None, *,
                               site_id: str | None = None) -> TouRegisterArrays:
        """One meter's TOU register reads with ``start_s <= t_s < end_s`` (``site_id``: the
        meter's site; empty when the meter is not there)."""

    @abc.abstractmethod
    def put_temperature_rows(self, keys: npt.NDArray[np.int64], start_s: npt.NDArray[np.int64],
                             temperature_c: npt.NDArray[np.float64]) -> int:
        """Interval temperatures by meter key, idempotent on ``(meter, start_s)`` (the first
        value stays); returns how many were new."""

    @abc.abstractmethod
    def get_temperatures(self, meter_id: str, start_s: int | None = None,
                         end_s: int | None = None, *,
                         site_id: str | None = None) -> TemperatureArrays:
        """One meter's interval temperatures with ``start_s <= start < end_s`` (``site_id``:
        the meter's site; empty when the meter is not there)."""

    # -- intervals ------------------------------------------------------------------------

    @abc.abstractmethod
    def put_intervals(self, batch: IntervalBatch) -> PutResult:
        """Store intervals idempotently on ``(meter_id, start_s)``.

        The same energy again is a duplicate (no-op); a different energy is a conflict: the
        stored row stays and a rejection ``conflict`` (source ``batch.source``) is recorded.
        Within one batch the first row of a key wins and later ones count the same way.
        Unknown meters raise ``StoreError`` (create them first with ``upsert_meter``).
        """

    @abc.abstractmethod
    def meter_keys(self, meter_ids: Sequence[str], *,
                   site_id: str | None = None) -> npt.NDArray[np.int64]:
        """The store's integer keys of meters (``StoreError`` naming the first unknown one;
        without ``site_id``, :class:`AmbiguousIdError` for an id several sites have).

        For bulk callers (ingest, import) that map ids once and then use
        :meth:`put_interval_rows`."""

    def meter_key(self, meter_id: str, *, site_id: str | None = None) -> int:
        """The key of one meter (see :meth:`meter_keys`)."""
        return int(self.meter_keys([meter_id], site_id=site_id)[0])

    @abc.abstractmethod
    def meter_id_of_key(self, key: int) -> str:
        """Inverse of :meth:`meter_keys` (the meter id; its site: :meth:`site_id_of_key`)."""

    @abc.abstractmethod
    def site_id_of_key(self, key: int) -> str:
        """The site of the meter with that key."""

    @abc.abstractmethod
    def put_interval_rows(self, keys: npt.NDArray[np.int64], start: npt.NDArray[np.int64],
                          energy: npt.NDArray[np.float64], quality: npt.NDArray[np.int64],
                          flags: npt.NDArray[np.int64], source: str,
                          received_s: int) -> PutResult:
        """The bulk path under :meth:`put_intervals`: meter keys, quality codes (indices into
        :data:`QUALITIES`), int64/float64 arrays, no per-row Python objects."""

    overlaps_writes: bool = False
    """True when :meth:`start_interval_rows` returns before the rows are written (the
    database works while the caller goes on): callers may then cut work into chunks."""

    def start_interval_rows(self, keys: npt.NDArray[np.int64], start: npt.NDArray[np.int64],
                            energy: npt.NDArray[np.float64], quality: npt.NDArray[np.int64],
                            flags: npt.NDArray[np.int64], source: str,
                            received_s: int) -> Callable[[], PutResult]:
        """:meth:`put_interval_rows` that may still be running when it returns: call the
        returned function for its :class:`PutResult` (it waits).  Inside a transaction only;
        until then the caller must not touch the store (it may do anything else: the
        database works meanwhile).  A backend that cannot overlap stores synchronously."""
        result = self.put_interval_rows(keys, start, energy, quality, flags, source, received_s)
        return lambda: result

    @abc.abstractmethod
    def get_intervals(self, meter_id: str, start_s: int | None = None,
                      end_s: int | None = None, *, site_id: str | None = None
                      ) -> IntervalArrays:
        """One meter's intervals with ``start_s <= start < end_s``, sorted by start."""

    @abc.abstractmethod
    def get_intervals_bulk(self, meter_ids: Sequence[str] | None, start_s: int | None = None,
                           end_s: int | None = None, *,
                           site_id: SiteScope = None) -> IntervalTable:
        """Many meters' intervals (all meters, of the sites in scope, when ``meter_ids`` is
        None), by meter then start; the table carries each row's ``site_id``.

        For exports and bill runs: one query, not one per meter.
        """

    @abc.abstractmethod
    def interval_count(self, meter_id: str | None = None, start_s: int | None = None,
                       end_s: int | None = None, *, site_id: str | None = None) -> int:
        """How many interval rows are stored (for one meter, one site / a time range)."""

    @abc.abstractmethod
    def interval_total_wh(self, meter_id: str | None = None, start_s: int | None = None,
                          end_s: int | None = None, *, site_id: str | None = None) -> float:
        """Sum of stored interval energy [Wh] (for one meter, one site / a time range)."""

    @abc.abstractmethod
    def interval_counts(self, meter_ids: Sequence[str], windows: Sequence[tuple[int, int]],
                        *, site_id: str | None = None) -> npt.NDArray[np.int64]:
        """How many intervals each meter (of ``site_id``) holds in each window
        ``[start_s, end_s)``: an array of shape ``(len(meter_ids), len(windows))``; an unknown
        meter counts 0.  A few queries for any number of meters (the commissioning tool's
        completeness of a 1,000-MDT site)."""

    @abc.abstractmethod
    def last_interval_s(self, meter_id: str, *, site_id: str | None = None) -> int | None:
        """Start of the meter's latest stored interval [UTC epoch s], None when none."""

    # -- register reads -------------------------------------------------------------------

    @abc.abstractmethod
    def put_register_reads(self, meter_id: str, t_s: npt.ArrayLike, register_wh: npt.ArrayLike,
                           source: str = "frame", *, site_id: str | None = None) -> int:
        """Store cumulative register totals idempotently on ``(meter_id, t_s)``; returns how
        many were new (a later different value for the same instant is ignored)."""

    @abc.abstractmethod
    def put_register_rows(self, keys: npt.NDArray[np.int64], t_s: npt.NDArray[np.int64],
                          register_wh: npt.NDArray[np.float64], source: int) -> int:
        """Bulk register reads by meter key (``source`` an index into :data:`SOURCES`)."""

    @abc.abstractmethod
    def get_register_reads(self, meter_id: str, start_s: int | None = None,
                           end_s: int | None = None, *,
                           site_id: str | None = None) -> RegisterArrays: ...

    # -- events ---------------------------------------------------------------------------

    @abc.abstractmethod
    def put_events(self, events: Sequence[EventRow]) -> int:
        """Store events idempotently on ``(device_id, code, t_s)``; returns how many were new."""

    @abc.abstractmethod
    def list_events(self, site_id: SiteScope = None, device_id: str | None = None,
                    start_s: int | None = None, end_s: int | None = None, limit: int = 100,
                    offset: int = 0, code: str | None = None,
                    meter_id: str | None = None) -> list[EventRow]:
        """Events, newest first (``t_s`` descending, then ``event_id``)."""

    # -- alarms ---------------------------------------------------------------------------

    @abc.abstractmethod
    def raise_alarm(self, alarm: AlarmRow) -> int:
        """Open an alarm; while one of the same ``(code, device_id, meter_id)`` is not cleared,
        return its id instead of opening another."""

    @abc.abstractmethod
    def clear_alarm(self, code: str, device_id: str | None, cleared_s: int,
                    meter_id: str | None = None, *, site_id: str | None = None) -> bool:
        """Clear the active alarm of ``code`` for the device (and meter, and site); False if
        none."""

    @abc.abstractmethod
    def ack_alarm(self, alarm_id: int, user: str, t_s: int) -> bool:
        """Acknowledge an open alarm; False if it does not exist or is not open."""

    @abc.abstractmethod
    def get_alarm(self, alarm_id: int) -> AlarmRow | None: ...

    @abc.abstractmethod
    def list_alarms(self, state: str | None = None, limit: int = 1000,
                    site_id: SiteScope = None) -> list[AlarmRow]:
        """Alarms in ``state`` (``open`` | ``acknowledged`` | ``cleared`` | None for all),
        newest first."""

    # -- rejections -----------------------------------------------------------------------

    @abc.abstractmethod
    def put_rejection(self, reason: str, source: str, received_s: int, detail: str = "",
                      raw: bytes | None = None, count: int = 1) -> None:
        """Keep refused input for inspection and count it by ``reason``.

        ``count``: how many items this row stands for (e.g. the records of one frame refused
        for the same reason); ``rejection_counts`` adds it."""

    @abc.abstractmethod
    def rejection_counts(self) -> dict[str, int]:
        """Rejections counted by reason (every reason ever seen)."""

    @abc.abstractmethod
    def list_rejections(self, limit: int = 100, reason: str | None = None) -> list[RejectionRow]:
        """The latest rejections, newest first."""

    # -- frame security state -------------------------------------------------------------

    @abc.abstractmethod
    def load_replay_windows(self) -> dict[str, tuple[int, int]]:
        """``device_id -> (highest, seen)`` of every sender's ``ReplayWindow``."""

    @abc.abstractmethod
    def save_replay_windows(self, windows: Mapping[str, tuple[int, int]]) -> None:
        """Upsert replay windows (only those given)."""

    @abc.abstractmethod
    def load_seq_states(self) -> dict[str, SeqState]:
        """``device_id -> SeqState`` of every MDT heard."""

    @abc.abstractmethod
    def save_seq_states(self, states: Mapping[str, SeqState]) -> None:
        """Upsert sequence states (only those given)."""

    @abc.abstractmethod
    def lock_device_state(self, device_ids: Sequence[str]
                          ) -> tuple[dict[str, tuple[int, int]], dict[str, SeqState]]:
        """Inside a transaction: the replay windows and sequence states of ``device_ids``
        (``device_id -> (highest, seen)``, ``device_id -> SeqState``; devices never heard are
        absent), held until the commit so that ingest processes sharing the store
        (``openamr ingest-worker``) take turns per device.  PostgreSQL locks the rows
        (``FOR UPDATE``, in device order, so concurrent batches never deadlock); SQLite's single
        writer already serialises transactions."""

    @abc.abstractmethod
    def lock_counter_reservation(self, device_id: str) -> int:
        """Inside a transaction: the persisted frame counter reservation of our own sender
        ``device_id`` (0: none), locked until the commit (see :meth:`lock_device_state`)."""

    @abc.abstractmethod
    def get_counter_reservation(self, device_id: str) -> int:
        """The persisted ``FrameCounter.reserved_until`` of our own sender (0: none)."""

    @abc.abstractmethod
    def set_counter_reservation(self, device_id: str, reserved_until: int) -> None: ...

    @abc.abstractmethod
    def get_or_create_network_key(self) -> bytes:
        """The 16-byte network key, created at random on first use and kept."""

    @abc.abstractmethod
    def adopt_network_key(self, network_key: bytes) -> None:
        """Make ``network_key`` (16 bytes) this store's network key: for a staging store whose
        ingest prepares frames that another store's ingest, holding that key, will take
        (``openamr portfolio simulate``).  A :class:`StoreError` when the store has another
        key already (its devices joined under it)."""

    # -- tokens ---------------------------------------------------------------------------

    @abc.abstractmethod
    def put_token(self, token: TokenRow) -> None:
        """Store a new token (``StoreError`` if the id or hash exists)."""

    @abc.abstractmethod
    def get_token_by_hash(self, token_hash: str) -> TokenRow | None:
        """The token with that hash, revoked or not (check ``revoked_s``)."""

    @abc.abstractmethod
    def revoke_token(self, token_id: str, t_s: int) -> bool:
        """Revoke a token; False if unknown or already revoked."""

    @abc.abstractmethod
    def list_tokens(self) -> list[TokenRow]: ...

    # -- outbox ---------------------------------------------------------------------------

    @abc.abstractmethod
    def outbox_put(self, channel: str, idempotency_key: str, payload: bytes,
                   created_s: int) -> bool:
        """Queue a message; False (no-op) if ``(channel, idempotency_key)`` is queued or was
        delivered already."""

    @abc.abstractmethod
    def outbox_due(self, channel: str, now_s: int, limit: int = 100) -> list[OutboxItem]:
        """Undelivered items of ``channel`` with ``next_attempt_s <= now_s``, oldest first."""

    @abc.abstractmethod
    def outbox_done(self, item_ids: Sequence[int]) -> None:
        """Mark items delivered (they leave the queue; their keys stay to keep puts idempotent)."""

    @abc.abstractmethod
    def outbox_retry(self, item_id: int, next_attempt_s: int, last_error: str) -> None:
        """Record a failed attempt; the item is due again at ``next_attempt_s``."""

    @abc.abstractmethod
    def outbox_depth(self, channel: str | None = None) -> int:
        """Undelivered items (of one channel)."""

    # -- VEE: validated values beside the raw data, edits, findings (docs/vee.md) ----------

    @abc.abstractmethod
    def get_vee_rows(self, meter_keys: Sequence[int] | npt.NDArray[np.int64],
                     start_s: int | None = None, end_s: int | None = None) -> VeeRows:
        """Validated rows of the meters (by key) with ``start_s <= start < end_s``, by meter
        key then start."""

    @abc.abstractmethod
    def put_vee_rows(self, rows: VeeRows) -> int:
        """Insert or replace validated rows on ``(meter_key, start_s)``; returns how many."""

    @abc.abstractmethod
    def delete_vee_rows(self, meter_keys: npt.NDArray[np.int64],
                        start_s: npt.NDArray[np.int64]) -> int:
        """Delete validated rows (parallel key/start arrays); returns how many existed."""

    @abc.abstractmethod
    def put_vee_edit(self, edit: VeeEdit) -> int:
        """Record a manual edit in the audit trail and set the validated row (quality
        ``edited``, method ``manual``) in one transaction; returns the edit's id."""

    @abc.abstractmethod
    def list_vee_edits(self, meter_id: str | None = None, start_s: int | None = None,
                       end_s: int | None = None, limit: int = 1000, *,
                       site_id: str | None = None) -> list[VeeEdit]:
        """The audit trail (of one meter; edited intervals in ``[start_s, end_s)``), newest
        edit first."""

    @abc.abstractmethod
    def replace_vee_findings(self, meter_key: int, start_s: int, end_s: int,
                             findings: Sequence[VeeFinding]) -> tuple[int, int]:
        """Make ``findings`` the findings of one meter starting in ``[start_s, end_s)``:
        returns ``(added, removed)`` (0, 0 when they were already the stored ones)."""

    @abc.abstractmethod
    def list_vee_findings(self, site_id: SiteScope = None, meter_id: str | None = None,
                          code: str | None = None, start_s: int | None = None,
                          end_s: int | None = None, limit: int = 1000,
                          offset: int = 0) -> list[VeeFinding]:
        """Stored findings overlapping ``[start_s, end_s)``, by meter, start and code."""

    @abc.abstractmethod
    def interval_span_s(self, meter_keys: Sequence[int] | npt.NDArray[np.int64]
                        ) -> tuple[int, int] | None:
        """``(first start, last start + 900)`` [UTC epoch s] of the meters' stored intervals,
        None when they have none."""

    @abc.abstractmethod
    def add_vee_coverage(self, meter_key: int, start_s: int, end_s: int) -> bool:
        """Record that VEE validated ``[start_s, end_s)`` of a meter (merged with touching or
        overlapping ranges); False when it was covered already."""

    @abc.abstractmethod
    def get_vee_coverage(self, meter_key: int) -> list[tuple[int, int]]:
        """The merged ranges ``[start_s, end_s)`` VEE has validated for a meter, by start."""

    # -- retention and backup -------------------------------------------------------------

    @abc.abstractmethod
    def prune(self, rejections_before_s: int | None,
              delivered_before_s: int | None) -> tuple[int, int]:
        """Delete rejection rows received before ``rejections_before_s`` (the counts by reason
        stay) and delivered outbox items (their idempotency keys) done before
        ``delivered_before_s``; None keeps that kind.  Returns how many of each were deleted."""

    @abc.abstractmethod
    def backup(self, destination: str) -> None:
        """A consistent copy of the whole store in the file ``destination`` (SQLite: the
        online backup API, while the store is in use; PostgreSQL: ``pg_dump`` custom format)."""
