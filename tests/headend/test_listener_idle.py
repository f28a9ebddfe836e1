"""Idle TCP connections are closed after ``[listener] idle_timeout_s``.

Regression: a connection that never sent anything stayed open for ever (a slow-loris client
could hold sockets without limit).
"""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

from test_ingest_fakes import T0, make_site

from openamr.frames import Ack, Frame
from openamr.headend.ingest import Ingest
from openamr.headend.listener import FrameListener
from openamr.headend.store import open_store


def test_a_silent_connection_is_closed_and_an_active_one_served(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "h.db"))
    dev = make_site(store, 1)[0]
    ingest = Ingest(store, dcap_id=0xD1, clock=lambda: T0 + 3600)

    async def scenario() -> tuple[bytes, bytes]:
        listener = FrameListener(ingest, tcp_port=0, commit_interval_ms=5, idle_timeout_s=0.2)
        await listener.start()
        assert listener.tcp_address is not None
        host, port = listener.tcp_address
        try:
            idle_reader, idle_writer = await asyncio.open_connection(host, port)
            # the server closes it: EOF arrives (bounded wait, not a sleep)
            closed = await asyncio.wait_for(idle_reader.read(1), 10)
            idle_writer.close()
            reader, writer = await asyncio.open_connection(host, port)
            frame = dev.intervals(ingest.network_key, 0, [T0], [10])
            writer.write(struct.pack("!H", len(frame)) + frame)
            await writer.drain()
            (n,) = struct.unpack("!H", await asyncio.wait_for(reader.readexactly(2), 10))
            reply = await reader.readexactly(n)
            writer.close()
            return closed, reply
        finally:
            await listener.stop()

    closed, reply = asyncio.run(scenario())
    assert closed == b""
    assert isinstance(Frame.from_bytes(reply, ingest.network_key).payload, Ack)
    store.close()
