"""Where a device is mounted, and what that costs its link (manual §1 and §5.2 "Placement").

The manual's caution: "Like repeaters, MDTs should not be mounted inside a metal box or near a
metal wall (i.e. heating furnace or electrical panel)".  Each placement adds a loss and an
extra shadowing spread to every link of the device (reference mesh.md §4.4); the figures are
:class:`~openamr.field.radio.params.RadioParams` fields because the sources are weak.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.field.radio.params import RadioParams

__all__ = ["Placement", "placement_loss_db", "placement_sigma_db"]


class Placement(StrEnum):
    """Named mounting positions; the value is the site-file spelling."""

    OPEN = "open"
    """Free space or a plastic enclosure: no extra loss."""
    NEAR_METAL = "near_metal"
    """Within a few cm of a metal wall, a furnace or an electrical panel."""
    METAL_BOX_WINDOW = "metal_box_window"
    """Inside a metal box that has a plastic window or gaps."""
    METAL_BOX = "metal_box"
    """Inside a closed metal box (e.g. the electrical panel itself)."""

    @property
    def code(self) -> int:
        """Small integer used in the vectorised node arrays."""
        return _ORDER.index(self)

    @classmethod
    def parse(cls, value: object, *, where: str = "placement") -> Placement:
        """The placement named ``value``; :class:`InputError` listing the known ones otherwise."""
        if isinstance(value, Placement):
            return value
        try:
            return cls(str(value))
        except ValueError:
            known = ", ".join(p.value for p in cls)
            raise InputError(f"unknown placement {value!r}; known: {known}", where=where) from None


_ORDER: tuple[Placement, ...] = tuple(Placement)


def _table(params: RadioParams, what: str) -> npt.NDArray[np.float64]:
    if what == "loss":
        values = (0.0, params.near_metal_loss_db, params.metal_box_window_loss_db,
                  params.metal_box_loss_db)
    else:
        values = (0.0, params.near_metal_sigma_db, params.metal_box_window_sigma_db,
                  params.metal_box_sigma_db)
    return np.array(values, dtype=np.float64)


def placement_loss_db(codes: npt.ArrayLike, params: RadioParams) -> npt.NDArray[np.float64]:
    """Extra loss [dB] of each placement code (see :attr:`Placement.code`)."""
    return _table(params, "loss")[np.asarray(codes, dtype=np.intp)]


def placement_sigma_db(codes: npt.ArrayLike, params: RadioParams) -> npt.NDArray[np.float64]:
    """Extra shadowing standard deviation [dB] of each placement code."""
    return _table(params, "sigma")[np.asarray(codes, dtype=np.intp)]
