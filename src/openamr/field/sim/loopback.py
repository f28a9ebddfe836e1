"""A minimal verifying head-end in memory: the trust centre's behaviour for tests and benches.

The real one is ``openamr.headend.ingest`` (the field never imports it; only the CLI wires it
in).  This stand-in does what the mesh needs from a backhaul and nothing more: it verifies
every frame (key lookup, MIC, replay window), answers join requests with the network key
sealed under the device's install-code key, stores interval records by ``seq`` and answers each
uplink with an :class:`~openamr.frames.Ack` carrying the highest contiguous ``seq`` and the
missing ranges.  Rejected frames are counted by reason and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openamr.errors import FrameError
from openamr.frames import (
    FLAG_ENCRYPTED,
    FRAME_VERSION,
    HEADER_LENGTH,
    HEADER_STRUCT,
    INTERVALS_HEAD_STRUCT,
    MIC_LENGTH,
    NO_SEQ,
    RECORD_STRUCT,
    TOU_REGISTER_STRUCT,
    Ack,
    DeviceRole,
    Event,
    Frame,
    FrameCounter,
    FrameType,
    Intervals,
    JoinRequest,
    JoinResponse,
    KeyId,
    ReplayWindow,
    install_code_key,
    open_packed,
    pack_ack,
    seal_packed,
)

__all__ = ["LoopbackHeadEnd"]

HEADEND_EUI = 0x0000_0000_0000_0001
"""Source address of the stand-in's downlinks."""

_INTERVALS_PREFIX = bytes((FRAME_VERSION, FrameType.INTERVALS, FLAG_ENCRYPTED, KeyId.NETWORK))
"""An interval report's first header bytes: version, type, encrypted, network key."""
_INTERVALS_HEAD = INTERVALS_HEAD_STRUCT.unpack_from
_RECORD_ITER = RECORD_STRUCT.iter_unpack


@dataclass
class _Device:
    install_key: bytes
    window: ReplayWindow = field(default_factory=ReplayWindow)
    records: dict[int, tuple[int, int]] = field(default_factory=dict)
    """seq -> (start_s, energy_wh)."""
    contiguous_end: int = 0
    above: set[int] = field(default_factory=set)
    register_wh: int = 0
    joined: bool = False


class LoopbackHeadEnd:
    """``backhaul(frames, sim_t_s) -> downlinks`` verifying and storing in memory."""

    def __init__(self, network_key: bytes, install_codes: dict[int, bytes | str], *,
                 report_period_s: int = 3600, epoch_s: int = 0, max_gaps: int = 16) -> None:
        self.network_key = network_key
        self.devices = {eui: _Device(install_code_key(code))
                        for eui, code in install_codes.items()}
        self.report_period_s = report_period_s
        self.epoch_s = epoch_s
        self.max_gaps = max_gaps
        self.counter = FrameCounter()
        self.rejected: dict[str, int] = {}
        self.events: list[tuple[int, Event]] = []
        self.frames_accepted = 0

    def _key(self, src: int, key_id: KeyId) -> bytes | None:
        dev = self.devices.get(src)
        if dev is None:
            return None
        return dev.install_key if key_id == KeyId.INSTALL_CODE else self.network_key

    def _reject(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def __call__(self, frames: list[bytes], sim_t_s: float) -> list[bytes]:
        out: list[bytes] = []
        for data in frames:
            reply = self.handle(data, sim_t_s)
            if reply is not None:
                out.append(reply)
        return out

    def handle(self, data: bytes, sim_t_s: float) -> bytes | None:
        """Verify one frame and return the downlink answering it (None if rejected)."""
        if data[:4] == _INTERVALS_PREFIX and len(data) >= HEADER_LENGTH + MIC_LENGTH:
            return self._handle_intervals(data)
        try:
            frame = Frame.from_bytes(data, self._key)
        except FrameError as exc:
            self._reject(exc.reason)
            return None
        dev = self.devices[frame.src]
        reason = dev.window.check(frame.counter)
        if reason is not None:
            self._reject(reason)
            return None
        dev.window.accept(frame.counter)
        self.frames_accepted += 1
        payload = frame.payload
        if isinstance(payload, JoinRequest):
            dev.joined = True
            period = self.report_period_s if payload.role == DeviceRole.MDT else 0
            resp = JoinResponse(True, self.network_key, 0, period,
                                int(self.epoch_s + sim_t_s))
            return self._seal(frame.src, resp, dev.install_key, KeyId.INSTALL_CODE)
        if isinstance(payload, Intervals):
            records = dev.records
            for r in payload.records:
                seq = r[0]
                if seq not in records:
                    records[seq] = (r[1], r[2])
                    if seq >= dev.contiguous_end:
                        dev.above.add(seq)
            while dev.contiguous_end in dev.above:
                dev.above.discard(dev.contiguous_end)
                dev.contiguous_end += 1
            dev.register_wh = max(dev.register_wh, payload.register_wh)
            return self._seal_ack(frame.src, frame.counter, self._acked(dev), self._gaps(dev))
        if isinstance(payload, Event):
            self.events.append((frame.src, payload))
        return self._seal_ack(frame.src, frame.counter, self._acked(dev))

    def _handle_intervals(self, data: bytes) -> bytes | None:
        """The bulk of the traffic, verified without payload objects: the same checks as
        ``Frame.from_bytes`` (key lookup, AES-CCM MIC through ``openamr.frames``, payload
        length) and the replay window, then the records straight from the plaintext."""
        src = HEADER_STRUCT.unpack_from(data)[4]
        dev = self.devices.get(src)
        if dev is None:
            self._reject("unknown_device")
            return None
        try:
            _, _, _, counter, _, plain = open_packed(data, self.network_key)
        except FrameError as exc:
            self._reject(exc.reason)
            return None
        register_wh, n_tou, n_records = _INTERVALS_HEAD(plain)
        offset = INTERVALS_HEAD_STRUCT.size + TOU_REGISTER_STRUCT.size * n_tou
        if len(plain) != offset + RECORD_STRUCT.size * n_records:
            self._reject("malformed")
            return None
        reason = dev.window.check(counter)
        if reason is not None:
            self._reject(reason)
            return None
        dev.window.accept(counter)
        self.frames_accepted += 1
        records = dev.records
        end = dev.contiguous_end
        above = dev.above
        for seq, start_s, energy_wh, _, _ in _RECORD_ITER(memoryview(plain)[offset:]):
            if seq not in records:
                records[seq] = (start_s, energy_wh)
                if seq == end:
                    end += 1  # the usual case: the next record in order
                elif seq > end:
                    above.add(seq)
        while above and end in above:
            above.discard(end)
            end += 1
        dev.contiguous_end = end
        if register_wh > dev.register_wh:
            dev.register_wh = register_wh
        return self._seal_ack(src, counter, self._acked(dev), self._gaps(dev))

    @staticmethod
    def _acked(dev: _Device) -> int:
        return dev.contiguous_end - 1 if dev.contiguous_end > 0 else NO_SEQ

    def _gaps(self, dev: _Device) -> tuple[tuple[int, int], ...]:
        if not dev.above:
            return ()
        gaps: list[tuple[int, int]] = []
        prev = dev.contiguous_end - 1
        for s in sorted(dev.above):
            if s > prev + 1:
                gaps.append((prev + 1, s - 1))
                if len(gaps) >= self.max_gaps:
                    break
            prev = s
        return tuple(gaps)

    def _seal(self, dst: int, payload: JoinResponse | Ack, key: bytes, key_id: KeyId) -> bytes:
        counter, _ = self.counter.next()
        return Frame(HEADEND_EUI, dst, counter, payload, key_id).to_bytes(key)

    def _seal_ack(self, dst: int, acked_counter: int, acked_seq: int,
                  gaps: tuple[tuple[int, int], ...] = ()) -> bytes:
        """An :class:`Ack` under the network key, packed directly (the bytes of
        ``Frame(...).to_bytes``; ``test_sim_loopback.py`` checks it)."""
        counter, _ = self.counter.next()
        return seal_packed(self.network_key, FrameType.ACK, HEADEND_EUI, dst, counter,
                           pack_ack(acked_counter, acked_seq, gaps))

    def report(self) -> dict[str, object]:
        """Counters for a summary (used through a pipelined worker)."""
        return {"rejected": dict(self.rejected), "frames_accepted": self.frames_accepted,
                "records": {eui: dict(d.records) for eui, d in self.devices.items()}}

    def stored_energy_wh(self, eui: int) -> int:
        """Sum of the stored records of a device [Wh]."""
        return sum(e for _, e in self.devices[eui].records.values())

    def stored_count(self, eui: int) -> int:
        """Records stored for a device."""
        return len(self.devices[eui].records)
