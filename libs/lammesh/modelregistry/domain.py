"""The model registry's domain: versions of a model and the rules for moving them between statuses.

Pure: no Kafka, no files, no clock (`now` comes from the caller). Each transition returns the
versions it changed, which the caller announces together (one Kafka transaction) and applies.

    candidate --promote--> canary --promote--> active --(next promote)--> retired
        \\____promote --to active (only while nothing is active)___/        |
    retired --promote--> canary                  rollback: active -> retired, its parent -> active

At most one version of a name is active and at most one is in canary. Promoting a version to
active retires the one it replaces; putting one in canary sends the previous canary back to
candidate. An illegal move raises `IllegalTransition` saying what would be legal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
UNREGISTERED_PREFIX = "sha256:"
"""How a model that is not in the registry names its version: "sha256:" + 12 hex digits."""


class Status(StrEnum):
    CANDIDATE = "candidate"
    CANARY = "canary"
    ACTIVE = "active"
    RETIRED = "retired"

    @classmethod
    def parse(cls, value: str) -> Status:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise RegistryError(f"unknown status {value!r}; use one of {', '.join(s.value for s in cls)}") from None


class RegistryError(ValueError):
    """A registry request that cannot be carried out; the message says why and what to do."""


class UnknownModel(RegistryError, LookupError):
    """No such model name or version."""


class IllegalTransition(RegistryError):
    """A status change the lifecycle does not allow."""


class AlreadyPublished(RegistryError):
    """The same content is already a version of this model (`existing`)."""

    def __init__(self, existing: ModelVersion) -> None:
        super().__init__(
            f"{existing.name}:{existing.version} already has sha256 {existing.sha256[:12]}…; nothing published"
        )
        self.existing = existing


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise RegistryError(f"model name {name!r} must be lower-case [a-z0-9._-], at most 63 characters")
    return name


def check_version(version: str) -> str:
    if not _VERSION.fullmatch(version):
        raise RegistryError(
            f"version {version!r} must be [A-Za-z0-9._-], starting with a letter or digit, at most 63 characters"
        )
    return version


@dataclass(frozen=True)
class ModelRef:
    """Which model gave a verdict: registry name, version and content address."""

    name: str
    version: str
    sha256: str

    @classmethod
    def unregistered(cls, name: str, sha256: str) -> ModelRef:
        """A model the registry does not know (yet): its version is its content address."""
        return cls(name, f"{UNREGISTERED_PREFIX}{sha256[:12]}", sha256)

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "sha256": self.sha256}

    def __str__(self) -> str:
        return f"{self.name}:{self.version}"


@dataclass(frozen=True)
class ModelVersion:
    """One announced version of a model (a record on lammesh.models)."""

    name: str
    version: str
    sha256: str
    status: Status
    created_at: float
    status_changed_at: float
    parent: str = ""
    metrics: Mapping[str, float] = field(default_factory=dict)
    size_bytes: int = 0
    file_count: int = 0
    note: str = ""

    @property
    def key(self) -> str:
        """The record key on lammesh.models."""
        return f"{self.name}/{self.version}"

    @property
    def ref(self) -> ModelRef:
        return ModelRef(self.name, self.version, self.sha256)

    def moved(self, status: Status, now: float) -> ModelVersion:
        return replace(self, status=status, status_changed_at=now)


def flatten_metrics(data: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """The numeric leaves of a (nested) metrics document as dotted keys; lists, strings and
    booleans are left out (they are training details, not figures to compare)."""
    flat: dict[str, float] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_metrics(value, f"{path}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[path] = float(value)
    return flat


class ModelLineage:
    """Every version of one model, in the order they were published."""

    def __init__(self, name: str, versions: Iterable[ModelVersion] = ()) -> None:
        self.name = name
        self.versions: dict[str, ModelVersion] = {}
        self.apply(versions)

    def apply(self, changed: Iterable[ModelVersion]) -> None:
        for version in changed:
            if version.name != self.name:
                raise ValueError(f"version of {version.name} applied to {self.name}")
            self.versions[version.version] = version

    # -- queries ---------------------------------------------------------------------------

    def ordered(self) -> list[ModelVersion]:
        return sorted(self.versions.values(), key=lambda v: (v.created_at, _version_order(v.version)))

    def _only(self, status: Status) -> ModelVersion | None:
        found = [v for v in self.versions.values() if v.status is status]
        return max(found, key=lambda v: v.status_changed_at) if found else None

    @property
    def active(self) -> ModelVersion | None:
        return self._only(Status.ACTIVE)

    @property
    def canary(self) -> ModelVersion | None:
        return self._only(Status.CANARY)

    def get(self, version: str) -> ModelVersion:
        """A version by its name, or by its sha256 (a prefix of at least 6 digits, with or
        without "sha256:"), as watchers name models the registry did not know when they loaded."""
        found = self.versions.get(version)
        if found is not None:
            return found
        digits = version.removeprefix(UNREGISTERED_PREFIX).lower()
        if len(digits) >= 6 and all(c in "0123456789abcdef" for c in digits):
            matches = [v for v in self.versions.values() if v.sha256.startswith(digits)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise UnknownModel(
                    f"{self.name}: sha256 prefix {digits} matches versions {', '.join(v.version for v in matches)}"
                )
        known = ", ".join(v.version for v in self.ordered()) or "none"
        raise UnknownModel(f"{self.name} has no version {version!r}; versions: {known}")

    def with_sha(self, sha256: str) -> ModelVersion | None:
        return next((v for v in self.ordered() if v.sha256 == sha256), None)

    def current(self) -> ModelVersion:
        """What `show NAME` means: the active version, else the newest."""
        if self.active is not None:
            return self.active
        ordered = self.ordered()
        if not ordered:
            raise UnknownModel(f"model {self.name} has no versions")
        return ordered[-1]

    def next_version(self) -> str:
        """One more than the highest numeric version ("1" for the first)."""
        numbers = [int(v) for v in self.versions if v.isdigit()]
        return str(max(numbers, default=0) + 1)

    # -- transitions -----------------------------------------------------------------------

    def publish(
        self,
        sha256: str,
        *,
        now: float,
        version: str | None = None,
        parent: str | None = None,
        metrics: Mapping[str, float] | None = None,
        size_bytes: int = 0,
        file_count: int = 0,
        note: str = "",
    ) -> list[ModelVersion]:
        """A new CANDIDATE. `parent` defaults to the active version (what the new one would replace)."""
        if not _SHA256.fullmatch(sha256):
            raise RegistryError(f"sha256 {sha256!r} is not 64 lower-case hex digits")
        existing = self.with_sha(sha256)
        if existing is not None:
            raise AlreadyPublished(existing)
        version = check_version(version) if version is not None else self.next_version()
        if version in self.versions:
            raise RegistryError(
                f"{self.name}:{version} exists already (sha256 {self.versions[version].sha256[:12]}…); pick another --version"
            )
        if parent is None:
            parent = self.active.version if self.active is not None else ""
        elif parent:
            parent = self.get(parent).version
        created = ModelVersion(
            name=self.name,
            version=version,
            sha256=sha256,
            status=Status.CANDIDATE,
            created_at=now,
            status_changed_at=now,
            parent=parent,
            metrics=dict(metrics or {}),
            size_bytes=size_bytes,
            file_count=file_count,
            note=note,
        )
        return [created]

    def promote(self, version: str, *, now: float, to: Status | None = None) -> list[ModelVersion]:
        """candidate/retired -> canary, canary -> active (the old active retires); candidate ->
        active only while no version is active. `to` defaults to the next step."""
        target = self.get(version)
        label = f"{self.name}:{target.version}"
        if target.status is Status.ACTIVE:
            raise IllegalTransition(f"{label} is already active")
        if to is None:
            to = Status.ACTIVE if target.status is Status.CANARY else Status.CANARY
        if to is Status.CANARY:
            if target.status is Status.CANARY:
                raise IllegalTransition(f"{label} is already in canary; promote it to active or roll back")
            changed = [target.moved(Status.CANARY, now)]
            canary = self.canary
            if canary is not None:
                changed.append(canary.moved(Status.CANDIDATE, now))
            return changed
        if to is not Status.ACTIVE:
            raise IllegalTransition(f"promote moves a version to canary or active, not {to.value}")
        active = self.active
        if target.status is Status.RETIRED:
            raise IllegalTransition(
                f"{label} is retired: put it in canary first (lammesh models promote {self.name} {target.version} --to canary), "
                f"or use rollback to re-activate the parent of the active version"
            )
        if target.status is Status.CANDIDATE and active is not None:
            raise IllegalTransition(
                f"{label} is a candidate and {self.name}:{active.version} is active: put {label} in canary first "
                f"(lammesh models promote {self.name} {target.version} --to canary)"
            )
        changed = [target.moved(Status.ACTIVE, now)]
        if active is not None:
            changed.append(active.moved(Status.RETIRED, now))
        return changed

    def rollback(self, *, now: float) -> list[ModelVersion]:
        """The active version retires and its parent becomes active again."""
        active = self.active
        if active is None:
            raise IllegalTransition(f"{self.name} has no active version, so there is nothing to roll back")
        if not active.parent:
            raise IllegalTransition(f"{self.name}:{active.version} has no parent to roll back to")
        parent = self.versions.get(active.parent)
        if parent is None:
            raise UnknownModel(
                f"{self.name}:{active.version} names parent {active.parent!r}, which was never announced"
            )
        return [parent.moved(Status.ACTIVE, now), active.moved(Status.RETIRED, now)]


def _version_order(version: str) -> tuple[int, int | str]:
    return (0, int(version)) if version.isdigit() else (1, version)


class Registry:
    """Every model's lineage: the fold of the lammesh.models records."""

    def __init__(self, versions: Iterable[ModelVersion] = ()) -> None:
        self.models: dict[str, ModelLineage] = {}
        self.apply(versions)

    def apply(self, changed: Iterable[ModelVersion]) -> None:
        for version in changed:
            self.models.setdefault(version.name, ModelLineage(version.name)).apply([version])

    def lineage(self, name: str, *, create: bool = False) -> ModelLineage:
        found = self.models.get(name)
        if found is not None:
            return found
        if create:
            return ModelLineage(check_name(name))
        known = ", ".join(sorted(self.models)) or "none yet"
        raise UnknownModel(f"no model named {name!r} in the registry; models: {known}")

    def versions(self) -> list[ModelVersion]:
        return [v for name in sorted(self.models) for v in self.models[name].ordered()]


def parse_target(spec: str) -> tuple[str, str | None]:
    """ "NAME" or "NAME:VERSION" (VERSION may be "sha256:…", so only the first colon splits)."""
    name, _, version = spec.partition(":")
    if not name:
        raise RegistryError(f"{spec!r}: expected NAME or NAME:VERSION")
    return name, (version or None)
