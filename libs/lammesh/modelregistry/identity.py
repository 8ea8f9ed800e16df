"""What a watcher names as the model behind its verdicts (a `ModelRef`), from what it loaded.

The sha256 is the same content address the registry gives the artifact when it is published
(`lammesh models publish`), so a verdict's sha finds its registry entry; the version comes from
the registry store's names index when the watcher can see that volume, else it is
"sha256:<12 hex>". A rule watcher's "model" is its code: its version and the sha256 of its
package's Python sources.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lammesh.modelregistry.domain import ModelRef
from lammesh.modelregistry.store import ArtifactStore, Manifest, manifest_of


def artifact_ref(name: str, manifest: Manifest, registry_dir: Path | None = None) -> ModelRef:
    sha = manifest.sha256
    version = ArtifactStore(registry_dir).version_of(name, sha) if registry_dir is not None else None
    return ModelRef(name, version, sha) if version else ModelRef.unregistered(name, sha)


def folder_ref(name: str, directory: Path, registry_dir: Path | None = None) -> ModelRef:
    return artifact_ref(name, manifest_of(directory), registry_dir)


def injection_ref(models_dir: str | Path | None, registry_dir: Path | None = None) -> ModelRef:
    """The injection model: its folder (head, metrics and the encoder fine-tuned with it, in
    `encoder/`): everything that decides a score, as `lammesh models publish
    .cache/models/injection --name injection` stores it. A folder without an encoder of its own
    (a head on the shared encoder) gets the shared one under `encoder/`, as `--add encoder=…` would."""
    from lammesh.models.artifacts import encoder_artifacts, injection_artifacts

    folder = injection_artifacts(models_dir).directory
    own = manifest_of(folder)
    if any(f.path.startswith("encoder/") for f in own.files):
        return artifact_ref("injection", own, registry_dir)
    shared = manifest_of(encoder_artifacts(models_dir).directory, prefix="encoder/")
    return artifact_ref("injection", Manifest.combine([own, shared]), registry_dir)


def encoder_ref(models_dir: str | Path | None, registry_dir: Path | None = None) -> ModelRef:
    """The shared sentence encoder (the grounding watcher's model, the agents' encoder)."""
    from lammesh.models.artifacts import encoder_artifacts

    return folder_ref("encoder", encoder_artifacts(models_dir).directory, registry_dir)


def code_ref(name: str, version: str, cls: type) -> ModelRef:
    """A rule watcher: its code version, and the sha256 of the Python sources of its package."""
    module = sys.modules[cls.__module__]
    source = Path(module.__file__ or "").resolve()
    manifest = manifest_of(source.parent, suffixes=(".py",)) if source.is_file() else Manifest(())
    return ModelRef(name, version, manifest.sha256)
