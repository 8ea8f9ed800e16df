"""The chaos test: the mesh as separate processes under load, while services, the coordinator and
the broker are killed and restarted; then the invariants, checked from the real data.

`python -m loadtest chaos` (`make chaos`) runs the long version; tests/e2e/test_chaos.py a short one.

What it does:
1. Starts a dedicated broker (free ports, its own folder: it is restarted, so it is never one
   that other work shares), an SMTP sink and every service the workflows need, each its own
   process (`lammesh.up.Mesh`), every watcher as `watcher_replicas` instances the coordinator
   balances over, and the gateway (cancels and reviews go through it). Seeds a fresh CRM
   database with one account per meeting task, so each meeting task owns its rows and "left
   exactly as before" has one right answer.
2. Submits the tasks open-loop (TaskRequested on Kafka, the backend path), spread over
   `duration_s`: noop sagas (`noop_saga_watched`; a share fails at s4 and compensates s3..s1) and
   meeting follow-ups (`meeting_followup` on the sample meetings: clean ones complete; the
   injected one is blocked before any agent reads it; an unknown account fails the CRM step; the
   injected one through a variant without the transcript check is stopped by the policy watcher
   before the send, *after* the CRM write, which is then restored); tasks that wait for a review,
   approved or rejected through the gateway, and tasks cancelled through it while a slow step runs
   (loadtest/chaos_controls.py).
3. Meanwhile: SIGKILLs a random service instance every `kill_interval_s` (of a replicated
   service only one whose siblings are SERVING) and restarts it; kills the coordinator
   (SIGKILL) `coordinator_kills` times; restarts the broker `broker_restarts` times;
   kills the email service `email_window_kills` times right after the SMTP sink accepted a mail and
   before its result was stored (the duplicate-mail window: the service holds there on purpose);
   and, like a process supervisor, restarts any service that exits on its own (counted).
4. Waits until every task ended, or until none ended for `stall_timeout_s`.
5. Judges (`judge`, pure): lost tasks (no event ever), stuck tasks (started, never ended), CRM
   changes applied twice (revisions of a task's opportunity; its version), mails sent twice
   (Message-ID is derived from the step key), effects of tasks that did not complete, completed
   tasks missing their effect, compensated tasks whose CRM rows differ from the seed, and
   compensated tasks with a completed step left uncompensated (from the task events); tasks that
   ended otherwise than with no faults ("ended by an infrastructure fault"); review decisions and
   cancels not applied exactly once, and steps compensated twice (events and the gateway's read
   model).

Every violation is listed; the exit status is 1 when there is any.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import shutil
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from lammesh import envelope as serde
from lammesh.dev.localkafka import REPO_ROOT, free_ports
from lammesh.dev.smtpsink import read_maildir
from lammesh.kafka import EnvelopeProducer
from lammesh.kafka.client import client_config
from lammesh.settings import Settings
from lammesh.structs import to_struct
from lammesh.topics import TASKS_EVENTS, TASKS_REQUESTED
from lammesh.up import Mesh, MeshError, ServiceProcess
from lammesh.v1 import task_pb2
from lammesh.workflow import load_workflows
from lammesh_services.tools.crm.seed import seed_store
from lammesh_services.tools.crm.store import CrmStore, Revision
from lammesh_services.tools.email.tool import HOLDING as EMAIL_HOLDING
from loadtest import meetings
from loadtest.chaos_controls import (
    CONTROL_EVENT_KINDS,
    CONTROL_VIOLATIONS,
    REVIEWED,
    ControlDriver,
    ControlEvent,
    ControlLog,
    cancel_expected,
    cancel_input,
    compensated_twice,
    judge_cancel,
    judge_read_model,
    judge_review,
    review_input,
    reviewed_workflow,
)

WORKFLOWS = REPO_ROOT / "workflows"
NO_INJECTION_CHECK = "meeting_followup_no_injection_check"
TERMINAL = {
    "task.completed": "completed",
    "task.compensated": "compensated",
    "task.failed": "failed",
    "task.rejected": "rejected",
}
TOPIC_PREFIX = "chaos"

# What each kind of task is, and what it should end as when nothing goes wrong. Under chaos a
# task may legitimately end otherwise (a watcher killed mid-check fails closed and compensates);
# that is reported, and the invariants are judged on what each task actually did.
KINDS: dict[str, tuple[str, str, str]] = {
    # kind: (workflow, sample meeting or "", expected outcome)
    "noop": ("noop_saga_watched", "", "completed"),
    "noop_fail": ("noop_saga_watched", "", "compensated"),
    "meeting": ("meeting_followup", "01-acme-proposal", "completed"),
    "meeting_globex": ("meeting_followup", "02-globex-negotiation", "completed"),
    "meeting_injected": ("meeting_followup", "03-umbrella-injection", "compensated"),
    "meeting_policy_block": (NO_INJECTION_CHECK, "03-umbrella-injection", "compensated"),
    "meeting_unknown_account": ("meeting_followup", "04-initech-crm-failure", "compensated"),
    # cancels and review decisions through the gateway (loadtest.chaos_controls)
    "review_approve": (REVIEWED, "", "completed"),
    "review_reject": (REVIEWED, "", "compensated"),
    "cancel": ("noop_saga_watched", "", "compensated"),
}
CONTROL_KINDS = {"review_approve", "review_reject", "cancel"}
MEETING_MIX = [
    "meeting",
    "meeting_globex",
    "meeting",
    "meeting_globex",
    "meeting_injected",
    "meeting_policy_block",
    "meeting_policy_block",
    "meeting_unknown_account",
]
NOOP_SERVICES = ["coordinator", "noop", "loop", "policy"]
CONTROL_SERVICES = ["pii", "gateway"]
"""What cancels and review decisions need besides the noop services."""
SERVICES = [
    *NOOP_SERVICES,
    *CONTROL_SERVICES,
    "injection",
    "grounding",
    "notes",
    "insights",
    "followup",
    "crm",
    "email",
]
WATCHERS = {"loop", "policy", "pii", "injection", "grounding"}
"""Stateless gRPC services: they run `watcher_replicas` instances, like their Deployments (>= 2,
docs/deploy.md), and the coordinator balances over them (decision 0632)."""


@dataclass
class ChaosConfig:
    tasks: int = 1000
    duration_s: float = 240.0
    """Submissions are spread over this long; the faults happen during it."""
    meeting_share: float = 0.12
    noop_failure_share: float = 0.1
    kill_interval_s: float = 5.0
    restart_delay_s: float = 1.0
    coordinator_kills: int = 2
    broker_restarts: int = 1
    broker_hard_kill: bool = False
    """SIGKILL the broker instead of a controlled shutdown."""
    stall_timeout_s: float = 150.0
    seed: int = 1
    workdir: Path = REPO_ROOT / ".run" / "chaos"
    services: list[str] | None = None
    """None: what the workload needs (the noop services only when meeting_share is 0)."""
    partitions: int = 3
    log_level: str = "INFO"
    email_window_kills: int = 3
    """SIGKILLs of the email service just after a mail was accepted and before its result was stored
    (the duplicate-mail window, decision 0413); needs meeting tasks."""
    email_hold_s: float = 1.5
    """How long the email service waits in that window (LAMMESH_EMAIL_HOLD_AFTER_SEND_S) while
    email_window_kills remain: long enough to be killed there on purpose."""
    review_share: float = 0.04
    """Share of tasks that wait for a review, half approved and half rejected through the gateway."""
    cancel_share: float = 0.03
    """Share of tasks cancelled through the gateway while their step s3 runs (it sleeps cancel_delay_ms)."""
    cancel_delay_ms: float = 10_000
    watcher_replicas: int = 2
    """Instances of each watcher; a random kill takes one only while its siblings are SERVING (0650)."""
    rolling: bool = False
    """A rolling update instead of random SIGKILLs: every instance in turn is stopped with SIGTERM
    (it drains), started again and waited for until SERVING, round after round while the load runs;
    the watchers run `watcher_replicas` instances, as a Deployment with maxUnavailable 1 would.
    Coordinator kills and broker restarts are not made in this mode."""
    sibling_settle_s: float = 3.0
    """A replica counts as its sibling's cover only this long after it was SERVING again (the
    callers' channels reconnect within LAMMESH_GRPC_RECONNECT_BACKOFF_MAX_MS; as a Deployment's
    minReadySeconds)."""
    rolling_pause_s: float = 2.0
    """Between one instance SERVING again and stopping the next."""
    rolling_instances: list[str] | None = None
    """The instances to restart, in this order (None: every instance, the coordinator first)."""

    @property
    def controls(self) -> bool:
        return self.review_share > 0 or self.cancel_share > 0


@dataclass
class Plan:
    task_id: str
    kind: str
    workflow: str
    task_input: dict[str, Any]
    account_domain: str = ""
    approve: bool | None = None
    """A review task: whether its review is approved."""
    acked: bool = False
    submit_attempts: int = 0


@dataclass
class Trace:
    events: dict[int, tuple[str, str]] = field(default_factory=dict)  # sequence -> (kind, step)
    outcome: str | None = None
    reason: str = ""
    """Why it rolled back or failed (the task.compensating / task.failed message)."""
    repeated_events: int = 0
    controls: list[ControlEvent] = field(default_factory=list)
    """The events that bear on cancels and reviews (loadtest.chaos_controls), as read."""


# -- the workload ---------------------------------------------------------------------------------


def plan_tasks(config: ChaosConfig) -> list[Plan]:
    """The tasks, in submission order (shuffled by the seed); meeting tasks own their CRM account."""
    rng = random.Random(config.seed)
    meeting_count = round(config.tasks * config.meeting_share)
    reviews = round(config.tasks * config.review_share)
    cancels = round(config.tasks * config.cancel_share)
    noops = config.tasks - meeting_count - reviews - cancels
    noop_fails = round(noops * config.noop_failure_share)
    kinds = (
        [MEETING_MIX[i % len(MEETING_MIX)] for i in range(meeting_count)]
        + [("review_approve", "review_reject")[i % 2] for i in range(reviews)]
        + ["cancel"] * cancels
        + ["noop_fail"] * noop_fails
        + ["noop"] * (noops - noop_fails)
    )
    rng.shuffle(kinds)
    plans = []
    for index, kind in enumerate(kinds):
        workflow, sample, _ = KINDS[kind]
        task_id = f"chaos{config.seed}-{index:05d}-{kind.replace('_', '-')}"
        if kind in ("review_approve", "review_reject"):
            plans.append(Plan(task_id, kind, workflow, review_input(index), approve=kind == "review_approve"))
            continue
        if kind == "cancel":
            plans.append(Plan(task_id, kind, workflow, cancel_input(index, config.cancel_delay_ms)))
            continue
        if not sample:
            task_input: dict[str, Any] = {"payload": {"n": index, "text": "chaos"}}
            if kind == "noop_fail":
                task_input["faults"] = {"s4": {"fail": True, "retryable": False}}
            plans.append(Plan(task_id, kind, workflow, task_input))
            continue
        meeting = meetings.sample(sample)
        own = meetings.own_domain(
            index, meeting["account_domain"]
        )  # a domain (account, contacts, opportunity) per task
        plans.append(Plan(task_id, kind, workflow, meetings.task_input(meeting, own), account_domain=own))
    return plans


def crm_seed(plans: list[Plan]) -> dict[str, Any]:
    """One account per meeting task. The unknown-account sample (Initech) is deliberately not seeded."""
    return meetings.crm_seed(plan.account_domain for plan in plans if plan.account_domain)


def write_workflows(directory: Path) -> None:
    """The repository's workflows, plus the meeting workflow without the transcript check (as in
    tests/e2e/test_meeting_followup.py): the policy watcher stops the send after the CRM write."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in WORKFLOWS.glob("*.yaml"):
        shutil.copy(path, directory / path.name)
    variant = yaml.safe_load((WORKFLOWS / "meeting_followup.yaml").read_text())
    variant["name"] = NO_INJECTION_CHECK
    notes = next(step for step in variant["steps"] if step["id"] == "notes")
    notes.pop("watchers", None)
    (directory / f"{NO_INJECTION_CHECK}.yaml").write_text(yaml.safe_dump(variant))
    watched = yaml.safe_load((WORKFLOWS / "noop_saga_watched.yaml").read_text())
    (directory / f"{REVIEWED}.yaml").write_text(yaml.safe_dump(reviewed_workflow(watched)))


# -- following the task events ---------------------------------------------------------------------


class EventLog:
    """Reads <prefix>.tasks.events from the beginning (no consumer group), through broker restarts."""

    def __init__(self, settings: Settings) -> None:
        self.traces: dict[str, Trace] = {}
        self._consumer = AIOKafkaConsumer(
            TASKS_EVENTS.name(settings),
            **client_config(settings, f"chaos-events-{uuid.uuid4().hex[:6]}"),
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        self._task = asyncio.create_task(self._read(), name="chaos-events")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()

    def ended(self, task_ids: list[str]) -> int:
        return sum(1 for t in task_ids if (trace := self.traces.get(t)) is not None and trace.outcome)

    async def _read(self) -> None:
        while True:
            try:
                batch = await self._consumer.getmany(timeout_ms=200)
            except KafkaError:
                await asyncio.sleep(0.5)  # the broker is restarting; the consumer reconnects
                continue
            for records in batch.values():
                for record in records:
                    event = serde.unpack(serde.decode(record.value), task_pb2.TaskEvent)
                    trace = self.traces.setdefault(event.task_id, Trace())
                    if event.sequence in trace.events:  # an output repeated after a crash (allowed)
                        trace.repeated_events += 1
                        continue
                    trace.events[event.sequence] = (event.kind, event.step_id)
                    if event.kind in CONTROL_EVENT_KINDS:
                        review_id = event.details.fields.get("review_id")
                        trace.controls.append(
                            ControlEvent(
                                event.kind,
                                event.step_id,
                                event.message,
                                review_id.string_value if review_id is not None else "",
                                event.at.ToNanoseconds() / 1e9,
                            )
                        )
                    if event.kind in ("task.compensating", "task.failed", "task.rejected") and not trace.reason:
                        trace.reason = event.message
                    if event.kind in TERMINAL and trace.outcome is None:
                        trace.outcome = TERMINAL[event.kind]


# -- judging --------------------------------------------------------------------------------------


@dataclass
class Evidence:
    """What the run left behind, read from the real stores."""

    seed_rows: dict[str, list[dict[str, Any]]]
    """CRM rows right after seeding, per domain: {"accounts": [...], "contacts": [...], "opportunities": [...]}."""
    final_rows: dict[str, dict[str, list[dict[str, Any]]]]
    """The same, per domain, after the run."""
    opportunity_revisions: Counter[str]
    """Revisions of the opportunities table per step key ("<task>/crm"), undone or not."""
    undone_revisions: Counter[str]
    mails: Counter[str]
    """Mails in the sink per X-Lammesh-Step ("<task>/email")."""
    message_ids: Counter[str]


@dataclass
class Verdict:
    counts: dict[str, int]
    outcomes: dict[str, Counter[str]]
    violations: dict[str, list[str]]
    unexpected_reasons: Counter[str] = field(default_factory=Counter)
    """Why tasks ended by a fault (otherwise than expected), by kind of reason."""

    @property
    def ok(self) -> bool:
        return not any(self.violations.values())


def expected_outcome(plan: Plan, trace: Trace, controls: ControlLog) -> str:
    """How the task ends when no fault touches it (a cancel task: as its cancel went)."""
    if plan.kind == "cancel":
        return cancel_expected(controls.cancels.get(plan.task_id), trace.controls)
    return KINDS[plan.kind][2]


def judge(
    plans: list[Plan],
    traces: dict[str, Trace],
    evidence: Evidence,
    compensatable: dict[str, set[str]],
    controls: ControlLog | None = None,
) -> Verdict:
    """The invariants, over what the tasks did (events), what the stores hold and what the gateway
    was asked (cancels, review decisions)."""
    controls = controls or ControlLog()
    violations: dict[str, list[str]] = {
        key: []
        for key in (
            "lost",
            "stuck",
            "ended_by_fault",
            *CONTROL_VIOLATIONS,
            "crm_applied_twice",
            "mail_sent_twice",
            "effect_without_completion",
            "completed_without_effect",
            "compensated_crm_not_restored",
            "step_left_uncompensated",
        )
    }
    outcomes: dict[str, Counter[str]] = {}
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for plan in plans:
        trace = traces.get(plan.task_id)
        outcome = trace.outcome if trace else None
        outcomes.setdefault(plan.kind, Counter())[outcome or ("lost" if trace is None else "stuck")] += 1
        counts["submitted"] += 1
        if trace is None or not trace.events:
            violations["lost"].append(plan.task_id)
            continue
        counts["repeated_events"] += trace.repeated_events
        if outcome is None:
            last = trace.events[max(trace.events)]
            violations["stuck"].append(f"{plan.task_id} (last event {last[0]} {last[1]})")
            continue
        counts[outcome] += 1
        expected = expected_outcome(plan, trace, controls)
        if outcome != expected:
            violations["ended_by_fault"].append(f"{plan.task_id} ({outcome}, not {expected}): {trace.reason}")
            reasons[_reason_class(trace.reason)] += 1
        kinds = list(trace.events.values())
        violations["compensated_twice"] += compensated_twice(plan.task_id, kinds)
        if plan.approve is not None:
            problems = judge_review(plan.task_id, plan.approve, outcome, trace.controls, controls.read_model)
            violations["review_not_applied_once"] += problems + judge_read_model(plan.task_id, outcome, controls)
            counts["reviews_decided"] += len({e.review_id for e in trace.controls if e.kind == "review.decided"})
        if plan.kind == "cancel":
            sent = controls.cancels.get(plan.task_id)
            violations["cancel_not_applied_once"] += judge_cancel(plan.task_id, sent, outcome, trace.controls)
            violations["cancel_not_applied_once"] += judge_read_model(plan.task_id, outcome, controls)
            applied = any(e.kind == "task.cancel_requested" for e in trace.controls)
            counts["cancels_applied" if applied else "cancels_after_the_end"] += 1
        succeeded = {step for kind, step in kinds if kind == "step.succeeded"}
        compensated = {step for kind, step in kinds if kind == "step.compensated"}
        if outcome == "compensated":
            left = sorted((succeeded & compensatable.get(plan.workflow, set())) - compensated)
            if left:
                violations["step_left_uncompensated"].append(f"{plan.task_id}: {', '.join(left)}")
        if not plan.account_domain:
            continue
        # A meeting task: its own CRM rows and mail.
        crm_key, mail_key = f"{plan.task_id}/crm", f"{plan.task_id}/email"
        applied = evidence.opportunity_revisions[crm_key]
        mails = evidence.mails[mail_key]
        counts["crm_applied"] += applied
        counts["crm_undone"] += evidence.undone_revisions[crm_key]
        counts["mails"] += mails
        if applied > 1:
            violations["crm_applied_twice"].append(f"{plan.task_id}: {applied} opportunity revisions")
        if mails > 1:
            violations["mail_sent_twice"].append(f"{plan.task_id}: {mails} mails")
        seed = evidence.seed_rows.get(plan.account_domain)
        final = evidence.final_rows.get(plan.account_domain)
        if outcome == "completed":
            if applied != 1 or mails != 1:
                violations["completed_without_effect"].append(f"{plan.task_id}: {applied} CRM changes, {mails} mails")
            elif seed and final:
                before, after = seed["opportunities"][0], final["opportunities"][0]
                if after["version"] != before["version"] + 1:  # the row itself says how often it changed
                    violations["crm_applied_twice"].append(
                        f"{plan.task_id}: opportunity version {before['version']} -> {after['version']}"
                    )
        else:
            if mails:
                violations["effect_without_completion"].append(f"{plan.task_id} ({outcome}): {mails} mails")
            if seed != final:
                violations["compensated_crm_not_restored"].append(f"{plan.task_id} ({outcome}): {_diff(seed, final)}")
    duplicates = [mid for mid, n in evidence.message_ids.items() if n > 1]
    violations["mail_sent_twice"] += [
        f"Message-ID {mid}: {evidence.message_ids[mid]} mails"
        for mid in duplicates
        if not any(mid in v for v in violations["mail_sent_twice"])
    ]
    counts["mails_in_sink"] = sum(evidence.message_ids.values())
    for key, found in violations.items():
        counts[key] = len(found)
    return Verdict(dict(counts), outcomes, {k: v for k, v in violations.items() if v}, reasons)


def _reason_class(reason: str) -> str:
    """A task's reason without its ids and numbers, so like reasons count together."""
    text = re.sub(r"chaos\d+-\d+-[a-z-]+|\b[0-9a-f]{8,}\b|\d+(\.\d+)?", "#", reason)
    return text[:140] or "(no reason given)"


def _diff(seed: dict[str, list[dict]] | None, final: dict[str, list[dict]] | None) -> str:
    if seed is None or final is None:
        return f"rows {'missing' if final is None else 'unexpected'}"
    changed = []
    for table in seed:
        old, new = {r["id"]: r for r in seed[table]}, {r["id"]: r for r in final[table]}
        for row_id in sorted(set(old) | set(new)):
            if old.get(row_id) != new.get(row_id):
                columns = sorted(
                    k
                    for k in set(old.get(row_id, {})) | set(new.get(row_id, {}))
                    if old.get(row_id, {}).get(k) != new.get(row_id, {}).get(k)
                )
                changed.append(f"{table}#{row_id} {','.join(columns)}")
    return "; ".join(changed)


def rows_by_domain(snapshot: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    domains = {a["id"]: a["domain"] for a in snapshot["accounts"]}
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for account in snapshot["accounts"]:
        out[account["domain"]] = {"accounts": [account], "contacts": [], "opportunities": []}
    for table in ("contacts", "opportunities"):
        for row in snapshot[table]:
            out[domains[row["account_id"]]][table].append(row)
    return out


def collect_evidence(store: CrmStore, seed_rows: dict[str, Any], maildir: Path) -> Evidence:
    final = rows_by_domain(json.loads(json.dumps(store.snapshot(), default=str)))
    applied: Counter[str] = Counter()
    undone: Counter[str] = Counter()
    with store.transaction() as session:
        for revision in session.scalars(select(Revision).where(Revision.table == "opportunities")):
            applied[revision.step_key] += 1
            undone[revision.step_key] += revision.undone
    mails: Counter[str] = Counter()
    message_ids: Counter[str] = Counter()
    for mail in read_maildir(maildir):
        mails[str(mail["X-Lammesh-Step"])] += 1
        message_ids[str(mail["Message-ID"])] += 1
    return Evidence(seed_rows, final, applied, undone, mails, message_ids)


# -- the run --------------------------------------------------------------------------------------


@dataclass
class Faults:
    kills: Counter[str] = field(default_factory=Counter)
    coordinator_kills: int = 0
    broker_restarts: int = 0
    crashed: Counter[str] = field(default_factory=Counter)
    """Services that exited without being killed (restarted by the supervisor loop)."""
    restart_failures: int = 0
    email_window_kills: int = 0
    rolled: Counter[str] = field(default_factory=Counter)
    """Instances stopped with SIGTERM and started again by the rolling mode."""
    log: list[str] = field(default_factory=list)


class ChaosRun:
    def __init__(self, config: ChaosConfig, console: Console | None = None) -> None:
        self.config = config
        self.console = console or wide_console()
        self.rng = random.Random(config.seed + 1)
        self.faults = Faults()
        self._restarting: dict[str, asyncio.Task[None]] = {}
        self._serving_since: dict[str, float] = {}
        """Instances restarted by the run: when they were SERVING again."""
        workdir = config.workdir
        self.services = config.services or (
            SERVICES
            if config.meeting_share > 0
            else [*NOOP_SERVICES, *CONTROL_SERVICES]
            if config.controls
            else NOOP_SERVICES
        )
        self.crm_url = f"sqlite:///{workdir / 'crm.sqlite3'}"
        self.maildir = workdir / "maildir"
        kafka_port, gateway_port, smtp_port = free_ports(3)
        self.mesh = Mesh(
            run_dir=workdir,
            services=self.services,
            kafka_bootstrap=f"127.0.0.1:{kafka_port}",
            gateway_address=f"127.0.0.1:{gateway_port}",
            smtp_port=smtp_port,
            maildir=self.maildir,
            topic_prefix=TOPIC_PREFIX,
            partitions=config.partitions,
            start_timeout_s=180.0,
            replicas={n: config.watcher_replicas for n in self.services if n in WATCHERS},
            extra_env={
                "LAMMESH_STATE_DIR": str(workdir / "state"),
                "LAMMESH_CRM_DATABASE_URL": self.crm_url,
                "LAMMESH_WORKFLOWS_DIR": str(workdir / "workflows"),
                "LAMMESH_LOG_FORMAT": "json",
                "LAMMESH_LOG_LEVEL": config.log_level,
                # five model services share the cores: one ONNX Runtime thread each
                "LAMMESH_ENCODER_THREADS": "1",
                "LAMMESH_EMAIL_HOLD_AFTER_SEND_S": str(config.email_hold_s if config.email_window_kills else 0),
            },
            progress=self._progress,
        )
        self.started = time.monotonic()

    def _progress(self, service: str, state: str, detail: str) -> None:
        if state in ("killed", "failed", "serving") or service == "kafka":
            self.say(f"{service:<12} {state:<8} {detail}")

    def say(self, text: str) -> None:
        self.console.print(f"[dim]{time.monotonic() - self.started:7.1f}s[/] {text}", highlight=False, soft_wrap=True)

    @property
    def settings(self) -> Settings:
        return self.mesh.client_settings(producer_linger_ms=5)

    async def run(self) -> tuple[Verdict, dict[str, Any]]:
        config = self.config
        shutil.rmtree(config.workdir, ignore_errors=True)
        config.workdir.mkdir(parents=True)
        write_workflows(config.workdir / "workflows")
        plans = plan_tasks(config)
        store = CrmStore(self.crm_url)
        seed_store(store, crm_seed(plans))
        seed_rows = rows_by_domain(json.loads(json.dumps(store.snapshot(), default=str)))
        compensatable = {
            name: {s.id for s in wf.steps if s.compensate is not None}
            for name, wf in load_workflows(config.workdir / "workflows").items()
        }
        self.say(
            f"starting the mesh: broker on {self.mesh.kafka_bootstrap}, {len(self.services)} services "
            f"(logs in {self.mesh.logs_dir})"
        )
        timings: dict[str, float] = {}
        kafka_logger = logging.getLogger("aiokafka")
        level = kafka_logger.level
        kafka_logger.setLevel(logging.CRITICAL)  # our clients' reconnect noise while the broker is away
        try:
            await asyncio.to_thread(self.mesh.start)
            timings["mesh_start_s"] = time.monotonic() - self.started
            events = EventLog(self.settings)
            await events.start()
            # Mails go out late in a meeting task and reviews wait for their decision: the window
            # kills and the gateway calls go on through the drain.
            drained = asyncio.Event()
            window_kills = asyncio.create_task(self._kill_email_in_its_window(drained), name="chaos-email-window")
            driver = self._control_driver(plans)
            controls = asyncio.create_task(driver.run(drained) if driver else drained.wait(), name="chaos-controls")
            try:
                phase = time.monotonic()
                await self._load_and_faults(plans, events)
                timings["load_s"] = time.monotonic() - phase
                phase = time.monotonic()
                await self._drain(plans, events)
                timings["drain_s"] = time.monotonic() - phase
            finally:
                drained.set()
                await asyncio.gather(window_kills, controls)
                await self._settle_restarts()
                await events.stop()
            if driver is not None:
                await driver.read_back()
            evidence = collect_evidence(store, seed_rows, self.maildir)
        finally:
            self.say("stopping the mesh")
            await asyncio.to_thread(self.mesh.stop)
            store.close()
            kafka_logger.setLevel(level)
        verdict = judge(plans, events.traces, evidence, compensatable, driver.log if driver else None)
        coordinator_logs = list(self.mesh.logs_dir.glob("coordinator*.log"))
        verdict.counts.update(
            {
                "service_kills": sum(self.faults.kills.values()),
                "coordinator_kills": self.faults.coordinator_kills,
                "broker_restarts": self.faults.broker_restarts,
                "crashed_on_their_own": sum(self.faults.crashed.values()),
                "restart_failures": self.faults.restart_failures,
                "email_window_kills": self.faults.email_window_kills,
                "rolling_restarts": sum(self.faults.rolled.values()),
                "resubmissions": sum(max(0, p.submit_attempts - 1) for p in plans),
                "requests_republished": sum(_log_count(p, "task request was read past") for p in coordinator_logs),
                "controls_republished": sum(_log_count(p, "control record was read past") for p in coordinator_logs),
                "control_calls_retried": sum(driver.log.errors.values()) if driver else 0,
            }
        )
        details = {
            "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()},
            "timings_s": {k: round(v, 1) for k, v in timings.items()},
            "kills": dict(self.faults.kills),
            "crashed": dict(self.faults.crashed),
            "rolled": dict(self.faults.rolled),
            "fault_log": self.faults.log,
        }
        if driver is not None:
            details["controls"] = {
                "decisions": {k: asdict(v) for k, v in driver.log.decisions.items()},
                "cancels": {k: asdict(v) for k, v in driver.log.cancels.items()},
                "retried_calls": dict(driver.log.errors),
                "read_model_status": dict(Counter(driver.log.task_status.values())),
                "read_model_reviews": dict(Counter(decision for _, decision in driver.log.read_model.values())),
            }
        return verdict, details

    def _control_driver(self, plans: list[Plan]) -> ControlDriver | None:
        reviews = {p.task_id: p.approve for p in plans if p.approve is not None}
        cancels = [p.task_id for p in plans if p.kind == "cancel"]
        if not (reviews or cancels):
            return None
        if "gateway" not in self.services:
            raise ValueError("cancels and review decisions go through the gateway: add it to the services")
        by_id = {p.task_id: p for p in plans}
        return ControlDriver(
            self.mesh.gateway_address,
            self.settings,
            reviews=reviews,
            cancels=cancels,
            submitted=lambda task_id: by_id[task_id].acked,
            say=self.say,
        )

    # -- load and faults ----------------------------------------------------------------------

    async def _load_and_faults(self, plans: list[Plan], events: EventLog) -> None:
        producer = EnvelopeProducer(self.settings, name="chaos-submitter")
        await producer.start()
        try:
            stop = asyncio.Event()
            chaos = asyncio.create_task(self._chaos(stop), name="chaos-faults")
            report = asyncio.create_task(self._report(plans, events, stop), name="chaos-progress")
            try:
                await self._submit_all(producer, plans)
            finally:
                stop.set()
                await asyncio.gather(chaos, report)
        finally:
            await producer.stop()

    async def _submit_all(self, producer: EnvelopeProducer, plans: list[Plan]) -> None:
        interval = self.config.duration_s / max(1, len(plans))
        start = time.monotonic()
        sends = []
        for index, plan in enumerate(plans):
            delay = start + index * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sends.append(asyncio.create_task(self._submit(producer, plan)))
        await asyncio.gather(*sends)

    async def _submit(self, producer: EnvelopeProducer, plan: Plan) -> None:
        """Until the broker acknowledges it; a repeat after a broker error is the same task id, which
        the coordinator recognises."""
        request = task_pb2.TaskRequested(
            task_id=plan.task_id, workflow=plan.workflow, tenant="chaos", input=to_struct(plan.task_input)
        )
        while True:
            plan.submit_attempts += 1
            try:
                future = await producer.send(
                    TASKS_REQUESTED.name(self.settings), request, task_id=plan.task_id, tenant="chaos"
                )
                await future
            except KafkaError:
                await asyncio.sleep(1.0)
                continue
            plan.acked = True
            return

    async def _chaos(self, stop: asyncio.Event) -> None:
        """Random kills every ~`kill_interval_s`; the coordinator kills and broker restarts spread
        evenly over the load; a service that died on its own restarted whenever one is seen. A
        killed service restarts in the background, so the faults keep their pace while it starts."""
        config = self.config
        if config.rolling:
            await self._rolling_restarts(stop)
            return
        began = time.monotonic()
        order: list[str] = []  # coordinator kills and broker restarts alternate
        for i in range(max(config.coordinator_kills, config.broker_restarts)):
            if i < config.coordinator_kills:
                order.append("coordinator")
            if i < config.broker_restarts:
                order.append("broker")
        scheduled = [(began + config.duration_s * (i + 1) / (len(order) + 1), what) for i, what in enumerate(order)]
        next_kill = began + config.kill_interval_s
        while not stop.is_set():
            await self._supervise()
            now = time.monotonic()
            if scheduled and now >= scheduled[0][0]:
                _, what = scheduled.pop(0)
                if what == "coordinator":
                    await self._settle_restarts("coordinator")  # kill a serving one, not one starting
                    await self._kill("coordinator")
                    self.faults.coordinator_kills += 1
                else:
                    await self._settle_restarts()  # the broker goes down with every service up
                    await self._restart_broker()
            elif now >= next_kill:
                victim = await self._pick_victim()
                if victim is not None:
                    await self._kill(victim)
                    self.faults.kills[victim] += 1
                next_kill = time.monotonic() + config.kill_interval_s * self.rng.uniform(0.5, 1.5)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.25)
        for _, what in scheduled:  # the load ended first (only with very short runs)
            self.say(f"[yellow]{what} fault not reached before the load ended[/]")
        await self._settle_restarts()

    async def _pick_victim(self) -> str | None:
        """A random instance other than the coordinator's (its kills are scheduled), not restarting,
        and of a replicated service only one whose every sibling has been SERVING for
        `sibling_settle_s` (asked over grpc.health.v1): one replica of each kind always answers, as
        a PodDisruptionBudget keeps one; a crash of the last one is not what this run measures."""
        now = time.monotonic()
        settled = {
            p.instance
            for p in self.mesh.processes
            if p.alive()
            and p.instance not in self._restarting
            and now - self._serving_since.get(p.instance, 0.0) >= self.config.sibling_settle_s
        }
        candidates = sorted(
            p.instance
            for p in self.mesh.processes
            if p.name != "coordinator"
            and p.instance not in self._restarting
            and all(s.instance in settled for s in self._siblings(p.instance))
        )
        while candidates:
            victim = self.rng.choice(candidates)
            siblings = self._siblings(victim)
            serving = await asyncio.gather(*(asyncio.to_thread(self.mesh.serving, s.instance) for s in siblings))
            if all(serving):
                return victim
            candidates.remove(victim)
        return None

    def _siblings(self, instance: str) -> list[ServiceProcess]:
        name = self.mesh.process(instance).name
        return [p for p in self.mesh.processes if p.name == name and p.instance != instance]

    async def _rolling_restarts(self, stop: asyncio.Event) -> None:
        """Each instance in turn: SIGTERM (drain), start, SERVING, a pause; until the load ends."""
        everyone = sorted((p.instance for p in self.mesh.processes), key=lambda i: (i != "coordinator", i))
        while not stop.is_set():
            for instance in self.config.rolling_instances or everyone:
                if stop.is_set():
                    break
                self.faults.log.append(f"{time.monotonic() - self.started:.1f}s rolling restart of {instance}")
                code = await asyncio.to_thread(self.mesh.stop_service, instance)
                if code not in (0, None):
                    self.faults.log[-1] += f" (exit {code} on SIGTERM)"
                await self._respawn(instance)
                self.faults.rolled[instance] += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.config.rolling_pause_s)

    async def _kill_email_in_its_window(self, stop: asyncio.Event) -> None:
        """SIGKILL the email service while it holds a mail the SMTP sink accepted and whose result
        is not stored yet (LAMMESH_EMAIL_HOLD_AFTER_SEND_S): the retry must not send it again."""
        if "email" not in self.services or not self.config.email_window_kills:
            return
        log_path = self.mesh.process("email").log_path
        seen = 0
        while not stop.is_set() and self.faults.email_window_kills < self.config.email_window_kills:
            held = _log_count(log_path, EMAIL_HOLDING)
            if held > seen and "email" not in self._restarting:
                seen = held
                await self._kill("email")
                self.faults.kills["email"] += 1
                self.faults.email_window_kills += 1
                self.faults.log[-1] += " (inside the duplicate-mail window)"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)

    async def _kill(self, name: str) -> None:
        """SIGKILL now; restart after restart_delay_s, in the background."""
        await asyncio.to_thread(self.mesh.kill, name)
        self.faults.log.append(f"{time.monotonic() - self.started:.1f}s kill -9 {name}")
        self._restarting[name] = asyncio.create_task(self._restart_later(name), name=f"chaos-restart-{name}")

    async def _restart_later(self, name: str) -> None:
        try:
            await asyncio.sleep(self.config.restart_delay_s)
            await self._respawn(name)
        finally:
            if self._restarting.get(name) is asyncio.current_task():
                del self._restarting[name]

    async def _settle_restarts(self, *names: str) -> None:
        """Wait for the restarts under way (of `names`, or all)."""
        await asyncio.gather(*[t for n, t in list(self._restarting.items()) if not names or n in names])

    async def _respawn(self, name: str, tries: int = 5) -> None:
        for _ in range(tries):
            try:
                await asyncio.to_thread(self.mesh.respawn, name)
                self._serving_since[name] = time.monotonic()
                return
            except MeshError as exc:
                # Not serving in time, or exited while starting: stop what is left, try again.
                self.faults.restart_failures += 1
                self.say(f"[yellow]restart of {name} failed: {str(exc).splitlines()[0]}[/]")
                if self.mesh.process(name).alive():
                    await asyncio.to_thread(self.mesh.kill, name)
                await asyncio.sleep(2.0)
        self.say(f"[red]{name} did not restart after {tries} tries[/]")  # its tasks will show as stuck

    async def _restart_broker(self) -> None:
        self.faults.log.append(f"{time.monotonic() - self.started:.1f}s broker restart")
        self.say("[bold]restarting the Kafka broker[/]")
        await asyncio.to_thread(self.mesh.restart_kafka, hard=self.config.broker_hard_kill)
        self.faults.broker_restarts += 1

    async def _supervise(self) -> None:
        for proc in list(self.mesh.processes):
            if not proc.alive() and proc.instance not in self._restarting:
                code = proc.process.returncode if proc.process else None
                self.faults.crashed[proc.instance] += 1
                self.faults.log.append(
                    f"{time.monotonic() - self.started:.1f}s {proc.instance} exited on its own ({code})"
                )
                self.say(f"[yellow]{proc.instance} exited on its own (code {code}); restarting it[/]")
                self._restarting[proc.instance] = asyncio.create_task(self._restart_later(proc.instance))

    async def _report(self, plans: list[Plan], events: EventLog, stop: asyncio.Event) -> None:
        ids = [p.task_id for p in plans]
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 5.0)
            acked = sum(p.acked for p in plans)
            kills = sum(self.faults.kills.values())
            self.say(
                f"submitted {acked}/{len(plans)}  ended {events.ended(ids)}  kills {kills}  "
                f"coordinator kills {self.faults.coordinator_kills}  broker restarts {self.faults.broker_restarts}"
            )

    async def _drain(self, plans: list[Plan], events: EventLog) -> None:
        """Until every task ended, or none ended for stall_timeout_s (the survivors are stuck)."""
        ids = [p.task_id for p in plans]
        ended, since, said = events.ended(ids), time.monotonic(), 0.0
        self.say(f"load done; waiting for {len(ids) - ended} tasks to end")
        while ended < len(ids) and time.monotonic() - since < self.config.stall_timeout_s:
            await self._supervise()
            await asyncio.sleep(0.5)
            now_ended = events.ended(ids)
            if now_ended != ended:
                ended, since = now_ended, time.monotonic()
            if time.monotonic() - said > 5:
                said = time.monotonic()
                self.say(f"ended {ended}/{len(ids)}")
        await self._settle_restarts()


def _log_count(path: Path, text: str) -> int:
    try:
        with path.open(errors="replace") as lines:
            return sum(text in line for line in lines)
    except OSError:
        return 0


# -- presentation ---------------------------------------------------------------------------------


COUNT_ROWS = [
    ("submitted", "tasks submitted"),
    ("completed", "completed"),
    ("compensated", "compensated"),
    ("failed", "failed (compensation failed; needs a person)"),
    ("rejected", "rejected"),
    ("ended_by_fault", "ENDED BY AN INFRASTRUCTURE FAULT (otherwise than with no faults)"),
    ("reviews_decided", "reviews decided through the gateway (review.decided events)"),
    ("review_not_applied_once", "review decision not applied exactly once, or not as asked"),
    ("cancels_applied", "cancels through the gateway that took effect (task.cancel_requested)"),
    ("cancels_after_the_end", "cancel tasks that ended before their cancel was asked or applied"),
    ("cancel_not_applied_once", "cancel applied twice, or accepted and the task completed anyway"),
    ("compensated_twice", "step compensated more than once"),
    ("lost", "LOST (submitted, no event ever)"),
    ("stuck", "STUCK (started, never ended)"),
    ("crm_applied", "CRM changes applied (opportunity revisions)"),
    ("crm_undone", "CRM changes undone by compensation"),
    ("crm_applied_twice", "CRM change applied twice"),
    ("mails_in_sink", "mails in the SMTP sink"),
    ("mail_sent_twice", "mail sent twice"),
    ("completed_without_effect", "completed meeting without exactly 1 CRM change + 1 mail"),
    ("effect_without_completion", "mail for a task that did not complete"),
    ("compensated_crm_not_restored", "compensated task whose CRM rows differ from before"),
    ("step_left_uncompensated", "compensated task with a completed step not compensated"),
    ("repeated_events", "task events repeated after a crash (same sequence; allowed, deduped)"),
    ("service_kills", "services SIGKILLed and restarted"),
    ("coordinator_kills", "coordinator SIGKILLed and restarted"),
    ("broker_restarts", "Kafka broker restarts"),
    ("crashed_on_their_own", "services that exited on their own (restarted)"),
    ("restart_failures", "restarts that did not reach SERVING at once (retried)"),
    ("email_window_kills", "email service SIGKILLed after SMTP accepted a mail, before its result was stored (0413)"),
    ("rolling_restarts", "instances stopped with SIGTERM and started again, one at a time (rolling mode)"),
    ("resubmissions", "submissions repeated after a broker error"),
    ("requests_republished", "task requests the coordinator read past without starting them, published again (0631)"),
    ("controls_republished", "cancels and decisions the coordinator read past without effect, published again (0641)"),
    ("control_calls_retried", "gateway calls (cancel, decide, list) that failed and were tried again"),
]
VIOLATIONS = {
    "lost",
    "stuck",
    "ended_by_fault",
    *CONTROL_VIOLATIONS,
    "crm_applied_twice",
    "mail_sent_twice",
    "completed_without_effect",
    "effect_without_completion",
    "compensated_crm_not_restored",
    "step_left_uncompensated",
}


def wide_console() -> Console:
    """Rich's console; 120 columns when the output is not a terminal (make, pytest -s, CI logs)."""
    console = Console()
    return console if console.is_terminal else Console(width=120)


def counts_table(verdict: Verdict) -> Table:
    table = Table("count", "", title="Chaos: counts", show_lines=False)
    for key, label in COUNT_ROWS:
        value = verdict.counts.get(key, 0)
        style = "bold red" if key in VIOLATIONS and value else ("green" if key in VIOLATIONS else "")
        table.add_row(f"[{style}]{value}[/]" if style else str(value), label)
    return table


def outcomes_table(verdict: Verdict) -> Table:
    table = Table("kind", "workflow", "expected", "outcomes", title="Outcomes per kind of task")
    for kind, outcomes in sorted(verdict.outcomes.items()):
        workflow, _, expected = KINDS[kind]
        table.add_row(kind, workflow, expected, ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    return table


def print_report(console: Console, verdict: Verdict, details: dict[str, Any]) -> None:
    console.print(outcomes_table(verdict))
    console.print(counts_table(verdict))
    console.print(
        f"kills per service: {details['kills']}  exited on their own: {details['crashed'] or 'none'}  "
        f"timings: {details['timings_s']}"
    )
    for reason, n in verdict.unexpected_reasons.most_common(8):
        console.print(f"  ended by a fault ({n}): {reason}", highlight=False)
    for key, found in verdict.violations.items():
        console.print(
            f"[bold red]{key}[/] ({len(found)}): " + "; ".join(found[:10]) + (" …" if len(found) > 10 else "")
        )
    console.rule("[green]no violations[/]" if verdict.ok else "[bold red]invariants violated[/]")


async def chaos(config: ChaosConfig, *, results: Path | None = None, command: str = "") -> Verdict:
    console = wide_console()
    run = ChaosRun(config, console)
    verdict, details = await run.run()
    print_report(console, verdict, details)
    if results is not None:
        from loadtest import report

        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(
            json.dumps(
                {
                    "command": command,
                    "machine": report.machine(),
                    "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "ok": verdict.ok,
                    "counts": verdict.counts,
                    "outcomes": {k: dict(v) for k, v in verdict.outcomes.items()},
                    "violations": verdict.violations,
                    "unexpected_reasons": dict(verdict.unexpected_reasons.most_common()),
                    **details,
                },
                indent=2,
            )
        )
        console.print(f"results: {results}")
    return verdict
