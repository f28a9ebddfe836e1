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
* **Batches.**  ``CcmBatch`` seals and opens many frames under one key at once (numpy over the
  frames, one AES-ECB call per CBC-MAC block index and one for the whole CTR keystream):
  byte for byte what ``AESCCM`` gives, for a head-end that verifies thousands of frames per
  commit.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from openamr.errors import FrameError

__all__ = [
    "KEY_LENGTH",
    "LEVEL_ENC_MIC",
    "LEVEL_MIC",
    "MIC_LENGTH",
    "NONCE_DTYPE",
    "NONCE_LENGTH",
    "NONCE_STRUCT",
    "CcmBatch",
    "FrameCounter",
    "ReplayWindow",
    "install_code_key",
    "nonces",
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
NONCE_LENGTH = NONCE_STRUCT.size
"""CCM nonce length [bytes] (13: CCM's length field is then 2 bytes, payloads < 64 KiB)."""
NONCE_DTYPE = np.dtype([("src", ">u8"), ("counter", ">u4"), ("level", "u1")])
"""The same nonce as a numpy record, to build the nonces of many frames at once."""

_BLOCK = 16  # AES block [bytes]
_CCM_L = 15 - NONCE_LENGTH  # CCM's length-field size [bytes]
_CCM_CTR_FLAGS = _CCM_L - 1
_CCM_MAC_FLAGS = ((MIC_LENGTH - 2) // 2) << 3 | (_CCM_L - 1)
_CCM_ADATA = 0x40
_MAX_CCM_AAD = 0xFF00  # associated data this length or longer needs a longer length prefix

U8Array = npt.NDArray[np.uint8]


def _blocks(n_bytes: int) -> int:
    return -(-n_bytes // _BLOCK)


def nonces(src: npt.ArrayLike, counter: npt.ArrayLike, level: int = LEVEL_ENC_MIC) -> U8Array:
    """The CCM nonce of each frame (``NONCE_STRUCT`` per row): shape (frames, 13)."""
    c = np.asarray(counter)
    rec = np.empty(c.shape[0], dtype=NONCE_DTYPE)
    rec["src"], rec["counter"], rec["level"] = src, c, level
    return rec.view(np.uint8).reshape(-1, NONCE_LENGTH)


class CcmBatch:
    """AES-128-CCM (8-byte MIC, 13-byte nonce) over many frames of one key at once.

    The same bytes as ``AESCCM(key, tag_length=8)`` frame by frame (NIST SP 800-38C): the CTR
    keystream of every frame comes from one AES-ECB call over all counter blocks, the CBC-MAC
    from one AES-ECB call per block index over all frames of the same lengths.  Arrays are
    ``uint8`` with one frame per row; frames of different lengths go through ``open_many`` /
    ``seal_many``, which group them by length.  An instance keeps one cipher context: use it
    from one thread at a time.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_LENGTH:
            raise ValueError(f"AES-128 keys are {KEY_LENGTH} bytes, got {len(key)}")
        # ECB keeps no state between blocks: one context serves every call (creating one
        # costs ~9 µs, as much as a small group's whole work)
        self._ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()

    def _aes(self, blocks: U8Array) -> U8Array:
        """AES of each 16-byte row of ``blocks`` (shape (m, 16))."""
        out = self._ecb.update(np.ascontiguousarray(blocks).data)
        return np.frombuffer(out, dtype=np.uint8).reshape(-1, _BLOCK)

    def _keystream(self, nonce: U8Array, n_blocks: int) -> U8Array:
        """Counter blocks A_0 .. A_n_blocks encrypted: shape (frames, n_blocks + 1, 16)."""
        n = len(nonce)
        ctr = np.zeros((n, n_blocks + 1, _BLOCK), dtype=np.uint8)
        ctr[:, :, 0] = _CCM_CTR_FLAGS
        ctr[:, :, 1:1 + NONCE_LENGTH] = nonce[:, None, :]
        index = np.arange(n_blocks + 1)
        ctr[:, :, 14] = index >> 8
        ctr[:, :, 15] = index & 0xFF
        return self._aes(ctr.reshape(-1, _BLOCK)).reshape(n, n_blocks + 1, _BLOCK)

    def _mac(self, nonce: U8Array, aad: U8Array, plain: U8Array) -> U8Array:
        """The CBC-MAC T (first 8 bytes of the last chaining value) of each frame."""
        n, a = aad.shape
        p = plain.shape[1]
        a_len = 2 + a if a else 0
        b = np.zeros((n, _BLOCK + _blocks(a_len) * _BLOCK + _blocks(p) * _BLOCK),
                     dtype=np.uint8)
        b[:, 0] = (_CCM_ADATA if a else 0) | _CCM_MAC_FLAGS
        b[:, 1:1 + NONCE_LENGTH] = nonce
        b[:, 14], b[:, 15] = p >> 8, p & 0xFF
        if a:
            b[:, 16], b[:, 17] = a >> 8, a & 0xFF
            b[:, 18:18 + a] = aad
        at = _BLOCK + _blocks(a_len) * _BLOCK
        b[:, at:at + p] = plain
        blocks = b.reshape(n, b.shape[1] // _BLOCK, _BLOCK)
        x = self._aes(blocks[:, 0])
        for j in range(1, blocks.shape[1]):
            x = self._aes(x ^ blocks[:, j])
        return x[:, :MIC_LENGTH]

    @staticmethod
    def _check(nonce: U8Array, aad: U8Array, data: U8Array) -> None:
        if nonce.ndim != 2 or nonce.shape[1] != NONCE_LENGTH:
            raise ValueError(f"nonces are rows of {NONCE_LENGTH} bytes")
        if not len(nonce) == len(aad) == len(data):
            raise ValueError("one nonce, one associated data and one payload per frame")
        if aad.shape[1] >= _MAX_CCM_AAD or data.shape[1] > 0xFFFF + MIC_LENGTH:
            raise ValueError("associated data or payload too long for a 13-byte CCM nonce")

    def seal_array(self, nonce: U8Array, aad: U8Array, plain: U8Array) -> U8Array:
        """Ciphertext + MIC of each frame, shape (frames, payload + 8); ``nonce`` (frames, 13),
        ``aad`` (frames, associated data [bytes]), ``plain`` (frames, payload [bytes])."""
        self._check(nonce, aad, plain)
        n, p = plain.shape
        ks = self._keystream(nonce, _blocks(p))
        out = np.empty((n, p + MIC_LENGTH), dtype=np.uint8)
        out[:, :p] = plain ^ ks[:, 1:].reshape(n, _blocks(p) * _BLOCK)[:, :p]
        out[:, p:] = self._mac(nonce, aad, plain) ^ ks[:, 0, :MIC_LENGTH]
        return out

    def open_array(self, nonce: U8Array, aad: U8Array,
                   body: U8Array) -> tuple[U8Array, npt.NDArray[np.bool_]]:
        """``(payloads, ok)``: each frame's ``body`` (ciphertext + MIC, shape (frames, payload
        + 8)) verified and decrypted; ``ok[i]`` False where the MIC does not match (that row
        of the payloads is zeros)."""
        self._check(nonce, aad, body)
        n, b = body.shape
        if b < MIC_LENGTH:
            raise ValueError("bodies shorter than their MIC")
        p = b - MIC_LENGTH
        ks = self._keystream(nonce, _blocks(p))
        plain = body[:, :p] ^ ks[:, 1:].reshape(n, _blocks(p) * _BLOCK)[:, :p]
        tag = body[:, p:] ^ ks[:, 0, :MIC_LENGTH]
        ok = (self._mac(nonce, aad, plain) == tag).all(axis=1)
        plain[~ok] = 0
        return plain, ok

    def seal_many(self, nonces: Sequence[bytes], aads: Sequence[bytes],
                  plains: Sequence[bytes]) -> list[bytes]:
        """Ciphertext + MIC of each frame (as ``AESCCM.encrypt(nonce, plain, aad)``)."""
        out: list[bytes] = [b""] * len(plains)
        for rows, (a, p) in _by_lengths(aads, plains):
            sealed = self.seal_array(_rows(nonces, rows, NONCE_LENGTH), _rows(aads, rows, a),
                                     _rows(plains, rows, p)).tobytes()
            w = p + MIC_LENGTH
            for k, i in enumerate(rows):
                out[i] = sealed[k * w:(k + 1) * w]
        return out

    def open_many(self, nonces: Sequence[bytes], aads: Sequence[bytes],
                  bodies: Sequence[bytes]) -> list[bytes | None]:
        """The payload of each frame (as ``AESCCM.decrypt(nonce, body, aad)``), or None where
        the MIC does not match or the body is shorter than its MIC."""
        out: list[bytes | None] = [None] * len(bodies)
        for rows, (a, b) in _by_lengths(aads, bodies):
            if b < MIC_LENGTH:
                continue
            plain, ok = self.open_array(_rows(nonces, rows, NONCE_LENGTH), _rows(aads, rows, a),
                                        _rows(bodies, rows, b))
            data, w = plain.tobytes(), b - MIC_LENGTH
            for k, (i, good) in enumerate(zip(rows, ok.tolist(), strict=True)):
                if good:
                    out[i] = data[k * w:(k + 1) * w]
        return out


def _by_lengths(aads: Sequence[bytes], data: Sequence[bytes]
                ) -> list[tuple[list[int], tuple[int, int]]]:
    """Frame indexes grouped by (associated data length, payload length)."""
    if len(aads) != len(data):
        raise ValueError("one associated data and one payload per frame")
    groups: dict[tuple[int, int], list[int]] = {}
    for i, (a, d) in enumerate(zip(aads, data, strict=True)):
        groups.setdefault((len(a), len(d)), []).append(i)
    return [(rows, lengths) for lengths, rows in groups.items()]


def _rows(items: Sequence[bytes], rows: list[int], width: int) -> U8Array:
    """The ``rows`` of ``items`` (each ``width`` bytes) as a (len(rows), width) array."""
    joined = b"".join([items[i] for i in rows])
    if len(joined) != len(rows) * width:
        raise ValueError(f"rows of {width} bytes expected")
    return np.frombuffer(joined, dtype=np.uint8).reshape(len(rows), width).copy()


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
        return self.take(1)

    def take(self, n: int) -> tuple[int, bool]:
        """``n`` consecutive counters at once (for ``n`` frames sealed together): the first
        one, and whether ``reserved_until`` must be persisted now (it moved past the block)."""
        first = self.value
        if n <= 0:
            return first, False
        last = first + n - 1
        if last >= 0xFFFF_FFFF:
            raise FrameError("counter_exhausted", "frame counter exhausted: re-key the device")
        self.value = last + 1
        must_persist = last >= self.reserved_until
        if must_persist:
            self.reserved_until = last + self.persist_every
        return first, must_persist

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

    def accept_newer(self, counters: Sequence[int]) -> None:
        """Record a run of counters at once, each newer than the one before and the first newer
        than ``highest`` (the same window as ``accept`` of each in turn)."""
        if not counters:
            return
        last = counters[-1]
        shift = last - self.highest
        seen = (self.seen << shift) & ((1 << self.width) - 1) if shift < self.width else 0
        for counter in counters:
            if last - counter < self.width:
                seen |= 1 << (last - counter)
        self.seen = seen
        self.highest = last

    def accept(self, counter: int) -> None:
        """Record ``counter`` as received (call only after ``check`` returned ``None``)."""
        mask = (1 << self.width) - 1
        if counter > self.highest:
            shift = counter - self.highest
            self.seen = ((self.seen << shift) | 1) & mask if shift < self.width else 1
            self.highest = counter
        else:
            self.seen |= 1 << (self.highest - counter)
