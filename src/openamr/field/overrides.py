"""Numeric parameter overrides from a site file, shared by the radio and the mesh parameters."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from openamr.errors import InputError

__all__ = ["with_numeric_overrides"]

P = TypeVar("P")


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def with_numeric_overrides(params: P, overrides: dict[str, Any], *, where: str) -> P:
    """A copy of the dataclass ``params`` with ``overrides`` applied.

    Unknown names are refused with the allowed list; every value must be a number (an integer
    field stays an integer).  ``where`` names the site-file table for the message.
    """
    allowed = [f.name for f in dataclasses.fields(params)]  # type: ignore[arg-type]
    unknown = sorted(set(overrides) - set(allowed))
    if unknown:
        raise InputError(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}",
                         where=where)
    values: dict[str, Any] = {}
    for name, value in overrides.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"expected a number, got {_show(value)}", where=f"{where}.{name}")
        values[name] = int(value) if isinstance(getattr(params, name), int) else float(value)
    return dataclasses.replace(params, **values)  # type: ignore[type-var]
