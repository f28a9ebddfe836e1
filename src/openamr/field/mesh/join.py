"""Joining: the device's join request and the reading of the join response.

The request travels up the mesh sealed under the device's install-code key (key id 1) to the
head-end, the trust centre; the response comes back sealed under the same key and carries the
network key, the report period and the time.
"""

from __future__ import annotations

from openamr.field.mesh.security import DeviceSecurity
from openamr.frames import DeviceRole, JoinRequest, JoinResponse, KeyId

__all__ = ["accept_join_response", "join_request"]


def join_request(security: DeviceSecurity, dcap_eui: int, role: DeviceRole, *,
                 model: str = "", battery_mv: int = 0) -> tuple[bytes, int]:
    """The sealed join request of a device and its frame counter."""
    payload = JoinRequest(role, model[:12], 1, battery_mv)
    return security.seal(dcap_eui, payload, KeyId.INSTALL_CODE)


def accept_join_response(security: DeviceSecurity, response: JoinResponse) -> bool:
    """Install the network key of an accepting response; False if the join was refused."""
    if not response.accepted:
        return False
    security.network_key = bytes(response.network_key)
    return True
