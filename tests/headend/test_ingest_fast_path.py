"""Differential test of the ingest's column path (``Ingest._fast_intervals``: frames parsed and
verified together with ``CcmBatch``, replay windows moved by runs) against the frame-by-frame
path (``Ingest._frame``): random mixes of valid, duplicate, replayed, tampered, truncated and
out-of-order frames give the same stored rows, rejections, windows and answers."""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ingest_fakes import T0, make_site

from openamr.frames import Frame
from openamr.headend import ingest as ingest_module
from openamr.headend.ingest import Ingest
from openamr.headend.store import Store, open_store

NOW = T0 + 86_400


def _state(store: Store, ingest: Ingest, meters: list[str]) -> tuple[object, ...]:
    rows = tuple((m, tuple(store.get_intervals(m).start_s.tolist()),
                  tuple(store.get_intervals(m).energy_wh.tolist()),
                  tuple(store.get_register_reads(m).register_wh.tolist())) for m in meters)
    windows = tuple(sorted((e, w.highest, w.seen) for e, w in ingest._windows.items()))
    seqs = tuple(sorted((e, t.acked, tuple(sorted(t.above))) for e, t in ingest._seqs.items()))
    return rows, store.rejection_counts(), windows, seqs, ingest.stats.readings_stored


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_dev=st.integers(1, 3),
       n_frames=st.integers(1, 14), cuts=st.lists(st.integers(1, 12), min_size=1, max_size=4))
def test_column_path_equals_frame_by_frame(seed: int, n_dev: int, n_frames: int,
                                           cuts: list[int]) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        path_a, path_b = Path(tmp) / "a.db", Path(tmp) / "b.db"
        store = open_store(str(path_a))
        devs = make_site(store, n_dev)
        key = store.get_or_create_network_key()
        store.close()
        shutil.copyfile(path_a, path_b)
        stream: list[bytes] = []
        for _ in range(n_frames):
            d = rng.randrange(n_dev)
            first = rng.randrange(8)
            n_rec = rng.randrange(0, 4)
            energy = [rng.randrange(0, 20_000) for _ in range(n_rec)]  # some out of range
            data = devs[d].intervals(key, first, [T0 + 900 * (first + k)
                                                  for k in range(n_rec)], energy,
                                     register_wh=rng.randrange(0, 3) * 1000)
            kind = rng.random()
            if kind < 0.1:  # tampered
                b = bytearray(data)
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
                data = bytes(b)
            elif kind < 0.15:  # truncated
                data = data[:rng.randrange(len(data))]
            stream.append(data)
            if stream and rng.random() < 0.2:  # the very same bytes again
                stream.append(rng.choice(stream))
        if rng.random() < 0.5:  # out of order
            rng.shuffle(stream)
        results = []
        for path, min_frames in ((path_a, 1), (path_b, len(stream) + 1)):
            # 1: every chunk takes the column path; more frames than the stream: none does
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(ingest_module, "COLUMN_PATH_MIN_FRAMES", min_frames)
                store = open_store(str(path))
                ingest = Ingest(store)
                answers = []
                i = 0
                for cut in cuts * (len(stream) + 1):
                    if i >= len(stream):
                        break
                    for replies in ingest.handle_batch(stream[i:i + cut], NOW):
                        answers.append(tuple(sorted(
                            (f.dst, repr(f.payload))
                            for f in (Frame.from_bytes(r, key) for r in replies))))
                    i += cut
                results.append((answers, _state(store, ingest, [d.meter_id for d in devs])))
                store.close()
        assert results[0] == results[1]
