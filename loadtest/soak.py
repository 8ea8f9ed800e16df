"""The soak: scenario (a) with 10% compensations at a steady rate for a long time.

Reports, per service process, RSS at the start (after a warm-up minute) and at the end, and the
growth; the backlog (tasks submitted but not finished) each minute; and lost tasks (never finished
after the final drain). Writes loadtest/results/soak.json and soak.md.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

from loadtest import report
from loadtest.bench import bench_mesh, loadgen_settings, rss_bytes
from loadtest.generator import KafkaSubmitter, Observer, run_phase
from loadtest.scenarios import failures

REPO_ROOT = Path(__file__).resolve().parents[1]
MINUTE_S = 60.0


def default_rate(results_dir: Path) -> float:
    """Half the max sustainable rate recorded by the last bench, else 5/s."""
    try:
        recorded = json.loads((results_dir / "latest.json").read_text()).get("max_sustainable_rate")
    except (OSError, ValueError):
        recorded = None
    return recorded / 2 if recorded else 5.0


async def soak(
    *,
    minutes: float,
    rate: float | None,
    partitions: int,
    kafka_bootstrap: str | None,
    extra_env: dict[str, str],
    results_dir: Path,
    command: str,
) -> dict[str, Any]:
    rate = rate or default_rate(results_dir)
    scenario = failures()
    mesh = bench_mesh(
        scenario.services,
        REPO_ROOT / ".run" / "loadtest" / f"soak-{uuid.uuid4().hex[:8]}",
        kafka_bootstrap=kafka_bootstrap,
        partitions=partitions,
        extra_env=extra_env,
    )
    result: dict[str, Any] = {"machine": report.machine(), "command": command, "rate": rate, "minutes": minutes}
    await asyncio.to_thread(mesh.start)
    minutes_log: list[dict[str, Any]] = []
    rss_start: dict[str, int | None] = {}
    try:
        settings = loadgen_settings(mesh)
        observer = Observer(settings)
        await observer.start()
        submitter = KafkaSubmitter(settings)
        await submitter.start()
        rounds = max(1, int(round(minutes)))
        length = minutes * MINUTE_S / rounds
        lost = 0
        for index in range(rounds):
            # One phase per minute; the next begins after this one drained, so backlog is per minute.
            phase = await run_phase(
                observer, submitter, scenario.workload, rate, length, drain_timeout_s=120, id_prefix=f"soak{index:04d}"
            )
            if index == 0 or not rss_start:
                rss_start = {p.instance: rss_bytes(p) for p in mesh.processes}
            f = phase.figures
            lost += f["lost"]
            entry = {
                "minute": index + 1,
                "submitted": f["submitted"],
                "outcomes": f["outcomes"],
                "unexpected_outcomes": f["unexpected_outcomes"],
                "e2e_p99_ms": f["e2e"]["p99_ms"],
                "max_backlog": max_backlog(phase),
                "sustainable": f["sustainable"],
                "rss_mib": {p.instance: round((rss_bytes(p) or 0) / 2**20, 1) for p in mesh.processes},
                "at": time.time(),
            }
            minutes_log.append(entry)
            print(json.dumps(entry), flush=True)
            for task_id in [i for i, t in observer.traces.items() if t.outcome is not None]:
                del observer.traces[task_id]
        await submitter.stop()
        await observer.stop()
        rss_end = {p.instance: rss_bytes(p) for p in mesh.processes}
        result["minutes_log"] = minutes_log
        result["lost"] = lost
        result["crashed_instances"] = mesh.exited()
        tasks_after_start = sum(e["submitted"] for e in minutes_log[1:])
        result["tasks"] = sum(e["submitted"] for e in minutes_log)
        result["rss"] = {}
        for instance, end in rss_end.items():
            start = rss_start.get(instance)
            growth = (end - start) if end and start else None
            result["rss"][instance] = {
                "start_mib": _mib(start),
                "end_mib": _mib(end),
                "growth_mib": _mib(growth),
                # measured from the end of minute 1, so per task submitted after it
                "growth_kib_per_1000_tasks": round(growth / 1024 / tasks_after_start * 1000, 1)
                if growth is not None and tasks_after_start
                else None,
            }
    finally:
        await asyncio.to_thread(mesh.stop)
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "soak.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    (results_dir / "soak.md").write_text(soak_markdown(result))
    print(soak_markdown(result))
    return result


def max_backlog(phase: Any) -> int:
    """Most tasks in flight at once during the phase (from due and finish times)."""
    points = [(t.due, 1) for t in phase.traces] + [(t.finished, -1) for t in phase.traces if t.finished is not None]
    level = peak = 0
    for _, step in sorted(points):
        level += step
        peak = max(peak, level)
    return peak


def _mib(value: int | None) -> float | None:
    return None if value is None else round(value / 2**20, 1)


def soak_markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"# Soak — {m['date']} — git {m['git_sha'][:10]}",
        "",
        f"{result['minutes']} min at {result['rate']:g} sagas/s (scenario a with 10% compensations), "
        f"{m['cpu_count']} CPUs. Command: `{result['command']}`",
        "",
        f"Lost tasks: {result.get('lost')}; crashed: {result.get('crashed_instances') or 'none'}",
        "",
        "RSS from the end of minute 1 (warm) to the end:",
        "",
        "| instance | RSS start MiB | RSS end MiB | growth MiB | KiB per 1000 tasks |",
        "|---|---:|---:|---:|---:|",
    ]
    for instance, rss in result.get("rss", {}).items():
        lines.append(
            f"| {instance} | {rss['start_mib']} | {rss['end_mib']} | {rss['growth_mib']} | "
            f"{rss.get('growth_kib_per_1000_tasks')} |"
        )
    lines += [
        "",
        "| minute | tasks | outcomes | max backlog | e2e p99 ms | sustainable |",
        "|---:|---:|---|---:|---:|---|",
    ]
    for entry in result.get("minutes_log", []):
        lines.append(
            f"| {entry['minute']} | {entry['submitted']} | {entry['outcomes']} | {entry['max_backlog']} | "
            f"{entry['e2e_p99_ms']} | {entry['sustainable']} |"
        )
    return "\n".join(lines) + "\n"
