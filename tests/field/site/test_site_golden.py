"""Golden outputs: the check report of the example and a small generated site.

A change of the radio model, the generator or the writer shows up here as a diff.  After an
intended change, regenerate with ``OPENAMR_REGEN_GOLDEN=1 python -m pytest tests/field/site``
and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from openamr.cli import main
from openamr.field.site import site_to_toml
from openamr.field.site.generate import generate_site

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
EXAMPLE = HERE.parents[2] / "examples" / "small-building.toml"


def _compare(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OPENAMR_REGEN_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}"
    assert text == path.read_text(encoding="utf-8")


def test_check_of_the_example() -> None:
    result = CliRunner().invoke(main, ["site", "check", "--json", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    _compare("small-building.check.json", result.output)


@pytest.mark.parametrize("order", ["manual", "reverse"])
def test_small_generated_site(order: str) -> None:
    text = site_to_toml(generate_site(12, 2, seed=1, order=order,  # type: ignore[arg-type]
                                      start_utc="2026-03-02T08:00:00Z"))
    _compare(f"generated-12-2-seed1-{order}.toml", text)
