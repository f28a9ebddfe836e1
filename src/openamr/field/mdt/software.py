"""A software MDT: the MDT core (:class:`~openamr.field.mdt.device.Mdt`) as a real device that
speaks frames to a head-end, with its flash in a state directory.

What the core does is unchanged (debounce, 15-minute intervals, the 35-day buffer, events, the
power state table); this adds what a device around it needs, sans-IO like the core:

* **identity and security**: its EUI-64 and install code (from the label or ``device add``), a
  join sealed under the install-code key, then frames under the network key the head-end sends
  back, with frame counters reserved in flash (:class:`openamr.field.mesh.security.
  DeviceSecurity`, the simulated devices' implementation);
* **what to send** (:meth:`SoftwareMdt.uplinks`): its pending events, the records the head-end
  asked for again (``Ack.gaps``), then every record not acknowledged, oldest first, at most
  :data:`~openamr.frames.MAX_RECORDS_PER_FRAME` per ``INTERVALS`` frame; and a ``STATUS`` after
  joining;
* **what comes back** (:meth:`SoftwareMdt.downlink`): the join response, ACKs (records and
  events acknowledged), time syncs;
* **flash** (:meth:`SoftwareMdt.save`): the core's state (total, buffer, events, the interval in
  progress), the clock, the counter reservation and the downlink replay windows, and the time of
  the last pulse taken, written atomically (temporary file, ``fsync``, rename): a restart or a
  power cut loses nothing and counts no pulse twice (pulses at or before that time are skipped).

Time is UTC epoch seconds throughout (the core's ``sim_t_s`` is the UTC time of the event).
"""

from __future__ import annotations

import base64
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from openamr import frames
from openamr.errors import FrameError, InputError
from openamr.field.mdt.clock import MdtClock
from openamr.field.mdt.device import Mdt
from openamr.field.mdt.power_states import MdtEvent
from openamr.field.mdt.uplink import apply_ack, event_payload, intervals_payload
from openamr.field.mesh.security import DeviceSecurity
from openamr.frames import DeviceRole, FrameType, KeyId

__all__ = ["STATE_FILE", "SoftwareMdt"]

STATE_FILE = "mdt-state.json"
"""The file of the state directory that holds the MDT's flash."""
_STATE_VERSION = 1
_HEADEND = 0
"""Destination address of uplinks: the head-end (its listener does not read it)."""
_SYNCED_FOR_S = 10 * 365 * 86_400.0
"""The host's clock stands in for the MDT's RTC: it counts as synchronised (see docs)."""


def _encode(value: Any) -> Any:
    """JSON-safe form of the core's state (numpy arrays tagged with their dtype)."""
    if isinstance(value, np.ndarray):
        return {"__ndarray__": base64.b64encode(np.ascontiguousarray(value).tobytes()).decode(),
                "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise InputError(f"cannot keep {type(value).__name__} in the MDT's state", where="state")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "__ndarray__" in value:
            raw = base64.b64decode(value["__ndarray__"])
            return np.frombuffer(raw, dtype=np.dtype(value["dtype"])).reshape(
                value["shape"]).copy()
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class SoftwareMdt:
    """One MDT on a real meter: feed it pulses, send what :meth:`uplinks` gives, hand it what
    comes back (:meth:`downlink`), :meth:`save` before sending.

    ``follow_headend_clock``: apply the head-end's time syncs (pulses timed by the host's clock
    now); False when pulses come with their own past times (a file).
    """

    def __init__(self, state_dir: Path, *, meter_id: str, eui: int, install_code: bytes,
                 model: str = "MMSMT-C02", follow_headend_clock: bool = True) -> None:
        self.state_dir = state_dir
        self.meter_id = meter_id
        self.eui = eui
        self.follow_headend_clock = follow_headend_clock
        self.security = DeviceSecurity(eui, install_code)
        self.clock = MdtClock(0.0, sync_valid_s=_SYNCED_FOR_S)
        self.mdt = Mdt(model, device_id=meter_id, clock=self.clock)
        self.last_pulse_s: float | None = None
        """UTC time of the last pulse taken [epoch s]: later runs skip pulses up to it."""
        self.report_period_s = 3600
        self.joined = False
        self._gaps: list[tuple[int, int]] = []
        self._event_frames: dict[int, int] = {}
        """Counter of an EVENT frame sent -> the event's seq (its ACK acknowledges it)."""
        self._status_due = False
        self.frames_sent = 0
        self.restored = self._load()

    # -- flash -------------------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        return self.state_dir / STATE_FILE

    def _load(self) -> bool:
        """Restore the flash if the state directory holds it; False for a new MDT."""
        path = self.state_path
        if not path.exists():
            return False
        try:
            saved = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"unreadable MDT state: {exc}", where=str(path)) from exc
        if saved.get("version") != _STATE_VERSION:
            raise InputError(f"MDT state version {saved.get('version')!r} is not "
                             f"{_STATE_VERSION}", where=str(path))
        if saved["eui"] != f"{self.eui:016x}" or saved["meter_id"] != self.meter_id:
            raise InputError(f"this state belongs to MDT {saved['meter_id']} (EUI-64 "
                             f"{saved['eui']}), not {self.meter_id} ({self.eui:016x}): use "
                             "another --state", where=str(path))
        self.clock = MdtClock.from_state(saved["clock"])
        self.mdt = Mdt.from_state(_decode(saved["mdt"]), clock=self.clock)
        self.last_pulse_s = saved["last_pulse_s"]
        self.security.flash_reserved_until = int(saved["reserved_until"])
        self.security.reset()  # the counter continues after the reservation
        self.security.restore_replay_state({int(src, 16): (int(h), int(seen)) for src, (h, seen)
                                            in saved["windows"].items()})
        return True

    def save(self) -> None:
        """Write the flash atomically (temporary file, fsync, rename, fsync of the directory)."""
        state = {
            "version": _STATE_VERSION, "eui": f"{self.eui:016x}", "meter_id": self.meter_id,
            "mdt": _encode(self.mdt.to_state()), "clock": self.clock.to_state(),
            "last_pulse_s": self.last_pulse_s,
            "reserved_until": self.security.flash_reserved_until,
            "windows": {f"{src:016x}": [highest, seen] for src, (highest, seen)
                        in self.security.replay_state().items()},
        }
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.state_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(state, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.state_path)
        fd = os.open(self.state_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- the meter side ------------------------------------------------------------------------

    def boot(self, t_s: float) -> None:
        """Power-up at ``t_s`` [UTC epoch s]: a restored MDT queues ``device.restarted`` and, if
        it was on, starts again; a new one waits for its first pulse (manual §5.2)."""
        if self.clock.last_sync_sim_t_s is None:
            self.clock.sync(t_s, t_s)  # the host's clock (see _SYNCED_FOR_S)
        if self.restored:
            self.mdt.boot(t_s)

    def pulse(self, t_s: float) -> bool:
        """A closure of the pulse input at ``t_s`` [UTC epoch s]; False (skipped) if at or
        before the last pulse taken (a restart reading its file again)."""
        if not math.isfinite(t_s):
            raise InputError(f"pulse time {t_s} is not finite", where="pulse")
        if self.last_pulse_s is not None and t_s <= self.last_pulse_s:
            return False
        if self.clock.last_sync_sim_t_s is None:
            self.clock.sync(t_s, t_s)
        self.mdt.fire_due_timers(t_s)
        self.mdt.on_pulse(t_s)
        self.last_pulse_s = t_s
        return True

    def advance(self, t_s: float) -> int:
        """Time passes to ``t_s``: close the intervals that ended; returns how many."""
        self.mdt.fire_due_timers(t_s)
        return self.mdt.tick(t_s)

    # -- the radio side ------------------------------------------------------------------------

    @property
    def pending_records(self) -> int:
        """Closed records not acknowledged yet."""
        return len(self.mdt.unacknowledged())

    @property
    def pending_events(self) -> int:
        return len(self.mdt.pending_events())

    @property
    def acked_seq(self) -> int:
        """Every record up to this seq is acknowledged (-1: none)."""
        return int(self.mdt.buffer.acked_seq[0])

    def join_request(self) -> bytes:
        """The sealed ``JOIN_REQUEST`` (install-code key)."""
        if not self.mdt.is_on:
            self.mdt.on_event(MdtEvent.BUTTON_HOLD, self.clock.last_sync_sim_t_s or 0.0)
        data, _ = self.security.seal(
            _HEADEND, frames.JoinRequest(DeviceRole.MDT, "openamr-mdt", 1, 0), KeyId.INSTALL_CODE)
        self.frames_sent += 1
        return data

    def uplinks(self) -> list[bytes]:
        """The frames to send now (empty when nothing is pending or not joined).  Call
        :meth:`save` after this and before sending them (the counters they used are then in
        flash)."""
        if not self.joined:
            return []
        out: list[bytes] = []
        if self._status_due:
            status = frames.Status(parent=_HEADEND, rssi_dbm=0, etx=1.0, hops=0,
                                   tx_frames=self.frames_sent)
            out.append(self.security.seal(_HEADEND, status)[0])
            self._status_due = False
        for record in self.mdt.pending_events():
            data, counter = self.security.seal(_HEADEND, event_payload(record))
            self._event_frames[counter] = record.seq
            out.append(data)
        for lo, hi in self._ranges():
            payload = intervals_payload(self.mdt, self.mdt.records_in(lo, hi))
            out.append(self.security.seal(_HEADEND, payload)[0])
        self._gaps.clear()
        self.frames_sent += len(out)
        return out

    def _ranges(self) -> Iterable[tuple[int, int]]:
        """Inclusive seq ranges of at most MAX_RECORDS_PER_FRAME: the gaps asked for, then every
        unacknowledged record (what a gap request names comes first)."""
        per = frames.MAX_RECORDS_PER_FRAME
        first, last = self.acked_seq + 1, int(self.mdt.buffer.next_seq[0]) - 1
        first = max(first, self.mdt.buffer.oldest_seq(0))
        spans = [(max(a, first), min(b, last)) for a, b in self._gaps]
        spans.append((first, last))
        sent: set[int] = set()
        for a, b in spans:
            for lo in range(a, b + 1, per):
                if lo not in sent:
                    sent.add(lo)
                    yield lo, min(lo + per - 1, b)

    def downlink(self, data: bytes, t_s: float) -> str | None:
        """A frame from the head-end; returns its kind (``join``, ``ack``, ``time_sync`` ...)
        or None when it was refused (not for us, bad MIC, replay)."""
        try:
            if frames.peek_header(data).dst != self.eui:
                return None
        except FrameError:
            return None
        frame = self.security.open(data)
        if frame is None:
            return None
        payload = frame.payload
        if isinstance(payload, frames.JoinResponse):
            if not payload.accepted:
                return "join_refused"
            self.security.network_key = bytes(payload.network_key)
            self.report_period_s = int(payload.report_period_s) or self.report_period_s
            self.joined = True
            self._status_due = True
            if self.follow_headend_clock and payload.utc_s:
                self.mdt.on_time_sync(t_s, float(payload.utc_s))
            self.mdt.on_event(MdtEvent.BEACON_HEARD, t_s)
            self.mdt.on_event(MdtEvent.JOIN_OK, t_s)
            return "join"
        if isinstance(payload, frames.Ack):
            event_seq = self._event_frames.pop(payload.acked_counter, None)
            if event_seq is not None:
                self.mdt.acknowledge_events(event_seq)
            if payload.acked_seq != frames.NO_SEQ and \
                    payload.acked_seq >= int(self.mdt.buffer.next_seq[0]):
                return None  # acknowledges records this MDT never made: ignored
            gaps = apply_ack(self.mdt, payload)
            self._gaps = [(int(g.seq[0]), int(g.seq[-1])) for g in gaps if len(g)]
            return "ack"
        if isinstance(payload, frames.TimeSync):
            if self.follow_headend_clock:
                self.mdt.on_time_sync(t_s, payload.utc_ms / 1000.0)
            return "time_sync"
        return FrameType(frame.payload.frame_type).name.lower()
