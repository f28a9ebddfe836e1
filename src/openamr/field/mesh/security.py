"""A device's side of frame security, on top of :mod:`openamr.frames`.

Each device (repeater or MDT) holds its install-code key from birth and receives the network
key in the join response, encrypted under the install-code key (the head-end is the trust
centre).  Its outgoing :class:`~openamr.frames.FrameCounter` survives resets: whenever the
counter asks to persist, the reservation is written to the device's ``flash_reserved_until``;
after a reset the counter resumes above it, so a nonce is never reused.  Downlinks are verified
with the right key and a :class:`~openamr.frames.ReplayWindow` per sender.
"""

from __future__ import annotations

from openamr.errors import FrameError
from openamr.frames import (
    FLAG_ENCRYPTED,
    FRAME_VERSION,
    Ack,
    Frame,
    FrameCounter,
    FrameType,
    KeyId,
    Payload,
    ReplayWindow,
    install_code_key,
    open_packed,
    seal_packed,
    unpack_ack,
)

_ACK_PREFIX = bytes((FRAME_VERSION, FrameType.ACK, FLAG_ENCRYPTED, KeyId.NETWORK))

AckFields = tuple[int, int, tuple[tuple[int, int], ...]]
"""An ACK's ``(acked_counter, acked_seq, gaps)``."""

__all__ = ["AckFields", "DeviceSecurity"]


class DeviceSecurity:
    """Keys, the persisted frame counter and downlink replay windows of one device."""

    __slots__ = (
        "_windows",
        "counter",
        "eui",
        "flash_reserved_until",
        "install_key",
        "network_key",
        "rejected",
        "resets",
    )

    def __init__(self, eui: int, install_code: bytes | str) -> None:
        self.eui = eui
        self.install_key = install_code_key(install_code)
        self.network_key: bytes | None = None
        self.counter = FrameCounter()
        self.flash_reserved_until = 0
        """The counter reservation persisted in the device's flash."""
        self._windows: dict[int, ReplayWindow] = {}
        self.rejected: dict[str, int] = {}
        """Downlinks this device refused, by reason."""
        self.resets = 0

    def seal(self, dst: int, payload: Payload, key_id: KeyId = KeyId.NETWORK) -> tuple[bytes, int]:
        """The bytes of a frame from this device and the counter it used."""
        counter, persist = self.counter.next()
        if persist:
            self.flash_reserved_until = self.counter.reserved_until
        key = self.install_key if key_id == KeyId.INSTALL_CODE else self.network_key
        if key is None:
            raise RuntimeError(f"device {self.eui:016x} has no network key yet")
        return Frame(self.eui, dst, counter, payload, key_id).to_bytes(key), counter

    def seal_packed(self, dst: int, frame_type: FrameType, payload: bytes) -> tuple[bytes, int]:
        """Like :meth:`seal` for a payload already packed (encrypted, network key): the report
        path packs its interval records once and skips the payload objects.  The bytes are
        those of ``Frame(...).to_bytes`` (``test_mesh_security.py`` checks it)."""
        counter, persist = self.counter.next()
        if persist:
            self.flash_reserved_until = self.counter.reserved_until
        key = self.network_key
        if key is None:
            raise RuntimeError(f"device {self.eui:016x} has no network key yet")
        return seal_packed(key, frame_type, self.eui, dst, counter, payload), counter

    def reset(self) -> None:
        """A power cycle: RAM is lost, the flash reservation is kept."""
        self.counter = FrameCounter.after_reset(self.flash_reserved_until)
        self.resets += 1

    def open(self, data: bytes) -> Frame | None:
        """Verify a downlink meant for this device; None (and counted) if it is refused."""
        try:
            frame = Frame.from_bytes(data, self._key)
        except FrameError as exc:
            self.rejected[exc.reason] = self.rejected.get(exc.reason, 0) + 1
            return None
        window = self._windows.get(frame.src)
        if window is None:
            window = self._windows[frame.src] = ReplayWindow()
        reason = window.check(frame.counter)
        if reason is not None:
            self.rejected[reason] = self.rejected.get(reason, 0) + 1
            return None
        window.accept(frame.counter)
        return frame

    def open_ack(self, data: bytes) -> AckFields | None:
        """:meth:`open` for the commonest downlink, an :class:`Ack` under the network key:
        the same checks (MIC through ``openamr.frames``, payload length, replay window)
        without a :class:`Frame` or an :class:`Ack`: returns ``(acked_counter, acked_seq,
        gaps)``.  Any other frame goes through :meth:`open`."""
        key = self.network_key
        if data[:4] != _ACK_PREFIX or key is None:
            frame = self.open(data)
            if frame is None or not isinstance(frame.payload, Ack):
                return None
            ack = frame.payload
            return ack.acked_counter, ack.acked_seq, ack.gaps
        try:
            _, src, _, counter, _, plain = open_packed(data, key)
            fields = unpack_ack(plain)
        except FrameError as exc:
            self.rejected[exc.reason] = self.rejected.get(exc.reason, 0) + 1
            return None
        window = self._windows.get(src)
        if window is None:
            window = self._windows[src] = ReplayWindow()
        reason = window.check(counter)
        if reason is not None:
            self.rejected[reason] = self.rejected.get(reason, 0) + 1
            return None
        window.accept(counter)
        return fields

    def _key(self, src: int, key_id: KeyId) -> bytes | None:
        return self.install_key if key_id == KeyId.INSTALL_CODE else self.network_key

    def replay_state(self) -> dict[int, tuple[int, int]]:
        """``src -> (highest, seen)`` of the downlink replay windows (for a device's flash)."""
        return {src: (w.highest, w.seen) for src, w in self._windows.items()}

    def restore_replay_state(self, state: dict[int, tuple[int, int]]) -> None:
        """Inverse of :meth:`replay_state` (after a restart)."""
        self._windows = {src: ReplayWindow(highest, seen) for src, (highest, seen) in
                         state.items()}
