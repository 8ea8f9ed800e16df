"""The result file (JSON, every figure) and the markdown table printed after a run."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import psutil

REPO_ROOT = Path(__file__).resolve().parents[1]


def machine() -> dict[str, Any]:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        sha, dirty = "unknown", False
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_sha": sha,
        "git_dirty": dirty,
        "host": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def write(result: dict[str, Any], directory: Path, stem: str = "latest") -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{stem}.json"
    md_path = directory / f"{stem}.md"
    json_path.write_text(json.dumps(result, indent=2, sort_keys=False, default=str) + "\n")
    md_path.write_text(markdown(result))
    return json_path, md_path


def _ms(summary: dict[str, Any] | None, key: str) -> str:
    value = (summary or {}).get(key)
    return "–" if value is None else f"{value:.1f}"


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"# LAM Mesh bench — {m['date']} — git {m['git_sha'][:10]}{' (dirty)' if m['git_dirty'] else ''}",
        "",
        f"Machine: {m['cpu_count']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, Python {m['python']}; "
        f"load average at start {m['load_average_at_start']}. Command: `{result.get('command', '')}`",
        "",
        "## Baselines",
        "",
        "| baseline | p50 ms | p99 ms |",
        "|---|---:|---:|",
    ]
    base = result.get("baselines", {})
    for name, summary in (
        ("Kafka hop (produce→consume)", base.get("kafka_hop")),
        ("gRPC health Check", (base.get("grpc") or {}).get("health_check")),
        ("gRPC noop StepService.Execute", (base.get("grpc") or {}).get("noop_execute")),
    ):
        lines.append(f"| {name} | {_ms(summary, 'p50_ms')} | {_ms(summary, 'p99_ms')} |")
    lines += [
        "",
        "## Phases (open loop; latency from each task's scheduled submit time)",
        "",
        "| scenario | phase | offered/s | done/s | tasks | outcomes | e2e p50 | e2e p99 | overhead p50 | overhead p99 | step ovh p50 | step ovh p99 | checks p50 | transit p50 | sustainable |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for scenario in result.get("scenarios", []):
        if scenario.get("skipped"):
            lines.append(f"| {scenario['key']} | skipped: {scenario['skipped']} |" + " |" * 13)
            continue
        for phase in scenario.get("phases", []):
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(phase["outcomes"].items()))
            verdict = "yes" if phase["sustainable"] else "no: " + "; ".join(phase["not_sustainable_because"])
            lines.append(
                f"| {scenario['key']} | {phase['label']} | {phase['offered_rate']:g} | {phase['throughput_per_s']:g} | "
                f"{phase['submitted']} | {outcomes} | {_ms(phase['e2e'], 'p50_ms')} | {_ms(phase['e2e'], 'p99_ms')} | "
                f"{_ms(phase['overhead'], 'p50_ms')} | {_ms(phase['overhead'], 'p99_ms')} | "
                f"{_ms(phase['step_overhead'], 'p50_ms')} | {_ms(phase['step_overhead'], 'p99_ms')} | "
                f"{_ms(phase['step_checks'], 'p50_ms')} | {_ms(phase['step_transit'], 'p50_ms')} | {verdict} |"
            )
    cpu_rows = [
        (scenario["key"], phase)
        for scenario in result.get("scenarios", [])
        for phase in scenario.get("phases", [])
        if any("cpu_ms_per_task" in u for u in phase.get("services", {}).values())
    ]
    if cpu_rows:
        lines += [
            "",
            "## CPU per task (ms of CPU per task of the phase, per process; `machine` includes other users)",
            "",
            "| scenario | phase | process | CPU ms / task | less idle CPU | CPU cores | idle cores |",
            "|---|---|---|---:|---:|---:|---:|",
        ]
        for key, phase in cpu_rows:
            for instance, usage in phase["services"].items():
                if "cpu_ms_per_task" in usage:
                    net, idle = usage.get("cpu_ms_per_task_net"), usage.get("idle_cpu_utilisation")
                    lines.append(
                        f"| {key} | {phase['label']} | {instance} | {usage['cpu_ms_per_task']:.2f} | "
                        f"{'–' if net is None else f'{net:.2f}'} | {usage.get('cpu_utilisation', 0):.2f} | "
                        f"{'–' if idle is None else f'{idle:.3f}'} |"
                    )
    summary = result.get("summary", {})
    if summary:
        lines += ["", "## Summary against the targets", "", "| figure | value | target |", "|---|---:|---|"]
        for row in summary.get("rows", []):
            lines.append(f"| {row['figure']} | {row['value']} | {row.get('target', '')} |")
    processes = result.get("processes", [])
    if processes:
        lines += ["", "## Service processes", "", "| instance | CPU s during run | RSS MiB at end |", "|---|---:|---:|"]
        for proc in processes:
            cpu = proc.get("cpu_seconds")
            rss = proc.get("rss_mib_end")
            lines.append(
                f"| {proc['instance']} | {'–' if cpu is None else f'{cpu:.1f}'} | {'–' if rss is None else f'{rss:.0f}'} |"
            )
    prof = result.get("profile")
    if prof and prof.get("samples"):
        lines += [
            "",
            f"## Profile of {prof['service']} during the fixed phase ({prof['samples']} samples, py-spy, "
            f"all threads; stacks in {prof.get('collapsed_stacks')})",
            "",
            "| where (inclusive) | share |",
            "|---|---:|",
        ]
        for row in prof["top_inclusive"][:12]:
            lines.append(f"| `{row['function']}` | {row['share']:.1%} |")
        lines += ["", "| project code (inclusive) | share |", "|---|---:|"]
        for row in prof.get("top_project", [])[:12]:
            lines.append(f"| `{row['function']}` | {row['share']:.1%} |")
        lines += ["", "| self time | share |", "|---|---:|"]
        for row in prof["top_self"][:10]:
            lines.append(f"| `{row['function']}` | {row['share']:.1%} |")
    elif prof:
        lines += ["", f"Profile of {prof['service']}: {prof.get('error', 'no samples')}"]
    return "\n".join(lines) + "\n"
