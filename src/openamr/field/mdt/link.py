"""The software MDT's link to a head-end's frame listener: UDP datagrams or a TCP stream.

``udp://HOST:PORT`` (or plain ``HOST:PORT``): one frame per datagram, the answers come back to
the sending address.  ``tcp://HOST:PORT``: each frame preceded by its length (u16, big-endian),
the answers come back on the connection framed the same way (``docs/frames.md``; the listener
of ``openamr serve``).  A TCP connection that breaks is opened again at the next send.
"""

from __future__ import annotations

import select
import socket
import struct
import time
from dataclasses import dataclass

from openamr.errors import InputError

__all__ = ["FrameLink", "Headend", "parse_headend"]

_LENGTH = struct.Struct("!H")


@dataclass(frozen=True)
class Headend:
    """Where the frames go."""

    transport: str
    """``udp`` or ``tcp``."""
    host: str
    port: int


def parse_headend(text: str, *, where: str = "--headend") -> Headend:
    """``HOST:PORT`` (UDP), ``udp://HOST:PORT`` or ``tcp://HOST:PORT``; ``[v6]:PORT`` too."""
    transport, sep, rest = text.partition("://")
    if not sep:
        transport, rest = "udp", text
    host, colon, port = rest.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if transport not in ("udp", "tcp") or not colon or not host or not port.isdigit() \
            or not 0 < int(port) < 65536:
        raise InputError(f"expected HOST:PORT, udp://HOST:PORT or tcp://HOST:PORT, got {text!r}",
                         where=where)
    return Headend(transport, host, int(port))


class FrameLink:
    """Frames to a head-end and its answers back (blocking sockets, timeouts in seconds)."""

    def __init__(self, headend: Headend, *, connect_timeout_s: float = 5.0) -> None:
        self.headend = headend
        self.connect_timeout_s = connect_timeout_s
        self._sock: socket.socket | None = None
        self._buf = bytearray()

    def _socket(self) -> socket.socket:
        if self._sock is None:
            h = self.headend
            if h.transport == "tcp":
                self._sock = socket.create_connection((h.host, h.port),
                                                      timeout=self.connect_timeout_s)
            else:
                family = socket.getaddrinfo(h.host, h.port, type=socket.SOCK_DGRAM)[0][0]
                self._sock = socket.socket(family, socket.SOCK_DGRAM)
                self._sock.connect((h.host, h.port))
            self._buf.clear()
        return self._sock

    def send(self, frames: list[bytes]) -> None:
        """Send frames (OSError when the head-end cannot be reached; the link resets)."""
        if not frames:
            return
        try:
            sock = self._socket()
            sock.settimeout(self.connect_timeout_s)
            if self.headend.transport == "tcp":
                sock.sendall(b"".join(_LENGTH.pack(len(f)) + f for f in frames))
            else:
                for frame in frames:
                    sock.send(frame)
        except OSError:
            self.close()
            raise

    def receive(self, timeout_s: float, *, want: int = 1) -> list[bytes]:
        """Frames that arrive within ``timeout_s`` [s]; returns early once ``want`` arrived and
        the line is quiet for 50 ms.  A broken connection ends it (what arrived is returned)."""
        out: list[bytes] = []
        if self._sock is None:
            return out
        sock = self._sock
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            wait = min(left, 0.05) if len(out) >= want else left
            ready, _, _ = select.select([sock], [], [], wait)
            if not ready:
                if len(out) >= want:
                    break
                continue
            try:
                chunk = sock.recv(1 << 16)
            except OSError:  # e.g. ICMP port unreachable on UDP: nobody listens
                self.close()
                break
            if self.headend.transport == "udp":
                out.append(chunk)
                continue
            if not chunk:
                self.close()
                break
            self._buf.extend(chunk)
            while len(self._buf) >= _LENGTH.size:
                (n,) = _LENGTH.unpack_from(self._buf)
                if len(self._buf) < _LENGTH.size + n:
                    break
                out.append(bytes(self._buf[_LENGTH.size:_LENGTH.size + n]))
                del self._buf[:_LENGTH.size + n]
        return out

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
