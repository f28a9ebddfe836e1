"""The VEE tables in SQL (both backends): validated rows, the edit audit trail, findings.

A mixin of :class:`~openamr.headend.store._sql.SqlStore`, kept in its own module so the VEE
part of the store reads on its own.  Conventions as in :mod:`.base`: times UTC epoch seconds,
energy Wh, every method commits on its own unless inside ``store.transaction()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from openamr.errors import StoreError
from openamr.headend.store.base import QUALITIES
from openamr.headend.store.vee_rows import VEE_METHODS, VeeEdit, VeeFinding, VeeRows
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["VeeSqlMixin"]

_VEE_ROW = np.dtype([("meter_key", np.int64), ("start_s", np.int64), ("energy_wh", np.float64),
                     ("quality", np.int64), ("method", np.int64), ("rules", np.int64)])
_EDITED = QUALITIES.index("edited")
_MANUAL = VEE_METHODS.index("manual")
_KEYS_PER_QUERY = 500


class VeeSqlMixin:
    """The VEE methods of :class:`~openamr.headend.store.base.Store` over SQL."""

    if TYPE_CHECKING:  # provided by SqlStore
        def _q(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
        def _wx(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
        def _sql(self, sql: str) -> str: ...
        def _executemany_count(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> int: ...
        def _range(self, start_s: int | None, end_s: int | None,
                   column: str = "start_s") -> tuple[str, list[Any]]: ...
        def _read_conn(self) -> AbstractContextManager[Any]: ...
        def transaction(self) -> AbstractContextManager[None]: ...
        def meter_keys(self, meter_ids: Sequence[str]) -> npt.NDArray[np.int64]: ...
        def _key_or_none(self, meter_id: str) -> int | None: ...

    def get_vee_rows(self, meter_keys: Sequence[int] | npt.NDArray[np.int64],
                     start_s: int | None = None, end_s: int | None = None) -> VeeRows:
        keys = sorted({int(k) for k in np.asarray(meter_keys, dtype=np.int64).tolist()})
        clause, params = self._range(start_s, end_s)
        parts: list[npt.NDArray[Any]] = []
        for i in range(0, len(keys), _KEYS_PER_QUERY):
            part = keys[i:i + _KEYS_PER_QUERY]
            marks = ", ".join("?" for _ in part)
            sql = ("SELECT meter_key, start_s, energy_wh, quality, method, rules FROM "
                   f"vee_intervals WHERE meter_key IN ({marks}){clause} "
                   "ORDER BY meter_key, start_s")
            with self._read_conn() as conn:
                parts.append(np.fromiter(conn.execute(self._sql(sql), [*part, *params]),
                                         dtype=_VEE_ROW))
        if not parts:
            return VeeRows.empty()
        rec = np.concatenate(parts)
        return VeeRows(*(np.ascontiguousarray(rec[name]) for name in _VEE_ROW.names or ()))

    def interval_span_s(self, meter_keys: Sequence[int] | npt.NDArray[np.int64]
                        ) -> tuple[int, int] | None:
        keys = sorted({int(k) for k in np.asarray(meter_keys, dtype=np.int64).tolist()})
        first: int | None = None
        last: int | None = None
        for i in range(0, len(keys), _KEYS_PER_QUERY):
            part = keys[i:i + _KEYS_PER_QUERY]
            marks = ", ".join("?" for _ in part)
            row = self._q(f"SELECT min(start_s), max(start_s) FROM intervals "
                          f"WHERE meter_key IN ({marks})", part)
            if row and row[0][0] is not None:
                lo, hi = int(row[0][0]), int(row[0][1])
                first = lo if first is None else min(first, lo)
                last = hi if last is None else max(last, hi)
        if first is None or last is None:
            return None
        return first, last + INTERVAL_LENGTH_S

    def put_vee_rows(self, rows: VeeRows) -> int:
        n = len(rows)
        if n == 0:
            return 0
        if not np.isfinite(rows.energy_wh).all():
            raise StoreError("vee rows: NaN or infinite energy cannot be stored")
        data = list(zip(rows.meter_key.tolist(), rows.start_s.tolist(), rows.energy_wh.tolist(),
                        rows.quality.tolist(), rows.method.tolist(), rows.rules.tolist(),
                        strict=True))
        with self.transaction():
            self._executemany_count(
                self._sql("INSERT INTO vee_intervals (meter_key, start_s, energy_wh, quality, "
                          "method, rules) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT "
                          "(meter_key, start_s) DO UPDATE SET energy_wh = excluded.energy_wh, "
                          "quality = excluded.quality, method = excluded.method, "
                          "rules = excluded.rules"), data)
        return n

    def delete_vee_rows(self, meter_keys: npt.NDArray[np.int64],
                        start_s: npt.NDArray[np.int64]) -> int:
        if len(start_s) == 0:
            return 0
        with self.transaction():
            return self._executemany_count(
                self._sql("DELETE FROM vee_intervals WHERE meter_key = ? AND start_s = ?"),
                list(zip(np.asarray(meter_keys).tolist(), np.asarray(start_s).tolist(),
                         strict=True)))

    def put_vee_edit(self, edit: VeeEdit) -> int:
        key = int(self.meter_keys([edit.meter_id])[0])
        with self.transaction():
            row = self._wx("INSERT INTO vee_edits (meter_key, start_s, before_wh, after_wh, "
                           "user_name, reason, edited_s) VALUES (?, ?, ?, ?, ?, ?, ?) "
                           "RETURNING edit_id",
                           (key, int(edit.start_s), edit.before_wh, float(edit.after_wh),
                            edit.user, edit.reason, int(edit.edited_s))).fetchone()
            self._wx("INSERT INTO vee_intervals (meter_key, start_s, energy_wh, quality, method, "
                     "rules) VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (meter_key, start_s) DO "
                     "UPDATE SET energy_wh = excluded.energy_wh, quality = excluded.quality, "
                     "method = excluded.method, rules = excluded.rules",
                     (key, int(edit.start_s), float(edit.after_wh), _EDITED, _MANUAL))
            return int(row[0])

    def list_vee_edits(self, meter_id: str | None = None, start_s: int | None = None,
                       end_s: int | None = None, limit: int = 1000) -> list[VeeEdit]:
        clause, params = self._range(start_s, end_s, "e.start_s")
        if meter_id is not None:
            key = self._key_or_none(meter_id)
            if key is None:
                return []
            clause += " AND e.meter_key = ?"
            params.append(key)
        rows = self._q("SELECT m.meter_id, e.start_s, e.after_wh, e.user_name, e.reason, "
                       "e.edited_s, e.before_wh, e.edit_id FROM vee_edits e JOIN meters m "
                       f"ON m.meter_key = e.meter_key WHERE 1 = 1{clause} "
                       "ORDER BY e.edit_id DESC LIMIT ?", [*params, int(limit)])
        return [VeeEdit(str(r[0]), int(r[1]), float(r[2]), str(r[3]), str(r[4]), int(r[5]),
                        None if r[6] is None else float(r[6]), int(r[7])) for r in rows]

    def replace_vee_findings(self, meter_key: int, start_s: int, end_s: int,
                             findings: Sequence[VeeFinding]) -> tuple[int, int]:
        wanted = {(f.code, int(f.start_s)): (int(f.end_s), int(f.intervals), f.detail)
                  for f in findings}
        with self.transaction():
            stored = {(str(r[0]), int(r[1])): (int(r[2]), int(r[3]), str(r[4]))
                      for r in self._wx("SELECT code, start_s, end_s, intervals, detail FROM "
                                        "vee_findings WHERE meter_key = ? AND start_s >= ? "
                                        "AND start_s < ?",
                                        (int(meter_key), int(start_s), int(end_s))).fetchall()}
            gone = [k for k, v in stored.items() if wanted.get(k) != v]
            new = [k for k, v in wanted.items() if stored.get(k) != v]
            if gone:
                self._executemany_count(
                    self._sql("DELETE FROM vee_findings WHERE meter_key = ? AND code = ? "
                              "AND start_s = ?"), [(int(meter_key), c, s) for c, s in gone])
            if new:
                self._executemany_count(
                    self._sql("INSERT INTO vee_findings (meter_key, code, start_s, end_s, "
                              "intervals, detail) VALUES (?, ?, ?, ?, ?, ?)"),
                    [(int(meter_key), c, s, *wanted[(c, s)]) for c, s in new])
        return len(new), len(gone)

    def add_vee_coverage(self, meter_key: int, start_s: int, end_s: int) -> bool:
        key, lo, hi = int(meter_key), int(start_s), int(end_s)
        with self.transaction():
            rows = [(int(a), int(b)) for a, b in self._wx(
                "SELECT start_s, end_s FROM vee_coverage WHERE meter_key = ? AND end_s >= ? "
                "AND start_s <= ? ORDER BY start_s", (key, lo, hi)).fetchall()]
            if any(a <= lo and b >= hi for a, b in rows):
                return False
            new_lo = min([lo, *(a for a, _ in rows)])
            new_hi = max([hi, *(b for _, b in rows)])
            if rows:
                self._executemany_count(
                    self._sql("DELETE FROM vee_coverage WHERE meter_key = ? AND start_s = ?"),
                    [(key, a) for a, _ in rows])
            self._wx("INSERT INTO vee_coverage (meter_key, start_s, end_s) VALUES (?, ?, ?)",
                     (key, new_lo, new_hi))
        return True

    def get_vee_coverage(self, meter_key: int) -> list[tuple[int, int]]:
        return [(int(a), int(b)) for a, b in self._q(
            "SELECT start_s, end_s FROM vee_coverage WHERE meter_key = ? ORDER BY start_s",
            (int(meter_key),))]

    def list_vee_findings(self, site_id: str | None = None, meter_id: str | None = None,
                          code: str | None = None, start_s: int | None = None,
                          end_s: int | None = None, limit: int = 1000,
                          offset: int = 0) -> list[VeeFinding]:
        clause, params = "", list[Any]()
        if start_s is not None:
            clause += " AND f.end_s > ?"
            params.append(int(start_s))
        if end_s is not None:
            clause += " AND f.start_s < ?"
            params.append(int(end_s))
        for column, value in (("m.site_id", site_id), ("m.meter_id", meter_id),
                              ("f.code", code)):
            if value is not None:
                clause += f" AND {column} = ?"
                params.append(value)
        rows = self._q("SELECT m.meter_id, f.code, f.start_s, f.end_s, f.intervals, f.detail "
                       "FROM vee_findings f JOIN meters m ON m.meter_key = f.meter_key "
                       f"WHERE 1 = 1{clause} ORDER BY m.meter_id, f.start_s, f.code "
                       "LIMIT ? OFFSET ?", [*params, int(limit), int(offset)])
        return [VeeFinding(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]), str(r[5]))
                for r in rows]
