"""The exception tree shared by every room of openamr.

::

    OpenAMRError                 base of everything openamr raises on purpose
     ├── InputError              bad input from a user: a file, a CLI option, a config key
     │    └── (subclasses per room, e.g. ProfileError, SiteError, TariffError)
     ├── FrameError              a frame that cannot be decoded or verified (see openamr.frames)
     └── StoreError              the head-end store refused an operation

An ``InputError`` says *what* is wrong and *where* (file and line, or key); the CLI prints its
message and exits with status 2.  Findings of validation and diagnosis are values (objects with a
dotted ``code``), not exceptions: the caller decides whether to raise.
"""

from __future__ import annotations

__all__ = ["FrameError", "InputError", "OpenAMRError", "StaleExtensionError", "StoreError"]


class OpenAMRError(Exception):
    """Base class of every error openamr raises on purpose."""


class InputError(OpenAMRError, ValueError):
    """Bad user input.  ``where`` names the file:line, the option or the key at fault."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class FrameError(OpenAMRError):
    """A frame that cannot be decoded, authenticated or accepted.

    ``reason`` is a stable snake_case code used to count rejections (``malformed``,
    ``bad_mic``, ``replay``, ``unknown_device``, ``unsupported_version`` ...).
    """

    def __init__(self, reason: str, message: str = "") -> None:
        self.reason = reason
        super().__init__(f"{reason}: {message}" if message else reason)


class StoreError(OpenAMRError):
    """The head-end store refused an operation (schema too new, connection lost ...)."""


class StaleExtensionError(ImportError):
    """A compiled module of a source checkout is older than its source (``make compile`` was
    not run again after an edit): :mod:`openamr.field.compiled` refuses to run it."""
