"""Entrypoint of the coordinator: `lammesh run coordinator`."""

from __future__ import annotations

from lammesh.catalogue import known_watchers, served_capabilities
from lammesh.coordinator.processor import SagaProcessor
from lammesh.coordinator.reconciler import RequestReconciler
from lammesh.coordinator.watchers import WatcherClient
from lammesh.coordinator.worker import CoordinatorWorker
from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.topics import CORE_TOPICS, step_commands
from lammesh.workflow import WorkflowRegistry


def bootstrap(settings: Settings) -> ServiceRuntime:
    workflows = WorkflowRegistry.load(
        settings.workflows_dir, capabilities=served_capabilities(), watchers=known_watchers(settings)
    )
    topics = [*CORE_TOPICS, *(step_commands(c) for c in sorted(workflows.capabilities()))]
    runtime = ServiceRuntime(settings, topics=topics)
    watchers = WatcherClient(settings)
    processor = SagaProcessor(settings, workflows, watchers, runtime.producer)
    worker = CoordinatorWorker(settings, processor, runtime.producer)
    runtime.add_consumer(worker)
    # task requests Faust read past without handing them over are published again (decision 0631)
    runtime.add_consumer(RequestReconciler(settings, runtime.producer, group=worker.group, owned=worker.owned_partitions))
    runtime.on_stopping.append(watchers.close)
    return runtime
