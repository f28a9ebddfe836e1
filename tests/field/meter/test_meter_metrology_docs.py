"""The examples of docs/meter-metrology.md run: Python blocks execute, CLI lines exit 0."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from openamr.cli import main

DOC = Path(__file__).resolve().parents[3] / "docs" / "meter-metrology.md"


def _blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of each fenced block."""
    return [(m.group(1), m.group(2))
            for m in re.finditer(r"^```(\w*)\n(.*?)^```$", text, flags=re.S | re.M)]


BLOCKS = _blocks(DOC.read_text(encoding="utf-8"))
PYTHON_BLOCKS = [body for lang, body in BLOCKS if lang == "python"]
CLI_LINES = [line for lang, body in BLOCKS if not lang for line in body.splitlines()
             if line.startswith("openamr meter ")]


def test_doc_has_examples() -> None:
    assert PYTHON_BLOCKS
    assert len(CLI_LINES) >= 3


@pytest.mark.parametrize("code", PYTHON_BLOCKS)
def test_python_examples_run(code: str) -> None:
    exec(compile(code, str(DOC), "exec"), {})


@pytest.mark.parametrize("line", CLI_LINES)
def test_cli_examples_run(line: str) -> None:
    result = CliRunner().invoke(main, shlex.split(line)[1:])
    assert result.exit_code == 0, result.output
