"""The catalogue of every Kafka topic LAM Mesh uses: one place for names, partitions and policy.

The k8s manifests' KafkaTopic objects are checked against this catalogue by the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lammesh.settings import KafkaSettings

DAY_MS = 24 * 60 * 60 * 1000
_CAPABILITY = re.compile(r"[A-Za-z0-9._-]+")  # the characters Kafka allows in topic names


@dataclass(frozen=True)
class TopicSpec:
    """How one topic is created. `suffix` is appended to the configured topic prefix."""

    suffix: str
    partitions: int | None = None  # None: the configured per-task partition count
    separator: str = "."  # Faust names its internal topics <app id>-<name>
    compacted: bool = False
    retention_ms: int | None = None
    description: str = ""
    extra_config: dict[str, str] = field(default_factory=dict)

    def name(self, settings: KafkaSettings) -> str:
        return f"{settings.topic_prefix}{self.separator}{self.suffix}"

    def partition_count(self, settings: KafkaSettings) -> int:
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
TASKS_EVENTS = TopicSpec("tasks.events", retention_ms=7 * DAY_MS, description="Every task transition.")
TASKS_STATE = TopicSpec("tasks.state", compacted=True, description="Latest snapshot of each task, keyed by task id.")
STEPS_RESULTS = TopicSpec("steps.results", retention_ms=7 * DAY_MS, description="Answers of agents and tools.")
TASKS_CONTROL = TopicSpec(
    "tasks.control",
    retention_ms=7 * DAY_MS,
    description="Cancel requests, review decisions and due timers, for the coordinator.",
)
# The coordinator (Faust app id "<prefix>-coordinator") keeps saga state in table "sagas".
COORDINATOR_APP = "coordinator"
COORDINATOR_CHANGELOG = TopicSpec(
    f"{COORDINATOR_APP}-sagas-changelog",
    separator="-",
    compacted=True,
    description="Changelog of the coordinator's saga table (Faust).",
)
COORDINATOR_LEADER = TopicSpec(
    f"{COORDINATOR_APP}-__assignor-__leader",
    separator="-",
    partitions=1,
    description="Faust's leader election topic for the coordinator.",
)
# A dead letter is the original record plus a few hundred bytes of headers saying why and where
# from, so the DLQ takes records twice the broker's default limit: a record at the source topic's
# limit still fits, value and all (docs/decisions/0610).
DLQ_MAX_RECORD_BYTES = 2 * 1024 * 1024
DLQ = TopicSpec(
    "dlq",
    partitions=1,
    retention_ms=30 * DAY_MS,
    description="Records no consumer could handle.",
    extra_config={"max.message.bytes": str(DLQ_MAX_RECORD_BYTES)},
)
REGISTRY = TopicSpec("registry", partitions=1, compacted=True, description="Capability registry of live services.")
# One partition: every registry change is one Kafka transaction over the records it touches, and
# readers see all versions in the order they were announced (docs/decisions/0700).
MODELS = TopicSpec(
    "models",
    partitions=1,
    compacted=True,
    description="Model registry: every version of every model and its status, keyed by name/version.",
)
WATCHERS_FEEDBACK = TopicSpec(
    "watchers.feedback",
    partitions=1,
    compacted=True,
    description="Feedback on watcher verdicts (lammesh.feedback.FeedbackCase JSON), keyed by case id; the later report of a case wins.",
)

CORE_TOPICS: tuple[TopicSpec, ...] = (
    TASKS_REQUESTED,
    TASKS_EVENTS,
    TASKS_STATE,
    TASKS_CONTROL,
    STEPS_RESULTS,
    COORDINATOR_CHANGELOG,
    COORDINATOR_LEADER,
    DLQ,
    REGISTRY,
    MODELS,
    WATCHERS_FEEDBACK,
)


# What an agent or tool uses besides its own command topic (created if missing at its start).
STEP_SERVICE_TOPICS: tuple[TopicSpec, ...] = (STEPS_RESULTS, DLQ, REGISTRY)


def step_commands(capability: str) -> TopicSpec:
    """The command topic of one capability: lammesh.steps.<capability>."""
    if not _CAPABILITY.fullmatch(capability):
        raise ValueError(f"capability name {capability!r} must be [A-Za-z0-9._-]+")
    return TopicSpec(f"steps.{capability}", retention_ms=7 * DAY_MS, description=f"Commands for {capability}.")
