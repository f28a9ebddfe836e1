"""The field: the digital twin of what hangs on the wall and travels through the air.

* :mod:`openamr.field.meter`: the CT-rated kWh meter (catalogue, metrology, CTs, wiring,
  diagnosis, accuracy tests, registers, demand, outputs, tamper);
* :mod:`openamr.field.mdt`: the Meter Data Transceiver.

The field never imports the head-end; both speak :mod:`openamr.frames`.
"""

from openamr.field.compiled import check_fresh

check_fresh()
