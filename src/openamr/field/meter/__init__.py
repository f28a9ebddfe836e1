"""The CT-rated kWh meter (Leviton Mini Meter surface-mount kits, manual §2–§4).

Metrology half: catalogue, metrology, ct, wiring, diagnosis, accuracy.
Outputs half: registers, demand, pulse/counter/LED outputs, tamper.
"""

from openamr.field.meter.catalogue import CATALOGUE_NUMBERS, MeterModel, Service, get_model
from openamr.field.meter.ct import CT, ErrorTable
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
    measure_elements,
    measured_element_powers_w,
)

__all__ = [
    "CATALOGUE_NUMBERS",
    "CT",
    "DEFAULT_CREEP",
    "DEFAULT_SUPPLY",
    "CreepParams",
    "ElementMeasurement",
    "ErrorTable",
    "MeterModel",
    "Service",
    "SupplyParams",
    "WaveformMeasurement",
    "Wiring",
    "get_model",
    "measure_elements",
    "measure_waveforms",
    "measured_element_powers_w",
    "register_power_w",
]
