"""The bridge's message envelope: round trips, and malformed messages named precisely."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.headend.bridge import (
    decode_downlinks,
    decode_uplinks,
    encode_downlinks,
    encode_uplinks,
    parse_broker_url,
)

frames_st = st.lists(st.binary(min_size=0, max_size=300), max_size=30)


@given(frames_st)
def test_uplinks_round_trip(frames: list[bytes]) -> None:
    assert decode_uplinks(encode_uplinks(frames)) == frames


@given(st.lists(frames_st, max_size=20))
def test_downlinks_round_trip(replies: list[list[bytes]]) -> None:
    assert decode_downlinks(encode_downlinks(replies)) == replies


@given(frames_st.filter(bool), st.data())
def test_a_truncated_uplink_is_refused_never_misread(frames: list[bytes],
                                                     data: st.DataObject) -> None:
    message = encode_uplinks(frames)
    cut = data.draw(st.integers(0, len(message) - 1))
    with pytest.raises(InputError, match="uplink message"):
        decode_uplinks(message[:cut])


def test_malformed_messages_say_what_is_wrong() -> None:
    with pytest.raises(InputError, match="envelope version 9"):
        decode_uplinks(b"\x09\x00\x00\x00\x00")
    with pytest.raises(InputError, match="1 bytes after its last item"):
        decode_uplinks(encode_uplinks([b"ab"]) + b"x")
    with pytest.raises(InputError, match="ends at byte 7"):
        decode_downlinks(encode_downlinks([[b"abc"]])[:7])


def test_broker_urls() -> None:
    url = parse_broker_url("mqtts://amr:secret@broker.example:8884/site/a")
    assert (url.host, url.port, url.prefix, url.tls, url.username, url.password) == (
        "broker.example", 8884, "site/a", True, "amr", "secret")
    assert url.redacted() == "mqtts://amr@broker.example:8884/site/a"
    assert parse_broker_url("mqtt://127.0.0.1").port == 1883
    with pytest.raises(InputError, match="expected mqtt://"):
        parse_broker_url("http://127.0.0.1")
    with pytest.raises(InputError, match="topic prefix"):
        parse_broker_url("mqtt://h/a+b")
