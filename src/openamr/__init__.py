"""openamr: automatic meter reading for electricity submetering.

Two sides of one system, joined only by the frame format (:mod:`openamr.frames`):

* :mod:`openamr.field`: the digital twin of what hangs on the wall and travels through the air
  (the CT-rated kWh meter, the Meter Data Transceiver, the radio mesh, the simulator);
* :mod:`openamr.headend`: the Data Concentrating Access Point's software (ingest, storage,
  pull API, push, alarms, exports).

:mod:`openamr.cli` composes them into the ``openamr`` command.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("openamr")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
