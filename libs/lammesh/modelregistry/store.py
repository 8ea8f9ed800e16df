"""Content-addressed artifact storage on a volume (a directory), and directory manifests.

An artifact is a directory of files. Its manifest lists every file (relative path, size, sha256),
sorted by path; the artifact's address is the sha256 of the manifest's canonical JSON. Each file
is stored once under the sha256 of its content, so versions that share files (a new head on the
same encoder) cost only what changed:

    <root>/objects/sha256/<2 hex>/<file sha256>   file contents, read-only
    <root>/manifests/sha256/<artifact sha256>.json
    <root>/names/<name>/<version>                 the artifact sha256 of a published version

The `names/` index is a local cache of what lammesh.models announced, for watchers that only see
the volume; the topic is the source of truth.

Dot files, `__pycache__` and `tensorrt/` folders (engine caches built per GPU at start) are not
part of an artifact.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lammesh.modelregistry.domain import RegistryError, check_name, check_version

SKIPPED_DIRS = frozenset({"__pycache__", "tensorrt"})


class ArtifactMissing(RegistryError, LookupError):
    """The store has no artifact (or no file) with this sha256."""


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    files: tuple[FileEntry, ...]

    def canonical(self) -> bytes:
        listing = [
            {"path": f.path, "sha256": f.sha256, "size": f.size} for f in sorted(self.files, key=lambda f: f.path)
        ]
        return json.dumps({"files": listing}, sort_keys=True, separators=(",", ":")).encode()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    @property
    def size_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def paths(self) -> dict[str, FileEntry]:
        return {f.path: f for f in self.files}

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        data = json.loads(raw)
        return cls(tuple(FileEntry(f["path"], int(f["size"]), f["sha256"]) for f in data["files"]))

    @classmethod
    def combine(cls, parts: Iterable[Manifest]) -> Manifest:
        files: dict[str, FileEntry] = {}
        for part in parts:
            for entry in part.files:
                if entry.path in files:
                    raise RegistryError(f"{entry.path} is in more than one of the folders being combined")
                files[entry.path] = entry
        return cls(tuple(sorted(files.values(), key=lambda f: f.path)))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def artifact_files(directory: Path, *, suffixes: tuple[str, ...] = ()) -> list[tuple[str, Path]]:
    """(relative posix path, file) of every file an artifact of `directory` holds, sorted."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RegistryError(f"{directory} is not a folder")
    found: list[tuple[str, Path]] = []
    for current, dirs, files in os.walk(directory, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        for name in sorted(files):
            if name.startswith(".") or (suffixes and not name.endswith(suffixes)):
                continue
            path = Path(current) / name
            if path.is_file():
                found.append((path.relative_to(directory).as_posix(), path))
    return sorted(found)


def manifest_of(directory: Path, *, prefix: str = "", suffixes: tuple[str, ...] = ()) -> Manifest:
    """The manifest of a folder (its files under `prefix`, e.g. "encoder/")."""
    return Manifest(
        tuple(
            FileEntry(f"{prefix}{rel}", path.stat().st_size, sha256_of(path))
            for rel, path in artifact_files(directory, suffixes=suffixes)
        )
    )


class ArtifactStore:
    """The registry's volume. Writes are atomic (temp file + rename), so a crash leaves no half
    object; publishing the same content twice stores nothing new."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _object(self, sha256: str) -> Path:
        return self.root / "objects" / "sha256" / sha256[:2] / sha256

    def _manifest_path(self, sha256: str) -> Path:
        return self.root / "manifests" / "sha256" / f"{sha256}.json"

    def put(self, sources: Iterable[tuple[str, Path]]) -> Manifest:
        """Store the files of each (prefix, folder) as one artifact; returns its manifest."""
        parts: list[Manifest] = []
        for prefix, directory in sources:
            entries = []
            for rel, path in artifact_files(directory):
                entries.append(self._put_file(path, f"{prefix}{rel}"))
            parts.append(Manifest(tuple(entries)))
        manifest = Manifest.combine(parts)
        if not manifest.files:
            raise RegistryError("nothing to publish: the folder has no files")
        target = self._manifest_path(manifest.sha256)
        if not target.exists():
            _write_atomic(target, manifest.canonical())
        return manifest

    def _put_file(self, path: Path, name: str) -> FileEntry:
        digest = hashlib.sha256()
        size = 0
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=tmp_dir, delete=False) as out, path.open("rb") as handle:
            try:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
                    size += len(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            except BaseException:
                os.unlink(out.name)
                raise
        sha = digest.hexdigest()
        target = self._object(sha)
        if target.exists():
            os.unlink(out.name)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(out.name, 0o444)
            os.replace(out.name, target)
        return FileEntry(name, size, sha)

    def has(self, sha256: str) -> bool:
        return self._manifest_path(sha256).is_file()

    def manifest(self, sha256: str) -> Manifest:
        path = self._manifest_path(sha256)
        if not path.is_file():
            raise ArtifactMissing(f"the store at {self.root} has no artifact sha256 {sha256}")
        manifest = Manifest.parse(path.read_bytes())
        if manifest.sha256 != sha256:
            raise RegistryError(f"{path} is corrupt: its content hashes to {manifest.sha256}")
        return manifest

    def verify(self, sha256: str) -> list[str]:
        """Problems with a stored artifact (missing or altered files); empty when it is intact."""
        problems = []
        for entry in self.manifest(sha256).files:
            path = self._object(entry.sha256)
            if not path.is_file():
                problems.append(f"{entry.path}: object {entry.sha256[:12]}… is missing")
            elif sha256_of(path) != entry.sha256:
                problems.append(f"{entry.path}: object {entry.sha256[:12]}… was altered")
        return problems

    def checkout(self, sha256: str, destination: Path) -> Path:
        """Materialise an artifact as a folder (hard links into the store where the filesystem
        allows, copies otherwise). The destination must not exist yet."""
        destination = Path(destination)
        if destination.exists():
            raise RegistryError(f"{destination} exists already; check out into a new folder")
        manifest = self.manifest(sha256)
        staging = destination.with_name(f".{destination.name}.partial")
        shutil.rmtree(staging, ignore_errors=True)
        for entry in manifest.files:
            source = self._object(entry.sha256)
            if not source.is_file():
                raise ArtifactMissing(f"{entry.path} of artifact {sha256[:12]}… is missing from the store ({source})")
            target = staging / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
        os.replace(staging, destination)
        return destination

    # -- the local names index ---------------------------------------------------------------

    def record_name(self, name: str, version: str, sha256: str) -> None:
        _write_atomic(self.root / "names" / check_name(name) / check_version(version), sha256.encode())

    def version_of(self, name: str, sha256: str) -> str | None:
        """The version this store's index gives the artifact under `name`, if any."""
        folder = self.root / "names" / name
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            for entry in sorted(folder.iterdir()):
                if entry.name.startswith("."):
                    continue
                with contextlib.suppress(OSError):
                    if entry.read_text().strip() == sha256:
                        return entry.name
        return None


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, prefix=f".{target.name}.") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(out.name, target)
