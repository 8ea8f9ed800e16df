"""Rendered k8s manifests as plain dicts, plus the small lookups the k8s tests share."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from lammesh.k8s.tree import settings_from_env
from lammesh.settings import Settings

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"
KUSTOMIZE = Path(os.environ.get("KUSTOMIZE", REPO / ".cache" / "bin" / "kustomize"))

# Everything an SRE may deploy: the production-shaped base and both overlays.
TARGETS: dict[str, Path] = {
    "base": K8S / "base",
    "dev": K8S / "overlays" / "dev",
    "gpu": K8S / "overlays" / "gpu",
}

WORKLOAD_KINDS = ("Deployment", "StatefulSet")
GPU_RESOURCE = "nvidia.com/gpu"

Obj = dict[str, Any]


def render(target: Path) -> list[Obj]:
    """`kustomize build TARGET`, offline (no remote bases), as a list of objects."""
    if not KUSTOMIZE.exists():
        raise FileNotFoundError(f"kustomize not found at {KUSTOMIZE}: run `make setup` (installs it into .cache/bin)")
    done = subprocess.run([str(KUSTOMIZE), "build", str(target)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"kustomize build {target.relative_to(REPO)} failed:\n{done.stderr}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def match_labels(selector: Obj) -> dict[str, str]:
    """matchLabels of a LabelSelector; the manifests use no matchExpressions (checked here)."""
    if selector.get("matchExpressions"):
        raise AssertionError(f"matchExpressions are not evaluated by these tests: {selector}")
    return selector.get("matchLabels", {})


@dataclass
class Manifests:
    target: str
    objects: list[Obj]

    def of_kind(self, *kinds: str) -> list[Obj]:
        return [o for o in self.objects if o["kind"] in kinds]

    def get(self, kind: str, name: str) -> Obj | None:
        found = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        return found[0] if found else None

    @cached_property
    def namespace(self) -> str:
        (namespace,) = {o["metadata"].get("namespace") for o in self.objects if o["kind"] != "Namespace"}
        return namespace

    @cached_property
    def workloads(self) -> dict[str, Obj]:
        return {o["metadata"]["name"]: o for o in self.of_kind(*WORKLOAD_KINDS)}

    def configmap(self, name: str) -> Obj:
        """A ConfigMap by name; a generated one (name-<hash>) is found by its rendered name."""
        found = self.get("ConfigMap", name)
        if found is None:
            raise AssertionError(f"{self.target}: no ConfigMap {name}")
        return found

    def env_of(self, container: Obj) -> dict[str, str]:
        """LAMMESH_* values a container gets from ConfigMaps (envFrom) and literal env entries."""
        env: dict[str, str] = {}
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                env.update(self.configmap(source["configMapRef"]["name"]).get("data", {}))
        for item in container.get("env", []):
            if "value" in item:
                env[item["name"]] = item["value"]
        return {k: v for k, v in env.items() if k.startswith("LAMMESH_")}

    def settings_of(self, workload: Obj) -> Settings:
        return settings_from_env(self.env_of(main_container(workload)))

    def selecting(self, kind: str, pod_labels: dict[str, str]) -> Iterator[Obj]:
        """Objects of `kind` whose selector matches these pod labels."""
        for obj in self.of_kind(kind):
            spec = obj["spec"]
            if kind == "Service":
                selector = spec.get("selector", {})
            else:
                selector = match_labels(spec.get("selector") or spec.get("podSelector") or {})
            if selector and labels_match(selector, pod_labels):
                yield obj


def pod_spec(workload: Obj) -> Obj:
    return workload["spec"]["template"]["spec"]


def pod_labels(workload: Obj) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def main_container(workload: Obj) -> Obj:
    """The container named like its workload (the service)."""
    name = workload["metadata"]["name"]
    containers = {c["name"]: c for c in pod_spec(workload)["containers"]}
    assert name in containers, f"workload {name} has no container named {name}: {sorted(containers)}"
    return containers[name]


def image_name(image: str) -> str:
    """Repository name without registry and tag: registry.example.com/x/lammesh:1.0 -> lammesh."""
    return image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]


def gpu_limit(workload: Obj) -> int:
    limits = main_container(workload).get("resources", {}).get("limits", {})
    return int(limits.get(GPU_RESOURCE, 0))
