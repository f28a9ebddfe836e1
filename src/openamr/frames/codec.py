"""The frame format: the one contract between the field and the head-end (version 2).

Sans-IO: ``Frame.to_bytes(key)`` and ``Frame.from_bytes(data, keys)`` turn values into bytes and
back; nothing here knows about radios, sockets or databases.  The simulator, a live socket and a
future real radio all speak this format, and ``docs/frames.md`` specifies it byte by byte.

Layout (big-endian)::

    offset size  field
    0      1     version            FRAME_VERSION (2)
    1      1     frame_type         FrameType
    2      1     flags              bit 0: payload encrypted
    3      1     key_id             KeyId: 0 network key, 1 install-code key (of the device joining)
    4      8     src                EUI-64 of the originator
    12     8     dst                EUI-64 of the final destination (BROADCAST for beacons)
    20     4     counter            the originator's frame counter
    24     n     payload            by frame type, encrypted unless it carries no secret (beacons)
    24+n   8     MIC                AES-128-CCM tag over header and payload

The header is authenticated, so a repeater cannot alter source, destination or counter; it
forwards the frame unchanged and the head-end verifies the originator's MIC end to end.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import ClassVar, NamedTuple

import numpy as np
import numpy.typing as npt

from openamr.errors import FrameError
from openamr.frames.security import MIC_LENGTH, CcmBatch, nonces, open_payload, seal_payload

__all__ = [
    "ACK_HEAD_DTYPE",
    "ACK_HEAD_STRUCT",
    "BROADCAST",
    "FLAG_ENCRYPTED",
    "FRAME_VERSION",
    "GAP_STRUCT",
    "HEADER_DTYPE",
    "HEADER_LENGTH",
    "HEADER_STRUCT",
    "INTERVALS_HEAD_DTYPE",
    "INTERVALS_HEAD_STRUCT",
    "MAX_RECORDS_PER_FRAME",
    "NO_SEQ",
    "RECORD_DTYPE",
    "RECORD_STRUCT",
    "TOU_REGISTER_STRUCT",
    "Ack",
    "Beacon",
    "DeviceRole",
    "Event",
    "EventKind",
    "Frame",
    "FrameType",
    "Header",
    "IntervalFlag",
    "IntervalRecord",
    "Intervals",
    "JoinRequest",
    "JoinResponse",
    "KeyId",
    "KeyLookup",
    "Payload",
    "Status",
    "TimeSync",
    "TouSchedule",
    "headers_of",
    "open_packed",
    "open_packed_many",
    "pack_ack",
    "peek_header",
    "seal_packed",
    "seal_packed_many",
    "unpack_ack",
]

FRAME_VERSION = 2
"""Version 2 (STATUS gained link margin, drops, uptime and clock offset); version 1 is refused."""
BROADCAST = 0xFFFF_FFFF_FFFF_FFFF
"""Destination of frames meant for every listener (beacons)."""
NO_SEQ = 0xFFFF_FFFF
"""``Ack.acked_seq`` when nothing has been stored yet."""
MAX_RECORDS_PER_FRAME = 120
"""Interval records in one frame at most (1,920 bytes of records: an 802.15.4g PSDU is 2,047)."""
NO_TEMPERATURE = -0x8000
_U32 = 0xFFFF_FFFF

HEADER_STRUCT = struct.Struct("!BBBBQQI")
"""The clear header: version, frame_type, flags, key_id, src, dst, counter."""
HEADER_LENGTH = HEADER_STRUCT.size
HEADER_DTYPE = np.dtype([("version", "u1"), ("frame_type", "u1"), ("flags", "u1"),
                         ("key_id", "u1"), ("src", ">u8"), ("dst", ">u8"), ("counter", ">u4")])
"""The same header as a numpy record, to read or write the headers of many frames at once."""
FLAG_ENCRYPTED = 0x01
"""Header flag bit: the payload is encrypted."""
INTERVALS_HEAD_STRUCT = struct.Struct("!QBB")
"""Start of an INTERVALS payload: register_wh, n_tou, n_records."""
INTERVALS_HEAD_DTYPE = np.dtype([("register_wh", ">u8"), ("n_tou", "u1"), ("n_records", "u1")])
"""The same as a numpy record."""
TOU_REGISTER_STRUCT = struct.Struct("!Q")
"""One TOU register total in an INTERVALS payload [Wh]."""
RECORD_STRUCT = struct.Struct("!IIIHh")
"""One interval record: seq, start_s, energy_wh, flags, temperature (0.01 degC)."""
RECORD_DTYPE = np.dtype([("seq", ">u4"), ("start_s", ">u4"), ("energy_wh", ">u4"),
                         ("flags", ">u2"), ("temperature", ">i2")])
"""The same record as a numpy dtype (``temperature`` in 0.01 degC, -32768 = none), to decode
many records at once with ``np.frombuffer``."""
ACK_HEAD_STRUCT = struct.Struct("!IIB")
"""Start of an ACK payload: acked_counter, acked_seq, n_gaps."""
ACK_HEAD_DTYPE = np.dtype([("acked_counter", ">u4"), ("acked_seq", ">u4"), ("n_gaps", "u1")])
"""The same as a numpy record (an ACK without gaps is just this)."""
GAP_STRUCT = struct.Struct("!II")
"""One gap range of an ACK: first_seq, last_seq (inclusive)."""


class FrameType(IntEnum):
    """What a frame carries (byte 1 of the header)."""

    BEACON = 1
    JOIN_REQUEST = 2
    JOIN_RESPONSE = 3
    INTERVALS = 4
    EVENT = 5
    STATUS = 6
    ACK = 7
    TIME_SYNC = 8
    TOU_SCHEDULE = 9


class KeyId(IntEnum):
    """Which key protects a frame (byte 3 of the header)."""

    NETWORK = 0
    INSTALL_CODE = 1


class DeviceRole(IntEnum):
    """The role of a device on the network."""

    DCAP = 0
    REPEATER = 1
    MDT = 2


class IntervalFlag(IntFlag):
    """Quality flags an MDT sets on an interval record."""

    NONE = 0
    CLOCK_UNSYNCED = 0x01
    """Closed while the MDT's clock had not been synchronised by the network."""
    PARTIAL = 0x02
    """The MDT was off or restarted during the interval: energy may be incomplete."""
    TAMPER_OPEN = 0x04
    """The enclosure cover was open during the interval."""
    RATE_LIMITED = 0x08
    """Pulses arrived faster than the input can count (20 pulses/s): energy may be low."""
    CLOCK_STEPPED = 0x10
    """A time sync moved the MDT's clock during the interval."""
    POWER_FAIL = 0x20
    """The meter's +12 VDC supply failed during the interval (the MDT ran on its battery)."""
    TOU_STALE = 0x40
    """The MDT's time-of-use schedule had expired: TOU registers may be misallocated."""


_FLAG_CACHE: dict[int, IntervalFlag] = {}


def _interval_flag(bits: int) -> IntervalFlag:
    """``IntervalFlag(bits)``, cached: building an IntFlag costs a microsecond per record."""
    flag = _FLAG_CACHE.get(bits)
    if flag is None:
        flag = _FLAG_CACHE[bits] = IntervalFlag(bits)
    return flag


class EventKind(IntEnum):
    """Events reported by MDTs and repeaters.  ``code`` gives the dotted name used upstream."""

    TAMPER_COVER_REMOVED = 1
    TAMPER_COVER_REPLACED = 2
    POWER_LOST = 3
    POWER_RESTORED = 4
    REVERSE_PHASE = 5
    BATTERY_LOW = 6
    JOIN_FAILED = 7
    PARENT_CHANGED = 8
    DEVICE_RESTARTED = 9
    CLOCK_STEPPED = 10
    TEMPERATURE_CHANGED = 11
    RECORDS_LOST = 12

    @property
    def code(self) -> str:
        """The dotted event code (``tamper.cover_removed``, ``power.lost`` ...)."""
        return _EVENT_CODES[self]


_EVENT_CODES = {
    EventKind.TAMPER_COVER_REMOVED: "tamper.cover_removed",
    EventKind.TAMPER_COVER_REPLACED: "tamper.cover_replaced",
    EventKind.POWER_LOST: "power.lost",
    EventKind.POWER_RESTORED: "power.restored",
    EventKind.REVERSE_PHASE: "meter.reverse_phase",
    EventKind.BATTERY_LOW: "battery.low",
    EventKind.JOIN_FAILED: "join.failed",
    EventKind.PARENT_CHANGED: "network.parent_changed",
    EventKind.DEVICE_RESTARTED: "device.restarted",
    EventKind.CLOCK_STEPPED: "clock.stepped",
    EventKind.TEMPERATURE_CHANGED: "temperature.changed",
    EventKind.RECORDS_LOST: "buffer.records_lost",
}


def _u(value: int, bits: int, name: str) -> int:
    if not 0 <= value < (1 << bits):
        raise ValueError(f"{name}={value} does not fit in {bits} unsigned bits")
    return value


# --------------------------------------------------------------------------------------------
# Payloads.  Each knows its frame type, whether it is encrypted, and how to pack itself.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Beacon:
    """Announces a joined node (DCAP or repeater) to nodes searching for a parent.

    Authenticated, not encrypted: a searching node reads it before it has the network key.
    """

    rank: int
    """Routing rank (DCAP = 256; grows with path cost)."""
    hops: int
    """Hops from the DCAP (DCAP = 0)."""
    dcap_id: int
    """EUI-64 of the DCAP this network belongs to."""
    join_permit: bool = True
    path_etx: float = 0.0
    """Expected transmissions from this node to the DCAP (sum over the path)."""
    children: int = 0

    frame_type: ClassVar[FrameType] = FrameType.BEACON
    encrypted: ClassVar[bool] = False
    _s: ClassVar[struct.Struct] = struct.Struct("!HBQBHH")

    def pack(self) -> bytes:
        etx = min(round(self.path_etx * 100), 0xFFFF)
        return self._s.pack(self.rank, self.hops, self.dcap_id, int(self.join_permit), etx,
                            min(self.children, 0xFFFF))

    @classmethod
    def unpack(cls, data: bytes) -> Beacon:
        rank, hops, dcap_id, permit, etx, children = cls._s.unpack(data)
        return cls(rank, hops, dcap_id, bool(permit), etx / 100, children)


@dataclass(frozen=True, slots=True)
class JoinRequest:
    """A device asks to join; sealed under its own install-code key."""

    role: DeviceRole
    model: str = ""
    """Catalogue number (ASCII, at most 12 characters), e.g. ``MMSMT-C02``."""
    firmware: int = 1
    battery_mv: int = 0
    """Battery voltage [mV] (0: mains powered or unknown)."""

    frame_type: ClassVar[FrameType] = FrameType.JOIN_REQUEST
    encrypted: ClassVar[bool] = True
    _s: ClassVar[struct.Struct] = struct.Struct("!B12sHH")

    def pack(self) -> bytes:
        return self._s.pack(self.role, self.model.encode("ascii"), self.firmware,
                            self.battery_mv)

    @classmethod
    def unpack(cls, data: bytes) -> JoinRequest:
        role, model, firmware, battery_mv = cls._s.unpack(data)
        return cls(DeviceRole(role), model.rstrip(b"\0").decode("ascii"), firmware, battery_mv)


@dataclass(frozen=True, slots=True)
class JoinResponse:
    """The DCAP admits (or refuses) a device; sealed under the device's install-code key, so the
    network key it carries reaches that device alone."""

    accepted: bool
    network_key: bytes = bytes(16)
    key_seq: int = 0
    report_period_s: int = 3600
    """How often the device reports [s]."""
    utc_s: int = 0
    """The DCAP's clock [UTC epoch s] for the first synchronisation."""

    frame_type: ClassVar[FrameType] = FrameType.JOIN_RESPONSE
    encrypted: ClassVar[bool] = True
    _s: ClassVar[struct.Struct] = struct.Struct("!B16sBHI")

    def pack(self) -> bytes:
        if len(self.network_key) != 16:
            raise ValueError("network_key must be 16 bytes")
        return self._s.pack(int(self.accepted), self.network_key, self.key_seq,
                            self.report_period_s, self.utc_s)

    @classmethod
    def unpack(cls, data: bytes) -> JoinResponse:
        accepted, key, key_seq, period_s, utc_s = cls._s.unpack(data)
        return cls(bool(accepted), key, key_seq, period_s, utc_s)


class IntervalRecord(NamedTuple):
    """One closed 15-minute interval as the MDT logged it.

    A named tuple rather than a dataclass: a report decodes several of them per frame on the
    head-end's hot path, and a tuple is built three times faster than a frozen dataclass.
    """

    seq: int
    """The MDT's interval sequence number (monotonic, survives restarts)."""
    start_s: int
    """Interval start [UTC epoch s], by the MDT's clock; the interval is [start, start + 900)."""
    energy_wh: int
    """Energy counted in the interval [Wh] (pulses x 10)."""
    flags: IntervalFlag = IntervalFlag.NONE
    temperature_c: float | None = None
    """Temperature for the interval [degC] (D02 variant), resolution 0.01 degC."""


_RECORD = RECORD_STRUCT


@dataclass(frozen=True, slots=True)
class Intervals:
    """An MDT's report: interval records plus its running totals."""

    register_wh: int
    """The MDT's running total [Wh] (all pulses ever counted x 10) when the frame was built."""
    records: tuple[IntervalRecord, ...]
    tou_register_wh: tuple[int, ...] = ()
    """Time-of-use register totals [Wh] (C02/D02/E02 variants), by register index."""

    frame_type: ClassVar[FrameType] = FrameType.INTERVALS
    encrypted: ClassVar[bool] = True
    _s: ClassVar[struct.Struct] = INTERVALS_HEAD_STRUCT

    def pack(self) -> bytes:
        if len(self.records) > MAX_RECORDS_PER_FRAME:
            raise ValueError(f"at most {MAX_RECORDS_PER_FRAME} records per frame")
        parts = [self._s.pack(self.register_wh, len(self.tou_register_wh), len(self.records))]
        parts.extend(struct.pack("!Q", wh) for wh in self.tou_register_wh)
        rec = _RECORD
        for r in self.records:
            temp = NO_TEMPERATURE if r.temperature_c is None else round(r.temperature_c * 100)
            parts.append(rec.pack(r.seq, r.start_s, r.energy_wh, int(r.flags), temp))
        return b"".join(parts)

    @classmethod
    def unpack(cls, data: bytes) -> Intervals:
        register_wh, n_tou, n_records = cls._s.unpack_from(data)
        offset = cls._s.size
        tou = struct.unpack_from(f"!{n_tou}Q", data, offset)
        offset += 8 * n_tou
        rec = _RECORD
        if len(data) != offset + n_records * rec.size:
            raise FrameError("malformed", "interval payload length does not match its counts")
        flag = _interval_flag
        records = tuple(
            IntervalRecord(seq, start_s, energy_wh, flag(flags),
                           None if temp == NO_TEMPERATURE else temp / 100)
            for seq, start_s, energy_wh, flags, temp in rec.iter_unpack(data[offset:])
        )
        return cls(register_wh, records, tuple(tou))


@dataclass(frozen=True, slots=True)
class Event:
    """Something happened at a device (tamper, power lost, ...) at ``t_s``."""

    kind: EventKind
    t_s: int
    """When it happened [UTC epoch s], by the device's clock."""
    value: int = 0
    """Kind-specific value (temperature [0.01 degC], element number, records lost ...)."""

    frame_type: ClassVar[FrameType] = FrameType.EVENT
    encrypted: ClassVar[bool] = True
    _s: ClassVar[struct.Struct] = struct.Struct("!BIi")

    def pack(self) -> bytes:
        return self._s.pack(self.kind, self.t_s, self.value)

    @classmethod
    def unpack(cls, data: bytes) -> Event:
        kind, t_s, value = cls._s.unpack(data)
        try:
            return cls(EventKind(kind), t_s, value)
        except ValueError as exc:
            raise FrameError("malformed", f"unknown event kind {kind}") from exc


@dataclass(frozen=True, slots=True)
class Status:
    """A device's health (MDT or repeater), sent periodically and once after a parent change.

    The head-end keeps the latest status and a history of them (``/api/v1/devices``, the daily
    CSV's health columns, MQTT device state, the low-battery and weak-link alarms).

    ``tx_frames``, ``retries`` and ``drops`` count what happened since the device's previous
    STATUS frame (so a history sums to totals and a lost status loses only its own window);
    ``parent_changes`` counts since the device last restarted (see ``uptime_s``).  Fields after
    ``parent_changes`` were added in frame version 2; their defaults keep older constructors
    working.
    """

    parent: int
    """EUI-64 of the current parent (0: none)."""
    rssi_dbm: int
    """Received signal strength of the parent link [dBm] (clamped to -128..127)."""
    etx: float = 1.0
    """Expected transmissions on the path to the DCAP (the sum over its links; 0.01)."""
    hops: int = 1
    """Hops from this device to the DCAP (1: the parent is the DCAP)."""
    battery_mv: int = 0
    """Battery voltage [mV] (0: mains powered)."""
    battery_remaining_mah: int = 0
    """Charge left by the device's ledger [mAh]."""
    on_battery: bool = False
    """A repeater running on its backup battery."""
    tx_frames: int = 0
    """Frames transmitted (first attempts) since the previous STATUS."""
    retries: int = 0
    """Link-layer retransmissions since the previous STATUS."""
    queue_frames: int = 0
    """Frames waiting in the device's transmit queue when the status was built."""
    parent_changes: int = 0
    """Parent changes since the device last restarted."""
    link_margin_db: float = 0.0
    """Margin of the parent link above the receiver sensitivity [dB] (resolution 0.1 dB)."""
    drops: int = 0
    """Frames given up (retries exhausted or queue overflow) since the previous STATUS."""
    uptime_s: int = 0
    """Time since the device last restarted [s]."""
    clock_offset_ms: int = 0
    """The device clock minus network time, measured at the last TIME_SYNC [ms] (positive: the
    device was ahead; 0: never synchronised)."""

    frame_type: ClassVar[FrameType] = FrameType.STATUS
    encrypted: ClassVar[bool] = True
    _s: ClassVar[struct.Struct] = struct.Struct("!QbHBHHBIIHHhIIi")

    def pack(self) -> bytes:
        margin = max(-0x8000, min(0x7FFF, round(self.link_margin_db * 10)))
        offset_ms = max(-(1 << 31), min((1 << 31) - 1, self.clock_offset_ms))
        return self._s.pack(self.parent, max(-128, min(127, self.rssi_dbm)),
                            min(round(self.etx * 100), 0xFFFF), self.hops, self.battery_mv,
                            min(self.battery_remaining_mah, 0xFFFF), int(self.on_battery),
                            min(self.tx_frames, _U32), min(self.retries, _U32),
                            min(self.queue_frames, 0xFFFF), min(self.parent_changes, 0xFFFF),
                            margin, min(self.drops, _U32),
                            min(self.uptime_s, _U32), offset_ms)

    @classmethod
    def unpack(cls, data: bytes) -> Status:
        (parent, rssi, etx, hops, mv, mah, on_batt, tx, retries, queue, changes, margin, drops,
         uptime_s, offset_ms) = cls._s.unpack(data)
        return cls(parent, rssi, etx / 100, hops, mv, mah, bool(on_batt), tx, retries, queue,
                   changes, margin / 10, drops, uptime_s, offset_ms)


@dataclass(frozen=True, slots=True)
class Ack:
    """The head-end's end-to-end acknowledgement of one uplink frame, with a gap request.

    ``acked_counter`` is the frame counter of the uplink frame this answers (the device retires
    that frame: an event, a status, a report); ``acked_seq`` is the highest interval sequence
    number at or below which every record of the device is stored (``NO_SEQ``: none yet);
    ``gaps`` are inclusive ``(first_seq, last_seq)`` ranges the head-end asks the MDT to send
    again.
    """

    acked_counter: int
    acked_seq: int = NO_SEQ
    gaps: tuple[tuple[int, int], ...] = ()

    frame_type: ClassVar[FrameType] = FrameType.ACK
    encrypted: ClassVar[bool] = True
    def pack(self) -> bytes:
        return pack_ack(self.acked_counter, self.acked_seq, self.gaps)

    @classmethod
    def unpack(cls, data: bytes) -> Ack:
        return cls(*unpack_ack(data))


@dataclass(frozen=True, slots=True)
class TimeSync:
    """The DCAP's clock, to synchronise a device."""

    utc_ms: int
    """[UTC epoch ms]."""

    frame_type: ClassVar[FrameType] = FrameType.TIME_SYNC
    encrypted: ClassVar[bool] = True
    _s: ClassVar[struct.Struct] = struct.Struct("!Q")

    def pack(self) -> bytes:
        return self._s.pack(self.utc_ms)

    @classmethod
    def unpack(cls, data: bytes) -> TimeSync:
        (utc_ms,) = cls._s.unpack(data)
        return cls(utc_ms)


@dataclass(frozen=True, slots=True)
class TouSchedule:
    """Time-of-use switch points, computed by the head-end in UTC for the site's calendar.

    From ``switches[k][0]`` [UTC epoch s] on, energy accrues to register ``switches[k][1]``.
    The MDT never does time-zone arithmetic itself.
    """

    registers: int
    switches: tuple[tuple[int, int], ...]

    frame_type: ClassVar[FrameType] = FrameType.TOU_SCHEDULE
    encrypted: ClassVar[bool] = True
    _s: ClassVar[struct.Struct] = struct.Struct("!BH")

    def pack(self) -> bytes:
        parts = [self._s.pack(self.registers, len(self.switches))]
        parts.extend(struct.pack("!IB", t, r) for t, r in self.switches)
        return b"".join(parts)

    @classmethod
    def unpack(cls, data: bytes) -> TouSchedule:
        registers, n = cls._s.unpack_from(data)
        if len(data) != cls._s.size + 5 * n:
            raise FrameError("malformed", "schedule payload length does not match its count")
        switches = tuple((t, r) for t, r in struct.iter_unpack("!IB", data[cls._s.size:]))
        return cls(registers, switches)


Payload = (Beacon | JoinRequest | JoinResponse | Intervals | Event | Status | Ack | TimeSync
           | TouSchedule)

_PAYLOADS: dict[int, type[Payload]] = {
    cls.frame_type: cls
    for cls in (Beacon, JoinRequest, JoinResponse, Intervals, Event, Status, Ack, TimeSync,
                TouSchedule)
}

_KEY_IDS: dict[int, KeyId] = {k.value: k for k in KeyId}

KeyLookup = Callable[[int, KeyId], bytes | None]
"""``(src, key_id) -> key`` or ``None`` when the sender is unknown."""


# --------------------------------------------------------------------------------------------
# Packed payloads: the same bytes as Frame.to_bytes / from_bytes without payload objects, for
# hot paths (the simulator's reports and ACKs, the head-end's bulk ingest).  Layout lives here
# and nowhere else.
# --------------------------------------------------------------------------------------------


def pack_ack(acked_counter: int, acked_seq: int, gaps: tuple[tuple[int, int], ...] = ()) -> bytes:
    """The payload bytes of an :class:`Ack`."""
    if len(gaps) > 255:
        raise ValueError("at most 255 gap ranges per ack")
    head = ACK_HEAD_STRUCT.pack(acked_counter, acked_seq, len(gaps))
    if not gaps:
        return head
    return head + b"".join([GAP_STRUCT.pack(a, b) for a, b in gaps])


def unpack_ack(plain: bytes) -> tuple[int, int, tuple[tuple[int, int], ...]]:
    """``(acked_counter, acked_seq, gaps)`` from an ACK payload; ``FrameError`` if malformed."""
    try:
        counter, acked, n = ACK_HEAD_STRUCT.unpack_from(plain)
    except struct.error as exc:
        raise FrameError("malformed", f"ACK: {exc}") from exc
    if len(plain) != ACK_HEAD_STRUCT.size + GAP_STRUCT.size * n:
        raise FrameError("malformed", "ack payload length does not match its gap count")
    if not n:
        return counter, acked, ()
    gaps = tuple(GAP_STRUCT.iter_unpack(plain[ACK_HEAD_STRUCT.size:]))
    return counter, acked, gaps


def seal_packed(key: bytes, frame_type: FrameType, src: int, dst: int, counter: int,
                payload: bytes, key_id: KeyId = KeyId.NETWORK) -> bytes:
    """Seal an already packed ``payload``: the bytes ``Frame(...).to_bytes(key)`` gives."""
    encrypted = _PAYLOADS[frame_type].encrypted
    header = HEADER_STRUCT.pack(FRAME_VERSION, frame_type, FLAG_ENCRYPTED if encrypted else 0,
                                key_id, _u(src, 64, "src"), _u(dst, 64, "dst"),
                                _u(counter, 32, "counter"))
    return seal_payload(key, header, payload, src=src, counter=counter, encrypt=encrypted)


def headers_of(frames: npt.NDArray[np.uint8]) -> npt.NDArray[np.void]:
    """The clear headers of frames of one length (one frame per row) as ``HEADER_DTYPE``
    records (a copy: never trust them before :func:`open_packed_many` verifies)."""
    return np.ascontiguousarray(frames[:, :HEADER_LENGTH]).view(HEADER_DTYPE).ravel()


def seal_packed_many(batch: CcmBatch, frame_type: FrameType, src: int, dst: npt.ArrayLike,
                     counter: npt.ArrayLike, payloads: npt.NDArray[np.uint8],
                     key_id: KeyId = KeyId.NETWORK) -> npt.NDArray[np.uint8]:
    """:func:`seal_packed` of many frames of one encrypted type and payload length under
    ``batch``'s key: one sealed frame per row (``payloads`` has one per row)."""
    if not _PAYLOADS[frame_type].encrypted:
        raise ValueError(f"{frame_type.name} frames are not encrypted")
    n = len(payloads)
    head = np.empty(n, dtype=HEADER_DTYPE)
    head["version"], head["frame_type"], head["flags"] = FRAME_VERSION, frame_type, FLAG_ENCRYPTED
    head["key_id"], head["src"], head["dst"], head["counter"] = key_id, src, dst, counter
    header = head.view(np.uint8).reshape(n, HEADER_LENGTH)
    body = batch.seal_array(nonces(head["src"], head["counter"]), header, payloads)
    return np.concatenate((header, body), axis=1)


def open_packed_many(batch: CcmBatch, frames: npt.NDArray[np.uint8]
                     ) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    """The payloads of encrypted frames of one length (one per row) under ``batch``'s key, and
    which verified (a row that did not is zeros).  Only the MIC is checked here: the caller
    picks the frames whose headers (:func:`headers_of`) it takes first."""
    head = headers_of(frames)
    return batch.open_array(nonces(head["src"], head["counter"]),
                            head.view(np.uint8).reshape(-1, HEADER_LENGTH),
                            frames[:, HEADER_LENGTH:])


def open_packed(data: bytes, keys: bytes | KeyLookup) -> tuple[int, int, int, int, KeyId, bytes]:
    """Verify ``data``; return ``(frame_type, src, dst, counter, key_id, payload_bytes)``.

    The checks of :meth:`Frame.from_bytes` short of decoding the payload (length, version, type,
    encryption flag, key id, key lookup, MIC), raising ``FrameError`` likewise; a plain tuple,
    because hot paths call it for every frame.
    """
    if len(data) < HEADER_LENGTH + MIC_LENGTH:
        raise FrameError("malformed", f"{len(data)} bytes is shorter than any frame")
    version, ftype, flags, key_byte, src, dst, counter = HEADER_STRUCT.unpack_from(data)
    if version != FRAME_VERSION:
        raise FrameError("unsupported_version", f"frame version {version}")
    payload_cls = _PAYLOADS.get(ftype)
    if payload_cls is None:
        raise FrameError("unknown_type", f"frame type {ftype}")
    encrypted = bool(flags & FLAG_ENCRYPTED)
    if encrypted != payload_cls.encrypted:
        raise FrameError("malformed", "encryption flag does not match the frame type")
    key_id = _KEY_IDS.get(key_byte)
    if key_id is None:
        raise FrameError("malformed", f"unknown key id {key_byte}")
    key = keys if isinstance(keys, bytes) else keys(src, key_id)
    if key is None:
        raise FrameError("unknown_device", f"no key for sender {src:016x}")
    plain = open_payload(key, data[:HEADER_LENGTH], data[HEADER_LENGTH:], src=src,
                         counter=counter, encrypted=encrypted)
    return ftype, src, dst, counter, key_id, plain


@dataclass(frozen=True, slots=True)
class Header:
    """The clear header of a frame, readable before verification (never trust it before)."""

    version: int
    frame_type: int
    encrypted: bool
    key_id: int
    src: int
    dst: int
    counter: int


def peek_header(data: bytes) -> Header:
    """Read the clear header without verifying anything (for routing and key lookup)."""
    if len(data) < HEADER_LENGTH + MIC_LENGTH:
        raise FrameError("malformed", f"{len(data)} bytes is shorter than any frame")
    version, ftype, flags, key_id, src, dst, counter = HEADER_STRUCT.unpack_from(data)
    return Header(version, ftype, bool(flags & FLAG_ENCRYPTED), key_id, src, dst, counter)


@dataclass(frozen=True, slots=True)
class Frame:
    """One protected frame: who sent it, to whom, its counter and its payload."""

    src: int
    dst: int
    counter: int
    payload: Payload
    key_id: KeyId = KeyId.NETWORK

    @property
    def frame_type(self) -> FrameType:
        return self.payload.frame_type

    def to_bytes(self, key: bytes) -> bytes:
        """Seal the frame with ``key`` (16 bytes) and return its bytes."""
        return seal_packed(key, self.payload.frame_type, self.src, self.dst, self.counter,
                           self.payload.pack(), self.key_id)

    @classmethod
    def from_bytes(cls, data: bytes, keys: bytes | KeyLookup) -> Frame:
        """Verify and decode ``data``.

        ``keys`` is the key itself or a lookup ``(src, key_id) -> key | None``.  Raises
        ``FrameError`` with reason ``malformed``, ``unsupported_version``, ``unknown_type``,
        ``unknown_device`` or ``bad_mic``.  Replay checking is the receiver's job
        (:class:`~openamr.frames.security.ReplayWindow`), after this succeeds.
        """
        ftype, src, dst, counter, key_id, plain = open_packed(data, keys)
        payload_cls = _PAYLOADS[ftype]
        try:
            payload = payload_cls.unpack(plain)
        except (struct.error, ValueError, UnicodeDecodeError) as exc:
            raise FrameError("malformed", f"{payload_cls.frame_type.name}: {exc}") from exc
        return cls(src, dst, counter, payload, key_id)
