"""Read a tariff file of either format: ``.toml`` (ours) or ``.json`` (OpenEI URDB)."""

from __future__ import annotations

from pathlib import Path

from openamr.billing.tariff import Tariff
from openamr.billing.tariff_toml import load_tariff_toml
from openamr.billing.urdb import load_urdb_json
from openamr.errors import InputError

__all__ = ["load_tariff"]


def load_tariff(path: Path) -> Tariff:
    """The tariff in ``path``, by its suffix (``InputError`` for others or a malformed file)."""
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return load_tariff_toml(path)
    if suffix == ".json":
        return load_urdb_json(path)
    raise InputError("a tariff file is .toml (openamr's format) or .json (OpenEI URDB)",
                     where=str(path))
