"""The frame listener: UDP datagrams and length-prefixed TCP frames in, ACKs back after commit."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

from test_ingest_fakes import T0, make_site

from openamr.frames import Ack, Frame
from openamr.headend.ingest import Ingest
from openamr.headend.listener import FrameListener
from openamr.headend.store import StoredBatch, open_store


class _UdpClient(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.received.put_nowait(data)


def test_udp_and_tcp_frames_are_stored_and_acked(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "l.db"))
    devs = make_site(store, 2)
    ingest = Ingest(store, clock=lambda: T0 + 7200)
    committed: list[StoredBatch] = []
    ingest.subscribe(committed.append)
    key = ingest.network_key
    udp_frame = devs[0].intervals(key, 0, [T0, T0 + 900], [5, 6])
    tcp_frames = [devs[1].intervals(key, 0, [T0], [7]), devs[1].intervals(key, 1, [T0 + 900], [8])]

    async def scenario() -> tuple[list[bytes], list[bytes], int]:
        listener = FrameListener(ingest, udp_port=0, tcp_port=0, commit_interval_ms=20)
        await listener.start()
        assert listener.udp_address is not None
        assert listener.tcp_address is not None
        loop = asyncio.get_running_loop()
        transport, client = await loop.create_datagram_endpoint(
            _UdpClient, remote_addr=listener.udp_address)
        transport.sendto(udp_frame)
        udp_replies = [await asyncio.wait_for(client.received.get(), 10)]
        reader, writer = await asyncio.open_connection(*listener.tcp_address)
        for f in tcp_frames:
            writer.write(struct.pack("!H", len(f)) + f)
        await writer.drain()
        tcp_replies = []
        while len(tcp_replies) < 2:
            (n,) = struct.unpack("!H", await asyncio.wait_for(reader.readexactly(2), 10))
            reply = await reader.readexactly(n)
            payload = Frame.from_bytes(reply, key).payload
            if isinstance(payload, Ack):
                tcp_replies.append(reply)
        writer.close()
        transport.close()
        await listener.stop()
        return udp_replies, tcp_replies, listener.batches

    udp_replies, tcp_replies, batches = asyncio.run(scenario())
    assert Frame.from_bytes(udp_replies[0], key).payload == Ack(0, 1, ())
    acked = sorted(Frame.from_bytes(r, key).payload.acked_seq for r in tcp_replies)  # type: ignore[union-attr]
    assert acked[-1] == 1
    assert batches >= 2
    assert store.interval_total_wh() == 26
    assert sum(len(b.intervals) for b in committed) == 4
    store.close()


def test_stop_commits_what_was_received(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    dev = make_site(store, 1)[0]
    ingest = Ingest(store, clock=lambda: T0 + 7200)
    frame = dev.intervals(ingest.network_key, 0, [T0], [5])

    async def scenario() -> None:
        listener = FrameListener(ingest, tcp_port=0, commit_interval_ms=60_000)
        await listener.start()
        assert listener.tcp_address is not None
        _reader, writer = await asyncio.open_connection(*listener.tcp_address)
        writer.write(struct.pack("!H", len(frame)) + frame)
        await writer.drain()
        while not listener._pending:  # received, waiting for its (long) commit interval
            await asyncio.sleep(0)
        await listener.stop()
        writer.close()

    asyncio.run(scenario())
    assert store.interval_count() == 1
    store.close()
