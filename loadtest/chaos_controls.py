"""Cancels and review decisions in the chaos load, sent through the gateway, and the check that each
took effect exactly once (decision 0650).

Two kinds of task carry them (`loadtest.chaos.KINDS`):
- `review_approve` / `review_reject`: `noop_saga_reviewed`, the watched noop saga whose step s3 is
  also checked by the pii watcher; the task's text holds a phone number, so the check asks for a
  review and the task waits. `ControlDriver` finds the review with ListReviews and approves or
  rejects it (ApproveReview / RejectReview). Approved: the task completes; rejected: s3 fails, s2
  and s1 are compensated.
- `cancel`: `noop_saga_watched` whose s3 sleeps `delay_ms`; once the gateway shows s3 RUNNING, the
  driver calls CancelTask. The task rolls back (compensated), or, if it ended before the cancel was
  asked, it completed; a cancel the gateway refused because the task had ended is the same.

Every call is retried until it is answered (the gateway is killed and restarted like any other
service): a call whose answer was lost is sent again, so the coordinator may receive a decision or
a cancel twice, and must apply it once. `judge_controls` (pure) checks that from the task events and
the gateway's read model: one `review.decided` per review, with the decision asked for and the
outcome it implies, the read model agreeing; at most one `task.cancel_requested`; a cancelled task
compensated, never completed after the cancel was asked; no step compensated twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import grpc

from lammesh.gateway.client import call_metadata, decide_review, list_reviews
from lammesh.grpc.client import channel as grpc_channel
from lammesh.settings import Settings
from lammesh.v1 import review_pb2, review_pb2_grpc, task_pb2, task_pb2_grpc

TENANT = "chaos"
REVIEWED = "noop_saga_reviewed"
REVIEW_STEP = "s3"
REVIEW_TEXT = "Call me on +44 20 7946 0958 tomorrow."
"""A phone number: the pii watcher answers REVIEW (not BLOCK) for it."""
CANCEL_STEP = "s3"
CALL_TIMEOUT_S = 5.0
_ENDED = {task_pb2.TASK_STATUS_COMPLETED, task_pb2.TASK_STATUS_COMPENSATED, task_pb2.TASK_STATUS_FAILED}
_ENDED_NAMES = {"completed", "compensated", "failed"}
_DECISIONS = {review_pb2.REVIEW_DECISION_APPROVED: "approved", review_pb2.REVIEW_DECISION_REJECTED: "rejected"}


def reviewed_workflow(watched: dict[str, Any]) -> dict[str, Any]:
    """`noop_saga_watched` with the pii watcher also on s3's input (a workflow definition as YAML
    loads it)."""
    variant = copy.deepcopy(watched)
    variant["name"] = REVIEWED
    variant["description"] = "noop_saga_watched with the pii watcher on s3: a phone number there waits for a review."
    step = next(s for s in variant["steps"] if s["id"] == REVIEW_STEP)
    step["watchers"]["input"] = [*step["watchers"]["input"], "pii"]
    return variant


def review_input(index: int) -> dict[str, Any]:
    return {"payload": {"n": index, "text": REVIEW_TEXT}}


def cancel_input(index: int, delay_ms: float) -> dict[str, Any]:
    return {"payload": {"n": index, "text": "chaos"}, "faults": {CANCEL_STEP: {"delay_ms": delay_ms}}}


# -- what the driver did ---------------------------------------------------------------------------


@dataclass
class DecisionSent:
    review_id: str
    task_id: str
    approve: bool
    calls: int = 0
    answer: str = ""
    """"decided", or "already decided" (an earlier call worked and its answer was lost, or the
    read model had not caught up): the judge reads from the events what took effect."""


@dataclass
class CancelSent:
    task_id: str
    calls: int = 0
    asked_at: float | None = None
    """Wall-clock time just before the first CancelTask that the gateway accepted."""
    answer: str = ""
    """"accepted", "refused: ended", or "ended first" (the gateway showed it ended before s3 ran)."""


@dataclass
class ControlLog:
    decisions: dict[str, DecisionSent] = field(default_factory=dict)
    """Per review id."""
    cancels: dict[str, CancelSent] = field(default_factory=dict)
    """Per task id."""
    errors: Counter[str] = field(default_factory=Counter)
    """Calls that failed and were tried again, by status code."""
    read_model: dict[str, tuple[str, str]] = field(default_factory=dict)
    """The gateway's reviews at the end: review id -> (task id, decision)."""
    task_status: dict[str, str] = field(default_factory=dict)
    """The gateway's status of each review and cancel task at the end ("completed", ...)."""


class ControlDriver:
    """Decides the reviews of `reviews` (task id -> approve?) and cancels the tasks in `cancels`
    through the gateway at `target`, until `stop` is set."""

    def __init__(
        self,
        target: str,
        settings: Settings,
        *,
        reviews: dict[str, bool],
        cancels: Iterable[str],
        submitted: Callable[[str], bool],
        say: Callable[[str], None] = lambda text: None,
        poll_s: float = 0.5,
    ) -> None:
        self.target, self.settings = target, settings
        self.reviews = reviews
        self.cancel_ids = list(cancels)
        self.submitted = submitted
        self.say = say
        self.poll_s = poll_s
        self.log = ControlLog()
        self.metadata = call_metadata(None, tenant=TENANT, user="chaos@chaos.example")
        self._done_cancels: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        channel = grpc_channel(self.target, self.settings)
        task_stub, review_stub = task_pb2_grpc.TaskServiceStub(channel), review_pb2_grpc.ReviewServiceStub(channel)
        try:
            while not stop.is_set():
                await asyncio.gather(self._decide(review_stub), self._cancel(task_stub))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_s)
        finally:
            await channel.close()

    async def read_back(self, timeout_s: float = 60.0) -> None:
        """Every review of the tenant, and the status of every review and cancel task, as the
        gateway's read model holds them at the end. The gateway follows the topics behind the
        coordinator (and may have just restarted), so each is read again until it shows the task
        ended and no review of it pending, or until `timeout_s` passed."""
        channel = grpc_channel(self.target, self.settings)
        deadline = time.monotonic() + timeout_s
        tasks, reviews = task_pb2_grpc.TaskServiceStub(channel), review_pb2_grpc.ReviewServiceStub(channel)
        try:
            for task_id in [*self.reviews, *self.cancel_ids]:
                while True:
                    status = await self._status(tasks, task_id)
                    if status is not None:
                        self.log.task_status[task_id] = status
                    if status in _ENDED_NAMES or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.5)
            while True:
                try:
                    found = await list_reviews(reviews, self.metadata, include_decided=True, timeout=CALL_TIMEOUT_S)
                except grpc.aio.AioRpcError as exc:
                    self.log.errors[exc.code().name] += 1
                    found = None
                if found is not None:
                    self.log.read_model = {
                        r.review_id: (r.task_id, _DECISIONS.get(r.decision, review_pb2.ReviewDecision.Name(r.decision)))
                        for r in found
                    }
                    if not any(r.decision == review_pb2.REVIEW_DECISION_PENDING for r in found):
                        break
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
        finally:
            await channel.close()

    async def _status(self, stub: task_pb2_grpc.TaskServiceStub, task_id: str) -> str | None:
        """The task's status in the read model ("completed", ...; "missing": not found there)."""
        try:
            reply = await stub.GetTask(task_pb2.GetTaskRequest(task_id=task_id), metadata=self.metadata, timeout=5)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return "missing"
            self.log.errors[exc.code().name] += 1
            return None
        return task_pb2.TaskStatus.Name(reply.task.status).removeprefix("TASK_STATUS_").lower()

    async def _decide(self, stub: review_pb2_grpc.ReviewServiceStub) -> None:
        if not self.reviews:
            return
        try:
            pending = await list_reviews(stub, self.metadata, timeout=CALL_TIMEOUT_S)
        except grpc.aio.AioRpcError as exc:
            self.log.errors[exc.code().name] += 1
            return
        for review in pending:
            approve = self.reviews.get(review.task_id)
            sent = self.log.decisions.get(review.review_id)
            if approve is None or (sent is not None and sent.answer):
                continue
            if sent is None:
                sent = self.log.decisions[review.review_id] = DecisionSent(review.review_id, review.task_id, approve)
            sent.calls += 1
            try:
                await decide_review(
                    stub, self.metadata, review.review_id, approve=approve, comment="chaos", timeout=CALL_TIMEOUT_S
                )
                sent.answer = "decided"
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
                    sent.answer = "already decided"
                else:  # the gateway away or behind: next round (the review may show pending again)
                    self.log.errors[exc.code().name] += 1

    async def _cancel(self, stub: task_pb2_grpc.TaskServiceStub) -> None:
        due = [t for t in self.cancel_ids if t not in self._done_cancels and self.submitted(t)]
        await asyncio.gather(*(self._cancel_one(stub, task_id) for task_id in due))

    async def _cancel_one(self, stub: task_pb2_grpc.TaskServiceStub, task_id: str) -> None:
        sent = self.log.cancels.setdefault(task_id, CancelSent(task_id))
        asked: float | None = None
        try:
            if sent.asked_at is None:  # not asked yet: only while its slow step runs
                task = (
                    await stub.GetTask(task_pb2.GetTaskRequest(task_id=task_id), metadata=self.metadata, timeout=5)
                ).task
                if task.status in _ENDED:
                    sent.answer = "ended first"
                    self._done_cancels.add(task_id)
                    return
                if not any(s.step_id == CANCEL_STEP and s.state == task_pb2.STEP_STATE_RUNNING for s in task.steps):
                    return
            asked = time.time()
            sent.calls += 1
            await stub.CancelTask(
                task_pb2.CancelTaskRequest(task_id=task_id, reason="chaos cancel"),
                metadata=self.metadata,
                timeout=CALL_TIMEOUT_S,
            )
            sent.asked_at = sent.asked_at or asked
            sent.answer = "accepted"
            self._done_cancels.add(task_id)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION and sent.calls:
                sent.answer = sent.answer or "refused: ended"
                self._done_cancels.add(task_id)
            elif exc.code() != grpc.StatusCode.NOT_FOUND:  # NOT_FOUND: the gateway has not seen it yet
                self.log.errors[exc.code().name] += 1
                if sent.calls and sent.asked_at is None:
                    # The call may have been published before its answer was lost: count from here.
                    sent.asked_at = asked


# -- judging --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ControlEvent:
    """A task event that bears on a cancel or a review: what the judge needs of it."""

    kind: str
    step_id: str
    message: str
    review_id: str
    at: float


CONTROL_EVENT_KINDS = frozenset(
    {
        "review.opened",
        "review.decided",
        "task.cancel_requested",
        "cancel.rejected",
        "task.completed",
        "task.compensated",
        "task.failed",
    }
)
CONTROL_VIOLATIONS = (
    "review_not_applied_once",
    "cancel_not_applied_once",
    "compensated_twice",
)


def decision_of(message: str) -> str:
    """The decision a `review.decided` event records ("approved by …" / "rejected by …")."""
    return message.split(" ", 1)[0]


def judge_read_model(task_id: str, outcome: str | None, log: ControlLog) -> list[str]:
    """The gateway's status of a control task must be the end its events tell (once read back)."""
    if outcome is None:
        return []
    if not log.task_status:
        return [f"{task_id}: the read model was never read back, so its status is unchecked"]
    status = log.task_status.get(task_id, "missing")
    return [] if status == outcome else [f"{task_id}: {status} in the read model, {outcome} in the events"]


def judge_review(
    task_id: str, approve: bool, outcome: str | None, events: list[ControlEvent], read_model: dict[str, tuple[str, str]]
) -> list[str]:
    """What is wrong with one review task's decisions (nothing: an empty list)."""
    problems = []
    wanted = "approved" if approve else "rejected"
    opened = {e.review_id for e in events if e.kind == "review.opened"}
    decided: dict[str, list[str]] = {}
    for event in events:
        if event.kind == "review.decided":
            decided.setdefault(event.review_id, []).append(decision_of(event.message))
    for review_id, decisions in decided.items():
        if len(decisions) > 1:
            problems.append(f"{task_id}: review {review_id} decided {len(decisions)} times ({', '.join(decisions)})")
        if set(decisions) != {wanted}:
            problems.append(f"{task_id}: review {review_id} {'/'.join(sorted(set(decisions)))}, asked {wanted}")
        model = read_model.get(review_id)
        if read_model and (model is None or model[1] != decisions[0]):
            problems.append(f"{task_id}: review {review_id} is {model[1] if model else 'missing'} in the read model")
    if outcome == "completed" and not approve:
        problems.append(f"{task_id}: completed although its review was rejected")
    undecided = opened - set(decided)
    if outcome is not None and undecided:
        problems.append(f"{task_id}: ended {outcome} with review(s) {', '.join(sorted(undecided))} never decided")
    if outcome == "completed" and approve and not opened:
        problems.append(f"{task_id}: completed without the review it was meant to pause for")
    return problems


def judge_cancel(task_id: str, sent: CancelSent | None, outcome: str | None, events: list[ControlEvent]) -> list[str]:
    """What is wrong with one cancelled task (nothing: an empty list)."""
    problems = []
    requested = [e for e in events if e.kind == "task.cancel_requested"]
    if len(requested) > 1:
        problems.append(f"{task_id}: cancel applied {len(requested)} times")
    if requested and outcome == "completed":
        problems.append(f"{task_id}: completed after its cancel was applied")
    if sent is not None and sent.answer == "accepted" and sent.asked_at is not None and outcome == "completed":
        ended = next((e.at for e in events if e.kind == "task.completed"), None)
        if ended is not None and ended > sent.asked_at:
            problems.append(
                f"{task_id}: cancel accepted by the gateway, yet the task completed {ended - sent.asked_at:.1f}s later"
            )
    return problems


def compensated_twice(task_id: str, events: Iterable[tuple[str, str]]) -> list[str]:
    """Steps with more than one `step.compensated` event (distinct sequence numbers)."""
    counts = Counter(step for kind, step in events if kind == "step.compensated")
    return [f"{task_id}: {step} compensated {n} times" for step, n in sorted(counts.items()) if n > 1]


def cancel_expected(sent: CancelSent | None, events: list[ControlEvent]) -> str:
    """What a cancel task ends as with no faults: compensated if the cancel took effect; completed
    if it ended before the cancel was asked (or the gateway refused the cancel: ended)."""
    if any(e.kind == "task.cancel_requested" for e in events):
        return "compensated"
    if sent is None or sent.answer in ("", "ended first", "refused: ended"):
        return "completed"
    ended = next((e.at for e in events if e.kind == "task.completed"), None)
    return "completed" if ended is not None and sent.asked_at is not None and ended <= sent.asked_at else "compensated"
