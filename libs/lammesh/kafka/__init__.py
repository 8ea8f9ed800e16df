"""Kafka adapters (aiokafka): client config, topic admin, envelope producer and consumer loop."""

from lammesh.kafka.admin import ensure_topics
from lammesh.kafka.consumer import EnvelopeConsumer, InboundRecord, PoisonRecord
from lammesh.kafka.producer import EnvelopeProducer, RecordTooLarge

__all__ = ["EnvelopeConsumer", "EnvelopeProducer", "InboundRecord", "PoisonRecord", "RecordTooLarge", "ensure_topics"]
