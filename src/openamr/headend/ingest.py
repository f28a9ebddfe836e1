"""Ingest: verified frames in, stored readings and downlinks (ACK, JOIN_RESPONSE, TIME_SYNC) out.

``Ingest(store).handle_batch(frames, received_s)`` runs each frame through

1. **authenticate and decrypt**: the clear header names the sender and the key (network key,
   or for a ``JOIN_REQUEST`` the sender's install-code key); the AES-CCM MIC is verified end to
   end (repeaters forward frames unchanged);
2. **replay check**: a 64-frame :class:`~openamr.frames.ReplayWindow` per sender, moved only
   after the MIC verified, persisted in the store in the same commit as the data;
3. **decode and validate** (:mod:`openamr.headend.validate`): interval records are decoded
   with numpy for the whole batch at once and checked against the meter's physical maximum,
   the clock bounds and the 15-minute grid;
4. **store** in ONE transaction per batch: intervals (idempotent on ``(meter, start)``),
   register reads, events, device status, rejections, replay windows, sequence state and the
   DCAP's own frame-counter reservation;
5. **answer** after the commit: each uplink gets its downlinks (an ``ACK`` naming its counter,
   the device's highest contiguous settled ``seq`` and up to ``max_gap_ranges`` missing
   ranges; a ``JOIN_RESPONSE`` sealed under the install-code key; a ``TIME_SYNC`` when the
   device's clock looks off or its last sync is older than ``time_sync_period_s``);
6. **notify** subscribers (``subscribe(cb)``) with a :class:`StoredBatch` of what is new.

Refused input is counted by reason and kept with its raw bytes (``store.put_rejection``);
nothing stored is ever changed by it.  Every path is idempotent: the same frame again is a
``replay``; the same records in a new frame are duplicates.  See ``docs/headend-ingest.md``.
"""

from __future__ import annotations

import logging
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np
import numpy.typing as npt

from openamr.errors import FrameError, InputError
from openamr.frames import (
    ACK_HEAD_DTYPE,
    FLAG_ENCRYPTED,
    FRAME_VERSION,
    HEADER_LENGTH,
    HEADER_STRUCT,
    INTERVALS_HEAD_DTYPE,
    INTERVALS_HEAD_STRUCT,
    MIC_LENGTH,
    NO_SEQ,
    TOU_REGISTER_STRUCT,
    Ack,
    CcmBatch,
    Event,
    EventKind,
    FrameCounter,
    FrameType,
    JoinRequest,
    JoinResponse,
    KeyId,
    Payload,
    ReplayWindow,
    Status,
    TimeSync,
    headers_of,
    open_packed_many,
    seal_packed,
    seal_packed_many,
)
from openamr.frames.security import open_payload
from openamr.headend.register_watermarks import RegisterWatermarks
from openamr.headend.registry import DeviceRegistry, KnownDevice
from openamr.headend.seqs import SeqTracker, settle_runs
from openamr.headend.settings import IngestSettings
from openamr.headend.store import (
    DeviceStatus,
    EventRow,
    IntervalTable,
    PutResult,
    Store,
    StoredBatch,
)
from openamr.headend.store.base import StatusReport
from openamr.headend.tou import TouSender
from openamr.headend.validate import (
    RECORD_DTYPE,
    REJECT_NAMES,
    check_records,
    quality_codes,
    quality_names,
)
from openamr.timeutil import epoch_s, format_utc, utc_now
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["OVERLAP_CHUNK_FRAMES", "Ingest", "IngestStats", "StoredBatch"]

log = logging.getLogger(__name__)

_HEADER = HEADER_STRUCT
_INTERVALS_HEAD = INTERVALS_HEAD_STRUCT
_RECORD_SIZE = RECORD_DTYPE.itemsize
_TOU_REGISTER = TOU_REGISTER_STRUCT
_ENCRYPTED = FLAG_ENCRYPTED
_INTERVALS = int(FrameType.INTERVALS)
_UPLINK_TYPES = {FrameType.JOIN_REQUEST, FrameType.INTERVALS, FrameType.EVENT, FrameType.STATUS}
_KNOWN_TYPES = {int(t) for t in FrameType}
_CLOCK_BAD = 0x01 | 0x10  # IntervalFlag.CLOCK_UNSYNCED | CLOCK_STEPPED
_TOU_STALE = 0x40  # IntervalFlag.TOU_STALE
_NO_TEMPERATURE = -0x8000  # a record's temperature field when it carries none
OVERLAP_CHUNK_FRAMES = 2_500
"""Frames per chunk of a batch when the store overlaps writes (``Store.overlaps_writes``): the
store inserts a chunk's intervals while the next chunk is decrypted (still ONE commit)."""

COLUMN_PATH_MIN_FRAMES = 32
"""A chunk of fewer frames goes frame by frame: the column path's fixed numpy cost (about half a
millisecond a chunk) outweighs the per-frame path's ~40 µs a frame below this (measured on the
simulator's uploads of a few frames each).  Both paths store and answer the same
(``tests/headend/test_ingest_fast_path.py``)."""

Subscriber = Callable[[StoredBatch], None]


def _now_s() -> int:
    return epoch_s(utc_now())


@dataclass
class IngestStats:
    """Running totals since the ingest started."""

    frames: int = 0
    frames_accepted: int = 0
    readings_stored: int = 0
    readings_duplicate: int = 0
    batches: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    """Rejected items by reason (frames, or records for record-level reasons)."""


@dataclass
class _Chunk:
    """The records of one chunk of a batch, sent to the store (``pending`` gives the result)."""

    pending: Callable[[], PutResult]
    meter_key: npt.NDArray[np.int64]
    start_s: npt.NDArray[np.int64]
    energy_wh: npt.NDArray[np.float64]
    flags: npt.NDArray[np.int64]
    ok: npt.NDArray[np.bool_]


@dataclass
class _Work:
    """One batch in progress."""

    received_s: int
    n: int
    replies: list[list[bytes]]
    rejects: dict[str, int] = field(default_factory=dict)
    # interval frames: (index, device, counter, register_wh, record bytes, records, raw,
    # TOU register bytes)
    iv: list[tuple[int, KnownDevice, int, int, bytes, int, bytes, bytes]] = field(
        default_factory=list)
    iv_frame: list[int] = field(default_factory=list)
    iv_dev: list[KnownDevice] = field(default_factory=list)
    iv_counter: list[int] = field(default_factory=list)
    iv_register: list[int] = field(default_factory=list)
    iv_chunks: list[bytes] = field(default_factory=list)
    iv_counts: list[int] = field(default_factory=list)
    iv_raw: list[bytes] = field(default_factory=list)
    iv_tou: list[bytes] = field(default_factory=list)
    # other frames: (frame index, device, counter, payload)
    others: list[tuple[int, KnownDevice, int, Payload]] = field(default_factory=list)
    heard: dict[int, KnownDevice] = field(default_factory=dict)
    windows: set[int] = field(default_factory=set)
    events: list[EventRow] = field(default_factory=list)
    statuses: list[DeviceStatus] = field(default_factory=list)
    heard_only: list[str] = field(default_factory=list)
    """Devices heard that reported no status: ``_store_others`` sets their ``last_heard_s``."""
    stored: IntervalTable | None = None
    clock_suspect: set[int] = field(default_factory=set)
    rejections: list[tuple[str, str, str, bytes | None, int]] = field(default_factory=list)
    """Queued ``put_rejection`` calls: (reason, source, detail, raw, count)."""
    iv_arrays: tuple[npt.NDArray[np.int64], ...] = ()
    iv_ok: npt.NDArray[np.bool_] | None = None
    """Which of the batch's records were accepted (a refused record changes nothing)."""
    """Decoded records of the batch: meter_key, start_s, flags, seq, frame index, counts."""
    reg_keys: list[int] = field(default_factory=list)
    reg_t: list[int] = field(default_factory=list)
    reg_wh: list[int] = field(default_factory=list)
    tou_rows: list[tuple[int, int, int, int]] = field(default_factory=list)
    """TOU register reads to store: (meter key, t_s, register index, Wh)."""
    temperatures: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                             npt.NDArray[np.float64]]] = field(default_factory=list)
    """Interval temperatures to store, per chunk: (meter key, start_s, degC)."""
    tou_stale: dict[int, int] = field(default_factory=dict)
    """Device -> start of its newest interval flagged TOU_STALE in the batch [UTC epoch s]."""
    reports: list[StatusReport] = field(default_factory=list)
    """STATUS frames for the history."""
    seq_touched: set[int] = field(default_factory=set)
    """Devices whose seq state changed (INTERVALS frames, a reported loss)."""
    last_frame: dict[int, int] = field(default_factory=dict)
    """Device -> index of its last accepted frame that is not a join (TIME_SYNC rides it)."""


class Ingest:
    """Frames in, readings stored, downlinks out.  Thread-safe (one batch at a time).

    ``store``: where everything goes.  ``settings``: the ``[ingest]`` section (defaults if
    None).  ``clock``: "now" [UTC epoch s] when ``received_s`` is not given.  ``dcap_id``
    overrides ``settings.dcap_id`` (the EUI-64 the downlinks come from).
    """

    def __init__(self, store: Store, *, settings: IngestSettings | None = None,
                 clock: Callable[[], int] = _now_s, dcap_id: int | str | None = None,
                 shared_store: bool = False) -> None:
        self.store = store
        self.shared_store = shared_store
        """Other ingest processes write the same store (``openamr ingest-worker``): each batch
        re-reads and locks the replay windows and sequence states of its senders, and takes
        the DCAP's frame counters from the store under a lock, so no two processes ever seal
        with the same counter (AES-CCM nonces never repeat) and counters rise in commit order."""
        self._counter_claimed = False
        """In a shared store: this batch holds the DCAP's counter row (until its commit)."""
        self.settings = settings or IngestSettings()
        self.clock = clock
        if dcap_id is None:
            dcap_id = self.settings.dcap_id
        self.dcap_eui = int(dcap_id, 16) if isinstance(dcap_id, str) else int(dcap_id)
        self.dcap_id = f"{self.dcap_eui:016x}"
        self.stats = IngestStats()
        self._subscribers: list[Subscriber] = []
        self._lock = threading.RLock()
        self._load()

    # -- state -------------------------------------------------------------------------------

    def _load(self) -> None:
        """(Re)load the cached state from the store."""
        self._stale = True  # until every part below is loaded
        self.network_key = self.store.get_or_create_network_key()
        self._network_batch = CcmBatch(self.network_key)
        self._registry = DeviceRegistry(self.store, self.settings.buffer_horizon_s)
        self._devices = self._registry.devices
        self._windows = {int(d, 16): ReplayWindow(h, s)
                         for d, (h, s) in self.store.load_replay_windows().items()}
        self._seqs = {int(d, 16): SeqTracker(st.acked_seq, set(st.above))
                      for d, st in self.store.load_seq_states().items()}
        self._counter = FrameCounter.after_reset(
            self.store.get_counter_reservation(self.dcap_id))
        self._counter_dirty = False
        """The reservation moved: persist it before the batch commits (in ``_save_state``)."""
        self._last_sync_s: dict[int, int] = {}
        self._registers = RegisterWatermarks()
        self._tou = TouSender(self.settings.tou_schedule_days, self.settings.tou_resend_before_s)
        self._uptime_s: dict[int, int] = {}
        """Device -> ``uptime_s`` of its last STATUS (a lower one means it restarted)."""
        self._stale = False

    def refresh(self) -> None:
        """Re-read devices and meters from the store (after they were changed elsewhere), and
        forget the replay window and sequence state of a device removed since (a device
        registered again starts afresh)."""
        with self._lock:
            self._registry.refresh()
            known = self._devices
            for eui in [e for e in self._windows if e not in known]:
                del self._windows[eui]
            for eui in [e for e in self._seqs if e not in known]:
                del self._seqs[eui]

    # -- public API ----------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> None:
        """Call ``callback(StoredBatch)`` after every commit that stored something."""
        self._subscribers.append(callback)

    def handle(self, data: bytes, received_s: float | None = None) -> list[bytes]:
        """One frame; returns its downlink frames (bytes), sent only after the commit."""
        return self.handle_batch([data], received_s)[0]

    def handle_batch(self, frames: Sequence[bytes], received_s: float | None = None,
                     *, origins: Sequence[str] | None = None) -> list[list[bytes]]:
        """Frames received together (one commit); returns the downlinks of each frame, in
        order (an empty list for a refused frame).

        ``received_s`` [UTC epoch s] defaults to the clock; ``origins`` names where each
        frame came from (``udp:host:port``), for rejections of frames with no readable sender.
        """
        now = int(self.clock() if received_s is None else received_s)
        work = _Work(now, len(frames), [[] for _ in frames])
        with self._lock:
            if self._stale:  # the reload after a failed batch failed too (store away)
                self._load()
            try:
                with self.store.transaction():
                    if self.shared_store:
                        self._lock_senders(frames)
                    # in chunks when the store overlaps writes: a chunk's intervals are being
                    # inserted while the next chunk is decrypted and this one is ACKed
                    step = max(len(frames), 1)
                    if self.store.overlaps_writes:
                        step = min(step, OVERLAP_CHUNK_FRAMES)
                    pendings = []
                    for lo in range(0, len(frames), step):
                        part = frames[lo:lo + step]
                        slow = (self._fast_intervals(work, part, lo)
                                if len(part) >= COLUMN_PATH_MIN_FRAMES
                                else list(range(lo, lo + len(part))))
                        fast = len(work.iv)
                        for i in slow:
                            self._frame(work, i, bytes(frames[i]),
                                        origins[i] if origins is not None else "frame")
                        if len(work.iv) > fast:  # in arrival order, as frame by frame: the
                            work.iv.sort(key=itemgetter(0))  # first of two values wins
                        self.stats.frames_accepted += len(work.iv)
                        self._flush_rejections(work)
                        pendings.append(self._start_intervals(work))
                        self._settle_intervals(work)
                        self._answer_intervals(work)
                        work.iv.clear()
                    self.stats.frames_accepted += len(work.others)
                    for pending in pendings:
                        self._finish_intervals(work, pending)
                    self._store_registers(work)
                    self._prepare_others(work)
                    self._answer_others(work)
                    self._flush_rejections(work)
                    self._store_others(work)
                    self._save_state(work)
            except BaseException:
                try:
                    self._load()  # the memory must not run ahead of the store
                except Exception:  # the store is away: reload before the next batch
                    self._stale = True
                raise
            finally:
                self._counter_claimed = False
            self.stats.frames += len(frames)
            self.stats.batches += 1
            for reason, n in work.rejects.items():
                self.stats.rejected[reason] = self.stats.rejected.get(reason, 0) + n
        self._notify(work)
        return work.replies

    def _lock_senders(self, frames: Sequence[bytes]) -> None:
        """Shared store: take this batch's senders' replay windows and sequence states from
        the store (locked until the commit) instead of from memory, which another process may
        have overtaken."""
        unpack, min_len = _HEADER.unpack_from, HEADER_LENGTH
        senders = {unpack(f)[4] for f in frames if len(f) >= min_len}
        windows, seqs = self.store.lock_device_state([f"{eui:016x}" for eui in senders])
        for eui in senders:
            key = f"{eui:016x}"
            window = windows.get(key)
            if window is None:
                self._windows.pop(eui, None)
            else:
                self._windows[eui] = ReplayWindow(*window)
            seq = seqs.get(key)
            if seq is None:
                self._seqs.pop(eui, None)
            else:
                self._seqs[eui] = SeqTracker(seq.acked_seq, set(seq.above))

    def _claim_counters(self) -> None:
        """Shared store: continue the DCAP's counter from the store's reservation, holding its
        row until the commit (``_save_state`` writes back exactly the next unused value)."""
        start = self.store.lock_counter_reservation(self.dcap_id)
        self._counter = FrameCounter(value=start, persist_every=self._counter.persist_every,
                                     reserved_until=start)
        self._counter_claimed = True

    # -- one frame -----------------------------------------------------------------------

    def _reject(self, work: _Work, reason: str, source: str, detail: str, raw: bytes | None,
                count: int = 1) -> None:
        work.rejects[reason] = work.rejects.get(reason, 0) + count
        work.rejections.append((reason, source, detail, raw, count))

    def _flush_rejections(self, work: _Work) -> None:
        """Write the rejections queued so far (in order)."""
        for reason, source, detail, raw, count in work.rejections:
            self.store.put_rejection(reason, source, work.received_s, detail, raw, count)
        work.rejections.clear()

    def _fast_intervals(self, work: _Work, frames: Sequence[bytes], base: int = 0) -> list[int]:
        """The common case (INTERVALS frames from known devices with a fresh counter and a
        good MIC) on columns: frames of one length are parsed and verified together
        (:class:`~openamr.frames.CcmBatch`), then accepted in arrival order against the replay
        windows; returns the indexes of the other frames, in order, for the full path (which
        names what is wrong).  A frame it does not accept changes nothing here.  Indexes
        count from ``base``."""
        slow: list[int] = []
        devices, windows = self._devices, self._windows
        head_size = _INTERVALS_HEAD.size
        lengths = np.fromiter(map(len, frames), dtype=np.int64, count=len(frames))
        by_length: dict[int, list[int]] = {}
        if len(lengths) and lengths.min() == lengths.max():  # the usual batch: one length
            by_length[int(lengths[0])] = list(range(len(frames)))
        else:
            order = np.argsort(lengths, kind="stable")
            cuts = np.flatnonzero(np.diff(lengths[order])) + 1
            for part in np.split(order, cuts):
                if len(part):
                    by_length[int(lengths[part[0]])] = part.tolist()
        # (index, device, counter, register_wh, records, n_rec, raw, TOU registers) of each
        # frame that verified, in arrival order once sorted
        good: list[tuple[int, KnownDevice, int, int, bytes, int, bytes, bytes]] = []
        for length, rows in by_length.items():
            width = length - HEADER_LENGTH - MIC_LENGTH  # payload [bytes]
            if width < head_size:
                slow.extend(rows)
                continue
            raw = list(frames) if len(rows) == len(frames) else [frames[k] for k in rows]
            arr = np.frombuffer(b"".join(raw), dtype=np.uint8).reshape(len(rows), length)
            head = headers_of(arr)
            srcs, counters = head["src"].tolist(), head["counter"].tolist()
            # the header as _frame wants it, a known sender and a counter newer than its
            # window before this batch (a repeat inside the batch is caught below)
            cand = ((head["version"] == FRAME_VERSION) & (head["frame_type"] == _INTERVALS)
                    & ((head["flags"] & _ENCRYPTED) != 0) & (head["key_id"] == KeyId.NETWORK))
            cand &= np.fromiter(
                (src in devices and (w is None or c > w.highest)
                 for src, c, w in zip(srcs, counters, map(windows.get, srcs), strict=True)),
                dtype=bool, count=len(rows))
            pick = np.flatnonzero(cand)
            plain, ok = open_packed_many(self._network_batch, arr[pick])
            intervals_head = np.ascontiguousarray(plain[:, :head_size]).view(
                INTERVALS_HEAD_DTYPE).ravel()
            register = intervals_head["register_wh"]
            n_tou = intervals_head["n_tou"].astype(np.int64)
            n_rec = intervals_head["n_records"].astype(np.int64)
            offset = head_size + 8 * n_tou
            ok &= offset + n_rec * _RECORD_SIZE == width
            body = plain.tobytes()
            slow.extend(rows[k] for k in np.flatnonzero(~cand).tolist())
            for j, (p, good_mic, reg, off, n) in enumerate(zip(
                    pick.tolist(), ok.tolist(), register.tolist(), offset.tolist(),
                    n_rec.tolist(), strict=True)):
                k = rows[p]
                if not good_mic:
                    slow.append(k)
                    continue
                at = j * width
                good.append((k + base, devices[srcs[p]], counters[p], reg,
                             body[at + off:at + width], n, raw[p],
                             body[at + head_size:at + off]))
        if len(by_length) > 1:
            good.sort(key=itemgetter(0))
        # replay windows: in arrival order, each sender's counters must keep rising
        runs: dict[int, list[int]] = {}
        iv_append, heard, last_frame = work.iv.append, work.heard, work.last_frame
        for item in good:
            i, dev, counter = item[0], item[1], item[2]
            src = dev.eui
            run = runs.get(src)
            if run is not None:
                newest = run[-1]
            else:
                window = windows.get(src)
                newest = -1 if window is None else window.highest
            if counter <= newest:  # a repeat inside the batch: the full path names it
                slow.append(i - base)
                continue
            if run is None:
                runs[src] = [counter]
            else:
                run.append(counter)
            heard[src] = dev
            last_frame[src] = i
            iv_append(item)
        for src, run in runs.items():  # a sender's first frame gets a fresh window
            windows.setdefault(src, ReplayWindow()).accept_newer(run)
        work.windows.update(heard)
        slow.sort()
        return [k + base for k in slow]

    def _frame(self, work: _Work, i: int, data: bytes, origin: str) -> None:
        if len(data) < HEADER_LENGTH + MIC_LENGTH:
            self._reject(work, "malformed", origin, f"{len(data)} bytes is shorter than any "
                         "frame", data)
            return
        version, ftype, flags, key_id, src, _dst, counter = _HEADER.unpack_from(data)
        try:
            if version != FRAME_VERSION:
                raise FrameError("unsupported_version", f"frame version {version}")
            if ftype not in _KNOWN_TYPES:
                raise FrameError("unknown_type", f"frame type {ftype}")
            if ftype not in _UPLINK_TYPES:
                raise FrameError("unexpected_type",
                                 f"{FrameType(ftype).name} is not an uplink to the head-end")
            if not flags & _ENCRYPTED:
                raise FrameError("malformed", "encryption flag does not match the frame type")
            want = KeyId.INSTALL_CODE if ftype == FrameType.JOIN_REQUEST else KeyId.NETWORK
            if key_id != want:
                raise FrameError("malformed", f"{FrameType(ftype).name} must use key id "
                                 f"{int(want)}, not {key_id}")
            dev = self._registry.get(src, work.received_s)
            key = None if dev is None else (
                dev.install_key if want == KeyId.INSTALL_CODE else self.network_key)
            if dev is None or key is None:
                raise FrameError("unknown_device", f"no key for sender {src:016x}")
            plain = open_payload(key, data[:HEADER_LENGTH], data[HEADER_LENGTH:], src=src,
                                 counter=counter)  # FrameError("bad_mic") when it fails
            window = self._windows.get(src)
            if window is None:
                window = self._windows[src] = ReplayWindow()
            reason = window.check(counter)
            if reason is not None:
                raise FrameError(reason, f"counter {counter} of {src:016x} "
                                 f"(highest {window.highest})")
            if ftype == FrameType.INTERVALS:
                register_wh, n_tou, n_rec = _INTERVALS_HEAD.unpack_from(plain)
                offset = _INTERVALS_HEAD.size + 8 * n_tou
                if len(plain) != offset + n_rec * _RECORD_SIZE:
                    raise FrameError("malformed", "interval payload length does not match its "
                                     "counts")
            else:
                payload = self._decode(ftype, plain)
        except FrameError as exc:
            self._reject(work, exc.reason, f"{src:016x}" if exc.reason != "malformed" or
                         version == FRAME_VERSION else origin, str(exc), data)
            return
        except struct.error as exc:
            self._reject(work, "malformed", f"{src:016x}", str(exc), data)
            return
        window.accept(counter)
        work.windows.add(src)
        work.heard[src] = dev
        if ftype != FrameType.JOIN_REQUEST:  # the latest to arrive (the column path's
            # frames of this chunk came first, whatever their place)
            work.last_frame[src] = max(i, work.last_frame.get(src, i))
        if ftype == FrameType.INTERVALS:
            work.iv.append((i, dev, counter, register_wh, plain[offset:], n_rec, data,
                            plain[_INTERVALS_HEAD.size:offset]))
        else:
            work.others.append((i, dev, counter, payload))

    @staticmethod
    def _decode(ftype: int, plain: bytes) -> Payload:
        cls: type[JoinRequest] | type[Event] | type[Status]
        cls = {FrameType.JOIN_REQUEST: JoinRequest, FrameType.EVENT: Event,
               FrameType.STATUS: Status}[FrameType(ftype)]
        try:
            return cls.unpack(plain)
        except (struct.error, ValueError, UnicodeDecodeError) as exc:
            raise FrameError("malformed", f"{FrameType(ftype).name}: {exc}") from exc

    # -- intervals, vectorised over the batch --------------------------------------------

    def _start_intervals(self, work: _Work) -> _Chunk | None:
        """Decode and validate the batch's records, send the good ones to the store (which
        may still be inserting them when this returns) and queue the refused ones."""
        if not work.iv:
            return None
        (work.iv_frame, work.iv_dev, work.iv_counter, work.iv_register, work.iv_chunks,
         work.iv_counts, work.iv_raw, work.iv_tou) = (list(column)
                                                      for column in zip(*work.iv, strict=True))
        s = self.settings
        rec = np.frombuffer(b"".join(work.iv_chunks), dtype=RECORD_DTYPE)
        counts = np.array(work.iv_counts, dtype=np.int64)
        frame_of = np.repeat(np.arange(len(counts)), counts)
        devs = work.iv_dev
        meter_key = np.array([d.meter_key for d in devs], dtype=np.int64)[frame_of]
        max_e = np.array([d.max_energy_wh for d in devs], dtype=np.float64)[frame_of]
        lower = np.array([work.received_s - s.buffer_horizon_s if d.lower_bound_s is None
                          else d.lower_bound_s for d in devs], dtype=np.int64)[frame_of]
        start = rec["start_s"].astype(np.int64)
        energy = rec["energy_wh"].astype(np.float64)
        flags = rec["flags"].astype(np.int64)
        seq = rec["seq"].astype(np.int64)
        reason = check_records(meter_key, start, energy, max_e, lower,
                               work.received_s + s.future_tolerance_s)
        ok = reason == 0
        all_ok = bool(ok.all())
        work.iv_arrays = (meter_key, start, flags, seq, counts)
        work.iv_ok = ok
        temperature = rec["temperature"]
        has_temp = ok & (temperature != _NO_TEMPERATURE)
        if has_temp.any():  # the temperature variants: written after the intervals' put
            work.temperatures.append((meter_key[has_temp], start[has_temp],
                                      temperature[has_temp].astype(np.float64) / 100))
        if all_ok:
            pending = self.store.start_interval_rows(meter_key, start, energy,
                                                     quality_codes(flags), flags, "frame",
                                                     work.received_s)
        else:
            pending = self.store.start_interval_rows(meter_key[ok], start[ok], energy[ok],
                                                     quality_codes(flags[ok]), flags[ok],
                                                     "frame", work.received_s)
            # refused records: one rejection row per (frame, reason), written after the put
            for f, r in sorted(set(zip(frame_of[~ok].tolist(), reason[~ok].tolist(),
                                       strict=True))):
                sel = (frame_of == f) & (reason == r)
                dev = devs[f]
                name = REJECT_NAMES[r]
                seqs = seq[sel]
                self._reject(work, name, dev.device_id,
                             f"meter {dev.meter_id} seq {int(seqs.min())}..{int(seqs.max())}: "
                             f"{int(sel.sum())} record(s), first start "
                             f"{format_utc(int(start[sel][0]))} energy {energy[sel][0]:g} Wh "
                             f"(max {max_e[sel][0]:g} Wh)", work.iv_raw[f], int(sel.sum()))
        return _Chunk(pending, meter_key, start, energy, flags, ok)

    def _settle_intervals(self, work: _Work) -> None:
        """Sequence bookkeeping (every record is settled: stored, duplicate or refused for
        good), clock suspects and register checks; no store access (the put may be running)."""
        if not work.iv:
            return
        s = self.settings
        _meter_key, start, flags, seq, counts = work.iv_arrays
        devs = work.iv_dev
        work.seq_touched.update(d.eui for d in devs)
        bounds = np.concatenate(([0], np.cumsum(counts)))
        nonempty = counts > 0
        firsts = bounds[:-1][nonempty]
        newest = np.zeros(len(counts), dtype=np.int64)
        last_flags = np.zeros(len(counts), dtype=np.int64)
        if len(firsts):
            newest[nonempty] = np.maximum.reduceat(start, firsts)
            last_flags[nonempty] = flags[bounds[1:][nonempty] - 1]
        # the frame's register reading belongs to its newest record: it moves the register
        # watermark only if that record was accepted (a refused record changes nothing)
        register_ok = np.zeros(len(counts), dtype=bool)
        if len(firsts) and work.iv_ok is not None:
            accepted_start = np.where(work.iv_ok, start, np.iinfo(np.int64).min)
            register_ok[nonempty] = np.maximum.reduceat(accepted_start, firsts) == \
                newest[nonempty]
        suspect = nonempty & (((last_flags & _CLOCK_BAD) != 0) | (
            newest + INTERVAL_LENGTH_S > work.received_s + s.clock_error_s))
        # seqs: the MDTs whose records simply continue at once, the others frame by frame
        eui = np.array([d.eui for d in devs], dtype=np.uint64)  # EUI-64s reach 2**64 - 1
        settled = (settle_runs(self._seqs, eui, seq, counts)
                   if len(devs) >= COLUMN_PATH_MIN_FRAMES else np.zeros(len(devs), dtype=bool))
        horizon = s.seq_horizon_records
        for f in np.flatnonzero(~settled & nonempty).tolist():
            dev = devs[f]
            tracker = self._seqs.get(dev.eui)
            if tracker is None:
                tracker = self._seqs[dev.eui] = SeqTracker()
            a = int(bounds[f])
            self._lost(work, dev, tracker.settle(seq[a:a + int(counts[f])], horizon),
                       work.iv_raw[f])
        work.clock_suspect.update(eui[suspect].tolist())
        # register reads: the frame's newest record was accepted and the meter is known
        meter_key = np.array([d.meter_key for d in devs], dtype=np.int64)
        reads = np.flatnonzero(nonempty & register_ok & (meter_key >= 0))
        t_s = newest[reads] + INTERVAL_LENGTH_S
        register_wh = np.array(work.iv_register, dtype=np.int64)[reads]
        ok, refused = self._registers.check_many(meter_key[reads], t_s, register_wh)
        for j, (last_t, last_wh) in sorted(refused.items()):
            f = int(reads[j])
            dev = devs[f]
            self._reject(work, "register_decreased", dev.device_id,
                         f"meter {dev.meter_id}: register {int(register_wh[j])} Wh at "
                         f"{format_utc(int(t_s[j]))} against {last_wh} Wh at "
                         f"{format_utc(last_t)}", work.iv_raw[f])
        work.reg_keys.extend(meter_key[reads][ok].tolist())
        work.reg_t.extend(t_s[ok].tolist())
        work.reg_wh.extend(register_wh[ok].tolist())
        for f, key, t in zip(reads[ok].tolist(), meter_key[reads][ok].tolist(), t_s[ok].tolist(),
                             strict=True):
            tou = work.iv_tou[f]
            if tou:  # the TOU registers, read with the total
                work.tou_rows.extend((key, t, r, wh) for r, (wh,) in
                                     enumerate(_TOU_REGISTER.iter_unpack(tou)))
        stale = nonempty & ((last_flags & _TOU_STALE) != 0)
        for f in np.flatnonzero(stale).tolist():
            dev, top = devs[f], int(newest[f])
            if dev.tou:
                work.tou_stale[dev.eui] = max(top, work.tou_stale.get(dev.eui, top))

    def _finish_intervals(self, work: _Work, chunk: _Chunk | None) -> None:
        """Wait for a chunk's put; count it and keep what is new for the subscribers."""
        if chunk is None:
            return
        result = chunk.pending()
        self.stats.readings_stored += result.inserted
        self.stats.readings_duplicate += result.duplicates
        if result.conflicts:
            work.rejects["conflict"] = work.rejects.get("conflict", 0) + result.conflicts
        meter_key, start, energy, flags, ok = (chunk.meter_key, chunk.start_s, chunk.energy_wh,
                                               chunk.flags, chunk.ok)
        if self._subscribers and result.inserted:
            idx = np.flatnonzero(ok)
            if result.inserted_index is not None:
                idx = idx[result.inserted_index]
            keys = meter_key[idx]
            uniq, inv = np.unique(keys, return_inverse=True)
            ids = np.array([self.store.meter_id_of_key(int(k)) for k in uniq], dtype=object)
            sites = np.array([self.store.site_id_of_key(int(k)) for k in uniq], dtype=object)
            part = IntervalTable(ids[inv], start[idx], energy[idx],
                                 quality_names(quality_codes(flags[idx])), flags[idx],
                                 sites[inv])
            before = work.stored
            if before is None:
                work.stored = part
            else:
                assert before.site_id is not None
                assert part.site_id is not None
                work.stored = IntervalTable(
                    np.concatenate((before.meter_id, part.meter_id)),
                    np.concatenate((before.start_s, part.start_s)),
                    np.concatenate((before.energy_wh, part.energy_wh)),
                    np.concatenate((before.quality, part.quality)),
                    np.concatenate((before.flags, part.flags)),
                    np.concatenate((before.site_id, part.site_id)))

    def _store_registers(self, work: _Work) -> None:
        """Register reads (total and TOU) and interval temperatures (after the intervals)."""
        if work.reg_keys:
            self.store.put_register_rows(np.array(work.reg_keys, dtype=np.int64),
                                         np.array(work.reg_t, dtype=np.int64),
                                         np.array(work.reg_wh, dtype=np.float64), 0)
        if work.tou_rows:
            keys, t_s, index, wh = (np.array(c) for c in zip(*work.tou_rows, strict=True))
            self.store.put_tou_register_rows(keys.astype(np.int64), t_s.astype(np.int64),
                                             index.astype(np.int64), wh.astype(np.float64))
        if work.temperatures:
            keys, starts, temps = (np.concatenate(c) for c in zip(*work.temperatures,
                                                                   strict=True))
            self.store.put_temperature_rows(keys, starts, temps)

    def _lost(self, work: _Work, dev: KnownDevice, ranges: list[tuple[int, int, str]],
              raw: bytes | None) -> None:
        """Record missing seqs given up as ``records_lost`` (one rejection per range)."""
        for lo, hi, why in ranges:
            self._reject(work, "records_lost", dev.device_id,
                         f"meter {dev.meter_id} seq {lo}..{hi}: {hi - lo + 1} record(s) never "
                         f"received and no longer in the MDT's buffer ({why}); acked past them",
                         raw, hi - lo + 1)

    # -- joins, events, status ------------------------------------------------------------

    def _prepare_others(self, work: _Work) -> None:
        """Rows of joins, events and statuses (written by :meth:`_store_others`); a reported
        loss of buffered records settles those seqs."""
        now = work.received_s
        for _i, dev, counter, payload in work.others:
            if isinstance(payload, Event):
                try:
                    code = EventKind(payload.kind).code
                except ValueError:
                    code = f"unknown.{int(payload.kind)}"
                earliest = (now - self.settings.buffer_horizon_s if dev.lower_bound_s is None
                            else dev.lower_bound_s)
                if not earliest <= payload.t_s <= now + self.settings.future_tolerance_s:
                    # a time no clock of a joined device can give (t = 0 after a reset ...):
                    # refused, neither stored nor raised as an alarm dated 1970
                    self._reject(work, "time_out_of_range", dev.device_id,
                                 f"event {code} at {format_utc(int(payload.t_s))} is outside "
                                 f"{format_utc(int(earliest))}..{format_utc(int(now))} + "
                                 f"{self.settings.future_tolerance_s} s", None)
                    continue
                if payload.kind == EventKind.RECORDS_LOST and payload.value > 0:
                    tracker = self._seqs.get(dev.eui)
                    if tracker is None:
                        tracker = self._seqs[dev.eui] = SeqTracker()
                    self._lost(work, dev, tracker.lose(int(payload.value)), None)
                    work.seq_touched.add(dev.eui)
                if payload.kind == EventKind.DEVICE_RESTARTED:
                    self._tou.forget(dev.eui)
                work.events.append(EventRow(dev.device_id, dev.meter_id, code, payload.t_s,
                                            payload.value, now))
            elif isinstance(payload, Status):
                parent_id = f"{payload.parent:016x}" if payload.parent else None
                battery_mv = payload.battery_mv or None
                # hops 0: not on the radio mesh (a software MDT on IP): no link to describe
                on_radio = payload.hops > 0
                work.statuses.append(DeviceStatus(
                    dev.device_id, now, parent_id=parent_id,
                    rssi_dbm=payload.rssi_dbm if on_radio else None,
                    link_margin_db=payload.link_margin_db if on_radio else None, etx=payload.etx,
                    hops=payload.hops, battery_mv=battery_mv,
                    battery_remaining_mah=payload.battery_remaining_mah,
                    on_battery=payload.on_battery, tx_frames=payload.tx_frames,
                    retries=payload.retries, queue_frames=payload.queue_frames,
                    parent_changes=payload.parent_changes, drops=payload.drops,
                    uptime_s=payload.uptime_s, clock_offset_ms=payload.clock_offset_ms,
                    status_received_s=now))
                work.reports.append(StatusReport(
                    dev.device_id, counter, now, parent_id, payload.rssi_dbm,
                    payload.link_margin_db, payload.etx, payload.hops, battery_mv,
                    payload.battery_remaining_mah, payload.on_battery, payload.tx_frames,
                    payload.retries, payload.drops, payload.queue_frames,
                    payload.parent_changes, payload.uptime_s, payload.clock_offset_ms))
                before = self._uptime_s.get(dev.eui)
                if before is not None and payload.uptime_s < before:
                    self._tou.forget(dev.eui)  # it restarted: its schedule is gone
                self._uptime_s[dev.eui] = payload.uptime_s
            elif isinstance(payload, JoinRequest):
                self._tou.forget(dev.eui)
                work.statuses.append(DeviceStatus(dev.device_id, now, joined_s=now,
                                                  battery_mv=payload.battery_mv or None,
                                                  firmware=payload.firmware))
                if dev.lower_bound_s is None:
                    dev.lower_bound_s = now - self.settings.buffer_horizon_s
        reported = {s.device_id for s in work.statuses}
        work.heard_only = [d.device_id for d in work.heard.values()
                           if d.device_id not in reported]

    def _store_others(self, work: _Work) -> None:
        if work.events:
            self.store.put_events(work.events)
        if work.statuses:
            self.store.put_device_statuses(work.statuses)
        self.store.put_last_heard(work.heard_only, work.received_s)
        if work.reports:
            self.store.put_status_reports(work.reports)

    def _save_state(self, work: _Work) -> None:
        self.store.save_replay_windows({
            f"{eui:016x}": (self._windows[eui].highest, self._windows[eui].seen)
            for eui in work.windows})
        touched = work.seq_touched
        seqs = self._seqs  # a frame without records from a new sender starts no tracker
        self.store.save_seq_states({f"{eui:016x}": seqs[eui].state() for eui in touched
                                    if eui in seqs})
        if self._counter_claimed:  # shared store: exactly the next unused counter
            self.store.set_counter_reservation(self.dcap_id, self._counter.value)
            self._counter_dirty = False
        elif self._counter_dirty:  # the DCAP's counter reservation, in the same commit
            self.store.set_counter_reservation(self.dcap_id, self._counter.reserved_until)
            self._counter_dirty = False

    # -- downlinks ------------------------------------------------------------------------

    def _next_counter(self) -> int:
        """The DCAP's next frame counter; its reservation is persisted in the batch's commit
        (``_save_state``, after the downlinks are sealed)."""
        if self.shared_store and not self._counter_claimed:
            self._claim_counters()
        counter, persist = self._counter.next()
        if persist:
            self._counter_dirty = True
        return counter

    def _take_counters(self, n: int) -> int:
        """``n`` consecutive DCAP frame counters at once; returns the first (the reservation
        is persisted in the batch's commit when the block passes it, as ``_next_counter``)."""
        if self.shared_store and not self._counter_claimed:
            self._claim_counters()
        first, persist = self._counter.take(n)
        if persist:
            self._counter_dirty = True
        return first

    def _seal(self, dst: int, payload: Payload, key: bytes, key_id: KeyId) -> bytes:
        """A downlink frame from the DCAP (bytes as ``Frame.to_bytes`` makes them)."""
        return seal_packed(key, FrameType(payload.frame_type), self.dcap_eui, dst,
                           self._next_counter(), payload.pack(), key_id)

    def _answer_intervals(self, work: _Work) -> None:
        """ACKs of the INTERVALS frames of the chunk, sealed together (``CcmBatch``) with a
        block of DCAP counters; an ACK that names gaps (a longer body) is sealed on its own."""
        if not work.iv:
            return
        s = self.settings
        seqs, replies = self._seqs, work.replies
        n = len(work.iv_frame)
        first = self._take_counters(n)
        euis = [d.eui for d in work.iv_dev]
        trackers = list(map(seqs.get, euis))  # None: a frame without records, new sender
        acked = np.fromiter((-1 if t is None else t.acked for t in trackers), dtype=np.int64,
                            count=n)
        acked = np.where(acked < 0, NO_SEQ, acked)  # SeqTracker.acked_seq on the column
        gapped = [(k, Ack(work.iv_counter[k], int(acked[k]),
                          t.gaps(s.max_gap_ranges)).pack())  # (row, ACK body with gaps)
                  for k, t in enumerate(trackers) if t is not None and t.above]
        counters = np.arange(first, first + n, dtype=np.int64)
        body = np.zeros(n, dtype=ACK_HEAD_DTYPE)  # no gaps
        body["acked_counter"], body["acked_seq"] = work.iv_counter, acked
        sealed = seal_packed_many(self._network_batch, FrameType.ACK, self.dcap_eui,
                                  np.array(euis, dtype=np.uint64), counters,
                                  body.view(np.uint8).reshape(n, -1)).tobytes()
        width = len(sealed) // n
        acks = [sealed[a:a + width] for a in range(0, len(sealed), width)]
        for k, gap_body in gapped:  # a longer body: sealed on its own, same header and counter
            acks[k] = seal_packed(self.network_key, FrameType.ACK, self.dcap_eui, euis[k],
                                  first + k, gap_body)
        for i, ack in zip(work.iv_frame, acks, strict=True):
            replies[i].append(ack)

    def _answer_others(self, work: _Work) -> None:
        """Answers to joins, events and statuses; TIME_SYNCs (after each device's ACK)."""
        s = self.settings
        now = work.received_s
        for i, dev, counter, payload in work.others:
            if isinstance(payload, JoinRequest):
                assert dev.install_key is not None
                resp = JoinResponse(True, self.network_key, 0, s.report_period_s, now)
                work.replies[i].append(self._seal(dev.eui, resp, dev.install_key,
                                                  KeyId.INSTALL_CODE))
                self._last_sync_s[dev.eui] = now
                continue
            known = self._seqs.get(dev.eui)
            acked = known.acked_seq() if known is not None else NO_SEQ
            work.replies[i].append(self._seal(dev.eui, Ack(counter, acked), self.network_key,
                                              KeyId.NETWORK))
        # time sync: at most one per device per batch, after its ACK
        for eui in work.heard:
            last = self._last_sync_s.get(eui)
            due = last is None or now - last >= s.time_sync_period_s
            suspect = eui in work.clock_suspect and (last is None or now - last
                                                     >= INTERVAL_LENGTH_S)
            if not (due or suspect):
                continue
            last_i = work.last_frame.get(eui)
            if last_i is None:
                continue
            work.replies[last_i].append(self._seal(eui, TimeSync(now * 1000), self.network_key,
                                              KeyId.NETWORK))
            self._last_sync_s[eui] = now
        self._answer_tou(work)

    def _answer_tou(self, work: _Work) -> None:
        """A TOU_SCHEDULE for each TOU MDT heard that needs one (:class:`TouSender`), after
        its ACK (and TIME_SYNC)."""
        self._tou.begin_batch()
        now = work.received_s
        for eui, dev in work.heard.items():
            last_i = work.last_frame.get(eui)
            if not dev.tou or last_i is None:
                continue
            try:
                payload = self._tou.due(eui, dev.site_id, now,
                                        stale_since_s=work.tou_stale.get(eui),
                                        lookup=self._site_tou)
            except InputError as exc:  # a stored configuration this code refuses: say so
                log.warning("TOU schedule of site %s not sent: %s", dev.site_id, exc)
                continue
            if payload is not None:
                work.replies[last_i].append(self._seal(eui, payload, self.network_key,
                                                       KeyId.NETWORK))

    def _site_tou(self, site_id: str) -> tuple[str, str] | None:
        """``(config_json, timezone)`` of a site's TOU configuration (None: none)."""
        tou = self.store.get_site_tou(site_id)
        if tou is None:
            return None
        site = self.store.get_site(site_id)
        return tou.config_json, site.timezone if site is not None else "UTC"

    def _notify(self, work: _Work) -> None:
        if not self._subscribers:
            return
        intervals = work.stored if work.stored is not None else IntervalTable.empty()
        if not len(intervals) and not work.events and not work.statuses:
            return
        batch = StoredBatch(intervals, tuple(work.events), tuple(work.statuses),
                            work.received_s, dict(work.rejects))
        for callback in list(self._subscribers):
            try:
                callback(batch)
            except Exception:
                log.exception("ingest subscriber %r failed", callback)
