"""The bench: start a mesh, measure baselines, run scenarios (fixed rate + ramp), write the results."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from lammesh.dev.localkafka import free_ports
from lammesh.settings import Settings
from lammesh.up import Mesh, ServiceProcess
from lammesh_services.tools.crm.seed import seed_database
from loadtest import baselines, meetings, report
from loadtest.generator import GrpcSubmitter, KafkaSubmitter, Observer, PhaseResult, Submitter, run_phase
from loadtest.overload import admission_bound, overload_figures
from loadtest.ramp import RampLimits, max_sustainable
from loadtest.scenarios import Scenario, all_scenarios, meeting_account
from loadtest.schedule import ramp_rates

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"

# Settings the bench tunes through the environment (the products' defaults are left alone; see
# docs/decisions/0501). `--env KEY=VALUE` overrides any of them, e.g. to measure the defaults.
BENCH_ENV = {
    "LAMMESH_LOG_LEVEL": "WARNING",  # logging every transition would be part of what is measured
    "LAMMESH_LOG_FORMAT": "json",
    # A linger is paid on the critical path of every record (each waits for the broker's ack of
    # its outputs): 0 sends at once. With ordered lanes the product default (2 ms) costs ~30 ms
    # of saga overhead at light load and nothing at the max rate (BENCHMARKS.md).
    "LAMMESH_PRODUCER_LINGER_MS": "0",
    # A blocking check should not wait for batch mates when watchers answer in microseconds.
    "LAMMESH_WATCHER_BATCH_WINDOW_MS": "0",
}


def bench_mesh(
    services: list[str],
    run_dir: Path,
    *,
    kafka_bootstrap: str | None,
    partitions: int = 1,
    coordinators: int = 1,
    extra_env: dict[str, str] | None = None,
) -> Mesh:
    """The mesh the bench and the soak measure (lammesh.up, the one launcher): a broker of its own
    on free ports unless one is given, a fresh topic prefix, `coordinators` coordinator instances
    (coordinator-0, …), BENCH_ENV under the caller's `--env` overrides."""
    gateway_port, smtp_port = free_ports(2)
    return Mesh(
        run_dir=run_dir,
        services=services,
        kafka_bootstrap=kafka_bootstrap,
        gateway_address=f"127.0.0.1:{gateway_port}",
        smtp_port=smtp_port,
        topic_prefix=f"bench{uuid.uuid4().hex[:8]}",
        partitions=partitions,
        replicas={"coordinator": coordinators} if "coordinator" in services else {},
        extra_env={**BENCH_ENV, **(extra_env or {})},
    )


def loadgen_settings(mesh: Mesh) -> Settings:
    """Settings for the load generator's own clients (same broker, prefix, partitions, linger)."""
    linger = mesh.extra_env.get("LAMMESH_PRODUCER_LINGER_MS")
    extra = {"producer_linger_ms": int(linger)} if linger is not None else {}
    return mesh.client_settings(grpc_port=0, metrics_port=0, log_level="WARNING", **extra)


def rss_bytes(proc: ServiceProcess) -> int | None:
    try:
        return psutil.Process(proc.pid).memory_info().rss if proc.pid else None
    except psutil.Error:
        return None


def cpu_seconds(proc: ServiceProcess) -> float | None:
    try:
        times = psutil.Process(proc.pid).cpu_times() if proc.pid else None
    except psutil.Error:
        return None
    return times.user + times.system if times else None


def scrape(proc: ServiceProcess) -> dict[str, float]:
    """Record handling time from /metrics: {"<topic>:sum": s, "<topic>:count": n}, plus CPU seconds."""
    from urllib.request import urlopen

    from prometheus_client.parser import text_string_to_metric_families

    values: dict[str, float] = {}
    cpu = cpu_seconds(proc)
    if cpu is not None:
        values["cpu_seconds"] = cpu
    try:
        with urlopen(f"http://127.0.0.1:{proc.metrics_port}/metrics", timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return values
    for family in text_string_to_metric_families(text):
        if family.name != "lammesh_message_handle_seconds":
            continue
        for sample in family.samples:
            if sample.name.endswith("_sum") or sample.name.endswith("_count"):
                kind = sample.name.rsplit("_", 1)[1]
                topic = sample.labels.get("topic", "")
                values[f"{topic}:{kind}"] = values.get(f"{topic}:{kind}", 0.0) + sample.value
    return values


@dataclass
class BenchConfig:
    fixed_rate: float = 100.0  # the target point: overhead at 100 sagas/s
    phase_s: float = 10.0
    ramp_start: float = 5.0
    ramp_factor: float = 1.5
    ramp_max: float = 400.0
    ramp_phase_s: float = 10.0
    failure_rate: float | None = None  # default: half the max sustainable rate (at least 10/s)
    side_scenario_rate: float = 10.0  # (b): model watchers
    meeting_rate: float = 2.0  # (c): three agents and four model/rule watchers per meeting
    drain_s: float = 60.0
    poisson: bool = False  # exponential gaps instead of uniform spacing (same mean rate)
    # Seconds of no load before each phase: each process's background CPU (heartbeats, timers,
    # fetch polls) over them is taken off its CPU per task (`cpu_ms_per_task_net`); 0 = skip.
    idle_s: float = 0.0
    p99_limit_ms: float = 1000.0
    partitions: int = 1
    coordinators: int = 1
    gateway: str | None = None  # gRPC TaskService address: submit through it instead of Kafka
    kafka_bootstrap: str | None = None
    profile: str | None = "coordinator"  # py-spy the named service during the fixed phase of (a)
    scenarios: list[str] = field(default_factory=lambda: ["a", "b", "c", "d"])
    ramp: bool = True
    overload: bool = True  # after (a): the max sustainable rate, then overload_factor × it, through the gateway
    overload_factor: float = 3.0
    overload_in_flight: int | None = (
        None  # the gateway's admission bound then; default sized from the ramp (Little's law)
    )
    hop_count: int = 300
    grpc_count: int = 500
    results_dir: Path = RESULTS
    stem: str = "latest"
    command: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)


@dataclass
class Ramp:
    phases: list[tuple[str, PhaseResult]] = field(default_factory=list)
    best: float | None = None  # the max sustainable rate


UNBOUNDED_ADMISSION = 1_000_000  # the gateway ramp measures the path, not the admission bound


def _phase_figures(label: str, phase: PhaseResult) -> dict[str, Any]:
    return {"label": label, **phase.figures}


class Bench:
    def __init__(self, config: BenchConfig) -> None:
        self.config = config
        self.mesh: Mesh | None = None
        self.observer: Observer | None = None
        self.submitter: Submitter | None = None
        self._scenario_entries: list[dict[str, Any]] = []

    @staticmethod
    def _seed_meeting_crm(workdir: Path, count: int) -> dict[str, str]:
        """A fresh SQLite CRM seeded with an account per (c) arrival (the mesh's SMTP sink stores
        the follow-up mails); returns the crm service's setting for it."""
        workdir.mkdir(parents=True, exist_ok=True)
        crm_url = f"sqlite:///{workdir / 'crm.sqlite3'}"
        seed_database(crm_url, meetings.crm_seed(meeting_account(i) for i in range(count)))
        return {"LAMMESH_CRM_DATABASE_URL": crm_url}

    async def run(self) -> dict[str, Any]:
        cfg = self.config
        machine = report.machine()
        selected = {s.key[0]: s for s in all_scenarios() if s.key[0] in cfg.scenarios}
        runnable = {k: s for k, s in selected.items() if s.missing() is None}
        services = sorted(
            {name for s in runnable.values() for name in s.services}
            | {"coordinator", "noop"}
            | ({"gateway"} if cfg.overload and cfg.ramp and "a" in runnable else set())
        )
        workdir = REPO_ROOT / ".run" / "loadtest" / uuid.uuid4().hex[:8]
        backends = {}
        if "c" in runnable:  # the meeting workflow's CRM
            backends = self._seed_meeting_crm(workdir, count=int(cfg.meeting_rate * cfg.phase_s * 2) + 50)
        self.mesh = bench_mesh(
            services,
            workdir,
            kafka_bootstrap=cfg.kafka_bootstrap,
            partitions=cfg.partitions,
            coordinators=cfg.coordinators,
            extra_env={**backends, **cfg.extra_env},
        )
        started = time.time()
        print(
            f"starting the mesh: {', '.join(services)} (partitions={cfg.partitions}, coordinators={cfg.coordinators})",
            flush=True,
        )
        await asyncio.to_thread(self.mesh.start)
        result: dict[str, Any] = {
            "machine": machine,
            "command": cfg.command,
            "config": _config_dict(cfg),
            "mesh": {
                "services": services,
                "topic_prefix": self.mesh.topic_prefix,
                "mesh_start_s": round(time.time() - started, 1),
            },
        }
        processes = list(self.mesh.processes)  # the mesh forgets them when it stops
        cpu_before = {p.instance: cpu_seconds(p) for p in processes}
        try:
            settings = loadgen_settings(self.mesh)
            self.observer = Observer(settings)
            await self.observer.start()
            if cfg.gateway:
                self.submitter = GrpcSubmitter(cfg.gateway, self.observer.rename)
            else:
                self.submitter = KafkaSubmitter(settings)
            await self.submitter.start()
            result["submit_path"] = getattr(self.submitter, "name", "kafka")
            print("baselines: Kafka hop, gRPC unary", flush=True)
            result["baselines"] = {
                "kafka_hop": await baselines.kafka_hop(settings, count=cfg.hop_count),
                "grpc": await baselines.grpc_unary(self.mesh.process("noop").address, count=cfg.grpc_count),
            }
            result["scenarios"] = []
            max_rate = None
            for key, scenario in selected.items():
                reason = scenario.missing()
                if reason:
                    print(f"scenario {scenario.key}: SKIPPED — {reason}", flush=True)
                    result["scenarios"].append({"key": scenario.key, "title": scenario.title, "skipped": reason})
                    continue
                if key == "a":
                    entry, max_rate = await self._scenario_a(scenario, result)
                    self._scenario_entries.append(entry)
                    if cfg.overload and max_rate:
                        result["overload"] = await self._overload(scenario, max_rate)
                elif key == "d":
                    rate = cfg.failure_rate or (max_rate / 2 if max_rate else 5.0)
                    entry = await self._fixed(scenario, rate, cfg.phase_s)
                elif key == "c":
                    entry = await self._fixed(scenario, cfg.meeting_rate, cfg.phase_s)
                else:
                    entry = await self._fixed(scenario, cfg.side_scenario_rate, cfg.phase_s)
                result["scenarios"].append(entry)
            result["max_sustainable_rate"] = max_rate
            result["observer_duplicates"] = self.observer.duplicates
            crashed = self.mesh.exited()
            result["crashed_instances"] = crashed
        finally:
            result["processes"] = [
                {
                    "instance": p.instance,
                    "pid": p.pid,
                    "cpu_seconds": _delta(cpu_seconds(p), cpu_before.get(p.instance)),
                    "rss_mib_end": (rss_bytes(p) or 0) / 2**20 or None,
                }
                for p in processes
            ]
            if self.submitter is not None:
                await self.submitter.stop()
            if self.observer is not None:
                await self.observer.stop()
            await asyncio.to_thread(self.mesh.stop)
        result["summary"] = summarise(result)
        result["total_s"] = round(time.time() - started, 1)
        return result

    async def _scrape(self) -> dict[str, dict[str, float]]:
        assert self.mesh is not None
        scraped = await asyncio.gather(*(asyncio.to_thread(scrape, p) for p in self.mesh.processes))
        usage = {p.instance: values for p, values in zip(self.mesh.processes, scraped, strict=True)}
        # The rest of the machine's work in this run: the broker (when started here), the SMTP
        # sink and this process.
        pids = {"loadgen": os.getpid()}
        if self.mesh.kafka is not None and self.mesh.kafka.running_pid():
            pids["kafka-broker"] = self.mesh.kafka.running_pid()
        if self.mesh.sink is not None:
            pids["smtp-sink"] = self.mesh.sink.pid
        for name, pid in pids.items():
            try:
                times = psutil.Process(pid).cpu_times()
                usage[name] = {"cpu_seconds": times.user + times.system}
            except psutil.Error:
                pass
        usage["machine"] = {"cpu_seconds": _machine_busy_seconds()}
        return usage

    async def _phase(self, scenario: Scenario, rate: float, duration: float) -> PhaseResult:
        assert self.observer is not None and self.submitter is not None
        limits = RampLimits(p99_limit_ms=self.config.p99_limit_ms)
        idle: dict[str, float] | None = None
        if self.config.idle_s > 0:
            idle_start, idle_wall = await self._scrape(), time.monotonic()
            await asyncio.sleep(self.config.idle_s)
            idle_end = await self._scrape()
            idle_wall = time.monotonic() - idle_wall
            idle = {
                name: (end["cpu_seconds"] - idle_start[name]["cpu_seconds"]) / idle_wall
                for name, end in idle_end.items()
                if "cpu_seconds" in end and "cpu_seconds" in idle_start.get(name, {})
            }
        before, wall = await self._scrape(), time.monotonic()
        phase = await run_phase(
            self.observer,
            self.submitter,
            scenario.workload,
            rate,
            duration,
            drain_timeout_s=self.config.drain_s,
            limits=limits,
            poisson=self.config.poisson,
        )
        phase.figures["services"] = service_usage(
            before, await self._scrape(), time.monotonic() - wall, tasks=phase.figures["submitted"], idle=idle
        )
        f = phase.figures
        print(
            f"  {scenario.key} @ {rate:g}/s x {duration:g}s: {f['submitted']} tasks {dict(f['outcomes'])}, "
            f"e2e p50 {f['e2e']['p50_ms']} ms p99 {f['e2e']['p99_ms']} ms, step overhead p50 "
            f"{f['step_overhead']['p50_ms']} ms, done/s {f['throughput_per_s']}, sustainable {f['sustainable']} "
            f"{'; '.join(f['not_sustainable_because'])}",
            flush=True,
        )
        print(f"  CPU per task, ms: {cpu_per_task_line(f['services'])}", flush=True)
        return phase

    async def _fixed(self, scenario: Scenario, rate: float, duration: float) -> dict[str, Any]:
        print(f"scenario {scenario.key}: {rate:g}/s for {duration:g}s", flush=True)
        phase = await self._phase(scenario, rate, duration)
        return {
            "key": scenario.key,
            "title": scenario.title,
            "workflow": scenario.workflow,
            "hops": scenario.hops,
            "phases": [_phase_figures(f"fixed {rate:g}/s", phase)],
        }

    async def _scenario_a(self, scenario: Scenario, result: dict[str, Any]) -> tuple[dict[str, Any], float | None]:
        """Ramp to find the max sustainable rate, then the target rate (profiled), draining after each."""
        cfg = self.config
        phases: list[dict[str, Any]] = []
        best = None
        if cfg.ramp:
            print(
                f"scenario {scenario.key}: ramp from {cfg.ramp_start:g}/s x{cfg.ramp_factor:g} up to {cfg.ramp_max:g}/s",
                flush=True,
            )
            ramp = await self._ramp(scenario, cfg.ramp_max, label="ramp")
            phases, best = [_phase_figures(label, phase) for label, phase in ramp.phases], ramp.best
        await self._drain_wait()
        print(f"scenario {scenario.key}: fixed {cfg.fixed_rate:g}/s for {cfg.phase_s:g}s", flush=True)
        profiler = self._start_profile(cfg.phase_s)
        fixed = await self._phase(scenario, cfg.fixed_rate, cfg.phase_s)
        if profiler is not None:
            result["profile"] = await self._finish_profile(*profiler)
        phases.insert(0, _phase_figures(f"fixed {cfg.fixed_rate:g}/s", fixed))
        await self._drain_wait()
        return {
            "key": scenario.key,
            "title": scenario.title,
            "workflow": scenario.workflow,
            "hops": scenario.hops,
            "phases": phases,
            "max_sustainable_rate": best,
        }, best

    async def _ramp(self, scenario: Scenario, up_to: float, *, label: str) -> Ramp:
        """Phases at ramp_rates(ramp_start, ramp_factor, up_to) until one is not sustainable."""
        cfg = self.config
        ramp = Ramp()
        judged: list[tuple[float, Any]] = []
        for rate in ramp_rates(min(cfg.ramp_start, up_to), cfg.ramp_factor, up_to):
            phase = await self._phase(scenario, rate, cfg.ramp_phase_s)
            ramp.phases.append((f"{label} {rate:g}/s", phase))
            assert phase.judgement is not None
            judged.append((rate, phase.judgement))
            if not phase.judgement.sustainable:
                break
        ramp.best = max_sustainable(judged) if judged else None
        return ramp

    async def _overload(self, scenario: Scenario, kafka_max_rate: float) -> dict[str, Any]:
        """Through the mesh's gateway (admission control on): a ramp of this path up to the Kafka
        path's max sustainable rate finds the gateway path's own (each submit is a gRPC call into
        the gateway on the same cores, so it sustains less), whose phase is the p99 reference; then
        overload_factor × that rate; the figures of loadtest.overload."""
        assert self.mesh is not None and self.observer is not None
        cfg = self.config
        kafka_submitter, self.submitter = (
            self.submitter,
            GrpcSubmitter(self.mesh.gateway_address, self.observer.rename, self.observer.refuse),
        )
        await asyncio.to_thread(self._restart_gateway, UNBOUNDED_ADMISSION)
        await self.submitter.start()
        try:
            print(f"overload: ramp via the gateway up to the Kafka path's {kafka_max_rate:g}/s", flush=True)
            ramp = await self._ramp(scenario, kafka_max_rate, label="gateway ramp")
            await self._drain_wait()
            if ramp.best is None:
                print("  overload: no rate was sustainable via the gateway; no overload phase", flush=True)
                return {
                    "kafka_max_sustainable_rate": kafka_max_rate,
                    "skipped": "no rate sustainable via the gateway",
                    "phases": [_phase_figures(label, phase) for label, phase in ramp.phases],
                }
            max_rate = ramp.best
            reference = next(phase for label, phase in ramp.phases if label == f"gateway ramp {max_rate:g}/s")
            bound = cfg.overload_in_flight or admission_bound(max_rate, reference.figures["e2e"].get("p99_ms"))
            await asyncio.to_thread(self._restart_gateway, bound)
            await self.submitter.stop()  # the gateway restarted: a fresh channel
            await self.submitter.start()
            rate = round(max_rate * cfg.overload_factor, 2)
            print(
                f"overload: gateway path max {max_rate:g}/s (Kafka path {kafka_max_rate:g}/s), bound {bound}, "
                f"then x{cfg.overload_factor:g} = {rate:g}/s",
                flush=True,
            )
            overloaded = await self._phase(scenario, rate, cfg.phase_s)
            await self._drain_wait()
        finally:
            await self.submitter.stop()
            self.submitter = kafka_submitter
        figures = overload_figures(
            overloaded.traces,
            start=overloaded.start,
            duration_s=cfg.phase_s,
            max_rate=max_rate,
            reference_p99_ms=reference.figures["e2e"].get("p99_ms"),
        )
        print(
            f"  overload {rate:g}/s: admitted {figures['admitted']} refused {figures['refused']}, completed/s "
            f"{figures['completed_per_s']} ({figures['throughput_ratio']} of {max_rate:g}), admitted p99 "
            f"{figures['admitted_p99_ms']} ms ({figures['p99_ratio']}x the {figures['reference_p99_ms']} ms at {max_rate:g}/s)",
            flush=True,
        )
        return {
            "offered_rate": rate,
            "factor": cfg.overload_factor,
            "kafka_max_sustainable_rate": kafka_max_rate,
            "admission_max_in_flight": bound,
            "admission": {k: v for k, v in self.mesh.extra_env.items() if k.startswith("LAMMESH_ADMISSION_")},
            "phases": [
                *(_phase_figures(label, phase) for label, phase in ramp.phases),
                _phase_figures(f"gateway {rate:g}/s", overloaded),
            ],
            **figures,
        }

    def _restart_gateway(self, bound: int) -> None:
        """The gateway again with admission bound `bound` (one tenant here: a small reserve)."""
        assert self.mesh is not None
        self.mesh.extra_env.update(
            {
                "LAMMESH_ADMISSION_MAX_IN_FLIGHT": str(bound),
                "LAMMESH_ADMISSION_MAX_IN_FLIGHT_PER_TENANT": str(bound),
                "LAMMESH_ADMISSION_RESERVE": str(max(1, bound // 10)),
            }
        )
        self.mesh.stop_service("gateway")
        self.mesh.respawn("gateway")

    async def _drain_wait(self) -> None:
        assert self.observer is not None
        deadline = time.monotonic() + self.config.drain_s * 4
        while time.monotonic() < deadline and any(t.outcome is None for t in self.observer.traces.values()):
            await asyncio.sleep(0.5)
        # Tasks finishing after their phase's drain count as lost there; stop tracking them.
        for task_id in [i for i, t in self.observer.traces.items() if t.outcome is not None]:
            del self.observer.traces[task_id]

    def _start_profile(self, duration: float) -> tuple[subprocess.Popen[bytes], Path, str] | None:
        name = self.config.profile
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not name or self.mesh is None or not Path(spy).exists():
            return None
        proc = next((p for p in self.mesh.processes if p.name == name), None)
        if proc is None:
            return None
        out = self.mesh.run_dir / f"profile-{name}.txt"
        command = [
            spy,
            "record",
            "--pid",
            str(proc.pid),
            "--duration",
            str(int(duration)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--nonblocking",
            "--output",
            str(out),
        ]
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), out, name

    async def _finish_profile(self, popen: subprocess.Popen[bytes], out: Path, name: str) -> dict[str, Any] | None:
        try:
            await asyncio.to_thread(popen.wait, 60)
        except subprocess.TimeoutExpired:
            popen.kill()
        if not out.exists():
            err = popen.stderr.read().decode(errors="replace") if popen.stderr else ""
            return {"service": name, "error": err[-500:] or "py-spy wrote nothing"}
        summary = summarise_profile(out.read_text())
        self.config.results_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(out, self.config.results_dir / f"profile-{name}.collapsed.txt")
        return {"service": name, "collapsed_stacks": f"loadtest/results/profile-{name}.collapsed.txt", **summary}


def _BOILERPLATE(frame: str) -> bool:
    return any(
        part in frame
        for part in (
            "typer/",
            "click/",
            "asyncio/runners.py",
            "uvloop/__init__",
            "threading.py",
            "lammesh/cli.py",
            "<module>",
            "(lammesh:",
            "runpy.py",
        )
    )


def summarise_profile(collapsed: str, top: int = 40) -> dict[str, Any]:
    """Inclusive and self shares per function from py-spy's collapsed stacks (`a;b;c count`)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [
            f for f in stack.split(";") if f and not f.startswith(("process ", "thread ")) and not _BOILERPLATE(f)
        ]
        for frame in set(frames):
            inclusive[frame] += count
        if frames:
            own[frames[-1]] += count
    if not total:
        return {"samples": 0, "top_inclusive": [], "top_self": [], "top_project": []}
    return {
        "samples": total,
        "top_inclusive": [{"function": f, "share": round(c / total, 4)} for f, c in inclusive.most_common(top)],
        "top_self": [{"function": f, "share": round(c / total, 4)} for f, c in own.most_common(top)],
        "top_project": [
            {"function": f, "share": round(c / total, 4)} for f, c in inclusive.most_common() if "lammesh/" in f
        ][:top],
    }


def service_usage(
    before: dict[str, dict[str, float]],
    after: dict[str, dict[str, float]],
    wall_s: float,
    *,
    tasks: int = 0,
    idle: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Per instance over one phase: CPU utilisation, CPU milliseconds per task of the phase (when
    `tasks` is given; the phase waits for its tasks, so this is all their work plus the instance's
    background work over the same wall time), and per topic the records handled, their mean
    handling time and the busy fraction (handling time / wall time: near 1 = a serial consumer is
    saturated, whatever the CPU says). With `idle` (each instance's CPU seconds per second under no
    load, measured just before), also `cpu_ms_per_task_net`: the same with that background taken off."""
    usage: dict[str, Any] = {}
    for instance, end in after.items():
        start = before.get(instance, {})
        entry: dict[str, Any] = {}
        if "cpu_seconds" in end and "cpu_seconds" in start:
            entry["cpu_utilisation"] = round((end["cpu_seconds"] - start["cpu_seconds"]) / wall_s, 3)
            if tasks:
                used = end["cpu_seconds"] - start["cpu_seconds"]
                entry["cpu_ms_per_task"] = round(used * 1000 / tasks, 2)
                if idle is not None and instance in idle:
                    entry["idle_cpu_utilisation"] = round(idle[instance], 3)
                    entry["cpu_ms_per_task_net"] = round((used - idle[instance] * wall_s) * 1000 / tasks, 2)
        topics = {}
        for key in end:
            if not key.endswith(":count"):
                continue
            topic = key[: -len(":count")]
            count = end[key] - start.get(key, 0.0)
            seconds = end.get(f"{topic}:sum", 0.0) - start.get(f"{topic}:sum", 0.0)
            if count > 0:
                topics[topic] = {
                    "records": int(count),
                    "mean_handle_ms": round(seconds / count * 1000, 3),
                    "busy_fraction": round(seconds / wall_s, 3),
                }
        if topics:
            entry["records"] = topics
            entry["busy_fraction"] = round(sum(t["busy_fraction"] for t in topics.values()), 3)
        usage[instance] = entry
    return usage


def cpu_per_task_line(services: dict[str, Any]) -> str:
    """`coordinator-0 12.3, noop-0 4.5, …, mesh total 30.1` (the mesh: every instance but the
    machine, which counts other users' work too)."""
    line = _cpu_line(services, "cpu_ms_per_task")
    if any("cpu_ms_per_task_net" in u for u in services.values()):
        line += "; less idle CPU: " + _cpu_line(services, "cpu_ms_per_task_net")
    return line


def _cpu_line(services: dict[str, Any], key: str) -> str:
    parts = [f"{name} {u[key]:.2f}" for name, u in services.items() if key in u and name != "machine"]
    mesh = sum(u[key] for name, u in services.items() if name != "machine" and key in u)
    return ", ".join([*parts, f"mesh total {mesh:.2f}"])


def _machine_busy_seconds() -> float:
    """CPU seconds all processes on this machine spent (other users' work included)."""
    times = psutil.cpu_times()
    return (
        times.user
        + times.system
        + getattr(times, "nice", 0.0)
        + getattr(times, "irq", 0.0)
        + getattr(times, "softirq", 0.0)
    )


def _delta(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else round(after - before, 2)


def _config_dict(cfg: BenchConfig) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in cfg.__dict__.items()}


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    """Ratios against the baselines, and the targets of issue #6 next to what was reached."""
    rows: list[dict[str, Any]] = []
    hop = (result.get("baselines") or {}).get("kafka_hop") or {}
    hop_p50 = hop.get("p50_ms")
    a = next((s for s in result.get("scenarios", []) if s["key"].startswith("a_") and not s.get("skipped")), None)
    figures: dict[str, Any] = {"kafka_hop_p50_ms": hop_p50}
    if a:
        fixed = a["phases"][0]
        figures["max_sustainable_rate"] = a.get("max_sustainable_rate")
        rows.append(
            {"figure": "(a) max sustainable rate, sagas/s", "value": a.get("max_sustainable_rate"), "target": "≥ 300"}
        )
        for pct in ("p50", "p99"):
            value = fixed["overhead"].get(f"{pct}_ms")
            target = "≤ 25 ms" if pct == "p50" else "≤ 80 ms"
            rows.append(
                {
                    "figure": f"(a) saga overhead {pct} at {fixed['offered_rate']:g}/s, ms (e2e − step work)",
                    "value": value,
                    "target": target,
                }
            )
            figures[f"overhead_{pct}_ms_at_fixed"] = value
        best = a.get("max_sustainable_rate")
        at_best = next((p for p in a["phases"] if p["label"] == f"ramp {best:g}/s"), None) if best else None
        if at_best:
            for pct in ("p50", "p99"):
                rows.append(
                    {
                        "figure": f"(a) saga overhead {pct} at the max sustainable rate {best:g}/s, ms",
                        "value": at_best["overhead"].get(f"{pct}_ms"),
                        "target": "",
                    }
                )
                figures[f"overhead_{pct}_ms_at_max_rate"] = at_best["overhead"].get(f"{pct}_ms")
            rows.append(
                {
                    "figure": f"(a) per-step overhead p50 / p99 at {best:g}/s, ms",
                    "value": f"{at_best['step_overhead'].get('p50_ms')} / {at_best['step_overhead'].get('p99_ms')}",
                    "target": "",
                }
            )
            services = at_best.get("services", {})
            machine_cpu = services.get("machine", {}).get("cpu_utilisation")
            mesh_cpu = sum(v.get("cpu_utilisation") or 0 for k, v in services.items() if k != "machine")
            rows.append(
                {
                    "figure": f"(a) CPU at {best:g}/s, cores: whole machine (incl. other users) / mesh + broker + load generator",
                    "value": f"{machine_cpu} / {mesh_cpu:.2f}",
                    "target": f"of {os.cpu_count()}",
                }
            )
            coordinator = {k: v for k, v in services.items() if k.startswith("coordinator")}
            for instance, usage in coordinator.items():
                rows.append(
                    {
                        "figure": f"(a) {instance} at {best:g}/s: CPU utilisation / busy fraction of its record loop",
                        "value": f"{usage.get('cpu_utilisation')} / {usage.get('busy_fraction')}",
                        "target": "",
                    }
                )
        lowest = min(
            (p for p in a["phases"] if p["label"].startswith("ramp ")), key=lambda p: p["offered_rate"], default=None
        )
        if lowest:
            for pct in ("p50", "p99"):
                rows.append(
                    {
                        "figure": f"(a) saga overhead {pct} at {lowest['offered_rate']:g}/s (lightly loaded), ms",
                        "value": lowest["overhead"].get(f"{pct}_ms"),
                        "target": "",
                    }
                )
        if hop_p50:
            floor = hop_p50 * a["hops"]
            for label, phase in (
                (f"{lowest['offered_rate']:g}/s" if lowest else "", lowest),
                (f"{best:g}/s" if best else "", at_best),
                (f"{fixed['offered_rate']:g}/s", fixed),
            ):
                if phase is None or phase["overhead"].get("p50_ms") is None:
                    continue
                ratio = round(phase["overhead"]["p50_ms"] / floor, 2)
                rows.append(
                    {
                        "figure": f"(a) overhead p50 at {label} / ({a['hops']} hops × Kafka hop p50 {hop_p50:.2f} ms)",
                        "value": ratio,
                        "target": "≤ 1.5",
                    }
                )
                figures[f"overhead_over_hop_floor_at_{phase['offered_rate']:g}"] = ratio
                step = phase["step_overhead"].get("p50_ms")
                if step is not None:
                    rows.append(
                        {
                            "figure": f"(a) per-step overhead p50 at {label} / (2 × Kafka hop p50)",
                            "value": round(step / (2 * hop_p50), 2),
                            "target": "(a step = 2 watcher calls + 2 hops)",
                        }
                    )
    overload = result.get("overload")
    if overload and overload.get("skipped"):
        rows.append(
            {"figure": "(a) overload via the gateway", "value": f"not run: {overload['skipped']}", "target": ""}
        )
    elif overload:
        rate, best = overload["offered_rate"], overload["max_sustainable_rate"]
        rows.append(
            {
                "figure": f"(a) gateway path: max sustainable (Kafka path {overload['kafka_max_sustainable_rate']:g}/s)",
                "value": f"{best:g}/s",
                "target": "",
            }
        )
        rows.append(
            {
                "figure": f"(a) overload {rate:g}/s via the gateway: completed/s, share of the gateway path's max {best:g}/s",
                "value": f"{overload['completed_per_s']} ({overload['throughput_ratio']})",
                "target": "≥ 0.9",
            }
        )
        rows.append(
            {
                "figure": f"(a) overload {rate:g}/s: admitted p99 / p99 at {best:g}/s via the gateway, ms",
                "value": f"{overload['admitted_p99_ms']} / {overload['reference_p99_ms']} ({overload['p99_ratio']}x)",
                "target": "≤ 3x",
            }
        )
        rows.append(
            {
                "figure": f"(a) overload {rate:g}/s: admitted / refused (RESOURCE_EXHAUSTED) / admitted, not finished",
                "value": f"{overload['admitted']} / {overload['refused']} / {overload['admitted_not_finished']}",
                "target": "",
            }
        )
        figures["overload_throughput_ratio"] = overload["throughput_ratio"]
        figures["overload_p99_ratio"] = overload["p99_ratio"]
    d = next((s for s in result.get("scenarios", []) if s["key"].startswith("d_") and not s.get("skipped")), None)
    if d:
        phase = d["phases"][0]
        rows.append(
            {
                "figure": "(d) outcomes as expected (completed/compensated)",
                "value": f"{phase['outcomes']} expected {phase['expected']}, unexpected {phase['unexpected_outcomes']}",
                "target": "90% completed, 10% compensated, 0 lost",
            }
        )
    return {"rows": rows, "figures": figures}


async def bench(config: BenchConfig) -> dict[str, Any]:
    result = await Bench(config).run()
    json_path, md_path = report.write(result, config.results_dir, config.stem)
    print(md_path.read_text())
    print(f"wrote {json_path} and {md_path}")
    return result
