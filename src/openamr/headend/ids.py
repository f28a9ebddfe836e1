"""Identifiers users choose (site and meter ids): one safe alphabet, checked at registration.

An id appears in API paths (``/api/v1/meters/{meter_id}``), MQTT topics, file names and CSV
cells, so it is 1 to 64 characters from ``A-Z a-z 0-9 . _ ~ -`` (RFC 3986's unreserved
characters: nothing to escape in a URL path segment), starting with a letter or a digit.
A meter id with ``/`` used to be stored and then be unreachable through the API; ``+`` and ``#``
are MQTT wildcards; a leading ``=``, ``+``, ``-`` or ``@`` is a spreadsheet formula.
"""

from __future__ import annotations

import re

from openamr.errors import InputError

__all__ = ["ID_MAX_CHARS", "SAFE_ID", "check_id", "is_safe_id"]

ID_MAX_CHARS = 64
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,63}")
"""The alphabet of site and meter ids (see the module docstring)."""


def is_safe_id(value: str) -> bool:
    """Whether ``value`` is a valid id."""
    return SAFE_ID.fullmatch(value) is not None


def check_id(value: str, what: str, where: str | None = None) -> str:
    """``value`` if it is a valid id, else an ``InputError`` naming ``what`` and ``where``."""
    if not isinstance(value, str) or not is_safe_id(value):
        raise InputError(f"{what} {value!r} is not a valid id: 1-{ID_MAX_CHARS} characters "
                         "A-Z a-z 0-9 . _ ~ -, starting with a letter or digit",
                         where=where or what)
    return value
