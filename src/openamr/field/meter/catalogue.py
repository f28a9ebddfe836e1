"""The Mini Meter catalogue: the four surface-mount kits of the manual's Table 1 and their ratings.

The manual gives one table of specifications for all four kits (Table 2, §3.1) and describes
every kit with an LCD and isolated pulse outputs (Table 1): isolated 10/100/1000 Wh pulse
outputs, a counter output, dual-element (1-phase 3-wire 120/240 V split phase or 2-phase 3-wire
120/208 V network) or single-element (1-phase 2-wire) service, 102–138 V L-N supply, 50–60 Hz,
PF 0.5–1.0 leading or lagging, ±0.5 % of registration at PF 1 and ±0.75 % at PF 0.5 from 2 A to
200 A, and at most 8 VA of input power.  The model takes them to share one metering board and to
differ only in the Meter Data Transceiver (MDT): none, TOU, TOU + temperature, TOU + 1 %-delta
temperature — an assumption (the manual does not say "same board").

Each catalogue number comes in a 200 A rating (the default: the manual lists CTs only for it) and
a 100 A rating; ask for the latter with ``get_model(name, rating_a=100)``.
"""

from __future__ import annotations

import cmath
import math
from dataclasses import dataclass
from enum import StrEnum

from openamr.errors import InputError

__all__ = [
    "CATALOGUE_NUMBERS",
    "MeterModel",
    "Service",
    "get_model",
]


class Service(StrEnum):
    """The electrical service the meter is wired to, with the nominal angle of each leg.

    Angles are those of the L-N voltage phasors [deg], L1 at 0°: split phase 120/240 V puts L2
    at 180°; a 120/208 V network takes two phases of a wye, A-B (L2 at −120°, the default
    ``network``) or A-C (``network-ac``, L2 at +120°); single element (1-phase 2-wire) has no L2.
    """

    SPLIT = "split"
    NETWORK = "network"
    NETWORK_AC = "network-ac"
    SINGLE = "single"

    @property
    def leg_angles_deg(self) -> tuple[float, float | None]:
        """Nominal angle of the L1 and L2 voltage phasors [deg] (``None``: no L2)."""
        return _LEG_ANGLES_DEG[self]

    @property
    def elements(self) -> int:
        """Number of metering elements used on this service (1 or 2)."""
        return 1 if self is Service.SINGLE else 2

    def leg_phasor(self, leg: int, voltage_v: float = 120.0) -> complex:
        """Nominal L-N voltage phasor of leg 1 or 2 [V] (0 for the missing L2 of ``single``)."""
        angle_deg = self.leg_angles_deg[leg - 1]
        if angle_deg is None:
            return 0j
        return cmath.rect(voltage_v, math.radians(angle_deg))

    @classmethod
    def parse(cls, value: str | Service, *, where: str = "service") -> Service:
        """The service named ``value``; :class:`InputError` listing the known ones otherwise."""
        if isinstance(value, Service):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            known = ", ".join(s.value for s in cls)
            raise InputError(f"unknown service {value!r}; known: {known}", where=where) from None


_LEG_ANGLES_DEG: dict[Service, tuple[float, float | None]] = {
    Service.SPLIT: (0.0, 180.0),
    Service.NETWORK: (0.0, -120.0),
    Service.NETWORK_AC: (0.0, 120.0),
    Service.SINGLE: (0.0, None),
}


@dataclass(frozen=True)
class MeterModel:
    """One catalogue kit at one current rating (manual §2.4 and §3).

    Fields carry units in their names; see ``docs/nomenclature/meter-metrology.md``.
    """

    catalogue_number: str
    description: str
    mdt: str
    """Meter Data Transceiver fitted: ``none``, ``tou``, ``tou+temperature``,
    ``tou+temperature-1pct-delta``."""
    rated_current_a: float
    """Rated primary current [A] (100 or 200)."""
    max_primary_current_a: float
    """Maximum primary current [A] (110 or 220)."""
    ct_secondary_a: float
    """CT secondary at rated current [A] (0.1 or 0.2)."""
    max_ct_secondary_a: float
    """Maximum CT secondary current [A] (0.11 or 0.22)."""
    ct_part_numbers: tuple[str, ...]
    """Approved Leviton CTs (named only for 200 A: CDA02-K12 black, CDA02-R12 red)."""
    counter_wh_per_count: tuple[int, ...] = (100, 1000)
    """Counter weight [Wh per count] by counter (MPCTR-TKW 0.1 kWh, MPCTR-1KW 1 kWh)."""
    counter_supply_12v: bool = False
    """A +12 VDC output (10 mA) for the counter and the MDT: MMS models only."""
    pulse_outputs_wh: tuple[int, ...] = (10, 100, 1000)
    """Isolated pulse outputs, Kh [Wh per pulse], 50 % duty."""
    has_lcd: bool = True
    services: tuple[Service, ...] = (Service.SINGLE, Service.SPLIT, Service.NETWORK,
                                     Service.NETWORK_AC)
    supply_min_v: float = 102.0
    """Supply range, L1 or L2 to N [V]."""
    supply_max_v: float = 138.0
    nominal_voltage_v: float = 120.0
    frequency_min_hz: float = 50.0
    frequency_max_hz: float = 60.0
    pf_min: float = 0.5
    """Smallest |PF| of the rated range (0.5 to 1.0, leading or lagging)."""
    accuracy_pf1_pct: float = 0.5
    """Accuracy at PF 1.0 [± % of registration], from ``accuracy_min_current_a`` to rated."""
    accuracy_pf05_pct: float = 0.75
    """Accuracy at PF 0.5 [± % of registration]."""
    accuracy_min_current_a: float = 2.0
    accuracy_max_current_a: float = 200.0
    max_input_power_va: float = 8.0
    standard: str = "ANSI C12.1 and C12.16"
    """Accuracy standard named by this manual revision (another revision says ANSI C12.10)."""

    @property
    def ct_ratio(self) -> float:
        """Primary to secondary current ratio (200 A : 0.2 A = 1000).

        The manual (Table 2) lists "220 A primary for 200 A models, 110 A primary for 100 A
        models, 0.11 A secondary for 0.1 A secondary models, 0.22 A secondary for 0.2 A
        secondary models" without pairing them; pairing 200 A with 0.2 A and 100 A with 0.1 A
        (both ratio 1000) is an assumption."""
        return self.rated_current_a / self.ct_secondary_a

    @property
    def has_mdt(self) -> bool:
        """True when the kit includes a wireless Meter Data Transceiver."""
        return self.mdt != "none"


_KITS: dict[str, tuple[str, str]] = {
    "6PSMT-C02": ("Surface Mount Mini Meter Kit, LCD Display, Isolated Pulse Outputs", "none"),
    "MMSMT-C02": ("Surface Mount Mini Meter Kit, LCD Display, Isolated Pulse Outputs, "
                  "TOU enabled kWh Meter Data Transceiver", "tou"),
    "MMSMT-D02": ("Surface Mount Mini Meter Kit, LCD Display, Isolated Pulse Outputs, "
                  "TOU and Temperature enabled kWh Meter Data Transceiver", "tou+temperature"),
    "MMSMT-E02": ("Surface Mount Mini Meter Kit, LCD Display, Isolated Pulse Outputs, "
                  "TOU and 1% Delta Temperature enabled kWh Meter Data Transceiver",
                  "tou+temperature-1pct-delta"),
}

CATALOGUE_NUMBERS: tuple[str, ...] = tuple(_KITS)
"""The catalogue numbers of the manual's Table 1, exactly as printed."""

#: rating [A] -> (max primary [A], CT secondary [A], max secondary [A], CT part numbers); the
#: maxima and part numbers are the manual's (Table 2), the primary/secondary pairing an
#: assumption (see ``MeterModel.ct_ratio``)
_RATINGS: dict[int, tuple[float, float, float, tuple[str, ...]]] = {
    200: (220.0, 0.2, 0.22, ("CDA02-K12", "CDA02-R12")),
    100: (110.0, 0.1, 0.11, ()),
}


def get_model(name: str, rating_a: int = 200) -> MeterModel:
    """The catalogue kit ``name`` (exactly as in Table 1) at ``rating_a`` [A] (200 or 100).

    Raises :class:`InputError` listing the known catalogue numbers (or ratings) otherwise.
    """
    if name not in _KITS:
        raise InputError(
            f"unknown meter model {name!r}; known: {', '.join(CATALOGUE_NUMBERS)}", where="model"
        )
    if rating_a not in _RATINGS:
        raise InputError(f"unknown current rating {rating_a!r} A; known: 200, 100",
                         where="rating_a")
    description, mdt = _KITS[name]
    max_primary_a, secondary_a, max_secondary_a, cts = _RATINGS[rating_a]
    return MeterModel(
        catalogue_number=name,
        description=description,
        mdt=mdt,
        rated_current_a=float(rating_a),
        max_primary_current_a=max_primary_a,
        ct_secondary_a=secondary_a,
        max_ct_secondary_a=max_secondary_a,
        ct_part_numbers=cts,
        counter_supply_12v=name.startswith("MMS"),
    )
