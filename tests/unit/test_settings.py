from pathlib import Path

import pytest
from pydantic import ValidationError

from lammesh.settings import GatewaySettings, GrpcSettings, KafkaSettings, Settings
from lammesh.topics import CORE_TOPICS, DLQ, TASKS_STATE, step_commands


def test_defaults_match_the_design(monkeypatch):
    for key in list(__import__("os").environ):
        if key.startswith("LAMMESH_"):
            monkeypatch.delenv(key)
    settings = Settings()
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.grpc_port == 50051
    assert settings.metrics_port == 9464
    assert settings.topic_prefix == "lammesh"


def test_environment_uses_the_lammesh_prefix(monkeypatch):
    monkeypatch.setenv("LAMMESH_KAFKA_BOOTSTRAP", "kafka-0:9094,kafka-1:9094")
    monkeypatch.setenv("LAMMESH_GRPC_PORT", "7001")
    monkeypatch.setenv("LAMMESH_METRICS_PORT", "0")
    monkeypatch.setenv("LAMMESH_LOG_LEVEL", "debug")
    monkeypatch.setenv("LAMMESH_KAFKA_SASL_PASSWORD", "s3cret")
    settings = Settings()
    assert settings.kafka_bootstrap == "kafka-0:9094,kafka-1:9094"
    assert (settings.grpc_port, settings.metrics_port) == (7001, 0)
    assert settings.log_level == "DEBUG"
    assert "s3cret" not in repr(settings)
    assert settings.kafka_sasl_password.get_secret_value() == "s3cret"


def test_bad_values_name_the_setting(monkeypatch):
    monkeypatch.setenv("LAMMESH_GRPC_PORT", "99999")
    with pytest.raises(ValidationError, match="grpc_port"):
        Settings()


def test_topic_catalogue_names_and_policies():
    settings = Settings(topic_prefix="lammesh", topic_partitions=6)
    names = [spec.name(settings) for spec in CORE_TOPICS]
    assert "lammesh.tasks.requested" in names and "lammesh.dlq" in names
    assert len(set(names)) == len(names)
    assert TASKS_STATE.config()["cleanup.policy"] == "compact"
    assert DLQ.config()["cleanup.policy"] == "delete" and "retention.ms" in DLQ.config()
    assert step_commands("crm").name(settings) == "lammesh.steps.crm"
    assert step_commands("crm").partition_count(settings) == 6


@pytest.mark.parametrize("bad", ["", "crm/../x", "a b", "émail"])
def test_capability_names_are_checked(bad):
    with pytest.raises(ValueError, match="capability name"):
        step_commands(bad)


def test_free_ports_are_distinct():
    from lammesh.dev.localkafka import free_ports

    ports = free_ports(40)
    assert len(set(ports)) == 40 and all(0 < p < 65536 for p in ports)


def test_free_ports_keep_clear_of_ports_promised_to_processes_not_yet_listening():
    from lammesh.dev.localkafka import free_ports

    # The lower half of the kernel's ephemeral range is "promised": without `exclude` about half of
    # the ports drawn would land there (a mesh service once took the gateway's port so).
    low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    promised = set(range(low, (low + high) // 2))
    ports = free_ports(40, exclude=promised)
    assert len(set(ports)) == 40 and not promised & set(ports)


def test_settings_is_its_parts_and_each_field_has_one_part():
    owned: dict[str, str] = {}
    for part in Settings.__bases__:
        for name in part.__annotations__:
            assert name not in owned, f"{name} in {owned.get(name)} and {part.__name__}"
            owned[name] = part.__name__
    assert set(owned) == set(Settings.model_fields)
    assert {"KafkaSettings", "GrpcSettings", "ProcessSettings", "CoordinatorSettings"} <= set(owned.values())


def test_a_part_reads_its_variables_alone_and_keeps_its_checks(monkeypatch):
    monkeypatch.setenv("LAMMESH_KAFKA_BOOTSTRAP", "kafka-0:9094")
    monkeypatch.setenv("LAMMESH_GRPC_PORT", "7001")
    assert KafkaSettings().kafka_bootstrap == "kafka-0:9094"
    assert not hasattr(KafkaSettings(), "grpc_port")
    assert GrpcSettings().grpc_port == Settings().grpc_port == 7001
    with pytest.raises(ValidationError, match="admission_reserve"):
        GatewaySettings(admission_reserve=10, admission_max_in_flight=10)
    with pytest.raises(ValidationError, match="grpc_mtls"):
        Settings(grpc_mtls=True)
