"""MQTT username, password (from the environment) and TLS reach the wire.

A fake broker socket records the first bytes the push sends: an MQTT CONNECT carrying the
user name and password flags and values, or a TLS ClientHello when ``[mqtt] tls`` is on.
(Mosquitto in the test set-up accepts anonymous clients, so it cannot show that credentials
are sent.)
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from openamr.errors import InputError
from openamr.headend.push.config import PushConfig
from openamr.headend.push.mqtt import MqttTransport
from openamr.headend.settings import load_settings


@pytest.fixture
def fake_broker() -> Iterator[tuple[int, list[bytes], threading.Event]]:
    server = socket.create_server(("127.0.0.1", 0))
    got: list[bytes] = []
    done = threading.Event()

    def accept() -> None:
        conn, _ = server.accept()
        conn.settimeout(10)
        try:
            got.append(conn.recv(4096))
        finally:
            conn.close()
            done.set()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server.getsockname()[1], got, done
    finally:
        server.close()


def test_connect_carries_username_and_password_from_the_environment(
        fake_broker: tuple[int, list[bytes], threading.Event],
        monkeypatch: pytest.MonkeyPatch) -> None:
    port, got, done = fake_broker
    monkeypatch.setenv("HA_MQTT_PASSWORD", "b1rdseed")
    settings = load_settings(env={}, overrides={"mqtt": {
        "enabled": True, "port": port, "username": "openamr",
        "password_env": "HA_MQTT_PASSWORD"}})
    config = PushConfig.from_settings(settings)
    assert "b1rdseed" not in repr(config)
    transport = MqttTransport("127.0.0.1", port, username=config.mqtt_username,
                              password=config.mqtt_password)
    transport.start()
    try:
        assert done.wait(10)
    finally:
        transport.close()
    packet = got[0]
    assert packet[0] == 0x10  # CONNECT
    flags = packet[packet.index(b"MQTT") + 5]
    assert flags & 0x80
    assert flags & 0x40
    assert b"openamr" in packet
    assert b"b1rdseed" in packet


# paho leaves the SSL socket of a failed handshake to the garbage collector (its retry path);
# that is paho's clean-up, not ours
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_tls_sends_a_client_hello(fake_broker: tuple[int, list[bytes], threading.Event]
                                  ) -> None:
    port, got, done = fake_broker
    transport = MqttTransport("127.0.0.1", port, tls=True)
    transport.start()
    try:
        assert done.wait(10)
    finally:
        transport.close()
    assert got[0][:1] == b"\x16"  # a TLS handshake record, not a plain CONNECT
    assert got[0][1:2] == b"\x03"


def test_a_username_without_its_password_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAMR_MQTT_PASSWORD", raising=False)
    settings = load_settings(env={}, overrides={"mqtt": {"enabled": True, "username": "u"}})
    with pytest.raises(InputError, match=r"\[mqtt\] password_env"):
        PushConfig.from_settings(settings)


def test_the_password_variable_is_not_read_as_a_setting() -> None:
    settings = load_settings(env={"OPENAMR_MQTT_PASSWORD": "x"})
    assert settings.mqtt.password_env == "OPENAMR_MQTT_PASSWORD"


def test_a_missing_ca_file_is_refused(tmp_path: object) -> None:
    settings = load_settings(env={}, overrides={"mqtt": {"tls": True,
                                                         "tls_ca_file": "/nonexistent.pem"}})
    with pytest.raises(InputError, match="tls_ca_file"):
        PushConfig.from_settings(settings)
