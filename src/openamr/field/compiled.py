"""The compiled simulator: which modules run as mypyc extensions, and a guard against stale ones.

``make compile`` (``OPENAMR_COMPILE=1 pip install -e .``, see ``setup.py``) compiles the
simulator's per-event modules to C extensions beside their sources; Python then imports the
extension, not the ``.py`` file.  In a source checkout an extension older than its source would
run code that is no longer there, so importing :mod:`openamr.field` refuses it
(:func:`check_fresh`) and says how to rebuild.  Installed packages are not checked (their files
all date from the installation).
"""

from __future__ import annotations

import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

from openamr.errors import StaleExtensionError

__all__ = ["StaleExtensionError", "check_fresh", "compiled_modules", "stale_extensions"]

_FIELD = Path(__file__).resolve().parent
_CHECKOUT = _FIELD.parents[2]
"""The repository root when running from a source checkout (``src/openamr/field``)."""


def compiled_modules() -> list[str]:
    """Names of the loaded ``openamr`` modules that run as compiled extensions, sorted."""
    suffixes = tuple(EXTENSION_SUFFIXES)
    return sorted(name for name, module in list(sys.modules.items())
                  if name.startswith("openamr.")
                  and str(getattr(module, "__file__", None) or "").endswith(suffixes))


def stale_extensions(root: Path = _FIELD) -> list[Path]:
    """The sources under ``root`` edited after their compiled extension was built."""
    suffixes = tuple(EXTENSION_SUFFIXES)
    stale = []
    for ext in root.rglob("*"):
        if not ext.name.endswith(suffixes):
            continue
        source = ext.with_name(ext.name.split(".", 1)[0] + ".py")
        if source.is_file() and source.stat().st_mtime > ext.stat().st_mtime:
            stale.append(source)
    return sorted(stale)


def check_fresh(root: Path = _FIELD, checkout: Path = _CHECKOUT) -> None:
    """Raise :class:`StaleExtensionError` if the source checkout ``checkout`` holds compiled
    modules under ``root`` older than their sources (nothing to check outside a checkout: an
    installed package has no ``setup.py`` above it)."""
    if not (checkout / "setup.py").is_file():
        return
    stale = stale_extensions(root)
    if stale:
        names = ", ".join(str(p.relative_to(checkout)) for p in stale)
        raise StaleExtensionError(
            f"compiled modules are older than their sources ({names}): run `make compile` "
            "again, or `make clean-compiled` to run the pure Python modules")
