"""Fixtures of the security unit tests."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from lammesh.logging import configure_logging
from lammesh.settings import Settings


@pytest.fixture
def json_log():
    """The process logger configured as services run it; its one handler (stderr in production)
    writes into a buffer here. The previous root handlers come back afterwards."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    structlog.reset_defaults()
    configure_logging(Settings(service_name="redaction-test", log_format="json", log_level="DEBUG"))
    [handler] = root.handlers
    buffer = io.StringIO()
    handler.setStream(buffer)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    yield lines
    root.handlers[:], root.level = saved, level
    structlog.reset_defaults()
