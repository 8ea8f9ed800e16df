"""`make demo`: the meeting follow-up workflow on the sample meetings, through the whole mesh.

Starts the mesh (`lammesh up`'s supervisor: Kafka if none runs, an SMTP sink, every service as
its own process), seeds a fresh demo CRM, submits every meeting in examples/meetings through the
gateway (gRPC TaskService.SubmitTask) and follows each saga live (WatchTask), then shows the
outcome of each task, the CRM before and after, and the mails the SMTP sink received. Stops
everything at the end, on Ctrl-C or on SIGTERM. Exit status 1 when an outcome differs from what
the meeting file expects (e.g. the injected meeting was not blocked) — said plainly, never hidden.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict
from rich.console import Console
from rich.table import Table

from lammesh.dev.localkafka import REPO_ROOT, free_port
from lammesh.dev.smtpsink import read_maildir
from lammesh.grpc.client import channel as grpc_channel
from lammesh.registry import read_registry
from lammesh.settings import Settings
from lammesh.structs import to_struct
from lammesh.up import Mesh, MeshError, port_open, stop_on_signals
from lammesh.v1 import registry_pb2, task_pb2, task_pb2_grpc
from lammesh_services.tools.crm.seed import load_seed, seed_store
from lammesh_services.tools.crm.store import CrmStore

console = Console()
MEETINGS = REPO_ROOT / "examples" / "meetings"
DEMO_DIR = REPO_ROOT / ".run" / "demo"
WORKFLOW = "meeting_followup"
TERMINAL = {task_pb2.TASK_STATUS_COMPLETED, task_pb2.TASK_STATUS_COMPENSATED, task_pb2.TASK_STATUS_FAILED}
META_FIELDS = {"expected", "expected_failed_step", "note", "meeting_id"}  # about the sample, not part of the task input


def status_name(status: int) -> str:
    return task_pb2.TaskStatus.Name(status).removeprefix("TASK_STATUS_").lower()


def free_or(default: int) -> int:
    return default if not port_open("127.0.0.1", default) else free_port()


def load_meetings() -> list[tuple[str, dict[str, Any]]]:
    return [(path.stem, json.loads(path.read_text())) for path in sorted(MEETINGS.glob("[0-9]*.json"))]


class Run:
    """What the demo learns about one task from its events."""

    def __init__(self, label: str, meeting: dict[str, Any]) -> None:
        self.label = label
        self.meeting = meeting
        self.task_id = ""
        self.task: task_pb2.Task | None = None
        self.blocked_by: list[str] = []
        self.block_reasons: list[str] = []
        self.compensated: list[str] = []
        self.failed: list[str] = []

    def outcome(self) -> str:
        if self.task is None:
            return "no answer"
        status = status_name(self.task.status)
        if self.blocked_by:
            return f"blocked by {', '.join(self.blocked_by)}; {status}"
        if self.failed and status != "completed":
            return f"{', '.join(self.failed)} failed; {status}"
        return status

    def matches_expectation(self) -> bool:
        expected = self.meeting.get("expected")
        if self.task is None or expected is None:
            return self.task is not None
        status = status_name(self.task.status)
        if expected == "blocked":
            return bool(self.blocked_by) and status == "compensated"
        failed_step = self.meeting.get("expected_failed_step")
        if failed_step and failed_step not in self.failed:
            return False
        return status == expected


async def follow(stub: task_pb2_grpc.TaskServiceStub, run: Run) -> None:
    """WatchTask until the task ends, printing each step as it happens."""
    colour = {
        "step.succeeded": "green",
        "step.blocked": "red",
        "step.failed": "red",
        "step.compensated": "yellow",
        "task.completed": "bold green",
        "task.compensated": "bold yellow",
        "task.failed": "bold red",
    }
    async for reply in stub.WatchTask(task_pb2.WatchTaskRequest(task_id=run.task_id)):
        event = reply.event
        details = MessageToDict(event.details) if event.HasField("details") else {}
        if event.kind == "watchers.checked" and details.get("verdict") == "BLOCK":
            for w in details.get("watchers", []):
                if w.get("verdict") == "BLOCK":
                    run.blocked_by.append(f"{w['watcher']} ({event.step_id} {details.get('stage', '').lower()})")
                    run.block_reasons += w.get("reasons", []) or [w.get("error", "")]
        if event.kind == "step.compensated":
            run.compensated.append(event.step_id)
        if event.kind == "step.failed":
            run.failed.append(event.step_id)
        if event.kind == "watchers.checked" and details.get("verdict") == "ALLOW":
            continue  # every step is checked; only say so when a watcher objects
        text = f"[{colour.get(event.kind, 'white')}]{event.kind}[/]"
        where = f" {event.step_id}" if event.step_id else ""
        message = f": {event.message[:160]}" if event.message and event.kind != "task.started" else ""
        console.print(f"  {run.label:<26}{text}{where}{message}")
        if event.status in TERMINAL and event.kind.startswith("task."):
            break
    # the gateway's read model may apply the final snapshot a moment after the final event
    for _ in range(100):
        run.task = (await stub.GetTask(task_pb2.GetTaskRequest(task_id=run.task_id))).task
        if run.task.status in TERMINAL:
            break
        await asyncio.sleep(0.1)


async def submit_all(gateway: str, meetings: list[tuple[str, dict[str, Any]]]) -> list[Run]:
    runs = [Run(label, meeting) for label, meeting in meetings]
    async with grpc_channel(gateway, Settings()) as channel:  # TLS when LAMMESH_GRPC_TLS_CA is set
        stub = task_pb2_grpc.TaskServiceStub(channel)
        for run in runs:
            task_input = {k: v for k, v in run.meeting.items() if k not in META_FIELDS}
            reply = await stub.SubmitTask(task_pb2.SubmitTaskRequest(workflow=WORKFLOW, input=to_struct(task_input)))
            run.task_id = reply.task.task_id
            console.print(f"  {run.label:<26}submitted as task {run.task_id}")
        await asyncio.wait_for(asyncio.gather(*(follow(stub, run) for run in runs)), timeout=600)
    return runs


def registry_table(bootstrap: str) -> Table:
    """What `lammesh agents` shows: the capabilities that registered on the mesh."""
    settings = Settings(kafka_bootstrap=bootstrap)
    table = Table("capability", "kind", "version", "health", "gRPC", title="Capability registry (lammesh agents)")
    for entry in asyncio.run(read_registry(settings)):
        r = entry.registration
        if entry.health == "SERVING":
            table.add_row(
                r.capability,
                registry_pb2.ServiceKind.Name(r.kind).removeprefix("SERVICE_KIND_").lower(),
                r.version,
                entry.health,
                r.grpc_endpoint,
            )
    return table


def outcomes_table(runs: list[Run]) -> Table:
    table = Table("meeting", "expected", "outcome", "steps", "as expected", title="Outcomes")
    for run in runs:
        steps = ", ".join(
            f"{s.step_id}={task_pb2.StepState.Name(s.state).removeprefix('STEP_STATE_').lower()}"
            for s in (run.task.steps if run.task else [])
        )
        ok = "[green]yes[/]" if run.matches_expectation() else "[bold red]NO[/]"
        table.add_row(run.label, run.meeting.get("expected", "?"), run.outcome(), steps, ok)
    return table


def crm_table(before: dict, after: dict) -> Table:
    accounts = {a["id"]: a["name"] for a in after["accounts"]}
    old = {o["id"]: o for o in before["opportunities"]}
    table = Table(
        "account",
        "opportunity",
        "stage",
        "sentiment",
        "version",
        "next step",
        "risks",
        title="CRM opportunities: before -> after",
    )
    for opp in after["opportunities"]:
        prev = old.get(opp["id"], {})

        def change(key: str, opp: dict = opp, prev: dict = prev) -> str:
            return str(opp[key]) if prev.get(key) == opp[key] else f"{prev.get(key, '')} -> [bold]{opp[key]}[/]"

        table.add_row(
            accounts.get(opp["account_id"], "?"),
            opp["name"],
            change("stage"),
            change("sentiment"),
            change("version"),
            opp["next_step"][:60],
            str(len(opp["risks"])),
        )
    return table


def contacts_table(before: dict, after: dict) -> Table | None:
    known = {c["email"] for c in before["contacts"]}
    added = [c for c in after["contacts"] if c["email"] not in known]
    if not added:
        return None
    table = Table("name", "email", "last met", title="CRM contacts added")
    for contact in added:
        table.add_row(contact["name"], contact["email"], contact["last_met"])
    return table


def mails_table(maildir: Path) -> tuple[Table, list]:
    mails = read_maildir(maildir)
    table = Table("to", "cc", "subject", "message id", title=f"Mails in the SMTP sink ({maildir})")
    for mail in mails:
        table.add_row(str(mail["To"]), str(mail["Cc"] or ""), str(mail["Subject"]), str(mail["Message-ID"]))
    return table, mails


def main() -> int:
    meetings = load_meetings()
    if not meetings:
        console.print(f"[red]no meetings in {MEETINGS}[/]")
        return 1
    shutil.rmtree(DEMO_DIR, ignore_errors=True)  # a fresh CRM, Maildir and logs each run
    DEMO_DIR.mkdir(parents=True)
    crm_url = f"sqlite:///{DEMO_DIR / 'crm.sqlite3'}"
    store = CrmStore(crm_url)
    seed_store(store, load_seed())  # the sample accounts, as `lammesh up` / `lammesh crm seed` add them
    before = store.snapshot()

    gateway = os.environ.get("LAMMESH_GATEWAY_ADDRESS") or f"127.0.0.1:{free_or(50051)}"
    smtp_port = int(os.environ.get("LAMMESH_SMTP_PORT") or free_or(2525))
    console_port = int(os.environ.get("LAMMESH_CONSOLE_PORT") or free_or(8080))
    keep_up = os.environ.get("DEMO_KEEP_UP", "") not in ("", "0")
    mesh = Mesh(
        run_dir=DEMO_DIR,
        gateway_address=gateway,
        smtp_port=smtp_port,
        maildir=DEMO_DIR / "maildir",
        console_port=console_port,
        extra_env={
            "LAMMESH_STATE_DIR": str(DEMO_DIR / "state"),
            "LAMMESH_CRM_DATABASE_URL": crm_url,
            "LAMMESH_WORKFLOWS_DIR": str(REPO_ROOT / "workflows"),
            "LAMMESH_LOG_FORMAT": "json",
        },
        progress=lambda service, state, detail: console.print(f"  {service:<12} {state:<9} {detail}"),
    )
    console.rule("[bold]LAM Mesh demo: meeting follow-up")
    console.print("Starting the mesh (every service its own process; logs in .run/demo/logs/) …")
    try:
        with stop_on_signals(mesh):
            try:
                mesh.start()
                console.print(registry_table(mesh.kafka_bootstrap))
                if mesh.console_url:
                    console.print(
                        f"Web console: [bold]{mesh.console_url}[/] (dev mode: sign in with tenant "
                        f"'{Settings().default_tenant}'; DEMO_KEEP_UP=1 keeps the mesh up afterwards)"
                    )
                console.rule(f"Submitting {len(meetings)} meetings through the gateway ({gateway})")
                runs = asyncio.run(submit_all(gateway, meetings))
                if keep_up and mesh.console_url:
                    console.print(
                        f"DEMO_KEEP_UP: the mesh stays up; browse the tasks at {mesh.console_url}tasks. Ctrl-C stops it."
                    )
                    try:
                        while all(p.alive() for p in mesh.processes):
                            time.sleep(0.5)
                    except KeyboardInterrupt:
                        pass  # then the results, as without DEMO_KEEP_UP
            except KeyboardInterrupt:
                console.print("[yellow]interrupted: stopping the mesh[/]")
                return 130
            finally:
                console.rule("Stopping the mesh")
                mesh.stop()
    except MeshError as exc:
        console.print(f"[red]the mesh did not start: {exc}[/]")
        return 1

    console.rule("Results")
    console.print(outcomes_table(runs))
    for run in runs:
        if run.block_reasons:
            console.print(f"  {run.label}: {run.block_reasons[0][:200]}")
        elif run.task is not None and run.task.reason:
            console.print(f"  {run.label}: {run.task.reason[:200]}")
    after = store.snapshot()
    console.print(crm_table(before, after))
    added = contacts_table(before, after)
    if added is not None:
        console.print(added)
    table, mails = mails_table(DEMO_DIR / "maildir")
    console.print(table)
    if mails:
        console.rule(f"First mail: {mails[0]['Subject']}")
        console.print(mails[0].get_content().strip())
    store.close()

    wrong = [run for run in runs if not run.matches_expectation()]
    for run in wrong:
        if run.meeting.get("expected") == "blocked":
            console.print(f"[bold red]The injected meeting {run.label} was NOT blocked: {run.outcome()}.[/]")
        else:
            console.print(f"[bold red]{run.label}: expected {run.meeting.get('expected')}, got {run.outcome()}[/]")
    console.rule("[green]done: every process stopped[/]" if not wrong else "[red]done, with unexpected outcomes[/]")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
