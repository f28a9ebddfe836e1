"""The CT-rated kWh meter (Leviton Mini Meter surface-mount kits, manual §2–§4).

Metrology half: catalogue, metrology, ct, wiring, diagnosis, accuracy.
Outputs half: registers, demand, pulse/counter/LED outputs, tamper.
"""

from openamr.field.meter.accuracy import (
    AccuracyReport,
    PointResult,
    TestPoint,
    ansi_test_points,
    run_accuracy_test,
)
from openamr.field.meter.catalogue import CATALOGUE_NUMBERS, MeterModel, Service, get_model
from openamr.field.meter.ct import CT, ErrorTable
from openamr.field.meter.demand import DemandResult, DemandSettings, compute_demand
from openamr.field.meter.diagnosis import DiagnosisParams, ElementReading, Finding, diagnose
from openamr.field.meter.lcd import LcdReading
from openamr.field.meter.meter import Meter, MeterRunResult
from openamr.field.meter.metrology import (
    DEFAULT_CREEP,
    DEFAULT_SUPPLY,
    CreepParams,
    SupplyParams,
    WaveformMeasurement,
    measure_waveforms,
    register_power_w,
)
from openamr.field.meter.outputs import (
    OutputResult,
    PulseOutput,
    closure_counts_per_interval,
    pulse_counts_per_interval,
    pulse_counts_per_interval_registered,
)
from openamr.field.meter.profile import LoadProfile, ProfileError, read_profile_csv
from openamr.field.meter.registers import EnergyCurve
from openamr.field.meter.tamper import TamperEvent, TamperSwitch
from openamr.field.meter.wiring import (
    ElementMeasurement,
    Wiring,
    line_to_line_voltage_v,
    measure_elements,
    measured_element_powers_w,
)

__all__ = [
    "CATALOGUE_NUMBERS",
    "CT",
    "DEFAULT_CREEP",
    "DEFAULT_SUPPLY",
    "AccuracyReport",
    "CreepParams",
    "DemandResult",
    "DemandSettings",
    "DiagnosisParams",
    "ElementMeasurement",
    "ElementReading",
    "EnergyCurve",
    "ErrorTable",
    "Finding",
    "LcdReading",
    "LoadProfile",
    "Meter",
    "MeterModel",
    "MeterRunResult",
    "OutputResult",
    "PointResult",
    "ProfileError",
    "PulseOutput",
    "Service",
    "SupplyParams",
    "TamperEvent",
    "TamperSwitch",
    "TestPoint",
    "WaveformMeasurement",
    "Wiring",
    "ansi_test_points",
    "closure_counts_per_interval",
    "compute_demand",
    "diagnose",
    "get_model",
    "line_to_line_voltage_v",
    "measure_elements",
    "measure_waveforms",
    "measured_element_powers_w",
    "pulse_counts_per_interval",
    "pulse_counts_per_interval_registered",
    "read_profile_csv",
    "register_power_w",
    "run_accuracy_test",
]
