"""Will a task fit the mesh? The records and calls starting it, measured against the size limits.

The gateway asks before it accepts a SubmitTask (docs/decisions/0670): it runs the pure saga
machine's start on the request (no I/O: the same code the coordinator runs) and measures what the
coordinator would then write and send — the saga's table row (changelog record), its tasks.state
snapshot and every step command (`kafka_max_record_bytes`), every first watcher call
(`grpc_max_message_bytes`). What grows later (a step's output) is the coordinator's to catch: it
ends the task naming the limit instead of dead-lettering the record (SagaProcessor._too_large).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from google.protobuf.message import Message

from lammesh import envelope as serde
from lammesh.coordinator import codec
from lammesh.kafka.producer import RecordTooLarge, ensure_fits
from lammesh.saga import Dispatch, RunChecks, Saga
from lammesh.settings import Settings
from lammesh.topics import COORDINATOR_CHANGELOG, TASKS_STATE, step_commands
from lammesh.workflow import Workflow

# What the real records carry beyond this estimate: trace context in the envelope and the headers,
# real timestamps in place of 0, the producer's name.
RESERVE_BYTES = 1024


def _records(settings: Settings, saga: Saga, workflow: Workflow) -> Iterator[tuple[str, str, bytes, bytes]]:
    """(what it is, topic, key, value) of each record starting the task writes."""
    key = saga.task_id.encode()
    yield "the task's saga state", COORDINATOR_CHANGELOG.name(settings), key, saga.model_dump_json().encode()
    capabilities = {s.id: s.uses for s in workflow.steps}

    def packed(payload: Message) -> bytes:
        return serde.pack(payload, task_id=saga.task_id, tenant=saga.tenant, producer="coordinator").SerializeToString()

    yield "the task's status snapshot", TASKS_STATE.name(settings), key, packed(codec.snapshot(saga, capabilities))
    for step in workflow.steps:  # every step started now is dispatched, right away or once its input is checked
        run = saga.steps[step.id]
        if run.input is not None:
            dispatch = Dispatch(step.id, step.uses, False, run.attempt, run.input, {}, 0.0)
            yield (
                f"step {step.id}'s command",
                step_commands(step.uses).name(settings),
                key,
                packed(codec.command(saga, dispatch)),
            )


def start_problem(
    settings: Settings,
    workflow: Workflow,
    *,
    task_id: str,
    tenant: str,
    client_key: str,
    task_input: Mapping[str, Any],
) -> str | None:
    """None when the task can start within the limits; else which record or call is too large,
    by how much, and the setting that limits it."""
    saga, effects = Saga.create(
        task_id, workflow, task_input=dict(task_input), tenant=tenant, client_key=client_key, now=0.0
    )
    for what, topic, key, value in _records(settings, saga, workflow):
        try:
            ensure_fits(settings, topic, key, value, reserve=RESERVE_BYTES)
        except RecordTooLarge as exc:
            return f"{what}: {exc.reason}"
    limit = settings.grpc_max_message_bytes
    for checks in (e for e in effects if isinstance(e, RunChecks)):
        content, sources = codec.struct(checks.content), codec.struct(checks.sources)
        for watcher in checks.watchers:
            size = (
                codec.check_request(saga, checks, watcher, content=content, sources=sources).ByteSize() + RESERVE_BYTES
            )
            if size > limit:
                return (
                    f"the {watcher.name} watcher's check of step {checks.step_id} would be a gRPC message of {size} "
                    f"bytes, over the {limit}-byte limit (grpc_max_message_bytes)"
                )
    return None
