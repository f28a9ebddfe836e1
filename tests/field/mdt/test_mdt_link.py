"""The software MDT's link: the head-end address forms, UDP datagrams, TCP length framing."""

from __future__ import annotations

import socket
import struct
import threading

import pytest

from openamr.errors import InputError
from openamr.field.mdt.link import FrameLink, Headend, parse_headend


def test_headend_addresses() -> None:
    assert parse_headend("10.0.0.5:4000") == Headend("udp", "10.0.0.5", 4000)
    assert parse_headend("tcp://dcap.local:4001") == Headend("tcp", "dcap.local", 4001)
    assert parse_headend("udp://[::1]:4000") == Headend("udp", "::1", 4000)
    for bad in ("dcap", "dcap:0", "http://x:1", "x:70000", ":4000"):
        with pytest.raises(InputError, match="HOST:PORT"):
            parse_headend(bad)


def test_udp_frames_and_answers() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    link = FrameLink(Headend("udp", "127.0.0.1", server.getsockname()[1]))
    try:
        link.send([b"one", b"two"])
        got = [server.recvfrom(100) for _ in range(2)]
        assert [d for d, _ in got] == [b"one", b"two"]
        server.sendto(b"ack-1", got[0][1])
        server.sendto(b"ack-2", got[0][1])
        assert link.receive(5.0, want=2) == [b"ack-1", b"ack-2"]
    finally:
        link.close()
        server.close()


def test_tcp_length_framing_both_ways() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            data = b""
            while len(data) < 2 + 3 + 2 + 4:
                data += conn.recv(100)
            received.append(data)
            conn.sendall(struct.pack("!H", 2) + b"ok" + struct.pack("!H", 3))  # a split frame
            conn.sendall(b"yes")

    thread = threading.Thread(target=serve)
    thread.start()
    link = FrameLink(Headend("tcp", "127.0.0.1", server.getsockname()[1]))
    try:
        link.send([b"abc", b"defg"])
        assert link.receive(5.0, want=2) == [b"ok", b"yes"]
    finally:
        thread.join(10)
        link.close()
        server.close()
    assert received == [b"\x00\x03abc\x00\x04defg"]


def test_nobody_listening_is_an_oserror_or_silence() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        FrameLink(Headend("tcp", "127.0.0.1", port)).send([b"x"])
    udp = FrameLink(Headend("udp", "127.0.0.1", port))
    udp.send([b"x"])
    assert udp.receive(0.2) == []
    udp.close()
