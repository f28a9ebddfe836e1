"""Counter-based random numbers: deterministic for a key and a seed, whatever else is drawn.

Shadowing must be the same for a link whatever other devices the site holds, and the same in
both directions; so each value is a hash of (sorted pair of device keys, seed, stream), not a
draw from a shared generator.  The mixer is SplitMix64 on numpy ``uint64`` arrays.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

__all__ = ["device_keys", "mix64", "pair_normal", "pair_uniform"]

U64 = npt.NDArray[np.uint64]

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def device_keys(ids: Iterable[str]) -> U64:
    """A 64-bit key per device id (BLAKE2b of the UTF-8 id), stable across runs and machines."""
    keys = [int.from_bytes(hashlib.blake2b(i.encode("utf-8"), digest_size=8).digest(), "little")
            for i in ids]
    return np.array(keys, dtype=np.uint64)


def mix64(x: npt.ArrayLike) -> U64:
    """The SplitMix64 finaliser, element-wise (wrapping arithmetic on ``uint64``)."""
    z = np.array(x, dtype=np.uint64, ndmin=1)
    with np.errstate(over="ignore"):
        z = z + _GAMMA
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    out: U64 = z ^ (z >> np.uint64(31))
    return out


def _pair_hash(key_a: U64, key_b: U64, seed: int, stream: int) -> U64:
    lo = np.minimum(key_a, key_b)
    hi = np.maximum(key_a, key_b)
    salt = mix64(np.uint64((seed * 0x100000001B3 + stream) & 0xFFFFFFFFFFFFFFFF))
    with np.errstate(over="ignore"):
        return mix64(mix64(lo ^ salt) + hi)


def _unit(h: U64) -> npt.NDArray[np.float64]:
    """Uniform in (0, 1) from the top 53 bits."""
    out: npt.NDArray[np.float64] = ((h >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
    return out


def pair_uniform(key_a: npt.ArrayLike, key_b: npt.ArrayLike, seed: int,
                 stream: int = 0) -> npt.NDArray[np.float64]:
    """Uniform (0, 1) per unordered pair of keys: ``f(a, b) == f(b, a)``."""
    a = np.asarray(key_a, dtype=np.uint64)
    b = np.asarray(key_b, dtype=np.uint64)
    return _unit(_pair_hash(a, b, seed, stream))


def pair_normal(key_a: npt.ArrayLike, key_b: npt.ArrayLike, seed: int,
                stream: int = 0) -> npt.NDArray[np.float64]:
    """Standard normal per unordered pair of keys (Box–Muller on two hashed uniforms)."""
    a = np.asarray(key_a, dtype=np.uint64)
    b = np.asarray(key_b, dtype=np.uint64)
    u1 = _unit(_pair_hash(a, b, seed, 2 * stream))
    u2 = _unit(_pair_hash(a, b, seed, 2 * stream + 1))
    out: npt.NDArray[np.float64] = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return out
