"""The catalogue of every Kafka topic LAM Mesh uses: one place for names, partitions and policy.

The k8s manifests' KafkaTopic objects are checked against this catalogue by the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lammesh.settings import Settings

DAY_MS = 24 * 60 * 60 * 1000
_CAPABILITY = re.compile(r"[A-Za-z0-9._-]+")  # the characters Kafka allows in topic names


@dataclass(frozen=True)
class TopicSpec:
    """How one topic is created. `suffix` is appended to the configured topic prefix."""

    suffix: str
    partitions: int | None = None  # None: the configured per-task partition count
    compacted: bool = False
    retention_ms: int | None = None
    description: str = ""
    extra_config: dict[str, str] = field(default_factory=dict)

    def name(self, settings: Settings) -> str:
        return f"{settings.topic_prefix}.{self.suffix}"

    def partition_count(self, settings: Settings) -> int:
        return self.partitions if self.partitions is not None else settings.topic_partitions

    def config(self) -> dict[str, str]:
        cfg = {"cleanup.policy": "compact" if self.compacted else "delete"}
        if self.retention_ms is not None:
            cfg["retention.ms"] = str(self.retention_ms)
        cfg.update(self.extra_config)
        return cfg


TASKS_REQUESTED = TopicSpec(
    "tasks.requested", retention_ms=7 * DAY_MS, description="Task requests from backends/gateway."
)
TASKS_EVENTS = TopicSpec(
    "tasks.events", retention_ms=7 * DAY_MS, description="Every task transition."
)
TASKS_STATE = TopicSpec(
    "tasks.state", compacted=True, description="Latest snapshot of each task, keyed by task id."
)
STEPS_RESULTS = TopicSpec(
    "steps.results", retention_ms=7 * DAY_MS, description="Answers of agents and tools."
)
DLQ = TopicSpec(
    "dlq", partitions=1, retention_ms=30 * DAY_MS, description="Records no consumer could handle."
)
REGISTRY = TopicSpec(
    "registry", partitions=1, compacted=True, description="Capability registry of live services."
)

CORE_TOPICS: tuple[TopicSpec, ...] = (
    TASKS_REQUESTED,
    TASKS_EVENTS,
    TASKS_STATE,
    STEPS_RESULTS,
    DLQ,
    REGISTRY,
)


def step_commands(capability: str) -> TopicSpec:
    """The command topic of one capability: lammesh.steps.<capability>."""
    if not _CAPABILITY.fullmatch(capability):
        raise ValueError(f"capability name {capability!r} must be [A-Za-z0-9._-]+")
    return TopicSpec(
        f"steps.{capability}", retention_ms=7 * DAY_MS, description=f"Commands for {capability}."
    )
