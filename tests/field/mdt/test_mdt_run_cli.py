"""``openamr mdt run``'s refusals: each is a message naming the option and exit status 2."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from openamr.cli import main

EUI, CODE = "70b3d5a000000001", "00112233445566778899aabbccddeeff"


def _run(tmp_path: Path, *extra: str, eui: str = EUI, code: str = CODE,
         headend: str = "127.0.0.1:9") -> tuple[int, str]:
    result = CliRunner().invoke(main, [
        "mdt", "run", "--site", "b1", "--id", "M-01", "--eui", eui, "--install-code", code,
        "--headend", headend, "--state", str(tmp_path / "state"), *extra])
    return result.exit_code, result.output


def test_bad_options(tmp_path: Path) -> None:
    pulses = tmp_path / "p.txt"
    pulses.write_text("1767225600\nnot a time\n")
    cases = [
        ((), {}, "give one pulse source"),
        (("--pulses", str(pulses), "--gpio", "gpiochip0:1"), {}, "give one pulse source"),
        (("--pulses", str(pulses)), {"eui": "123"}, "not an EUI-64"),
        (("--pulses", str(pulses)), {"code": "abcd"}, "not 32 hex digits"),
        (("--pulses", str(pulses)), {"headend": "nowhere"}, "HOST:PORT"),
        (("--pulses", str(tmp_path / "missing.txt")), {}, "no such file"),
        (("--pulses", str(pulses)), {}, "p.txt:2"),
        (("--gpio", "gpiochip0"), {}, "CHIP:LINE"),
    ]
    for extra, kw, message in cases:
        code, output = _run(tmp_path, *extra, **kw)
        assert code == 2, (extra, output)
        assert message in output, (extra, output)


def test_gpio_without_gpiod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gpiod", None)
    code, output = _run(tmp_path, "--gpio", "gpiochip0:17")
    assert code == 2
    assert "pip install gpiod" in output
