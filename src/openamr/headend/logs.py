"""Logging of the head-end process: stdlib :mod:`logging` to stderr, text or JSON lines.

``configure_logging(level, fmt)`` is called once by ``openamr serve``.  Loggers are named after
their room (``openamr.headend.listener``, ``openamr.headend.alarms``, ``openamr.store`` ...).
With ``fmt="json"`` every record is one JSON object per line with ``t`` (ISO 8601 UTC), ``level``,
``logger``, ``message`` and, when the record has one, ``exception`` (the traceback): easy to ship
to a log collector.  Messages never contain secrets: store targets are redacted
(:func:`openamr.headend.store.redact`).
"""

from __future__ import annotations

import json
import logging
import sys

from openamr.timeutil import format_utc

__all__ = ["LOG_LEVELS", "JsonFormatter", "configure_logging"]

LOG_LEVELS = ("debug", "info", "warning", "error")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"t": format_utc(int(record.created)), "level": record.levelname.lower(),
               "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure_logging(level: str = "info", fmt: str = "text") -> None:
    """Send records at ``level`` and above to stderr as ``fmt`` (``text`` or ``json``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
