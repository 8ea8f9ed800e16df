"""The service catalogue: every deployable service, what it is and how to start it.

`lammesh run`, `lammesh up` and the k8s generator (`python -m lammesh.k8s render`) read it.
Catalogues are found through the `lammesh.catalogues` entry point group, so a separate package can
add services of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import import_module
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lammesh.service import ServiceRuntime
    from lammesh.settings import Settings

CATALOGUE_GROUP = "lammesh.catalogues"


class ServiceKind(StrEnum):
    TOOL = "tool"
    AGENT = "agent"
    WATCHER = "watcher"
    COORDINATOR = "coordinator"
    GATEWAY = "gateway"
    CONSOLE = "console"
    """The web console: HTTP pages for people, a client of the gateway (docs/console.md)."""
    WORKER = "worker"
    """A background service: reads Kafka, serves no RPCs but health (e.g. the violet team)."""


@dataclass(frozen=True)
class Resources:
    """Container requests and memory limit (no CPU limit: throttling hurts tail latency)."""

    cpu: str
    memory: str
    memory_limit: str


@dataclass(frozen=True)
class Egress:
    """A TCP port outside the mesh the service connects to (its NetworkPolicy opens it)."""

    port: int
    to: str
    """What is reached there, for the reader of the manifests."""


@dataclass(frozen=True)
class SecretEnv:
    """An environment variable read from a Secret the operator provides."""

    name: str
    secret: str
    key: str
    note: str = ""


@dataclass(frozen=True)
class Deploy:
    """What a service needs on Kubernetes beyond what its kind implies. `k8s/` is rendered from the
    catalogue (lammesh.k8s); the defaults fit most services, so a new agent needs none of this."""

    resources: Resources | None = None
    """None: the default of its kind (lammesh.k8s.manifests.DEFAULT_RESOURCES)."""
    max_replicas: int | None = None
    """Autoscaler ceiling; None: the kind's default. Agents/tools never scale above their partitions."""
    cpu_utilization: int | None = None
    """CPU target of the HPA (gateway, watchers); None: the kind's default."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Literal LAMMESH_* values for this service only (shared ones live in k8s/base/config)."""
    secret_env: tuple[SecretEnv, ...] = ()
    egress: tuple[Egress, ...] = ()
    state_dir: bool = False
    """A writable LAMMESH_STATE_DIR (emptyDir at /var/lib/lammesh), e.g. its idempotency store."""
    follows_models: bool = False
    """Follows the model registry (hot swap, docs/registry.md): the registry volume mounted read-only,
    LAMMESH_MODELS_FOLLOW_REGISTRY, a Kafka principal that reads lammesh.models."""
    publishes_models: bool = False
    """Publishes registry versions (the violet team): the registry volume mounted read-write, a
    scratch volume for checkouts, a Kafka principal that writes lammesh.models with the registry's
    transactional id."""


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    kind: ServiceKind
    bootstrap: str
    """"module:function" of `bootstrap(settings) -> ServiceRuntime`."""
    capability: str | None = None
    """For agents and tools: the capability served, i.e. the lammesh.steps.<capability> topic."""
    latency_critical: bool = False
    """A model watcher that runs on GPU nodes (TensorRT) in the gpu overlay."""
    description: str = ""
    deploy: Deploy = field(default_factory=Deploy)
    """How it runs on Kubernetes, where that differs from the defaults of its kind."""
    in_default_mesh: bool = True
    """Started by `lammesh up` when no services are named; False: only when named (`lammesh up
    violet …`, `lammesh run violet`)."""

    def load(self) -> Callable[[Settings], ServiceRuntime]:
        module, _, function = self.bootstrap.partition(":")
        return getattr(import_module(module), function)


def load_services() -> dict[str, ServiceSpec]:
    services: dict[str, ServiceSpec] = {}
    for entry in entry_points(group=CATALOGUE_GROUP):
        for spec in entry.load():
            if spec.name in services:
                raise RuntimeError(f"service {spec.name!r} is declared twice (catalogue {entry.value})")
            services[spec.name] = spec
    return services


def catalogue_watchers() -> set[str]:
    """Names of the catalogue's watcher services (what workflows may list under `watchers`)."""
    return {spec.name for spec in load_services().values() if spec.kind is ServiceKind.WATCHER}


def known_watchers(settings: Settings) -> set[str]:
    """Watchers a workflow may name: the catalogue's, plus any given an address in
    `watcher_endpoints` (a watcher deployed outside this repository)."""
    return catalogue_watchers() | set(settings.watcher_endpoints)


def served_capabilities() -> set[str]:
    """Capabilities some service of the catalogue serves (what workflows may `use`)."""
    return {spec.capability for spec in load_services().values() if spec.capability}
