"""Rows of a batch grouped by key (an MDT, a meter), arrival order kept inside each group: the
shape both batch bookkeepers of the ingest (:func:`openamr.headend.seqs.settle_runs`,
:meth:`openamr.headend.register_watermarks.RegisterWatermarks.check_many`) work on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["KeyRuns"]


@dataclass(frozen=True)
class KeyRuns:
    """``order`` sorts the rows by key, stably; in that order, group ``g`` (key ``keys[g]``)
    is rows ``starts[g]`` to ``ends[g]`` inclusive."""

    order: npt.NDArray[np.intp]
    starts: npt.NDArray[np.intp]
    ends: npt.NDArray[np.intp]
    keys: list[int]

    @classmethod
    def of(cls, keys: npt.NDArray[np.integer]) -> KeyRuns:
        """Group the rows of ``keys`` (one per row, in arrival order)."""
        n = len(keys)
        order = np.argsort(keys, kind="stable")
        k = keys[order]
        first = np.ones(n, dtype=bool)
        first[1:] = k[1:] != k[:-1]
        starts = np.flatnonzero(first)
        ends = np.append(starts[1:], n) - 1
        return cls(order, starts, ends, k[starts].tolist())

    def previous(self, values: npt.NDArray[np.int64],
                 first: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Per row in key order: the value of the row before it in its group, ``first[g]`` for
        the first row of group ``g`` (``values`` in key order too)."""
        prev = np.empty(len(values), dtype=np.int64)
        prev[1:] = values[:-1]
        prev[self.starts] = first
        return prev

    def all_of(self, row_ok: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """Per group: whether every one of its rows (``row_ok`` in key order) holds."""
        out: npt.NDArray[np.bool_] = np.logical_and.reduceat(row_ok, self.starts)
        return out

    def to_rows(self, group_ok: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """Each group's value on each of its rows, in arrival order."""
        out = np.empty(len(self.order), dtype=bool)
        out[self.order] = np.repeat(group_ok, self.ends - self.starts + 1)
        return out
