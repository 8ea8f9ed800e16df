"""gRPC TaskService, ReviewService and FeedbackService of the gateway."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import grpc
import structlog

from lammesh import tracing
from lammesh.audit import audit
from lammesh.errors import FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted
from lammesh.feedback.case import FeedbackCase, FeedbackKind
from lammesh.feedback.publisher import FeedbackPublisher
from lammesh.feedback.report import report_cases
from lammesh.gateway.admission import Admission
from lammesh.gateway.auth import READ, REVIEW, SUBMIT, TENANT_HEADER, USER_HEADER, Authenticator, Principal
from lammesh.gateway.read_model import TERMINAL, ReadModel
from lammesh.kafka import EnvelopeProducer, RecordTooLarge
from lammesh.limits import start_problem
from lammesh.settings import Settings
from lammesh.structs import from_struct
from lammesh.topics import TASKS_CONTROL, TASKS_REQUESTED
from lammesh.v1 import feedback_pb2, feedback_pb2_grpc, model_pb2, review_pb2, review_pb2_grpc, task_pb2, task_pb2_grpc
from lammesh.workflow import Workflow, WorkflowRegistry

__all__ = [
    "FeedbackServicer",
    "Gateway",
    "ReviewServicer",
    "TaskServicer",
    "TENANT_HEADER",
    "USER_HEADER",
    "task_id_for",
]
log = structlog.get_logger(__name__)
_TASK_KEYS = uuid.UUID("6d1f5bb4-8a9e-4c51-9d2c-6b5f0e0c7a11")
MAX_PAGE = 500


def task_id_for(tenant: str, client_key: str) -> str:
    """The same client key (per tenant) always names the same task."""
    return uuid.uuid5(_TASK_KEYS, f"{tenant}\x00{client_key}").hex


def _page(page_size: int, page_token: str) -> tuple[int, int]:
    if page_size < 0:
        raise InvalidArgument("page_size", "must not be negative")
    size = min(page_size or 50, MAX_PAGE)
    if not page_token:
        return 0, size
    if not page_token.isdigit():
        raise InvalidArgument("page_token", "is not a token this server gave out")
    return int(page_token), size


class Gateway:
    """What both servicers share: the read model, the producer, who is calling."""

    def __init__(
        self,
        settings: Settings,
        model: ReadModel,
        producer: EnvelopeProducer,
        workflows: WorkflowRegistry,
        auth: Authenticator | None = None,
        admission: Admission | None = None,
    ) -> None:
        self.settings = settings
        self.admission = admission or Admission.from_settings(settings)
        self.auth = auth or Authenticator.from_settings(settings)
        if self.auth.dev_mode:
            log.warning(
                "gateway in dev mode: no gateway_tokens_file, so callers are NOT authenticated and the "
                f"tenant comes from the {TENANT_HEADER} header; set LAMMESH_GATEWAY_TOKENS_FILE in production"
            )
        else:
            log.info("gateway requires bearer tokens", tokens=self.auth.token_count)
        self.model = model
        self.producer = producer
        self.workflows = workflows
        self.requested_topic = TASKS_REQUESTED.name(settings)
        self.control_topic = TASKS_CONTROL.name(settings)
        self.feedback = FeedbackPublisher(settings, producer)

    def caller(self, context: grpc.aio.ServicerContext, role: str) -> Principal:
        """Who calls (UNAUTHENTICATED without valid credentials), if allowed `role` (else PERMISSION_DENIED)."""
        return self.auth.authorize(context.invocation_metadata(), role)

    def task(self, task_id: str, tenant: str, field: str = "task_id") -> task_pb2.Task:
        if not task_id:
            raise InvalidArgument(field, "is required")
        task = self.model.get(task_id, tenant)
        if task is None:  # another tenant's task is not found either
            raise NotFound(f"task {task_id} not found")
        return task

    def admit(self, workflow: Workflow, task_id: str, tenant: str, request: task_pb2.SubmitTaskRequest) -> None:
        """Refuse a task that cannot run: input against the workflow's input_schema (INVALID_ARGUMENT
        naming the field), then what starting it would write and send against the mesh's size limits
        (RESOURCE_EXHAUSTED naming the limit), so it never sits PENDING or fails later for either."""
        task_input = from_struct(request.input)
        problem = workflow.input_problem(task_input)
        if problem is not None:
            raise InvalidArgument(*problem)
        too_large = start_problem(
            self.settings,
            workflow,
            task_id=task_id,
            tenant=tenant,
            client_key=request.client_key,
            task_input=task_input,
        )
        if too_large is not None:
            raise ResourceExhausted(f"input too large for workflow {workflow.name}: {too_large}")

    async def publish(self, topic: str, message, *, task_id: str, tenant: str) -> None:  # type: ignore[no-untyped-def]
        tracing.annotate(
            task_id=task_id, workflow=getattr(message, "workflow", None), step_id=getattr(message, "step_id", None)
        )
        try:
            sent = await self.producer.send(topic, message, task_id=task_id, tenant=tenant)
        except RecordTooLarge as exc:
            raise ResourceExhausted(f"request too large for the mesh: {exc.reason}") from None
        await self.producer.confirm([sent])  # this call's record only: calls run concurrently


class TaskServicer(task_pb2_grpc.TaskServiceServicer):
    def __init__(self, gateway: Gateway) -> None:
        self._g = gateway

    async def SubmitTask(
        self, request: task_pb2.SubmitTaskRequest, context: grpc.aio.ServicerContext
    ) -> task_pb2.SubmitTaskResponse:
        tenant = self._g.caller(context, SUBMIT).tenant
        if not request.workflow:
            raise InvalidArgument("workflow", "is required")
        if request.workflow not in self._g.workflows.by_name:
            known = ", ".join(sorted(self._g.workflows.by_name)) or "none"
            raise NotFound(f"workflow {request.workflow!r} not found (known: {known})")
        if len(request.client_key) > 256:
            raise InvalidArgument("client_key", "must be at most 256 characters")
        task_id = task_id_for(tenant, request.client_key) if request.client_key else uuid.uuid4().hex
        existing = self._g.model.get(task_id, tenant)
        if existing is not None:
            return task_pb2.SubmitTaskResponse(task=existing, created=False)
        # RESOURCE_EXHAUSTED with a retry hint while the mesh is full, before the costlier checks of
        # the input (a refusal must be cheap under overload); counted at once (before the publish),
        # so concurrent calls see it; the reader sees the record later.
        self._g.admission.check(tenant)
        self._g.admit(self._g.workflows.by_name[request.workflow], task_id, tenant, request)
        self._g.admission.admitted(task_id, tenant)
        requested = task_pb2.TaskRequested(
            task_id=task_id,
            workflow=request.workflow,
            tenant=tenant,
            input=request.input,
            client_key=request.client_key,
        )
        requested.requested_at.GetCurrentTime()
        try:
            await self._g.publish(self._g.requested_topic, requested, task_id=task_id, tenant=tenant)
        except BaseException:
            self._g.admission.forgotten(task_id)  # not sent (or not known to be): its record, if any, counts it again
            raise
        pending = task_pb2.Task(
            task_id=task_id,
            workflow=request.workflow,
            tenant=tenant,
            status=task_pb2.TASK_STATUS_PENDING,
            input=request.input,
            client_key=request.client_key,
            created_at=requested.requested_at,
            updated_at=requested.requested_at,
            trace_id=tracing.trace_id_hex() or "",
        )
        # Get and Watch work right away; the coordinator's first snapshot (version >= 1) replaces it.
        self._g.model.apply_snapshot(pending)
        return task_pb2.SubmitTaskResponse(task=pending, created=True)

    async def GetTask(
        self, request: task_pb2.GetTaskRequest, context: grpc.aio.ServicerContext
    ) -> task_pb2.GetTaskResponse:
        task = self._g.task(request.task_id, self._g.caller(context, READ).tenant)
        events = self._g.model.events_after(task.task_id, 0) if request.include_events else ()
        return task_pb2.GetTaskResponse(task=task, events=events)

    async def ListTasks(
        self, request: task_pb2.ListTasksRequest, context: grpc.aio.ServicerContext
    ) -> task_pb2.ListTasksResponse:
        tenant = self._g.caller(context, READ).tenant
        start, size = _page(request.page_size, request.page_token)
        if request.status not in task_pb2.TaskStatus.values():
            raise InvalidArgument("status", f"unknown task status {request.status}")
        after = (request.created_after.seconds, request.created_after.nanos)
        tasks = self._g.model.list(tenant, status=request.status, workflow=request.workflow, created_after=after)
        page = tasks[start : start + size]
        more = start + size < len(tasks)
        return task_pb2.ListTasksResponse(tasks=page, next_page_token=str(start + size) if more else "")

    async def CancelTask(
        self, request: task_pb2.CancelTaskRequest, context: grpc.aio.ServicerContext
    ) -> task_pb2.CancelTaskResponse:
        caller = self._g.caller(context, SUBMIT)
        tenant = caller.tenant
        task = self._g.task(request.task_id, tenant)
        if task.status in TERMINAL:
            raise FailedPrecondition(f"task {task.task_id} already ended ({task_pb2.TaskStatus.Name(task.status)})")
        cancel = task_pb2.TaskCancelRequested(
            task_id=task.task_id, reason=request.reason or f"cancelled by {caller.user}"
        )
        await self._g.publish(self._g.control_topic, cancel, task_id=task.task_id, tenant=tenant)
        return task_pb2.CancelTaskResponse(task=task)

    async def WatchTask(
        self, request: task_pb2.WatchTaskRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[task_pb2.WatchTaskResponse]:
        task = self._g.task(request.task_id, self._g.caller(context, READ).tenant)
        changed = self._g.model.subscribe(task.task_id)
        try:
            last = request.after_sequence
            while True:
                changed.clear()
                for event in self._g.model.events_after(task.task_id, last):
                    yield task_pb2.WatchTaskResponse(event=event)
                    last = event.sequence
                    if event.status in TERMINAL:
                        return
                await changed.wait()
        finally:
            self._g.model.unsubscribe(task.task_id, changed)


class ReviewServicer(review_pb2_grpc.ReviewServiceServicer):
    def __init__(self, gateway: Gateway) -> None:
        self._g = gateway

    async def ListReviews(
        self, request: review_pb2.ListReviewsRequest, context: grpc.aio.ServicerContext
    ) -> review_pb2.ListReviewsResponse:
        tenant = self._g.caller(context, READ).tenant
        start, size = _page(request.page_size, request.page_token)
        reviews = sorted(
            self._g.model.reviews(tenant, include_decided=request.include_decided),
            key=lambda r: (r.created_at.seconds, r.created_at.nanos, r.review_id),
        )
        more = start + size < len(reviews)
        return review_pb2.ListReviewsResponse(
            reviews=reviews[start : start + size], next_page_token=str(start + size) if more else ""
        )

    async def ApproveReview(
        self, request: review_pb2.ApproveReviewRequest, context: grpc.aio.ServicerContext
    ) -> review_pb2.ApproveReviewResponse:
        return review_pb2.ApproveReviewResponse(
            review=await self._decide(request, context, review_pb2.REVIEW_DECISION_APPROVED)
        )

    async def RejectReview(
        self, request: review_pb2.RejectReviewRequest, context: grpc.aio.ServicerContext
    ) -> review_pb2.RejectReviewResponse:
        return review_pb2.RejectReviewResponse(
            review=await self._decide(request, context, review_pb2.REVIEW_DECISION_REJECTED)
        )

    async def _decide(self, request, context: grpc.aio.ServicerContext, decision: int) -> review_pb2.Review:  # type: ignore[no-untyped-def]
        action = f"review.{'approve' if decision == review_pb2.REVIEW_DECISION_APPROVED else 'reject'}"
        principal = self._g.auth.authenticate(context.invocation_metadata())  # UNAUTHENTICATED: no one to audit
        if REVIEW not in principal.roles:
            audit(
                action,
                "denied",
                caller=principal.user,
                via="grpc",
                idempotency_key=request.review_id,
                tenant=principal.tenant,
                reason=f"lacks the {REVIEW!r} role",
            )
        caller = self._g.caller(context, REVIEW)
        tenant = caller.tenant
        if not request.review_id:
            raise InvalidArgument("review_id", "is required")
        found = self._g.model.find_review(request.review_id, tenant)
        if found is None:
            raise NotFound(f"review {request.review_id} not found")
        task, review = found
        if review.decision != review_pb2.REVIEW_DECISION_PENDING:
            raise FailedPrecondition(
                f"review {review.review_id} was already decided ({review_pb2.ReviewDecision.Name(review.decision)})"
            )
        by = caller.user
        decided = review_pb2.ReviewDecided(
            review_id=review.review_id,
            task_id=task.task_id,
            step_id=review.step_id,
            decision=decision,
            decided_by=by,
            comment=request.comment,
        )
        await self._g.publish(self._g.control_topic, decided, task_id=task.task_id, tenant=tenant)
        audit(
            action,
            "approved" if decision == review_pb2.REVIEW_DECISION_APPROVED else "rejected",
            caller=by,
            via="grpc",
            task_id=task.task_id,
            step_id=review.step_id,
            idempotency_key=review.review_id,
            tenant=tenant,
        )
        # Its feedback cases are derived from the decision record on tasks.control (lammesh.feedback.relay).
        answer = review_pb2.Review()
        answer.CopyFrom(review)
        answer.decision, answer.decided_by, answer.comment = decision, by, request.comment
        answer.decided_at.FromNanoseconds(time.time_ns())
        return answer


_REPORT_KINDS = {
    feedback_pb2.FEEDBACK_KIND_FALSE_POSITIVE: FeedbackKind.FALSE_POSITIVE,
    feedback_pb2.FEEDBACK_KIND_MISSED: FeedbackKind.MISSED,
}


def case_message(case: FeedbackCase) -> feedback_pb2.FeedbackCase:
    return feedback_pb2.FeedbackCase(
        case_id=case.case_id,
        task_id=case.task_id,
        step=case.step,
        stage=case.stage,
        watcher=case.watcher,
        field=case.field,
        content=case.content,
        verdict=case.verdict,
        score=case.score,
        model=model_pb2.ModelRef(name=case.model.name, version=case.model.version, sha256=case.model.sha256),
        kind=feedback_pb2.FeedbackKind.Value(f"FEEDBACK_KIND_{case.kind.value.upper()}"),
        note=case.note,
    )


class FeedbackServicer(feedback_pb2_grpc.FeedbackServiceServicer):
    """Report a watcher's verdict on one of the caller's tasks as wrong (docs/feedback.md)."""

    def __init__(self, gateway: Gateway) -> None:
        self._g = gateway

    async def ReportFeedback(
        self, request: feedback_pb2.ReportFeedbackRequest, context: grpc.aio.ServicerContext
    ) -> feedback_pb2.ReportFeedbackResponse:
        caller = self._g.caller(context, SUBMIT)
        kind = _REPORT_KINDS.get(request.kind)
        if kind is None:
            raise InvalidArgument("kind", "must be FEEDBACK_KIND_FALSE_POSITIVE or FEEDBACK_KIND_MISSED")
        task = self._g.task(request.task_id, caller.tenant)
        cases = report_cases(
            task,
            self._g.model.events_after(task.task_id, 0),
            self._g.workflows.by_name.get(task.workflow),
            step=request.step,
            kind=kind,
            watcher=request.watcher,
            stage=request.stage.strip().lower(),
            note=request.note,
            reporter=caller.user,
            now=time.time(),
        )
        await self._g.feedback.publish(cases)
        return feedback_pb2.ReportFeedbackResponse(case_id=cases[0].case_id, cases=[case_message(c) for c in cases])
