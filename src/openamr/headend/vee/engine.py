"""The VEE run: validate and estimate meters' intervals and store the result beside the raw data.

:func:`run_vee` reads a grid of raw intervals (with three weeks of history for like days and a
margin after the range for straight lines), applies the rules of :mod:`.rules`, estimates what
is missing or impossible (:mod:`.estimate`), scales estimates to register reads
(:mod:`.registers`), and then writes only what differs from the stored validated rows of the
range: running it twice changes nothing more.  Rows made by a manual edit are never touched;
edited values count as good data for the estimates around them.

What a run decides depends only on the raw data, the register reads, the edits and the
parameters, never on what an earlier run stored: it is idempotent and a late raw interval simply
replaces the estimate of its gap at the next run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.headend.store.base import QUALITIES, AmbiguousIdError, Meter, Store
from openamr.headend.store.vee_rows import VEE_METHODS, VeeFinding, VeeRows
from openamr.headend.vee.duplicates import conflicting_intervals
from openamr.headend.vee.estimate import WEEK_S, like_day_columns, like_day_fill, linear_fill
from openamr.headend.vee.grid import load_raw_grid
from openamr.headend.vee.params import VeeParams
from openamr.headend.vee.registers import register_windows, scale_to_registers, window_sums
from openamr.headend.vee.rules import (
    HARD_RULES,
    RULE_CODES,
    VeeRule,
    clock_mask,
    negative_mask,
    partial_mask,
    runs,
    spike_mask,
    zero_run_mask,
)
from openamr.timeutil import format_utc, local_date, local_period_edges_s, site_zone
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["METERS_PER_CHUNK", "VeeSummary", "run_vee"]

METERS_PER_CHUNK = 50
"""Meters validated together (a meter-year with history is ~37,000 columns per array)."""

_Q = {name: i for i, name in enumerate(QUALITIES)}
_M = {name: i for i, name in enumerate(VEE_METHODS)}
_MANUAL = _M["manual"]
_DAY_CODE = "vee.day_incomplete"


@dataclass(frozen=True, slots=True)
class VeeSummary:
    """What a VEE run found and did (also the JSON of ``openamr vee --json``)."""

    meters: int
    start_s: int | None
    """Start of the range validated [UTC epoch s] (None: no data)."""
    end_s: int | None
    """End of the range validated (exclusive) [UTC epoch s]."""
    intervals_checked: int
    """Meter-intervals in the range (present or missing)."""
    intervals_by_rule: dict[str, int] = field(default_factory=dict)
    """Intervals that failed each rule, by code (``vee.gap`` …)."""
    estimated_by_method: dict[str, int] = field(default_factory=dict)
    """Intervals estimated, by method (``linear``, ``like_day``, ``*_scaled``)."""
    left_missing: int = 0
    """Missing intervals no method could estimate."""
    findings: int = 0
    """Findings of this run (runs of intervals per rule, incomplete local days)."""
    rows_written: int = 0
    """Validated rows inserted or changed by this run."""
    rows_deleted: int = 0
    """Validated rows removed (e.g. a late raw interval replaced an estimate)."""
    rows_unchanged: int = 0
    findings_added: int = 0
    findings_removed: int = 0


@dataclass(slots=True)
class _Tally:
    checked: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    by_method: dict[str, int] = field(default_factory=dict)
    left_missing: int = 0
    findings: int = 0
    written: int = 0
    deleted: int = 0
    unchanged: int = 0
    f_added: int = 0
    f_removed: int = 0


def _select_meters(store: Store, site_id: str | None,
                   meter_ids: Sequence[str] | None) -> list[Meter]:
    if meter_ids:
        meters = []
        for mid in dict.fromkeys(meter_ids):  # a meter named twice is validated once
            try:
                meter = store.get_meter(mid, site_id=site_id)
            except AmbiguousIdError as exc:
                raise InputError(f"meter {mid!r} exists at sites {', '.join(exc.candidates)}: "
                                 "name one with --site", where="--meter") from None
            if meter is None:
                raise InputError(f"unknown meter {mid!r}", where="--meter")
            if site_id is not None and meter.site_id != site_id:
                raise InputError(f"meter {mid!r} is not at site {site_id!r}", where="--meter")
            meters.append(meter)
        return meters
    if site_id is not None:
        if store.get_site(site_id) is None:
            raise InputError(f"unknown site {site_id!r}", where="--site")
        return store.list_meters(site_id)
    return store.list_meters()


def run_vee(store: Store, *, site_id: str | None = None, meter_ids: Sequence[str] | None = None,
            start_s: int | None = None, end_s: int | None = None,
            params: VeeParams | None = None,
            vacant: Mapping[str, Sequence[tuple[int, int]]] | None = None,
            now_s: int) -> VeeSummary:
    """Validate and estimate the intervals of ``meter_ids`` (or of a site, or of every meter)
    in ``[start_s, end_s)``; store what differs; return the summary.

    Without ``start_s``/``end_s`` the range is each group's stored data (first to last stored
    interval); the range never extends past ``now_s``.  ``vacant`` maps meter ids to
    ``[start, end)`` ranges when their unit was empty (zero runs there are not flagged).
    """
    p = params or VeeParams()
    if start_s is not None and end_s is not None and end_s <= start_s:
        raise InputError("the range is empty: --to must be after --from", where="--to")
    meters = _select_meters(store, site_id, meter_ids)
    known = {m.meter_id for m in meters}
    for mid in vacant or {}:
        if mid not in known:
            raise InputError(f"unknown meter {mid!r} (not among the meters validated)",
                             where="--vacant")
    tally = _Tally()
    conflicts = conflicting_intervals(store)
    first_s: int | None = None
    last_s: int | None = None
    by_site: dict[str, list[Meter]] = {}
    for meter in meters:
        by_site.setdefault(meter.site_id, []).append(meter)
    now_grid_s = (int(now_s) // INTERVAL_LENGTH_S) * INTERVAL_LENGTH_S
    for sid in sorted(by_site):
        site = store.get_site(sid)
        timezone = site.timezone if site is not None else "UTC"
        group = by_site[sid]
        for i in range(0, len(group), METERS_PER_CHUNK):
            chunk = group[i:i + METERS_PER_CHUNK]
            lo, hi = start_s, end_s
            if lo is None or hi is None:
                span = store.interval_span_s(store.meter_keys([m.meter_id for m in chunk],
                                                              site_id=sid))
                if span is None:
                    continue
                lo = span[0] if lo is None else lo
                hi = span[1] if hi is None else hi
            lo = (int(lo) // INTERVAL_LENGTH_S) * INTERVAL_LENGTH_S
            hi = min(-(-int(hi) // INTERVAL_LENGTH_S) * INTERVAL_LENGTH_S, now_grid_s)
            if hi <= lo:
                continue
            _run_chunk(store, chunk, timezone, lo, hi, p, vacant or {}, conflicts, tally)
            first_s = lo if first_s is None else min(first_s, lo)
            last_s = hi if last_s is None else max(last_s, hi)
    return VeeSummary(len(meters), first_s, last_s, tally.checked, dict(sorted(
        tally.by_rule.items())), dict(sorted(tally.by_method.items())), tally.left_missing,
        tally.findings, tally.written, tally.deleted, tally.unchanged, tally.f_added,
        tally.f_removed)


def _run_chunk(store: Store, meters: list[Meter], timezone: str, lo_s: int, hi_s: int,
               p: VeeParams, vacant: Mapping[str, Sequence[tuple[int, int]]],
               conflicts: Mapping[str, npt.NDArray[np.int64]], tally: _Tally) -> None:
    """Validate ``meters`` (one site) over ``[lo_s, hi_s)`` and store the result."""
    ids = [m.meter_id for m in meters]
    history_s = p.like_day_weeks * WEEK_S + 86_400
    margin_s = (p.max_linear_gap_intervals + 1) * INTERVAL_LENGTH_S
    grid = load_raw_grid(store, ids, lo_s - history_s, hi_s + margin_s,
                         site_id=meters[0].site_id)
    starts = grid.start_s
    t0 = int(starts[0])
    a = (lo_s - t0) // INTERVAL_LENGTH_S
    b = (hi_s - t0) // INTERVAL_LENGTH_S
    keys = grid.meter_keys
    raw = grid.energy_wh
    stored = store.get_vee_rows(keys, t0, int(starts[-1]) + 1)
    key_row = {int(k): r for r, k in enumerate(keys.tolist())}

    # manual edits are good data and are never rewritten
    edited = np.zeros(raw.shape, dtype=bool)
    energy = raw.copy()
    manual = stored.method == _MANUAL
    if manual.any():
        rows_m = np.array([key_row[int(k)] for k in stored.meter_key[manual].tolist()])
        cols_m = (stored.start_s[manual] - t0) // INTERVAL_LENGTH_S
        edited[rows_m, cols_m] = True
        energy[rows_m, cols_m] = stored.energy_wh[manual]

    max_power_w = np.array([m.max_power_w for m in meters], dtype=np.float64)
    rules = np.zeros(raw.shape, dtype=np.int64)
    rules[np.isnan(raw)] |= int(VeeRule.GAP)
    rules[spike_mask(raw, max_power_w, p.spike_factor)] |= int(VeeRule.SPIKE)
    rules[negative_mask(raw)] |= int(VeeRule.NEGATIVE)
    rules[clock_mask(grid.flags)] |= int(VeeRule.CLOCK)
    rules[partial_mask(grid.flags)] |= int(VeeRule.PARTIAL)
    for r, mid in enumerate(ids):
        dup = conflicts.get(mid)
        if dup is not None and dup.size:
            col = (dup - t0) // INTERVAL_LENGTH_S
            col = col[(col >= 0) & (col < starts.size) & ((dup - t0) % INTERVAL_LENGTH_S == 0)]
            rules[r, col[~np.isnan(raw[r, col])]] |= int(VeeRule.DUPLICATE)
    rules[edited] = 0
    good = (rules & HARD_RULES) == 0
    vacant_mask = np.zeros(raw.shape, dtype=bool)
    for r, mid in enumerate(ids):
        for v_lo, v_hi in vacant.get(mid, ()):
            c_lo = max(0, (int(v_lo) - t0) // INTERVAL_LENGTH_S)
            c_hi = min(starts.size, -(-(int(v_hi) - t0) // INTERVAL_LENGTH_S))
            vacant_mask[r, c_lo:c_hi] = True
    zero = zero_run_mask(np.where(good, energy, np.nan), p.zero_run_intervals, vacant_mask)
    rules[zero & ~edited] |= int(VeeRule.ZERO_RUN)

    linear = linear_fill(energy, good, p.max_linear_gap_intervals)
    like = like_day_fill(energy, good, like_day_columns(starts, timezone, p.like_day_weeks),
                         p.like_day_min_days)
    is_linear = ~np.isnan(linear)
    estimate = np.where(is_linear, linear, like)
    scaled = np.zeros(raw.shape, dtype=bool)
    for r, meter in enumerate(meters):
        reads = store.get_register_reads(meter.meter_id, t0, int(starts[-1]) + 2 *
                                         INTERVAL_LENGTH_S, site_id=meter.site_id)
        windows = register_windows(reads.t_s, reads.register_wh, t0, starts.size)
        measured = np.where(good[r], energy[r], np.nan)
        if p.scale_to_registers:
            estimate[r], scaled[r] = scale_to_registers(estimate[r], measured, windows)
        # the sum check, on windows made only of good values
        holes = window_sums((~good[r]).astype(np.float64), windows)
        sums = window_sums(measured, windows)
        tolerance = np.maximum(p.sum_tolerance_ratio * np.abs(windows.advance_wh),
                               p.sum_tolerance_pulses * meter.kh_wh)
        bad = (holes == 0) & np.isfinite(windows.advance_wh) & (
            np.abs(sums - windows.advance_wh) > tolerance)
        for w in np.flatnonzero(bad).tolist():
            lo_c, hi_c = int(windows.first_col[w]), int(windows.end_col[w])
            rules[r, lo_c:hi_c][~edited[r, lo_c:hi_c]] |= int(VeeRule.SUM_MISMATCH)

    # the rows this run wants, inside [lo_s, hi_s)
    sl = slice(a, b)
    r_rules, r_good, r_edit = rules[:, sl], good[:, sl], edited[:, sl]
    r_est, r_raw = estimate[:, sl], raw[:, sl]
    r_lin, r_scaled = is_linear[:, sl], scaled[:, sl]
    estimated = ~r_good & ~np.isnan(r_est) & ~r_edit
    flagged_kept = ~r_edit & ~estimated & (r_rules != 0) & ~np.isnan(r_raw)
    want = estimated | flagged_kept
    row_i, col_i = np.nonzero(want)
    method = np.where(r_lin, np.where(r_scaled, _M["linear_scaled"], _M["linear"]),
                      np.where(r_scaled, _M["like_day_scaled"], _M["like_day"]))
    quality = np.where(r_lin, _Q["estimated_linear"], _Q["estimated_like_day"])
    est_here = estimated[row_i, col_i]
    desired = VeeRows(
        keys[row_i], starts[sl][col_i],
        np.where(est_here, r_est[row_i, col_i], r_raw[row_i, col_i]),
        np.where(est_here, quality[row_i, col_i], _Q["failed_validation"]).astype(np.int64),
        np.where(est_here, method[row_i, col_i], _M["kept"]).astype(np.int64),
        r_rules[row_i, col_i].astype(np.int64))
    _store_diff(store, stored, desired, lo_s, hi_s, meters, keys, tally, r_rules, r_edit,
                estimated, method, starts[sl], timezone, r_raw)


def _store_diff(store: Store, stored: VeeRows, desired: VeeRows, lo_s: int, hi_s: int,
                meters: list[Meter], keys: npt.NDArray[np.int64], tally: _Tally,
                rules: npt.NDArray[np.int64], edited: npt.NDArray[np.bool_],
                estimated: npt.NDArray[np.bool_], method: npt.NDArray[np.int64],
                starts: npt.NDArray[np.int64], timezone: str,
                raw: npt.NDArray[np.float64]) -> None:
    """Write the rows and findings that differ from what is stored; count everything."""
    in_range = (stored.start_s >= lo_s) & (stored.start_s < hi_s) & (stored.method != _MANUAL)
    old = stored.take(in_range)
    shift = 33
    old_id = (old.meter_key << shift) | old.start_s
    new_id = (desired.meter_key << shift) | desired.start_s
    _, i_old, i_new = np.intersect1d(old_id, new_id, assume_unique=True,
                                          return_indices=True)
    same = ((old.energy_wh[i_old] == desired.energy_wh[i_new])
            & (old.quality[i_old] == desired.quality[i_new])
            & (old.method[i_old] == desired.method[i_new])
            & (old.rules[i_old] == desired.rules[i_new]))
    write = np.ones(len(desired), dtype=bool)
    write[i_new[same]] = False
    delete = ~np.isin(old_id, new_id)
    with store.transaction():
        store.put_vee_rows(desired.take(write))
        store.delete_vee_rows(old.meter_key[delete], old.start_s[delete])
        per_meter = _findings([m.meter_id for m in meters], rules, estimated, method, starts,
                              timezone, raw, edited)
        for r, findings in enumerate(per_meter):
            added, removed = store.replace_vee_findings(int(keys[r]), lo_s, hi_s, findings)
            tally.f_added += added
            tally.f_removed += removed
            tally.findings += len(findings)
            store.add_vee_coverage(int(keys[r]), lo_s, hi_s)
    tally.written += int(write.sum())
    tally.deleted += int(delete.sum())
    tally.unchanged += int((~write).sum())
    tally.checked += int(rules.size)
    for bit, code in RULE_CODES.items():
        n = int(((rules & bit) != 0).sum())
        if n:
            tally.by_rule[code] = tally.by_rule.get(code, 0) + n
    for index, name in enumerate(VEE_METHODS):
        n = int((estimated & (method == index)).sum())
        if n:
            tally.by_method[name] = tally.by_method.get(name, 0) + n
    tally.left_missing += int((((rules & VeeRule.GAP) != 0) & ~estimated & ~edited).sum())


def _findings(meter_ids: list[str], rules: npt.NDArray[np.int64],
              estimated: npt.NDArray[np.bool_], method: npt.NDArray[np.int64],
              starts: npt.NDArray[np.int64], timezone: str, raw: npt.NDArray[np.float64],
              edited: npt.NDArray[np.bool_]) -> list[list[VeeFinding]]:
    """Per meter: one finding per run of intervals failing a rule, and one per incomplete
    whole local day (runs and day counts computed for all meters at once)."""
    out: list[list[VeeFinding]] = [[] for _ in meter_ids]
    for bit, code in RULE_CODES.items():
        row, first, end = runs((rules & bit) != 0)
        for r, c0, c1 in zip(row.tolist(), first.tolist(), end.tolist(), strict=True):
            n = c1 - c0
            if bit & HARD_RULES:
                done = estimated[r, c0:c1]
                k = int(done.sum())
                names = sorted({VEE_METHODS[int(m)] for m in method[r, c0:c1][done].tolist()})
                how = f"estimated {k} ({', '.join(names)})" if k else "not estimated"
                if 0 < k < n:
                    how += f", {n - k} not estimated"
            else:
                how = "kept, marked failed_validation"
            out[r].append(VeeFinding(meter_ids[r], code, int(starts[c0]),
                                     int(starts[c1 - 1]) + INTERVAL_LENGTH_S, n,
                                     f"{n} interval(s) from {format_utc(int(starts[c0]))}: "
                                     f"{how}"))
    if starts.size == 0:
        return out
    zone = site_zone(timezone)
    t0, t_end = int(starts[0]), int(starts[-1]) + INTERVAL_LENGTH_S
    edges = local_period_edges_s(t0, t_end, zone, "daily")
    edges = edges[(edges >= t0) & (edges <= t_end)]  # whole local days inside the range
    if edges.size < 2:
        return out
    cols = (edges - t0) // INTERVAL_LENGTH_S
    present = (~np.isnan(raw) | edited).astype(np.int64)
    cum = np.concatenate((np.zeros((present.shape[0], 1), dtype=np.int64),
                          np.cumsum(present, axis=1)), axis=1)
    have = cum[:, cols[1:]] - cum[:, cols[:-1]]
    expected = np.diff(cols)
    for r, d in zip(*np.nonzero(have < expected[None, :]), strict=True):
        d0, d1 = int(edges[d]), int(edges[d + 1])
        n_exp, n_have = int(expected[d]), int(have[r, d])
        day = local_date(d0, zone)
        out[int(r)].append(VeeFinding(meter_ids[int(r)], _DAY_CODE, d0, d1, n_exp - n_have,
                                      f"local day {day.isoformat()}: {n_have} of {n_exp} "
                                      f"intervals stored ({_day_kind(n_exp)})"))
    return out


def _day_kind(expected: int) -> str:
    per_day = int(timedelta(days=1).total_seconds()) // INTERVAL_LENGTH_S
    if expected < per_day:
        return "a spring-forward day of 23 hours"
    if expected > per_day:
        return "a fall-back day of 25 hours"
    return "an ordinary day"
