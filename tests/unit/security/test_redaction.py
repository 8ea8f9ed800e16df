"""Secrets never reach a log line: through the real configured logger, rendered as JSON lines."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from lammesh.redact import REDACTED, is_secret_key, redact_text

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmEiLCJ0ZW5hbnQiOiJhY21lIn0.c2lnbmF0dXJlLWJ5dGVz"
OPENAI = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv"
GITHUB = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
AWS = "AKIAIOSFODNN7EXAMPLE"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END RSA PRIVATE KEY-----"
BEARER = "Bearer lmt_9f8e7d6c5b4a39281706f5e4"
SECRETS = [
    JWT,
    OPENAI,
    GITHUB,
    AWS,
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo",
    "lmt_9f8e7d6c5b4a39281706f5e4",
    "hunter2-db-pass",
    "s3cr3t-sasl",
    "tok-123456",
]


def test_secret_fields_are_redacted_case_insensitively_and_nested(json_log) -> None:
    log = structlog.get_logger("test")
    log.info(
        "connecting",
        password="hunter2-db-pass",
        Authorization="Bearer abc",
        API_KEY="tok-123456",
        kafka={"sasl_plain_password": "s3cr3t-sasl", "sasl_plain_username": "mesh", "nested": {"Client-Secret": "x1"}},
        headers=[("authorization", "Bearer lmt_9f8e7d6c5b4a39281706f5e4"), ("x-lammesh-tenant", "acme")],
        github_token="abc",
        max_tokens=128,
        idempotency_key="task-1/step",
        empty_password=None,
    )
    [line] = json_log()
    assert line["event"] == "connecting" and line["service"] == "redaction-test"
    assert line["password"] == REDACTED and line["Authorization"] == REDACTED and line["API_KEY"] == REDACTED
    assert line["kafka"]["sasl_plain_password"] == REDACTED
    assert line["kafka"]["sasl_plain_username"] == "mesh"  # not a secret: kept
    assert line["kafka"]["nested"]["Client-Secret"] == REDACTED
    assert line["headers"] == [["authorization", REDACTED], ["x-lammesh-tenant", "acme"]]
    assert line["github_token"] == REDACTED
    assert line["max_tokens"] == 128 and line["idempotency_key"] == "task-1/step"
    assert line["empty_password"] is None
    rendered = json.dumps(line)
    for secret in SECRETS:
        assert secret not in rendered


@pytest.mark.parametrize(
    "secret", [JWT, OPENAI, GITHUB, AWS, PEM, BEARER, "postgresql://crm:hunter2-db-pass@db:5432/crm"]
)
def test_token_patterns_inside_any_string_are_redacted(json_log, secret: str) -> None:
    log = structlog.get_logger("test")
    log.warning(f"calling upstream with {secret} now", detail=f"ctx: {secret}!", items=[f"x {secret}"])
    [line] = json_log()
    rendered = json.dumps(line)
    for token in SECRETS:
        assert token not in rendered, f"{token} leaked in {rendered}"
    assert REDACTED in line["event"] and line["event"].startswith("calling upstream with ")
    assert REDACTED in line["detail"] and REDACTED in line["items"][0]


def test_standard_library_records_are_redacted_too(json_log) -> None:
    logging.getLogger("aiokafka.conn").error("auth failed for %s with password %s", "mesh", f"token={OPENAI}")
    try:
        raise RuntimeError(f"upstream refused {GITHUB}")
    except RuntimeError:
        logging.getLogger("grpc").exception("call failed")
    first, second = json_log()
    assert OPENAI not in json.dumps(first) and REDACTED in first["event"]
    assert GITHUB not in json.dumps(second) and "RuntimeError" in second["exception"]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("{'sasl_plain_username': 'mesh', 'sasl_plain_password': 'hunter2-db-pass'}", "'sasl_plain_username': 'mesh'"),
        ('{"api_key": "tok-123456", "model": "gpt"}', '"model": "gpt"'),
        ("GET /v1/x?access_token=tok-123456&page=2", "&page=2"),
        ("login failed: password=hunter2-db-pass user=ana", "user=ana"),
        ("SMTP_PASSWORD: s3cr3t-sasl", "SMTP_PASSWORD: "),
    ],
)
def test_secret_key_value_pairs_inside_text_lose_their_value(text: str, kept: str) -> None:
    redacted = redact_text(text)
    assert kept in redacted and REDACTED in redacted
    assert not any(secret in redacted for secret in SECRETS)
    assert redact_text(redacted) == redacted  # idempotent


def test_plain_text_and_ids_are_left_alone() -> None:
    text = (
        "task 6d1f5bb48a9e4c51 step send attempt 2: mail to ana@acme.com; skip the tokenizer; "
        "basic information for the bearer of https://crm.acme.com/opportunities/42; max_tokens=128 tokens: 40"
    )
    assert redact_text(text) == text
    assert not is_secret_key("tokens") and not is_secret_key("tokenizer") and not is_secret_key("task_id")
    assert is_secret_key("X-Api-Key") and is_secret_key("LAMMESH_TOKEN") and is_secret_key("aws_secret_access_key")
