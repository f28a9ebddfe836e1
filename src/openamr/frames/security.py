"""Frame security: AES-128-CCM sealing, install-code keys, frame counters and replay windows.

Sans-IO: nothing here touches a clock, a socket or a file.  Persisting counters is the caller's
job (``FrameCounter.state`` / ``ReplayWindow.state`` are plain values to store).

* **Sealing.**  Every frame is protected with AES-128-CCM and an 8-byte MIC.  The nonce is 13
  bytes: the sender's EUI-64 (8), its frame counter (4) and the security level (1), so a nonce is
  never reused while counters only grow.  The clear header is authenticated as associated data.
  Frames that carry no secret (beacons) are authenticated but not encrypted.
* **Keys.**  One network key per DCAP network.  Each device also has an *install code* printed on
  its label; ``install_code_key`` derives from it (HKDF-SHA256) the key under which the join
  request and the join response travel, so the network key is delivered encrypted to that
  device alone.
* **Counters.**  A sender's counter must survive resets: ``FrameCounter`` tells the device when
  to persist, and after a reset it resumes past everything it may have used.  A receiver keeps a
  ``ReplayWindow`` per sender: a 64-frame sliding window accepts frames that arrive out of order
  over different paths, and rejects every counter it has already seen or that fell behind.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from openamr.errors import FrameError

__all__ = [
    "KEY_LENGTH",
    "LEVEL_ENC_MIC",
    "LEVEL_MIC",
    "MIC_LENGTH",
    "NONCE_STRUCT",
    "FrameCounter",
    "ReplayWindow",
    "install_code_key",
    "open_payload",
    "seal_payload",
]

KEY_LENGTH = 16
"""AES-128 key length [bytes]."""

MIC_LENGTH = 8
"""Message integrity code (CCM tag) length [bytes]."""

LEVEL_MIC = 0x06
"""Security level byte in the nonce: authentication only (MIC-64), payload in the clear."""

LEVEL_ENC_MIC = 0x07
"""Security level byte in the nonce: encryption and MIC-64 (802.15.4's ENC-MIC-64)."""

REPLAY_WINDOW_FRAMES = 64
"""Width of the receiver's sliding replay window [frames]."""


@lru_cache(maxsize=4096)
def _cipher(key: bytes) -> AESCCM:
    if len(key) != KEY_LENGTH:
        raise ValueError(f"AES-128 keys are {KEY_LENGTH} bytes, got {len(key)}")
    return AESCCM(key, tag_length=MIC_LENGTH)


NONCE_STRUCT = struct.Struct("!QIB")
"""The 13-byte CCM nonce: sender EUI-64, frame counter, security level."""
_nonce = NONCE_STRUCT.pack


def seal_payload(key: bytes, header: bytes, payload: bytes, *, src: int, counter: int,
                 encrypt: bool = True) -> bytes:
    """Protect ``payload`` behind ``header``; returns ``header + body + MIC``.

    With ``encrypt`` the payload is encrypted; without it the payload stays readable and is
    authenticated together with the header.
    """
    if encrypt:
        return header + _cipher(key).encrypt(_nonce(src, counter, LEVEL_ENC_MIC), payload, header)
    mic = _cipher(key).encrypt(_nonce(src, counter, LEVEL_MIC), b"", header + payload)
    return header + payload + mic


def open_payload(key: bytes, header: bytes, body: bytes, *, src: int, counter: int,
                 encrypted: bool = True) -> bytes:
    """Verify (and decrypt) ``body`` (payload + MIC); raises ``FrameError('bad_mic')``."""
    if len(body) < MIC_LENGTH:
        raise FrameError("malformed", "frame shorter than its MIC")
    try:
        if encrypted:
            return _cipher(key).decrypt(_nonce(src, counter, LEVEL_ENC_MIC), body, header)
        payload, mic = body[:-MIC_LENGTH], body[-MIC_LENGTH:]
        _cipher(key).decrypt(_nonce(src, counter, LEVEL_MIC), mic, header + payload)
        return payload
    except InvalidTag as exc:
        raise FrameError("bad_mic", f"MIC check failed for sender {src:016x}") from exc


def install_code_key(install_code: bytes | str) -> bytes:
    """The 16-byte key derived from a device's install code (bytes, or hex as on the label)."""
    code = bytes.fromhex(install_code.replace("-", "")) if isinstance(install_code, str) \
        else install_code
    if len(code) < 8:
        raise ValueError("an install code has at least 8 bytes")
    return HKDF(algorithm=hashes.SHA256(), length=KEY_LENGTH, salt=None,
                info=b"openamr install-code key v1").derive(code)


@dataclass
class FrameCounter:
    """A sender's outgoing frame counter that never repeats a value across resets.

    The device persists ``reserved_until`` (a value, e.g. in flash) whenever ``next()`` says so,
    at most once every ``persist_every`` frames; after a reset it is rebuilt with
    ``FrameCounter.after_reset(reserved_until)`` and continues above anything it may have sent.
    """

    value: int = 0
    persist_every: int = 1024
    reserved_until: int = 0

    def next(self) -> tuple[int, bool]:
        """The counter for the next frame and whether ``reserved_until`` must be persisted now."""
        counter = self.value
        if counter >= 0xFFFF_FFFF:
            raise FrameError("counter_exhausted", "frame counter exhausted: re-key the device")
        self.value += 1
        must_persist = counter >= self.reserved_until
        if must_persist:
            self.reserved_until = counter + self.persist_every
        return counter, must_persist

    @classmethod
    def after_reset(cls, reserved_until: int, persist_every: int = 1024) -> FrameCounter:
        """The counter of a device that restarted with ``reserved_until`` in its flash."""
        return cls(value=reserved_until, persist_every=persist_every,
                   reserved_until=reserved_until)


@dataclass
class ReplayWindow:
    """Receiver-side replay protection for one sender (a 64-frame sliding window).

    ``highest`` is the highest counter accepted so far (-1: none); bit ``k`` of ``seen`` says
    whether ``highest - k`` was accepted.  ``check`` is pure; ``accept`` records a counter once
    the frame has been verified, so a forged frame can never move the window.
    """

    highest: int = -1
    seen: int = 0
    width: int = field(default=REPLAY_WINDOW_FRAMES)

    def check(self, counter: int) -> str | None:
        """``None`` if ``counter`` is fresh, else the rejection reason (``replay`` / ``stale``)."""
        if counter > self.highest:
            return None
        offset = self.highest - counter
        if offset >= self.width:
            return "stale"
        if (self.seen >> offset) & 1:
            return "replay"
        return None

    def accept(self, counter: int) -> None:
        """Record ``counter`` as received (call only after ``check`` returned ``None``)."""
        mask = (1 << self.width) - 1
        if counter > self.highest:
            shift = counter - self.highest
            self.seen = ((self.seen << shift) | 1) & mask if shift < self.width else 1
            self.highest = counter
        else:
            self.seen |= 1 << (self.highest - counter)
