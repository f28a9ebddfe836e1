"""The public API of the metrology half: every module's ``__all__`` is complete and importable."""

from __future__ import annotations

import importlib
import inspect

import pytest

import openamr.field.meter as meter_pkg

MODULES = ["catalogue", "metrology", "ct", "wiring", "diagnosis", "accuracy"]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete(name: str) -> None:
    module = importlib.import_module(f"openamr.field.meter.{name}")
    exported = set(module.__all__)
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names missing {attr}"
    public = {
        n for n, obj in vars(module).items()
        if not n.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and getattr(obj, "__module__", None) == module.__name__
    }
    assert public <= exported, f"{name}: not in __all__: {sorted(public - exported)}"


def test_package_reexports_the_metrology_names() -> None:
    for name in ["get_model", "MeterModel", "Service", "CT", "Wiring", "ElementMeasurement",
                 "measured_element_powers_w", "measure_elements", "register_power_w",
                 "diagnose", "Finding", "run_accuracy_test"]:
        assert name in meter_pkg.__all__
        assert hasattr(meter_pkg, name)


def test_measured_element_powers_signature() -> None:
    from openamr.field.meter.wiring import measured_element_powers_w

    params = list(inspect.signature(measured_element_powers_w).parameters)
    assert params == ["service", "load_l1_w", "load_l2_w", "pf1", "pf2", "wiring", "voltage_v",
                      "ct"]
