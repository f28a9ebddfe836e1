"""The bytes of one MQTT message between a forwarding DCAP and the ingest workers.

Uplink (``{prefix}/up/{gateway}``): version (u8, 1), frame count (u32), then each frame as its
length (u16) and its bytes — the framing of the TCP listener.  Downlink (the uplink's MQTT 5
response topic, with its correlation data): version (u8, 1), the uplink's frame count (u32),
then for each uplink frame, in order, its number of downlink frames (u16) and each of them as
length (u16) and bytes.  All integers big-endian.  Sans-IO: bytes in, bytes out.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from openamr.errors import InputError

__all__ = ["ENVELOPE_VERSION", "decode_downlinks", "decode_uplinks", "encode_downlinks",
           "encode_uplinks"]

ENVELOPE_VERSION = 1
_HEAD = struct.Struct("!BI")
_U16 = struct.Struct("!H")


def encode_uplinks(frames: Sequence[bytes]) -> bytes:
    """One uplink message carrying ``frames``."""
    parts = [_HEAD.pack(ENVELOPE_VERSION, len(frames))]
    for frame in frames:
        parts.append(_U16.pack(len(frame)))
        parts.append(bytes(frame))
    return b"".join(parts)


def encode_downlinks(replies: Sequence[Sequence[bytes]]) -> bytes:
    """One downlink message: ``replies[i]`` are the downlink frames of uplink frame ``i``."""
    parts = [_HEAD.pack(ENVELOPE_VERSION, len(replies))]
    for frames in replies:
        parts.append(_U16.pack(len(frames)))
        for frame in frames:
            parts.append(_U16.pack(len(frame)))
            parts.append(bytes(frame))
    return b"".join(parts)


class _Reader:
    def __init__(self, data: bytes | bytearray, what: str) -> None:
        self.data, self.pos, self.what = memoryview(data), 0, what

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise InputError(f"{self.what} message ends at byte {len(self.data)}, inside an "
                             f"item that needs bytes {self.pos}..{self.pos + n - 1}",
                             where="mqtt envelope")
        chunk = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return chunk

    def u16(self) -> int:
        (value,) = _U16.unpack(self.take(_U16.size))
        return int(value)

    def head(self) -> int:
        version, count = _HEAD.unpack(self.take(_HEAD.size))
        if version != ENVELOPE_VERSION:
            raise InputError(f"{self.what} message has envelope version {version}; this "
                             f"software reads {ENVELOPE_VERSION}", where="mqtt envelope")
        return int(count)

    def end(self) -> None:
        if self.pos != len(self.data):
            raise InputError(f"{self.what} message has {len(self.data) - self.pos} bytes after "
                             "its last item", where="mqtt envelope")


def decode_uplinks(data: bytes | bytearray) -> list[bytes]:
    """The frames of an uplink message (``InputError`` naming what is wrong)."""
    r = _Reader(data, "uplink")
    frames = [r.take(r.u16()) for _ in range(r.head())]
    r.end()
    return frames


def decode_downlinks(data: bytes | bytearray) -> list[list[bytes]]:
    """The downlink frames of each uplink frame (``InputError`` naming what is wrong)."""
    r = _Reader(data, "downlink")
    replies = [[r.take(r.u16()) for _ in range(r.u16())] for _ in range(r.head())]
    r.end()
    return replies
