"""Scale-out ingest through an MQTT broker.

Many DCAPs (``openamr serve --forward mqtt://…``) publish the frames they receive to a broker;
``openamr ingest-worker`` processes share that stream through an MQTT 5 shared subscription,
verify and store each batch in one shared PostgreSQL store (idempotently, as ``openamr serve``
does), and send the downlinks (ACKs, gap requests, join responses) back through the broker to
the DCAP that forwarded the frames.  See ``docs/scaling.md``.
"""

from __future__ import annotations

from openamr.headend.bridge.envelope import (
    decode_downlinks,
    decode_uplinks,
    encode_downlinks,
    encode_uplinks,
)
from openamr.headend.bridge.forwarder import MqttForwarder
from openamr.headend.bridge.topics import BrokerUrl, parse_broker_url
from openamr.headend.bridge.worker import IngestWorker

__all__ = [
    "BrokerUrl",
    "IngestWorker",
    "MqttForwarder",
    "decode_downlinks",
    "decode_uplinks",
    "encode_downlinks",
    "encode_uplinks",
    "parse_broker_url",
]
