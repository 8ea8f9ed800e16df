"""The service catalogue: every deployable service, what it is and how to start it.

`lammesh run`, `lammesh up` and the k8s generator (`python -m lammesh.k8s render`) read it.
Catalogues are found through the `lammesh.catalogues` entry point group, so a separate package can
add services of its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import import_module
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lammesh.service import ServiceRuntime
    from lammesh.settings import Settings
    from lammesh.steps.handler import StepHandler, StepIdentity

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


STEP_KINDS = frozenset({ServiceKind.AGENT, ServiceKind.TOOL})
"""Kinds served by a StepHandler: the entry names the handler class, the runtime does the rest."""


@dataclass(frozen=True)
class ServiceSpec:
    """One deployable service. Agents and tools are declared here once: name, capability and
    version, and the handler class that serves them (`lammesh.steps.StepHandler`); the rest of
    the mesh (topics, consumer group, registry entry, k8s objects, ACLs) is derived from it
    without importing the handler (its module may load models)."""

    name: str
    kind: ServiceKind
    bootstrap: str = ""
    """"module:function" of `bootstrap(settings) -> ServiceRuntime`, for services that are not
    agents or tools (gateway, coordinator, watchers, console, workers)."""
    handler: str = ""
    """For agents and tools: "module:Class" of the StepHandler that serves `capability`."""
    capability: str | None = None
    """For agents and tools: the capability served, i.e. the lammesh.steps.<capability> topic."""
    version: str = "1.0.0"
    """For agents and tools: the version its results and its registry entry carry."""
    latency_critical: bool = False
    """A model watcher that runs on GPU nodes (TensorRT) in the gpu overlay."""
    description: str = ""
    deploy: Deploy = field(default_factory=Deploy)
    """How it runs on Kubernetes, where that differs from the defaults of its kind."""
    in_default_mesh: bool = True
    """Started by `lammesh up` when no services are named; False: only when named (`lammesh up
    violet …`, `lammesh run violet`)."""

    def __post_init__(self) -> None:
        if self.kind in STEP_KINDS:
            if not self.capability or not self.handler or self.bootstrap:
                raise ValueError(
                    f"service {self.name!r}: agents and tools name their capability and their handler "
                    f"('module:Class'), not a bootstrap"
                )
        elif not self.bootstrap or self.handler or self.capability:
            raise ValueError(
                f"service {self.name!r}: a {self.kind.value} service names its bootstrap ('module:function') only"
            )
        module, _, attribute = (self.bootstrap or self.handler).partition(":")
        if not module or not attribute:
            raise ValueError(f"service {self.name!r}: {self.bootstrap or self.handler!r} is not 'module:attribute'")

    @property
    def identity(self) -> StepIdentity:
        """What an agent or tool serves and announces (its handler is not imported)."""
        from lammesh.steps.handler import StepIdentity
        from lammesh.v1 import registry_pb2

        if self.capability is None:
            raise ValueError(f"service {self.name!r} is not an agent or a tool")
        kind = registry_pb2.SERVICE_KIND_AGENT if self.kind is ServiceKind.AGENT else registry_pb2.SERVICE_KIND_TOOL
        return StepIdentity(capability=self.capability, version=self.version, kind=kind)

    def handler_class(self) -> type[StepHandler]:
        from lammesh.steps.handler import StepHandler

        module, _, name = self.handler.partition(":")
        found = getattr(import_module(module), name)
        if not (isinstance(found, type) and issubclass(found, StepHandler)):
            raise TypeError(f"service {self.name!r}: {self.handler} is not a StepHandler subclass")
        return found

    def load(self) -> Callable[[Settings], ServiceRuntime]:
        if self.handler:
            from lammesh.steps.service import bootstrap_handler

            return functools.partial(bootstrap_handler, self)
        module, _, function = self.bootstrap.partition(":")
        bootstrap: Callable[[Settings], ServiceRuntime] = getattr(import_module(module), function)
        return bootstrap


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
