"""Pure parts of the push: topics, payloads, idempotency keys, HA discovery, signing, back-off."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.headend.push import topics
from openamr.headend.push.homeassistant import discovery_config, discovery_message
from openamr.headend.push.outbox import RetryPolicy
from openamr.headend.push.payloads import Message, interval_messages, row_to_json
from openamr.headend.push.webhook import sign_body, verify_signature
from openamr.headend.store import DeviceStatus

T0_S = 1_790_000_100 - (1_790_000_100 % 900)


def test_topics_follow_the_documented_scheme() -> None:
    assert topics.intervals_topic("openamr", "s1", "m1") == "openamr/s1/meters/m1/intervals"
    assert topics.meter_state_topic("openamr", "s1", "m1") == "openamr/s1/meters/m1/state"
    assert topics.device_state_topic("p", "s1", "00aa") == "p/s1/devices/00aa/state"
    assert topics.events_topic("p", "s1") == "p/s1/events"
    assert topics.alarms_topic("p", "s1") == "p/s1/alarms"
    assert (topics.discovery_config_topic("homeassistant", "m-1")
            == "homeassistant/sensor/openamr_m-1/energy/config")


@pytest.mark.parametrize("bad", ["a/b", "a+b", "a#", "x\x00y", ""])
def test_an_identifier_never_adds_a_level_or_a_wildcard(bad: str) -> None:
    level = topics.topic_level(bad)
    assert level
    assert not set(level) & set("/+#\x00")


def _messages(channel: str = "mqtt", n: int = 250, batch: int = 96) -> list[Message]:
    starts = T0_S + 900 * np.arange(n)[::-1]  # reversed on purpose: the batches are sorted
    energy = np.arange(n, dtype=np.float64) * 2.5
    return interval_messages(channel, "p/s1/meters/m1/intervals", site_id="s1", meter_id="m1",
                             start_s=starts, energy_wh=energy, batch_readings=batch)


def test_interval_batches_carry_many_readings_sorted_and_unit_suffixed() -> None:
    messages = _messages()
    assert [m.body["count"] for m in messages] == [96, 96, 58]
    body = messages[0].body
    assert body["first_start"] == "2026-09-21T14:15:00Z"
    assert body["interval_length_s"] == 900
    reading = body["readings"][0]
    assert set(reading) == {"start", "energy_wh", "quality"}
    assert reading["start"].endswith("Z")
    starts = [r["start"] for m in messages for r in m.body["readings"]]
    assert starts == sorted(starts)
    assert len(set(starts)) == 250
    assert body["energy_wh_total"] == pytest.approx(sum(r["energy_wh"] for r in body["readings"]))
    assert json.loads(messages[0].mqtt_payload())["idempotency_key"] == messages[0].idempotency_key


def test_the_idempotency_key_is_deterministic_per_channel_and_content() -> None:
    a, b = _messages(), _messages()
    assert [m.idempotency_key for m in a] == [m.idempotency_key for m in b]
    assert len({m.idempotency_key for m in a}) == 3
    other = _messages(channel="webhook")
    assert not {m.idempotency_key for m in a} & {m.idempotency_key for m in other}
    starts = T0_S + 900 * np.arange(3)
    one = interval_messages("mqtt", "t", site_id="s", meter_id="m", start_s=starts,
                            energy_wh=[1.0, 2.0, 3.0])
    changed = interval_messages("mqtt", "t", site_id="s", meter_id="m", start_s=starts,
                                energy_wh=[1.0, 2.0, 3.5])
    assert one[0].idempotency_key != changed[0].idempotency_key


def test_the_envelope_round_trips_and_refuses_foreign_bytes() -> None:
    message = _messages()[1]
    assert Message.from_envelope(message.to_envelope()) == message
    assert json.loads(message.mqtt_payload()) == message.body
    with pytest.raises(InputError):
        Message.from_envelope(b"not json")
    body = json.loads(message.webhook_body())
    assert body["idempotency_key"] == message.idempotency_key
    assert body["kind"] == "intervals"


def test_bad_batches_are_refused() -> None:
    with pytest.raises(InputError):
        interval_messages("mqtt", "t", site_id="s", meter_id="m", start_s=[0, 900],
                          energy_wh=[1.0])
    with pytest.raises(InputError):
        interval_messages("mqtt", "t", site_id="s", meter_id="m", start_s=[0],
                          energy_wh=[1.0], batch_readings=0)


def test_a_status_row_becomes_iso_instants_and_plain_values() -> None:
    row = row_to_json(DeviceStatus("00aa", T0_S, rssi_dbm=-70, link_margin_db=20.0,
                                   joined_s=None))
    assert row["last_heard"] == "2026-09-21T14:15:00Z"
    assert "last_heard_s" not in row
    assert row["joined"] is None
    assert row["rssi_dbm"] == -70
    assert row["link_margin_db"] == 20


def test_home_assistant_discovery_makes_an_energy_dashboard_sensor() -> None:
    config = discovery_config("openamr", site_id="s1", meter_id="m1", model="MMSMT")
    assert config["device_class"] == "energy"
    assert config["state_class"] == "total_increasing"
    assert config["unit_of_measurement"] == "kWh"
    assert config["state_topic"] == "openamr/s1/meters/m1/state"
    assert config["value_template"] == "{{ value_json.register_kwh }}"
    assert config["unique_id"] == "openamr_s1_m1_energy"
    wh = discovery_config("openamr", site_id="s1", meter_id="m1", unit="Wh")
    assert wh["value_template"] == "{{ value_json.register_wh }}"
    with pytest.raises(ValueError, match="unit"):
        discovery_config("openamr", site_id="s1", meter_id="m1", unit="MWh")
    message = discovery_message("mqtt", "homeassistant", "openamr", site_id="s1", meter_id="m1")
    assert message.retain
    assert message.topic == "homeassistant/sensor/openamr_s1_m1/energy/config"


def test_the_signature_is_an_hmac_of_the_exact_body() -> None:
    body = b'{"a":1}'
    header = sign_body(b"secret", body)
    assert header.startswith("sha256=")
    assert len(header) == 7 + 64
    assert verify_signature(b"secret", body, header)
    assert not verify_signature(b"secret", body + b" ", header)
    assert not verify_signature(b"other", body, header)
    assert not verify_signature(b"secret", body, None)


@given(attempts=st.integers(0, 80), seed=st.integers(0, 2**32 - 1))
def test_back_off_grows_exponentially_with_bounded_jitter(attempts: int, seed: int) -> None:
    policy = RetryPolicy(retry_initial_s=2.0, retry_max_s=600.0, jitter_ratio=0.5)
    delay_s = policy.delay_s(attempts, random.Random(seed))
    ceiling_s = min(600.0, 2.0 * 2.0**attempts)
    assert 0.5 * ceiling_s <= delay_s <= ceiling_s <= 600.0


def test_back_off_settings_are_checked() -> None:
    with pytest.raises(InputError, match="retry_initial_s"):
        RetryPolicy(retry_initial_s=10.0, retry_max_s=1.0)


@given(starts=st.sets(st.integers(0, 10_000), min_size=1, max_size=300),
       batch=st.integers(1, 120))
def test_batches_partition_the_readings(starts: set[int], batch: int) -> None:
    start_s = T0_S + 900 * np.array(sorted(starts), dtype=np.int64)[::-1]
    energy = (start_s % 97).astype(np.float64)
    messages = interval_messages("mqtt", "t", site_id="s", meter_id="m", start_s=start_s,
                                 energy_wh=energy, batch_readings=batch)
    seen = [(r["start"], r["energy_wh"]) for m in messages for r in m.body["readings"]]
    assert len(seen) == len(starts)
    assert all(m.body["count"] <= batch for m in messages)
    assert sorted(seen) == seen
    assert len({m.idempotency_key for m in messages}) == len(messages)
