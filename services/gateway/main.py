"""Entrypoint of the gateway: `lammesh run gateway`."""

from __future__ import annotations

from lammesh import envelope as serde
from lammesh import metrics
from lammesh.feedback.relay import review_feedback_consumer
from lammesh.gateway.admission import Admission
from lammesh.gateway.read_model import TERMINAL, ReadModel
from lammesh.gateway.servicer import FeedbackServicer, Gateway, ReviewServicer, TaskServicer
from lammesh.kafka.reader import TopicReader
from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.topics import DLQ, TASKS_CONTROL, TASKS_EVENTS, TASKS_REQUESTED, TASKS_STATE, WATCHERS_FEEDBACK
from lammesh.v1 import feedback_pb2, feedback_pb2_grpc, review_pb2, review_pb2_grpc, task_pb2, task_pb2_grpc
from lammesh.workflow_follower import follow_workflows


def bootstrap(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime(
        settings, topics=[TASKS_REQUESTED, TASKS_EVENTS, TASKS_STATE, TASKS_CONTROL, DLQ, WATCHERS_FEEDBACK]
    )
    workflows = follow_workflows(runtime, settings)
    model = ReadModel()
    admission = Admission.from_settings(settings)  # in flight = requested and not ended, from the topics
    events_topic = TASKS_EVENTS.name(settings)
    requested_topic = TASKS_REQUESTED.name(settings)

    def count_request(record, envelope) -> None:  # type: ignore[no-untyped-def]
        """A request counts as in flight until its task ends (lammesh.gateway.admission)."""
        try:
            request = serde.unpack(envelope, task_pb2.TaskRequested) if envelope is not None else None
        except serde.EnvelopeError:
            return
        task_id = (request.task_id or envelope.task_id) if request is not None else ""
        if task_id:
            admission.requested(
                task_id, request.tenant or envelope.tenant or settings.default_tenant, at=record.timestamp / 1000
            )

    def apply(record, envelope) -> None:  # type: ignore[no-untyped-def]
        if envelope is None:  # tasks.state is compacted: a null value is the tombstone of a forgotten task
            if record.topic == events_topic or not record.key:
                raise serde.EnvelopeError("empty record value")
            task_id = record.key.decode(errors="replace")
            model.forget(task_id)
            admission.forgotten(task_id)
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
            admission.snapshot(
                task.task_id,
                task.tenant,
                ended=task.status in TERMINAL,
                parked=task.status == task_pb2.TASK_STATUS_AWAITING_REVIEW,
            )

    runtime.add_consumer(
        TopicReader(
            settings,
            [TASKS_STATE.name(settings), events_topic],
            apply,
            name="read-model",
            dead_letters=runtime.producer,
        )
    )
    metrics.report_review_queue(model.pending_reviews)
    # Without a dead-letter producer: a bad request is the coordinator's to dead-letter.
    runtime.add_consumer(TopicReader(settings, [requested_topic], count_request, name="admission"))
    gateway = Gateway(settings, model, runtime.producer, workflows, admission=admission)
    # review decisions on tasks.control -> feedback cases, committed only once published (docs/feedback.md)
    runtime.add_consumer(review_feedback_consumer(settings, model, runtime.producer))
    runtime.grpc.add(
        task_pb2_grpc.add_TaskServiceServicer_to_server,
        TaskServicer(gateway),
        task_pb2.DESCRIPTOR.services_by_name["TaskService"].full_name,
    )
    runtime.grpc.add(
        review_pb2_grpc.add_ReviewServiceServicer_to_server,
        ReviewServicer(gateway),
        review_pb2.DESCRIPTOR.services_by_name["ReviewService"].full_name,
    )
    runtime.grpc.add(
        feedback_pb2_grpc.add_FeedbackServiceServicer_to_server,
        FeedbackServicer(gateway),
        feedback_pb2.DESCRIPTOR.services_by_name["FeedbackService"].full_name,
    )
    return runtime
