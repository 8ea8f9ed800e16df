"""Upstream CRD schemas (Strimzi, KEDA, Prometheus Operator) as strict JSON Schemas.

The CRDs live outside the repository, in shared/crds next to it or next to a folder above it (a
worktree under /work/wt/NAME finds /work/shared/crds); LAMMESH_CRDS_DIR overrides. A CRD's
openAPIV3Schema lets unknown fields through wherever it says nothing; the API server would prune
them silently, so a typo'd field would be lost without a word. Here an object node with
`properties` rejects unknown fields unless it carries x-kubernetes-preserve-unknown-fields, which
is the server's own rule for what it keeps.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tests.k8s.manifests import REPO


def _find_crds() -> Path:
    candidates = [parent / "shared" / "crds" for parent in REPO.parents]
    return next((c for c in candidates if c.is_dir()), candidates[0])


CRDS_DIR = Path(os.environ.get("LAMMESH_CRDS_DIR") or _find_crds())

Schema = dict[str, Any]


def strict_schema(node: Schema) -> Schema:
    """A copy of an OpenAPI v3 (structural) schema made strict, for jsonschema's Draft 4 rules."""
    node = copy.deepcopy(node)
    _tighten(node)
    return node


def _tighten(node: Any) -> None:
    if not isinstance(node, dict):
        return
    if node.pop("x-kubernetes-int-or-string", False):
        node.pop("type", None)
        node.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if node.pop("nullable", False) and "type" in node:
        node["type"] = [node["type"], "null"]
    preserve = node.pop("x-kubernetes-preserve-unknown-fields", False)
    if node.get("type") == "object" and "properties" in node and not preserve:
        node.setdefault("additionalProperties", False)
    for value in node.get("properties", {}).values():
        _tighten(value)
    for key in ("items", "additionalProperties", "not"):
        _tighten(node.get(key))
    for key in ("anyOf", "allOf", "oneOf"):
        for sub in node.get(key, []):
            _tighten(sub)


@dataclass(frozen=True)
class CustomResource:
    group: str
    version: str
    kind: str
    source: Path
    validator: jsonschema.Draft4Validator

    def errors(self, obj: dict[str, Any]) -> list[str]:
        found = sorted(self.validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
        return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]


@cache
def custom_resources() -> dict[tuple[str, str], CustomResource]:
    """(apiVersion, kind) -> schema, for every served version of every CRD under CRDS_DIR."""
    found: dict[tuple[str, str], CustomResource] = {}
    for path in sorted(CRDS_DIR.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = doc["spec"]["group"], doc["spec"]["names"]["kind"]
            for version in doc["spec"]["versions"]:
                if not version.get("served", True):
                    continue
                schema = strict_schema(version["schema"]["openAPIV3Schema"])
                jsonschema.Draft4Validator.check_schema(schema)
                found[(f"{group}/{version['name']}", kind)] = CustomResource(
                    group, version["name"], kind, path, jsonschema.Draft4Validator(schema)
                )
    return found
