"""``openamr import intervals FILE.csv`` and ``openamr import greenbutton FILE``: bulk-load
interval data into the store.

``import greenbutton`` loads a utility's Green Button feed for one meter (a building's master
meter): see :mod:`openamr.headend.greenbutton_import` for what is read and how readings of any
length are put on the 15-minute grid.  The same rules as the CSV import apply: a malformed
file is refused whole (exit status 2) naming the entry and element, and storing is idempotent.

``import intervals``:

The file is ``meter_id,start,energy_wh`` with ``start`` ISO 8601 carrying an offset (``Z``).
It is read whole and checked first: any malformed line refuses the WHOLE file with its line
number (exit status 2) and nothing is stored.  Then it is stored in chunks, one transaction
each, idempotently: rows already stored with the same energy count as duplicates; rows stored
with another energy are conflicts, kept unchanged and recorded as rejections.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.headend.ids import check_id, is_safe_id
from openamr.headend.store import QUALITIES, AmbiguousIdError, Meter, Site, Store, open_store
from openamr.headend.store.base import DEFAULT_MAX_POWER_W
from openamr.timeutil import epoch_s, format_utc, parse_utc, site_zone
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["GreenButtonSummary", "ImportSummary", "import_", "import_greenbutton",
           "import_intervals_csv", "read_intervals_csv"]

HEADER = ("meter_id", "start", "energy_wh")
CHUNK_ROWS = 100_000
MAX_START_S = 1 << 33
"""Interval starts are stored as 0 <= start_s < 2**33 (the store's interval key)."""
"""Rows stored per transaction."""


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import did (also the ``--json`` output)."""

    file: str
    rows_read: int
    inserted: int
    duplicates: int
    """Rows already stored with the same energy, or repeated in the file with the same energy."""
    conflicts: int
    """Rows stored with another energy: the stored row is kept, a rejection is recorded."""
    meters_created: int


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """A checked file: meter ids and one code per row, starts, energies, line numbers."""

    meter_ids: list[str]
    meter_code: npt.NDArray[np.int64]
    start_s: npt.NDArray[np.int64]
    energy_wh: npt.NDArray[np.float64]
    line: npt.NDArray[np.int64]


def read_intervals_csv(path: Path, progress: Callable[[int], None] | None = None) -> ParsedFile:
    """Parse and check the whole file (``InputError`` with ``file:line`` on the first fault)."""
    codes: dict[str, int] = {}
    starts: dict[str, int] = {}
    meter_code: list[int] = []
    start_s: list[int] = []
    energy: list[float] = []
    lines: list[int] = []
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", where=str(path)) from exc
    magic = raw.read(4)
    raw.seek(0)
    for prefix, kind in _COMPRESSED:
        if magic.startswith(prefix):
            raw.close()
            raise InputError(f"a {kind} file, not CSV text: decompress it first",
                             where=f"{path}:1")
    with raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        try:
            _read_rows(path, reader, codes, starts, meter_code, start_s, energy, lines, raw,
                       progress)
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start} of a line); "
                             "save the file as UTF-8", where=f"{path}:{_bad_utf8_line(path)}"
                             ) from None
        except csv.Error as exc:
            raise InputError(f"not readable as CSV: {exc}",
                             where=f"{path}:{max(reader.line_num, 1)}") from None
    parsed = ParsedFile(list(codes), np.array(meter_code, dtype=np.int64),
                        np.array(start_s, dtype=np.int64), np.array(energy, dtype=np.float64),
                        np.array(lines, dtype=np.int64))
    _check_duplicates(path, parsed)
    return parsed


_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"PK\x03\x04", "zip"), (b"BZh", "bzip2"),
               (b"\xfd7zXZ", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"))
"""Magic numbers of compressed files (refused with a clear message, not decoded as text)."""


def _bad_utf8_line(path: Path) -> int:
    """The number of the first line of ``path`` that is not UTF-8."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 1


def _read_rows(path: Path, reader: Any, codes: dict[str, int], starts: dict[str, int],
               meter_code: list[int], start_s: list[int], energy: list[float],
               lines: list[int], raw: Any, progress: Callable[[int], None] | None) -> None:
    """The row loop of :func:`read_intervals_csv` (fills the lists in place)."""
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != HEADER:
        raise InputError(f"the header must be {','.join(HEADER)}, not "
                         f"{','.join(header or [])!r}", where=f"{path}:1")
    done = 0
    for row in reader:
        line = reader.line_num
        where = f"{path}:{line}"
        if len(row) != 3:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            raise InputError(f"expected 3 fields, found {len(row)}", where=where)
        mid, start_text, energy_text = row
        mid = mid.strip()
        if not mid:
            raise InputError("empty meter_id", where=where)
        t = starts.get(start_text)
        if t is None:
            t = epoch_s(parse_utc(start_text, where=where))
            if not 0 <= t < MAX_START_S:
                raise InputError(f"start {start_text.strip()} is out of range (1970-01-01 "
                                 "to 2242-03-16 UTC)", where=where)
            if t % INTERVAL_LENGTH_S:
                raise InputError(f"start {start_text.strip()} is not on the 15-minute grid "
                                 "(:00, :15, :30, :45 UTC)", where=where)
            starts[start_text] = t
        try:
            e = float(energy_text)
        except ValueError:
            raise InputError(f"energy_wh {energy_text!r} is not a number",
                             where=where) from None
        if not math.isfinite(e) or e < 0:
            raise InputError(f"energy_wh {energy_text!r} must be a finite number >= 0",
                             where=where)
        code = codes.get(mid)
        if code is None:
            code = codes[mid] = len(codes)
        meter_code.append(code)
        start_s.append(t)
        energy.append(e)
        lines.append(line)
        done += 1
        if progress is not None and done % 50_000 == 0:
            progress(raw.tell())  # the text layer cannot tell() mid-iteration


def _check_duplicates(path: Path, parsed: ParsedFile) -> None:
    """Refuse a file that gives one interval two different energies."""
    if not len(parsed.start_s):
        return
    packed = (parsed.meter_code << 33) | parsed.start_s
    order = np.argsort(packed, kind="stable")
    p, e = packed[order], parsed.energy_wh[order]
    clash = (p[1:] == p[:-1]) & (e[1:] != e[:-1])
    if clash.any():
        k = int(np.flatnonzero(clash)[0])
        first, second = int(order[k]), int(order[k + 1])
        mid = parsed.meter_ids[int(parsed.meter_code[first])]
        raise InputError(f"meter {mid} interval {format_utc(int(parsed.start_s[first]))}"
                         f" has energy {parsed.energy_wh[first]:g} Wh on line "
                         f"{int(parsed.line[first])} and {parsed.energy_wh[second]:g} Wh here",
                         where=f"{path}:{int(parsed.line[second])}")


def _first_line(parsed: ParsedFile, meter_id: str) -> int:
    code = parsed.meter_ids.index(meter_id)
    return int(parsed.line[np.flatnonzero(parsed.meter_code == code)[0]])


def _check_energy(store: Store, path: Path, parsed: ParsedFile) -> None:
    """Refuse a row above its meter's physical maximum (``max_power_w`` over 15 minutes; the
    default maximum for a meter the import creates), as the ingest does."""
    if not len(parsed.energy_wh):
        return
    max_power = {m.meter_id: m.max_power_w for m in store.list_meters()}
    limit = np.array([max_power.get(mid, DEFAULT_MAX_POWER_W) for mid in parsed.meter_ids],
                     dtype=np.float64) * INTERVAL_LENGTH_S / 3600
    over = parsed.energy_wh > limit[parsed.meter_code]
    if over.any():
        i = int(np.flatnonzero(over)[0])
        mid = parsed.meter_ids[int(parsed.meter_code[i])]
        raise InputError(f"energy_wh {parsed.energy_wh[i]:g} is above meter {mid}'s maximum of "
                         f"{limit[parsed.meter_code[i]]:g} Wh per 15 minutes (max_power_w)",
                         where=f"{path}:{int(parsed.line[i])}")


def import_intervals_csv(store: Store, path: Path, *, site_tz: str = "UTC",
                         strict: bool = False, received_s: int | None = None,
                         progress: Callable[[int], None] | None = None) -> ImportSummary:
    """Check then store a CSV of intervals (see the module docstring)."""
    site_zone(site_tz)  # refuse an unknown zone before reading anything
    parsed = read_intervals_csv(path, progress)
    known = {m.meter_id for m in store.list_meters()}
    unknown = [m for m in parsed.meter_ids if m not in known]
    if unknown and strict:
        code = parsed.meter_ids.index(unknown[0])
        line = int(parsed.line[np.flatnonzero(parsed.meter_code == code)[0]])
        raise InputError(f"unknown meter {unknown[0]!r} ({len(unknown)} unknown in the file; "
                         "create them first or drop --strict)", where=f"{path}:{line}")
    try:  # an id several sites have cannot be told apart by this format (no site column)
        store.meter_keys([m for m in parsed.meter_ids if m in known])
    except AmbiguousIdError as exc:
        raise InputError(f"meter {exc.ident!r} exists at sites {', '.join(exc.candidates)}; "
                         "this file names no site", where=str(path)) from None
    for mid in unknown:  # a new meter's id must be reachable (API paths, topics, CSV cells)
        if not is_safe_id(mid):
            check_id(mid, "meter_id", where=f"{path}:{_first_line(parsed, mid)}")
    _check_energy(store, path, parsed)
    now = int(time.time()) if received_s is None else received_s
    if unknown:
        site_id = "imported-" + site_tz.replace("/", ".")
        with store.transaction():
            if store.get_site(site_id) is None:
                store.upsert_site(Site(site_id, f"Meters created by import ({site_tz})",
                                       site_tz))
            for mid in unknown:
                store.upsert_meter(Meter(mid, site_id))
    keys = store.meter_keys(parsed.meter_ids)[parsed.meter_code]
    order = np.lexsort((parsed.start_s, keys))  # meter-major: each chunk fills whole pages
    keys, start_s, energy_wh = keys[order], parsed.start_s[order], parsed.energy_wh[order]
    zeros = np.zeros(len(keys), dtype=np.int64)
    inserted = duplicates = conflicts = 0
    for a in range(0, len(keys), CHUNK_ROWS):
        b = a + CHUNK_ROWS
        result = store.put_interval_rows(keys[a:b], start_s[a:b], energy_wh[a:b], zeros[a:b],
                                         zeros[a:b], "import", now)
        inserted += result.inserted
        duplicates += result.duplicates
        conflicts += result.conflicts
    return ImportSummary(str(path), len(keys), inserted, duplicates, conflicts, len(unknown))


@click.group("import")
def import_() -> None:
    """Bulk-load data into the head-end store."""


@import_.command("intervals")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--db", "db", default=None, metavar="PATH|URL",
              help="The store: a SQLite path or postgresql://... (default: [store] url).")
@click.option("--site-tz", default="UTC", show_default=True, metavar="ZONE",
              help="IANA time zone of the site created for unknown meters.")
@click.option("--strict", is_flag=True, help="Refuse the file if it names an unknown meter.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def intervals(file: Path, db: str | None, site_tz: str, strict: bool, as_json: bool) -> None:
    """Import FILE (CSV: meter_id,start,energy_wh; start ISO 8601 with offset, e.g. ...Z)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from openamr.headend.settings import load_settings

    target = db if db is not None else load_settings().store.url
    size = file.stat().st_size if file.exists() else 0
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), transient=True,
                  disable=size < 5_000_000 or as_json) as bar:
        task = bar.add_task(f"reading {file.name}", total=size)
        store = open_store(target)
        try:
            summary = import_intervals_csv(
                store, file, site_tz=site_tz, strict=strict,
                progress=lambda pos: bar.update(task, completed=pos))
        finally:
            store.close()
    if as_json:
        click.echo(json.dumps(asdict(summary)))
        return
    click.echo(f"{summary.file}: {summary.rows_read:,} rows read, {summary.inserted:,} "
               f"inserted, {summary.duplicates:,} duplicates, {summary.conflicts:,} conflicts "
               f"(kept as rejections), {summary.meters_created:,} meters created")


@dataclass(frozen=True, slots=True)
class GreenButtonSummary:
    """What a Green Button import did (also the ``--json`` output)."""

    file: str
    meter_id: str
    site_id: str
    readings: int
    """IntervalReadings in the feed."""
    intervals: int
    """Quarter-hours they make on the 15-minute grid."""
    interval_length_s: list[int]
    """The reading durations found [s]."""
    power_of_ten_multiplier: int
    energy_wh: float
    """Total energy of the quarter-hours [Wh]."""
    inserted: int
    duplicates: int
    conflicts: int
    """Quarter-hours stored with another energy: kept unchanged, recorded as rejections."""
    meter_created: bool
    site_created: bool


def import_greenbutton(store: Store, path: Path, *, site_id: str, meter_id: str,
                       site_tz: str = "UTC", reading: str | None = None,
                       max_power_w: float = DEFAULT_MAX_POWER_W,
                       received_s: int | None = None) -> GreenButtonSummary:
    """Check a Green Button feed whole, then store it for ``meter_id`` at ``site_id``.

    An unknown site is created (time zone ``site_tz``), an unknown meter too (model
    ``master``, ``max_power_w``); a meter of another site is refused.  Idempotent.
    """
    from openamr.headend.greenbutton_import import read_greenbutton

    check_id(site_id, "site id", where="--site")
    check_id(meter_id, "meter id", where="--meter")
    site_zone(site_tz)
    parsed = read_greenbutton(path, reading=reading)
    meter = store.get_meter(meter_id)
    if meter is not None and meter.site_id != site_id:
        raise InputError(f"meter {meter_id!r} belongs to site {meter.site_id!r}, not "
                         f"{site_id!r}", where="--meter")
    limit_wh = (meter.max_power_w if meter is not None else max_power_w) * INTERVAL_LENGTH_S \
        / 3600
    over = np.flatnonzero(parsed.energy_wh > limit_wh)
    if over.size:
        i = int(over[0])
        raise InputError(f"{parsed.energy_wh[i]:g} Wh in the quarter-hour from "
                         f"{format_utc(int(parsed.start_s[i]))} is above meter {meter_id}'s "
                         f"maximum of {limit_wh:g} Wh per 15 minutes (max_power_w; "
                         "--max-power-w for a new meter)", where=str(path))
    now = int(time.time()) if received_s is None else received_s
    site_created = meter_created = False
    with store.transaction():
        if store.get_site(site_id) is None:
            store.upsert_site(Site(site_id, site_id, site_tz))
            site_created = True
        if meter is None:
            store.upsert_meter(Meter(meter_id, site_id, model="master",
                                     max_power_w=max_power_w))
            meter_created = True
        n = len(parsed.start_s)
        keys = np.full(n, store.meter_keys([meter_id])[0], dtype=np.int64)
        codes = np.fromiter((QUALITIES.index(q) for q in parsed.quality.tolist()),
                            dtype=np.int64, count=n)
        result = store.put_interval_rows(keys, parsed.start_s, parsed.energy_wh, codes,
                                         np.zeros(n, dtype=np.int64), "import", now)
    return GreenButtonSummary(str(path), meter_id, site_id, parsed.readings, n,
                              list(parsed.interval_length_s), parsed.power_of_ten_multiplier,
                              float(parsed.energy_wh.sum()), result.inserted, result.duplicates,
                              result.conflicts, meter_created, site_created)


@import_.command("greenbutton")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--db", "db", default=None, metavar="PATH|URL",
              help="The store: a SQLite path or postgresql://... (default: [store] url).")
@click.option("--site", "site_id", required=True, metavar="ID",
              help="The site of the meter (created if unknown).")
@click.option("--meter", "meter_id", required=True, metavar="ID",
              help="The meter the feed is for, e.g. the building's master meter (created if "
                   "unknown).")
@click.option("--site-tz", default="UTC", show_default=True, metavar="ZONE",
              help="IANA time zone of the site if it is created.")
@click.option("--reading", default=None, metavar="HREF",
              help="The MeterReading's self href, when the feed holds several.")
@click.option("--max-power-w", type=float, default=DEFAULT_MAX_POWER_W, show_default=True,
              help="Physical maximum power of the meter if it is created [W] (VEE's spike "
                   "limit).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def greenbutton(file: Path, db: str | None, site_id: str, meter_id: str, site_tz: str,
                reading: str | None, max_power_w: float, as_json: bool) -> None:
    """Import a utility's Green Button (ESPI) usage FILE for one meter (15-minute grid)."""
    from openamr.headend.settings import load_settings

    target = db if db is not None else load_settings().store.url
    store = open_store(target)
    try:
        summary = import_greenbutton(store, file, site_id=site_id, meter_id=meter_id,
                                     site_tz=site_tz, reading=reading,
                                     max_power_w=max_power_w)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(asdict(summary)))
        return
    click.echo(f"{summary.file}: {summary.readings:,} readings of "
               f"{'/'.join(str(x) for x in summary.interval_length_s)} s -> "
               f"{summary.intervals:,} quarter-hours, {summary.energy_wh / 1000:,.3f} kWh for "
               f"meter {summary.meter_id}: {summary.inserted:,} inserted, "
               f"{summary.duplicates:,} duplicates, {summary.conflicts:,} conflicts (kept as "
               "rejections)")
