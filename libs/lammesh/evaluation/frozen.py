"""Loading a frozen evaluation set, refusing one whose files changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
FROZEN_ROOT = REPO_ROOT / "evaluation" / "frozen"


class FrozenSetError(RuntimeError):
    pass


def verify(directory: Path) -> None:
    """Every file named in SHA256SUMS has that hash (`sha256sum -c` format)."""
    sums = directory / "SHA256SUMS"
    if not sums.is_file():
        raise FrozenSetError(f"{sums} is missing: a frozen set names the hash of each of its files")
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        expected, name = line.split(maxsplit=1)
        path = directory / name.lstrip("*")
        actual = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
        if actual != expected:
            raise FrozenSetError(
                f"{path}: sha256 {actual} is not the frozen {expected}. The evaluation set changed; "
                "change it only by a recorded decision (docs/decisions/) and update SHA256SUMS there."
            )


def load_cases(watcher: str, file: str = "cases.jsonl", root: Path = FROZEN_ROOT) -> list[dict]:
    directory = root / watcher
    verify(directory)
    cases = []
    with (directory / file).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    cases.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise FrozenSetError(f"{directory / file}:{number}: {error}") from None
    return cases
