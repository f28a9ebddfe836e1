"""The floors of the house: nothing imports upward, and the field and the head-end meet only
through the frame contract (and in ``openamr.compose`` and the CLI, which compose them)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "openamr"

#: package -> prefixes it must never import
FORBIDDEN = {
    "openamr.field": ("openamr.headend", "openamr.billing", "openamr.web", "openamr.compose",
                      "openamr.cli"),
    "openamr.headend": ("openamr.field", "openamr.web", "openamr.compose", "openamr.cli"),
    "openamr.frames": ("openamr.field", "openamr.headend", "openamr.billing", "openamr.web",
                       "openamr.compose", "openamr.cli"),
    "openamr.billing": ("openamr.field", "openamr.web", "openamr.compose", "openamr.cli"),
    "openamr.web": ("openamr.field.sim", "openamr.compose", "openamr.cli"),
    # the composing floor: where the field and the head-end meet (sim run, portfolio jobs)
    "openamr.compose": ("openamr.web", "openamr.cli"),
}
FLOOR_1 = ("openamr.units", "openamr.timeutil", "openamr.errors")


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


MODULES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_imports_across_the_floors(path: Path) -> None:
    name = _module_name(path)
    imported = _imports(path)
    for package, banned in FORBIDDEN.items():
        if name == package or name.startswith(package + "."):
            bad = sorted(i for i in imported if i.startswith(banned))
            assert not bad, f"{name} imports {bad}"
    if name in FLOOR_1:
        upward = sorted(i for i in imported if i.startswith("openamr.") and i not in FLOOR_1)
        assert not upward, f"{name} (floor 1) imports {upward}"


def test_only_timeutil_converts_time_zones() -> None:
    offenders = []
    for path in MODULES:
        if path.name == "timeutil.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "import zoneinfo" in text or "from zoneinfo" in text or "pytz" in text:
            offenders.append(str(path.relative_to(SRC)))
    assert not offenders, f"time-zone logic outside openamr.timeutil: {offenders}"


def test_the_field_and_the_head_end_meet_in_the_composing_floor() -> None:
    """``openamr.compose`` is where a simulated site feeds the real head-end: it imports both
    (the rule above keeps every other floor from doing so)."""
    imported = set().union(*(_imports(p) for p in (SRC / "compose").rglob("*.py")))
    assert any(i.startswith("openamr.field") for i in imported)
    assert any(i.startswith("openamr.headend") for i in imported)
