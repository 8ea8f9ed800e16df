"""Publishes feedback cases on lammesh.watchers.feedback (key = case id, value = case JSON).

The case id is stable, so publishing a case again (a retry) replaces it on the compacted topic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import structlog

from lammesh.feedback.case import FeedbackCase
from lammesh.kafka import EnvelopeProducer
from lammesh.settings import Settings
from lammesh.topics import WATCHERS_FEEDBACK

log = structlog.get_logger(__name__)
RETRY_DELAYS_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
FIRST_ATTEMPT_S = 10.0
"""How long one attempt may take (a review decision's reply waits on the first one at most this long)."""


class FeedbackPublisher:
    def __init__(self, settings: Settings, producer: EnvelopeProducer, *, attempt_s: float = FIRST_ATTEMPT_S) -> None:
        self.topic = WATCHERS_FEEDBACK.name(settings)
        self._attempt_s = attempt_s
        self._producer = producer
        self._retries: set[asyncio.Task[None]] = set()

    async def publish(self, cases: Sequence[FeedbackCase]) -> None:
        """Send and confirm every case; raises the first delivery error."""
        sent = [await self._producer.send_raw(self.topic, case.to_json(), key=case.case_id.encode()) for case in cases]
        await self._producer.confirm(sent)

    async def publish_or_retry(self, cases: Sequence[FeedbackCase]) -> bool:
        """Publish now; when that fails, log it and keep retrying in the background (True if published now).

        Used after a review decision is already confirmed: the decision never waits on, or is lost
        by, its feedback."""
        if not cases:
            return True
        try:
            await asyncio.wait_for(self.publish(cases), self._attempt_s)
            return True
        except Exception as error:  # noqa: BLE001 - any delivery failure (or a slow broker) is retried
            log.error("feedback cases not published; retrying in the background", topic=self.topic,
                      cases=[c.case_id for c in cases], error=str(error) or type(error).__name__)
            task = asyncio.create_task(self._retry(list(cases)))
            self._retries.add(task)
            task.add_done_callback(self._retries.discard)
            return False

    async def _retry(self, cases: list[FeedbackCase]) -> None:
        for attempt, delay in enumerate(RETRY_DELAYS_S, start=1):
            await asyncio.sleep(delay)
            try:
                await asyncio.wait_for(self.publish(cases), self._attempt_s)
                log.info("feedback cases published after a retry", cases=[c.case_id for c in cases], attempt=attempt)
                return
            except Exception as error:  # noqa: BLE001
                log.warning("feedback retry failed", attempt=attempt, error=str(error) or type(error).__name__)
        log.error("feedback cases LOST after retries; re-report them with `lammesh feedback`",
                  cases=[c.case_id for c in cases], task_id=cases[0].task_id, step=cases[0].step)
