"""Entrypoint of the coordinator: `lammesh run coordinator`."""

from __future__ import annotations

from lammesh.coordinator.processor import SagaProcessor
from lammesh.coordinator.reconciler import RequestReconciler
from lammesh.coordinator.watchers import WatcherClient
from lammesh.coordinator.worker import CoordinatorWorker
from lammesh.kafka import ensure_topics
from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.topics import CORE_TOPICS, step_commands
from lammesh.workflow import WorkflowChanges, WorkflowRegistry
from lammesh.workflow_follower import follow_workflows


def bootstrap(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime(settings, topics=list(CORE_TOPICS))

    async def new_command_topics(registry: WorkflowRegistry, changes: WorkflowChanges) -> None:
        # a workflow added or changed at run time may use a capability no earlier one did
        await ensure_topics(settings, [step_commands(c) for c in sorted(registry.capabilities())])

    workflows = follow_workflows(runtime, settings, on_change=new_command_topics)
    runtime.topics += [step_commands(c) for c in sorted(workflows.capabilities())]
    watchers = WatcherClient(settings)
    processor = SagaProcessor(settings, workflows, watchers, runtime.producer)
    worker = CoordinatorWorker(settings, processor, runtime.producer)
    runtime.add_consumer(worker)
    # task requests Faust read past without handing them over are published again (decision 0631)
    runtime.add_consumer(
        RequestReconciler(settings, runtime.producer, group=worker.group, owned=worker.owned_partitions)
    )
    runtime.on_stopping.append(watchers.close)
    return runtime
