"""k8s/ is rendered from the catalogues (lammesh.k8s): the committed files are what the generator
makes now, a new agent is one catalogue entry, a new topic in lammesh.topics is one KafkaTopic,
and what each service gets follows from its kind (least-privilege ACLs, scaling, network)."""

from __future__ import annotations

import shutil
from pathlib import Path

import kubernetes_validate
import pytest

from lammesh import topics as topic_catalogue
from lammesh.catalogue import Deploy, Egress, ServiceKind, ServiceSpec, load_services
from lammesh.k8s.__main__ import main as k8s_cli
from lammesh.k8s.manifests import Cluster, declared_topics, service_docs
from lammesh.k8s.render import SERVICES_DIR, TOPICS_FILE
from lammesh.k8s.render import render as render_files
from lammesh.k8s.tree import cluster_of, read_env_file, stale, write
from lammesh.topics import TopicSpec
from tests.k8s.crds import CRDS_DIR, custom_resources
from tests.k8s.manifests import K8S, Manifests, Obj, main_container, render
from tests.k8s.netpol import allowed
from tests.k8s.test_schemas import KUBERNETES_VERSION

NEW_AGENT = ServiceSpec(
    name="summarise",
    kind=ServiceKind.AGENT,
    capability="summarise",
    handler="lammesh_services.agents.summarise.agent:Summarise",
    description="Agent: a test agent that exists only in this test's catalogue.",
)


def _services(*extra: ServiceSpec) -> list[ServiceSpec]:
    return [*load_services().values(), *extra]


def _cluster() -> Cluster:
    return cluster_of(K8S)


def _acl_allows(user: Obj, resource_type: str, name: str, operation: str) -> bool:
    for acl in user["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        if acl.get("type", "allow") != "allow" or resource["type"] != resource_type:
            continue
        pattern = resource.get("patternType", "literal")
        matches = name == resource["name"] if pattern == "literal" else name.startswith(resource["name"])
        if matches and (operation in acl["operations"] or "All" in acl["operations"]):
            return True
    return False


@pytest.fixture
def k8s_copy(tmp_path: Path) -> Path:
    """A scratch copy of k8s/ (the overlays refer to the base by relative path)."""
    return Path(shutil.copytree(K8S, tmp_path / "k8s"))


# --- the committed files ----------------------------------------------------------------------------


def test_committed_manifests_are_what_the_generator_renders() -> None:
    problems = stale(K8S)
    assert problems == [], "run `make k8s-render` and commit:\n" + "\n".join(problems)


def test_check_reports_a_hand_edit_a_missing_and_a_left_over_file(k8s_copy: Path, capsys) -> None:
    notes = k8s_copy / SERVICES_DIR / "notes.yaml"
    notes.write_text(notes.read_text().replace("memory: 600Mi", "memory: 700Mi"))
    (k8s_copy / SERVICES_DIR / "insights.yaml").unlink()
    (k8s_copy / SERVICES_DIR / "retired.yaml").write_text("# a service no longer in the catalogue\n")
    assert k8s_cli(["render", "--check", "--k8s", str(k8s_copy)]) == 1
    err = capsys.readouterr().err
    assert "notes.yaml: stale" in err and "insights.yaml: missing" in err
    assert "retired.yaml: not generated any more" in err
    assert k8s_cli(["render", "--k8s", str(k8s_copy)]) == 0
    assert not (k8s_copy / SERVICES_DIR / "retired.yaml").exists()
    assert k8s_cli(["render", "--check", "--k8s", str(k8s_copy)]) == 0


def test_render_outside_the_repository_root_says_where_it_looked(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        k8s_cli(["render", "--check", "--k8s", str(tmp_path)])
    assert exit_.value.code == 2
    assert "base/config/runtime.env not found" in capsys.readouterr().err


def test_a_malformed_env_file_fails_naming_file_and_line(tmp_path: Path) -> None:
    env = tmp_path / "runtime.env"
    env.write_text("# settings\nLAMMESH_GRPC_PORT=50051\nLAMMESH_LOG_LEVEL\n")
    with pytest.raises(ValueError, match=r"runtime\.env:3: expected KEY=VALUE"):
        read_env_file(env)


# --- adding things ----------------------------------------------------------------------------------


def test_a_new_agent_is_one_catalogue_entry(k8s_copy: Path) -> None:
    """Render a catalogue with one more agent into a copy of k8s/ and deploy-check every target:
    the agent gets its workload and objects, its topic, KEDA scaling and the coordinator's Write
    ACL, all schema-valid, and no other service may read its commands."""
    write(k8s_copy, _services(NEW_AGENT))
    known = custom_resources() if CRDS_DIR.is_dir() else {}
    for target in ("base", "overlays/dev", "overlays/gpu"):
        m = Manifests(target, render(k8s_copy / target))
        kinds = {o["kind"] for o in m.objects if o["metadata"]["name"] == "summarise"}
        assert kinds == {
            "ServiceAccount",
            "Deployment",
            "Service",
            "PodDisruptionBudget",
            "NetworkPolicy",
            "KafkaUser",
            "ScaledObject",
        }, target
        assert main_container(m.workloads["summarise"])["args"] == ["run", "summarise"]
        topic = "lammesh.steps.summarise"
        assert [o["spec"]["topicName"] for o in m.of_kind("KafkaTopic") if o["spec"]["topicName"] == topic] == [topic]
        (scaled,) = [o for o in m.of_kind("ScaledObject") if o["metadata"]["name"] == "summarise"]
        assert scaled["spec"]["triggers"][0]["metadata"]["topic"] == topic
        assert scaled["spec"]["triggers"][0]["metadata"]["consumerGroup"] == "lammesh.summarise"
        assert _acl_allows(m.get("KafkaUser", "coordinator"), "topic", topic, "Write")
        user = m.get("KafkaUser", "summarise")
        assert _acl_allows(user, "topic", topic, "Read") and _acl_allows(user, "group", "lammesh.summarise", "Read")
        for name in ("notes", "gateway", "crm"):
            assert not _acl_allows(m.get("KafkaUser", name), "topic", topic, "Read"), f"{name} may read {topic}"
        assert not _acl_allows(user, "topic", "lammesh.steps.notes", "Read")
        for obj in m.objects:
            if obj["metadata"]["name"] not in ("summarise", topic):
                continue
            if obj["apiVersion"].startswith(("kafka.strimzi.io/", "keda.sh/")):
                if known:
                    assert known[(obj["apiVersion"], obj["kind"])].errors(obj) == [], obj["kind"]
            else:
                kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_a_topic_added_to_lammesh_topics_gets_its_kafka_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Topics are read from lammesh.topics at render time (module-level TopicSpecs and CORE_TOPICS),
    so a topic another change adds there needs no edit in k8s/, only a render."""
    added = TopicSpec("audit", partitions=1, compacted=True, description="A topic only this test declares.")
    monkeypatch.setattr(topic_catalogue, "AUDIT", added, raising=False)
    services = _services()
    assert added in declared_topics(services)
    text = render_files(services, _cluster())[TOPICS_FILE]
    assert "# A topic only this test declares.\n" in text and "topicName: lammesh.audit\n" in text


# --- what each kind gets ----------------------------------------------------------------------------


def test_deploy_overrides_reach_the_manifests() -> None:
    """A catalogue entry's Deploy: its env, its egress port (and only that one), a state volume."""
    spec = ServiceSpec(
        "mailer",
        ServiceKind.TOOL,
        handler="x:Mailer",
        capability="mailer",
        deploy=Deploy(
            env={"LAMMESH_SMTP_PORT": "2525"}, egress=(Egress(2525, "a relay"),), state_dir=True, max_replicas=99
        ),
    )
    docs = {d.obj["kind"]: d.obj for d in service_docs(spec, [spec], _cluster())}
    container = docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["LAMMESH_SMTP_PORT"] == "2525" and env["LAMMESH_STATE_DIR"] == "/var/lib/lammesh"
    assert {"name": "state", "mountPath": "/var/lib/lammesh"} in container["volumeMounts"]
    m = Manifests("unit", list(docs.values()))
    pod = docs["Deployment"]["spec"]["template"]["metadata"]["labels"]
    elsewhere = {"kubernetes.io/metadata.name": "elsewhere"}
    assert allowed(m, pod, {}, 2525, dst_namespace=elsewhere)
    assert not allowed(m, pod, {}, 25, dst_namespace=elsewhere)
    # never more consumers than partitions, whatever the entry asks for
    assert docs["ScaledObject"]["spec"]["maxReplicaCount"] == _cluster().settings.topic_partitions


def test_watchers_have_no_kafka_principal_and_only_the_coordinator_calls_them() -> None:
    spec = ServiceSpec("novel", ServiceKind.WATCHER, "x:y")
    docs = service_docs(spec, [spec], _cluster())
    kinds = [d.obj["kind"] for d in docs]
    assert "KafkaUser" not in kinds and "ScaledObject" not in kinds and "HorizontalPodAutoscaler" in kinds
    m = Manifests("unit", [d.obj for d in docs])
    pod = docs[1].obj["spec"]["template"]["metadata"]["labels"]
    coordinator = {"app.kubernetes.io/name": "coordinator", "app.kubernetes.io/part-of": "lammesh"}
    assert allowed(m, coordinator, pod, 50051)
    assert not allowed(m, {"app.kubernetes.io/name": "gateway", "app.kubernetes.io/part-of": "lammesh"}, pod, 50051)
    assert "LAMMESH_KAFKA_SASL_PASSWORD" not in {e["name"] for e in main_container(docs[1].obj)["env"]}


def test_a_watcher_that_follows_the_registry_reads_lammesh_models_and_mounts_the_store_read_only() -> None:
    spec = ServiceSpec("novel", ServiceKind.WATCHER, "x:y", deploy=Deploy(follows_models=True))
    cluster = _cluster()
    docs = service_docs(spec, [spec], cluster)
    user = next(d.obj for d in docs if d.obj["kind"] == "KafkaUser")
    models = cluster.topic(topic_catalogue.MODELS)
    assert _acl_allows(user, "topic", models, "Read") and _acl_allows(user, "topic", models, "Describe")
    assert not _acl_allows(user, "topic", models, "Write")  # only publishers announce versions
    pod = docs[1].obj["spec"]["template"]["spec"]
    claim = next(v for v in pod["volumes"] if v["name"] == "models-registry")["persistentVolumeClaim"]
    mount = next(m for m in main_container(docs[1].obj)["volumeMounts"] if m["name"] == "models-registry")
    assert claim == {"claimName": "lammesh-models-registry", "readOnly": True} and mount["readOnly"] is True
    env = {e["name"]: e.get("value") for e in main_container(docs[1].obj)["env"]}
    assert env["LAMMESH_MODELS_FOLLOW_REGISTRY"] == "true" and env["LAMMESH_MODELS_REGISTRY_DIR"] == mount["mountPath"]
    assert env["LAMMESH_MODELS_CHECKOUT_DIR"] != mount["mountPath"]  # versions are copied out to a writable folder
    rendered = render_files(_services(), cluster)
    assert "PersistentVolumeClaim" in rendered[f"{SERVICES_DIR}/models-registry.yaml"]


def test_step_services_get_only_the_topics_their_runtime_uses() -> None:
    """Exactly what ServiceRuntime touches: its commands, its group, and STEP_SERVICE_TOPICS."""
    spec = load_services()["noop"]
    cluster = _cluster()
    (user,) = [d.obj for d in service_docs(spec, [spec], cluster) if d.obj["kind"] == "KafkaUser"]
    topics = {a["resource"]["name"] for a in user["spec"]["authorization"]["acls"] if a["resource"]["type"] == "topic"}
    expected = {t.name(cluster.settings) for t in topic_catalogue.STEP_SERVICE_TOPICS} | {"lammesh.steps.noop"}
    assert topics == expected
    for acl in user["spec"]["authorization"]["acls"]:
        assert "All" not in acl["operations"]


def test_the_violet_worker_reads_feedback_and_publishes_to_the_registry_read_write() -> None:
    """A background worker: one replica (Recreate), no autoscaler, nobody may call it; the
    registry store mounted read-write; Read on the feedback topic, Write on lammesh.models with
    the registry's transactional id, nothing else."""
    spec = load_services()["violet"]
    cluster = _cluster()
    docs = service_docs(spec, [spec], cluster)
    kinds = [d.obj["kind"] for d in docs]
    assert "HorizontalPodAutoscaler" not in kinds and "ScaledObject" not in kinds
    deployment = docs[1].obj
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    user = next(d.obj for d in docs if d.obj["kind"] == "KafkaUser")
    feedback, models = cluster.topic(topic_catalogue.WATCHERS_FEEDBACK), cluster.topic(topic_catalogue.MODELS)
    assert _acl_allows(user, "topic", feedback, "Read") and not _acl_allows(user, "topic", feedback, "Write")
    assert _acl_allows(user, "topic", models, "Write") and _acl_allows(user, "topic", models, "Read")
    assert _acl_allows(user, "transactionalId", f"{cluster.prefix}-models-registry", "Write")
    topics = {a["resource"]["name"] for a in user["spec"]["authorization"]["acls"] if a["resource"]["type"] == "topic"}
    assert topics == {feedback, models}
    pod = deployment["spec"]["template"]["spec"]
    claim = next(v for v in pod["volumes"] if v["name"] == "models-registry")["persistentVolumeClaim"]
    mount = next(m for m in main_container(deployment)["volumeMounts"] if m["name"] == "models-registry")
    assert claim == {"claimName": "lammesh-models-registry"} and not mount.get("readOnly")
    env = {e["name"]: e.get("value") for e in main_container(deployment)["env"]}
    assert env["LAMMESH_MODELS_REGISTRY_DIR"] == mount["mountPath"] and "LAMMESH_MODELS_FOLLOW_REGISTRY" not in env
    m = Manifests("unit", [d.obj for d in docs])
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for caller in ("coordinator", "gateway"):
        assert not allowed(m, {"app.kubernetes.io/name": caller, "app.kubernetes.io/part-of": "lammesh"}, labels, 50051)
