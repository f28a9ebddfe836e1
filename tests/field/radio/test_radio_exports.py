"""The public API of the radio and site packages: ``__all__`` is complete and importable."""

from __future__ import annotations

import importlib
import inspect

import pytest

PACKAGES = {
    "openamr.field.radio": ["params", "placement", "hashing", "propagation", "links", "delivery",
                            "fading", "medium"],
    "openamr.field.site": ["model", "load", "write"],
}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_all_is_complete(package: str) -> None:
    pkg = importlib.import_module(package)
    exported = set(pkg.__all__)
    for name in exported:
        assert hasattr(pkg, name), f"{package}.{name} is in __all__ but missing"
    for sub in PACKAGES[package]:
        module = importlib.import_module(f"{package}.{sub}")
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                assert name in exported, f"{module.__name__}.{name} not re-exported by {package}"


def test_loads_all() -> None:
    loads = importlib.import_module("openamr.field.loads")
    for name in loads.__all__:
        assert hasattr(loads, name)
