"""The README's command examples run as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from openamr.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _examples() -> list[str]:
    block = README.split("Examples:", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("command", _examples())
def test_readme_example_runs(command: str) -> None:
    args = shlex.split(command)
    assert args[0] == "openamr"
    result = CliRunner().invoke(main, args[1:])
    assert result.exit_code == 0, result.output
    assert result.output.strip()


def test_every_cli_group_in_the_readme_exists() -> None:
    runner = CliRunner()
    for group in sorted(set(re.findall(r"^\| `openamr ([\w-]+)", README, flags=re.M))):
        assert runner.invoke(main, [group, "--help"]).exit_code == 0, group
