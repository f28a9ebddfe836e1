"""The radio identity of a simulated device: its EUI-64 and install code, per site.

Real hardware carries both on its label; a simulated device gets them derived from
``(site id, device id)``, so two sites that use the same device ids (``DCAP-1``, ``REP-001``,
``M-01``) are two sets of devices to the head-end, and a site registered with
``openamr site import`` and simulated with ``openamr sim run`` agree on every key.
(An assumption of openamr's, not the manual's: the manual does not say how EUIs are assigned.)
"""

from __future__ import annotations

import hashlib

__all__ = ["device_identity"]


def device_identity(site_id: str, device_id: str) -> tuple[int, bytes]:
    """``(EUI-64, 16-byte install code)`` of the simulated device ``device_id`` at ``site_id``."""
    text = f"{site_id}\x00{device_id}".encode()
    eui = int.from_bytes(hashlib.blake2b(text, digest_size=8, person=b"openamr-eui").digest(),
                         "big")
    code = hashlib.blake2b(text, digest_size=16, person=b"openamr-install").digest()
    return eui, code
