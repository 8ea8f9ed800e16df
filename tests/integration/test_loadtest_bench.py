"""A tiny bench against the real broker with every service as its own process: the result file has
its shape, and every task finished the way the scenario says (completed, or compensated for the
10% told to fail at step 4). No timed assertions: latencies are only checked to be present."""

from __future__ import annotations

import json

import pytest

from loadtest import report
from loadtest.bench import Bench, BenchConfig

pytestmark = pytest.mark.kafka


async def test_a_tiny_bench_runs_every_task_to_its_expected_end(kafka_bootstrap, tmp_path):
    config = BenchConfig(
        fixed_rate=10,
        phase_s=2,
        ramp=False,
        failure_rate=10,
        drain_s=120,
        kafka_bootstrap=kafka_bootstrap,
        profile=None,
        scenarios=["a", "d"],
        hop_count=20,
        grpc_count=20,
        results_dir=tmp_path,
        command="pytest",
    )
    result = await Bench(config).run()
    json_path, md_path = report.write(result, tmp_path)
    written = json.loads(json_path.read_text())

    assert {"machine", "baselines", "scenarios", "summary", "processes", "command"} <= set(written)
    assert {"date", "git_sha", "cpu_count"} <= set(written["machine"])
    assert written["baselines"]["kafka_hop"]["count"] == 20
    assert written["baselines"]["grpc"]["health_check"]["count"] == 20
    assert written["baselines"]["grpc"]["noop_execute"]["count"] == 20
    assert written["crashed_instances"] == []
    assert {p["instance"] for p in written["processes"]} == {"coordinator-0", "noop", "loop", "policy"}

    scenarios = {s["key"]: s for s in written["scenarios"]}
    a, d = scenarios["a_noop_watched"], scenarios["d_failure_compensation"]
    (fixed_a,) = a["phases"]
    assert fixed_a["submitted"] == 20
    assert fixed_a["outcomes"] == {"completed": 20}
    assert fixed_a["step_overhead"]["count"] == 20 * 5  # every step of every task measured
    assert fixed_a["e2e"]["p99_ms"] is not None and fixed_a["overhead"]["p50_ms"] is not None
    (fixed_d,) = d["phases"]
    assert fixed_d["submitted"] == 20
    assert fixed_d["outcomes"] == {"completed": 18, "compensated": 2}
    assert fixed_d["expected"] == {"completed": 18, "compensated": 2}
    assert fixed_d["unexpected_outcomes"] == 0 and fixed_d["lost"] == 0
    assert "| a_noop_watched | fixed 10/s |" in md_path.read_text()
