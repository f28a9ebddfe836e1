"""The manual's limits of a kit (Table 2), checked where the meter model runs.

* supply: 102–138 V L1 or L2 to neutral (``MeterModel.supply_min_v`` / ``supply_max_v``);
* maximum rated current: 220 A primary for 200 A models, 110 A for 100 A models
  (``MeterModel.max_primary_current_a``).

The model keeps running outside them (a real meter does, less accurately or not for long); the
check says so, by value: ``openamr meter simulate`` prints and returns it (``limits``,
``warnings``), the site simulator refuses a site whose meter load exceeds its kit's maximum
current (:func:`peak_current_a`).  The Kh 10 output (terminal 10) is the MDT's: the manual marks
it "NOT TO BE USED FOR FIELD WIRING" (§3.2), so the model feeds it to the MDT and to nothing
else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.field.meter.catalogue import MeterModel

__all__ = ["LimitCheck", "check_limits", "peak_current_a"]


def peak_current_a(load_w: npt.ArrayLike, voltage_v: float = 120.0,
                   pf: npt.ArrayLike = 1.0) -> float:
    """Highest current [A] of an L-N load ``load_w`` [W] at ``voltage_v`` [V] and ``pf``."""
    w = np.abs(np.asarray(load_w, dtype=np.float64))
    if w.size == 0 or voltage_v <= 0:
        return 0.0
    p = np.abs(np.asarray(pf, dtype=np.float64))
    return float(np.max(w / (voltage_v * np.where(p > 0, p, 1.0))))


@dataclass(frozen=True)
class LimitCheck:
    """A run against the kit's limits (manual Table 2)."""

    supply_v: float
    """The L-N voltage the meter saw [V]."""
    supply_min_v: float
    supply_max_v: float
    peak_current_a: float
    """Highest primary current of a leg during the run [A]."""
    max_current_a: float
    """The kit's maximum rated primary current [A] (220 or 110)."""
    warnings: tuple[str, ...] = field(default=())

    @property
    def supply_in_range(self) -> bool:
        """The supply was within 102–138 V."""
        return self.supply_min_v <= self.supply_v <= self.supply_max_v

    @property
    def current_in_range(self) -> bool:
        """No leg exceeded the maximum rated current."""
        return self.peak_current_a <= self.max_current_a

    def to_dict(self) -> dict[str, Any]:
        """JSON keys of ``meter simulate``'s ``limits``."""
        return {"supply_v": self.supply_v, "supply_min_v": self.supply_min_v,
                "supply_max_v": self.supply_max_v, "supply_in_range": self.supply_in_range,
                "peak_current_a": round(self.peak_current_a, 3),
                "max_current_a": self.max_current_a, "current_in_range": self.current_in_range}


def check_limits(model: MeterModel, supply_v: float, peak_a: float) -> LimitCheck:
    """The limits of ``model`` for a run at ``supply_v`` [V] with legs up to ``peak_a`` [A]."""
    warnings: list[str] = []
    if not model.supply_min_v <= supply_v <= model.supply_max_v:
        warnings.append(f"supply {supply_v:g} V is outside the kit's {model.supply_min_v:g}–"
                        f"{model.supply_max_v:g} V (manual Table 2)")
    if peak_a > model.max_primary_current_a:
        warnings.append(f"a leg draws {peak_a:.1f} A, above the {model.rated_current_a:g} A "
                        f"kit's maximum rated current of {model.max_primary_current_a:g} A "
                        "(manual Table 2)")
    return LimitCheck(float(supply_v), model.supply_min_v, model.supply_max_v, float(peak_a),
                      model.max_primary_current_a, tuple(warnings))
