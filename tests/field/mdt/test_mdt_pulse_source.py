"""Pulse sources of the software MDT: a file of times, a GPIO line through gpiod."""

from __future__ import annotations

import sys
import types
from datetime import timedelta
from typing import Any

import pytest

from openamr.errors import InputError
from openamr.field.mdt.pulse_source import GpioPulses, parse_gpio, read_pulse_times


def test_times_as_iso_or_epoch_with_comments() -> None:
    lines = ["# pulses of M-01\n", "2026-01-01T00:00:00.250Z\n", "\n",
             "1767225601.5  # epoch seconds\n", "2026-01-01T01:00:02+01:00\n"]
    assert list(read_pulse_times(lines, name="p.txt")) == [1767225600.25, 1767225601.5,
                                                           1767225602.0]


@pytest.mark.parametrize(("line", "message"), [
    ("yesterday", "p.txt:2"), ("2026-01-01T00:00:00", "no UTC offset"), ("-5", "not a time"),
    ("1767225599", "before the previous one"), ("nan", "not a time")])
def test_bad_lines_are_named(line: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        list(read_pulse_times(["1767225600\n", line], name="p.txt"))


def test_gpio_names() -> None:
    assert parse_gpio("gpiochip0:17").chip == "/dev/gpiochip0"
    assert parse_gpio("/dev/gpiochip4:5").line == 5
    for bad in ("gpiochip0", "gpiochip0:x", ":4"):
        with pytest.raises(InputError, match="CHIP:LINE"):
            parse_gpio(bad)


def test_without_gpiod_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gpiod", None)  # import gpiod -> ImportError
    with pytest.raises(InputError, match="pip install gpiod"):
        GpioPulses(parse_gpio("gpiochip0:17"))


def test_edges_through_the_gpiod_v2_api(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in of the gpiod v2 calls the adapter makes (an assumption about that API,
    checked here only for how the adapter uses it: falling edges, pull-up, realtime stamps)."""
    asked: dict[str, Any] = {}

    class Request:
        def wait_edge_events(self, timeout: float | timedelta) -> bool:
            asked["timeout"] = timeout
            return True

        def read_edge_events(self) -> list[Any]:
            return [types.SimpleNamespace(timestamp_ns=1_767_225_600_250_000_000)]

        def release(self) -> None:
            asked["released"] = True

    def request_lines(path: str, consumer: str, config: dict[int, Any]) -> Request:
        asked.update(path=path, consumer=consumer, config=config)
        return Request()

    gpiod = types.ModuleType("gpiod")
    line = types.ModuleType("gpiod.line")
    line.Bias = types.SimpleNamespace(PULL_UP="pull_up")  # type: ignore[attr-defined]
    line.Clock = types.SimpleNamespace(REALTIME="realtime")  # type: ignore[attr-defined]
    line.Edge = types.SimpleNamespace(FALLING="falling")  # type: ignore[attr-defined]
    gpiod.LineSettings = lambda **kw: kw  # type: ignore[attr-defined]
    gpiod.request_lines = request_lines  # type: ignore[attr-defined]
    gpiod.line = line  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "gpiod", gpiod)
    monkeypatch.setitem(sys.modules, "gpiod.line", line)
    source = GpioPulses(parse_gpio("gpiochip0:17"))
    assert asked["path"] == "/dev/gpiochip0"
    assert asked["config"] == {17: {"edge_detection": "falling", "bias": "pull_up",
                                    "event_clock": "realtime"}}
    assert source.wait(0.5) == [1767225600.25]
    source.close()
    assert asked["released"]
