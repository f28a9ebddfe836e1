"""``openamr import intervals`` refuses undecodable and out-of-range files with the line.

Regressions: a non-UTF-8 or gzip file, or a 128 KiB field, crashed the import without a line
number; 1e308 Wh per 15 minutes was stored (and overflowed the roll-ups); intervals before 1970
collided across meters (their packed key); a meter id with ``/`` was stored but unreachable.
Each case: exit status 2, the file and line, and nothing stored.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from click.testing import CliRunner

from openamr.cli import main
from openamr.headend.store import open_store

HEADER = "meter_id,start,energy_wh\n"
GOOD = "M-01,2026-01-01T00:00:00Z,10\n"


def _import(tmp_path: Path, data: bytes) -> tuple[int, str, Path]:
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    db = tmp_path / "h.db"
    result = CliRunner().invoke(main, ["import", "intervals", str(path), "--db", str(db)])
    return result.exit_code, result.output, db


def _nothing_stored(db: Path) -> bool:
    if not db.exists():
        return True
    with open_store(str(db), create=False) as store:
        return store.interval_count() == 0 and store.list_meters() == []


@pytest.mark.parametrize(("data", "line", "words"), [
    ((HEADER + GOOD + "M-02,2026-01-01T00:00:00Z,1\xe9\n").encode("latin-1"), 3, "UTF-8"),
    (gzip.compress((HEADER + GOOD).encode()), 1, "gzip"),
    ((HEADER + GOOD + "M-03,2026-01-01T00:00:00Z,\"" + "9" * (128 * 1024 + 10) + "\"\n"
      ).encode(), 3, "field larger"),
    ((HEADER + GOOD + "M-04,2026-01-01T00:00:00Z,1e308\n").encode(), 3, "maximum"),
    ((HEADER + GOOD + "M-05,1969-12-31T23:45:00Z,5\n").encode(), 3, "out of range"),
    ((HEADER + GOOD + "a/b,2026-01-01T00:00:00Z,5\n").encode(), 3, "not a valid id"),
    ((HEADER + GOOD + "=HYPERLINK(1),2026-01-01T00:00:00Z,5\n").encode(), 3, "not a valid id"),
    ((HEADER + GOOD + "M-06,2026-01-01T00:00:00Z,5\x00\n").encode(), 3, "not a number"),
])
def test_a_bad_file_is_refused_whole_with_its_line(tmp_path: Path, data: bytes, line: int,
                                                   words: str) -> None:
    code, output, db = _import(tmp_path, data)
    assert code == 2, output
    assert f"in.csv:{line}:" in output
    assert words in output
    assert "Traceback" not in output
    assert _nothing_stored(db)


def test_starts_before_1970_cannot_reach_the_store(tmp_path: Path) -> None:
    """The store's bulk path refuses them too (they would share a key across meters)."""
    import numpy as np

    from openamr.errors import StoreError
    from openamr.headend.store import Meter, Site

    with open_store(str(tmp_path / "h.db")) as store:
        store.upsert_site(Site("s", "S", "UTC"))
        store.upsert_meter(Meter("a", "s"))
        store.upsert_meter(Meter("b", "s"))
        keys = store.meter_keys(["a", "b"])
        with pytest.raises(StoreError, match="start_s"):
            store.put_interval_rows(keys, np.array([-900, -900]), np.array([1.0, 2.0]),
                                    np.zeros(2, np.int64), np.zeros(2, np.int64), "import", 0)
        with pytest.raises(StoreError, match="energy_wh"):
            store.put_interval_rows(keys, np.array([0, 0]), np.array([1.0, np.inf]),
                                    np.zeros(2, np.int64), np.zeros(2, np.int64), "import", 0)
        assert store.interval_count() == 0
