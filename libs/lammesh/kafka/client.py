"""Connection and security settings shared by every aiokafka client."""

from __future__ import annotations

from typing import Any

from aiokafka.helpers import create_ssl_context

from lammesh.settings import Settings


def client_config(settings: Settings, client_id: str) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "client_id": client_id,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        config["ssl_context"] = create_ssl_context(
            cafile=settings.kafka_ssl_cafile,
            certfile=settings.kafka_ssl_certfile,
            keyfile=settings.kafka_ssl_keyfile,
        )
    if settings.kafka_security_protocol.startswith("SASL"):
        config["sasl_mechanism"] = settings.kafka_sasl_mechanism or "SCRAM-SHA-512"
        config["sasl_plain_username"] = settings.kafka_sasl_username
        config["sasl_plain_password"] = (
            settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None
        )
    return config
