"""The objects of every service and topic, built from the catalogues (pure: no files, no clock).

One function per object; what differs between services comes from its kind (the tables below) and
its catalogue entry (`ServiceSpec.deploy`). Ports, drain timeout, certificate paths and topic
settings come from the hand-written `k8s/base/config/*.env`, read into `Settings` by the caller,
so the manifests cannot disagree with the settings the pods get.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from lammesh import topics as t
from lammesh.catalogue import Resources, ServiceKind, ServiceSpec
from lammesh.settings import Settings
from lammesh.topics import TopicSpec, step_commands

Obj = dict[str, Any]

PART_OF = "lammesh"
IMAGE = "lammesh"  # the gpu overlay swaps it for lammesh-gpu on latency-critical watchers
RUN_AS = 10001  # USER of both Dockerfiles
PRE_STOP_S = 5
GRACE_MARGIN_S = 5
STATE_DIR = "/var/lib/lammesh"
MODELS_REGISTRY_DIR = "/var/lib/lammesh-models"
MODELS_REGISTRY_CLAIM = "lammesh-models-registry"
MODELS_REGISTRY_STORAGE = "20Gi"
MODEL_CHECKOUTS_DIR = "/var/cache/lammesh-models"
GATEWAY_TOKENS_DIR = "/etc/lammesh/gateway-tokens"
KAFKA_CLUSTER = "lammesh"  # the Strimzi Kafka in k8s/base/kafka/kafka.yaml
LAG_READER = "kafka-lag-reader"  # KEDA's TriggerAuthentication (k8s/base/kafka/keda-lag-reader.yaml)

STEP_KINDS = (ServiceKind.AGENT, ServiceKind.TOOL)
KAFKA_CLIENTS = (*STEP_KINDS, ServiceKind.COORDINATOR, ServiceKind.GATEWAY, ServiceKind.CONSOLE, ServiceKind.WORKER)

DEFAULT_RESOURCES: dict[ServiceKind, Resources] = {
    ServiceKind.AGENT: Resources("100m", "300Mi", "600Mi"),  # encoder + rules
    ServiceKind.TOOL: Resources("100m", "160Mi", "320Mi"),
    ServiceKind.WATCHER: Resources("100m", "160Mi", "320Mi"),
    ServiceKind.GATEWAY: Resources("200m", "192Mi", "384Mi"),
    ServiceKind.COORDINATOR: Resources("250m", "256Mi", "768Mi"),
    ServiceKind.CONSOLE: Resources("50m", "128Mi", "256Mi"),
    ServiceKind.WORKER: Resources("100m", "256Mi", "512Mi"),
}
MODEL_WATCHER_RESOURCES = Resources("500m", "512Mi", "768Mi")  # latency-critical: encoder on CPU
DEFAULT_MAX_REPLICAS = 6
MODEL_WATCHER_MAX_REPLICAS = 8
DEFAULT_CPU_UTILIZATION = 70
MODEL_WATCHER_CPU_UTILIZATION = 60
COORDINATOR_REPLICAS = 2
COORDINATOR_STORAGE = "10Gi"
LAG_THRESHOLD = 50

DESCRIBE, READ, WRITE = "Describe", "Read", "Write"

# What each kind does with the shared topics (every agent/tool also reads its own command topic;
# the coordinator also writes every capability's). A new topic that a kind uses goes here.
TOPIC_ACCESS: dict[ServiceKind, tuple[tuple[TopicSpec, tuple[str, ...]], ...]] = {
    ServiceKind.AGENT: (
        (t.STEPS_RESULTS, (DESCRIBE, WRITE)),  # answers
        (t.DLQ, (DESCRIBE, WRITE)),
        (t.REGISTRY, (DESCRIBE, WRITE)),  # capability registry: SERVING, heartbeats, STOPPED
    ),
    ServiceKind.COORDINATOR: (
        (t.TASKS_REQUESTED, (DESCRIBE, READ)),
        (t.STEPS_RESULTS, (DESCRIBE, READ)),
        (t.TASKS_CONTROL, (DESCRIBE, READ, WRITE)),  # cancels and review decisions in; due timers out
        (t.TASKS_EVENTS, (DESCRIBE, WRITE)),
        (t.TASKS_STATE, (DESCRIBE, WRITE)),
        (t.DLQ, (DESCRIBE, WRITE)),
        (t.REGISTRY, (DESCRIBE, READ)),
    ),
    ServiceKind.GATEWAY: (
        (t.TASKS_REQUESTED, (DESCRIBE, WRITE)),
        (
            t.TASKS_CONTROL,
            (DESCRIBE, READ, WRITE),
        ),  # cancels and review decisions for the coordinator; decisions read back as feedback
        (t.WATCHERS_FEEDBACK, (DESCRIBE, WRITE)),  # review decisions and reports as feedback cases
        (t.TASKS_STATE, (DESCRIBE, READ)),
        (t.TASKS_EVENTS, (DESCRIBE, READ)),
        (t.DLQ, (DESCRIBE, WRITE)),
        (t.STEPS_RESULTS, (DESCRIBE,)),
        (t.REGISTRY, (DESCRIBE,)),
    ),
}
TOPIC_ACCESS[ServiceKind.TOOL] = TOPIC_ACCESS[ServiceKind.AGENT]
# The console reads the mesh-wide registries; tenant data it gets from the gateway only (0740).
TOPIC_ACCESS[ServiceKind.CONSOLE] = (
    (t.REGISTRY, (DESCRIBE, READ)),
    (t.MODELS, (DESCRIBE, READ)),
    (t.DLQ, (DESCRIBE,)),
)
CONSOLE_CLIENT = "lammesh.io/console-client"
"""Pods (an ingress controller) and namespaces with this label set to "true" reach the console."""
# A worker's topics depend on what it does: the violet team reads the feedback cases.
WORKER_TOPICS: dict[str, tuple[tuple[TopicSpec, tuple[str, ...]], ...]] = {
    "violet": ((t.WATCHERS_FEEDBACK, (DESCRIBE, READ)),),
}


class Flow(dict[str, Any]):
    """A mapping written on one line ({type: topic, name: x}); see emit.py."""


@dataclass(frozen=True)
class Doc:
    """One YAML document: an object and the comment written above it."""

    obj: Obj
    comment: str = ""


@dataclass(frozen=True)
class Cluster:
    """What the manifests take from the hand-written part of k8s/."""

    settings: Settings
    """runtime.env and kafka.env together, as the pods read them."""
    namespace: str = "lammesh"

    def topic(self, spec: TopicSpec) -> str:
        return spec.name(self.settings)

    @property
    def prefix(self) -> str:
        return self.settings.topic_prefix


# --- labels ----------------------------------------------------------------------------------------


def selector(spec: ServiceSpec) -> dict[str, str]:
    return {"app.kubernetes.io/name": spec.name, "app.kubernetes.io/part-of": PART_OF}


def labels(spec: ServiceSpec) -> dict[str, str]:
    found = {
        "app.kubernetes.io/name": spec.name,
        "app.kubernetes.io/component": spec.kind.value,
        "app.kubernetes.io/part-of": PART_OF,
    }
    if spec.latency_critical:
        found["lammesh.io/latency-critical"] = "true"  # the gpu overlay puts it on GPU nodes
    return found


def pod_labels(spec: ServiceSpec) -> dict[str, str]:
    found = labels(spec)
    if is_kafka_client(spec):
        found["lammesh.io/kafka-client"] = "true"  # lammesh-allow-kafka, the brokers' listener peers
    if spec.kind == ServiceKind.CONSOLE:
        found["lammesh.io/gateway-client"] = "true"  # it calls the gateway for its users
    return found


def is_kafka_client(spec: ServiceSpec) -> bool:
    return spec.kind in KAFKA_CLIENTS or spec.deploy.follows_models


def meta(name: str, obj_labels: dict[str, str]) -> Obj:
    return {"name": name, "labels": dict(obj_labels)}


# --- per-service knobs with their defaults ---------------------------------------------------------


def resources(spec: ServiceSpec) -> Resources:
    if spec.deploy.resources is not None:
        return spec.deploy.resources
    if spec.kind == ServiceKind.WATCHER and spec.latency_critical:
        return MODEL_WATCHER_RESOURCES
    return DEFAULT_RESOURCES[spec.kind]


def max_replicas(spec: ServiceSpec) -> int:
    if spec.deploy.max_replicas is not None:
        return spec.deploy.max_replicas
    return MODEL_WATCHER_MAX_REPLICAS if spec.latency_critical else DEFAULT_MAX_REPLICAS


def cpu_utilization(spec: ServiceSpec) -> int:
    if spec.deploy.cpu_utilization is not None:
        return spec.deploy.cpu_utilization
    return MODEL_WATCHER_CPU_UTILIZATION if spec.latency_critical else DEFAULT_CPU_UTILIZATION


def grace_period(settings: Settings) -> int:
    """preStop sleep + consumer drain and gRPC grace (drain_timeout_s each) + margin."""
    return PRE_STOP_S + 2 * int(settings.drain_timeout_s) + GRACE_MARGIN_S


# --- the workload ----------------------------------------------------------------------------------


def grpc_tls_secret(service: str) -> str:
    """The Secret (tls.crt, tls.key, ca.crt) holding one service's certificate: its SANs are
    spiffe://lammesh.local/ns/<namespace>/sa/<service> and its Service's DNS names (0680)."""
    return f"lammesh-grpc-tls-{service}"


def _dir(path: object) -> str:
    return str(PurePosixPath(str(path)).parent)


def _env(spec: ServiceSpec) -> list[Obj]:
    env: list[Obj] = [
        {"name": "LAMMESH_SERVICE_NAME", "value": spec.name},
        {"name": "LAMMESH_INSTANCE_ID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    ]
    if spec.kind == ServiceKind.GATEWAY:
        # Callers outside the mesh: TLS and a bearer token per tenant, no client certificate (0600, 0601).
        env += [
            {"name": "LAMMESH_GRPC_MTLS", "value": "false"},
            {"name": "LAMMESH_GATEWAY_TOKENS_FILE", "value": f"{GATEWAY_TOKENS_DIR}/tokens.yaml"},
        ]
    if is_kafka_client(spec):
        # The Strimzi User Operator makes the Secret of the KafkaUser of the same name.
        env += [
            {"name": "LAMMESH_KAFKA_SASL_USERNAME", "value": spec.name},
            {
                "name": "LAMMESH_KAFKA_SASL_PASSWORD",
                "valueFrom": {"secretKeyRef": {"name": spec.name, "key": "password"}},
            },
        ]
    if spec.deploy.state_dir:
        env.append({"name": "LAMMESH_STATE_DIR", "value": STATE_DIR})
    if spec.deploy.publishes_models:
        env += [
            {"name": "LAMMESH_MODELS_REGISTRY_DIR", "value": MODELS_REGISTRY_DIR},
            {"name": "LAMMESH_MODELS_CHECKOUT_DIR", "value": MODEL_CHECKOUTS_DIR},
        ]
    if spec.deploy.follows_models:
        env += [
            {"name": "LAMMESH_MODELS_FOLLOW_REGISTRY", "value": "true"},
            {"name": "LAMMESH_MODELS_REGISTRY_DIR", "value": MODELS_REGISTRY_DIR},
            {"name": "LAMMESH_MODELS_CHECKOUT_DIR", "value": MODEL_CHECKOUTS_DIR},
        ]
    env += [{"name": name, "value": value} for name, value in spec.deploy.env.items()]
    env += [
        {"name": s.name, "valueFrom": {"secretKeyRef": {"name": s.secret, "key": s.key}}}
        for s in spec.deploy.secret_env
    ]
    return env


def _volumes(spec: ServiceSpec, cluster: Cluster) -> tuple[list[Obj], list[Obj]]:
    """(volumeMounts, volumes) of the service container."""
    settings = cluster.settings
    mounts: list[Obj] = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "grpc-tls", "mountPath": _dir(settings.grpc_tls_cert), "readOnly": True},
    ]
    volumes: list[Obj] = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
        # tls.crt, tls.key, ca.crt: this service's own gRPC certificate, its identity in a URI SAN
        # (docs/decisions/0600, 0680), provided by the operator
        {"name": "grpc-tls", "secret": {"secretName": grpc_tls_secret(spec.name)}},
    ]
    if spec.kind == ServiceKind.GATEWAY:
        # tokens.yaml: sha256 of each token -> tenant, user, roles (docs/decisions/0601)
        mounts.append({"name": "gateway-tokens", "mountPath": GATEWAY_TOKENS_DIR, "readOnly": True})
        volumes.append({"name": "gateway-tokens", "secret": {"secretName": "lammesh-gateway-tokens"}})
    if spec.kind == ServiceKind.COORDINATOR:
        mounts.append({"name": "state", "mountPath": f"{STATE_DIR}/coordinator"})  # volumeClaimTemplates
    elif spec.deploy.state_dir:
        mounts.append({"name": "state", "mountPath": STATE_DIR})
        volumes.append({"name": "state", "emptyDir": {"sizeLimit": "256Mi"}})
    if spec.deploy.follows_models:
        # the registry's content-addressed store, read-only; versions are copied out to an emptyDir
        mounts += [
            {"name": "models-registry", "mountPath": MODELS_REGISTRY_DIR, "readOnly": True},
            {"name": "model-checkouts", "mountPath": MODEL_CHECKOUTS_DIR},
        ]
        volumes += [
            {
                "name": "models-registry",
                "persistentVolumeClaim": {"claimName": MODELS_REGISTRY_CLAIM, "readOnly": True},
            },
            {"name": "model-checkouts", "emptyDir": {"sizeLimit": "2Gi"}},
        ]
    if spec.deploy.publishes_models:
        # the registry's store, read-write (new versions); parents are checked out to an emptyDir
        mounts += [
            {"name": "models-registry", "mountPath": MODELS_REGISTRY_DIR},
            {"name": "model-checkouts", "mountPath": MODEL_CHECKOUTS_DIR},
        ]
        volumes += [
            {"name": "models-registry", "persistentVolumeClaim": {"claimName": MODELS_REGISTRY_CLAIM}},
            {"name": "model-checkouts", "emptyDir": {"sizeLimit": "2Gi"}},
        ]
    if is_kafka_client(spec):
        ca = PurePosixPath(str(settings.kafka_ssl_cafile))
        mounts.append({"name": "kafka-ca", "mountPath": str(ca.parent), "readOnly": True})
        volumes.append(
            {
                "name": "kafka-ca",
                "secret": {
                    "secretName": f"{KAFKA_CLUSTER}-cluster-ca-cert",  # the Strimzi cluster CA (public part)
                    "items": [{"key": "ca.crt", "path": ca.name}],
                },
            }
        )
    return mounts, volumes


def container(spec: ServiceSpec, cluster: Cluster) -> Obj:
    settings = cluster.settings
    res = resources(spec)
    mounts, _ = _volumes(spec, cluster)
    probe = {"grpc": {"port": settings.grpc_health_port}}
    found: Obj = {
        "name": spec.name,
        "image": IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "args": ["run", spec.name],
    }
    if spec.kind == ServiceKind.COORDINATOR:
        # Faust keeps its data directory (RocksDB tables) relative to the working directory.
        found["workingDir"] = f"{STATE_DIR}/coordinator"
    found |= {
        "ports": [
            {"name": "grpc", "containerPort": settings.grpc_port},
            {"name": "metrics", "containerPort": settings.metrics_port},
            # plaintext grpc.health.v1, for the kubelet probes only (docs/decisions/0600)
            {"name": "health", "containerPort": settings.grpc_health_port},
        ]
        + ([{"name": "http", "containerPort": settings.console_port}] if spec.kind == ServiceKind.CONSOLE else []),
        "envFrom": [{"configMapRef": {"name": "lammesh-runtime"}}]
        + ([{"configMapRef": {"name": "lammesh-kafka"}}] if is_kafka_client(spec) else []),
        "env": _env(spec),
        "resources": {
            "requests": {"cpu": res.cpu, "memory": res.memory},
            "limits": {"memory": res.memory_limit},
        },
        # the coordinator's table recovery from the changelog may take minutes
        "startupProbe": probe
        | {"periodSeconds": 2, "failureThreshold": 300 if spec.kind == ServiceKind.COORDINATOR else 90},
        "readinessProbe": probe | {"periodSeconds": 5, "failureThreshold": 2},
        "livenessProbe": probe | {"periodSeconds": 10, "timeoutSeconds": 3, "failureThreshold": 6},
        "lifecycle": {"preStop": {"sleep": {"seconds": PRE_STOP_S}}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": mounts,
    }
    return found


def pod_spec(spec: ServiceSpec, cluster: Cluster) -> Obj:
    security: Obj = {"runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS, "fsGroup": RUN_AS}
    if spec.kind == ServiceKind.COORDINATOR:
        security["fsGroupChangePolicy"] = "OnRootMismatch"
    security["seccompProfile"] = {"type": "RuntimeDefault"}
    _, volumes = _volumes(spec, cluster)
    return {
        "serviceAccountName": spec.name,
        "automountServiceAccountToken": False,
        "terminationGracePeriodSeconds": grace_period(cluster.settings),
        "securityContext": security,
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": key,
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": selector(spec)},
            }
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
        ],
        "containers": [container(spec, cluster)],
        "volumes": volumes,
    }


def workload(spec: ServiceSpec, cluster: Cluster) -> Doc:
    template = {"metadata": {"labels": pod_labels(spec)}, "spec": pod_spec(spec, cluster)}
    if spec.kind == ServiceKind.COORDINATOR:
        return Doc(
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "metadata": meta(spec.name, pod_labels(spec)),
                "spec": {
                    "serviceName": spec.name,
                    "replicas": COORDINATOR_REPLICAS,
                    "podManagementPolicy": "Parallel",
                    "revisionHistoryLimit": 5,
                    "updateStrategy": {"type": "RollingUpdate"},
                    # a scaled-away pod's partitions move on; their state is in the changelog
                    "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Delete"},
                    "selector": {"matchLabels": selector(spec)},
                    "template": template,
                    "volumeClaimTemplates": [
                        {
                            "metadata": meta("state", selector(spec)),
                            "spec": {
                                "accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": COORDINATOR_STORAGE}},
                            },
                        }
                    ],
                },
            },
            "The saga coordinator keeps its Faust table in RocksDB on a per-pod volume and in the "
            "changelog topic; a StatefulSet keeps each pod's volume across restarts, so a restart replays "
            "only the changelog tail (docs/decisions/0201). Replicas <= partitions of its input topics.",
        )
    if spec.kind == ServiceKind.WORKER:
        return Doc(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": meta(spec.name, pod_labels(spec)),
                "spec": {
                    "replicas": 1,
                    "revisionHistoryLimit": 5,
                    "selector": {"matchLabels": selector(spec)},
                    "strategy": {"type": "Recreate"},
                    "template": template,
                },
            },
            "One replica, replaced (Recreate) rather than rolled: a background worker whose passes must not "
            "overlap (the violet team publishes one patch per pass).",
        )
    owner = (
        "the KEDA ScaledObject (consumer-group lag)" if spec.kind in STEP_KINDS else "the HorizontalPodAutoscaler (CPU)"
    )
    comment = f"Replicas: owned by {owner}."
    if spec.latency_critical:
        comment += " Latency-critical: the gpu overlay runs it on GPU nodes with TensorRT."
    return Doc(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta(spec.name, pod_labels(spec)),
            "spec": {
                "revisionHistoryLimit": 5,
                "selector": {"matchLabels": selector(spec)},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                "template": template,
            },
        },
        comment,
    )


# --- around the workload ---------------------------------------------------------------------------


def service_account(spec: ServiceSpec) -> Doc:
    return Doc(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta(spec.name, labels(spec)),
            "automountServiceAccountToken": False,
        },
        f"{spec.name}: {spec.description}".rstrip(": "),
    )


def service(spec: ServiceSpec, cluster: Cluster) -> Doc:
    body: Obj = {}
    comment = ""
    if spec.kind in (ServiceKind.WATCHER, ServiceKind.COORDINATOR):
        body["clusterIP"] = "None"
        comment = (
            "Headless: gRPC clients balance per call over the pod addresses (dns:///)."
            if spec.kind == ServiceKind.WATCHER
            else "Headless: stable pod DNS names for the StatefulSet."
        )
    body |= {
        "selector": selector(spec),
        "ports": [
            {"name": "grpc", "port": cluster.settings.grpc_port, "targetPort": "grpc", "appProtocol": "grpc"},
            {"name": "metrics", "port": cluster.settings.metrics_port, "targetPort": "metrics"},
        ],
    }
    if spec.kind == ServiceKind.CONSOLE:
        body["ports"].append(
            {"name": "http", "port": cluster.settings.console_port, "targetPort": "http", "appProtocol": "http"}
        )
        comment = "The web pages on the http port: put a TLS ingress in front (its session cookie is Secure)."
    return Doc(
        {"apiVersion": "v1", "kind": "Service", "metadata": meta(spec.name, labels(spec)), "spec": body}, comment
    )


def disruption_budget(spec: ServiceSpec) -> Doc:
    return Doc(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": meta(spec.name, labels(spec)),
            "spec": {
                "maxUnavailable": 1,
                "unhealthyPodEvictionPolicy": "AlwaysAllow",
                "selector": {"matchLabels": selector(spec)},
            },
        }
    )


def _grpc_from(peers: list[Obj], cluster: Cluster) -> list[Obj]:
    return [{"from": peers, "ports": [{"port": cluster.settings.grpc_port, "protocol": "TCP"}]}]


def network_policy(spec: ServiceSpec, cluster: Cluster) -> Doc:
    """Ingress to its gRPC port from who may call it; egress beyond the common allowances
    (k8s/base/network/common.yaml: DNS, Kafka, metrics scrape) only where it needs it."""
    ingress: list[Obj] = []
    egress: list[Obj] = []
    if spec.kind == ServiceKind.WATCHER:
        comment = "Only the coordinator calls watchers."
        coordinator = {"app.kubernetes.io/name": "coordinator", "app.kubernetes.io/part-of": PART_OF}
        ingress = _grpc_from([{"podSelector": {"matchLabels": coordinator}}], cluster)
    elif spec.kind == ServiceKind.GATEWAY:
        comment = (
            "Callers of the TaskService/ReviewService: pods labelled lammesh.io/gateway-client=true "
            "in this namespace (an ingress proxy, the lammesh CLI) and namespaces labelled the same way."
        )
        client = {"matchLabels": {"lammesh.io/gateway-client": "true"}}
        ingress = _grpc_from([{"podSelector": client}, {"namespaceSelector": client}], cluster)
    elif spec.kind == ServiceKind.CONSOLE:
        comment = (
            f"People reach the pages through an ingress: pods labelled {CONSOLE_CLIENT}=true in this namespace "
            "and namespaces labelled the same way; the console calls only the gateway (and reads Kafka)."
        )
        client = {"matchLabels": {CONSOLE_CLIENT: "true"}}
        ingress = [
            {
                "from": [{"podSelector": client}, {"namespaceSelector": client}],
                "ports": [{"port": cluster.settings.console_port, "protocol": "TCP"}],
            }
        ]
        gateway = {"app.kubernetes.io/name": "gateway", "app.kubernetes.io/part-of": PART_OF}
        egress.append(
            {
                "to": [{"podSelector": {"matchLabels": gateway}}],
                "ports": [{"port": cluster.settings.grpc_port, "protocol": "TCP"}],
            }
        )
    elif spec.kind == ServiceKind.COORDINATOR:
        comment = "Nobody calls the coordinator over gRPC (health only, from the kubelet); it calls the watchers."
        watchers = {"app.kubernetes.io/component": ServiceKind.WATCHER.value, "app.kubernetes.io/part-of": PART_OF}
        egress.append(
            {
                "to": [{"podSelector": {"matchLabels": watchers}}],
                "ports": [{"port": cluster.settings.grpc_port, "protocol": "TCP"}],
            }
        )
    elif spec.kind == ServiceKind.WORKER:
        comment = "Nobody calls a worker over gRPC (health only, from the kubelet); it talks only to Kafka."
    else:
        comment = (
            "A step service talks only to Kafka; its gRPC StepService is for direct calls, which "
            "nothing in the mesh makes, so nothing may reach it."
        )
    if spec.deploy.egress:
        comment += " Egress: " + ", ".join(f"{e.to} ({e.port})" for e in spec.deploy.egress) + "."
        egress.append({"ports": [{"port": e.port, "protocol": "TCP"} for e in spec.deploy.egress]})
    body: Obj = {
        "podSelector": {"matchLabels": selector(spec)},
        "policyTypes": ["Ingress", "Egress"] if egress else ["Ingress"],
        "ingress": ingress,
    }
    if egress:
        body["egress"] = egress
    return Doc(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": meta(spec.name, labels(spec)),
            "spec": body,
        },
        comment,
    )


def _acl(kind: str, name: str, operations: Iterable[str], pattern: str = "literal") -> Obj:
    return {"resource": Flow(type=kind, name=name, patternType=pattern), "operations": list(operations)}


def kafka_user(spec: ServiceSpec, services: Sequence[ServiceSpec], cluster: Cluster) -> Doc:
    acls: list[Obj] = []
    if spec.kind in STEP_KINDS:
        commands = cluster.topic(step_commands(spec.identity.capability))
        acls += [
            _acl("topic", commands, (DESCRIBE, READ)),
            _acl("group", f"{cluster.prefix}.{spec.capability}", (READ,)),
        ]
        what = "consumes its own commands (consumer group of the same name), answers on steps.results"
    elif spec.kind == ServiceKind.COORDINATOR:
        what = (
            "reads requests, results and control, sends step commands to every capability, publishes "
            f"task events and snapshots; Faust's topics and consumer group carry the app id prefix "
            f"{cluster.prefix}-{t.COORDINATOR_APP}"
        )
    elif spec.kind == ServiceKind.WATCHER:
        what = "follows the model registry: reads lammesh.models (read_committed, no consumer group)"
    elif spec.kind == ServiceKind.CONSOLE:
        what = "reads the capability registry and lammesh.models for its registry page (no consumer group)"
    elif spec.kind == ServiceKind.WORKER:
        what = ", ".join(
            f"{'/'.join(ops)} on {cluster.topic(topic)}" for topic, ops in WORKER_TOPICS.get(spec.name, ())
        )
        what = "a background worker" + (f": {what}" if what else "") + " (no consumer group)"
    else:
        what = (
            "writes task requests and control, reads review decisions back from control as feedback cases, "
            "materialises tasks.state and tails tasks.events "
            f"(consumer groups {cluster.prefix}.gateway*)"
        )
    acls += [_acl("topic", cluster.topic(topic), ops) for topic, ops in TOPIC_ACCESS.get(spec.kind, ())]
    if spec.kind == ServiceKind.WORKER:
        acls += [_acl("topic", cluster.topic(topic), ops) for topic, ops in WORKER_TOPICS.get(spec.name, ())]
    if spec.deploy.publishes_models:
        what += f"; publishes registry versions on lammesh.models (transactional id {cluster.prefix}-models-registry)"
        acls += [
            _acl("topic", cluster.topic(t.MODELS), (DESCRIBE, READ, WRITE)),
            _acl("transactionalId", f"{cluster.prefix}-models-registry", (DESCRIBE, WRITE)),
        ]
    if spec.deploy.follows_models:
        acls.append(_acl("topic", cluster.topic(t.MODELS), (DESCRIBE, READ)))
    if spec.kind == ServiceKind.COORDINATOR:
        acls += [
            _acl("topic", cluster.topic(step_commands(s.identity.capability)), (DESCRIBE, WRITE))
            for s in services
            if s.kind in STEP_KINDS
        ]
        app = f"{cluster.prefix}-{t.COORDINATOR_APP}"
        acls += [
            _acl("group", app, (READ,), "prefix"),
            _acl("topic", app, ("Create", DESCRIBE, "DescribeConfigs", READ, WRITE), "prefix"),
        ]
    elif spec.kind == ServiceKind.GATEWAY:
        acls.append(_acl("group", f"{cluster.prefix}.gateway", (READ,), "prefix"))
    return Doc(
        {
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaUser",
            "metadata": meta(spec.name, {"strimzi.io/cluster": KAFKA_CLUSTER, **selector(spec)}),
            "spec": {
                "authentication": {"type": "scram-sha-512"},
                "authorization": {"type": "simple", "acls": acls},
            },
        },
        f"Kafka principal of {spec.name}: {what}.",
    )


def scaled_object(spec: ServiceSpec, cluster: Cluster) -> Doc:
    commands = step_commands(spec.identity.capability)
    host, _, port = cluster.settings.kafka_bootstrap.split(",")[0].rpartition(":")
    ceiling = min(max_replicas(spec), commands.partition_count(cluster.settings))
    return Doc(
        {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": meta(spec.name, selector(spec)),
            "spec": {
                "scaleTargetRef": {"name": spec.name},
                "minReplicaCount": 1,
                "maxReplicaCount": ceiling,
                "pollingInterval": 15,
                "cooldownPeriod": 300,
                "advanced": {
                    "horizontalPodAutoscalerConfig": {"behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}}}
                },
                "triggers": [
                    {
                        "type": "kafka",
                        "metadata": {
                            # KEDA runs in its own namespace: the bootstrap address is fully qualified
                            "bootstrapServers": f"{host}.{cluster.namespace}.svc:{port}",
                            "consumerGroup": f"{cluster.prefix}.{spec.capability}",
                            "topic": cluster.topic(commands),
                            "lagThreshold": str(LAG_THRESHOLD),
                            "offsetResetPolicy": "earliest",
                            "allowIdleConsumers": "false",
                        },
                        "authenticationRef": {"name": LAG_READER},
                    }
                ],
            },
        },
        f"Scales on the lag of {spec.name}'s consumer group, never above its command topic's partitions.",
    )


def autoscaler(spec: ServiceSpec) -> Doc:
    return Doc(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": meta(spec.name, labels(spec)),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
                "minReplicas": 2,
                "maxReplicas": max_replicas(spec),
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": cpu_utilization(spec)},
                        },
                    }
                ],
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
            },
        }
    )


def service_docs(spec: ServiceSpec, services: Sequence[ServiceSpec], cluster: Cluster) -> list[Doc]:
    """Every object of one service."""
    docs = [
        service_account(spec),
        workload(spec, cluster),
        service(spec, cluster),
        disruption_budget(spec),
        network_policy(spec, cluster),
    ]
    if is_kafka_client(spec):
        docs.append(kafka_user(spec, services, cluster))
    if spec.kind in STEP_KINDS:
        docs.append(scaled_object(spec, cluster))
    elif spec.kind not in (ServiceKind.COORDINATOR, ServiceKind.WORKER):
        docs.append(autoscaler(spec))
    return docs


def models_registry_claim() -> Doc:
    return Doc(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": meta(MODELS_REGISTRY_CLAIM, {"app.kubernetes.io/part-of": PART_OF}),
            "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": MODELS_REGISTRY_STORAGE}}},
        },
        "The model registry's content-addressed store (docs/registry.md): read-only in the model watchers that "
        "follow it, read-write where models are published (`lammesh models publish`, the violet service). "
        "ReadWriteMany: pick a storage class that offers it (NFS, CephFS, EFS, Filestore).",
    )


# --- topics ----------------------------------------------------------------------------------------


def declared_topics(services: Sequence[ServiceSpec]) -> list[TopicSpec]:
    """CORE_TOPICS, then any other TopicSpec lammesh.topics declares at module level, then the
    command topic of every capability in catalogue order. Read at render time, so a topic added
    to lammesh.topics gets its KafkaTopic at the next render."""
    found: dict[str, TopicSpec] = {}
    for spec in t.CORE_TOPICS:
        found.setdefault(spec.suffix, spec)
    for value in vars(t).values():
        candidates = value if isinstance(value, tuple | list) else (value,)
        for spec in candidates:
            if isinstance(spec, TopicSpec):
                found.setdefault(spec.suffix, spec)
    for service_spec in services:
        if service_spec.capability:
            commands = step_commands(service_spec.capability)
            found.setdefault(commands.suffix, commands)
    return list(found.values())


def kafka_topic(spec: TopicSpec, cluster: Cluster) -> Doc:
    name = cluster.topic(spec)
    config: Obj = {k: int(v) if v.isdigit() else v for k, v in spec.config().items()}
    return Doc(
        {
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaTopic",
            # object names are DNS labels: Faust's "__" becomes "--"; spec.topicName keeps the real name
            "metadata": meta(
                name.replace("_", "-").lower(),
                {"strimzi.io/cluster": KAFKA_CLUSTER, "app.kubernetes.io/part-of": PART_OF},
            ),
            "spec": {
                "topicName": name,
                "partitions": spec.partition_count(cluster.settings),
                "replicas": cluster.settings.topic_replication,
                "config": config,
            },
        },
        spec.description,
    )
