"""structlog configuration: JSON lines with the task, step and trace ids bound per record, secrets
redacted (lammesh.redact) from every record, structlog's and the standard library's."""

from __future__ import annotations

import logging
import sys

import structlog

from lammesh.redact import redact_secrets
from lammesh.settings import ProcessSettings


def configure_logging(settings: ProcessSettings) -> None:
    """Route structlog and the standard library (aiokafka, grpc, faust) through one renderer."""
    level = getattr(logging, settings.log_level)
    renderer = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.add_logger_name,
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        # Every record, structlog's and the standard library's, is redacted right before rendering.
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    structlog.contextvars.bind_contextvars(service=settings.service_name)
    # Client libraries are chatty at INFO about every (re)connect.
    for noisy in ("aiokafka", "kafka", "faust", "mode"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
