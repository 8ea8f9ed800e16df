"""Talking to the gateway as a client: call credentials, task and review listings, `--since` times.

The CLI (lammesh.cli_tasks) and the web console (lammesh.console) both use this, so both send the
same credentials and page through the same way; neither reads tenant data anywhere but the gateway.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from lammesh.gateway.auth import AUTHORIZATION_HEADER, TENANT_HEADER, USER_HEADER
from lammesh.v1 import review_pb2, review_pb2_grpc, task_pb2, task_pb2_grpc

Metadata = tuple[tuple[str, str], ...]

TASK_STATUSES: dict[str, int] = {
    task_pb2.TaskStatus.Name(v).removeprefix("TASK_STATUS_").lower(): v for v in task_pb2.TaskStatus.values() if v
}
"""Status names as users type them (`completed`, `awaiting_review`, ...) -> TaskStatus values."""

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def call_metadata(token: str | None, *, tenant: str, user: str) -> Metadata:
    """With a token: the bearer token (the gateway knows the tenant and user from it); without:
    the dev-mode tenant and user headers (a gateway with a tokens file refuses those)."""
    if token:
        return ((AUTHORIZATION_HEADER, f"Bearer {token}"),)
    return ((TENANT_HEADER, tenant), (USER_HEADER, user))


def parse_since(text: str, now: datetime) -> datetime:
    """A duration back from `now` (90s, 10m, 2h, 1d, 1h30m) or an ISO 8601 time (a time without
    a zone is local time). ValueError says what is accepted."""
    compact = text.strip().lower().replace(" ", "")
    if compact and _DURATION.sub("", compact) == "":
        return now - timedelta(seconds=sum(float(n) * _UNIT_S[u] for n, u in _DURATION.findall(compact)))
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration (30s, 10m, 2h, 1d, 1h30m) nor an ISO 8601 time "
            "(2026-12-01T09:30, 2026-12-01T09:30:00+00:00)"
        ) from None
    return moment if moment.tzinfo else moment.astimezone()


async def list_tasks(
    stub: task_pb2_grpc.TaskServiceStub,
    request: task_pb2.ListTasksRequest,
    metadata: Metadata,
    *,
    limit: int,
    timeout: float | None = None,
) -> list[task_pb2.Task]:
    """Up to `limit` tasks matching `request`'s filters, newest first, paging through ListTasks."""
    found: list[task_pb2.Task] = []
    page = task_pb2.ListTasksRequest()
    page.CopyFrom(request)
    while len(found) < limit:
        page.page_size = min(limit - len(found), 500)
        reply = await stub.ListTasks(page, metadata=metadata, timeout=timeout)
        found += reply.tasks
        page.page_token = reply.next_page_token
        if not page.page_token:
            break
    return found[:limit]


async def list_reviews(
    stub: review_pb2_grpc.ReviewServiceStub,
    metadata: Metadata,
    *,
    include_decided: bool = False,
    timeout: float | None = None,
) -> list[review_pb2.Review]:
    """Every review of the caller's tenant (pending ones only unless `include_decided`)."""
    reviews: list[review_pb2.Review] = []
    token = ""
    while True:
        reply = await stub.ListReviews(
            review_pb2.ListReviewsRequest(include_decided=include_decided, page_token=token),
            metadata=metadata,
            timeout=timeout,
        )
        reviews += reply.reviews
        if not (token := reply.next_page_token):
            return reviews


async def decide_review(
    stub: review_pb2_grpc.ReviewServiceStub,
    metadata: Metadata,
    review_id: str,
    *,
    approve: bool,
    comment: str = "",
    timeout: float | None = None,
) -> review_pb2.Review:
    """Approve (the step goes on) or reject (the step fails, the task compensates) a review."""
    if approve:
        request = review_pb2.ApproveReviewRequest(review_id=review_id, comment=comment)
        return (await stub.ApproveReview(request, metadata=metadata, timeout=timeout)).review
    rejection = review_pb2.RejectReviewRequest(review_id=review_id, comment=comment)
    return (await stub.RejectReview(rejection, metadata=metadata, timeout=timeout)).review
