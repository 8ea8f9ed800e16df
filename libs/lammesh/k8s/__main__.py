"""`python -m lammesh.k8s render [--check] [--k8s DIR]`: write (or check) the generated files of k8s/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lammesh.k8s.tree import CONFIG_FILES, stale, write


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
