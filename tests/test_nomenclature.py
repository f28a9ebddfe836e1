"""Every public dataclass field of openamr appears in the nomenclature (docs/nomenclature*)."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from pathlib import Path

import openamr

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _documented_names() -> set[str]:
    texts = [(DOCS / "nomenclature.md").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((DOCS / "nomenclature").glob("*.md"))]
    return set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)", "\n".join(texts)))


def _public_dataclass_fields() -> dict[str, str]:
    """field name -> one place that defines it (module.Class)."""
    fields: dict[str, str] = {}
    for info in pkgutil.walk_packages(openamr.__path__, "openamr."):
        if ".cli" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if isinstance(obj, type) and dataclasses.is_dataclass(obj):
                for f in dataclasses.fields(obj):
                    if not f.name.startswith("_"):
                        fields.setdefault(f.name, f"{obj.__module__}.{obj.__qualname__}")
    return fields


def test_every_public_field_is_in_the_nomenclature() -> None:
    documented = _documented_names()
    missing = {n: where for n, where in _public_dataclass_fields().items() if n not in documented}
    assert not missing, "undocumented public names (add them to docs/nomenclature/<room>.md): " + \
        ", ".join(f"{n} ({w})" for n, w in sorted(missing.items()))
