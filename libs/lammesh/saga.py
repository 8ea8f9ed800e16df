"""The saga state machine: one task's progress through its workflow.

Pure domain code. Each `on_*` method takes an event (and `now`, seconds since the epoch, from the
caller: no clock inside) and returns the effects the coordinator must carry out: dispatch a step
command, run watcher checks, publish task events. Every method is idempotent: a duplicate or stale
event (redelivery, a restart) returns no effects and changes nothing.

Lifecycle of a step: PENDING -> (CHECKING input) -> RUNNING -> (CHECKING output) -> SUCCEEDED, with
RETRY_WAIT between failed attempts, AWAITING_REVIEW when a watcher asks for a person, and on the
way back COMPENSATING -> COMPENSATED / COMPENSATION_FAILED. When a step fails for good, every step
that executed and has a compensation is compensated in reverse completion order, once no step is
in flight. A failure after a pivot step executed cannot be rolled back: the task ends FAILED and
names the steps a person must look at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from lammesh.verdict import Stage, Verdict
from lammesh.workflow import MissingReference, Step, WatcherErrorPolicy, WatcherRef, Workflow, resolve


class TaskStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    AWAITING_REVIEW = "AWAITING_REVIEW"
    COMPLETED = "COMPLETED"
    COMPENSATING = "COMPENSATING"
    COMPENSATED = "COMPENSATED"
    FAILED = "FAILED"

    @property
    def terminal(self) -> bool:
        return self in (TaskStatus.COMPLETED, TaskStatus.COMPENSATED, TaskStatus.FAILED)


class StepState(StrEnum):
    PENDING = "PENDING"
    CHECKING = "CHECKING"
    AWAITING_REVIEW = "AWAITING_REVIEW"
    RUNNING = "RUNNING"
    RETRY_WAIT = "RETRY_WAIT"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    COMPENSATING = "COMPENSATING"
    COMPENSATED = "COMPENSATED"
    COMPENSATION_FAILED = "COMPENSATION_FAILED"


# -- effects -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dispatch:
    """Send a StepCommand to `capability`."""

    step_id: str
    capability: str
    compensate: bool
    attempt: int
    input: dict[str, Any]
    previous_output: dict[str, Any]
    deadline: float


@dataclass(frozen=True)
class RunChecks:
    """Call these watchers on a step's input or output and report back with `on_checks`."""

    step_id: str
    capability: str
    stage: Stage
    attempt: int
    watchers: tuple[WatcherRef, ...]
    content: dict[str, Any]
    sources: dict[str, Any]
    timeout_ms: int


@dataclass(frozen=True)
class Emit:
    """Publish a task event (sequence numbers are assigned by the saga, gap-free from 1)."""

    sequence: int
    kind: str
    status: TaskStatus
    step_id: str = ""
    step_state: StepState | None = None
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    at: float = 0.0


Effect = Dispatch | RunChecks | Emit


# -- watcher outcomes --------------------------------------------------------------------------


@dataclass(frozen=True)
class WatcherOutcome:
    """One watcher's answer, or the error that kept it from answering (`error` set)."""

    watcher: str
    verdict: Verdict = Verdict.ALLOW
    score: float = 0.0
    reasons: tuple[str, ...] = ()
    spans: tuple[dict[str, Any], ...] = ()
    error: str = ""
    watcher_version: str = ""
    model: dict[str, str] = field(default_factory=dict)
    """The model that gave the verdict: {"name", "version", "sha256"} (empty when none answered)."""

    def record(self) -> dict[str, Any]:
        """This outcome as a task event records it."""
        entry: dict[str, Any] = {
            "watcher": self.watcher,
            "verdict": self.verdict.value,
            "score": self.score,
            "reasons": list(self.reasons),
            "error": self.error,
        }
        if self.watcher_version:
            entry["watcher_version"] = self.watcher_version
        if self.model:
            entry["model"] = dict(self.model)
        return entry


def combine(outcomes: list[WatcherOutcome], on_error: WatcherErrorPolicy) -> tuple[Verdict, list[WatcherOutcome]]:
    """The verdict of several watchers (worst wins) and the outcomes that decided it. A watcher that
    could not answer counts as BLOCK when failing closed, and is ignored when failing open."""
    effective: list[tuple[Verdict, WatcherOutcome]] = []
    for outcome in outcomes:
        if outcome.error:
            if on_error is WatcherErrorPolicy.BLOCK:
                effective.append((Verdict.BLOCK, outcome))
        else:
            effective.append((outcome.verdict, outcome))
    if not effective:
        return Verdict.ALLOW, []
    worst = max(v for v, _ in effective)
    return worst, [o for v, o in effective if v is worst and v is not Verdict.ALLOW]


def _describe(outcomes: list[WatcherOutcome]) -> str:
    parts = []
    for o in outcomes:
        detail = o.error or "; ".join(o.reasons) or o.verdict.value.lower()
        parts.append(f"{o.watcher}: {detail}")
    return " | ".join(parts)


# -- state -------------------------------------------------------------------------------------


class Review(BaseModel):
    review_id: str
    step_id: str
    stage: Stage
    attempt: int
    watchers: list[str]
    reasons: list[str]
    spans: list[dict[str, Any]] = Field(default_factory=list)
    models: list[dict[str, str]] = Field(default_factory=list)
    """The model of each watcher in `watchers` ({} for one that did not answer)."""
    content: dict[str, Any] = Field(default_factory=dict)
    created_at: float
    decision: str = "PENDING"  # PENDING | APPROVED | REJECTED
    decided_by: str = ""
    comment: str = ""
    decided_at: float | None = None


class StepRun(BaseModel):
    state: StepState = StepState.PENDING
    attempt: int = 0
    input: dict[str, Any] | None = None
    output: dict[str, Any] | None = None
    error: str = ""
    executed: bool = False  # its side effects happened: compensate it on rollback
    deadline_at: float | None = None
    retry_at: float | None = None
    compensation_attempt: int = 0


class Saga(BaseModel):
    task_id: str
    workflow: str
    workflow_digest: str
    tenant: str = ""
    client_key: str = ""
    input: dict[str, Any] = Field(default_factory=dict)
    status: TaskStatus = TaskStatus.PENDING
    steps: dict[str, StepRun] = Field(default_factory=dict)
    completion_order: list[str] = Field(default_factory=list)
    compensation_queue: list[str] | None = None
    reviews: dict[str, Review] = Field(default_factory=dict)
    reason: str = ""
    needs_attention: list[str] = Field(default_factory=list)
    sequence: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0
    trace_context: dict[str, str] = Field(default_factory=dict)
    """W3C trace context (traceparent) of the task's trace: the coordinator handles each of the
    task's records inside it, so one task is one trace whatever sent the record (a timer, a reviewer)."""

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        task_id: str,
        workflow: Workflow,
        *,
        task_input: dict[str, Any],
        tenant: str = "",
        client_key: str = "",
        now: float,
    ) -> tuple[Saga, list[Effect]]:
        saga = cls(
            task_id=task_id,
            workflow=workflow.name,
            workflow_digest=workflow.digest,
            tenant=tenant,
            client_key=client_key,
            input=task_input,
            steps={s.id: StepRun() for s in workflow.steps},
            created_at=now,
            updated_at=now,
        )
        effects: list[Effect] = []
        saga.status = TaskStatus.RUNNING
        effects.append(saga._emit("task.started", now, message=f"workflow {workflow.name} v{workflow.version}"))
        effects += saga._advance(workflow, now)
        return saga, effects

    @classmethod
    def rejected(
        cls,
        task_id: str,
        workflow: str,
        *,
        reason: str,
        task_input: dict[str, Any],
        tenant: str = "",
        client_key: str = "",
        now: float,
    ) -> tuple[Saga, list[Effect]]:
        """A request that cannot start (e.g. an unknown workflow): recorded as FAILED, with why."""
        saga = cls(
            task_id=task_id,
            workflow=workflow,
            workflow_digest="",
            tenant=tenant,
            client_key=client_key,
            input=task_input,
            status=TaskStatus.FAILED,
            reason=reason,
            created_at=now,
            updated_at=now,
        )
        return saga, [saga._emit("task.rejected", now, message=reason)]

    def abandon(self, reason: str, now: float) -> list[Effect]:
        """Stop a task that cannot go on (its workflow definition is gone): a person takes over."""
        if self.status.terminal:
            return []
        self.needs_attention = [
            sid for sid, run in self.steps.items() if run.executed or run.state is StepState.RUNNING
        ]
        self.status = TaskStatus.FAILED
        self.reason = reason
        return [self._emit("task.failed", now, message=reason, details={"needs_attention": self.needs_attention})]

    # -- events ----------------------------------------------------------------------------

    def on_step_result(
        self,
        wf: Workflow,
        *,
        step_id: str,
        attempt: int,
        compensate: bool,
        succeeded: bool,
        output: dict[str, Any] | None = None,
        error: str = "",
        retryable: bool = False,
        ran: bool = False,
        now: float,
    ) -> list[Effect]:
        """`ran`: a failed attempt whose side effects happened anyway (its output could not be
        sent back): it is compensated on rollback like a step that succeeded."""
        run = self.steps.get(step_id)
        if run is None:
            return []
        if compensate:
            if run.state is not StepState.COMPENSATING or attempt != run.compensation_attempt:
                return []  # duplicate or stale
            return self._on_compensation_result(wf, step_id, run, succeeded, error, retryable, now)
        if run.state is not StepState.RUNNING or attempt != run.attempt:
            return []  # duplicate or stale
        run.deadline_at = None
        if succeeded:
            self._executed(step_id)
            run.output = output or {}
            step = wf.step(step_id)
            if step.watchers.output and self.compensation_queue is None:
                return self._check(wf, step, run, Stage.OUTPUT, now)
            return self._succeed(wf, step_id, now)
        if ran:
            self._executed(step_id)
        return self._attempt_failed(wf, step_id, error, retryable, now)

    def on_result_too_large(self, wf: Workflow, *, step_id: str, attempt: int, reason: str, now: float) -> list[Effect]:
        """A step succeeded but what follows from its output cannot be stored or sent (over a
        record size limit, `reason`): the step fails for good, and is compensated as one that ran."""
        run = self.steps.get(step_id)
        if run is None or run.state is not StepState.RUNNING or attempt != run.attempt:
            return []
        run.deadline_at = None
        self._executed(step_id)
        return self._step_failed(wf, step_id, f"OUTPUT_TOO_LARGE: {reason}", now)

    def on_checks(
        self,
        wf: Workflow,
        *,
        step_id: str,
        stage: Stage,
        attempt: int,
        outcomes: list[WatcherOutcome],
        now: float,
    ) -> list[Effect]:
        run = self.steps.get(step_id)
        if run is None or run.state is not StepState.CHECKING or attempt != run.attempt:
            return []
        step = wf.step(step_id)
        verdict, deciding = combine(outcomes, step.on_watcher_error or wf.on_watcher_error)
        details = {
            "stage": stage.value,
            "verdict": verdict.value,
            "watchers": [o.record() for o in outcomes],
        }
        effects: list[Effect] = [
            self._emit("watchers.checked", now, step_id=step_id, message=verdict.value, details=details)
        ]
        if verdict is Verdict.ALLOW:
            return effects + self._after_checks(wf, step, run, stage, now)
        if verdict is Verdict.REVIEW:
            review = Review(
                review_id=f"{self.task_id}:{step_id}:{stage.value.lower()}:{attempt}",
                step_id=step_id,
                stage=stage,
                attempt=attempt,
                watchers=[o.watcher for o in deciding],
                reasons=[r for o in deciding for r in o.reasons],
                spans=[s for o in deciding for s in o.spans],
                models=[dict(o.model) for o in deciding],
                content=run.output if stage is Stage.OUTPUT else (run.input or {}),
                created_at=now,
            )
            self.reviews[review.review_id] = review
            run.state = StepState.AWAITING_REVIEW
            self._refresh_running_status()
            effects.append(
                self._emit(
                    "review.opened",
                    now,
                    step_id=step_id,
                    message=_describe(deciding),
                    details={"review_id": review.review_id},
                )
            )
            return effects
        reason = f"blocked by watchers on {stage.value.lower()}: {_describe(deciding)}"
        return effects + self._step_failed(wf, step_id, reason, now, kind="step.blocked")

    def on_review(
        self, wf: Workflow, *, review_id: str, approved: bool, by: str, comment: str, now: float
    ) -> list[Effect]:
        review = self.reviews.get(review_id)
        if review is None or review.decision != "PENDING":
            return []
        review.decision = "APPROVED" if approved else "REJECTED"
        review.decided_by, review.comment, review.decided_at = by, comment, now
        run = self.steps[review.step_id]
        effects: list[Effect] = [
            self._emit(
                "review.decided",
                now,
                step_id=review.step_id,
                message=f"{review.decision.lower()} by {by or 'someone'}",
                details={"review_id": review_id, "comment": comment},
            )
        ]
        if run.state is not StepState.AWAITING_REVIEW:
            return effects  # the task moved on (e.g. it was cancelled); the decision is recorded only
        if approved:
            run.state = StepState.CHECKING  # resume exactly where the check left off
            self._refresh_running_status()
            return effects + self._after_checks(wf, wf.step(review.step_id), run, review.stage, now)
        reason = f"rejected in review by {by or 'someone'}" + (f": {comment}" if comment else "")
        return effects + self._step_failed(wf, review.step_id, reason, now, kind="step.rejected")

    def on_tick(self, wf: Workflow, now: float) -> list[Effect]:
        """Fire every timer that is due: step deadlines and retry back-offs."""
        effects: list[Effect] = []
        for step_id, run in list(self.steps.items()):
            if run.state is StepState.RUNNING and run.deadline_at is not None and now >= run.deadline_at:
                run.deadline_at = None
                # The command may have run and only its answer be late or lost: a rollback must
                # compensate it (compensations tolerate having nothing to undo).
                self._executed(step_id)
                timeout = wf.step(step_id).timeout_s
                effects += self._attempt_failed(wf, step_id, f"timed out after {timeout:g}s", True, now)
            elif run.state is StepState.COMPENSATING and run.deadline_at is not None and now >= run.deadline_at:
                run.deadline_at = None
                effects += self._on_compensation_result(wf, step_id, run, False, "compensation timed out", True, now)
            elif run.state is StepState.RETRY_WAIT and run.retry_at is not None and now >= run.retry_at:
                run.retry_at = None
                if self.compensation_queue is not None:
                    # Rolling back: a compensation attempt is due again.
                    run.state = StepState.COMPENSATING
                    effects += self._dispatch_compensation(wf, step_id, run, now)
                else:
                    run.state = StepState.PENDING
                    effects += self._start_step(wf, wf.step(step_id), run, now)
        return effects

    def on_cancel(self, wf: Workflow, *, reason: str, now: float) -> list[Effect]:
        if self.status.terminal or self.compensation_queue is not None:
            return []
        if self._pivot_executed(wf):
            return [
                self._emit("cancel.rejected", now, message="a pivot step already ran; the task cannot be rolled back")
            ]
        effects: list[Effect] = [self._emit("task.cancel_requested", now, message=reason)]
        return effects + self._begin_rollback(wf, f"cancelled: {reason}" if reason else "cancelled", now)

    # -- timers ----------------------------------------------------------------------------

    def next_timer(self) -> float | None:
        """When `on_tick` next has something to do (None: nothing scheduled)."""
        due = [t for run in self.steps.values() for t in (run.deadline_at, run.retry_at) if t is not None]
        return min(due) if due else None

    def forget_at(self, retention_s: float) -> float | None:
        """When a finished task may be forgotten (None while it runs)."""
        return self.updated_at + retention_s if self.status.terminal else None

    def in_flight(self, wf: Workflow) -> list[Dispatch]:
        """The commands still awaiting their result, exactly as they were sent (same attempt, same
        deadline), so they can be sent again after a takeover without starting a new attempt."""
        flying: list[Dispatch] = []
        for step_id, run in self.steps.items():
            step = wf.step(step_id)
            if run.state is StepState.RUNNING and run.deadline_at is not None:
                flying.append(Dispatch(step_id, step.uses, False, run.attempt, run.input or {}, {}, run.deadline_at))
            elif run.state is StepState.COMPENSATING and run.deadline_at is not None:
                command = self._compensation_command(wf, step_id, run)
                if isinstance(command, Dispatch):
                    flying.append(command)
        return flying

    # -- internals -------------------------------------------------------------------------

    def _emit(
        self, kind: str, now: float, *, step_id: str = "", message: str = "", details: dict[str, Any] | None = None
    ) -> Emit:
        self.sequence += 1
        self.updated_at = now
        state = self.steps[step_id].state if step_id else None
        return Emit(self.sequence, kind, self.status, step_id, state, message, details or {}, now)

    def _executed(self, step_id: str) -> None:
        self.steps[step_id].executed = True
        if step_id not in self.completion_order:
            self.completion_order.append(step_id)
        else:  # a retry finished later than the timed-out attempt: order by the latest completion
            self.completion_order.remove(step_id)
            self.completion_order.append(step_id)

    def _ready(self, wf: Workflow, step_id: str) -> bool:
        return all(self.steps[d].state is StepState.SUCCEEDED for d in wf.dependencies(step_id))

    def _advance(self, wf: Workflow, now: float) -> list[Effect]:
        """Start every pending step whose dependencies succeeded; finish the task when all did."""
        if self.status not in (TaskStatus.RUNNING, TaskStatus.AWAITING_REVIEW):
            return []
        if all(run.state is StepState.SUCCEEDED for run in self.steps.values()):
            self.status = TaskStatus.COMPLETED
            return [self._emit("task.completed", now)]
        effects: list[Effect] = []
        for step in wf.steps:
            run = self.steps[step.id]
            if run.state is StepState.PENDING and self._ready(wf, step.id):
                effects += self._start_step(wf, step, run, now)
        return effects

    def _start_step(self, wf: Workflow, step: Step, run: StepRun, now: float) -> list[Effect]:
        outputs = {sid: r.output for sid, r in self.steps.items() if r.state is StepState.SUCCEEDED}
        try:
            run.input = resolve(
                step.input, task_input=self.input, outputs=outputs, task={"id": self.task_id, "tenant": self.tenant}
            )
        except MissingReference as exc:
            return self._step_failed(wf, step.id, f"input mapping: {exc}", now)
        run.attempt += 1
        if step.watchers.input:
            return self._check(wf, step, run, Stage.INPUT, now)
        return self._dispatch(wf, step, run, now)

    def _check(self, wf: Workflow, step: Step, run: StepRun, stage: Stage, now: float) -> list[Effect]:
        run.state = StepState.CHECKING
        content = run.output if stage is Stage.OUTPUT else run.input
        sources = {"task_input": self.input, "step_input": run.input or {}}
        sources["steps"] = {sid: r.output for sid, r in self.steps.items() if r.output is not None and sid != step.id}
        watchers = step.watchers.output if stage is Stage.OUTPUT else step.watchers.input
        timeout = step.watcher_timeout_ms or wf.watcher_timeout_ms
        return [RunChecks(step.id, step.uses, stage, run.attempt, tuple(watchers), content or {}, sources, timeout)]

    def _after_checks(self, wf: Workflow, step: Step, run: StepRun, stage: Stage, now: float) -> list[Effect]:
        if stage is Stage.INPUT:
            return self._dispatch(wf, step, run, now)
        return self._succeed(wf, step.id, now)

    def _dispatch(self, wf: Workflow, step: Step, run: StepRun, now: float) -> list[Effect]:
        run.state = StepState.RUNNING
        run.deadline_at = now + step.timeout_s
        effect = Dispatch(step.id, step.uses, False, run.attempt, run.input or {}, {}, run.deadline_at)
        return [self._emit("step.dispatched", now, step_id=step.id, details={"attempt": run.attempt}), effect]

    def _succeed(self, wf: Workflow, step_id: str, now: float) -> list[Effect]:
        run = self.steps[step_id]
        run.state = StepState.SUCCEEDED
        effects: list[Effect] = [self._emit("step.succeeded", now, step_id=step_id, details={"attempt": run.attempt})]
        if self.compensation_queue is not None:
            return effects + self._continue_rollback(wf, now)
        return effects + self._advance(wf, now)

    def _attempt_failed(self, wf: Workflow, step_id: str, error: str, retryable: bool, now: float) -> list[Effect]:
        step = wf.step(step_id)
        run = self.steps[step_id]
        run.error = error
        rolling_back = self.compensation_queue is not None
        if retryable and run.attempt < step.retry.max_attempts and not rolling_back:
            delay = step.retry.delay_after(run.attempt)
            run.state = StepState.RETRY_WAIT
            run.retry_at = now + delay
            return [
                self._emit(
                    "step.retry_scheduled",
                    now,
                    step_id=step_id,
                    message=error,
                    details={"attempt": run.attempt, "retry_in_s": delay},
                )
            ]
        why = error if not retryable else f"{error} (after {run.attempt} attempt{'s' if run.attempt > 1 else ''})"
        return self._step_failed(wf, step_id, why, now)

    def _step_failed(
        self, wf: Workflow, step_id: str, reason: str, now: float, kind: str = "step.failed"
    ) -> list[Effect]:
        run = self.steps[step_id]
        run.state = StepState.FAILED
        run.error = reason
        run.deadline_at = run.retry_at = None
        effects: list[Effect] = [self._emit(kind, now, step_id=step_id, message=reason)]
        if self.compensation_queue is not None:
            return effects + self._continue_rollback(wf, now)
        if self._pivot_executed(wf):
            # Past the point of no return: nothing can be undone; a person takes over.
            self.needs_attention.append(step_id)
            self._stop_pending(now, effects)
            self.status = TaskStatus.FAILED
            self.reason = f"step {step_id} failed after the pivot: {reason}"
            return effects + [
                self._emit("task.failed", now, message=self.reason, details={"needs_attention": self.needs_attention})
            ]
        return effects + self._begin_rollback(wf, f"step {step_id} failed: {reason}", now)

    def _pivot_executed(self, wf: Workflow) -> bool:
        return any(self.steps[s.id].executed for s in wf.steps if s.pivot)

    def _stop_pending(self, now: float, effects: list[Effect]) -> None:
        """Nothing new starts once the task is rolling back or failed."""
        for step_id, run in self.steps.items():
            if run.state in (StepState.PENDING, StepState.RETRY_WAIT, StepState.AWAITING_REVIEW, StepState.CHECKING):
                run.state = StepState.SKIPPED
                run.retry_at = None
                effects.append(self._emit("step.skipped", now, step_id=step_id))

    def _begin_rollback(self, wf: Workflow, reason: str, now: float) -> list[Effect]:
        self.status = TaskStatus.COMPENSATING
        self.reason = reason
        self.compensation_queue = []
        effects: list[Effect] = [self._emit("task.compensating", now, message=reason)]
        self._stop_pending(now, effects)
        return effects + self._continue_rollback(wf, now)

    def _continue_rollback(self, wf: Workflow, now: float) -> list[Effect]:
        """Compensate one step at a time, newest first, once nothing is in flight any more."""
        busy = (StepState.RUNNING, StepState.CHECKING, StepState.COMPENSATING, StepState.RETRY_WAIT)
        if any(run.state in busy for run in self.steps.values()):
            return []  # wait for results, deadlines or compensation retries
        if not self.compensation_queue and not any(
            self.steps[s].state in (StepState.COMPENSATED, StepState.COMPENSATION_FAILED) for s in self.steps
        ):
            self.compensation_queue = [
                sid
                for sid in reversed(self.completion_order)
                if self.steps[sid].executed and wf.step(sid).compensate is not None
            ]
        while self.compensation_queue:
            step_id = self.compensation_queue.pop(0)
            run = self.steps[step_id]
            run.state = StepState.COMPENSATING
            return self._dispatch_compensation(wf, step_id, run, now)
        self.status = TaskStatus.FAILED if self.needs_attention else TaskStatus.COMPENSATED
        if self.needs_attention:
            self.reason = f"{self.reason}; compensation failed for {', '.join(self.needs_attention)}"
            return [
                self._emit("task.failed", now, message=self.reason, details={"needs_attention": self.needs_attention})
            ]
        return [self._emit("task.compensated", now, message=self.reason)]

    def _dispatch_compensation(self, wf: Workflow, step_id: str, run: StepRun, now: float) -> list[Effect]:
        step = wf.step(step_id)
        compensation = step.compensate
        assert compensation is not None
        run.compensation_attempt += 1
        run.deadline_at = now + (compensation.timeout_s or step.timeout_s)
        command = self._compensation_command(wf, step_id, run)
        if isinstance(command, str):
            return self._on_compensation_result(wf, step_id, run, False, command, False, now)
        return [
            self._emit("step.compensating", now, step_id=step_id, details={"attempt": run.compensation_attempt}),
            command,
        ]

    def _compensation_command(self, wf: Workflow, step_id: str, run: StepRun) -> Dispatch | str:
        """The COMPENSATE command for the current compensation attempt, or why it cannot be made."""
        step = wf.step(step_id)
        compensation = step.compensate
        assert compensation is not None and run.deadline_at is not None
        comp_input = run.input or {}
        if compensation.input is not None:
            outputs = {sid: r.output for sid, r in self.steps.items() if r.output is not None}
            try:
                comp_input = resolve(
                    compensation.input,
                    task_input=self.input,
                    outputs=outputs,
                    task={"id": self.task_id, "tenant": self.tenant},
                )
            except MissingReference as exc:
                return f"compensation input: {exc}"
        return Dispatch(
            step_id,
            compensation.uses or step.uses,
            True,
            run.compensation_attempt,
            comp_input,
            run.output or {},
            run.deadline_at,
        )

    def _on_compensation_result(
        self, wf: Workflow, step_id: str, run: StepRun, succeeded: bool, error: str, retryable: bool, now: float
    ) -> list[Effect]:
        run.deadline_at = None
        if succeeded:
            run.state = StepState.COMPENSATED
            return [self._emit("step.compensated", now, step_id=step_id)] + self._continue_rollback(wf, now)
        policy = wf.step(step_id).compensate.retry  # type: ignore[union-attr]
        if retryable and run.compensation_attempt < policy.max_attempts:
            delay = policy.delay_after(run.compensation_attempt)
            run.state = StepState.RETRY_WAIT
            run.retry_at = now + delay
            return [
                self._emit(
                    "step.compensation_retry_scheduled",
                    now,
                    step_id=step_id,
                    message=error,
                    details={"attempt": run.compensation_attempt, "retry_in_s": delay},
                )
            ]
        run.state = StepState.COMPENSATION_FAILED
        run.error = f"compensation failed: {error}"
        self.needs_attention.append(step_id)
        return [self._emit("step.compensation_failed", now, step_id=step_id, message=error)] + self._continue_rollback(
            wf, now
        )

    def _refresh_running_status(self) -> None:
        if self.status in (TaskStatus.RUNNING, TaskStatus.AWAITING_REVIEW):
            waiting = any(
                r.decision == "PENDING" and self.steps[r.step_id].state is StepState.AWAITING_REVIEW
                for r in self.reviews.values()
            )
            self.status = TaskStatus.AWAITING_REVIEW if waiting else TaskStatus.RUNNING
