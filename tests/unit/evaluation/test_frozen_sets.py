"""The frozen injection evaluation set: intact, big and varied enough, and kept apart from training."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lammesh.evaluation.frozen import FROZEN_ROOT, FrozenSetError, load_cases, verify
from lammesh.evaluation.injection import summarise
from lammesh.models.injection import corpus, seed_corpus
from lammesh.watchers.verdicts import Verdict

MODEL_CODE = Path(__file__).resolve().parents[3] / "libs" / "lammesh" / "models"


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    return load_cases("injection")


def test_the_set_is_the_frozen_one_and_a_changed_file_is_refused(cases, tmp_path):
    verify(FROZEN_ROOT / "injection")
    (tmp_path / "injection").mkdir()
    (tmp_path / "injection" / "cases.jsonl").write_text(
        (FROZEN_ROOT / "injection" / "cases.jsonl").read_text()[:-200] + "\n"
    )
    (tmp_path / "injection" / "SHA256SUMS").write_text((FROZEN_ROOT / "injection" / "SHA256SUMS").read_text())
    with pytest.raises(FrozenSetError, match="changed"):
        load_cases("injection", root=tmp_path)


def test_the_set_has_what_the_issue_asks_for(cases):
    benign = [c for c in cases if c["label"] == 0]
    attacks = [c for c in cases if c["label"] == 1]
    assert len(benign) >= 300 and len(attacks) >= 300
    assert sum(bool(c.get("hard")) for c in benign) >= 100
    assert sum(c["lang"] != "en" for c in benign) >= 0.10 * len(benign)
    assert len({c["id"] for c in cases}) == len(cases)


def writers_texts(tmp_path: Path) -> list[seed_corpus.SeedText]:
    """The writers' texts trained on, and those waiting in seeds/pending/ for a retrain (their
    planted-passage marks, `planted-*.jsonl`, hold no text)."""
    waiting = tmp_path / "pending"
    waiting.mkdir()
    for path in (seed_corpus.SEEDS_DIR / "pending").glob("*.jsonl"):
        if not path.name.startswith("planted-"):
            shutil.copy(path, waiting / path.name)
    return [*seed_corpus.load_seeds(), *seed_corpus.load_seeds(waiting)]


def test_no_training_text_is_in_the_frozen_set(cases, tmp_path):
    frozen = {_normalised(c["text"]) for c in cases}
    training = [*(e.text for e in corpus.generate(7)), *(s.text for s in writers_texts(tmp_path))]
    shared = [t for t in training if _normalised(t) in frozen]
    assert shared == [], f"{len(shared)} training texts are in the frozen set, e.g. {shared[0][:120]!r}"


_UNSPACED_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{20,}")  # kana, CJK, Hangul


def _word_runs(text: str, length: int = 10) -> set[str]:
    """Runs of ten words, and of twenty characters in scripts written without spaces."""
    words = re.findall(r"\w+", text.lower())
    runs = {" ".join(words[i : i + length]) for i in range(len(words) - length + 1)}
    for match in _UNSPACED_SCRIPT.finditer(text):
        runs |= {match.group(0)[i : i + 20] for i in range(len(match.group(0)) - 19)}
    return runs


def test_no_writer_text_shares_a_ten_word_run_with_the_frozen_set(cases, tmp_path):
    """Near-duplicates count too: boilerplate (WHOIS terms, a notice) or a remembered public text
    shared with an evaluation case would measure recall on what the model was built from."""
    frozen_runs = set().union(*(_word_runs(c["text"]) for c in cases))
    shared = [s for s in writers_texts(tmp_path) if _word_runs(s.text) & frozen_runs]
    assert not shared, (
        f"{len(shared)} writer texts share a 10-word run with the frozen set, e.g. {shared[0].text[:80]!r}"
    )


def test_model_building_code_never_reads_the_frozen_set_or_the_reserved_packages():
    # A path or package name in a string, or an import of the evaluation code (comments may name them).
    reserved = re.compile(
        r"""["'][^"'\n]*(evaluation/frozen|garak|agent.injection.bench|\baib\b)|import[^\n]*lammesh\.evaluation|lammesh\.evaluation[^\n]*import""",
        re.IGNORECASE,
    )
    offenders = [str(p) for p in MODEL_CODE.rglob("*.py") if reserved.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_summarise_counts_flags_blocks_and_recall_at_fpr():
    cases = [
        {"id": "a1", "label": 1, "family": "override", "lang": "en", "kind": "chat"},
        {"id": "a2", "label": 1, "family": "override", "lang": "de", "kind": "chat"},
        {"id": "b1", "label": 0, "family": "mail", "lang": "en", "kind": "email", "hard": True},
        {"id": "b2", "label": 0, "family": "mail", "lang": "en", "kind": "email"},
    ]
    results = [
        (0.95, Verdict.BLOCK, 5.0),
        (0.40, Verdict.ALLOW, 6.0),
        (0.60, Verdict.REVIEW, 7.0),
        (0.10, Verdict.ALLOW, 8.0),
    ]
    figures = summarise(cases, results, tokens=[20, 30, 600, 40])
    assert figures["roc_auc"] == 0.75
    assert figures["attacks_flagged"] == 0.5 and figures["attacks_blocked"] == 0.5
    assert figures["benign_flagged"] == 0.5 and figures["benign_blocked"] == 0.0
    assert figures["hard_negatives_flagged"] == 1
    assert figures["attack_languages"]["de"] == {"n": 1, "flagged": 0.0, "blocked": 0.0}
    assert figures["latency_ms"][">512 tokens"]["n"] == 1
    assert [row["id"] for row in figures["false_positives"]] == ["b1"]


@pytest.mark.parametrize("watcher", ["grounding", "pii", "policy"])
def test_the_rule_watcher_sets_are_frozen_too(watcher):
    verify(FROZEN_ROOT / watcher)
