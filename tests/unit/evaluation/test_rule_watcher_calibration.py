"""The rule-watcher evaluation reads extra calibration cases beside a frozen set, never as frozen."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lammesh.evaluation.rule_watchers import EvaluationDataError, load_cases


def _row(case_id: str, split: str) -> dict:
    return {
        "id": case_id,
        "label": "allow",
        "family": "benign:x",
        "lang": "en",
        "split": split,
        "content": {"body": "hi"},
    }


def _repo(tmp_path: Path, extra: list[dict] | None) -> Path:
    frozen = tmp_path / "evaluation/frozen/pii"
    frozen.mkdir(parents=True)
    cases = "".join(json.dumps(r) + "\n" for r in (_row("f1", "frozen"), _row("c1", "calibration")))
    (frozen / "cases.jsonl").write_text(cases)
    (frozen / "SHA256SUMS").write_text(f"{hashlib.sha256(cases.encode()).hexdigest()}  cases.jsonl\n")
    if extra is not None:
        (tmp_path / "evaluation/calibration/pii").mkdir(parents=True)
        (tmp_path / "evaluation/calibration/pii/cases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in extra))
    return tmp_path


def test_extra_calibration_cases_join_the_calibration_part_only(tmp_path):
    repo = _repo(tmp_path, [_row("c2", "calibration")])
    assert [c.id for c in load_cases(repo, "pii")] == ["f1", "c1", "c2"]
    assert [c.id for c in load_cases(repo, "pii", ["calibration"])] == ["c1", "c2"]  # tuning never loads frozen cases
    assert [c.id for c in load_cases(_repo(tmp_path / "bare", None), "pii", ["frozen"])] == ["f1"]


def test_a_frozen_case_in_the_calibration_file_is_refused(tmp_path):
    repo = _repo(tmp_path, [_row("x", "frozen")])
    with pytest.raises(EvaluationDataError, match="only calibration cases live here"):
        load_cases(repo, "pii")


def test_every_writers_calibration_file_is_read_in_name_order(tmp_path):
    repo = _repo(tmp_path, [_row("c2", "calibration")])
    folder = repo / "evaluation/calibration/pii"
    (folder / "cases-pii3.jsonl").write_text(json.dumps(_row("c3", "calibration")) + "\n")
    (folder / "notes.jsonl").write_text(json.dumps(_row("x", "frozen")) + "\n")  # not a cases file: not read
    assert [c.id for c in load_cases(repo, "pii", ["calibration"])] == [
        "c1",
        "c3",
        "c2",
    ]  # cases-pii3 sorts before cases.
    (folder / "cases-pii4.jsonl").write_text(json.dumps(_row("f9", "frozen")) + "\n")
    with pytest.raises(EvaluationDataError, match="cases-pii4.jsonl: case 'f9'"):
        load_cases(repo, "pii")


def test_an_unknown_watcher_name_is_refused_rather_than_measuring_nothing(capsys):
    from lammesh.evaluation.__main__ import main

    with pytest.raises(SystemExit) as exc:
        main(["--watchers", "piii"])
    assert exc.value.code == 2
    assert "unknown watcher set 'piii'" in capsys.readouterr().err
