"""The grounding, pii and policy watchers measured on their frozen sets (evaluation/frozen/<watcher>/).

Each case goes through the watcher exactly as the mesh sends it: the params of the step in
workflows/meeting_followup.yaml, the request built with `check_request` (content, sources and
params as protobuf Structs) and validated with `check_input_from`, as the gRPC servicer does,
then the watcher's own `check_batch`, one case per call (batch 1, so the latency is a check's).

A case is "stopped" when the verdict is not ALLOW (REVIEW pauses the send as BLOCK does) and
"blocked" when it is BLOCK. Per family: how many were stopped; recall for the positive families,
false-positive rate for the benign ones. Figures are given for the `frozen` part (the report)
and the `calibration` part (what thresholds were tuned on), never pooled.

The calibration part is the frozen file's `calibration` rows plus, when it exists,
evaluation/calibration/<watcher>/cases*.jsonl (one file per writer): cases written later to tune on, never frozen (so
the frozen file's sha256 pin stays as it was). `--split calibration` runs only those, so a
watcher can be tuned without its frozen figures being computed or shown.

    python -m lammesh.evaluation.rule_watchers [--repo-root .] [--json out.json] [--only pii] [--split calibration]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from lammesh.evaluation.frozen import verify
from lammesh.verdict import Stage
from lammesh.watchers import CheckInput, Verdict, Watcher
from lammesh.watchers.proto import check_input_from, check_request

WORKFLOW = Path("workflows/meeting_followup.yaml")
FROZEN = Path("evaluation/frozen")
CALIBRATION = Path("evaluation/calibration")
SPLITS = ("frozen", "calibration")

# watcher -> (step id, stage) of meeting_followup where the mesh runs it
PLACEMENT: dict[str, tuple[str, Stage]] = {
    "grounding": ("followup", Stage.OUTPUT),
    "pii": ("email", Stage.INPUT),
    "policy": ("email", Stage.INPUT),
}


class EvaluationDataError(ValueError):
    """A frozen set is missing or malformed; the message names the file and line."""


@dataclass(frozen=True)
class Case:
    id: str
    label: str  # "allow" or "flag"
    family: str
    lang: str
    split: str
    content: dict[str, Any]
    sources: dict[str, Any]


@dataclass(frozen=True)
class Result:
    case: Case
    verdict: Verdict
    score: float
    reasons: tuple[str, ...]
    latency_ms: float

    @property
    def stopped(self) -> bool:
        return self.verdict is not Verdict.ALLOW


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise EvaluationDataError(f"{path}: missing (the frozen sets live under {FROZEN}/)")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvaluationDataError(f"{path}:{number}: not JSON ({exc.msg})") from None
        for key in ("id", "label", "family", "lang", "split", "content"):
            if key not in row:
                raise EvaluationDataError(f"{path}:{number}: field {key!r} is missing")
        if row["label"] not in ("allow", "flag"):
            raise EvaluationDataError(f"{path}:{number}: label must be allow or flag, not {row['label']!r}")
        if row["split"] not in SPLITS:
            raise EvaluationDataError(f"{path}:{number}: split must be one of {SPLITS}, not {row['split']!r}")
        rows.append(row)
    return rows


def _case(row: dict[str, Any], sources: dict[str, Any]) -> Case:
    return Case(row["id"], row["label"], row["family"], row["lang"], row["split"], row["content"], sources)


def calibration_rows(repo_root: Path, watcher: str) -> list[dict[str, Any]]:
    """The extra calibration cases of a watcher, every cases*.jsonl of its folder in name order (none
    when it has no such file)."""
    rows = []
    for path in sorted((repo_root / CALIBRATION / watcher).glob("cases*.jsonl")):
        for row in read_jsonl(path):
            if row["split"] != "calibration":
                raise EvaluationDataError(
                    f"{path}: case {row['id']!r} has split {row['split']!r}; only calibration cases live here"
                )
            rows.append(row)
    return rows


def load_cases(repo_root: Path, watcher: str, splits: Iterable[str] = SPLITS) -> list[Case]:
    folder = repo_root / FROZEN / watcher
    verify(folder)
    wanted = set(splits)
    rows = [
        r for r in read_jsonl(folder / "cases.jsonl") + calibration_rows(repo_root, watcher) if r["split"] in wanted
    ]
    if watcher == "grounding":
        meetings = {m["meeting"]: m["sources"] for m in _raw_jsonl(folder / "meetings.jsonl")}
        return [_case(r, meetings[r["meeting"]]) for r in rows]
    if watcher == "policy":
        accounts = {a["account_id"]: a["crm"] for a in _raw_jsonl(folder / "accounts.jsonl")}
        return [_case(r, _email_sources(r["content"], accounts[r["account_id"]])) for r in rows]
    return [_case(r, _email_sources(r["content"], None)) for r in rows]


def _raw_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise EvaluationDataError(f"{path}: missing")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _email_sources(content: dict[str, Any], crm: dict[str, Any] | None) -> dict[str, Any]:
    """The sources the coordinator sends with the email step's input checks."""
    return {"task_input": {}, "step_input": content, "steps": {"crm": crm} if crm is not None else {}}


def workflow_params(repo_root: Path, watcher: str) -> dict[str, Any]:
    from lammesh.workflow import load_workflow

    step_id, stage = PLACEMENT[watcher]
    workflow = load_workflow(repo_root / WORKFLOW)
    step = next(s for s in workflow.steps if s.id == step_id)
    refs = step.watchers.output if stage is Stage.OUTPUT else step.watchers.input
    for ref in refs:
        if ref.name == watcher:
            return dict(ref.params)
    raise EvaluationDataError(f"{WORKFLOW}: step {step_id!r} has no {watcher} watcher on its {stage.label}")


def make_watcher(watcher: str) -> Watcher:
    if watcher == "grounding":
        from lammesh.settings import Settings
        from lammesh_services.watchers.grounding.watcher import GroundingWatcher

        return GroundingWatcher(Settings())
    if watcher == "pii":
        from lammesh_services.watchers.pii.watcher import PiiWatcher

        return PiiWatcher()
    from lammesh_services.watchers.policy.watcher import PolicyWatcher

    return PolicyWatcher()


def as_mesh_sends(watcher: Watcher, case: Case, params: dict[str, Any]) -> CheckInput:
    step_id, stage = PLACEMENT[watcher.name]
    request = check_request(
        content=case.content,
        sources=case.sources,
        params=params,
        stage=stage,
        task_id=f"eval-{case.id}",
        step_id=step_id,
        attempt=1,
        capability=step_id,
    )
    return check_input_from(request, watcher.params_model)


async def run_watcher(watcher: Watcher, cases: Iterable[Case], params: dict[str, Any]) -> list[Result]:
    await watcher.start()
    results = []
    for case in cases:
        item = as_mesh_sends(watcher, case, params)
        started = time.perf_counter()
        [outcome] = await watcher.check_batch([item])
        elapsed = (time.perf_counter() - started) * 1000
        results.append(Result(case, outcome.verdict, outcome.score, tuple(outcome.reasons), elapsed))
    return results


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarise(results: list[Result]) -> dict[str, Any]:
    """Figures of one split: per family, overall precision/recall/FPR (stopped and blocked), latency."""
    families: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        kind = "benign" if r.case.label == "allow" else "positive"
        families[r.case.family if r.case.family.startswith(("benign", "leak:")) else f"{kind}:{r.case.family}"].append(
            r
        )
    per_family = {}
    for name, rs in sorted(families.items()):
        stopped = sum(r.stopped for r in rs)
        blocked = sum(r.verdict is Verdict.BLOCK for r in rs)
        positive = rs[0].case.label == "flag"
        per_family[name] = {
            "n": len(rs),
            "stopped": stopped,
            "blocked": blocked,
            ("recall" if positive else "fpr"): round(stopped / len(rs), 4),
            "missed" if positive else "false_positives": [r.case.id for r in rs if r.stopped != positive],
        }
    positives = [r for r in results if r.case.label == "flag"]
    benign = [r for r in results if r.case.label == "allow"]

    def rates(hit: Callable[[Result], bool]) -> dict[str, float | int]:
        tp = sum(hit(r) for r in positives)
        fp = sum(hit(r) for r in benign)
        return {
            "tp": tp,
            "fp": fp,
            "positives": len(positives),
            "benign": len(benign),
            "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
            "recall": round(tp / len(positives), 4) if positives else 0.0,
            "fpr": round(fp / len(benign), 4) if benign else 0.0,
        }

    latencies = [r.latency_ms for r in results]
    return {
        "n": len(results),
        "stopped": rates(lambda r: r.stopped),
        "blocked": rates(lambda r: r.verdict is Verdict.BLOCK),
        "latency_ms": {"p50": round(_percentile(latencies, 50), 3), "p99": round(_percentile(latencies, 99), 3)},
        "families": per_family,
        "false_positive_reasons": {r.case.id: list(r.reasons) for r in benign if r.stopped},
    }


def _table(console: Console, watcher: str, split: str, figures: dict[str, Any]) -> None:
    table = Table(title=f"{watcher} watcher, {split} part ({figures['n']} cases), shipped params of {WORKFLOW}")
    for column in ("family", "n", "stopped", "blocked", "recall / FPR"):
        table.add_column(column, justify="left" if column == "family" else "right")
    for name, f in figures["families"].items():
        rate = f"recall {f['recall']:.1%}" if "recall" in f else f"FPR {f['fpr']:.1%}"
        table.add_row(name, str(f["n"]), str(f["stopped"]), str(f["blocked"]), rate)
    s, b, lat = figures["stopped"], figures["blocked"], figures["latency_ms"]
    table.add_section()
    table.add_row(
        "all (stopped = review or block)",
        str(figures["n"]),
        str(s["tp"] + s["fp"]),
        str(b["tp"] + b["fp"]),
        f"P {s['precision']:.1%} R {s['recall']:.1%} FPR {s['fpr']:.1%}",
    )
    table.add_row("all (blocked only)", "", "", "", f"P {b['precision']:.1%} R {b['recall']:.1%} FPR {b['fpr']:.1%}")
    table.add_row("latency per check (batch 1)", "", "", "", f"p50 {lat['p50']:.2f} ms, p99 {lat['p99']:.2f} ms")
    console.print(table)
    for case_id, reasons in figures["false_positive_reasons"].items():
        console.print(f"  [yellow]benign stopped[/] {case_id}: {'; '.join(reasons)[:300]}")


WATCHERS = ("grounding", "pii", "policy")


def evaluate_rule_watchers(
    console: Console, repo_root: Path, only: Iterable[str] = WATCHERS, splits: Iterable[str] = SPLITS
) -> dict[str, Any]:
    """Run each rule watcher over its frozen set as the mesh calls it; print tables; return the figures."""
    repo_root = Path(repo_root)
    splits = [split for split in SPLITS if split in set(splits)]
    figures: dict[str, Any] = {}
    for name in only:
        cases = load_cases(repo_root, name, splits)
        params = workflow_params(repo_root, name)
        results = asyncio.run(run_watcher(make_watcher(name), cases, params))
        figures[name] = {"params": params}
        for split in splits:
            part = [r for r in results if r.case.split == split]
            figures[name][split] = summarise(part)
            _table(console, name, split, figures[name][split])
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lammesh.evaluation.rule_watchers", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--repo-root", type=Path, default=Path.cwd())
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--only", choices=WATCHERS, action="append")
    parser.add_argument("--split", choices=SPLITS, action="append", help="only this part (default: both)")
    args = parser.parse_args(argv)
    console = Console()
    try:
        figures = evaluate_rule_watchers(console, args.repo_root, args.only or WATCHERS, args.split or SPLITS)
    except EvaluationDataError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
