"""Frame delivery probability over link margin: an empirical logistic curve (mesh.md §4.6).

``PDR_ref = 1 / (1 + exp(−(margin − s50_offset) / width))`` for a ``reference_frame_bytes``
frame, and ``PDR_L = PDR_ref^(L / L_ref)`` for a frame of ``L`` bytes (each byte must survive).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from openamr.field.radio.params import RadioParams

__all__ = ["delivery_probability", "link_margin_db"]

F64 = npt.NDArray[np.float64]


def link_margin_db(rssi_dbm: npt.ArrayLike, params: RadioParams) -> F64:
    """Link margin [dB] = RSSI [dBm] − receiver sensitivity [dBm]."""
    out: F64 = np.asarray(rssi_dbm, dtype=np.float64) - params.sensitivity_dbm
    return out


def delivery_probability(margin_db: npt.ArrayLike, params: RadioParams,
                         frame_bytes: npt.ArrayLike | None = None) -> F64:
    """Probability [0, 1] that one frame of ``frame_bytes`` [bytes] arrives over a link of
    ``margin_db`` [dB] (vectorised; ``-inf`` margin gives 0).

    Non-decreasing in margin, non-increasing in frame length.
    """
    m = np.asarray(margin_db, dtype=np.float64)
    z = (m - params.delivery_s50_offset_db) / params.delivery_width_db
    # 1 / (1 + exp(-z)) without overflow for very negative z
    p_ref = np.exp(-np.logaddexp(0.0, -z))
    if frame_bytes is None:
        out: F64 = p_ref
        return out
    ratio = np.asarray(frame_bytes, dtype=np.float64) / float(params.reference_frame_bytes)
    out = np.power(p_ref, ratio)
    return out
