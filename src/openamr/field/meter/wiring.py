"""Wiring: what each metering element measures for a given service, load and installation.

A :class:`Wiring` says where each CT sits (which leg, which way round) and where each voltage
lead is connected.  :func:`measured_element_powers_w` turns the *true* load on each leg into
the active power each element measures (P1, P2), vectorised for long arrays;
:func:`measure_elements` does the full phasor arithmetic (voltage, current, power, PF, angle per
element, line-to-line loads) for diagnosis and the LCD.

Conventions (reference metrology §4.2):

* Leg voltages: L1 = V∠0°; split phase L2 = V∠180°; network A-B L2 = V∠−120°; network A-C
  L2 = V∠+120° (see :class:`~openamr.field.meter.catalogue.Service`).
* A *load PF* is signed by the load's nature: ``pf > 0`` lagging (inductive, current lags the
  voltage by φ = acos(pf)), ``pf < 0`` leading (capacitive, φ = −acos(|pf|)).  The sign of the
  load power says the direction (negative = export); it is not the PF's job.
* A *measured PF* is signed by the measured power: PFk = Pk / |Sk| (negative when Pk < 0).
* θk = ∠Vk − ∠Ik [deg] in (−180, 180]; positive means the measured current lags.
* A CT "normal" on its own leg with the LINE side facing the incoming line measures +I of that
  leg; "reversed" measures −I.  An open voltage lead gives Vk = 0, so Pk = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.field.meter.catalogue import Service
from openamr.field.meter.ct import CT

__all__ = [
    "CT1_VALUES",
    "CT2_VALUES",
    "V1_VALUES",
    "V2_VALUES",
    "ElementMeasurement",
    "Wiring",
    "line_to_line_voltage_v",
    "measure_elements",
    "measured_element_powers_w",
    "wrap_angle_deg",
]

FloatArray = npt.NDArray[np.float64]

CT1_VALUES: tuple[str, ...] = ("normal", "reversed", "L2", "L2-reversed")
"""Where CT1 may be: on L1 the right way or backwards, on L2 the right way or backwards."""
CT2_VALUES: tuple[str, ...] = ("normal", "reversed", "L1", "L1-reversed")
"""Where CT2 may be (mirror of :data:`CT1_VALUES`)."""
V1_VALUES: tuple[str, ...] = ("connected", "open", "L2")
"""Voltage lead 1: on L1, open, or on L2 (leads swapped)."""
V2_VALUES: tuple[str, ...] = ("connected", "open", "L1")
"""Voltage lead 2: on L2, open, or on L1 (leads swapped)."""


@dataclass(frozen=True)
class Wiring:
    """How the meter is wired: each CT's leg and orientation, each voltage lead's leg.

    The default is a correct installation.  Values are those of the CLI (``--ct1 reversed``):
    ``ct1`` in :data:`CT1_VALUES`, ``ct2`` in :data:`CT2_VALUES`, ``v1`` in :data:`V1_VALUES`,
    ``v2`` in :data:`V2_VALUES`.  "CTs swapped" is ``Wiring(ct1="L2", ct2="L1")``.
    """

    ct1: str = "normal"
    ct2: str = "normal"
    v1: str = "connected"
    v2: str = "connected"

    def __post_init__(self) -> None:
        for name, value, allowed in (("ct1", self.ct1, CT1_VALUES), ("ct2", self.ct2, CT2_VALUES),
                                     ("v1", self.v1, V1_VALUES), ("v2", self.v2, V2_VALUES)):
            if value not in allowed:
                raise InputError(f"{value!r} is not one of {', '.join(allowed)}", where=name)

    def ct_leg(self, element: int) -> int:
        """The leg (1 or 2) whose current CT ``element`` carries."""
        value = self.ct1 if element == 1 else self.ct2
        own = element
        other = 3 - element
        return own if value in ("normal", "reversed") else other

    def ct_sign(self, element: int) -> float:
        """+1 for a CT with its LINE side facing the incoming line, −1 when reversed."""
        value = self.ct1 if element == 1 else self.ct2
        return -1.0 if value.endswith("reversed") else 1.0

    def voltage_leg(self, element: int) -> int | None:
        """The leg (1 or 2) voltage lead ``element`` is on, ``None`` when open."""
        value = self.v1 if element == 1 else self.v2
        if value == "open":
            return None
        return element if value == "connected" else 3 - element

    @property
    def is_correct(self) -> bool:
        """True for the correct installation."""
        return self == Wiring()


@dataclass(frozen=True)
class ElementMeasurement:
    """What one metering element sees (arrays or 0-d arrays, broadcast from the inputs).

    ``pf`` and ``angle_deg`` are NaN when the voltage or the current is zero.
    """

    voltage_v: FloatArray
    """rms voltage at the element's voltage input [V]."""
    current_a: FloatArray
    """rms current through the element's CT, referred to the primary [A]."""
    power_w: FloatArray
    """Active power measured by the element [W] (negative: reversed flow as seen by the meter)."""
    pf: FloatArray
    """Measured power factor P/|S|, signed like P."""
    angle_deg: FloatArray
    """θ = ∠V − ∠I [deg] in (−180, 180]; positive when the measured current lags."""


def wrap_angle_deg(angle_deg: npt.ArrayLike) -> FloatArray:
    """An angle [deg] brought into (−180, 180]."""
    a = np.asarray(angle_deg, dtype=float)
    return np.asarray(180.0 - np.mod(180.0 - a, 360.0), dtype=float)


def line_to_line_voltage_v(service: str, voltage_v: float = 120.0) -> float:
    """|V1 − V2| [V] for L-N voltage ``voltage_v``: 240 V split phase, 207.8 V network.

    A line-to-line load drawing ``current_a`` at PF 1 is ``load_ll_w = current_a ×
    line_to_line_voltage_v(service)`` (10 A on 208 V: 2078.5 W).
    """
    svc = Service.parse(service)
    if svc is Service.SINGLE:
        raise InputError("a single-element (2-wire) service has no line-to-line voltage",
                         where="service")
    return abs(svc.leg_phasor(1, voltage_v) - svc.leg_phasor(2, voltage_v))


def _load_angle_rad(pf: npt.ArrayLike) -> FloatArray:
    """Load angle φ [rad] from a signed load PF (positive lagging, negative leading)."""
    pf_arr = np.asarray(pf, dtype=float)
    mag = np.abs(pf_arr)
    if np.any((mag <= 0.0) | (mag > 1.0)):
        raise InputError("a load power factor must satisfy 0 < |pf| <= 1", where="pf")
    return np.asarray(np.copysign(np.arccos(mag), pf_arr), dtype=float)


def _leg_angle_deg(service: Service, leg: int) -> float | None:
    return service.leg_angles_deg[leg - 1]


def _tan_load_angle(pf: npt.ArrayLike) -> FloatArray:
    """tan φ of a signed load PF (positive lagging), validated 0 < |pf| <= 1."""
    pf_arr = np.asarray(pf, dtype=np.float64)
    if pf_arr.ndim == 0:
        value = float(pf_arr)
        if not 0.0 < abs(value) <= 1.0:
            raise InputError("a load power factor must satisfy 0 < |pf| <= 1", where="pf")
        return np.asarray(math.copysign(math.sqrt(1.0 - value * value) / abs(value), value))
    mag = np.abs(pf_arr)
    if mag.size and not (float(mag.min()) > 0.0 and float(mag.max()) <= 1.0):
        raise InputError("a load power factor must satisfy 0 < |pf| <= 1", where="pf")
    # tan φ = sign(pf) · sqrt(1 − pf²) / |pf|, computed in place on one temporary
    np.multiply(mag, mag, out=mag)
    np.subtract(1.0, mag, out=mag)
    np.sqrt(mag, out=mag)
    np.divide(mag, pf_arr, out=mag)
    return mag


def _element_power_w(service: Service, wiring: Wiring, element: int, load_w: npt.ArrayLike,
                     pf: npt.ArrayLike, voltage_v: float, ct: CT | None) -> FloatArray:
    """Power of one element when its CT carries one leg's L-N load (vectorised).

    With k = Δ − δ (Δ the angle from the element's voltage to its CT's leg voltage, δ the CT's
    net lead) and a load at angle φ: P = s·(1 + ε)·load·cos(k + φ)/cos φ
    = load·(A − B·tan φ) with A = s(1 + ε)cos k, B = s(1 + ε)sin k.
    """
    v_leg = wiring.voltage_leg(element)
    i_leg = wiring.ct_leg(element)
    v_angle = None if v_leg is None else _leg_angle_deg(service, v_leg)
    i_angle = _leg_angle_deg(service, i_leg)
    load = np.asarray(load_w, dtype=np.float64)
    shape = np.broadcast_shapes(load.shape, np.shape(pf))
    if v_angle is None or i_angle is None:
        return np.zeros(shape)
    sign = wiring.ct_sign(element)
    delta_deg = float(wrap_angle_deg(v_angle - i_angle))
    if ct is None or ct.is_constant:
        gain = 1.0 if ct is None else 1.0 + ct.ratio_error_pct / 100.0
        k_deg = delta_deg - (0.0 if ct is None else ct.phase_error_deg - ct.phase_compensation_deg)
        if k_deg in (0.0, 180.0, -180.0):
            coef_a, coef_b = (sign * gain if k_deg == 0.0 else -sign * gain), 0.0
        else:
            k_rad = math.radians(k_deg)
            coef_a, coef_b = sign * gain * math.cos(k_rad), sign * gain * math.sin(k_rad)
        if coef_b == 0.0:
            # In phase (or anti-phase) and no CT phase error: ±gain × load, whatever the PF.
            out = np.multiply(load, coef_a, dtype=np.float64)
        else:
            factor = _tan_load_angle(pf)
            if factor.ndim == 0:
                out = np.multiply(load, coef_a - coef_b * float(factor), dtype=np.float64)
            else:
                np.multiply(factor, -coef_b, out=factor)
                factor += coef_a
                out = np.multiply(load, factor, dtype=np.float64)
        if out.shape != shape:
            out = np.broadcast_to(out, shape).copy()
        return np.asarray(out, dtype=np.float64)
    phi = _load_angle_rad(pf)
    abs_pf = np.cos(phi)
    current_a = np.abs(load) / (voltage_v * abs_pf)
    gain_arr = 1.0 + ct.ratio_error_ratio(current_a)
    theta = math.radians(delta_deg) + phi - np.radians(ct.net_phase_lead_deg(current_a))
    return np.asarray(sign * load * gain_arr * np.cos(theta) / abs_pf, dtype=np.float64)


def measured_element_powers_w(
    service: str,
    load_l1_w: npt.ArrayLike,
    load_l2_w: npt.ArrayLike,
    pf1: npt.ArrayLike = 1.0,
    pf2: npt.ArrayLike = 1.0,
    wiring: Wiring = Wiring(),
    voltage_v: float = 120.0,
    ct: CT | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Active power [W] measured by element 1 and element 2 for true L-N loads on L1 and L2.

    ``load_l1_w``/``load_l2_w`` [W] are the true active powers of the L-N loads on each leg
    (arrays or scalars, broadcast together with ``pf1``/``pf2``); ``pf1``/``pf2`` are signed load
    PFs (positive lagging, negative leading).  ``voltage_v`` [V] is the L-N voltage of both legs
    (used only for the current that a current-dependent ``ct`` sees).  For ``single`` service
    there is no L2: ``load_l2_w`` is ignored and P2 is zero.

    Fast path: with no CT or a constant CT, Pk = load·(A − B·tan φ) with scalar A, B; when the
    element's voltage is in phase (or anti-phase) with its CT's current and there is no CT
    phase error, B = 0 and Pk = ±gain·load, one multiplication.  Returns two new arrays of the
    broadcast shape of all inputs.
    """
    svc = Service.parse(service)
    shape = np.broadcast_shapes(np.shape(load_l1_w), np.shape(load_l2_w), np.shape(pf1),
                                np.shape(pf2))
    p1 = _element_power_w(svc, wiring, 1, load_l1_w if wiring.ct_leg(1) == 1 else load_l2_w,
                          pf1 if wiring.ct_leg(1) == 1 else pf2, voltage_v, ct)
    if p1.shape != shape:
        p1 = np.broadcast_to(p1, shape).copy()
    if svc is Service.SINGLE:
        return p1, np.zeros_like(p1)
    p2 = _element_power_w(svc, wiring, 2, load_l2_w if wiring.ct_leg(2) == 2 else load_l1_w,
                          pf2 if wiring.ct_leg(2) == 2 else pf1, voltage_v, ct)
    if p2.shape != shape:
        p2 = np.broadcast_to(p2, shape).copy()
    return p1, p2


def _leg_current_phasor(service: Service, leg: int, load_w: npt.ArrayLike, pf: npt.ArrayLike,
                        voltage_v: float) -> npt.NDArray[np.complex128]:
    angle = _leg_angle_deg(service, leg)
    if angle is None:
        return np.zeros(np.broadcast_shapes(np.shape(load_w), np.shape(pf)), dtype=complex)
    phi = _load_angle_rad(pf)
    mag = np.asarray(load_w, dtype=float) / (voltage_v * np.cos(phi))
    return np.asarray(mag * np.exp(1j * (math.radians(angle) - phi)), dtype=complex)


def measure_elements(
    service: str,
    load_l1_w: npt.ArrayLike = 0.0,
    load_l2_w: npt.ArrayLike = 0.0,
    pf1: npt.ArrayLike = 1.0,
    pf2: npt.ArrayLike = 1.0,
    *,
    load_ll_w: npt.ArrayLike = 0.0,
    pf_ll: npt.ArrayLike = 1.0,
    wiring: Wiring = Wiring(),
    voltage_v: float = 120.0,
    ct: CT | None = None,
) -> tuple[ElementMeasurement, ElementMeasurement]:
    """Full phasor view of both elements: voltage, current, power, PF and angle.

    Loads: ``load_l1_w``/``load_l2_w`` [W] L-N on each leg at signed PFs ``pf1``/``pf2``;
    ``load_ll_w`` [W] a line-to-line load (L1 to L2: 240 V split phase, 208 V network) at signed
    PF ``pf_ll``, whose current leaves on L1 and returns on L2.  ``voltage_v`` [V] is the L-N
    voltage.  ``single`` service has no L2 and refuses a line-to-line load.
    """
    svc = Service.parse(service)
    if svc is Service.SINGLE and np.any(np.asarray(load_ll_w) != 0):
        raise InputError("a single-element (2-wire) service has no line-to-line load",
                         where="load_ll_w")
    v_leg = {1: svc.leg_phasor(1, voltage_v), 2: svc.leg_phasor(2, voltage_v)}
    i_leg = {1: _leg_current_phasor(svc, 1, load_l1_w, pf1, voltage_v),
             2: _leg_current_phasor(svc, 2, load_l2_w, pf2, voltage_v)}
    if svc is not Service.SINGLE:
        v_ll = v_leg[1] - v_leg[2]
        phi = _load_angle_rad(pf_ll)
        i_ll = (np.asarray(load_ll_w, dtype=float) / (abs(v_ll) * np.cos(phi))
                * np.exp(1j * (np.angle(v_ll) - phi)))
        i_leg = {1: i_leg[1] + i_ll, 2: i_leg[2] - i_ll}
    out = []
    for element in (1, 2):
        leg = wiring.voltage_leg(element)
        v = 0j if leg is None or (svc is Service.SINGLE and element == 2) else v_leg[leg]
        i = wiring.ct_sign(element) * i_leg[wiring.ct_leg(element)]
        if svc is Service.SINGLE and element == 2:
            i = np.zeros_like(i)
        if ct is not None:
            i = ct.apply_phasor(i)
        v_arr, i_arr = np.broadcast_arrays(np.asarray(v, dtype=complex), np.asarray(i))
        s = v_arr * np.conj(i_arr)
        power = np.asarray(s.real, dtype=float)
        apparent = np.abs(s)
        defined = (np.abs(v_arr) > 0) & (np.abs(i_arr) > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            pf = np.where(defined, power / np.where(defined, apparent, 1.0), np.nan)
        angle = np.where(defined, wrap_angle_deg(np.degrees(np.angle(v_arr) - np.angle(i_arr))),
                         np.nan)
        out.append(ElementMeasurement(
            voltage_v=np.asarray(np.abs(v_arr), dtype=float),
            current_a=np.asarray(np.abs(i_arr), dtype=float),
            power_w=power,
            pf=np.asarray(pf, dtype=float),
            angle_deg=np.asarray(angle, dtype=float),
        ))
    return out[0], out[1]


