"""The model registry: versioned, content-addressed model artifacts on a volume, announced on the
compacted `lammesh.models` topic with their status (candidate, canary, active, retired).

- `domain`: versions and the lifecycle rules (pure);
- `store`: directory manifests and the content-addressed store on a volume;
- `identity`: the `ModelRef` a watcher names for what it loaded;
- `topic` and `service`: the Kafka adapter and the publish / promote / rollback use cases.

See docs/registry.md.
"""

from lammesh.modelregistry.domain import (
    AlreadyPublished,
    IllegalTransition,
    ModelLineage,
    ModelRef,
    ModelVersion,
    Registry,
    RegistryError,
    Status,
    UnknownModel,
)

__all__ = [
    "AlreadyPublished",
    "IllegalTransition",
    "ModelLineage",
    "ModelRef",
    "ModelVersion",
    "Registry",
    "RegistryError",
    "Status",
    "UnknownModel",
]
