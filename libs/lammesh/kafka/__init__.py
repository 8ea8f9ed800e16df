"""Kafka adapters (aiokafka): client config, topic admin, envelope producer and consumer loop."""

from lammesh.kafka.admin import ensure_topics
from lammesh.kafka.consumer import EnvelopeConsumer, InboundRecord, PoisonRecord
from lammesh.kafka.producer import EnvelopeProducer

__all__ = ["EnvelopeConsumer", "EnvelopeProducer", "InboundRecord", "PoisonRecord", "ensure_topics"]
