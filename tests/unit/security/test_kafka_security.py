"""Kafka client security from settings: SASL/SCRAM and TLS for aiokafka (lammesh.kafka.client)
and for the coordinator's Faust app, and no password in repr(settings) or in a log line."""

from __future__ import annotations

import json
import ssl

import faust
import pytest
import structlog

from lammesh.coordinator.faust_app import credentials as faust_credentials
from lammesh.dev.certs import CertSet, make_certs
from lammesh.kafka.client import client_config, sasl_login
from lammesh.settings import Settings

PASSWORD = "scram-P4ss-never-logged"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertSet:
    return make_certs(tmp_path_factory.mktemp("kafka-certs"))


def sasl_ssl(certs: CertSet, **extra: object) -> Settings:
    return Settings(
        kafka_bootstrap="kafka-0:9093",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username="coordinator",
        kafka_sasl_password=PASSWORD,
        kafka_ssl_cafile=str(certs.ca),
        **extra,
    )


def _trusts(context: ssl.SSLContext, certs: CertSet) -> bool:
    return any(
        dict(x[0] for x in ca["subject"]).get("commonName") == "LAM Mesh local CA" for ca in context.get_ca_certs()
    )


def test_sasl_ssl_config_has_the_mechanism_the_ca_and_the_password(certs: CertSet) -> None:
    config = client_config(sasl_ssl(certs), "gateway")
    assert config["security_protocol"] == "SASL_SSL" and config["bootstrap_servers"] == "kafka-0:9093"
    assert config["sasl_mechanism"] == "SCRAM-SHA-256"
    assert config["sasl_plain_username"] == "coordinator"
    assert config["sasl_plain_password"] == PASSWORD  # the real value reaches the client, nowhere else
    context = config["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert _trusts(context, certs)


def test_mechanism_defaults_to_scram_sha_512_and_mutual_tls_loads_the_client_certificate(certs: CertSet) -> None:
    scram = client_config(
        Settings(kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="u", kafka_sasl_password="p"), "x"
    )
    assert scram["sasl_mechanism"] == "SCRAM-SHA-512" and "ssl_context" not in scram
    mutual = client_config(
        Settings(
            kafka_security_protocol="SSL",
            kafka_ssl_cafile=str(certs.ca),
            kafka_ssl_certfile=str(certs.client_cert),
            kafka_ssl_keyfile=str(certs.client_key),
        ),
        "x",
    )
    assert "sasl_mechanism" not in mutual and _trusts(mutual["ssl_context"], certs)
    with pytest.raises(ssl.SSLError):  # a key that is not the certificate's is refused when the context is built
        client_config(
            Settings(
                kafka_security_protocol="SSL",
                kafka_ssl_cafile=str(certs.ca),
                kafka_ssl_certfile=str(certs.client_cert),
                kafka_ssl_keyfile=str(certs.server_key),
            ),
            "x",
        )
    plain = client_config(Settings(), "x")
    assert plain["security_protocol"] == "PLAINTEXT" and not {
        "ssl_context",
        "sasl_mechanism",
        "sasl_plain_password",
    } & set(plain)


def test_coordinator_faust_credentials_follow_the_same_settings(certs: CertSet) -> None:
    credentials = faust_credentials(sasl_ssl(certs))
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.mechanism.value == "SCRAM-SHA-256" and credentials.username == "coordinator"
    assert credentials.password == PASSWORD and _trusts(credentials.ssl_context, certs)
    assert PASSWORD not in repr(credentials)
    tls_only = faust_credentials(Settings(kafka_security_protocol="SSL", kafka_ssl_cafile=str(certs.ca)))
    assert isinstance(tls_only, faust.SSLCredentials)
    assert faust_credentials(Settings()) is None


def test_no_secret_in_repr_or_dump_of_the_settings(monkeypatch: pytest.MonkeyPatch, certs: CertSet) -> None:
    monkeypatch.setenv("LAMMESH_KAFKA_SASL_PASSWORD", PASSWORD)
    monkeypatch.setenv("LAMMESH_SMTP_PASSWORD", "smtp-" + PASSWORD)
    monkeypatch.setenv("LAMMESH_LLM_API_KEY", "sk-" + PASSWORD)
    monkeypatch.setenv("LAMMESH_TOKEN", "lmt_" + PASSWORD)
    settings = Settings()
    for text in (repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump())):
        assert PASSWORD not in text
    assert settings.kafka_sasl_password.get_secret_value() == PASSWORD


def test_no_password_in_logs_even_when_the_client_config_is_logged(json_log, certs: CertSet) -> None:
    settings = sasl_ssl(certs, smtp_password="smtp-" + PASSWORD, llm_api_key="sk-" + PASSWORD + "0123456789")
    log = structlog.get_logger("lammesh.kafka.client")  # "kafka" itself is held at WARNING
    log.info("kafka client", config=client_config(settings, "gateway"), settings=settings.model_dump())
    log.info("kafka settings", settings=settings)  # rendered with repr
    log.error(f"SASL authentication failed for coordinator with {client_config(settings, 'x')}")
    lines = json_log()
    assert len(lines) == 3
    rendered = json.dumps(lines)
    assert PASSWORD not in rendered
    assert lines[0]["config"]["sasl_plain_password"] == "[REDACTED]"
    assert lines[0]["config"]["sasl_mechanism"] == "SCRAM-SHA-256"


def test_the_sasl_login_keeps_its_password_out_of_its_repr() -> None:
    login = sasl_login(
        Settings(kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="u", kafka_sasl_password=PASSWORD)
    )
    assert login is not None and login.password == PASSWORD and PASSWORD not in repr(login)
