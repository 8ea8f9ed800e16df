"""Feedback cases derived from the review decisions recorded on tasks.control (durable).

The gateway's consumer group `<prefix>.gateway-feedback` reads every `ReviewDecided` on
tasks.control. For each one, it builds the decision's cases (`review_cases`) from the read model
and publishes them on lammesh.watchers.feedback. `EnvelopeConsumer` commits a record only after its
handler returned and the cases it sent were acked. So a gateway restart or a long broker outage
delays a case and never loses it. Case ids are stable, and a case's time is the decision record's,
so a repeat is the same record again on the compacted topic.
"""

from __future__ import annotations

import asyncio
import time

import structlog

from lammesh import envelope as serde
from lammesh.feedback.publisher import FeedbackPublisher
from lammesh.feedback.recorded import review_cases
from lammesh.gateway.read_model import ReadModel
from lammesh.kafka.consumer import EnvelopeConsumer, InboundRecord
from lammesh.kafka.producer import EnvelopeProducer
from lammesh.settings import Settings
from lammesh.topics import TASKS_CONTROL
from lammesh.v1 import review_pb2

log = structlog.get_logger(__name__)

DECIDED = review_pb2.ReviewDecided.DESCRIPTOR.full_name
REVIEW_WAIT_S = 300.0
"""How long a decision waits for its review to appear in the read model (a gateway that just
started is still reading tasks.state) before it is skipped with a log line."""


class ReviewFeedbackRelay:
    def __init__(self, model: ReadModel, publisher: FeedbackPublisher, *, review_wait_s: float = REVIEW_WAIT_S) -> None:
        self._model = model
        self._publisher = publisher
        self._review_wait_s = review_wait_s

    async def handle(self, record: InboundRecord) -> None:
        if record.envelope.message_type != DECIDED:
            return  # cancels, due timers: not feedback
        decided = serde.unpack(record.envelope, review_pb2.ReviewDecided)
        tenant = record.envelope.tenant
        found = self._model.find_review(decided.review_id, tenant)
        deadline = time.monotonic() + self._review_wait_s
        while found is None and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            found = self._model.find_review(decided.review_id, tenant)
        if found is None:
            log.warning(
                "review decision without its review in the read model: no feedback case",
                review_id=decided.review_id,
                task_id=decided.task_id,
                tenant=tenant,
            )
            return
        task, review = found
        cases = review_cases(
            task,
            review,
            self._model.events_after(task.task_id, 0),
            approved=decided.decision == review_pb2.REVIEW_DECISION_APPROVED,
            reviewer=decided.decided_by,
            note=decided.comment,
            now=record.timestamp_ms / 1000,
        )
        await self._publisher.publish(cases)  # a delivery error: the record is handled again, uncommitted
        log.info("feedback cases from a review decision", review_id=decided.review_id, cases=[c.case_id for c in cases])


def review_feedback_consumer(
    settings: Settings, model: ReadModel, producer: EnvelopeProducer, **options: float
) -> EnvelopeConsumer:
    """The gateway's consumer of tasks.control that turns review decisions into feedback cases."""
    relay = ReviewFeedbackRelay(model, FeedbackPublisher(settings, producer), **options)
    return EnvelopeConsumer(
        settings,
        topics=[TASKS_CONTROL.name(settings)],
        group_id=f"{settings.topic_prefix}.gateway-feedback",
        handler=relay.handle,
        producer=producer,
    )
