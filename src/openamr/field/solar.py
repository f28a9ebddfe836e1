"""A clear-sky photovoltaic production profile: AC power [W] of a PV array over time.

The chain, vectorised over UTC epoch seconds (the formulas are pvlib-python's, named after
its functions so each step can be checked against it: ``tests/field/test_solar.py`` does):

1. **Sun position**: Spencer (1971) declination and equation of time, hour angle, then the
   analytical zenith and azimuth (Duffie & Beckman 2006) — pvlib
   ``solarposition.declination_spencer71``, ``equation_of_time_spencer71``, ``hour_angle``,
   ``solar_zenith_analytical``, ``solar_azimuth_analytical``.  Good to about a degree, which is
   plenty for a load shape.
2. **Clear-sky irradiance**: the Haurwitz (1945) model, GHI = 1098 cos z exp(-0.059 / cos z)
   [W/m²] — pvlib ``clearsky.haurwitz``.
3. **Beam and diffuse**: the Erbs (1982) decomposition with Spencer's extraterrestrial
   irradiance (solar constant 1366.1 W/m²) — pvlib ``irradiance.erbs``,
   ``irradiance.get_extra_radiation``.
4. **Plane of array**: beam on the tilted plane plus isotropic sky diffuse plus ground
   reflection with albedo 0.25 — pvlib ``irradiance.get_total_irradiance(model="isotropic")``.
5. **PVWatts** (Dobos 2014, NREL/TP-6A20-62641): DC = kWp × POA / 1000 at the reference cell
   temperature, less the PVWatts default system losses of 14 %; AC through the PVWatts
   inverter curve (nominal efficiency 0.96, reference 0.9637) whose AC rating is kWp / 1.2
   (PVWatts' default DC/AC ratio) —
   pvlib ``pvsystem.pvwatts_dc``, ``inverter.pvwatts``.

Assumptions (openamr's, not the manual's): a clear sky every day (no clouds, no soiling, no
shading), cells at 25 °C (no temperature derating), the sun at the midpoint of each step.
Azimuth is degrees clockwise from north (180 = south-facing), tilt degrees from horizontal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError

__all__ = [
    "PvArray",
    "clear_sky_ghi_w_m2",
    "erbs_dni_dhi_w_m2",
    "extra_radiation_w_m2",
    "plane_of_array_w_m2",
    "pv_ac_power_w",
    "pvwatts_inverter_ac_w",
    "solar_position_deg",
]

F64 = npt.NDArray[np.float64]

SOLAR_CONSTANT_W_M2 = 1366.1
"""Extraterrestrial irradiance at 1 AU [W/m²] (pvlib's default for Spencer's formula)."""
ALBEDO = 0.25
"""Ground reflectance (pvlib's default)."""
SYSTEM_LOSSES_RATIO = 0.14
"""PVWatts v5 default total system losses (soiling, wiring, mismatch, availability ...)."""
DC_AC_RATIO = 1.2
"""PVWatts v5 default array-to-inverter size ratio."""
INVERTER_EFFICIENCY_NOMINAL = 0.96
INVERTER_EFFICIENCY_REFERENCE = 0.9637


@dataclass(frozen=True)
class PvArray:
    """A PV array: size, orientation and place."""

    kwp: float
    """DC nameplate [kW] at standard test conditions."""
    tilt_deg: float
    """Tilt from horizontal [°], 0–90."""
    azimuth_deg: float
    """Direction the array faces, clockwise from north [°] (180 = south)."""
    latitude_deg: float
    longitude_deg: float
    """East positive [°]."""

    def __post_init__(self) -> None:
        checks = [("kwp", self.kwp, 0.0, 100_000.0), ("tilt_deg", self.tilt_deg, 0.0, 90.0),
                  ("azimuth_deg", self.azimuth_deg, 0.0, 360.0),
                  ("latitude_deg", self.latitude_deg, -90.0, 90.0),
                  ("longitude_deg", self.longitude_deg, -180.0, 180.0)]
        for name, value, lo, hi in checks:
            if not (np.isfinite(value) and lo <= value <= hi):
                raise InputError(f"must be between {lo:g} and {hi:g}, got {value!r}",
                                 where=name)


def _day_of_year(t_s: F64) -> tuple[F64, F64]:
    """(day of year 1–366, UTC hours of the day) of epoch seconds."""
    seconds = np.floor(t_s).astype("datetime64[s]")
    year_start = seconds.astype("datetime64[Y]").astype("datetime64[s]")
    day_start = seconds.astype("datetime64[D]").astype("datetime64[s]")
    doy = (day_start - year_start).astype(np.int64) // 86_400 + 1
    hours = (t_s - day_start.astype(np.int64)) / 3600.0
    return doy.astype(np.float64), hours


def solar_position_deg(t_s: npt.ArrayLike, latitude_deg: float, longitude_deg: float
                       ) -> tuple[F64, F64]:
    """(zenith, azimuth) [°] of the sun at UTC epoch seconds ``t_s`` (azimuth from north)."""
    t = np.asarray(t_s, dtype=np.float64)
    doy, hours = _day_of_year(t)
    day_angle = 2.0 * np.pi * (doy - 1.0) / 365.0
    decl = (0.006918 - 0.399912 * np.cos(day_angle) + 0.070257 * np.sin(day_angle)
            - 0.006758 * np.cos(2 * day_angle) + 0.000907 * np.sin(2 * day_angle)
            - 0.002697 * np.cos(3 * day_angle) + 0.00148 * np.sin(3 * day_angle))
    eot_min = (1440.0 / 2 / np.pi) * (0.0000075 + 0.001868 * np.cos(day_angle)
                                      - 0.032077 * np.sin(day_angle)
                                      - 0.014615 * np.cos(2 * day_angle)
                                      - 0.040849 * np.sin(2 * day_angle))
    hour_angle = np.radians(15.0 * (hours - 12.0) + longitude_deg + eot_min / 4.0)
    lat = np.radians(latitude_deg)
    cos_zen = np.cos(lat) * np.cos(decl) * np.cos(hour_angle) + np.sin(lat) * np.sin(decl)
    zenith = np.arccos(np.clip(cos_zen, -1.0, 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        cos_azi = ((np.cos(zenith) * np.sin(lat) - np.sin(decl))
                   / (np.sin(zenith) * np.cos(lat)))
    cos_azi = np.clip(np.nan_to_num(cos_azi, nan=1.0), -1.0, 1.0)
    azimuth = np.sign(hour_angle) * np.arccos(cos_azi) + np.pi
    return np.degrees(zenith), np.degrees(azimuth)


def extra_radiation_w_m2(t_s: npt.ArrayLike) -> F64:
    """Extraterrestrial normal irradiance [W/m²] (Spencer)."""
    doy, _ = _day_of_year(np.asarray(t_s, dtype=np.float64))
    b = 2.0 * np.pi * (doy - 1.0) / 365.0
    ratio = (1.00011 + 0.034221 * np.cos(b) + 0.00128 * np.sin(b)
             + 0.000719 * np.cos(2 * b) + 0.000077 * np.sin(2 * b))
    out: F64 = SOLAR_CONSTANT_W_M2 * ratio
    return out


def clear_sky_ghi_w_m2(zenith_deg: npt.ArrayLike) -> F64:
    """Clear-sky global horizontal irradiance [W/m²] (Haurwitz); 0 with the sun down."""
    cos_z = np.cos(np.radians(np.asarray(zenith_deg, dtype=np.float64)))
    up = cos_z > 0
    safe = np.where(up, cos_z, 1.0)
    out: F64 = np.where(up, 1098.0 * safe * np.exp(-0.059 / safe), 0.0)
    return out


def erbs_dni_dhi_w_m2(ghi_w_m2: npt.ArrayLike, zenith_deg: npt.ArrayLike,
                      extra_w_m2: npt.ArrayLike) -> tuple[F64, F64]:
    """(DNI, DHI) [W/m²] from GHI by the Erbs diffuse fraction (pvlib's limits: cos z at
    least 0.065 in the clearness index, no beam above 87° zenith)."""
    ghi = np.asarray(ghi_w_m2, dtype=np.float64)
    zen = np.asarray(zenith_deg, dtype=np.float64)
    cos_z = np.cos(np.radians(zen))
    kt = np.clip(ghi / (np.asarray(extra_w_m2, dtype=np.float64) * np.maximum(cos_z, 0.065)),
                 0.0, 1.0)
    df = np.where(kt <= 0.22, 1.0 - 0.09 * kt,
                  np.where(kt <= 0.8, 0.9511 - 0.1604 * kt + 4.388 * kt**2 - 16.638 * kt**3
                           + 12.336 * kt**4, 0.165))
    dhi = df * ghi
    with np.errstate(invalid="ignore", divide="ignore"):
        dni = (ghi - dhi) / cos_z
    bad = (zen > 87.0) | (ghi < 0) | ~(dni >= 0)
    return np.where(bad, 0.0, dni), np.where(bad, ghi, dhi)


def plane_of_array_w_m2(tilt_deg: float, azimuth_deg: float, zenith_deg: F64,
                        sun_azimuth_deg: F64, dni: F64, ghi: F64, dhi: F64) -> F64:
    """Irradiance on the array's plane [W/m²]: beam + isotropic sky diffuse + ground."""
    tilt, zen = np.radians(tilt_deg), np.radians(zenith_deg)
    projection = (np.cos(tilt) * np.cos(zen) + np.sin(tilt) * np.sin(zen)
                  * np.cos(np.radians(sun_azimuth_deg - azimuth_deg)))
    beam = np.maximum(dni * np.clip(projection, -1.0, 1.0), 0.0)
    sky = dhi * (1.0 + np.cos(tilt)) / 2.0
    ground = ghi * ALBEDO * (1.0 - np.cos(tilt)) / 2.0
    out: F64 = beam + sky + ground
    return out


def pvwatts_inverter_ac_w(pdc_w: F64, pdc0_w: float) -> F64:
    """AC power [W] of the PVWatts inverter with DC input limit ``pdc0_w`` [W]."""
    zeta = pdc_w / pdc0_w
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        inverse = np.where(pdc_w != 0, 0.0059 / np.where(pdc_w != 0, zeta, 1.0), 0.0)
    eta = INVERTER_EFFICIENCY_NOMINAL / INVERTER_EFFICIENCY_REFERENCE * (
        -0.0162 * zeta - inverse + 0.9858)
    out: F64 = np.maximum(0.0, np.minimum(INVERTER_EFFICIENCY_NOMINAL * pdc0_w, eta * pdc_w))
    return out


def pv_ac_power_w(array: PvArray, t_s: npt.ArrayLike) -> F64:
    """Clear-sky AC power [W] of ``array`` at UTC epoch seconds ``t_s`` (see the module doc)."""
    t = np.asarray(t_s, dtype=np.float64)
    zenith, sun_azimuth = solar_position_deg(t, array.latitude_deg, array.longitude_deg)
    ghi = clear_sky_ghi_w_m2(zenith)
    dni, dhi = erbs_dni_dhi_w_m2(ghi, zenith, extra_radiation_w_m2(t))
    poa = plane_of_array_w_m2(array.tilt_deg, array.azimuth_deg, zenith, sun_azimuth, dni,
                              ghi, dhi)
    pdc0_w = array.kwp * 1000.0
    pdc = pdc0_w * poa / 1000.0 * (1.0 - SYSTEM_LOSSES_RATIO)
    if pdc0_w == 0:
        return np.zeros_like(t)
    # the inverter's AC rating is kWp / DC_AC_RATIO; its DC input limit that / efficiency
    return pvwatts_inverter_ac_w(pdc, pdc0_w / DC_AC_RATIO / INVERTER_EFFICIENCY_NOMINAL)
