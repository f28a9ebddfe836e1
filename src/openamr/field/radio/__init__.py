"""The radio medium: 915 MHz propagation inside a building, link table and frame delivery.

Three layers (as in pvlib): pure vectorised functions (:func:`path_loss_db`,
:func:`floor_loss_db`, :func:`walls_crossed_loss_db`, :func:`shadowing_db`,
:func:`delivery_probability`) → parameter objects (:class:`RadioParams`, :class:`RadioNodes`,
:class:`Walls`) → the :class:`Medium` the simulator asks who hears whom.
"""

from __future__ import annotations

from openamr.field.radio.delivery import delivery_probability, link_margin_db
from openamr.field.radio.fading import SlowFading
from openamr.field.radio.hashing import device_keys, mix64, pair_normal, pair_uniform
from openamr.field.radio.links import (
    LinkTable,
    RadioNodes,
    Role,
    link_loss_db,
    link_matrix_dbm,
    link_table,
)
from openamr.field.radio.medium import LinkArrays, Medium
from openamr.field.radio.params import RadioParams
from openamr.field.radio.placement import Placement, placement_loss_db, placement_sigma_db
from openamr.field.radio.propagation import (
    Walls,
    floor_loss_db,
    path_loss_db,
    shadowing_db,
    walls_crossed_loss_db,
)

__all__ = [
    "LinkArrays",
    "LinkTable",
    "Medium",
    "Placement",
    "RadioNodes",
    "RadioParams",
    "Role",
    "SlowFading",
    "Walls",
    "delivery_probability",
    "device_keys",
    "floor_loss_db",
    "link_loss_db",
    "link_margin_db",
    "link_matrix_dbm",
    "link_table",
    "mix64",
    "pair_normal",
    "pair_uniform",
    "path_loss_db",
    "placement_loss_db",
    "placement_sigma_db",
    "shadowing_db",
    "walls_crossed_loss_db",
]
