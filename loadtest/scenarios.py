"""The bench scenarios: which workflow, which services, what each arrival submits and expects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lammesh.catalogue import load_services
from loadtest import meetings
from loadtest.generator import Workload

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO_ROOT / "workflows"
STEP_COUNT = 5  # the noop sagas


@dataclass
class Scenario:
    key: str
    title: str
    workflow: str
    workload: Workload
    services: list[str] = field(default_factory=list)
    hops: int = 2 * STEP_COUNT + 2  # Kafka hops on the critical path: 2 per step, request in, event out
    note: str = ""

    def missing(self) -> str | None:
        """Why this scenario cannot run here (None when it can)."""
        path = WORKFLOWS / f"{self.workflow}.yaml"
        if not path.exists():
            return f"workflow file {path.relative_to(REPO_ROOT)} is not there"
        known = set(load_services())
        absent = sorted(set(self.services) - known)
        if absent:
            return f"services not in the catalogue (lammesh services): {', '.join(absent)}"
        return None


def _payload(index: int) -> dict[str, Any]:
    return {"payload": {"n": index, "text": "load test"}}


def _fail_every_tenth(index: int) -> dict[str, Any]:
    task_input = _payload(index)
    if index % 10 == 9:
        task_input["faults"] = {"s4": {"fail": True, "retryable": False}}
    return task_input


def noop_watched() -> Scenario:
    return Scenario(
        "a_noop_watched",
        "(a) 5 noop steps, 2 instant watcher checks each (loop, policy)",
        "noop_saga_watched",
        Workload("noop_saga_watched", _payload),
        services=["coordinator", "noop", "loop", "policy"],
    )


def noop_models() -> Scenario:
    return Scenario(
        "b_noop_model_watchers",
        "(b) 5 noop steps, 2 model watcher checks each (injection, grounding)",
        "noop_saga_models",
        Workload("noop_saga_models", _payload),
        services=["coordinator", "noop", "injection", "grounding"],
    )


def failures() -> Scenario:
    return Scenario(
        "d_failure_compensation",
        "(d) as (a), 10% of tasks fail at step 4 and compensate s3..s1",
        "noop_saga_watched",
        Workload("noop_saga_watched", _fail_every_tenth, lambda i: "compensated" if i % 10 == 9 else "completed"),
        services=["coordinator", "noop", "loop", "policy"],
    )


MEETING_SAMPLE = "01-acme-proposal"


class MeetingFollowup(Scenario):
    """(c) the agents' workflow on the first sample meeting; each arrival gets its own CRM account
    (loadtest/meetings.py), which the bench seeds, and the bench runs an SMTP sink for the mails."""

    def missing(self) -> str | None:
        path = WORKFLOWS / "meeting_followup.yaml"
        if not path.exists():
            return "workflow file workflows/meeting_followup.yaml is not there"
        spec = yaml.safe_load(path.read_text())
        catalogue = load_services()
        capabilities = {s.capability for s in catalogue.values() if s.capability}
        needed_caps = {step["uses"] for step in spec.get("steps", [])}
        watchers = {
            (w if isinstance(w, str) else w["name"])
            for step in spec.get("steps", [])
            for stage in (step.get("watchers") or {}).values()
            for w in stage
        }
        absent = sorted((needed_caps - capabilities) | (watchers - set(catalogue)))
        if absent:
            return f"capabilities/watchers not in the catalogue: {', '.join(absent)}"
        self.services = [
            "coordinator",
            *sorted(watchers),
            *sorted({s.name for s in catalogue.values() if s.capability in needed_caps}),
        ]
        self.hops = 2 * len(needed_caps) + 2
        return None


def meeting_account(index: int) -> str:
    return meetings.own_domain(index, meetings.sample(MEETING_SAMPLE)["account_domain"])


def meeting_followup() -> Scenario:
    meeting = meetings.sample(MEETING_SAMPLE)

    def make_input(index: int) -> dict[str, Any]:
        return meetings.task_input(meeting, meetings.own_domain(index, meeting["account_domain"]))

    return MeetingFollowup(
        "c_meeting_followup",
        "(c) the meeting follow-up workflow",
        "meeting_followup",
        Workload("meeting_followup", make_input, lambda i: meeting["expected"]),
    )


def all_scenarios() -> list[Scenario]:
    return [noop_watched(), noop_models(), meeting_followup(), failures()]
