"""Entrypoint of the gateway: `lammesh run gateway`."""

from __future__ import annotations

from lammesh import envelope as serde
from lammesh.catalogue import known_watchers, served_capabilities
from lammesh.feedback.relay import review_feedback_consumer
from lammesh.gateway.read_model import ReadModel
from lammesh.gateway.servicer import FeedbackServicer, Gateway, ReviewServicer, TaskServicer
from lammesh.kafka.reader import TopicReader
from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.topics import DLQ, TASKS_CONTROL, TASKS_EVENTS, TASKS_REQUESTED, TASKS_STATE, WATCHERS_FEEDBACK
from lammesh.v1 import feedback_pb2, feedback_pb2_grpc, review_pb2, review_pb2_grpc, task_pb2, task_pb2_grpc
from lammesh.workflow import WorkflowRegistry


def bootstrap(settings: Settings) -> ServiceRuntime:
    workflows = WorkflowRegistry.load(
        settings.workflows_dir, capabilities=served_capabilities(), watchers=known_watchers(settings)
    )
    runtime = ServiceRuntime(settings, topics=[TASKS_REQUESTED, TASKS_EVENTS, TASKS_STATE, TASKS_CONTROL, DLQ,
                                               WATCHERS_FEEDBACK])
    model = ReadModel()
    events_topic = TASKS_EVENTS.name(settings)

    def apply(record, envelope) -> None:  # type: ignore[no-untyped-def]
        if envelope is None:  # tasks.state is compacted: a null value is the tombstone of a forgotten task
            if record.topic == events_topic or not record.key:
                raise serde.EnvelopeError("empty record value")
            model.forget(record.key.decode(errors="replace"))
        elif record.topic == events_topic:
            event = serde.unpack(envelope, task_pb2.TaskEvent)
            if not event.task_id:
                raise serde.EnvelopeError("lammesh.v1.TaskEvent has no task_id")
            model.apply_event(event)
        else:
            task = serde.unpack(envelope, task_pb2.Task)
            if not task.task_id:
                raise serde.EnvelopeError("lammesh.v1.Task has no task_id")
            model.apply_snapshot(task)

    runtime.add_consumer(TopicReader(settings, [TASKS_STATE.name(settings), events_topic], apply, name="read-model",
                                     dead_letters=runtime.producer))
    gateway = Gateway(settings, model, runtime.producer, workflows)
    # review decisions on tasks.control -> feedback cases, committed only once published (docs/feedback.md)
    runtime.add_consumer(review_feedback_consumer(settings, model, runtime.producer))
    runtime.grpc.add(task_pb2_grpc.add_TaskServiceServicer_to_server, TaskServicer(gateway),
                     task_pb2.DESCRIPTOR.services_by_name["TaskService"].full_name)
    runtime.grpc.add(review_pb2_grpc.add_ReviewServiceServicer_to_server, ReviewServicer(gateway),
                     review_pb2.DESCRIPTOR.services_by_name["ReviewService"].full_name)
    runtime.grpc.add(feedback_pb2_grpc.add_FeedbackServiceServicer_to_server, FeedbackServicer(gateway),
                     feedback_pb2.DESCRIPTOR.services_by_name["FeedbackService"].full_name)
    return runtime
