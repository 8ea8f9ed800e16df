"""Every overlay renders, and every object in it is valid: built-in kinds against the Kubernetes
OpenAPI schemas (kubernetes-validate, strict: unknown fields fail), custom resources (Strimzi,
KEDA, Prometheus Operator) against their upstream CRD schemas, strictly (see crds.py)."""

from __future__ import annotations

from collections import Counter

import jsonschema
import kubernetes_validate
import pytest

from tests.k8s.crds import CRDS_DIR, custom_resources, strict_schema
from tests.k8s.manifests import Manifests

# The oldest Kubernetes minor the manifests support (fields newer than this fail validation).
KUBERNETES_VERSION = "1.33"

# API groups served by Kubernetes itself; everything else must be a known custom resource.
_BUILTIN_GROUPS = {
    "",
    "apps",
    "batch",
    "policy",
    "autoscaling",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
}


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def _ref(obj: dict) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def test_overlay_renders_objects_with_unique_names(manifests: Manifests) -> None:
    assert manifests.objects, f"{manifests.target} rendered nothing"
    keys = Counter(
        (o["apiVersion"], o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in manifests.objects
    )
    assert [k for k, n in keys.items() if n > 1] == []


def test_builtin_objects_are_valid_kubernetes(manifests: Manifests) -> None:
    problems = []
    builtins = [o for o in manifests.objects if _group(o["apiVersion"]) in _BUILTIN_GROUPS]
    assert builtins
    for obj in builtins:
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(map(str, exc.absolute_path)) or "<root>"
            problems.append(f"{_ref(obj)}: {path}: {exc.message}")
    assert problems == [], f"{manifests.target}:\n" + "\n".join(problems)


def test_custom_resources_are_valid_against_upstream_crds(manifests: Manifests) -> None:
    if not CRDS_DIR.is_dir():
        pytest.skip(f"CRD schemas not found at {CRDS_DIR} (../shared/crds); custom resources not validated")
    known = custom_resources()
    problems = []
    custom = [o for o in manifests.objects if _group(o["apiVersion"]) not in _BUILTIN_GROUPS]
    assert custom
    for obj in custom:
        crd = known.get((obj["apiVersion"], obj["kind"]))
        if crd is None:
            problems.append(f"{_ref(obj)}: no CRD under {CRDS_DIR} serves {obj['apiVersion']} {obj['kind']}")
            continue
        problems += [f"{_ref(obj)}: {error}" for error in crd.errors(obj)]
    assert problems == [], f"{manifests.target}:\n" + "\n".join(problems)


def test_strict_crd_schema_rejects_unknown_fields_but_keeps_preserved_ones() -> None:
    schema = strict_schema(
        {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "config": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                            "properties": {"known": {"type": "string"}},
                        },
                        "port": {"x-kubernetes-int-or-string": True},
                        "note": {"type": "string", "nullable": True},
                    },
                }
            },
        }
    )
    validator = jsonschema.Draft4Validator(schema)
    assert validator.is_valid({"spec": {"config": {"anything": 1}, "port": "http", "note": None}})
    assert validator.is_valid({"spec": {"port": 8080}})
    assert not validator.is_valid({"spec": {"typo": 1}})
    assert not validator.is_valid({"spec": {"port": 1.5}})
    assert not validator.is_valid({"spce": {}})
