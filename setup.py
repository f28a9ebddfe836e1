"""Build hook: the simulator's hot modules compiled with mypyc, on request.

``pip install`` builds pure Python unless ``OPENAMR_COMPILE=1`` is set; then the modules in
``COMPILED_MODULES`` (the event kernel, the mesh, the MDT room's battery ledger, delivery log
and power states: the per-event path of ``openamr sim run``) are compiled to C extensions with
mypyc (it ships with mypy), from the same sources.  ``make compile`` does this in the
checkout's ``.venv``; ``docs/performance.md`` ("The compiled simulator") says what it buys and
how it is tested.  Everything else is configured in ``pyproject.toml``.
"""

from __future__ import annotations

import os

from setuptools import setup

COMPILED_MODULES = [
    "openamr/field/kernel.py",
    "openamr/field/mdt/battery.py",
    "openamr/field/mdt/delivery.py",
    "openamr/field/mdt/power_states.py",
    "openamr/field/mesh/dcap.py",
    "openamr/field/mesh/mac.py",
    "openamr/field/mesh/mdt_node.py",
    "openamr/field/mesh/medium.py",
    "openamr/field/mesh/network.py",
    "openamr/field/mesh/node.py",
    "openamr/field/mesh/params.py",
    "openamr/field/mesh/repeater.py",
    "openamr/field/mesh/router.py",
    "openamr/field/mesh/routing.py",
    "openamr/field/mesh/security.py",
    "openamr/field/mesh/trickle.py",
]
"""Source files (under ``src/``) that ``OPENAMR_COMPILE=1`` compiles."""


def _ext_modules() -> list[object]:
    if os.environ.get("OPENAMR_COMPILE", "") != "1":
        return []
    from mypyc.build import mypycify

    return list(mypycify([os.path.join("src", m) for m in COMPILED_MODULES], opt_level="3"))


setup(ext_modules=_ext_modules())
