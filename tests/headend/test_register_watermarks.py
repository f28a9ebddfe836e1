"""``RegisterWatermarks.check_many`` answers what ``check`` of each read in turn answers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.headend.register_watermarks import RegisterWatermarks


def test_check_refuses_a_register_running_backwards() -> None:
    marks = RegisterWatermarks()
    assert marks.check(1, 100, 50) is None
    assert marks.check(1, 200, 40) == (100, 50)  # lower later: refused, mark unchanged
    assert marks.check(1, 50, 60) == (100, 50)  # higher earlier
    assert marks.check(1, 50, 10) is None  # an older read that fits: the mark stays
    assert marks.last[1] == (100, 50)
    assert marks.check(1, 300, 50) is None
    assert marks.last[1] == (300, 50)


@settings(max_examples=200, deadline=None)
@given(reads=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10), st.integers(0, 10)),
                      max_size=25),
       before=st.dictionaries(st.integers(0, 3), st.tuples(st.integers(0, 10),
                                                           st.integers(0, 10)), max_size=4))
def test_check_many_equals_check_in_turn(reads: list[tuple[int, int, int]],
                                         before: dict[int, tuple[int, int]]) -> None:
    many, one = RegisterWatermarks(dict(before)), RegisterWatermarks(dict(before))
    keys, t_s, wh = (np.array(c, dtype=np.int64).reshape(-1) for c in zip(*reads, strict=True)) \
        if reads else (np.zeros(0, dtype=np.int64),) * 3
    ok, refused = many.check_many(keys, t_s, wh)
    want = [one.check(k, t, w) for k, t, w in reads]
    assert ok.tolist() == [w is None for w in want]
    assert refused == {i: w for i, w in enumerate(want) if w is not None}
    assert many.last == one.last
