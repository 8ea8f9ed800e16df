"""What can still drift after rendering: the hand-written parts of k8s/ (Kafka cluster, shared
network policies, ServiceMonitor, KEDA's lag reader, config/*.env, the overlays' patches) against
the generated per-service objects and the code. The generated files themselves are checked against
the generator in test_render.py; what each service gets is the generator's business, tested there.

Every check runs on each rendered target, because an overlay can change a setting (a merged
ConfigMap) or patch an object that the generator derived from the base's settings."""

from __future__ import annotations

import pytest

from lammesh import topics as topic_catalogue
from lammesh.catalogue import ServiceKind, ServiceSpec, load_services
from lammesh.k8s.manifests import declared_topics, grpc_tls_secret
from lammesh.settings import Settings
from lammesh.topics import step_commands
from tests.k8s.manifests import (
    GPU_RESOURCE,
    Manifests,
    Obj,
    gpu_limit,
    image_name,
    labels_match,
    main_container,
    match_labels,
    pod_labels,
    pod_spec,
    settings_from_env,
)
from tests.k8s.netpol import allowed

# Secrets the operator creates (README "Kubernetes", docs/decisions/0600 and 0601): the gRPC
# certificate (kubernetes.io/tls + ca.crt, e.g. from cert-manager) and the gateway's tokens file.
# One gRPC certificate per service (its identity, docs/decisions/0680).
EXTERNAL_SECRETS = {
    **{grpc_tls_secret(name): ("tls.crt", "tls.key", "ca.crt") for name in load_services()},
    "lammesh-gateway-tokens": ("tokens.yaml",),
}


def catalogue() -> dict[str, ServiceSpec]:
    return load_services()


def _kafka_settings(m: Manifests) -> Settings:
    """Topic prefix, partitions and replication as the Kafka clients in this target see them."""
    clients = [w for w in m.workloads.values() if pod_labels(w).get("lammesh.io/kafka-client") == "true"]
    assert clients, f"{m.target}: no Kafka client workload"
    seen = {
        m.settings_of(w).model_dump_json(include={"topic_prefix", "topic_partitions", "topic_replication"})
        for w in clients
    }
    assert len(seen) == 1, f"{m.target}: Kafka clients disagree on topic settings: {seen}"
    return m.settings_of(clients[0])


# --- services and workloads -------------------------------------------------------------------


def test_every_catalogue_service_runs_production_ready(manifests: Manifests) -> None:
    missing = sorted(set(catalogue()) - set(manifests.workloads))
    assert missing == [], f"{manifests.target}: no workload for {missing}"
    for name in catalogue():
        _check_production_ready(manifests, name)


def _check_production_ready(manifests: Manifests, name: str) -> None:
    workload = manifests.workloads[name]
    spec, container = pod_spec(workload), main_container(workload)
    settings = manifests.settings_of(workload)
    assert container["args"] == ["run", name]
    assert image_name(container["image"]) in {"lammesh", "lammesh-gpu"}, container["image"]

    web = catalogue()[name].kind == ServiceKind.CONSOLE  # the console's pages: an http port besides
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {
        "grpc": settings.grpc_port,
        "metrics": settings.metrics_port,
        "health": settings.grpc_health_port,
        **({"http": settings.console_port} if web else {}),
    }
    (service,) = manifests.selecting("Service", pod_labels(workload))
    ports = {p["name"]: (p["port"], p["targetPort"]) for p in service["spec"]["ports"]}
    assert ports == {
        "grpc": (settings.grpc_port, "grpc"),
        "metrics": (settings.metrics_port, "metrics"),
        **({"http": (settings.console_port, "http")} if web else {}),
    }
    # The kubelet's gRPC probes speak plaintext only: they use the health-only plaintext port
    # (docs/decisions/0600), never the (m)TLS gRPC port.
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe].get("grpc") == {"port": settings.grpc_health_port}, (
            f"{probe} must use grpc.health.v1 on the health port"
        )

    # SIGTERM -> preStop sleep, then consumers drain (up to drain_timeout_s) and gRPC finishes calls
    # in flight (up to drain_timeout_s): the grace period must cover all of it.
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    assert spec["terminationGracePeriodSeconds"] > pre_stop + 2 * settings.drain_timeout_s

    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec.get("automountServiceAccountToken") is False
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
    assert tmp and "emptyDir" in volumes[tmp[0]["name"]], "/tmp must be a writable emptyDir"

    resources = container["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"]) and "memory" in resources["limits"]

    spread = spec.get("topologySpreadConstraints", [])
    assert {c["topologyKey"] for c in spread} >= {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    for constraint in spread:
        assert labels_match(match_labels(constraint["labelSelector"]), pod_labels(workload))


def test_every_service_metrics_port_is_scraped(manifests: Manifests) -> None:
    monitors = manifests.of_kind("ServiceMonitor")
    for name in catalogue():
        service = manifests.get("Service", name)
        scraped = [
            m
            for m in monitors
            if labels_match(match_labels(m["spec"]["selector"]), service["metadata"]["labels"])
            and any(e.get("port") == "metrics" for e in m["spec"]["endpoints"])
        ]
        assert scraped, f"{manifests.target}: no ServiceMonitor scrapes the metrics port of {name}"


# --- settings -----------------------------------------------------------------------------------


def test_every_lammesh_setting_in_the_manifests_exists_and_parses(manifests: Manifests) -> None:
    fields = set(Settings.model_fields)
    used: dict[str, str] = {}
    for cm in manifests.of_kind("ConfigMap"):
        for key in cm.get("data", {}):
            if key.startswith("LAMMESH_"):
                used[key] = f"ConfigMap {cm['metadata']['name']}"
    for workload in manifests.workloads.values():
        for container in pod_spec(workload)["containers"]:
            for item in container.get("env", []):
                if item["name"].startswith("LAMMESH_"):
                    used[item["name"]] = f"{workload['metadata']['name']} env"
    assert used
    unknown = {k: where for k, where in used.items() if k.removeprefix("LAMMESH_").lower() not in fields}
    assert unknown == {}, f"{manifests.target}: not settings of lammesh.settings.Settings: {unknown}"
    for workload in manifests.workloads.values():
        manifests.settings_of(workload)  # raises on a value Settings would reject


def test_settings_reader_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="grpc_port"):
        settings_from_env({"LAMMESH_GRPC_PORT": "not-a-port"})


# --- Kafka: topics and users --------------------------------------------------------------------


def test_every_declared_topic_has_a_matching_kafka_topic(manifests: Manifests) -> None:
    settings = _kafka_settings(manifests)
    brokers = sum(p["spec"]["replicas"] for p in manifests.of_kind("KafkaNodePool") if "broker" in p["spec"]["roles"])
    expected = {}
    for spec in declared_topics(list(catalogue().values())):
        config = spec.config()
        expected[spec.name(settings)] = {
            "partitions": spec.partition_count(settings),
            "replicas": settings.topic_replication,
            "cleanup.policy": config["cleanup.policy"],
            "retention.ms": config.get("retention.ms"),
            "max.message.bytes": config.get("max.message.bytes"),
        }
    actual = {}
    for topic in manifests.of_kind("KafkaTopic"):
        config = topic["spec"].get("config", {})
        retention = config.get("retention.ms")
        actual[topic["spec"].get("topicName", topic["metadata"]["name"])] = {
            "partitions": topic["spec"]["partitions"],
            "replicas": topic["spec"]["replicas"],
            "cleanup.policy": config.get("cleanup.policy"),
            "retention.ms": None if retention is None else str(retention),
            "max.message.bytes": None if config.get("max.message.bytes") is None else str(config["max.message.bytes"]),
        }
    assert actual == expected
    assert settings.topic_replication <= brokers, "more topic replicas than brokers"


def test_kafka_clients_reach_the_tls_scram_listener_with_the_cluster_ca(manifests: Manifests) -> None:
    """kafka.env (bootstrap, protocol, mechanism, CA file) against the hand-written Kafka cluster."""
    kafka = manifests.get("Kafka", "lammesh")
    cluster = kafka["metadata"]["name"]
    listeners = {f"{cluster}-kafka-bootstrap:{lst['port']}": lst for lst in kafka["spec"]["kafka"]["listeners"]}
    for name, workload in manifests.workloads.items():
        if pod_labels(workload).get("lammesh.io/kafka-client") != "true":
            continue
        settings = manifests.settings_of(workload)
        listener = listeners[settings.kafka_bootstrap]
        assert listener["tls"] and settings.kafka_security_protocol == "SASL_SSL"
        assert listener["authentication"]["type"] == "scram-sha-512" == settings.kafka_sasl_mechanism.lower()
        user = manifests.get("KafkaUser", settings.kafka_sasl_username)
        assert user is not None and user["spec"]["authentication"]["type"] == "scram-sha-512", name
        mounts = {m["mountPath"]: m["name"] for m in main_container(workload)["volumeMounts"]}
        ca_dir, ca_file = settings.kafka_ssl_cafile.rsplit("/", 1)
        volume = {v["name"]: v for v in pod_spec(workload)["volumes"]}[mounts[ca_dir]]
        assert volume["secret"]["secretName"] == f"{cluster}-cluster-ca-cert"
        assert {"key": "ca.crt", "path": ca_file} in volume["secret"]["items"]


# --- autoscaling --------------------------------------------------------------------------------


def test_autoscaling_bounds_survive_the_overlays(manifests: Manifests) -> None:
    """Overlays patch replica bounds: agents/tools never above their command topic's partitions
    (idle consumers), the coordinator never above its input topics' partitions, min <= max."""
    settings = _kafka_settings(manifests)
    services = catalogue()
    for scaled in manifests.of_kind("ScaledObject"):
        spec = services[scaled["spec"]["scaleTargetRef"]["name"]]
        ceiling = step_commands(spec.capability).partition_count(settings)
        assert 1 <= scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"] <= ceiling, spec.name
        (trigger,) = scaled["spec"]["triggers"]
        _check_lag_reader_auth(manifests, manifests.get("TriggerAuthentication", trigger["authenticationRef"]["name"]))
    for hpa in manifests.of_kind("HorizontalPodAutoscaler"):
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"], hpa["metadata"]["name"]
    scalers = manifests.of_kind("ScaledObject", "HorizontalPodAutoscaler")
    autoscaled = {o["spec"]["scaleTargetRef"]["name"] for o in scalers}
    for name, workload in manifests.workloads.items():
        assert ("replicas" in workload["spec"]) != (name in autoscaled), f"{name}: replicas owned twice or by nobody"
    inputs = (topic_catalogue.TASKS_REQUESTED, topic_catalogue.STEPS_RESULTS)
    for name, spec in services.items():
        if spec.kind == ServiceKind.COORDINATOR:
            replicas = manifests.workloads[name]["spec"]["replicas"]
            assert 1 <= replicas <= min(t.partition_count(settings) for t in inputs)


def _check_lag_reader_auth(m: Manifests, auth: Obj | None) -> None:
    """KEDA authenticates like any client: SCRAM-SHA-512 over TLS, as a KafkaUser of its own."""
    assert auth is not None
    params = {}
    for ref in auth["spec"].get("configMapTargetRef", []):
        params[ref["parameter"]] = m.configmap(ref["name"])["data"][ref["key"]]
    secrets = {ref["parameter"]: (ref["name"], ref["key"]) for ref in auth["spec"].get("secretTargetRef", [])}
    assert params["sasl"] == "scram_sha512" and params["tls"] == "enable"
    user = m.get("KafkaUser", params["username"])
    assert user and user["spec"]["authentication"]["type"] == "scram-sha-512"
    assert secrets["password"] == (params["username"], "password")
    assert secrets["ca"] == ("lammesh-cluster-ca-cert", "ca.crt")
    assert {acl["resource"]["type"] for acl in user["spec"]["authorization"]["acls"]} == {"topic", "group"}
    assert all(acl["operations"] == ["Describe"] for acl in user["spec"]["authorization"]["acls"])


# --- network: only what must talk does ------------------------------------------------------------


def test_only_the_coordinator_reaches_the_watchers_over_grpc(manifests: Manifests) -> None:
    services = catalogue()
    pods = {name: pod_labels(w) for name, w in manifests.workloads.items() if name in services}
    grpc = {name: manifests.settings_of(w).grpc_port for name, w in manifests.workloads.items() if name in services}
    edges = {
        (src, dst) for src in pods for dst in pods if src != dst and allowed(manifests, pods[src], pods[dst], grpc[dst])
    }
    expected = {("coordinator", name) for name, spec in services.items() if spec.kind == ServiceKind.WATCHER}
    expected |= {
        (name, "gateway") for name, spec in services.items() if spec.kind == ServiceKind.CONSOLE
    }  # for its users
    assert edges == expected


def test_people_reach_the_console_through_a_labelled_ingress_only(manifests: Manifests) -> None:
    services = catalogue()
    (name,) = [n for n, spec in services.items() if spec.kind == ServiceKind.CONSOLE]
    console, settings = pod_labels(manifests.workloads[name]), manifests.settings_of(manifests.workloads[name])
    assert allowed(manifests, {"lammesh.io/console-client": "true"}, console, settings.console_port)
    assert not allowed(manifests, {"app": "something-else"}, console, settings.console_port)
    assert not allowed(manifests, {"lammesh.io/gateway-client": "true"}, console, settings.grpc_port)


def test_the_coordinator_balances_over_every_watcher_replica(manifests: Manifests) -> None:
    """The coordinator's address of each watcher names a headless Service: DNS answers with every
    ready pod, and its channel spreads checks round-robin over them and retries on another while
    one restarts (docs/decisions/0632). A ClusterIP would hide the replicas behind one address."""
    services = catalogue()
    coordinator = manifests.settings_of(manifests.workloads["coordinator"])
    for name, spec in services.items():
        if spec.kind != ServiceKind.WATCHER:
            continue
        address = coordinator.watcher_endpoints.get(name) or coordinator.watcher_endpoint_template.format(name=name)
        host, _, port = address.removeprefix("dns:///").rpartition(":")
        service = manifests.get("Service", host.split(".")[0])
        assert service is not None, f"{name}: the coordinator calls {address}, but no Service {host} exists"
        assert service["spec"].get("clusterIP") == "None", f"Service {host} must be headless for client-side balancing"
        grpc_port = manifests.settings_of(manifests.workloads[name]).grpc_port
        assert any(
            p["port"] == int(port) and p.get("targetPort") in ("grpc", grpc_port) for p in service["spec"]["ports"]
        )


def test_gateway_callers_kafka_dns_and_prometheus_are_allowed(manifests: Manifests) -> None:
    services = catalogue()
    workloads = {n: w for n, w in manifests.workloads.items() if n in services}
    gateway = pod_labels(workloads["gateway"])
    settings = manifests.settings_of(workloads["gateway"])
    assert allowed(manifests, {"lammesh.io/gateway-client": "true"}, gateway, settings.grpc_port)
    assert not allowed(manifests, {"app": "something-else"}, gateway, settings.grpc_port)
    broker = {"strimzi.io/cluster": "lammesh", "strimzi.io/broker-role": "true"}
    dns = ({"k8s-app": "kube-dns"}, {"kubernetes.io/metadata.name": "kube-system"})
    prometheus = ({}, {"kubernetes.io/metadata.name": "monitoring"})
    for name, workload in workloads.items():
        labels, metrics_port = pod_labels(workload), manifests.settings_of(workload).metrics_port
        kafka_client = labels.get("lammesh.io/kafka-client") == "true"
        assert allowed(manifests, labels, broker, 9093) == kafka_client, name
        assert allowed(manifests, labels, dns[0], 53, dst_namespace=dns[1], protocol="UDP"), name
        assert allowed(manifests, prometheus[0], labels, metrics_port, src_namespace=prometheus[1]), name
        assert not allowed(
            manifests, labels, {"app": "anything"}, 443, dst_namespace={"kubernetes.io/metadata.name": "elsewhere"}
        )


# --- GPU placement --------------------------------------------------------------------------------


def test_gpu_overlay_puts_exactly_the_latency_critical_watchers_on_gpu_nodes(manifests: Manifests) -> None:
    services = catalogue()
    critical = {n for n, s in services.items() if s.kind == ServiceKind.WATCHER and s.latency_critical}
    for name in services:
        labelled = manifests.workloads[name]["metadata"]["labels"].get("lammesh.io/latency-critical") == "true"
        assert labelled == (name in critical), f"{name}: label lammesh.io/latency-critical disagrees with the catalogue"
    on_gpu = {n for n, w in manifests.workloads.items() if gpu_limit(w) > 0}
    if manifests.target != "gpu":
        assert on_gpu == set(), f"{manifests.target} is a CPU-only target"
        return
    assert critical, "no latency-critical watcher declared"
    assert on_gpu == critical
    for name, workload in manifests.workloads.items():
        spec, container = pod_spec(workload), main_container(workload)
        tolerates_gpu = any(t.get("key") == GPU_RESOURCE for t in spec.get("tolerations", []))
        gpu_image = image_name(container["image"]) == "lammesh-gpu"
        gpu_nodes = spec.get("nodeSelector", {}).get("nvidia.com/gpu.present") == "true"
        assert tolerates_gpu == gpu_image == gpu_nodes == (name in critical), name
        if name in critical:
            assert (
                container["resources"]["requests"][GPU_RESOURCE] == container["resources"]["limits"][GPU_RESOURCE] == 1
            )
            volumes = {v["name"]: v for v in spec["volumes"]}
            cache = volumes["engine-cache"]["persistentVolumeClaim"]["claimName"]
            claim = manifests.get("PersistentVolumeClaim", cache)
            assert claim and "ReadWriteMany" in claim["spec"]["accessModes"]
            assert any(m["name"] == "engine-cache" for m in container["volumeMounts"])


# --- gRPC TLS and gateway authentication -----------------------------------------------------------


def _mounted_secret(workload: Obj, path: str) -> tuple[str, str]:
    """(Secret name, key) of the file at `path` inside the main container."""
    container, spec = main_container(workload), pod_spec(workload)
    volumes = {v["name"]: v for v in spec["volumes"]}
    for mount in container["volumeMounts"]:
        prefix = mount["mountPath"].rstrip("/") + "/"
        if path.startswith(prefix) and "secret" in volumes[mount["name"]]:
            assert mount.get("readOnly") is True, f"{mount['name']} must be mounted read-only"
            return volumes[mount["name"]]["secret"]["secretName"], path.removeprefix(prefix)
    raise AssertionError(f"{path} is not inside a mounted Secret")


def test_every_service_speaks_grpc_over_mutual_tls_from_a_mounted_secret(manifests: Manifests) -> None:
    for name in catalogue():
        _check_grpc_tls(manifests, name)


def _check_grpc_tls(manifests: Manifests, name: str) -> None:
    workload = manifests.workloads[name]
    settings = manifests.settings_of(workload)
    assert settings.grpc_tls_cert and settings.grpc_tls_key and settings.grpc_tls_ca, f"{name}: gRPC without TLS"
    for path in (settings.grpc_tls_cert, settings.grpc_tls_key, settings.grpc_tls_ca):
        secret, key = _mounted_secret(workload, str(path))
        assert secret in EXTERNAL_SECRETS and key in EXTERNAL_SECRETS[secret], (name, path)
        assert secret == grpc_tls_secret(name), f"{name}: must present its own certificate (identity), not {secret}"
    assert settings.grpc_health_port not in (None, settings.grpc_port, settings.metrics_port)
    if catalogue()[name].kind == ServiceKind.GATEWAY:
        # outside callers: TLS plus a bearer token, no client certificate
        assert settings.grpc_mtls is False
        assert settings.gateway_tokens_file, "the gateway must not run in dev mode (header tenants)"
        secret, key = _mounted_secret(workload, str(settings.gateway_tokens_file))
        assert secret in EXTERNAL_SECRETS and key in EXTERNAL_SECRETS[secret]
    else:
        assert settings.grpc_mtls is True, f"{name}: must require client certificates"
        assert settings.gateway_tokens_file is None


# --- references -----------------------------------------------------------------------------------


def test_every_reference_resolves(manifests: Manifests) -> None:
    """ConfigMaps, Secrets, volumes, service accounts and scale targets a workload names exist in
    the rendered output, are made by Strimzi (a KafkaUser's Secret, the cluster CA), or are among
    the Secrets the operator provides (EXTERNAL_SECRETS)."""
    kafka = manifests.get("Kafka", "lammesh")
    operator_secrets = {u["metadata"]["name"] for u in manifests.of_kind("KafkaUser")}
    operator_secrets.add(f"{kafka['metadata']['name']}-cluster-ca-cert")
    operator_secrets |= set(EXTERNAL_SECRETS)
    names = lambda kind: {o["metadata"]["name"] for o in manifests.of_kind(kind)}  # noqa: E731
    configmaps, secrets, claims = names("ConfigMap"), names("Secret") | operator_secrets, names("PersistentVolumeClaim")
    problems = []
    for name, workload in manifests.workloads.items():
        spec = pod_spec(workload)
        if spec["serviceAccountName"] not in names("ServiceAccount"):
            problems.append(f"{name}: service account {spec['serviceAccountName']}")
        claim_templates = {t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])}
        volumes = {v["name"] for v in spec.get("volumes", [])} | claim_templates
        for volume in spec.get("volumes", []):
            if "configMap" in volume and volume["configMap"]["name"] not in configmaps:
                problems.append(f"{name}: ConfigMap {volume['configMap']['name']}")
            if "secret" in volume and volume["secret"]["secretName"] not in secrets:
                problems.append(f"{name}: Secret {volume['secret']['secretName']}")
            if "persistentVolumeClaim" in volume and volume["persistentVolumeClaim"]["claimName"] not in claims:
                problems.append(f"{name}: PVC {volume['persistentVolumeClaim']['claimName']}")
        for container in spec["containers"]:
            for mount in container.get("volumeMounts", []):
                if mount["name"] not in volumes:
                    problems.append(f"{name}: volume {mount['name']}")
            for source in container.get("envFrom", []):
                if "configMapRef" in source and source["configMapRef"]["name"] not in configmaps:
                    problems.append(f"{name}: ConfigMap {source['configMapRef']['name']}")
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["name"] not in secrets:
                    problems.append(f"{name}: Secret {ref['name']}")
    for scaler in manifests.of_kind("HorizontalPodAutoscaler", "ScaledObject"):
        target = scaler["spec"]["scaleTargetRef"]["name"]
        if target not in manifests.workloads:
            problems.append(f"{scaler['kind']} {scaler['metadata']['name']}: target {target}")
    for obj in manifests.of_kind("KafkaTopic", "KafkaUser", "KafkaNodePool"):
        if obj["metadata"]["labels"].get("strimzi.io/cluster") != kafka["metadata"]["name"]:
            problems.append(
                f"{obj['kind']} {obj['metadata']['name']}: not labelled for cluster {kafka['metadata']['name']}"
            )
    assert problems == [], f"{manifests.target}: unresolved references:\n" + "\n".join(problems)


def test_the_gateway_may_write_feedback_cases(manifests: Manifests) -> None:
    """Review decisions and FeedbackService reports go out as cases on lammesh.watchers.feedback
    (docs/feedback.md): the gateway's principal describes and writes that topic, which is declared."""
    user = manifests.get("KafkaUser", "gateway")
    acls = {acl["resource"]["name"]: acl["operations"] for acl in user["spec"]["authorization"]["acls"]}
    topic = f"lammesh.{topic_catalogue.WATCHERS_FEEDBACK.suffix}"
    assert acls[topic] == ["Describe", "Write"]
    assert manifests.get("KafkaTopic", topic.replace(".", "-")) is not None or any(
        t["spec"].get("topicName") == topic for t in manifests.of_kind("KafkaTopic")
    )
