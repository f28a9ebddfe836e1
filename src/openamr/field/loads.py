"""Load profiles of the meters of a site: synthetic household and commercial loads, CSV profiles.

Synthetic loads are built from a few template day shapes by numpy broadcasting, with seeded
variation per meter: a daily shape in local time (through :func:`openamr.timeutil.utc_offsets_s`),
a per-meter shift of the peaks, a per-day factor, small per-step noise and, for households,
appliance spikes.  Every random value is a hash of (meter id, absolute time index, seed): a
meter's load at an instant does not depend on which other meters are computed nor on where the
window starts, so a 1-day run and a 30-day run agree on their common day.

* household: base load 100–300 W (fridge, standby), a morning peak near 07:30 and a larger
  evening peak near 19:00 (later mornings at weekends), appliance spikes of 1.2–3 kW lasting a
  10-minute block, more likely when the household is active;
* commercial: business hours 08:00–18:00 on weekdays with ramps, a night and weekend base of
  about a third (HVAC, refrigeration, security lighting), HVAC cycling per 15-minute block.

``scale_w`` is the mean power over a weekday [W] (spikes included, roughly: within ±10 % over
many meters).  Results are ``float32`` by default (``dtype`` to change it): 10,000 meters × 1
day at 1-minute steps is 58 MB per leg.  Powers are averages over each step
``[start_s + k·step_s, start_s + (k+1)·step_s)``.

CSV profiles (``t_s,l1_w,l2_w[,pf1,pf2]``, each row holding until the next, times in seconds
from the start of the simulation) are read with the meter's
:func:`openamr.field.meter.profile.read_profile_csv` and averaged over each step.

Measured household loads (``uci``) are slices of the UCI household data
(:mod:`openamr.field.uci`, the optional ``openamr[loads]`` extra).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.timeutil import site_zone, utc_offsets_s

if TYPE_CHECKING:
    from openamr.field.meter.profile import LoadProfile
    from openamr.field.site.model import Site

__all__ = [
    "KINDS",
    "csv_leg_power_w",
    "site_leg_power_w",
    "synthetic_leg_power_w",
    "synthetic_power_w",
]

KINDS = ("household", "commercial")
"""Synthetic load kinds, in code order (0 household, 1 commercial)."""

F64 = npt.NDArray[np.float64]
U64 = npt.NDArray[np.uint64]

_BLOCK_S = 600
"""Length of an appliance-spike block [s]."""
_HVAC_BLOCK_S = 900
_NOISE_LEN = 65_521
_SHIFTS = 17
_DAY_S = 86_400

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: U64) -> U64:
    with np.errstate(over="ignore"):
        z = x + _GAMMA
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    out: U64 = z ^ (z >> np.uint64(31))
    return out


def _uniform(meter_keys: U64, index: npt.NDArray[np.int64], seed: int, stream: int) -> F64:
    """Uniform (0, 1) for each (meter, index): shape (meters, len(index))."""
    salt = _mix(np.array([(seed * 1_000_003 + stream * 7919) & 0xFFFF_FFFF_FFFF_FFFF],
                         dtype=np.uint64))
    with np.errstate(over="ignore"):
        h = _mix(meter_keys[:, None] ^ salt) + index.astype(np.uint64)[None, :] * _GAMMA
    out: F64 = ((_mix(h) >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
    return out


def _keys(meter_ids: Sequence[str]) -> U64:
    return np.array([int.from_bytes(hashlib.blake2b(i.encode("utf-8"), digest_size=8,
                                                    person=b"openamr-load").digest(), "little")
                     for i in meter_ids], dtype=np.uint64)


def _gauss(h: F64, centre: F64 | float, width: float) -> F64:
    d = (h - centre + 12.0) % 24.0 - 12.0
    out: F64 = np.exp(-0.5 * (d / width) ** 2)
    return out


def _household_activity(h: F64, shift_h: F64, weekend: npt.NDArray[np.bool_]) -> F64:
    """Activity (≈ 0–2.5) of a household at local hour ``h``: morning and evening peaks."""
    hs = h + shift_h
    morning = np.where(weekend, 0.8 * _gauss(hs, 9.5, 1.5), _gauss(hs, 7.5, 1.0))
    evening = 1.8 * _gauss(hs, 19.3, 1.8)
    day = np.where(weekend, 0.6, 0.3) * _gauss(hs, 13.5, 3.0)
    out: F64 = morning + evening + day
    return out


def _commercial_activity(h: F64, shift_h: F64, weekend: npt.NDArray[np.bool_]) -> F64:
    """Occupancy (0–1) of a business at local hour ``h``: ramps around 07–08 h and 18–19 h."""
    hs = h + shift_h
    open_ = 1.0 / (1.0 + np.exp(-(hs - 7.5) * 2.5)) * 1.0 / (1.0 + np.exp((hs - 18.5) * 2.0))
    out: F64 = np.where(weekend, 0.25 * open_, open_)
    return out


# normalisation: mean of each template over a weekday, per unit of activity
_H: F64 = (np.arange(1440, dtype=np.float64) + 0.5) / 60.0
_WD = np.zeros(1440, dtype=bool)
_HOUSE_MEAN = float(_household_activity(_H, np.zeros(1), _WD).mean())
_SHOP_MEAN = float(_commercial_activity(_H, np.zeros(1), _WD).mean())
_SPIKE_P_MAX = 0.12
_SPIKE_MEAN_W = 2100.0
_SPIKE_MEAN_RATIO = float((_SPIKE_P_MAX * _household_activity(_H, np.zeros(1), _WD)
                           / _household_activity(_H, np.zeros(1), _WD).max()).mean())


def _kind_codes(kinds: Sequence[str] | npt.ArrayLike) -> npt.NDArray[np.int8]:
    values = list(np.asarray(kinds).reshape(-1).tolist())
    codes = []
    for i, k in enumerate(values):
        text = getattr(k, "value", k)
        if isinstance(text, int | np.integer) and 0 <= int(text) < len(KINDS):
            codes.append(int(text))
        elif text in KINDS:
            codes.append(KINDS.index(str(text)))
        else:
            raise InputError(f"unknown synthetic load kind {k!r}; known: {', '.join(KINDS)}",
                             where=f"kinds[{i}]")
    return np.array(codes, dtype=np.int8)


def _check_steps(n_steps: int, step_s: float) -> None:
    if n_steps < 0:
        raise InputError(f"must not be negative, got {n_steps}", where="n_steps")
    if not step_s > 0:
        raise InputError(f"must be positive, got {step_s}", where="step_s")


def _synthesise(kinds: Sequence[str] | npt.ArrayLike, scales_w: npt.ArrayLike, n_steps: int,
                step_s: float, start_s: int, seed: int, meter_ids: Sequence[str] | None,
                time_zone: str, want_ratio: bool
                ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32] | None]:
    """Total power [W] (meters, steps) and, if asked, the L1 share of it per step."""
    codes = _kind_codes(kinds)
    n_m = codes.shape[0]
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"must be an integer >= 0, got {seed!r}", where="seed")
    seed = int(seed)
    scale = np.broadcast_to(np.asarray(scales_w, dtype=np.float64), (n_m,))
    if np.any(~np.isfinite(scale)) or np.any(scale < 0):
        raise InputError("every scale must be a finite number >= 0", where="scales_w")
    _check_steps(n_steps, step_s)
    ids = list(meter_ids) if meter_ids is not None else [str(i) for i in range(n_m)]
    if len(ids) != n_m:
        raise InputError(f"{len(ids)} meter ids for {n_m} kinds", where="meter_ids")
    keys = _keys(ids)
    zone = site_zone(time_zone)

    t = start_s + np.arange(n_steps, dtype=np.int64) * int(step_s) if float(step_s).is_integer() \
        else (start_s + np.arange(n_steps) * step_s).astype(np.int64)
    mid = t + int(step_s // 2)
    local = mid + utc_offsets_s(mid, zone) if n_steps else mid
    h = ((local % _DAY_S) / 3600.0)[None, :]
    day = (local // _DAY_S)
    weekend = (((day + 3) % 7) >= 5)[None, :]       # 1970-01-01 was a Thursday

    # per meter constants (index 0 of their streams)
    zero = np.zeros(1, dtype=np.int64)
    u_shift = _uniform(keys, zero, seed, 1)[:, 0]
    u_base = _uniform(keys, zero, seed, 2)[:, 0]
    u_split = _uniform(keys, zero, seed, 3)[:, 0]
    # the peaks move by up to ±1 h per meter, in 7.5-minute steps: 17 template rows
    shift_idx = np.minimum((u_shift * _SHIFTS).astype(np.intp), _SHIFTS - 1)
    shifts_h = (np.arange(_SHIFTS) / (_SHIFTS - 1) - 0.5)[:, None] * 2.0
    # per meter and local day, expanded to steps
    # runs of equal local day (a zone that falls back at midnight repeats a day: runs, not
    # unique values, keep the steps in order)
    run_start = np.flatnonzero(np.diff(day, prepend=day[:1] - 1)) if n_steps else \
        np.zeros(0, dtype=np.intp)
    days = day[run_start]
    day_counts = np.diff(np.append(run_start, n_steps))
    day_factor = np.exp(0.15 * _normal(_uniform(keys, days, seed, 4),
                                       _uniform(keys, days, seed, 5))).astype(np.float32)
    # per meter and step: noise from a seeded table, at an offset per meter
    table = _noise_table(seed)
    first_step = int(t[0] // max(int(step_s), 1)) if n_steps else 0
    offset = ((keys % np.uint64(_NOISE_LEN)).astype(np.int64) + first_step) % _NOISE_LEN
    reps = -(-(_NOISE_LEN + n_steps) // _NOISE_LEN)
    windows = np.lib.stride_tricks.sliding_window_view(np.tile(table, reps), max(n_steps, 1))
    block = (t // _BLOCK_S).astype(np.int64)
    ub, b_first, b_counts = np.unique(block, return_index=True, return_counts=True)

    house = codes == 0
    out = np.empty((n_m, n_steps), dtype=np.float32)
    if house.any():
        hm = np.flatnonzero(house)
        s_h = scale[hm]
        tmpl = _household_activity(h, shifts_h, weekend).astype(np.float32)   # (shifts, steps)
        base_w = np.minimum(100.0 + 200.0 * u_base[hm], 0.6 * s_h)
        size = np.minimum(s_h / 800.0, 1.5)
        spikes_mean_w = _SPIKE_MEAN_RATIO * _SPIKE_MEAN_W * size
        active_w = np.maximum(s_h - base_w - spikes_mean_w, 0.2 * s_h) / _HOUSE_MEAN
        # active part: template row × per-day factor × (1 + 10 % noise)
        p = tmpl[shift_idx[hm]]
        p *= np.repeat(day_factor[hm], day_counts, axis=1)
        p *= (active_w[:, None]).astype(np.float32)
        noise = windows[offset[hm], :n_steps]
        noise *= np.float32(0.1)
        noise += np.float32(1.0)
        p *= noise
        p += (base_w[:, None]).astype(np.float32)
        # appliance spikes: one draw per 10-minute block, likelier when the household is active
        block_act = tmpl[:, b_first][shift_idx[hm]]                           # (m, blocks)
        u_on = _uniform(keys[hm], ub, seed, 6)
        u_w = _uniform(keys[hm], ub, seed, 7)
        p_on = _SPIKE_P_MAX / 2.6 * block_act * size[:, None]
        spike = np.where(u_on < p_on, 1200.0 + 1800.0 * u_w, 0.0).astype(np.float32)
        p += np.repeat(spike, b_counts, axis=1)
        out[hm] = p
    shop = np.flatnonzero(~house)
    if shop.shape[0]:
        s_c = scale[shop][:, None]
        shop_tmpl = _commercial_activity(h, shifts_h * 0.5, weekend)
        base_ratio = 0.25 + 0.15 * u_base[shop][:, None]
        hv = (t // _HVAC_BLOCK_S).astype(np.int64)
        uh, h_counts = np.unique(hv, return_counts=True)
        hvac = (1.0 + 0.15 * (2.0 * _uniform(keys[shop], uh, seed, 8) - 1.0)).astype(np.float32)
        mean_level = base_ratio + (1.0 - base_ratio) * _SHOP_MEAN
        level = (base_ratio + (1.0 - base_ratio) * shop_tmpl[shift_idx[shop]]) * (s_c / mean_level)
        q = level.astype(np.float32)
        q *= np.repeat(hvac, h_counts, axis=1)
        q *= np.repeat(day_factor[shop], day_counts, axis=1)
        noise = windows[offset[shop], :n_steps]
        noise *= np.float32(0.05)
        noise += np.float32(1.0)
        q *= noise
        out[shop] = q
    np.maximum(out, 0.0, out=out)
    if not want_ratio:
        return out, None
    split = 0.35 + 0.3 * u_split[:, None]
    wander = 0.1 * (2.0 * _uniform(keys, ub, seed, 9) - 1.0)
    ratio = np.repeat(np.clip(split + wander, 0.05, 0.95).astype(np.float32), b_counts, axis=1)
    return out, ratio


def synthetic_leg_power_w(kinds: Sequence[str] | npt.ArrayLike, scales_w: npt.ArrayLike,
                          n_steps: int, step_s: float, start_s: int, seed: int = 0, *,
                          meter_ids: Sequence[str] | None = None, time_zone: str = "UTC",
                          dtype: type[np.floating[Any]] = np.float32,
                          ) -> npt.NDArray[np.floating[Any]]:
    """Synthetic load per leg [W], shape (meters, 2, n_steps): L1 and L2 of each meter.

    ``kinds``: ``"household"``/``"commercial"`` per meter (or codes 0/1); ``scales_w``: mean
    weekday power per meter [W]; steps of ``step_s`` [s] from ``start_s`` [UTC epoch s];
    ``meter_ids`` seed each meter's variation (default ``"0"``, ``"1"`` …); ``time_zone`` places
    the daily shape in local time.  The legs share the load in a per-meter ratio (35–65 %) that
    wanders a little every 10 minutes.
    """
    out, ratio = _synthesise(kinds, scales_w, n_steps, step_s, start_s, seed, meter_ids,
                             time_zone, want_ratio=True)
    assert ratio is not None
    legs = np.empty((out.shape[0], 2, n_steps), dtype=dtype)
    np.multiply(out, ratio, out=legs[:, 0, :])
    np.subtract(out, legs[:, 0, :], out=legs[:, 1, :])
    return legs


@functools.lru_cache(maxsize=8)
def _noise_table(seed: int) -> npt.NDArray[np.float32]:
    """Standard normal values, the same for every call with ``seed`` (read-only)."""
    table = np.random.default_rng([seed, 0x5EED]).normal(0.0, 1.0, _NOISE_LEN).astype(np.float32)
    table.setflags(write=False)
    return table


def _normal(u1: F64, u2: F64) -> F64:
    out: F64 = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return out


def synthetic_power_w(kinds: Sequence[str] | npt.ArrayLike, scales_w: npt.ArrayLike,
                      n_steps: int, step_s: float, start_s: int, seed: int = 0, *,
                      meter_ids: Sequence[str] | None = None, time_zone: str = "UTC",
                      dtype: type[np.floating[Any]] = np.float32,
                      ) -> npt.NDArray[np.floating[Any]]:
    """Total synthetic load [W] of each meter (L1 + L2), shape (meters, n_steps).

    Same arguments as :func:`synthetic_leg_power_w`.
    """
    total, _ = _synthesise(kinds, scales_w, n_steps, step_s, start_s, seed, meter_ids,
                           time_zone, want_ratio=False)
    out: npt.NDArray[np.floating[Any]] = total.astype(dtype, copy=False)
    return out


def csv_leg_power_w(profile: LoadProfile, n_steps: int, step_s: float,
                    offset_s: float = 0.0) -> F64:
    """Average load per leg [W] of a piecewise-constant profile over each step, shape
    (2, n_steps).  Step k covers ``[offset_s + k·step_s, offset_s + (k+1)·step_s)`` in the
    profile's time [s]; before the first row the load is 0, after the last row it holds."""
    _check_steps(n_steps, step_s)
    edges = offset_s + np.arange(n_steps + 1, dtype=np.float64) * step_s
    out = np.empty((2, n_steps), dtype=np.float64)
    t = np.asarray(profile.t_s, dtype=np.float64)
    for leg, watts in enumerate((profile.l1_w, profile.l2_w)):
        w = np.asarray(watts, dtype=np.float64)
        # cumulative energy [W·s] at each row start, then piecewise-linear in between
        cum = np.concatenate(([0.0], np.cumsum(w[:-1] * np.diff(t))))
        k = np.searchsorted(t, edges, side="right") - 1
        inside = k >= 0
        kc = np.maximum(k, 0)
        energy = np.where(inside, cum[kc] + w[kc] * (edges - t[kc]), 0.0)
        out[leg] = np.diff(energy) / step_s
    return out


def _element_loads_w(meter: Any, n_steps: int, step_s: float, start: int, site: Site,
                     cache: dict[object, F64]) -> F64:
    """Legs [W] (2, n_steps) of a meter monitoring several loads: each load's total (both legs
    of its profile) on the leg of its element's CT; loads on one element add up."""
    from openamr.field.meter.profile import read_profile_csv
    from openamr.field.site.model import LoadKind

    out = np.zeros((2, n_steps), dtype=np.float64)
    for k, e in enumerate(meter.loads):
        if e.load.kind is LoadKind.CSV:
            path = e.load.csv_path
            if path not in cache:
                cache[path] = csv_leg_power_w(read_profile_csv(path), n_steps, step_s)
            legs = cache[path]
        elif e.load.kind is LoadKind.UCI:
            legs = _uci_legs_w([f"{meter.id}/{k}"], [e.load], n_steps, step_s, start, site,
                               np.float64)[0]
        else:
            legs = synthetic_leg_power_w([e.load.kind.value], [e.load.scale_w or 0.0], n_steps,
                                         step_s, start, site.seed,
                                         meter_ids=[f"{meter.id}/{k}"],
                                         time_zone=site.time_zone, dtype=np.float64)[0]
        out[e.element - 1] += legs.sum(axis=0)
    return out


def _uci_legs_w(ids: list[str], specs: list[Any], n_steps: int, step_s: float, start: int,
                site: Site, dtype: type[np.floating[Any]]) -> npt.NDArray[np.floating[Any]]:
    """The ``uci`` loads of ``ids`` (their ``LoadSpec`` in ``specs``), per leg [W]."""
    from openamr.field.uci import uci_leg_power_w

    try:
        return uci_leg_power_w(ids, n_steps, step_s, start, site.seed,
                               time_zone=site.time_zone,
                               years=[s.uci_year for s in specs],
                               shift_weeks=[s.uci_shift_weeks for s in specs],
                               shift_min=[s.uci_shift_min for s in specs],
                               scales_w=[s.scale_w for s in specs], dtype=dtype)
    except InputError as exc:
        raise InputError(exc.message, where=exc.where or f"meters.{ids[0]}.load") from None


def site_leg_power_w(site: Site, n_steps: int, step_s: float, start_s: int | None = None, *,
                     dtype: type[np.floating[Any]] = np.float32
                     ) -> npt.NDArray[np.floating[Any]]:
    """Load per leg [W] of every meter of ``site`` (``site.meters`` order), shape
    (meters, 2, n_steps), from ``start_s`` [UTC epoch s] (default: the site's start, else 0).

    Synthetic loads are seeded by the site's seed and meter ids, in the site's time zone; CSV
    profiles start at the simulation start; measured (``uci``) loads are each meter's slice of
    the UCI household on the site's wall clock (:func:`openamr.field.uci.uci_leg_power_w`);
    PV loads are the clear-sky production of
    :mod:`openamr.field.solar` at the site's latitude and longitude, split evenly on L1 and L2.
    A single-element meter (service ``single``) gets all its load on L1.
    """
    from openamr.field.meter.profile import read_profile_csv
    from openamr.field.site.model import LoadKind

    start = start_s if start_s is not None else (site.start_s or 0)
    meters = site.meters
    out = np.zeros((len(meters), 2, n_steps), dtype=dtype)
    synth = [i for i, m in enumerate(meters)
             if m.load.kind not in (LoadKind.CSV, LoadKind.PV, LoadKind.UCI)]
    if synth:
        out[synth] = synthetic_leg_power_w(
            [meters[i].load.kind.value for i in synth],
            [meters[i].load.scale_w or 0.0 for i in synth], n_steps, step_s, start, site.seed,
            meter_ids=[meters[i].id for i in synth], time_zone=site.time_zone, dtype=dtype)
    cache: dict[object, F64] = {}
    for i, m in enumerate(meters):
        if m.load.kind is LoadKind.CSV:
            path = m.load.csv_path
            if path not in cache:
                assert path is not None
                cache[path] = csv_leg_power_w(read_profile_csv(path), n_steps, step_s)
            out[i] = cache[path]
    uci = [i for i, m in enumerate(meters) if m.load.kind is LoadKind.UCI and not m.loads]
    if uci:
        out[uci] = _uci_legs_w([meters[i].id for i in uci], [meters[i].load for i in uci],
                               n_steps, step_s, start, site, dtype)
    pv = [i for i, m in enumerate(meters) if m.load.kind is LoadKind.PV]
    if pv:
        from openamr.field.solar import PvArray, pv_ac_power_w

        # each step at its midpoint; the inverter feeds both legs alike
        mid_s = start + (np.arange(n_steps, dtype=np.float64) + 0.5) * step_s
        for i in pv:
            spec = meters[i].load
            array = PvArray(spec.pv_kwp or 0.0, spec.pv_tilt_deg or 0.0,
                            spec.pv_azimuth_deg or 0.0, site.latitude_deg or 0.0,
                            site.longitude_deg or 0.0)
            out[i] = pv_ac_power_w(array, mid_s)[None, :] / 2.0
    for i, m in enumerate(meters):
        if m.loads:
            out[i] = _element_loads_w(m, n_steps, step_s, start, site, cache)
    single = [i for i, m in enumerate(meters) if m.service == "single"]
    if single:
        out[single, 0, :] += out[single, 1, :]
        out[single, 1, :] = 0.0
    return out
