"""The frame listener: asyncio UDP and TCP sockets feeding :class:`~openamr.headend.ingest.Ingest`.

* **UDP**: one frame per datagram; downlinks go back to the sending address.
* **TCP**: a stream of frames, each preceded by its length (u16, big-endian); downlinks go back
  on the same connection, framed the same way.  A connection that sends nothing for
  ``idle_timeout_s`` (``[listener] idle_timeout_s``) is closed: a device reconnects when it
  next has something to send, and abandoned sockets do not pile up.

Frames are gathered into batches: a batch closes ``commit_interval_ms`` after its first frame
(or at ``max_batch_frames``) and is handed to ``Ingest.handle_batch`` on one worker thread, so
there is one commit per batch and one batch at a time.  Downlinks (ACKs) are sent only after
the commit that stored their rows: a device never sees an ACK for data that a crash could
still lose.  ``stop()`` stops reading, commits what was received, answers it, and closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from openamr.headend.ingest import IngestStats

__all__ = ["BatchHandler", "FrameListener"]


class BatchHandler(Protocol):
    """What the listener hands its batches to: :class:`~openamr.headend.ingest.Ingest`, or
    a forwarder to remote ingest workers (:class:`~openamr.headend.bridge.MqttForwarder`)."""

    stats: IngestStats
    """Running totals (a forwarder counts frames and batches only: storing happens remotely)."""

    def handle_batch(self, frames: Sequence[bytes], received_s: float | None = None, *,
                     origins: Sequence[str] | None = None) -> list[list[bytes]]: ...


log = logging.getLogger(__name__)

_LENGTH = struct.Struct("!H")
_UDP_RCVBUF_BYTES = 8 * 1024 * 1024
Reply = Callable[[bytes], None]


@dataclass(frozen=True, slots=True)
class _Received:
    data: bytes
    reply: Reply
    origin: str


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, listener: FrameListener) -> None:
        self.listener = listener
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram transport

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        transport = self.transport

        def reply(frame: bytes) -> None:
            if transport is not None and not transport.is_closing():
                transport.sendto(frame, addr)

        self.listener.submit(_Received(data, reply, f"udp:{addr[0]}:{addr[1]}"))


def _log_batch(frames: int, before: tuple[int, int, dict[str, int]], stats: Any) -> None:
    """One line per batch: DEBUG when all went in, WARNING with the rejections by reason."""
    stored = stats.readings_stored - before[0]
    duplicate = stats.readings_duplicate - before[1]
    rejected = {reason: n - before[2].get(reason, 0) for reason, n in stats.rejected.items()
                if n != before[2].get(reason, 0)}
    if rejected:
        log.warning("ingest batch: %d frames, %d readings stored, %d duplicate; rejected: %s",
                    frames, stored, duplicate,
                    ", ".join(f"{reason}={n}" for reason, n in sorted(rejected.items())))
    else:
        log.debug("ingest batch: %d frames, %d readings stored, %d duplicate", frames, stored,
                  duplicate)


class FrameListener:
    """UDP and TCP frame sockets in front of one :class:`Ingest`.

    ``udp_port`` / ``tcp_port``: ``None`` disables that socket; 0 picks a free port (read the
    bound ones from :attr:`udp_address` / :attr:`tcp_address` after :meth:`start`).
    """

    def __init__(self, ingest: BatchHandler, *, host: str = "127.0.0.1",
                 udp_port: int | None = None, tcp_port: int | None = None,
                 commit_interval_ms: int = 200, max_batch_frames: int = 20_000,
                 idle_timeout_s: float = 300.0,
                 observe_batch: Callable[[float, int], None] | None = None) -> None:
        self.ingest = ingest
        self.host = host
        self.udp_port = udp_port
        self.tcp_port = tcp_port
        self.commit_interval_s = commit_interval_ms / 1000
        self.max_batch_frames = max_batch_frames
        self.idle_timeout_s = idle_timeout_s
        self.observe_batch = observe_batch
        """Called with (seconds, frames) after each committed batch (metrics)."""
        """A TCP connection that sends nothing for this long is closed [s]."""
        self.udp_address: tuple[str, int] | None = None
        self.tcp_address: tuple[str, int] | None = None
        self._pending: list[_Received] = []
        self._first_at = 0.0
        """Event-loop time of the oldest frame waiting for a commit."""
        self._wake = asyncio.Event()
        self._full = asyncio.Event()
        self._stopping = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openamr-ingest")
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._flusher: asyncio.Task[None] | None = None
        self.batches = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.udp_port is not None:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(self), local_addr=(self.host, self.udp_port))
            self._udp = transport
            self.udp_address = transport.get_extra_info("sockname")[:2]
            sock = transport.get_extra_info("socket")
            if sock is not None:  # absorb bursts while a batch commits
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _UDP_RCVBUF_BYTES)
        if self.tcp_port is not None:
            self._tcp = await asyncio.start_server(self._serve_tcp, self.host, self.tcp_port)
            self.tcp_address = self._tcp.sockets[0].getsockname()[:2]
        self._flusher = asyncio.create_task(self._flush_loop(), name="openamr-listener-flush")

    def submit(self, item: _Received) -> None:
        """Queue a received frame for the next batch (called on the event loop)."""
        if self._stopping:
            return
        if not self._pending:
            self._first_at = asyncio.get_running_loop().time()
        self._pending.append(item)
        self._wake.set()
        if len(self._pending) >= self.max_batch_frames:
            self._full.set()

    async def _serve_tcp(self, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        origin = f"tcp:{peer[0]}:{peer[1]}" if peer else "tcp"
        self._writers.add(writer)

        def reply(frame: bytes) -> None:
            if not writer.is_closing():
                writer.write(_LENGTH.pack(len(frame)) + frame)

        try:
            while not self._stopping:
                async with asyncio.timeout(self.idle_timeout_s):
                    head = await reader.readexactly(_LENGTH.size)
                    (length,) = _LENGTH.unpack(head)
                    data = await reader.readexactly(length)
                self.submit(_Received(data, reply, origin))
        except TimeoutError:
            log.info("closing %s: idle for %g s", origin, self.idle_timeout_s)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            if not self._stopping:
                writer.close()

    async def _flush_loop(self) -> None:
        while True:
            await self._wake.wait()
            if not self._pending and self._stopping:
                return
            delay = self._first_at + self.commit_interval_s - asyncio.get_running_loop().time()
            if not self._stopping and delay > 0:  # frames wait at most commit_interval_ms
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), delay)
            await self.flush()
            if self._stopping and not self._pending:
                return

    async def flush(self) -> None:
        """Commit the frames received so far and send their downlinks."""
        batch, self._pending = self._pending[:self.max_batch_frames], \
            self._pending[self.max_batch_frames:]
        if not self._pending:
            self._wake.clear()
            self._full.clear()
        if not batch:
            return
        loop = asyncio.get_running_loop()
        stats = self.ingest.stats
        before = (stats.readings_stored, stats.readings_duplicate, dict(stats.rejected))
        started = loop.time()
        try:
            replies = await loop.run_in_executor(
                self._executor, lambda: self.ingest.handle_batch(
                    [r.data for r in batch], None, origins=[r.origin for r in batch]))
        except Exception as exc:
            log.error("ingest of a batch of %d frames failed; nothing was acknowledged (the "
                      "devices resend): %s: %s", len(batch), type(exc).__name__, exc,
                      exc_info=log.isEnabledFor(logging.DEBUG))
            return
        self.batches += 1
        if self.observe_batch is not None:
            self.observe_batch(loop.time() - started, len(batch))
        _log_batch(len(batch), before, stats)
        for item, frames in zip(batch, replies, strict=True):
            for frame in frames:
                try:
                    item.reply(frame)
                except OSError as exc:  # the peer went away: the device will resend
                    log.debug("downlink to %s failed: %s", item.origin, exc)

    async def stop(self) -> None:
        """Stop reading, commit and answer what was received, close the sockets."""
        self._stopping = True
        if self._tcp is not None:
            self._tcp.close()
        self._wake.set()
        if self._flusher is not None:
            await self._flusher
        for writer in list(self._writers):
            writer.close()
        if self._tcp is not None:
            await self._tcp.wait_closed()
        if self._udp is not None:
            self._udp.close()
        self._executor.shutdown(wait=True)
