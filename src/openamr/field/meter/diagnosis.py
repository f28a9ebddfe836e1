"""Installation diagnosis: findings from what each metering element measures.

:func:`diagnose` takes one :class:`ElementReading` per element (active power, and when known PF,
voltage, current) and the service, and returns :class:`Finding` values with stable dotted codes;
it never raises on a bad installation (the caller decides what to do).  Rules (reference
metrology §4.3), with ``I_min`` ≈ the starting current, ``V_min`` = 20 % of nominal and
``PF_low`` = 0.55:

``wiring.voltage_missing``
    Vk < V_min: the element has current but no voltage (lead open, fuse blown), Pk = 0 and the
    register sees about half a balanced load.
``supply.out_of_range``
    Vk outside the rated 102–138 V (but above V_min); element ``None`` when no leg reaches the
    operating minimum (the meter is not powered, the LCD is off).
``wiring.ct_wrong_phase``
    network (120/208 V) only: |PFk| < PF_low while the other element looks healthy, or PFk
    is low and negative (a CT 120° away from its voltage).  A correct 208 V line-to-line load
    shows |PF| = 0.866 per element and is not flagged.
``wiring.ct_reversed``
    Pk < −P_noload with the element carrying current.  On split phase a CT on the wrong leg gives
    exactly the same 180° signature: this code is returned for both (the remedy covers both).
``load.insufficient``
    no element carries the starting current: the load LED cannot cycle.

Faults no measurement reveals: both CTs swapped *and* both reversed on split phase (identical
to a correct installation), and a CT on the wrong leg versus a reversed CT on split phase (the
same signature).  See docs/meter-metrology.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from openamr.errors import InputError
from openamr.field.meter.catalogue import Service
from openamr.field.meter.metrology import DEFAULT_CREEP, DEFAULT_SUPPLY, SupplyParams
from openamr.field.meter.wiring import ElementMeasurement

__all__ = [
    "CODES",
    "REMEDIES",
    "DiagnosisParams",
    "ElementReading",
    "Finding",
    "diagnose",
]

#: remedies quoted from the manual: troubleshooting (§7) and CT installation (§4.5)
REMEDIES: dict[str, str] = {
    "wiring.ct_reversed": (
        "Verify CT connections and orientations: the LINE side of CT must face incoming Line "
        "(white lead to X2, colored lead to X1), and CT1 must be on Line 1, CT2 on Line 2. "
        "Check to make sure the reverse phase indicator is not on."
    ),
    "wiring.ct_wrong_phase": (
        "Make sure that current and voltage connections are in phase "
        "(e.g. CT1 on Line 1, CT2 on Line 2). Verify CT connections and orientations."
    ),
    "wiring.voltage_missing": (
        "Test the voltage being supplied to the meter using an AC voltmeter. Make sure all "
        "connections are wired properly. With power off, remove any additional line fuses and "
        "test with ohmmeter."
    ),
    "load.insufficient": "Make sure there is sufficient load to draw the required current.",
    "supply.out_of_range": (
        "Test the voltage being supplied to the meter using an AC voltmeter "
        "(L1 to Neutral and L2 to Neutral must be within 102-138 VAC). "
        "Check power connections and fuses."
    ),
}

CODES: tuple[str, ...] = tuple(REMEDIES)
"""Every finding code :func:`diagnose` can return."""


@dataclass(frozen=True)
class Finding:
    """One diagnosis finding: a stable dotted ``code``, the element (1, 2 or None for the
    meter as a whole), a human ``message`` and the manual's ``remedy``."""

    code: str
    element: int | None
    message: str
    remedy: str

    def to_dict(self) -> dict[str, object]:
        """The JSON form: keys ``code``, ``element``, ``message``, ``remedy``."""
        return asdict(self)


@dataclass(frozen=True)
class ElementReading:
    """What is known about one element: power always; PF, voltage, current, angle when measured.

    ``pf`` is the measured signed PF P/|S| in [−1, 1]; ``voltage_v`` [V] and ``current_a``
    [A primary] are rms values; ``angle_deg`` is θ = ∠V − ∠I [deg] (used for the PF, cos θ,
    when ``pf`` is not given).
    """

    power_w: float
    pf: float | None = None
    voltage_v: float | None = None
    current_a: float | None = None
    angle_deg: float | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.power_w):
            raise InputError("element power must be a finite number", where="power_w")
        if self.pf is not None and not -1.0 <= self.pf <= 1.0:
            raise InputError(f"a measured power factor lies in [-1, 1]; got {self.pf}",
                             where="pf")
        for name, value in (("voltage_v", self.voltage_v), ("current_a", self.current_a)):
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise InputError(f"{name} must be a non-negative number; got {value}",
                                 where=name)
        if self.angle_deg is not None and not math.isfinite(self.angle_deg):
            raise InputError("angle must be a finite number of degrees", where="angle_deg")

    @classmethod
    def from_measurement(cls, m: ElementMeasurement) -> ElementReading:
        """A reading from a (scalar) :class:`ElementMeasurement` of the wiring model."""
        pf = float(m.pf)
        angle = float(m.angle_deg)
        return cls(power_w=float(m.power_w), pf=None if math.isnan(pf) else pf,
                   voltage_v=float(m.voltage_v), current_a=float(m.current_a),
                   angle_deg=None if math.isnan(angle) else angle)

    def effective_pf(self) -> float | None:
        """The given PF, else cos θ, else P/(V·I) when both are known and non-zero, else None."""
        if self.pf is not None:
            return self.pf
        if self.angle_deg is not None:
            return math.cos(math.radians(self.angle_deg))
        if self.voltage_v and self.current_a:
            return max(-1.0, min(1.0, self.power_w / (self.voltage_v * self.current_a)))
        return None


@dataclass(frozen=True)
class DiagnosisParams:
    """Thresholds of the diagnosis rules (reference §4.3)."""

    pf_low: float = 0.55
    """|PF| below which a network element is suspected of a 120° phasing error."""
    voltage_min_ratio: float = 0.2
    """V_min as a fraction of nominal: below it an element 'has no voltage'."""
    min_current_a: float = DEFAULT_CREEP.start_current_a
    """I_min [A primary] ≈ the starting current."""
    noload_w: float = DEFAULT_CREEP.element_noload_w
    """|P| [W] below which an element counts as carrying no power."""
    supply: SupplyParams = field(default_factory=lambda: DEFAULT_SUPPLY)

    @property
    def voltage_min_v(self) -> float:
        """V_min [V]."""
        return self.voltage_min_ratio * self.supply.nominal_v


def _idle(r: ElementReading, p: DiagnosisParams) -> bool:
    if r.current_a is not None:
        return r.current_a < p.min_current_a
    return abs(r.power_w) < p.noload_w


def diagnose(service: str | Service, readings: Sequence[ElementReading],
             params: DiagnosisParams | None = None) -> list[Finding]:
    """Findings for the readings of each element (one for ``single``, two otherwise).

    Returns an empty list when nothing is wrong.  Raises :class:`InputError` only for unusable
    input (unknown service, wrong number of readings).
    """
    p = params or DiagnosisParams()
    svc = Service.parse(service)
    if len(readings) < svc.elements:
        raise InputError(f"{svc.value} service needs {svc.elements} element reading(s), "
                         f"got {len(readings)}", where="readings")
    elems = list(readings[: svc.elements])
    findings: list[Finding] = []

    def add(code: str, element: int | None, message: str) -> None:
        findings.append(Finding(code, element, message, REMEDIES[code]))

    voltages = [r.voltage_v for r in elems]
    if all(v is not None for v in voltages) and max(v or 0.0 for v in voltages) < (
            p.supply.operating_min_v):
        add("supply.out_of_range", None,
            f"no supply leg reaches {p.supply.operating_min_v:g} V: the meter is not powered "
            "and the LCD is off")

    no_voltage: set[int] = set()
    for k, r in enumerate(elems, start=1):
        if r.voltage_v is None:
            continue
        if r.voltage_v < p.voltage_min_v:
            no_voltage.add(k)
            if r.current_a is not None and r.current_a >= p.min_current_a:
                add("wiring.voltage_missing", k,
                    f"element {k} carries {r.current_a:g} A but sees only {r.voltage_v:g} V "
                    "(current without voltage): its energy is not registered")
            else:
                add("wiring.voltage_missing", k,
                    f"element {k} sees only {r.voltage_v:g} V (below {p.voltage_min_v:g} V): "
                    "its voltage lead is open or the leg is not energised")
        elif not p.supply.min_v <= r.voltage_v <= p.supply.max_v:
            add("supply.out_of_range", k,
                f"element {k} voltage {r.voltage_v:g} V is outside the rated "
                f"{p.supply.min_v:g}-{p.supply.max_v:g} V L-N")

    active = [k for k, r in enumerate(elems, start=1) if k not in no_voltage and not _idle(r, p)]
    pfs = {k: elems[k - 1].effective_pf() for k in active}
    network = svc in (Service.NETWORK, Service.NETWORK_AC)
    negative = [k for k in active if elems[k - 1].power_w < -p.noload_w]
    for k in active:
        r = elems[k - 1]
        pf = pfs[k]
        if network and pf is not None and abs(pf) < p.pf_low:
            other = [pfs.get(j) for j in active if j != k]
            other_ok = any(o is not None and abs(o) >= p.pf_low for o in other)
            if pf < 0 or other_ok:
                add("wiring.ct_wrong_phase", k,
                    f"element {k} power factor {pf:+.3f} (|PF| < {p.pf_low:g}) on a 120/208 V "
                    f"network: CT{k} is probably on a phase 120 degrees away from voltage "
                    f"lead {k}")
                continue
        if k in negative:
            if svc is Service.SPLIT:
                why = (f"CT{k} is reversed (LINE side facing the load) or on the other leg: "
                       "on split phase both give the same 180-degree signature")
            else:
                why = f"CT{k} is reversed (LINE side facing the load)"
            if len(negative) == len(elems) > 1:
                why += "; both elements are negative: both CTs reversed or CT1 and CT2 swapped"
            add("wiring.ct_reversed", k,
                f"element {k} measures {r.power_w:g} W (reverse phase): {why}")

    if not active and not no_voltage:
        add("load.insufficient", None,
            f"no element carries the starting current ({p.min_current_a:g} A, about "
            f"{p.noload_w:g} W): the load LED cannot cycle and nothing registers")
    return findings


