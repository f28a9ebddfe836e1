"""A fake field for the ingest, listener, serve and bench code: devices that seal real frames.

(Named ``test_ingest_*`` to sit in the ingest's room; it holds helpers and one self-test.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openamr.frames import (
    DeviceRole,
    Frame,
    FrameCounter,
    IntervalFlag,
    IntervalRecord,
    Intervals,
    KeyId,
    Payload,
    install_code_key,
)
from openamr.headend.store import Device, Meter, Site, Store

T0 = 1_767_225_600
"""2026-01-01T00:00:00Z [UTC epoch s]."""
DCAP = 0xD1


@dataclass
class FakeDevice:
    """An MDT that builds frames with its own counter."""

    eui: int
    install_code: str
    meter_id: str
    counter: FrameCounter = field(default_factory=FrameCounter)

    @property
    def device_id(self) -> str:
        return f"{self.eui:016x}"

    @property
    def install_key(self) -> bytes:
        return install_code_key(self.install_code)

    def seal(self, payload: Payload, key: bytes, key_id: KeyId = KeyId.NETWORK) -> bytes:
        counter, _ = self.counter.next()
        return Frame(self.eui, DCAP, counter, payload, key_id).to_bytes(key)

    def intervals(self, key: bytes, first_seq: int, starts: list[int], energy: list[int],
                  register_wh: int = 0, flags: IntervalFlag = IntervalFlag.NONE) -> bytes:
        records = tuple(IntervalRecord(first_seq + i, s, e, flags)
                        for i, (s, e) in enumerate(zip(starts, energy, strict=True)))
        return self.seal(Intervals(register_wh, records), key)


def make_site(store: Store, n: int = 2, *, installed_s: int | None = T0 - 86_400,
              max_power_w: float = 60_720.0) -> list[FakeDevice]:
    """A site ``s1`` with ``n`` MDTs (EUI 0x100 + i) reading meters ``m0``..."""
    store.upsert_site(Site("s1", "Test site", "UTC"))
    devices = []
    for i in range(n):
        dev = FakeDevice(0x100 + i, f"{i + 1:032x}", f"m{i}")
        store.upsert_meter(Meter(dev.meter_id, "s1", dev.device_id, "MMSMT-C02",
                                 max_power_w=max_power_w))
        store.upsert_device(Device(dev.device_id, "mdt", "s1", dev.meter_id, "MMSMT-C02",
                                   dev.install_code, installed_s))
        devices.append(dev)
    return devices


def test_fake_device_frames_verify() -> None:
    dev = FakeDevice(0x100, "01" * 16, "m0")
    data = dev.intervals(bytes(16), 0, [T0], [10])
    frame = Frame.from_bytes(data, bytes(16))
    assert frame.src == 0x100
    assert isinstance(frame.payload, Intervals)
    assert DeviceRole.MDT == 2
