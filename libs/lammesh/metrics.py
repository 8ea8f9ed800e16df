"""Prometheus metrics every service exposes on LAMMESH_METRICS_PORT (/metrics)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

MESSAGES = Counter(
    "lammesh_messages_total",
    "Kafka records handled, by topic and outcome (ok, dead_lettered, error).",
    ["topic", "outcome"],
)
MESSAGE_SECONDS = Histogram(
    "lammesh_message_handle_seconds",
    "Time to handle one Kafka record, decode to result produced.",
    ["topic"],
    buckets=_LATENCY_BUCKETS,
)
DEAD_LETTERS = Counter("lammesh_dead_letters_total", "Records sent to the DLQ, by source topic.", ["topic"])
RPCS = Counter("lammesh_rpc_total", "gRPC calls served, by method and code.", ["method", "code"])
RPCS_IN_FLIGHT = Gauge(
    "lammesh_rpcs_in_flight",
    "gRPC calls being served now (a cancelled or expired call leaves at once), by method.",
    ["method"],
)
RPC_SECONDS = Histogram("lammesh_rpc_seconds", "gRPC server latency by method.", ["method"], buckets=_LATENCY_BUCKETS)
STEPS = Counter(
    "lammesh_steps_total",
    "Step commands executed, by capability, action and status.",
    ["capability", "action", "status"],
)
STEP_SECONDS = Histogram(
    "lammesh_step_seconds",
    "Time in a step's own work, by capability.",
    ["capability"],
    buckets=_LATENCY_BUCKETS,
)

TASKS_FORGOTTEN = Counter(
    "lammesh_tasks_forgotten_total", "Finished tasks removed from the coordinator's table after their retention."
)

COORDINATOR_RECORDS_IN_FLIGHT = Gauge(
    "lammesh_coordinator_records_in_flight", "Records the coordinator is processing now (ordered lanes, decision 0007)."
)
CONSUMER_RECORDS_IN_FLIGHT = Gauge(
    "lammesh_consumer_records_in_flight",
    "Records a step service's consumer is handling now (ordered lanes, decision 0008), by consumer group.",
    ["group"],
)
WATCHER_CLIENT_RETRIES = Counter(
    "lammesh_watcher_client_retries_total",
    "Checks the coordinator tried again because the watcher was unavailable (restarting, draining, unreachable), by watcher.",
    ["watcher"],
)
WATCHER_CLIENT_BATCH = Histogram(
    "lammesh_watcher_client_batch_size",
    "Checks per call the coordinator sends to a watcher.",
    ["watcher"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)


TASKS_STARTED = Counter("lammesh_tasks_started_total", "Tasks the coordinator started, by workflow.", ["workflow"])
TASKS_FINISHED = Counter(
    "lammesh_tasks_finished_total",
    "Tasks that ended, by workflow and outcome (completed, compensated, failed, rejected: never started).",
    ["workflow", "outcome"],
)
ROLLBACKS = Counter(
    "lammesh_task_rollbacks_total",
    "Tasks that began compensating (a step failed or was blocked, or a cancel), by workflow.",
    ["workflow"],
)
COMPENSATIONS = Counter(
    "lammesh_compensations_total",
    "Compensating actions that ended, by workflow, the capability of the step undone, and outcome (compensated, failed).",
    ["workflow", "capability", "outcome"],
)


WORKFLOWS_LOADED = Gauge("lammesh_workflows_loaded", "Workflows this process starts tasks of (coordinator, gateway).")
WORKFLOW_FILES_REFUSED = Gauge(
    "lammesh_workflow_files_refused",
    "Workflow files refused at the last read of the folder (their workflows keep the last good version; the log names path and field).",
)


class _ReviewQueueCollector:
    """lammesh_reviews_pending{tenant}: read at scrape time from the gateway's read model."""

    def __init__(self) -> None:
        self.source: Callable[[], Mapping[str, int]] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "lammesh_reviews_pending",
            "Reviews waiting for a person (the review queue), by tenant; every gateway "
            "replica sees every task, so aggregate with max, not sum.",
            labels=["tenant"],
        )
        for tenant, count in sorted((self.source() if self.source else {}).items()):
            family.add_metric([tenant], count)
        yield family


_REVIEW_QUEUE = _ReviewQueueCollector()
REGISTRY.register(_REVIEW_QUEUE)  # type: ignore[arg-type]


def report_review_queue(source: Callable[[], Mapping[str, int]]) -> None:
    """Make `source` (pending reviews per tenant) this process's lammesh_reviews_pending."""
    _REVIEW_QUEUE.source = source


def start_metrics_server(port: int, host: str = "127.0.0.1") -> WSGIServer | None:
    """Serve /metrics on `host`:`port` in a background thread (0 disables). Services pass their
    grpc_host: every listener of a process binds to the one configured host."""
    if port == 0:
        return None
    server, _thread = start_http_server(port, addr=host)
    return server


REQUESTS_REPUBLISHED = Counter(
    "lammesh_requests_republished_total",
    "Task requests the coordinator group had read past without starting the task, published again (decision 0631).",
)

MODEL_SWAPS = Counter(
    "lammesh_model_swaps_total",
    "Serving-model swaps a watcher made from the registry, by model and the version swapped in.",
    ["model", "version"],
)
SHADOW_CHECKS = Counter(
    "lammesh_shadow_checks_total",
    "Checks the canary also scored in shadow, by model, canary version and agreement (agree, disagree).",
    ["model", "version", "agreement"],
)
SHADOW_SCORE_DRIFT = Histogram(
    "lammesh_shadow_score_drift",
    "|served score - canary score| of shadow checks, by model and canary version.",
    ["model", "version"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0),
)

MAIL_RESENDS = Counter(
    "lammesh_email_resends_total",
    "Mails sent again under the same Message-ID because an earlier attempt died between handing the mail to SMTP "
    "and recording the answer (decision 0413).",
)

ADMISSIONS = Counter(
    "lammesh_admission_total",
    "SubmitTask admission decisions: admitted, or refused and why (mesh_full, tenant_limit, fair_share).",
    ["outcome"],
)
TASKS_IN_FLIGHT = Gauge(
    "lammesh_tasks_in_flight", "Tasks requested and not ended, as the gateway counts them for admission."
)
TASKS_QUEUED = Gauge(
    "lammesh_tasks_queued", "Tasks requested that no coordinator has started yet, as the gateway counts them."
)
COORDINATOR_REQUESTS_HELD = Gauge(
    "lammesh_coordinator_requests_held",
    "Requests for new tasks a coordinator holds back while it runs its max active sagas.",
)
COORDINATOR_ACTIVE_SAGAS = Gauge(
    "lammesh_coordinator_active_sagas", "Sagas this coordinator instance runs (not ended)."
)
CONTROLS_REPUBLISHED = Counter(
    "lammesh_controls_republished_total",
    "Cancels and review decisions the coordinator group read past without effect, published again (0641).",
)
