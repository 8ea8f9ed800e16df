"""Connection and security settings shared by every aiokafka client."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any

from aiokafka.helpers import create_ssl_context

from lammesh.settings import KafkaSettings


@dataclass(frozen=True)
class SaslLogin:
    mechanism: str
    username: str | None
    password: str | None = field(repr=False)


def ssl_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    """The TLS context for SSL and SASL_SSL; None for plaintext protocols."""
    if settings.kafka_security_protocol not in ("SSL", "SASL_SSL"):
        return None
    return create_ssl_context(
        cafile=settings.kafka_ssl_cafile, certfile=settings.kafka_ssl_certfile, keyfile=settings.kafka_ssl_keyfile
    )


def sasl_login(settings: KafkaSettings) -> SaslLogin | None:
    """The SASL login for SASL_PLAINTEXT and SASL_SSL (SCRAM-SHA-512 unless set); None otherwise."""
    if not settings.kafka_security_protocol.startswith("SASL"):
        return None
    password = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None
    return SaslLogin(settings.kafka_sasl_mechanism or "SCRAM-SHA-512", settings.kafka_sasl_username, password)


def client_config(settings: KafkaSettings, client_id: str) -> dict[str, Any]:
    """aiokafka's connection keywords; the coordinator's Faust app maps the same two parts."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "client_id": client_id,
        "security_protocol": settings.kafka_security_protocol,
    }
    context = ssl_context(settings)
    if context is not None:
        config["ssl_context"] = context
    login = sasl_login(settings)
    if login is not None:
        config["sasl_mechanism"] = login.mechanism
        config["sasl_plain_username"] = login.username
        config["sasl_plain_password"] = login.password
    return config


def consumer_config(settings: KafkaSettings, client_id: str) -> dict[str, Any]:
    """`client_config` plus what every consumer here fetches with (decision 0642)."""
    return {**client_config(settings, client_id), "fetch_max_wait_ms": settings.consumer_fetch_max_wait_ms}
