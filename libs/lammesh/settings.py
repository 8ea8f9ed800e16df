"""Every setting a LAM Mesh process reads, from `LAMMESH_*` environment variables.

One part per component (`KafkaSettings`, `GrpcSettings`, `ProcessSettings`, …), each readable on
its own; `Settings` composes them all, so a service is configured by one environment and code
that needs one part says so in its signature (`client_config(settings: KafkaSettings)`).
Environment variables are the field names upper-cased with the `LAMMESH_` prefix, e.g.
`LAMMESH_KAFKA_BOOTSTRAP`, `LAMMESH_GRPC_PORT`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lammesh.grpc.targets import grpc_target


class _Part(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LAMMESH_", extra="ignore", frozen=True)


class KafkaSettings(_Part):
    """How every Kafka client connects and what it may send: brokers, security, topics, batching."""

    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Comma-separated host:port list.")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None
    kafka_ssl_certfile: str | None = None
    kafka_ssl_keyfile: str | None = None
    topic_prefix: str = Field("lammesh", description="First part of every topic name; tests use a unique one each.")
    topic_partitions: int = Field(6, ge=1, description="Partitions of the per-task topics.")
    topic_replication: int = Field(1, ge=1)
    producer_linger_ms: int = Field(2, ge=0)
    consumer_max_batch: int = Field(500, ge=1, description="Records fetched per poll at most.")
    consumer_max_in_flight: int = Field(
        64,
        ge=1,
        le=4096,
        description="Records a step service handles at once: different tasks overlap, one task's records stay in order (1 = strictly one at a time).",
    )
    consumer_fetch_max_wait_ms: int = Field(
        100,
        ge=0,
        le=1500,
        description="How long the broker may hold a consumer's fetch when no new records are waiting. Short, because a consumer keeps one fetch open per broker: a partition whose records are waiting to be handled is fetched again only once that open fetch returns.",
    )
    consumer_commit_interval_ms: float = Field(
        100.0,
        ge=0,
        le=60_000,
        description="While records keep coming, a step service commits its finished offsets at most this often (when none are waiting it commits at once; on stop and rebalance always). 0 = after every fetch.",
    )
    kafka_max_record_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        le=2 * 1024 * 1024 - 64 * 1024,
        description="Largest record the mesh writes to its topics (the broker's default message.max.bytes); a larger one is refused with a clear reason before it is sent. The DLQ takes 2 MiB, so a dead letter always fits.",
    )


class GrpcSettings(_Part):
    """Every gRPC server and client: address, message size, TLS and mTLS, health port, retries."""

    grpc_host: str = Field(
        "0.0.0.0", description="Host every listener of a process binds: gRPC, its health port and /metrics."
    )
    grpc_port: int = Field(50051, ge=0, le=65535, description="0 picks a free port.")
    grpc_max_message_bytes: int = Field(
        4 * 1024 * 1024,
        ge=1024,
        description="Largest gRPC message a server accepts or sends and a client sends or accepts; a larger one fails with RESOURCE_EXHAUSTED naming both sizes.",
    )
    grpc_tls_cert: Path | None = Field(
        None,
        description="PEM certificate chain of this process: served by its gRPC server, presented by its clients under mTLS; set with grpc_tls_key to serve TLS.",
    )
    grpc_tls_key: Path | None = Field(None, description="PEM private key of grpc_tls_cert.")
    grpc_tls_ca: Path | None = Field(
        None,
        description="PEM CA bundle: clients verify servers against it (set: every channel uses TLS); under mTLS the server verifies clients against it.",
    )
    grpc_mtls: bool = Field(False, description="The gRPC server requires a client certificate signed by grpc_tls_ca.")
    grpc_tls_server_name: str | None = Field(
        None, description="Host name clients check the server certificate for, instead of the target's host."
    )
    grpc_health_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Also serve grpc.health.v1 (only it) in plaintext on this port, for probes that cannot do (m)TLS; unset: health on the main port only; 0 picks a free port.",
    )
    grpc_retry_initial_backoff_ms: float = Field(
        50.0,
        gt=0,
        le=60_000,
        description="First wait before a gRPC call that failed UNAVAILABLE (a replica restarting) is tried again; later waits double, with jitter.",
    )
    grpc_retry_max_backoff_ms: float = Field(
        500.0, gt=0, le=60_000, description="Longest wait between tries of a call that failed UNAVAILABLE."
    )
    grpc_reconnect_backoff_max_ms: int = Field(
        1000,
        ge=100,
        le=120_000,
        description="Longest a client channel waits between attempts to reconnect to a replica that went away (gRPC's default is 120 s).",
    )

    @model_validator(mode="after")
    def _grpc_tls_is_complete(self) -> Self:
        if (self.grpc_tls_cert is None) != (self.grpc_tls_key is None):
            raise ValueError("grpc_tls_cert and grpc_tls_key: set both or neither")
        if self.grpc_mtls and (self.grpc_tls_ca is None or self.grpc_tls_cert is None):
            raise ValueError("grpc_mtls: needs grpc_tls_ca (to verify clients) and grpc_tls_cert/grpc_tls_key")
        return self

    @model_validator(mode="after")
    def _retry_backoff_is_ordered(self) -> Self:
        if self.grpc_retry_initial_backoff_ms > self.grpc_retry_max_backoff_ms:
            raise ValueError("grpc_retry_initial_backoff_ms: must not be above grpc_retry_max_backoff_ms")
        return self


class ProcessSettings(_Part):
    """Who this process is and how it is observed and stopped: name, logs, traces, metrics, drain."""

    service_name: str = "lammesh"
    instance_id: str | None = Field(None, description="Defaults to the host name and pid.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    otlp_endpoint: str | None = Field(
        None,
        description="Alias of OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used when no OTEL_ endpoint is set); tracing otherwise follows the standard OTEL_* variables (lammesh.tracing).",
    )
    metrics_port: int = Field(9464, ge=0, le=65535, description="Prometheus /metrics; 0 disables.")
    drain_timeout_s: float = Field(20.0, gt=0, description="How long a stopping service may finish in-flight work.")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class WorkflowSettings(_Part):
    """Where workflows come from and how their watchers are reached (coordinator and gateway)."""

    workflows_dir: Path = Field(Path("workflows"), description="Folder of workflow YAML files.")
    workflows_reload_s: float = Field(
        2.0,
        ge=0,
        le=3600,
        description="How often the coordinator and the gateway read workflows_dir again (added or changed workflows without a restart; a bad file is refused and the last good version stays); 0: only at start.",
    )
    watcher_endpoints: dict[str, str] = Field(
        default_factory=dict,
        description='Address per watcher, JSON: {"pii": "127.0.0.1:7001"}; several replicas as "ip:port,ip:port" or one name that resolves to all of them (a headless Service); calls are balanced round-robin and retried on another replica while one is away.',
    )
    watcher_endpoint_template: str = Field(
        "{name}:50051", description="Address of a watcher not in watcher_endpoints (Kubernetes service names)."
    )
    watcher_client_max_batch: int = Field(
        64,
        ge=1,
        le=4096,
        description="The coordinator sends the checks that queue for one watcher while its calls are in flight as one CheckBatch of at most this many (1 = one Check call each).",
    )
    watcher_client_max_calls: int = Field(
        2,
        ge=1,
        le=64,
        description="Calls in flight to one watcher from the coordinator at most; more checks wait and are batched.",
    )

    @field_validator("watcher_endpoints")
    @classmethod
    def _watcher_endpoints_are_targets(cls, value: dict[str, str]) -> dict[str, str]:
        for name, address in value.items():
            try:
                grpc_target(address)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        return value


class CoordinatorSettings(_Part):
    """The saga coordinator: its table, timers, lanes, pacing, reconciler and retention."""

    coordinator_store: str = Field(
        "rocksdb://",
        description="Faust table store: rocksdb:// (local files, changelog tail on restart; lammesh.coordinator.store) or memory:// (whole changelog replayed).",
    )
    coordinator_data_dir: Path = Field(Path(".run/coordinator"), description="Faust data folder.")
    timer_interval_s: float = Field(0.05, gt=0, le=10, description="How often due timers are looked for.")
    timer_recovery_grace_s: float = Field(
        3.0,
        ge=0,
        le=300,
        description="After taking over partitions, hold overdue timers this long so results that arrived meanwhile are read first.",
    )
    coordinator_retention_s: float = Field(
        7 * 24 * 3600,
        gt=0,
        description="How long a finished task is kept (coordinator table, gateway read model, tasks.state) before it is forgotten; a request with the same task id within it is recognised as a repeat.",
    )
    coordinator_max_in_flight: int = Field(
        64,
        ge=1,
        le=4096,
        description="Records the coordinator processes at once: different tasks overlap, one task's records stay in order (1 = strictly one at a time).",
    )
    reconcile_interval_s: float = Field(
        5.0,
        gt=0,
        le=3600,
        description="How often the coordinator looks for task requests its group read past without starting a task (0631).",
    )
    reconcile_horizon_s: float = Field(
        3600.0,
        gt=0,
        description="How far back (request time) the request reconciler looks when it starts.",
    )
    coordinator_max_active_sagas: int = Field(
        256,
        ge=1,
        le=100_000,
        description="Sagas one coordinator instance runs at once; a request for a new task beyond it waits, unacknowledged, until one ends (0640).",
    )
    coordinator_session_timeout_s: float = Field(
        10.0, gt=0, le=300, description="How long a silent coordinator keeps its partitions (Kafka group session)."
    )


class GatewaySettings(_Part):
    """The gateway's admission control and its users: tenants, tokens; and where clients find it."""

    admission_max_in_flight: int = Field(
        256,
        ge=1,
        le=1_000_000,
        description="Tasks in flight (requested, not ended) across the mesh that the gateway admits; beyond it SubmitTask answers RESOURCE_EXHAUSTED with a retry hint (0640).",
    )
    admission_max_in_flight_per_tenant: int = Field(
        128, ge=1, le=1_000_000, description="Tasks in flight one tenant may have at most."
    )
    admission_reserve: int = Field(
        32,
        ge=0,
        description="Slots of admission_max_in_flight kept for tenants under their fair share: one tenant's flood stops short of them (0640).",
    )
    admission_retry_after_s: float = Field(
        0.5,
        gt=0,
        le=3600,
        description="Retry hint of a refused SubmitTask (google.rpc.RetryInfo in the trailers, and the message).",
    )
    admission_queue_ttl_s: float = Field(
        600.0,
        gt=0,
        description="A request that no task snapshot follows within this long stops counting as in flight (a dead-lettered request).",
    )
    gateway_address: str = Field("127.0.0.1:50051", description="Where the CLI reaches the gateway.")
    default_tenant: str = Field("default", description="Tenant of requests that name none (dev mode only).")
    gateway_tokens_file: Path | None = Field(
        None,
        description="YAML/JSON of API tokens (sha256 hex of the token -> tenant, user, roles); set: the gateway requires `authorization: Bearer <token>`; unset: dev mode, the tenant comes from the x-lammesh-tenant header.",
    )
    token: SecretStr | None = Field(None, description="Bearer token the CLI sends to the gateway (LAMMESH_TOKEN).")

    @model_validator(mode="after")
    def _admission_reserve_fits(self) -> Self:
        if self.admission_reserve >= self.admission_max_in_flight:
            raise ValueError("admission_reserve: must be below admission_max_in_flight")
        return self

    @field_validator("gateway_address")
    @classmethod
    def _gateway_address_is_a_target(cls, value: str) -> str:
        grpc_target(value)
        return value


class ConsoleSettings(_Part):
    """The web console (lammesh run console; docs/console.md)."""

    console_port: int = Field(
        8080, ge=0, le=65535, description="HTTP port of the web console (on grpc_host); 0 picks a free port."
    )
    console_trace_url: str = Field(
        "",
        description="Link from a task's timeline to its trace: a URL template with {task_id} (and {trace_id} where a task event names one), e.g. http://jaeger:16686/search?service=gateway&tags=%7B%22lammesh.task_id%22%3A%22{task_id}%22%7D; empty: no link.",
    )
    console_secure_cookies: bool = Field(
        False, description="Send the console's session cookie only over HTTPS (set behind a TLS ingress)."
    )


class WatcherSettings(_Part):
    """A watcher service's micro-batching (WatcherService.Check and CheckBatch)."""

    watcher_batch_window_ms: float = Field(
        2.0, ge=0, le=1000, description="Longest a check waits for others to share its batch; 0 disables."
    )
    watcher_max_batch: int = Field(32, ge=1, le=4096, description="Most checks scored in one batch.")
    watcher_max_concurrent_batches: int = Field(
        1, ge=1, description="Batches scored at the same time; while all are busy, new checks queue."
    )


class StepServiceSettings(_Part):
    """Agents and tools: local state, registry heartbeats, the CRM database, SMTP, the LLM endpoint."""

    state_dir: Path = Field(Path(".run/state"), description="Where step services keep local state (idempotency, CRM).")
    idempotency_db: Path | None = Field(
        None,
        description="SQLite file of a side-effect tool's idempotency store; default <state_dir>/<service>-idempotency.sqlite3.",
    )
    registry_heartbeat_s: float = Field(
        10.0, gt=0, le=3600, description="How often a step service renews its registry entry."
    )
    crm_database_url: str = Field(
        "sqlite:///.run/state/crm.sqlite3", description="SQLAlchemy URL of the CRM (PostgreSQL in production)."
    )
    smtp_host: str = Field("127.0.0.1", description="SMTP server the email tool sends through.")
    smtp_port: int = Field(2525, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_timeout_s: float = Field(10.0, gt=0)
    mail_from: str = Field("LAM Mesh <followup@lammesh.local>", description="From: of mails the email tool sends.")
    email_hold_after_send_s: float = Field(
        0.0,
        ge=0,
        description="Fault injection for `make chaos` only: after a mail is accepted and journaled, wait this "
        "long before the step's result is stored, so a kill lands in that window (decision 0413). 0 in production.",
    )
    maildir: Path = Field(Path(".run/maildir"), description="Where the local SMTP sink stores each mail.")
    llm_url: str | None = Field(
        None, description="OpenAI-compatible endpoint (…/v1) agents may use; unset: local models only."
    )
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the LLM endpoint.")
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(20.0, gt=0)


class ModelSettings(_Part):
    """The sentence encoder behind the model watchers and agents, and the model registry they follow."""

    models_dir: str | None = Field(
        None, description="Folder `make models` built; default .cache/models of the checkout."
    )
    models_registry_dir: Path = Field(
        Path(".run/models-registry"),
        description="The model registry's volume: content-addressed artifacts that `lammesh models publish` stores (announced on lammesh.models).",
    )
    models_follow_registry: bool = Field(
        False,
        description="Model watchers follow lammesh.models (needs the broker settings): serve the active version, shadow the canary, swap without downtime.",
    )
    models_checkout_dir: Path | None = Field(
        None,
        description="Where a following watcher checks registry versions out (hard links where on the same filesystem); default <models_registry_dir>/checkouts. Set it when the registry volume is mounted read-only.",
    )
    models_shadow_share: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="Share of check batches the canary also scores in shadow (off the hot path) while following the registry.",
    )
    encoder_backend: Literal["auto", "tensorrt", "onnxruntime"] = Field(
        "auto", description="auto: TensorRT when it imports and a GPU is present, else ONNX Runtime."
    )
    encoder_precision: Literal["auto", "fp32", "int8"] = Field(
        "auto", description="ONNX Runtime graph: auto = INT8 on CPU, FP32 on the CUDA provider."
    )
    encoder_threads: int | None = Field(None, ge=1, description="ONNX Runtime intra-op threads; default: every core.")
    encoder_engine_cache_dir: str | None = Field(
        None,
        description="Where TensorRT engines are cached; default $XDG_CACHE_HOME/lammesh/tensorrt, else <models_dir>/encoder/tensorrt.",
    )


class Settings(
    KafkaSettings,
    GrpcSettings,
    ProcessSettings,
    WorkflowSettings,
    CoordinatorSettings,
    GatewaySettings,
    ConsoleSettings,
    WatcherSettings,
    StepServiceSettings,
    ModelSettings,
):
    """Every part: what a service process reads (each component takes the part it needs)."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
