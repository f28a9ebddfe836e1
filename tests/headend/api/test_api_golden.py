"""The exact bytes of a few answers, pinned by golden files (``tests/headend/api/golden``).

Regenerate after a deliberate change with ``OPENAMR_REGOLD=1 python -m pytest <this file>``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from api_seed import ApiClient

GOLDEN = Path(__file__).parent / "golden"

CASES = {
    "intervals_dst_morning.json": "/api/v1/meters/m-1/intervals?start=2026-03-08T01:00:00-08:00"
                                  "&end=2026-03-08T03:30:00-07:00",
    "intervals_gap.csv": "/api/v1/meters/m-1/intervals?start=2026-03-10T11:30:00-07:00"
                         "&end=2026-03-10T13:30:00-07:00&format=csv",
    "rollup_fall_back_hours.json": "/api/v1/meters/m-1/rollup?period=hourly"
                                   "&start=2026-11-01T00:00:00-07:00"
                                   "&end=2026-11-01T03:00:00-08:00",
    "rollup_dst_days.csv": "/api/v1/meters/m-1/rollup?period=daily"
                           "&start=2026-03-07T00:00:00-08:00&end=2026-03-09T12:00:00-07:00"
                           "&format=csv",
    # no data before 1 March: those days are null / an empty cell, not 0.0
    "rollup_empty_days.json": "/api/v1/meters/m-1/rollup?period=daily"
                              "&start=2026-02-27T00:00:00-08:00&end=2026-03-02T00:00:00-08:00",
    "rollup_empty_days.csv": "/api/v1/meters/m-1/rollup?period=daily"
                             "&start=2026-02-27T00:00:00-08:00&end=2026-03-02T00:00:00-08:00"
                             "&format=csv",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_answer_matches_golden(client: ApiClient, headers: dict[str, dict[str, str]],
                               name: str) -> None:
    r = client.get(CASES[name], headers=headers["admin"])
    assert r.status_code == 200
    path = GOLDEN / name
    if os.environ.get("OPENAMR_REGOLD"):
        path.write_bytes(r.content)
    assert r.content == path.read_bytes()
