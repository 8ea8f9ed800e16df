"""The saga coordinator service: runs workflows as sagas over Kafka."""
