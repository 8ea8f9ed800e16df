"""The web console: server-rendered pages (Starlette + Jinja2) over the gateway's gRPC API.

Every page about tasks and reviews is one or more gateway calls made with the signed-in user's
credentials (their bearer token, or in dev mode their tenant header), so the console sees exactly
what the API shows that user and nothing more; it holds no tenant data of its own. The capability
registry and the model versions are mesh-wide, not tenant data: they are read from their
compacted topics as `lammesh agents` and `lammesh models list` read them (decision 0740).

Live updates: the task list and a running task's timeline poll a fragment of themselves
(static/console.js, a few lines, shipped in the package: nothing comes from a CDN).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import grpc
import structlog
from google.protobuf import json_format
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from lammesh import timeline
from lammesh.console.views import FilterError, SpanRef, highlight, task_filters, trace_link
from lammesh.gateway.client import TASK_STATUSES, Metadata, call_metadata, decide_review, list_reviews, list_tasks
from lammesh.gateway.read_model import TERMINAL
from lammesh.settings import Settings
from lammesh.v1 import registry_pb2, review_pb2, review_pb2_grpc, task_pb2, task_pb2_grpc, watcher_pb2

log = structlog.get_logger(__name__)

HERE = Path(__file__).parent
SESSION_COOKIE = "lammesh_console"
TASK_LIST_LIMIT = 200
"""Newest tasks a list page asks the gateway for (before the id search filters them)."""
REGISTRY_CACHE_S = 5.0
CALL_TIMEOUT_S = 10.0
"""Deadline of each gateway call a page makes: a gateway that does not answer gives an error page, not a hung one."""


@dataclass(frozen=True)
class Session:
    """Who is signed in: a bearer token, or (a dev-mode gateway only) a tenant and user name."""

    token: str = ""
    tenant: str = ""
    user: str = ""

    def metadata(self) -> Metadata:
        return call_metadata(self.token or None, tenant=self.tenant, user=self.user or self.tenant)

    def cookie(self) -> str:
        return f"t:{self.token}" if self.token else f"d:{self.tenant}:{self.user}"

    @classmethod
    def from_cookie(cls, value: str | None) -> Session | None:
        kind, _, rest = (value or "").partition(":")
        if kind == "t" and rest:
            return cls(token=rest)
        if kind == "d" and rest:
            tenant, _, user = rest.partition(":")
            return cls(tenant=tenant, user=user) if tenant else None
        return None


def _name(enum: Any, value: int, prefix: str) -> str:
    return str(enum.Name(value)).removeprefix(prefix)


def status_name(value: int) -> str:
    return _name(task_pb2.TaskStatus, value, "TASK_STATUS_")


def kind_name(value: int) -> str:
    return _name(registry_pb2.ServiceKind, value, "SERVICE_KIND_").lower()


def _when(ts: Any) -> str:
    if not ts.seconds and not ts.nanos:
        return ""
    return datetime.fromtimestamp(timeline.seconds(ts), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _when_s(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if seconds else ""


class Console:
    """The pages, bound to one gateway channel (shared by every user; credentials go per call)."""

    def __init__(self, settings: Settings, channel: grpc.aio.Channel) -> None:
        self.settings = settings
        self.tasks = task_pb2_grpc.TaskServiceStub(channel)
        self.reviews = review_pb2_grpc.ReviewServiceStub(channel)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals.update(
            status_name=status_name, when=_when, when_s=_when_s, took=timeline.format_duration, kind_name=kind_name
        )
        self._registry_cache: tuple[float, dict[str, Any]] | None = None

    # -- plumbing ---------------------------------------------------------------------------------

    def page(
        self, request: Request, template: str, session: Session | None, status_code: int = 200, **values: Any
    ) -> Response:
        return self.templates.TemplateResponse(
            request, template, {"session": session, **values}, status_code=status_code
        )

    def guarded(
        self, handler: Callable[[Request, Session], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """A page that needs a signed-in user; gateway errors become pages that say what happened."""

        async def endpoint(request: Request) -> Response:
            session = Session.from_cookie(request.cookies.get(SESSION_COOKIE))
            if session is None:
                return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)
            if request.method == "POST" and not _same_origin(request):
                return PlainTextResponse("cross-site form posts are refused", status_code=403)
            try:
                return await handler(request, session)
            except grpc.aio.AioRpcError as exc:
                return self.gateway_error(request, session, exc)

        return endpoint

    def gateway_error(self, request: Request, session: Session | None, exc: grpc.aio.AioRpcError) -> Response:
        code = exc.code()
        if code == grpc.StatusCode.UNAUTHENTICATED:
            response = RedirectResponse(
                f"/login?{urlencode({'error': exc.details() or 'sign in again'})}", status_code=303
            )
            response.delete_cookie(SESSION_COOKIE)
            return response
        status = {
            grpc.StatusCode.NOT_FOUND: 404,
            grpc.StatusCode.INVALID_ARGUMENT: 400,
            grpc.StatusCode.PERMISSION_DENIED: 403,
            grpc.StatusCode.FAILED_PRECONDITION: 409,
            grpc.StatusCode.UNAVAILABLE: 503,
            grpc.StatusCode.DEADLINE_EXCEEDED: 504,
        }.get(code, 502)
        detail = exc.details() or ""
        if code == grpc.StatusCode.UNAVAILABLE:
            detail = f"cannot reach the gateway at {self.settings.gateway_address} ({detail})"
        return self.page(request, "error.html", session, status_code=status, code=code.name, detail=detail)

    # -- sign in ----------------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            return self.page(
                request,
                "login.html",
                None,
                error=request.query_params.get("error", ""),
                next=request.query_params.get("next", "/reviews"),
            )
        if not _same_origin(request):
            return PlainTextResponse("cross-site form posts are refused", status_code=403)
        form = await request.form()
        session = Session(token=_field(form, "token"), tenant=_field(form, "tenant"), user=_field(form, "user"))
        target = _local_path(_field(form, "next")) or "/reviews"
        if not session.token and not session.tenant:
            return self.page(
                request,
                "login.html",
                None,
                status_code=400,
                next=target,
                error="token: paste your API token (`lammesh token new` makes one)",
            )
        try:  # the gateway decides whether these credentials are good
            await self.tasks.ListTasks(
                task_pb2.ListTasksRequest(page_size=1), metadata=session.metadata(), timeout=CALL_TIMEOUT_S
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                return self.page(request, "login.html", None, status_code=401, next=target, error=f"{exc.details()}")
            return self.gateway_error(request, None, exc)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session.cookie(),
            httponly=True,
            samesite="strict",
            secure=self.settings.console_secure_cookies,
            path="/",
        )
        log.info("console sign-in", kind="token" if session.token else "dev-tenant")
        return response

    async def logout(self, request: Request) -> Response:
        if not _same_origin(request):
            return PlainTextResponse("cross-site form posts are refused", status_code=403)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # -- review queue -----------------------------------------------------------------------------

    async def review_queue(self, request: Request, session: Session) -> Response:
        include_decided = request.query_params.get("all") == "1"
        reviews = await list_reviews(
            self.reviews, session.metadata(), include_decided=include_decided, timeout=CALL_TIMEOUT_S
        )
        items = []
        for review in reviews:
            content = json_format.MessageToDict(review.content)
            spans = [SpanRef(s.field, s.start, s.end, s.label) for s in review.spans]
            items.append(
                {
                    "review": review,
                    "fields": highlight(content, spans),
                    "decision": _name(review_pb2.ReviewDecision, review.decision, "REVIEW_DECISION_"),
                    "stage": "input" if review.stage == watcher_pb2.CHECK_STAGE_INPUT else "output",
                    "models": [
                        f"{m.name} {m.version}" + (f" ({m.sha256[:12]})" if m.sha256 else "") for m in review.models
                    ],
                }
            )
        return self.page(
            request,
            "reviews.html",
            session,
            items=items,
            include_decided=include_decided,
            done=request.query_params.get("done", ""),
        )

    async def decide(self, request: Request, session: Session) -> Response:
        form = await request.form()
        decision = _field(form, "decision")
        if decision not in ("approve", "reject"):
            return self.page(
                request,
                "error.html",
                session,
                status_code=400,
                code="INVALID_ARGUMENT",
                detail=f"decision: must be approve or reject, not {decision!r}",
            )
        review_id = request.path_params["review_id"]
        review = await decide_review(
            self.reviews,
            session.metadata(),
            review_id,
            approve=decision == "approve",
            comment=_field(form, "note"),
            timeout=CALL_TIMEOUT_S,
        )
        outcome = _name(review_pb2.ReviewDecision, review.decision, "REVIEW_DECISION_").lower()
        return RedirectResponse(f"/reviews?{urlencode({'done': f'{review.review_id} {outcome}'})}", status_code=303)

    # -- tasks ------------------------------------------------------------------------------------

    async def _task_rows(self, request: Request, session: Session) -> tuple[Any, list[task_pb2.Task], str]:
        try:
            filters = task_filters(request.query_params, datetime.now(UTC))
        except FilterError as exc:
            return None, [], str(exc)
        query = task_pb2.ListTasksRequest(status=filters.status_value, workflow=filters.workflow)
        if filters.created_after is not None:
            query.created_after.FromDatetime(filters.created_after)
        found = await list_tasks(self.tasks, query, session.metadata(), limit=TASK_LIST_LIMIT, timeout=CALL_TIMEOUT_S)
        return filters, [t for t in found if filters.matches_search(t.task_id)], ""

    async def task_list(self, request: Request, session: Session) -> Response:
        filters, tasks, error = await self._task_rows(request, session)
        return self.page(
            request,
            "tasks.html",
            session,
            status_code=400 if error else 200,
            tasks=tasks,
            error=error,
            filters=filters,
            statuses=list(TASK_STATUSES),
            params=request.query_params,
            rows_url=f"/tasks/rows?{request.url.query}",
        )

    async def task_rows(self, request: Request, session: Session) -> Response:
        _, tasks, error = await self._task_rows(request, session)
        if error:
            return PlainTextResponse(error, status_code=400)
        return self.page(request, "_task_rows.html", session, tasks=tasks)

    async def _timeline(self, request: Request, session: Session) -> dict[str, Any]:
        task_id = request.path_params["task_id"]
        reply = await self.tasks.GetTask(
            task_pb2.GetTaskRequest(task_id=task_id, include_events=True),
            metadata=session.metadata(),
            timeout=CALL_TIMEOUT_S,
        )
        task, events = reply.task, sorted(reply.events, key=lambda e: e.sequence)
        started = timeline.seconds(task.created_at)
        trace_ids = [str(d["trace_id"]) for e in events if (d := json_format.MessageToDict(e.details)).get("trace_id")]
        return {
            "task": task,
            "events": events,
            "steps": timeline.build(task, events),
            "started": started,
            "terminal": task.status in TERMINAL,
            "elapsed": timeline.seconds(task.updated_at) - started if task.status in TERMINAL else None,
            "trace_url": trace_link(self.settings.console_trace_url, task.task_id, trace_ids[0] if trace_ids else ""),
            "reviews": [(r, _name(review_pb2.ReviewDecision, r.decision, "REVIEW_DECISION_")) for r in task.reviews],
        }

    async def task_page(self, request: Request, session: Session) -> Response:
        return self.page(request, "task.html", session, **await self._timeline(request, session))

    async def task_live(self, request: Request, session: Session) -> Response:
        return self.page(request, "_timeline.html", session, **await self._timeline(request, session))

    # -- registry ---------------------------------------------------------------------------------

    async def _read_registry(self) -> dict[str, Any]:
        from lammesh.modelregistry.topic import read_models
        from lammesh.registry import read_registry

        entries, models = await asyncio.gather(read_registry(self.settings), read_models(self.settings, timeout_s=10))
        return {"capabilities": entries, "models": models.versions()}

    async def registry(self, request: Request, session: Session) -> Response:
        # Signed in, and the gateway still takes the credentials: the registry is no public page.
        await self.tasks.ListTasks(
            task_pb2.ListTasksRequest(page_size=1), metadata=session.metadata(), timeout=CALL_TIMEOUT_S
        )
        cached = self._registry_cache
        error = ""
        if cached is None or time.monotonic() - cached[0] > REGISTRY_CACHE_S:
            try:
                self._registry_cache = cached = (time.monotonic(), await self._read_registry())
            except Exception as exc:  # no broker: say where we looked, keep the page
                error = f"cannot read the registry from {self.settings.kafka_bootstrap}: {type(exc).__name__}: {exc}"
        data = cached[1] if cached is not None else {"capabilities": [], "models": []}
        return self.page(request, "registry.html", session, error=error, **data)

    # -- the app ----------------------------------------------------------------------------------

    def app(self) -> Starlette:
        async def home(request: Request) -> Response:
            return RedirectResponse("/reviews", status_code=303)

        async def healthz(request: Request) -> Response:
            return PlainTextResponse("ok")

        routes = [
            Route("/", home),
            Route("/healthz", healthz),
            Route("/login", self.login, methods=["GET", "POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/reviews", self.guarded(self.review_queue)),
            Route("/reviews/{review_id:path}/decide", self.guarded(self.decide), methods=["POST"]),
            Route("/tasks", self.guarded(self.task_list)),
            Route("/tasks/rows", self.guarded(self.task_rows)),
            Route("/tasks/{task_id}/live", self.guarded(self.task_live)),
            Route("/tasks/{task_id}", self.guarded(self.task_page)),
            Route("/registry", self.guarded(self.registry)),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ]
        return Starlette(routes=routes)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _local_path(target: str) -> str:
    """Only a path on this site (no scheme or host): a login link cannot send the user elsewhere."""
    parts = urlsplit(target)
    return target if target.startswith("/") and not target.startswith("//") and not parts.netloc else ""


def _same_origin(request: Request) -> bool:
    """A form post from the console's own pages (SameSite=Strict cookies already keep other sites'
    posts unauthenticated; this refuses them outright)."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host", "")
