"""`python -m lammesh.k8s render [--check] [--k8s DIR]`: write (or check) the generated files of k8s/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lammesh.catalogue import load_services
from lammesh.k8s.manifests import Cluster
from lammesh.k8s.render import SERVICES_DIR, render
from lammesh.settings import Settings

CONFIG_FILES = ("base/config/runtime.env", "base/config/kafka.env")


class _FileSettings(Settings):
    """Settings from the values given only, never from this process's environment."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_sources):  # type: ignore[override]
        return (init_settings,)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as kustomize's configMapGenerator reads them (# comments, blank lines)."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key:
            raise ValueError(f"{path}:{number}: expected KEY=VALUE, got {raw!r}")
        values[key] = value
    return values


def settings_from_env(env: dict[str, str]) -> Settings:
    """The Settings a pod would read from these LAMMESH_* variables (others are ignored)."""
    values = {k.removeprefix("LAMMESH_").lower(): v for k, v in env.items() if k.startswith("LAMMESH_")}
    return _FileSettings(**values)


def cluster_of(k8s: Path) -> Cluster:
    env: dict[str, str] = {}
    for name in CONFIG_FILES:
        env.update(read_env_file(k8s / name))
    return Cluster(settings_from_env(env))


def expected_files(k8s: Path) -> dict[Path, str]:
    services = list(load_services().values())
    return {k8s / path: text for path, text in render(services, cluster_of(k8s)).items()}


def stale(k8s: Path) -> list[str]:
    """What differs between k8s/ and a fresh render: changed, missing and left-over files."""
    expected = expected_files(k8s)
    problems = [
        f"{path}: {'missing' if not path.exists() else 'stale'}"
        for path, text in expected.items()
        if not path.exists() or path.read_text() != text
    ]
    problems += [f"{path}: not generated any more (no such service in the catalogue)"
                 for path in sorted((k8s / SERVICES_DIR).glob("*.yaml")) if path not in expected]
    return problems


def write(k8s: Path) -> list[Path]:
    expected = expected_files(k8s)
    for path in sorted((k8s / SERVICES_DIR).glob("*.yaml")):
        if path not in expected:
            path.unlink()
    changed = []
    for path, text in expected.items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lammesh.k8s", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("render", help="write the generated manifests under k8s/")
    cmd.add_argument("--k8s", type=Path, default=Path("k8s"), help="the k8s/ directory (default: ./k8s)")
    cmd.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is stale")
    args = parser.parse_args(argv)
    if not (args.k8s / CONFIG_FILES[0]).is_file():
        parser.error(f"{args.k8s / CONFIG_FILES[0]} not found: run from the repository root or pass --k8s")
    if args.check:
        problems = stale(args.k8s)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run `make k8s-render` and commit the result", file=sys.stderr)
        return 1 if problems else 0
    for path in write(args.k8s):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
