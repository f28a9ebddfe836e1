"""The three URDB tariffs and the year of 15-minute load of the PySAM cross-check."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import numpy.typing as npt

YEAR = 2018
"""Starts on a Monday and has no 29 February: PySAM's calendar (no DST, no holidays)."""
STEPS = 8760 * 4


def _matrix(peak: tuple[int, int], summer_peak: bool = True) -> list[list[int]]:
    """Period 0 off-peak, 1 peak (weekday hours ``peak``); summer (Jun-Sep) 2/3 if asked."""
    rows = []
    for month in range(12):
        summer = summer_peak and 5 <= month <= 8
        base = 2 if summer else 0
        rows.append([base + (1 if peak[0] <= h < peak[1] else 0) for h in range(24)])
    return rows


def _weekend(summer_peak: bool = True) -> list[list[int]]:
    return [[2 if (summer_peak and 5 <= m <= 8) else 0] * 24 for m in range(12)]


TOU_FLAT: dict[str, Any] = {
    "label": "xcheck-tou-flat", "name": "TOU energy + flat demand + fixed",
    "energyratestructure": [[{"rate": 0.22, "unit": "kWh"}], [{"rate": 0.38, "unit": "kWh"}],
                            [{"rate": 0.25, "unit": "kWh"}], [{"rate": 0.47, "adj": 0.05,
                                                              "unit": "kWh"}]],
    "energyweekdayschedule": _matrix((16, 21)), "energyweekendschedule": _weekend(),
    "flatdemandstructure": [[{"rate": 4.0}]], "flatdemandmonths": [0] * 12,
    "fixedchargefirstmeter": 12.0, "fixedchargeunits": "$/month",
}
"""A TOU + flat tariff: 4 energy periods (winter/summer × off-peak/peak), $4/kW flat demand."""

TOU_DEMAND: dict[str, Any] = {
    "label": "xcheck-tou-demand", "name": "TOU demand + fixed",
    "energyratestructure": [[{"rate": 0.11, "unit": "kWh"}], [{"rate": 0.19, "unit": "kWh"}]],
    "energyweekdayschedule": _matrix((12, 18), summer_peak=False),
    "energyweekendschedule": _weekend(summer_peak=False),
    "demandratestructure": [[{"rate": 0.0}], [{"rate": 9.0}], [{"rate": 2.5}],
                            [{"rate": 14.25}]],
    "demandweekdayschedule": _matrix((16, 21)), "demandweekendschedule": _weekend(),
    "fixedchargefirstmeter": 0.85, "fixedchargeunits": "$/day",
}
"""A TOU demand + fixed tariff: 4 demand periods, a $/day customer charge."""

TIERED: dict[str, Any] = {
    "label": "xcheck-tiered", "name": "Tiered with a daily baseline",
    "energyratestructure": [[{"rate": 0.21, "max": 12, "unit": "kWh daily"},
                             {"rate": 0.27, "max": 20, "unit": "kWh daily"},
                             {"rate": 0.39, "unit": "kWh daily"}]],
    "energyweekdayschedule": [[0] * 24 for _ in range(12)],
    "energyweekendschedule": [[0] * 24 for _ in range(12)],
    "fixedchargefirstmeter": 10.0, "fixedchargeunits": "$/month",
}
"""A tiered tariff: baseline 12 kWh/day, then 20 kWh/day, then the rest."""

TIERED_TOU: dict[str, Any] = {
    "label": "xcheck-tiered-tou", "name": "TOU with monthly tiers",
    "energyratestructure": [[{"rate": 0.20, "max": 300, "unit": "kWh"},
                             {"rate": 0.30, "unit": "kWh"}],
                            [{"rate": 0.35, "max": 300, "unit": "kWh"},
                             {"rate": 0.45, "unit": "kWh"}]],
    "energyweekdayschedule": _matrix((16, 21), summer_peak=False),
    "energyweekendschedule": _weekend(summer_peak=False),
}
"""Tiers under TOU: PySAM's proportional allocation of the monthly total."""

CASES = {"tou_flat": TOU_FLAT, "tou_demand": TOU_DEMAND, "tiered": TIERED,
         "tiered_tou": TIERED_TOU}


def year_load_wh(seed: int = 2018) -> npt.NDArray[np.float64]:
    """A year of 15-minute energy [Wh] in whole 10 Wh pulses (the meter's Kh 10 output):
    a daily shape, a weekday evening peak, summer air-conditioning and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(STEPS)
    hour = (t % 96) / 4.0
    day = t // 96
    shape = 0.35 + 0.25 * np.sin((hour - 7) / 24 * 2 * np.pi) ** 2
    evening = np.where((hour >= 17) & (hour < 22), 0.6, 0.0)
    summer = 0.5 * np.clip(np.sin((day - 120) / 365 * 2 * np.pi), 0, None) * (
        (hour > 12) & (hour < 20))
    kw = shape + evening + summer + rng.gamma(2.0, 0.12, STEPS)
    kw[rng.integers(0, STEPS, 40)] += rng.uniform(2, 6, 40)  # appliance peaks
    return np.round(kw * 250 / 10) * 10  # kW over 15 min -> Wh, whole pulses


def pysam_monthly(item: dict[str, Any], energy_wh: npt.NDArray[np.float64]) -> dict[
        str, list[float]]:
    """PySAM Utilityrate5's year-1 monthly components [$] for the load."""
    import PySAM.Utilityrate5 as ur  # noqa: N813  (PySAM's own examples name it so)
    from PySAM.UtilityRateTools import URDBv8_to_ElectricityRates

    model = ur.new()
    model.ElectricityRates.assign(URDBv8_to_ElectricityRates(copy.deepcopy(item)))
    model.ElectricityRates.rate_escalation = [0]
    model.Lifetime.analysis_period = 1
    model.Lifetime.inflation_rate = 0
    model.Lifetime.system_use_lifetime_output = 0
    model.SystemOutput.gen = [0.0] * STEPS
    model.SystemOutput.degradation = [0]
    model.Load.load = (energy_wh * 4 / 1000).tolist()
    model.Load.load_escalation = [0]
    model.execute()
    out = model.Outputs
    return {"total": list(out.utility_bill_w_sys_ym[1]),
            "energy": list(out.charge_w_sys_ec_ym[1]),
            "demand_flat": list(out.charge_w_sys_dc_fixed_ym[1]),
            "demand_tou": list(out.charge_w_sys_dc_tou_ym[1]),
            "fixed": list(out.charge_w_sys_fixed_ym[1])}
