"""Publishes feedback cases on lammesh.watchers.feedback (key = case id, value = case JSON).

The case id is stable, so publishing a case again (a retry) replaces it on the compacted topic.
Review decisions reach it through lammesh.feedback.relay (durable); reports through the gateway's
FeedbackService (the caller sees a failure and may report again).
"""

from __future__ import annotations

from collections.abc import Sequence

from lammesh.feedback.case import FeedbackCase
from lammesh.kafka import EnvelopeProducer
from lammesh.settings import Settings
from lammesh.topics import WATCHERS_FEEDBACK


class FeedbackPublisher:
    def __init__(self, settings: Settings, producer: EnvelopeProducer) -> None:
        self.topic = WATCHERS_FEEDBACK.name(settings)
        self._producer = producer

    async def publish(self, cases: Sequence[FeedbackCase]) -> None:
        """Send and confirm every case; raises the first delivery error."""
        sent = [await self._producer.send_raw(self.topic, case.to_json(), key=case.case_id.encode()) for case in cases]
        await self._producer.confirm(sent)
