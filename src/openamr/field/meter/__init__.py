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
from openamr.field.meter.diagnosis import DiagnosisParams, ElementReading, Finding, diagnose
from openamr.field.meter.metrology import (
    DEFAULT_CREEP,
    DEFAULT_SUPPLY,
    CreepParams,
    SupplyParams,
    WaveformMeasurement,
    measure_waveforms,
    register_power_w,
)
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
    "DiagnosisParams",
    "ElementMeasurement",
    "ElementReading",
    "ErrorTable",
    "Finding",
    "MeterModel",
    "PointResult",
    "Service",
    "SupplyParams",
    "TestPoint",
    "WaveformMeasurement",
    "Wiring",
    "ansi_test_points",
    "diagnose",
    "get_model",
    "line_to_line_voltage_v",
    "measure_elements",
    "measure_waveforms",
    "measured_element_powers_w",
    "register_power_w",
    "run_accuracy_test",
]
