"""The coordinator's Faust app, connected as every aiokafka client is (lammesh.kafka.client).

Faust takes brokers as `kafka://host:port` URLs and TLS/SASL as its own credential objects; this
maps the shared Kafka settings onto them, so the coordinator needs no security mapping of its own.
Faust's aiokafka driver fixes its consumer's fetch wait at 1.5 s; the coordinator's consumer waits
`consumer_fetch_max_wait_ms` like every other consumer here (decision 0642).
"""

from __future__ import annotations

from typing import Any, cast

import aiokafka
import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from lammesh.coordinator.store import store_url
from lammesh.kafka.client import sasl_login, ssl_context
from lammesh.settings import KafkaSettings, Settings


def broker_urls(settings: KafkaSettings) -> list[str]:
    return [f"kafka://{host.strip()}" for host in settings.kafka_bootstrap.split(",") if host.strip()]


def credentials(settings: KafkaSettings) -> faust.types.auth.CredentialsT | None:
    """The same TLS context and SASL login every aiokafka client gets, in Faust's terms."""
    context, login = ssl_context(settings), sasl_login(settings)
    if login is not None:
        return faust.SASLCredentials(
            username=login.username, password=login.password, mechanism=login.mechanism, ssl_context=context
        )
    return faust.SSLCredentials(context) if context is not None else None


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # Read by the consumer's start(), which builds its fetcher from it.
        consumer._fetch_max_wait_ms = cast(CoordinatorApp, self.app).fetch_max_wait_ms
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


class CoordinatorApp(faust.App):
    """A Faust app whose consumer fetches with `fetch_max_wait_ms`."""

    def __init__(self, *args: Any, fetch_max_wait_ms: int, **kwargs: Any) -> None:
        self.fetch_max_wait_ms = fetch_max_wait_ms
        super().__init__(*args, **kwargs)

    def _new_transport(self) -> _Transport:
        return _Transport(self.conf.broker_consumer, self)


def coordinator_app(settings: Settings, group: str) -> CoordinatorApp:
    """The Faust app of consumer group `group`: manual acks, the saga table's store, its own
    session timeout; web server and autodiscovery off (the service runtime serves health)."""
    return CoordinatorApp(
        group,
        fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
        broker=broker_urls(settings),
        broker_credentials=credentials(settings),
        store=store_url(settings.coordinator_store),
        datadir=str(settings.coordinator_data_dir / settings.topic_prefix),
        web_enabled=False,
        autodiscover=False,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        producer_linger_ms=settings.producer_linger_ms,
        producer_max_request_size=settings.kafka_max_record_bytes,  # table rows are checked against it
        stream_wait_empty=False,
        table_standby_replicas=0,
        broker_session_timeout=settings.coordinator_session_timeout_s,
        broker_heartbeat_interval=max(settings.coordinator_session_timeout_s / 3, 0.5),
    )
