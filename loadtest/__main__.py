"""`python -m loadtest bench|soak|chaos` — see loadtest/__init__.py and BENCHMARKS.md."""

from __future__ import annotations

import asyncio
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from loadtest.bench import RESULTS, BenchConfig, bench

app = typer.Typer(no_args_is_help=True, help="LAM Mesh load test (open loop).")


def _env(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise typer.BadParameter(f"--env wants KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


@app.command("bench")
def bench_command(
    rate: Annotated[float, typer.Option(help="Fixed-rate phase of scenario (a), sagas/s.")] = 100.0,
    phase_s: Annotated[float, typer.Option(help="Seconds per fixed phase.")] = 10.0,
    ramp_start: float = 5.0,
    ramp_factor: float = 1.5,
    ramp_max: float = 400.0,
    ramp_phase_s: Annotated[float, typer.Option(help="Seconds per ramp step.")] = 10.0,
    no_ramp: bool = False,
    no_overload: Annotated[
        bool, typer.Option(help="Skip the overload phase (max rate, then 3x it, via the gateway).")
    ] = False,
    overload_factor: Annotated[
        float, typer.Option(help="The overload phase's rate as a multiple of the max sustainable rate.")
    ] = 3.0,
    overload_in_flight: Annotated[
        int | None,
        typer.Option(
            help="The gateway's admission bound in the overload phase; default max rate x its p99 x 3 (Little's law)."
        ),
    ] = None,
    failure_rate: Annotated[float | None, typer.Option(help="Rate of scenario (d); default half the max rate.")] = None,
    meeting_rate: Annotated[float, typer.Option(help="Rate of scenario (c), the meeting follow-up workflow.")] = 2.0,
    p99_limit_ms: float = 1000.0,
    partitions: int = 1,
    coordinators: int = 1,
    scenarios: Annotated[str, typer.Option(help="Letters of the scenarios to run, e.g. 'ad'.")] = "abcd",
    gateway: Annotated[
        str | None, typer.Option(help="host:port of a gateway: submit via TaskService.SubmitTask.")
    ] = None,
    kafka_bootstrap: Annotated[str | None, typer.Option(help="Use this broker instead of starting one.")] = None,
    profile: Annotated[
        str, typer.Option(help="Service to py-spy during (a)'s fixed phase; '' for none.")
    ] = "coordinator",
    env: Annotated[list[str], typer.Option(help="KEY=VALUE for every service process (settings tuning).")] = [],
    stem: Annotated[str, typer.Option(help="Result file name: loadtest/results/<stem>.json/.md")] = "latest",
    results_dir: Path = RESULTS,
    drain_s: float = 60.0,
    poisson: Annotated[
        bool, typer.Option(help="Poisson arrivals (same mean rate) instead of uniform spacing.")
    ] = False,
    idle_s: Annotated[
        float,
        typer.Option(
            help="Seconds of no load before each phase, to take each process's idle CPU off its CPU per task."
        ),
    ] = 0.0,
) -> None:
    """Baselines + scenarios (a) fixed rate and ramp, (b), (c), (d); writes loadtest/results/<stem>.json/.md."""
    config = BenchConfig(
        fixed_rate=rate,
        phase_s=phase_s,
        ramp_start=ramp_start,
        ramp_factor=ramp_factor,
        ramp_max=ramp_max,
        ramp_phase_s=ramp_phase_s,
        ramp=not no_ramp,
        overload=not no_overload,
        overload_factor=overload_factor,
        overload_in_flight=overload_in_flight,
        failure_rate=failure_rate,
        meeting_rate=meeting_rate,
        p99_limit_ms=p99_limit_ms,
        partitions=partitions,
        coordinators=coordinators,
        scenarios=list(scenarios),
        gateway=gateway,
        kafka_bootstrap=kafka_bootstrap,
        profile=profile or None,
        extra_env=_env(env),
        stem=stem,
        results_dir=results_dir,
        drain_s=drain_s,
        poisson=poisson,
        idle_s=idle_s,
        command="python -m loadtest " + shlex.join(sys.argv[1:]),
    )
    asyncio.run(bench(config))


@app.command("soak")
def soak_command(
    minutes: Annotated[float, typer.Option(help="How long to run.")] = 10.0,
    rate: Annotated[
        float | None, typer.Option(help="Sagas/s; default half the max rate in results/latest.json.")
    ] = None,
    partitions: int = 1,
    kafka_bootstrap: str | None = None,
    env: Annotated[list[str], typer.Option(help="KEY=VALUE for every service process.")] = [],
    results_dir: Path = RESULTS,
) -> None:
    """Scenario (a) (with 10% compensations) at a steady rate; RSS growth per service, backlog, lost tasks."""
    from loadtest.soak import soak

    asyncio.run(
        soak(
            minutes=minutes,
            rate=rate,
            partitions=partitions,
            kafka_bootstrap=kafka_bootstrap,
            extra_env=_env(env),
            results_dir=results_dir,
            command="python -m loadtest " + shlex.join(sys.argv[1:]),
        )
    )


@app.command("chaos")
def chaos_command(
    tasks: Annotated[int, typer.Option(help="Sagas to submit (noop and meeting follow-ups).")] = 1000,
    duration: Annotated[float, typer.Option(help="Seconds the submissions (and the faults) are spread over.")] = 240.0,
    kill_interval: Annotated[
        float, typer.Option(help="Seconds between SIGKILLs of a random service (jittered ±50%).")
    ] = 5.0,
    coordinator_kills: Annotated[int, typer.Option(help="Times the coordinator is SIGKILLed and restarted.")] = 2,
    broker_restarts: Annotated[int, typer.Option(help="Times the Kafka broker is restarted.")] = 1,
    broker_hard_kill: Annotated[
        bool, typer.Option(help="SIGKILL the broker instead of a controlled shutdown.")
    ] = False,
    meeting_share: Annotated[
        float, typer.Option(help="Share of meeting follow-up sagas (the rest are noop sagas).")
    ] = 0.12,
    noop_failure_share: Annotated[
        float, typer.Option(help="Share of noop sagas that fail at s4 and compensate.")
    ] = 0.1,
    stall_timeout: Annotated[
        float, typer.Option(help="After the load: give up when no task ended for this long.")
    ] = 150.0,
    email_window_kills: Annotated[
        int,
        typer.Option(help="SIGKILLs of the email service after SMTP accepted a mail and before its result was stored."),
    ] = 3,
    review_share: Annotated[
        float, typer.Option(help="Share of tasks that wait for a review, approved or rejected through the gateway.")
    ] = 0.04,
    cancel_share: Annotated[
        float, typer.Option(help="Share of tasks cancelled through the gateway while a slow step runs.")
    ] = 0.03,
    watcher_replicas: Annotated[
        int, typer.Option(help="Instances of each watcher; a kill takes one only while its siblings serve.")
    ] = 2,
    rolling: Annotated[
        bool,
        typer.Option(
            help="A rolling update instead of kills: each instance in turn SIGTERMed, restarted and SERVING again "
            "(watchers run 2 replicas); no coordinator kills or broker restarts."
        ),
    ] = False,
    seed: Annotated[int, typer.Option(help="Seeds the task mix and the choice of victims.")] = 1,
    workdir: Annotated[
        Path, typer.Option(help="Broker, CRM, Maildir, state and logs of the run (wiped first).")
    ] = Path(".run/chaos"),
    results: Annotated[Path, typer.Option(help="Where the counts go (JSON).")] = RESULTS / "chaos.json",
) -> None:
    """The mesh under load while services, the coordinator and the broker are killed; then: 0 lost,
    0 stuck, 0 duplicate side effects, every compensated task's CRM rows as before, 0 tasks ended by
    an infrastructure fault, every cancel and review decision applied once. Exit 1 on any violation."""
    from loadtest.chaos import ChaosConfig, chaos

    config = ChaosConfig(
        tasks=tasks,
        duration_s=duration,
        kill_interval_s=kill_interval,
        coordinator_kills=coordinator_kills,
        broker_restarts=broker_restarts,
        broker_hard_kill=broker_hard_kill,
        meeting_share=meeting_share,
        noop_failure_share=noop_failure_share,
        stall_timeout_s=stall_timeout,
        seed=seed,
        workdir=workdir.resolve(),
        email_window_kills=0 if rolling else email_window_kills,
        review_share=review_share,
        cancel_share=cancel_share,
        watcher_replicas=watcher_replicas,
        rolling=rolling,
    )
    verdict = asyncio.run(chaos(config, results=results, command="python -m loadtest " + shlex.join(sys.argv[1:])))
    raise typer.Exit(0 if verdict.ok else 1)


if __name__ == "__main__":
    app()
