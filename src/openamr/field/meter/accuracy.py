"""ANSI-style accuracy testing of the meter model, CTs included.

The meter is tested as a meter shop would: a reference standard applies a known load per leg
(same current on both elements, 120 V, dual element on split phase) and times the meter's
Kh = 10 Wh test output.  :func:`run_accuracy_test` runs each test point *through the model*
(:func:`~openamr.field.meter.wiring.measured_element_powers_w` with the given CT, then
:func:`~openamr.field.meter.metrology.register_power_w`) and reports % registration::

    %REG = 100 · N · Kh · 3600 / (P_true · T_N)

where ``T_N`` is the time the meter takes to complete ``N`` (default 400) pulses.  Timing N
complete pulses (rather than counting pulses in a fixed time) has no ±1-pulse quantisation; with
a constant load it equals the exact energy integral 100·P_registered/P_true, so the ideal model
gives 100.000 %.

Test points for a test current TA [A]: FL (TA, PF 1), LL (10 % TA, PF 1), PF lag (TA, PF 0.5
lagging), PF lead (TA, PF 0.5 leading) and the spec corners 2 A and 200 A at PF 1 and PF 0.5
lagging.  Limits are the meter's: ±0.5 % at PF 1, ±0.75 % at PF 0.5.  The regulators' averages
(4 NCAC 11 R08-11) are reported too: method 1 (4·FL + LL)/5, method 2 (FL + LL)/2, method 4
(4·FL + 2·LL + PF)/7.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from openamr.errors import InputError
from openamr.field.meter.catalogue import Service, get_model
from openamr.field.meter.ct import CT
from openamr.field.meter.metrology import DEFAULT_CREEP, CreepParams, RegisterMode, register_power_w
from openamr.field.meter.wiring import measured_element_powers_w
from openamr.units import S_PER_H

__all__ = [
    "AccuracyReport",
    "PointResult",
    "TestPoint",
    "ansi_test_points",
    "phase_error_from_pf05_error_deg",
    "phase_error_registration_pct",
    "point_registration",
    "run_accuracy_test",
]

LIMIT_PF1_PCT = 0.5
LIMIT_PF05_PCT = 0.75


@dataclass(frozen=True)
class TestPoint:
    """One accuracy test point: ``current_a`` [A primary per element] at signed load ``pf``
    (positive lagging, negative leading), with its pass band ``limit_pct`` [± % REG]."""

    __test__ = False  # not a pytest class

    name: str
    current_a: float
    pf: float
    limit_pct: float


@dataclass(frozen=True)
class PointResult:
    """The outcome of one test point (JSON keys are these field names)."""

    name: str
    current_a: float
    pf: float
    registration_pct: float
    limit_pct: float
    passed: bool
    true_power_w: float
    registered_power_w: float
    pulses: int
    duration_s: float | None
    """Time to complete ``pulses`` Kh pulses [s]; None when the meter does not register."""

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        return asdict(self)


@dataclass(frozen=True)
class AccuracyReport:
    """All test points, plus the regulators' averages [% REG]."""

    points: tuple[PointResult, ...]
    ta_a: float
    ct_phase_error_deg: float
    ct_ratio_error_pct: float

    def point(self, name: str) -> PointResult:
        """The result of the point called ``name``."""
        for p in self.points:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def averages(self) -> dict[str, float]:
        """Method 1 (4FL+LL)/5, method 2 (FL+LL)/2, method 4 (4FL+2LL+PF)/7 [% REG]."""
        fl = self.point("FL").registration_pct
        ll = self.point("LL").registration_pct
        pf = self.point("PF_lag").registration_pct
        return {
            "method_1_pct": (4 * fl + ll) / 5,
            "method_2_pct": (fl + ll) / 2,
            "method_4_pct": (4 * fl + 2 * ll + pf) / 7,
        }

    @property
    def passed(self) -> bool:
        """True when every point is within its limit."""
        return all(p.passed for p in self.points)

    def to_dict(self) -> dict[str, object]:
        """JSON form: ``points`` (list), ``averages``, ``passed`` and the test conditions."""
        return {
            "ta_a": self.ta_a,
            "ct_phase_error_deg": self.ct_phase_error_deg,
            "ct_ratio_error_pct": self.ct_ratio_error_pct,
            "points": [p.to_dict() for p in self.points],
            "averages": self.averages,
            "passed": self.passed,
        }


def _limit(pf: float) -> float:
    return LIMIT_PF1_PCT if abs(pf) > 0.75 else LIMIT_PF05_PCT


def ansi_test_points(ta_a: float, light_load_ratio: float = 0.1, *,
                     rating_a: int = 200) -> tuple[TestPoint, ...]:
    """The test points for test amperes ``ta_a`` [A] (see the module docstring).

    ``rating_a`` (200 or 100) is the kit's rating: the high corner is tested at it (the 100 A
    kit at 100 A, not at the 200 A of the manual's accuracy line, which is above its 110 A
    maximum) and ``ta_a`` may not exceed the kit's maximum rated current (220 A or 110 A,
    manual Table 2)."""
    max_a = get_model("6PSMT-C02", rating_a).max_primary_current_a
    if not (math.isfinite(ta_a) and 0 < ta_a <= max_a):
        raise InputError(f"test amperes must be in (0, {max_a:g}] A for the {rating_a} A kit; "
                         f"got {ta_a}", where="ta_a")
    if not 0 < light_load_ratio <= 1:
        raise InputError("light-load ratio must be in (0, 1]", where="light_load_ratio")
    raw = [
        ("FL", ta_a, 1.0),
        ("LL", light_load_ratio * ta_a, 1.0),
        ("PF_lag", ta_a, 0.5),
        ("PF_lead", ta_a, -0.5),
        ("2A_PF1", 2.0, 1.0),
        ("2A_PF0.5", 2.0, 0.5),
        (f"{rating_a}A_PF1", float(rating_a), 1.0),
        (f"{rating_a}A_PF0.5", float(rating_a), 0.5),
    ]
    return tuple(TestPoint(name, cur, pf, _limit(pf)) for name, cur, pf in raw)


def point_registration(point: TestPoint, ct: CT | None = None, *, voltage_v: float = 120.0,
                       kh_wh: float = 10.0, pulses: int = 400, mode: RegisterMode = "net",
                       creep: CreepParams = DEFAULT_CREEP) -> PointResult:
    """Run one test point through the model (split phase, both elements at the same current)."""
    if pulses < 1 or kh_wh <= 0:
        raise InputError("need at least one pulse of positive Kh", where="pulses")
    load_w = voltage_v * point.current_a * abs(point.pf)
    p1, p2 = measured_element_powers_w(Service.SPLIT, load_w, load_w, point.pf, point.pf,
                                       voltage_v=voltage_v, ct=ct)
    registered_w = float(register_power_w(p1, p2, mode=mode, creep=creep))
    true_w = 2.0 * load_w
    if registered_w > 0:
        duration_s: float | None = pulses * kh_wh * S_PER_H / registered_w
        assert duration_s is not None
        reg_pct = 100.0 * pulses * kh_wh * S_PER_H / (true_w * duration_s)
    else:
        duration_s = None
        reg_pct = 0.0
    return PointResult(
        name=point.name, current_a=point.current_a, pf=point.pf,
        registration_pct=reg_pct, limit_pct=point.limit_pct,
        passed=abs(reg_pct - 100.0) <= point.limit_pct,
        true_power_w=true_w, registered_power_w=registered_w,
        pulses=pulses if duration_s is not None else 0, duration_s=duration_s,
    )


def run_accuracy_test(ta_a: float, ct_phase_error_deg: float = 0.0,
                      ct_ratio_error_pct: float = 0.0, *, ct: CT | None = None,
                      voltage_v: float = 120.0, kh_wh: float = 10.0, pulses: int = 400,
                      mode: RegisterMode = "net", rating_a: int = 200) -> AccuracyReport:
    """All ANSI-style points at test amperes ``ta_a`` [A].

    ``ct_phase_error_deg`` is the CTs' net uncompensated lead [deg], ``ct_ratio_error_pct``
    their ratio error [%]; both build a constant :class:`CT` unless ``ct`` is given (e.g. a
    current-dependent one).  Both elements use the same CT.
    """
    for name, value in (("ct_phase_error_deg", ct_phase_error_deg),
                        ("ct_ratio_error_pct", ct_ratio_error_pct)):
        if not math.isfinite(value):
            raise InputError(f"{name} must be a finite number", where=name)
    if abs(ct_phase_error_deg) >= 30.0 or abs(ct_ratio_error_pct) >= 50.0:
        raise InputError("CT errors this large are not a CT: |phase| < 30 deg, |ratio| < 50 %",
                         where="ct")
    if ct is None and (ct_phase_error_deg or ct_ratio_error_pct):
        ct = CT(ratio_error_pct=ct_ratio_error_pct, phase_error_deg=ct_phase_error_deg)
    points = tuple(point_registration(p, ct, voltage_v=voltage_v, kh_wh=kh_wh, pulses=pulses,
                                      mode=mode)
                   for p in ansi_test_points(ta_a, rating_a=rating_a))
    return AccuracyReport(points=points, ta_a=float(ta_a),
                          ct_phase_error_deg=float(ct_phase_error_deg),
                          ct_ratio_error_pct=float(ct_ratio_error_pct))


def phase_error_registration_pct(pf: float, phase_lead_deg: float) -> float:
    """Closed form: %REG = 100·cos(φ − δ)/cos φ for a load at signed PF (φ > 0 lagging) and a
    net CT lead δ [deg] (reference §5.3: δ = 0.25° at PF 0.5 → 100.755 lag, 99.243 lead)."""
    phi = math.copysign(math.acos(abs(pf)), pf)
    return 100.0 * math.cos(phi - math.radians(phase_lead_deg)) / math.cos(phi)


def phase_error_from_pf05_error_deg(error_pct: float) -> float:
    """The ADE calibration inverse: phase error [deg] = −asin(e/√3) for a PF 0.5 lagging
    registration error ``error_pct`` [%] (+0.75 % → −0.248°), i.e. the compensation to apply."""
    return math.degrees(-math.asin(error_pct / 100.0 / math.sqrt(3.0)))
