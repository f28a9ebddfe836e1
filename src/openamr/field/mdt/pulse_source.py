"""Where a software MDT's pulses come from: a file of pulse times, or a GPIO line.

* **a file** (or ``-``, standard input): one pulse per line, its time as ISO 8601 with an
  offset (``2026-03-08T14:15:00.250Z``) or UTC epoch seconds (``1772979300.25``); blank lines
  and ``#`` comments are skipped; a line that is neither is an :class:`InputError` naming the
  line.  The times are the pulses' own (past times are honoured, nothing waits for them).
* **a GPIO line** (``CHIP:LINE``, e.g. ``gpiochip0:17`` or ``/dev/gpiochip0:17``) read through
  the ``gpiod`` library (libgpiod v2 Python bindings): falling edges (the opto-isolated output
  conducting pulls the line low against its pull-up), stamped by the kernel on the realtime
  clock.  ``gpiod`` is imported only here, when a GPIO source is used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from openamr.errors import InputError
from openamr.timeutil import epoch_s, parse_utc

__all__ = ["GpioPulses", "parse_gpio", "read_pulse_times"]


def _time(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        moment = parse_utc(text, where=where)  # InputError naming the line
        return epoch_s(moment) + moment.microsecond / 1e6
    if not math.isfinite(value) or value < 0:
        raise InputError(f"pulse time {text!r} is not a time", where=where)
    return value


def read_pulse_times(lines: Iterable[str], *, name: str = "-") -> Iterator[float]:
    """Pulse times [UTC epoch s] of ``lines``, in order (a time before the previous one is an
    error: pulses come in the order they happened)."""
    last = -math.inf
    for number, raw in enumerate(lines, 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        where = f"{name}:{number}"
        t_s = _time(text, where)
        if t_s < last:
            raise InputError(f"pulse time {text!r} is before the previous one", where=where)
        last = t_s
        yield t_s


@dataclass(frozen=True)
class GpioLine:
    """A GPIO chip (path) and line offset."""

    chip: str
    line: int


def parse_gpio(text: str, *, where: str = "--gpio") -> GpioLine:
    """``CHIP:LINE``: ``gpiochip0:17`` or ``/dev/gpiochip0:17``."""
    chip, sep, line = text.rpartition(":")
    if not sep or not chip or not line.isdigit():
        raise InputError(f"expected CHIP:LINE (e.g. gpiochip0:17), got {text!r}", where=where)
    return GpioLine(chip if chip.startswith("/") else f"/dev/{chip}", int(line))


class GpioPulses:
    """Falling edges of a GPIO line through ``gpiod`` (v2 API: ``request_lines``,
    ``wait_edge_events``, ``read_edge_events``), with the internal pull-up on."""

    def __init__(self, gpio: GpioLine, *, consumer: str = "openamr-mdt") -> None:
        try:
            import gpiod
            from gpiod.line import Bias, Clock, Edge
        except ImportError as exc:
            raise InputError("reading a GPIO line needs the gpiod library (libgpiod v2 "
                             "Python bindings): pip install gpiod", where="--gpio") from exc
        settings = gpiod.LineSettings(edge_detection=Edge.FALLING, bias=Bias.PULL_UP,
                                      event_clock=Clock.REALTIME)
        try:
            self._request: Any = gpiod.request_lines(gpio.chip, consumer=consumer,
                                                     config={gpio.line: settings})
        except OSError as exc:
            raise InputError(f"cannot open {gpio.chip} line {gpio.line}: {exc}",
                             where="--gpio") from exc

    def wait(self, timeout_s: float) -> list[float]:
        """Edge times [UTC epoch s] that arrive within ``timeout_s`` [s] (maybe none)."""
        if not self._request.wait_edge_events(max(timeout_s, 0.0)):
            return []
        return [ns // 1_000_000_000 + (ns % 1_000_000_000) / 1e9
                for ns in (int(e.timestamp_ns) for e in self._request.read_edge_events())]

    def close(self) -> None:
        self._request.release()
