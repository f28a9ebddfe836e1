"""Ingest invariants (hypothesis): any order, batching, duplicates and replays of the same frames
store exactly one row per interval, conserve the energy total and settle every seq."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_ingest_fakes import T0, make_site

from openamr.frames import Ack, Frame
from openamr.headend.ingest import Ingest
from openamr.headend.store import open_store

NOW = T0 + 86_400


@settings(max_examples=40, deadline=None)
@given(
    energy=st.lists(st.lists(st.integers(0, 10_000), min_size=1, max_size=12), min_size=1,
                    max_size=3),
    per_frame=st.integers(1, 5),
    picks=st.lists(st.tuples(st.integers(0, 10**6), st.booleans()), min_size=1, max_size=60),
    cuts=st.lists(st.integers(1, 8), min_size=1, max_size=10),
)
def test_any_order_duplicates_and_replays(energy: list[list[int]], per_frame: int,
                                          picks: list[tuple[int, bool]],
                                          cuts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "p.db"))
        devs = make_site(store, len(energy))
        ingest = Ingest(store)
        key = ingest.network_key
        # every record of every device, in frames of `per_frame` (the "first sends")
        chunks = [(d, a, values[a:a + per_frame]) for d, values in enumerate(energy)
                  for a in range(0, len(values), per_frame)]
        sent: list[bytes] = []
        for d, a, vals in chunks:
            sent.append(devs[d].intervals(key, a, [T0 + 900 * (a + k) for k in range(len(vals))],
                                          vals))
        stream = list(sent)
        for pick, replay in picks:
            d, a, vals = chunks[pick % len(chunks)]
            if replay:  # the very same bytes again
                stream.insert(pick % (len(stream) + 1), sent[pick % len(sent)])
            else:  # the same records again in a new frame (a resend)
                stream.insert(pick % (len(stream) + 1), devs[d].intervals(
                    key, a, [T0 + 900 * (a + k) for k in range(len(vals))], vals))
        i = 0
        last_ack: dict[int, int] = {}
        for cut in cuts * (len(stream) // len(cuts) + 1):
            if i >= len(stream):
                break
            replies = ingest.handle_batch(stream[i:i + cut], NOW)
            for reply in (r for rs in replies for r in rs):
                frame = Frame.from_bytes(reply, key)
                if isinstance(frame.payload, Ack):
                    last_ack[frame.dst] = frame.payload.acked_seq
            i += cut
        assert store.interval_count() == sum(len(v) for v in energy)
        assert store.interval_total_wh() == sum(sum(v) for v in energy)
        for d, values in enumerate(energy):
            got = store.get_intervals(devs[d].meter_id)
            assert got.energy_wh.tolist() == values
        assert set(store.rejection_counts()) <= {"replay"}
        # the last ACK each device got settles every seq it sent
        for d, values in enumerate(energy):
            assert last_ack[devs[d].eui] == len(values) - 1
        store.close()
