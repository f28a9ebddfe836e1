"""``openamr mdt run``: a software MDT on a real meter, feeding a head-end over UDP or TCP.

``openamr mdt run --site ID --id ID --eui EUI64 --install-code HEX --headend HOST:PORT
--state DIR (--gpio CHIP:LINE | --pulses FILE|-)``

It runs the MDT core of the simulator (:class:`openamr.field.mdt.software.SoftwareMdt` over
:class:`openamr.field.mdt.device.Mdt`): debounce, 15-minute intervals, the 35-day buffer, join,
ACKs, gap fill, events, status; it keeps its total, frame counters and buffer in ``--state``.
It has no database of its own.  ``--id`` is its meter's id in the head-end (register it first
with ``openamr device add --role mdt``).

* ``--pulses FILE|-``: the pulses' own times (ISO 8601 or epoch seconds per line); nothing
  waits for them.  The MDT reports every report period of those times, and at the end of the
  file until every closed interval is acknowledged (it retries, with back-off, while the
  head-end cannot be reached), then exits 0.  The interval of the last pulse stays open in
  ``--state``: the next run continues it.  A run given the same file again skips the pulses it
  took already.
* ``--gpio CHIP:LINE``: the meter's pulse output on a GPIO line (``docs/mdt-run.md``); it runs
  until stopped, reporting every report period of the wall clock.

Lines on stdout say what happened (joined, acknowledged through a seq, done).  Bad options are a
message and exit status 2.
"""

from __future__ import annotations

import math
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import click

from openamr.errors import InputError
from openamr.field.mdt.link import FrameLink, parse_headend
from openamr.field.mdt.pulse_source import GpioPulses, parse_gpio, read_pulse_times
from openamr.field.mdt.software import SoftwareMdt

__all__ = ["mdt"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def mdt() -> None:
    """A software Meter Data Transceiver on a real meter."""


class _Exchange:
    """Join, send what is pending, apply the answers; saving the flash before every send."""

    def __init__(self, device: SoftwareMdt, link: FrameLink, ack_timeout_s: float) -> None:
        self.device = device
        self.link = link
        self.ack_timeout_s = ack_timeout_s

    def _send(self, frames: list[bytes], t_s: float) -> bool:
        self.device.save()  # the counters these frames used are in flash before they leave
        try:
            self.link.send(frames)
        except OSError as exc:
            click.echo(f"head-end unreachable: {exc}", err=True)
            return False
        for answer in self.link.receive(self.ack_timeout_s, want=len(frames)):
            self.device.downlink(answer, t_s)
        self.device.save()
        return True

    def join(self, t_s: float) -> bool:
        dev = self.device
        if not dev.joined and self._send([dev.join_request()], t_s) and dev.joined:
            click.echo(f"joined: report period {dev.report_period_s} s", nl=True)
        return dev.joined

    def report(self, t_s: float) -> bool:
        """One round; True when nothing is left unacknowledged."""
        dev = self.device
        if not self.join(t_s):
            return False
        frames = dev.uplinks()
        if frames and self._send(frames, t_s):
            click.echo(f"acknowledged through seq {dev.acked_seq}; {dev.pending_records} "
                       f"interval(s) pending", nl=True)
        sys.stdout.flush()
        return dev.pending_records == 0 and dev.pending_events == 0

    def drain(self, t_s: float, retry_max_s: float) -> None:
        """Report until everything closed is acknowledged (back-off while it is not)."""
        wait_s = self.ack_timeout_s
        while not self.report(t_s):
            time.sleep(wait_s)  # the head-end is away: a real device waits too
            wait_s = min(wait_s * 2, retry_max_s)


def _lines(source: str) -> tuple[IO[str], str]:
    if source == "-":
        return sys.stdin, "-"
    path = Path(source)
    if not path.is_file():
        raise InputError("no such file", where=source)
    try:
        return path.open(encoding="utf-8"), source
    except OSError as exc:
        raise InputError(f"cannot read: {exc}", where=source) from exc


@mdt.command("run")
@click.option("--site", "site_id", required=True, metavar="ID", help="The MDT's site.")
@click.option("--id", "meter_id", required=True, metavar="ID",
              help="The MDT's id: its meter's id in the head-end.")
@click.option("--eui", required=True, metavar="EUI64", help="Its EUI-64 (16 hex digits).")
@click.option("--install-code", "install_code", required=True, metavar="HEX",
              help="Its install code (32 hex digits).")
@click.option("--headend", required=True, metavar="HOST:PORT",
              help="openamr serve's frame listener: HOST:PORT (UDP) or tcp://HOST:PORT.")
@click.option("--state", "state_dir", required=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Where the MDT keeps its flash (total, counters, buffer).")
@click.option("--gpio", default=None, metavar="CHIP:LINE",
              help="Read pulses from this GPIO line (falling edges, through gpiod).")
@click.option("--pulses", default=None, metavar="FILE|-",
              help="Read pulse times from a file or stdin (ISO 8601 or epoch s per line).")
@click.option("--ack-timeout-s", type=click.FloatRange(min=0.05), default=2.0,
              show_default=True, help="How long to wait for the head-end's answers [s].")
@click.option("--retry-max-s", type=click.FloatRange(min=0.1), default=60.0,
              show_default=True, help="Longest wait between attempts while unreachable [s].")
def run(site_id: str, meter_id: str, eui: str, install_code: str, headend: str,
        state_dir: Path, gpio: str | None, pulses: str | None, ack_timeout_s: float,
        retry_max_s: float) -> None:
    """Run a software MDT: count pulses into intervals and send them to the head-end."""
    from openamr.headend.provision import check_id, parse_eui, parse_install_code

    if (gpio is None) == (pulses is None):
        raise InputError("give one pulse source: --gpio CHIP:LINE or --pulses FILE|-",
                         where="--gpio/--pulses")
    check_id(site_id, where="--site")
    check_id(meter_id, where="--id")
    target = parse_headend(headend)
    device = SoftwareMdt(state_dir, meter_id=meter_id, eui=int(parse_eui(eui), 16),
                         install_code=bytes.fromhex(parse_install_code(install_code)),
                         follow_headend_clock=gpio is not None)
    link = FrameLink(target)
    exchange = _Exchange(device, link, ack_timeout_s)
    click.echo(f"mdt {meter_id} at site {site_id} (EUI-64 {device.eui:016x}) -> "
               f"{target.transport}://{target.host}:{target.port}; state "
               f"{'restored' if device.restored else 'new'} in {state_dir}")
    try:
        if pulses is not None:
            _run_pulses(exchange, pulses, retry_max_s)
        else:
            assert gpio is not None
            _run_gpio(exchange, gpio)
    finally:
        link.close()


def _next_report_s(t_s: float, period_s: int) -> float:
    """The end of the report period holding ``t_s`` [UTC epoch s]."""
    return float((math.floor(t_s / period_s) + 1) * period_s)


def _run_pulses(exchange: _Exchange, source: str, retry_max_s: float) -> None:
    dev = exchange.device
    stream, name = _lines(source)
    taken = skipped = 0
    booted = False
    if dev.restored and dev.last_pulse_s is not None:
        dev.boot(dev.last_pulse_s)  # where the last run left off
        booted = True
    t_s = dev.last_pulse_s or 0.0
    next_report_s = _next_report_s(t_s, dev.report_period_s)
    try:
        times: Iterator[float] = read_pulse_times(stream, name=name)
        for t_s in times:
            if not booted:  # a new MDT: its clock starts with the first pulse
                dev.boot(t_s)
                booted = True
                next_report_s = _next_report_s(t_s, dev.report_period_s)
            if not dev.pulse(t_s):
                skipped += 1
                continue
            taken += 1
            if t_s >= next_report_s:
                exchange.report(t_s)
                next_report_s = _next_report_s(t_s, dev.report_period_s)
    finally:
        if stream is not sys.stdin:
            stream.close()
    dev.save()
    exchange.drain(dev.last_pulse_s or t_s, retry_max_s)
    click.echo(f"done: {taken} pulse(s) taken, {skipped} already counted; total "
               f"{dev.mdt.total_wh} Wh; every closed interval acknowledged (seq "
               f"{dev.acked_seq})")


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _run_gpio(exchange: _Exchange, gpio: str) -> None:
    dev = exchange.device
    line = GpioPulses(parse_gpio(gpio))
    signal.signal(signal.SIGTERM, _stop)  # systemd's stop: save the flash, exit 0
    try:
        now_s = time.time()
        dev.boot(now_s)
        exchange.report(now_s)
        next_report_s = now_s + dev.report_period_s
        while True:
            edges = line.wait(min(max(next_report_s - time.time(), 0.0), 1.0))
            for t_s in edges:
                dev.pulse(t_s)
            now_s = time.time()
            closed = dev.advance(now_s)
            if edges or closed:
                dev.save()
            if now_s >= next_report_s:
                exchange.report(now_s)
                next_report_s = now_s + dev.report_period_s
    finally:
        dev.save()
        line.close()
