"""Radio parameters: one frozen dataclass holding every figure of the propagation model.

Defaults are those of the reference (``/work/shared/reference/mesh.md`` §4 and §7.3): 915 MHz
log-distance path loss with PL(1 m) = 31.7 dB and n = 3.0, frozen log-normal shadowing
σ = 8 dB, 5 dB per wall, ITU-R P.1238-style floor loss (residential: 4 dB per floor crossed),
metal placement losses of §4.4 (as parameters: the sources are weak), sensitivity −110 dBm,
TX +10 dBm for an MDT and +20 dBm for a repeater or the DCAP, and a logistic delivery curve
(S50 = sensitivity + 1 dB, width 1.5 dB, scaled to frame length).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from openamr.errors import InputError
from openamr.field.overrides import with_numeric_overrides

__all__ = ["RadioParams"]


@dataclass(frozen=True)
class RadioParams:
    """Every parameter of the radio medium; names carry units.

    See ``docs/nomenclature/radio-site.md``.
    """

    frequency_mhz: float = 915.0
    """Carrier frequency [MHz] (informational: ``pl_1m_db`` is what the model uses)."""
    pl_1m_db: float = 31.7
    """Path loss at the 1 m reference distance [dB] (free space at 915 MHz)."""
    path_loss_exponent: float = 3.0
    """Log-distance exponent n [-] (2.2–3.0 indoor)."""
    min_distance_m: float = 1.0
    """Distances shorter than this are taken as this [m]."""
    shadowing_sigma_db: float = 8.0
    """Standard deviation of the frozen per-link log-normal shadowing [dB]."""
    wall_loss_db: float = 5.0
    """Loss of one wall crossed [dB], unless the wall gives its own ``loss_db``."""
    floor_loss_db: float = 4.0
    """Loss per floor crossed [dB] (ITU-R P.1238: residential 4, office 4, commercial 3)."""
    floor_loss_base_db: float = 0.0
    """Extra loss added once when at least one floor is crossed [dB] (office 11, commercial 3):
    ``Lf(n) = floor_loss_base_db + floor_loss_db·n`` for n ≥ 1, 0 for n = 0."""
    near_metal_loss_db: float = 5.0
    """Extra loss of a device mounted near a metal wall, furnace or electrical panel [dB]."""
    near_metal_sigma_db: float = 4.0
    """Extra shadowing σ of a device near metal (antenna detuning) [dB]."""
    metal_box_window_loss_db: float = 15.0
    """Extra loss inside a metal box with a plastic window or gaps [dB]."""
    metal_box_window_sigma_db: float = 6.0
    """Extra shadowing σ inside a metal box with a window [dB]."""
    metal_box_loss_db: float = 25.0
    """Extra loss inside a closed metal box [dB] (15–30+ dB in the literature)."""
    metal_box_sigma_db: float = 8.0
    """Extra shadowing σ inside a closed metal box [dB]."""
    sensitivity_dbm: float = -110.0
    """Receiver sensitivity [dBm]; link margin = RSSI − sensitivity."""
    tx_power_dbm_mdt: float = 10.0
    """Transmit power of an MDT [dBm]."""
    tx_power_dbm_repeater: float = 20.0
    """Transmit power of a repeater [dBm]."""
    tx_power_dbm_dcap: float = 20.0
    """Transmit power of the DCAP [dBm]."""
    delivery_s50_offset_db: float = 1.0
    """RSSI at which half the reference frames arrive, above sensitivity [dB]."""
    delivery_width_db: float = 1.5
    """Width of the logistic delivery curve [dB]."""
    reference_frame_bytes: int = 50
    """Frame length the delivery curve is fitted for [bytes]; PDR_L = PDR_ref^(L/L_ref)."""
    fading_sigma_db: float = 0.0
    """Stationary σ of the optional slow fading [dB]; 0 disables it (≈ 2 dB when enabled)."""
    fading_update_s: float = 3600.0
    """Period of the slow-fading AR(1) update [s]."""
    fading_correlation_ratio: float = 0.7
    """AR(1) coefficient between two successive fading updates [-], in [0, 1)."""
    neighbour_floor_margin_db: float = 10.0
    """Links weaker than ``sensitivity_dbm − neighbour_floor_margin_db`` are not kept [dB]."""
    usable_margin_db: float = 10.0
    """Link margin above which a link counts as usable for coverage checks [dB]
    (the CIT flags links below 10 dB)."""

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"expected a number, got {value!r}", where=f"radio.{field.name}")
            if not math.isfinite(value):
                raise InputError(f"expected a finite number, got {value!r}",
                                 where=f"radio.{field.name}")
        positive = ("min_distance_m", "path_loss_exponent", "delivery_width_db",
                    "reference_frame_bytes", "fading_update_s", "frequency_mhz")
        for name in positive:
            if getattr(self, name) <= 0:
                raise InputError(f"must be positive, got {getattr(self, name)!r}",
                                 where=f"radio.{name}")
        not_negative = ("shadowing_sigma_db", "wall_loss_db", "floor_loss_db",
                        "floor_loss_base_db", "near_metal_loss_db", "near_metal_sigma_db",
                        "metal_box_window_loss_db", "metal_box_window_sigma_db",
                        "metal_box_loss_db", "metal_box_sigma_db", "fading_sigma_db",
                        "neighbour_floor_margin_db")
        for name in not_negative:
            if getattr(self, name) < 0:
                raise InputError(f"must not be negative, got {getattr(self, name)!r}",
                                 where=f"radio.{name}")
        if not 0.0 <= self.fading_correlation_ratio < 1.0:
            raise InputError(f"must be in [0, 1), got {self.fading_correlation_ratio!r}",
                             where="radio.fading_correlation_ratio")

    def with_overrides(self, overrides: dict[str, Any], *, where: str = "radio") -> RadioParams:
        """A copy with ``overrides`` applied; unknown names are refused with the allowed list."""
        return with_numeric_overrides(self, overrides, where=where)

    @staticmethod
    def field_names() -> tuple[str, ...]:
        """The names of every parameter, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(RadioParams))


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)
