"""The ingest over each backend (fixture ``store``): frames stored once, ACKed, state kept."""

from __future__ import annotations

from openamr.frames import Ack, Frame, FrameCounter, IntervalRecord, Intervals, KeyId
from openamr.headend.ingest import Ingest
from openamr.headend.store import Device, Meter, Site, Store

T0 = 1_767_225_600


def test_ingest_on_each_backend(store: Store) -> None:
    store.upsert_site(Site("s1"))
    for i in range(3):
        store.upsert_meter(Meter(f"m{i}", "s1", f"{0x100 + i:016x}"))
        store.upsert_device(Device(f"{0x100 + i:016x}", "mdt", "s1", f"m{i}",
                                   install_code=f"{i + 1:032x}", installed_s=T0))
    ingest = Ingest(store, dcap_id=0xD1)
    key = ingest.network_key
    counters = [FrameCounter() for _ in range(3)]

    def frame(i: int, seqs: range, energy: int) -> bytes:
        records = tuple(IntervalRecord(s, T0 + 900 * s, energy) for s in seqs)
        counter, _ = counters[i].next()
        return Frame(0x100 + i, 0xD1, counter, Intervals(0, records), KeyId.NETWORK).to_bytes(key)

    frames = [frame(i, range(0, 4), 10 + i) for i in range(3)]
    frames += [frame(i, range(2, 6), 10 + i) for i in range(3)]  # half resent
    replies = ingest.handle_batch([*frames, frames[0]], T0 + 86_400)
    assert replies[-1] == []  # the replayed frame
    ack = Frame.from_bytes(replies[3][0], key).payload
    assert ack == Ack(1, 5, ())
    assert store.interval_count() == 18
    assert store.interval_total_wh() == 6 * (10 + 11 + 12)
    assert store.rejection_counts() == {"replay": 1}
    restarted = Ingest(store, dcap_id=0xD1)
    assert restarted.handle(frames[1], T0 + 86_401) == []
    (ack_frame, *_) = restarted.handle(frame(1, range(6, 8), 11), T0 + 86_401)
    assert Frame.from_bytes(ack_frame, key).payload == Ack(2, 7, ())
