"""The clear-sky PV profile against pvlib-python, step by step (a differential test), and its
physical sense: zero at night, peak near solar noon, bounded by the inverter."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from openamr.errors import InputError
from openamr.field.solar import (
    DC_AC_RATIO,
    INVERTER_EFFICIENCY_NOMINAL,
    PvArray,
    clear_sky_ghi_w_m2,
    erbs_dni_dhi_w_m2,
    extra_radiation_w_m2,
    plane_of_array_w_m2,
    pv_ac_power_w,
    pvwatts_inverter_ac_w,
    solar_position_deg,
)
from openamr.timeutil import UTC, epoch_s

pd = pytest.importorskip("pandas")
pvlib = pytest.importorskip("pvlib")

LAT, LON = 37.77, -122.42  # San Francisco
T = np.arange(epoch_s(datetime(2026, 1, 1, tzinfo=UTC)), epoch_s(datetime(2027, 1, 1,
              tzinfo=UTC)), 3 * 3600 + 900, dtype=np.int64)


def _times() -> object:
    return pd.DatetimeIndex(pd.to_datetime(T, unit="s", utc=True))


def test_sun_position_matches_pvlib_analytical() -> None:
    times = _times()
    doy = times.day_of_year.to_numpy()
    decl = pvlib.solarposition.declination_spencer71(doy)
    eot = pvlib.solarposition.equation_of_time_spencer71(doy)
    ha = pvlib.solarposition.hour_angle(times, LON, eot)
    zen = pvlib.solarposition.solar_zenith_analytical(np.radians(LAT), np.radians(ha), decl)
    azi = pvlib.solarposition.solar_azimuth_analytical(np.radians(LAT), np.radians(ha), decl,
                                                       zen)
    zenith, azimuth = solar_position_deg(T, LAT, LON)
    np.testing.assert_allclose(zenith, np.degrees(zen), atol=1e-9)
    np.testing.assert_allclose(azimuth, np.degrees(np.asarray(azi)), atol=1e-9)
    # and within a degree of pvlib's full solar position algorithm (NREL SPA)
    spa = pvlib.solarposition.get_solarposition(times, LAT, LON)
    assert np.max(np.abs(zenith - spa["zenith"].to_numpy())) < 1.0


def test_irradiance_and_pvwatts_match_pvlib() -> None:
    times = _times()
    zenith, sun_az = solar_position_deg(T, LAT, LON)
    ghi = clear_sky_ghi_w_m2(zenith)
    np.testing.assert_allclose(ghi, pvlib.clearsky.haurwitz(pd.Series(zenith, index=times))
                               ["ghi"].to_numpy(), atol=1e-9)
    extra = extra_radiation_w_m2(T)
    np.testing.assert_allclose(extra, pvlib.irradiance.get_extra_radiation(
        times.day_of_year.to_numpy(), method="spencer"), rtol=1e-12)
    dni, dhi = erbs_dni_dhi_w_m2(ghi, zenith, extra)
    ref = pvlib.irradiance.erbs(ghi, zenith, times.day_of_year.to_numpy())
    np.testing.assert_allclose(dni, ref["dni"], atol=1e-9)
    np.testing.assert_allclose(dhi, ref["dhi"], atol=1e-9)
    poa = plane_of_array_w_m2(30.0, 200.0, zenith, sun_az, dni, ghi, dhi)
    total = pvlib.irradiance.get_total_irradiance(30.0, 200.0, zenith, sun_az, dni, ghi, dhi,
                                                  albedo=0.25, model="isotropic")
    np.testing.assert_allclose(poa, total["poa_global"], atol=1e-9)
    pdc = pvlib.pvsystem.pvwatts_dc(poa, 25.0, 5000.0, -0.004) * 0.86
    limit = 5000.0 / DC_AC_RATIO / INVERTER_EFFICIENCY_NOMINAL
    np.testing.assert_allclose(pvwatts_inverter_ac_w(pdc, limit),
                               pvlib.inverter.pvwatts(pdc, limit), atol=1e-9)
    array = PvArray(5.0, 30.0, 200.0, LAT, LON)
    np.testing.assert_allclose(pv_ac_power_w(array, T), pvlib.inverter.pvwatts(pdc, limit),
                               atol=1e-9)


def test_profile_makes_physical_sense() -> None:
    day = epoch_s(datetime(2026, 6, 21, tzinfo=UTC))
    t = np.arange(day, day + 86_400, 60, dtype=np.float64)
    power = pv_ac_power_w(PvArray(5.0, 30.0, 180.0, LAT, LON), t)
    assert power.min() == 0.0
    assert power.max() <= 5000.0 / DC_AC_RATIO + 1e-9
    assert power.max() > 3000.0  # a clear June day at 37.8 N
    # solar noon in San Francisco is near 20:10 UTC
    noon_h = (t[np.argmax(power)] - day) / 3600
    assert 19.5 < noon_h < 20.8
    # midnight local (08:00 UTC) is dark
    assert power[8 * 60] == 0.0
    # about 30-35 kWh on the best day of a 5 kWp array, 14 % losses, no clouds
    assert 25_000 < power.sum() / 60 < 40_000


def test_bad_arrays_are_refused() -> None:
    with pytest.raises(InputError, match="tilt_deg"):
        PvArray(5.0, 95.0, 180.0, LAT, LON)
    with pytest.raises(InputError, match="latitude_deg"):
        PvArray(5.0, 30.0, 180.0, 91.0, LON)
