"""The injection watcher on its frozen evaluation set (`evaluation/frozen/injection/`).

Each case is checked exactly as the meeting follow-up workflow checks a transcript: the real
`InjectionWatcher.check_batch`, content `{<field>: text}` with the case's field (the notes step's
`transcript` unless the case names another), the watcher's shipped thresholds. One check at a time,
so the latency is batch-1 latency as a caller of an idle watcher sees it (minus the gRPC hop).

Printed: ROC-AUC, recall at 1% / 2% FPR, flagged (REVIEW or BLOCK) and BLOCK rates at the shipped
thresholds, per family, per language and per carrier kind, hard negatives apart, latency by
length. Nothing here feeds back into a model: the set is for measuring only.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from rich.console import Console
from rich.table import Table

from lammesh.evaluation.frozen import load_cases
from lammesh.models.injection.linear import recall_at_fpr, roc_auc
from lammesh.watchers import CheckInput
from lammesh.watchers.verdicts import Verdict

DEFAULT_FIELD = "transcript"


def _rate(values: Iterable[bool]) -> float:
    values = list(values)
    return float(np.mean(values)) if values else float("nan")


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def _check_all(watcher, cases: list[dict]) -> list[tuple[float, Verdict, float]]:  # type: ignore[no-untyped-def]
    results = []
    for case in cases:
        field = case.get("field", DEFAULT_FIELD)
        item = CheckInput(
            params=watcher.params_model(), content={field: case["text"]}, capability=case.get("capability", "notes")
        )
        started = time.perf_counter()
        (outcome,) = await watcher.check_batch([item])
        results.append((outcome.score, outcome.verdict, (time.perf_counter() - started) * 1000))
    return results


def summarise(cases: list[dict], results: list[tuple[float, Verdict, float]], tokens: list[int]) -> dict:
    """Pure: the figures from the scored cases."""
    labels = np.array([int(c["label"]) for c in cases])
    scores = np.array([r[0] for r in results])
    flagged = np.array([r[1] != Verdict.ALLOW for r in results])
    blocked = np.array([r[1] == Verdict.BLOCK for r in results])
    benign, attacks = labels == 0, labels == 1
    hard = np.array([bool(c.get("hard")) for c in cases]) & benign

    def group(key: str, mask: np.ndarray) -> dict[str, dict]:
        out: dict[str, dict] = defaultdict(dict)
        for value in sorted({str(cases[i].get(key, "?")) for i in np.flatnonzero(mask)}):
            rows = mask & np.array([str(c.get(key, "?")) == value for c in cases])
            out[value] = {
                "n": int(rows.sum()),
                "flagged": round(_rate(flagged[rows]), 4),
                "blocked": round(_rate(blocked[rows]), 4),
            }
        return dict(out)

    recall1, threshold1 = recall_at_fpr(labels, scores, 0.01)
    recall2, threshold2 = recall_at_fpr(labels, scores, 0.02)
    latencies = [r[2] for r in results]
    by_length: dict[str, list[float]] = {"<=128 tokens": [], "129-512 tokens": [], ">512 tokens": []}
    for count, latency in zip(tokens, latencies, strict=True):
        by_length["<=128 tokens" if count <= 128 else "129-512 tokens" if count <= 512 else ">512 tokens"].append(
            latency
        )
    return {
        "cases": len(cases),
        "attacks": int(attacks.sum()),
        "benign": int(benign.sum()),
        "hard_negatives": int(hard.sum()),
        "roc_auc": round(roc_auc(labels, scores), 4),
        "recall_at_1pct_fpr": round(recall1, 4),
        "threshold_at_1pct_fpr": round(threshold1, 4),
        "recall_at_2pct_fpr": round(recall2, 4),
        "threshold_at_2pct_fpr": round(threshold2, 4),
        "attacks_flagged": round(_rate(flagged[attacks]), 4),
        "attacks_blocked": round(_rate(blocked[attacks]), 4),
        "benign_flagged": round(_rate(flagged[benign]), 4),
        "benign_blocked": round(_rate(blocked[benign]), 4),
        "hard_negatives_flagged": int((flagged & hard).sum()),
        "hard_negatives_blocked": int((blocked & hard).sum()),
        "attack_families": group("family", attacks),
        "benign_kinds": group("kind", benign),
        "attack_languages": group("lang", attacks),
        "benign_languages": group("lang", benign),
        "latency_ms": {
            name: {"n": len(values), "p50": round(_percentile(values, 50), 2), "p99": round(_percentile(values, 99), 2)}
            for name, values in by_length.items()
            if values
        },
        "false_positives": sorted(
            (
                {"id": cases[i]["id"], "kind": cases[i].get("kind"), "score": round(float(scores[i]), 3)}
                for i in np.flatnonzero(benign & flagged)
            ),
            key=lambda row: -row["score"],
        ),
    }


def print_summary(console: Console, figures: dict, *, title: str) -> None:
    headline = Table(title=title, show_header=False)
    for key in (
        "cases",
        "attacks",
        "benign",
        "hard_negatives",
        "roc_auc",
        "recall_at_1pct_fpr",
        "recall_at_2pct_fpr",
        "attacks_flagged",
        "attacks_blocked",
        "benign_flagged",
        "benign_blocked",
        "hard_negatives_flagged",
        "hard_negatives_blocked",
    ):
        headline.add_row(key.replace("_", " "), str(figures[key]))
    console.print(headline)
    for key, what in (
        ("attack_families", "attacks by family: share flagged / blocked"),
        ("attack_languages", "attacks by language"),
        ("benign_kinds", "benign by kind: share flagged / blocked (false positives)"),
        ("benign_languages", "benign by language"),
    ):
        table = Table("group", "n", "flagged", "blocked", title=what)
        for name, row in figures[key].items():
            table.add_row(name, str(row["n"]), f"{row['flagged']:.3f}", f"{row['blocked']:.3f}")
        console.print(table)
    latency = Table("input length", "n", "p50 ms", "p99 ms", title="batch-1 latency, in process")
    for name, row in figures["latency_ms"].items():
        latency.add_row(name, str(row["n"]), str(row["p50"]), str(row["p99"]))
    console.print(latency)
    worst = figures["false_positives"][:15]
    if worst:
        table = Table(
            "case", "kind", "score", title=f"highest-scored false positives ({len(figures['false_positives'])} in all)"
        )
        for row in worst:
            table.add_row(row["id"], str(row["kind"]), str(row["score"]))
        console.print(table)


def evaluate_injection(console: Console, settings=None) -> dict:  # type: ignore[no-untyped-def]
    from lammesh.settings import Settings
    from lammesh_services.watchers.injection.watcher import InjectionWatcher

    cases = load_cases("injection")
    watcher = InjectionWatcher(settings or Settings(service_name="eval-watchers", log_level="WARNING"))
    asyncio.run(watcher.start())
    assert watcher.detector is not None
    tokens = [watcher.detector.encoder.count_tokens(c["text"]) for c in cases]
    with console.status(f"injection: checking {len(cases)} frozen cases one at a time"):
        results = asyncio.run(_check_all(watcher, cases))
    figures = summarise(cases, results, tokens)
    figures["model"] = {"watcher": watcher.name, "watcher_version": watcher.version, "model": watcher.model.as_dict()}
    print_summary(console, figures, title=f"injection watcher on the frozen set ({figures['cases']} cases)")
    return figures
