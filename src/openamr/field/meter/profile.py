"""Piecewise-constant load profiles: the true load on each leg, step by step.

A :class:`LoadProfile` is a list of steps.  Step ``i`` starts at ``t_s[i]`` and its load
(``l1_w[i]``, ``l2_w[i]`` at power factors ``pf1[i]``, ``pf2[i]``) holds until the next step
starts; the last step holds until the end of the run.  Before the first step the load is zero.
Times are simulation seconds from power-up (``sim_t_s``).

The CSV form has the header ``t_s,l1_w,l2_w`` with optional ``pf1,pf2`` columns (default 1.0)::

    t_s,l1_w,l2_w,pf1,pf2
    0,1200,1200,1.0,1.0
    600,0,0,1.0,1.0

:func:`read_profile_csv` refuses a malformed file with an :class:`~openamr.errors.InputError`
that names the file and line.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError

__all__ = [
    "PF_MAX",
    "PF_MIN",
    "LoadProfile",
    "ProfileError",
    "ProfileSteps",
    "check_pf",
    "read_profile_csv",
]

FloatArray = npt.NDArray[np.float64]

PF_MIN = 0.5
"""Smallest power-factor magnitude the meter is specified for (manual §3.1: 0.5 to 1.0)."""

PF_MAX = 1.0
"""Largest power-factor magnitude."""

_REQUIRED = ("t_s", "l1_w", "l2_w")
_OPTIONAL = ("pf1", "pf2")


class ProfileError(InputError):
    """A load profile that cannot be used (bad CSV, bad values)."""


def check_pf(pf: float, *, where: str) -> float:
    """Return ``pf`` if its magnitude is in [0.5, 1.0] (negative = leading), else raise."""
    if not math.isfinite(pf) or not PF_MIN <= abs(pf) <= PF_MAX:
        raise ProfileError(
            f"power factor {pf!r} is outside the meter's range: |PF| must be in "
            f"[{PF_MIN}, {PF_MAX}] (negative = leading)",
            where=where,
        )
    return pf


@dataclass(frozen=True)
class ProfileSteps:
    """The steps of a profile cut to one run ``[0, duration_s)``.

    ``t_s`` has one more element than the per-step arrays: the boundaries, from 0 to
    ``duration_s``.  Every step has a positive length.
    """

    t_s: FloatArray
    """Step boundaries [s], ``t_s[0] = 0``, ``t_s[-1] = duration_s``, strictly increasing."""
    l1_w: FloatArray
    """True load on leg 1 during each step [W]."""
    l2_w: FloatArray
    """True load on leg 2 during each step [W]."""
    pf1: FloatArray
    """Power factor of the leg-1 load during each step [-] (negative = leading)."""
    pf2: FloatArray
    """Power factor of the leg-2 load during each step [-]."""

    @property
    def length_s(self) -> FloatArray:
        """Length of each step [s]."""
        return np.diff(self.t_s)

    def __len__(self) -> int:
        return int(self.l1_w.shape[0])


@dataclass(frozen=True)
class LoadProfile:
    """A piecewise-constant load per leg: step start times [s], loads [W] and power factors."""

    t_s: FloatArray
    l1_w: FloatArray
    l2_w: FloatArray
    pf1: FloatArray
    pf2: FloatArray

    def __post_init__(self) -> None:
        arrays = [np.asarray(a, dtype=np.float64) for a in
                  (self.t_s, self.l1_w, self.l2_w, self.pf1, self.pf2)]
        n = arrays[0].shape
        if arrays[0].ndim != 1 or n[0] == 0:
            raise ProfileError("a load profile needs at least one step")
        for name, a in zip(("t_s", "l1_w", "l2_w", "pf1", "pf2"), arrays, strict=True):
            if a.shape != n:
                raise ProfileError(f"{name} has shape {a.shape}, expected {n}")
            if not np.all(np.isfinite(a)):
                raise ProfileError(f"{name} holds a non-finite value")
        t = arrays[0]
        if t[0] < 0:
            raise ProfileError(f"step start times must not be negative (t_s = {t[0]!r})")
        if np.any(np.diff(t) <= 0):
            raise ProfileError("step start times must be strictly increasing")
        for name, pf in (("pf1", arrays[3]), ("pf2", arrays[4])):
            bad = ~((np.abs(pf) >= PF_MIN) & (np.abs(pf) <= PF_MAX))
            if np.any(bad):
                check_pf(float(pf[np.argmax(bad)]), where=name)
        for name, a in zip(("t_s", "l1_w", "l2_w", "pf1", "pf2"), arrays, strict=True):
            a.setflags(write=False)
            object.__setattr__(self, name, a)

    @classmethod
    def constant(
        cls, l1_w: float, l2_w: float = 0.0, pf1: float = 1.0, pf2: float | None = None
    ) -> LoadProfile:
        """A constant load from power-up: ``l1_w``, ``l2_w`` [W] at ``pf1``, ``pf2`` (= pf1)."""
        pf2 = pf1 if pf2 is None else pf2
        return cls(
            t_s=np.array([0.0]),
            l1_w=np.array([float(l1_w)]),
            l2_w=np.array([float(l2_w)]),
            pf1=np.array([float(pf1)]),
            pf2=np.array([float(pf2)]),
        )

    @classmethod
    def from_steps(
        cls,
        t_s: Any,
        l1_w: Any,
        l2_w: Any,
        pf1: Any = 1.0,
        pf2: Any = 1.0,
    ) -> LoadProfile:
        """Build a profile from sequences (scalars broadcast) of start times [s] and loads [W]."""
        t = np.asarray(t_s, dtype=np.float64)
        return cls(
            t_s=t,
            l1_w=np.broadcast_to(np.asarray(l1_w, dtype=np.float64), t.shape).copy(),
            l2_w=np.broadcast_to(np.asarray(l2_w, dtype=np.float64), t.shape).copy(),
            pf1=np.broadcast_to(np.asarray(pf1, dtype=np.float64), t.shape).copy(),
            pf2=np.broadcast_to(np.asarray(pf2, dtype=np.float64), t.shape).copy(),
        )

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    def steps(self, duration_s: float) -> ProfileSteps:
        """Cut the profile to ``[0, duration_s)``: steps starting at or after the end are
        dropped, a zero-load step is added before a first step that starts after 0."""
        if not math.isfinite(duration_s) or duration_s <= 0:
            raise ProfileError(f"duration must be positive, got {duration_s!r}",
                               where="duration_s")
        keep = self.t_s < duration_s
        t = self.t_s[keep]
        l1, l2 = self.l1_w[keep], self.l2_w[keep]
        pf1, pf2 = self.pf1[keep], self.pf2[keep]
        if t.shape[0] == 0 or t[0] > 0:
            t = np.concatenate(([0.0], t))
            l1, l2 = np.concatenate(([0.0], l1)), np.concatenate(([0.0], l2))
            pf1, pf2 = np.concatenate(([1.0], pf1)), np.concatenate(([1.0], pf2))
        bounds = np.concatenate((t, [float(duration_s)]))
        return ProfileSteps(t_s=bounds, l1_w=l1.copy(), l2_w=l2.copy(),
                            pf1=pf1.copy(), pf2=pf2.copy())


def _number(text: str, column: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ProfileError(f"column {column}: {text.strip()!r} is not a number",
                           where=where) from None
    if not math.isfinite(value):
        raise ProfileError(f"column {column}: {text.strip()!r} is not a finite number",
                           where=where)
    return value


def read_profile_csv(path: str | Path) -> LoadProfile:
    """Read a load profile CSV (header ``t_s,l1_w,l2_w`` and optional ``pf1,pf2``).

    Each row's load holds from its ``t_s`` [s] until the next row's.  Refused, with the file
    and line named: a missing file, a missing or unknown column, a row with too few or too many
    cells, a non-numeric or non-finite value, a negative ``t_s``, a ``t_s`` not greater than
    the previous row's (unsorted or duplicate), a power factor whose magnitude is outside
    [0.5, 1.0], and a file without data rows.  Blank lines are skipped.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ProfileError("no such file", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read the profile: {exc}", where=str(path)) from None
    reader = csv.reader(text.splitlines())
    header: list[str] | None = None
    rows: list[tuple[float, float, float, float, float]] = []
    columns: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        where = f"{path}:{line}"
        if not cells or all(not c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip() for c in cells]
            unknown = [c for c in header if c not in _REQUIRED + _OPTIONAL]
            missing = [c for c in _REQUIRED if c not in header]
            if missing:
                raise ProfileError(
                    f"missing column(s) {', '.join(missing)}; the header must be "
                    f"t_s,l1_w,l2_w with optional pf1,pf2 (got {','.join(header)})",
                    where=where)
            if unknown:
                raise ProfileError(
                    f"unknown column(s) {', '.join(unknown)}; allowed: "
                    f"{', '.join(_REQUIRED + _OPTIONAL)}", where=where)
            if len(set(header)) != len(header):
                raise ProfileError("a column is named twice in the header", where=where)
            columns = {name: i for i, name in enumerate(header)}
            continue
        if len(cells) != len(header):
            raise ProfileError(
                f"expected {len(header)} values ({','.join(header)}), got {len(cells)}",
                where=where)
        values = {name: _number(cells[i], name, where) for name, i in columns.items()}
        t = values["t_s"]
        if t < 0:
            raise ProfileError(f"t_s must not be negative, got {t!r}", where=where)
        if rows and t <= rows[-1][0]:
            word = "duplicate" if t == rows[-1][0] else "unsorted"
            raise ProfileError(
                f"{word} t_s {t!r}: each row's t_s must be greater than the previous "
                f"row's ({rows[-1][0]!r})", where=where)
        pf1 = check_pf(values.get("pf1", 1.0), where=f"{where} (pf1)")
        pf2 = check_pf(values.get("pf2", 1.0), where=f"{where} (pf2)")
        rows.append((t, values["l1_w"], values["l2_w"], pf1, pf2))
    if header is None:
        raise ProfileError("empty file: expected the header t_s,l1_w,l2_w", where=f"{path}:1")
    if not rows:
        raise ProfileError("no data rows after the header", where=str(path))
    data = np.array(rows, dtype=np.float64)
    return LoadProfile(t_s=data[:, 0], l1_w=data[:, 1], l2_w=data[:, 2],
                       pf1=data[:, 3], pf2=data[:, 4])
