"""Admission control: how many tasks may be in flight, overall and per tenant, and who gets the
room that is left (docs/decisions/0640). Pure: no Kafka, gRPC or clock inside.

A task is *in flight* from its request (tasks.requested) until its snapshot on tasks.state is
terminal: queued requests (read by no coordinator yet, or held back by its pacing) count as well
as running sagas. A task awaiting a person's review does not count while it waits (it uses
nothing, and reviews pending for hours must not close the mesh); it counts again once it resumes. `InFlightLedger` keeps that count from the records themselves, so every gateway
replica, and a gateway after a restart, reaches the same figure; `decide` is the policy.

Fair share: the mesh's room `max_in_flight` is split into a shared part and a `reserve`. While the
shared part is used up, a tenant may only take a slot if it holds less than its fair share
(the shared part divided among the tenants with tasks in flight, the caller counted). A tenant
flooding the mesh alone therefore stops at the shared part, and a second tenant is admitted at
once into the reserve; from then on the slots the flooder's tasks free go to whoever is under
their share.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class AdmissionLimits:
    max_in_flight: int
    max_in_flight_per_tenant: int
    reserve: int
    retry_after_s: float

    def __post_init__(self) -> None:
        if self.max_in_flight < 1 or self.max_in_flight_per_tenant < 1:
            raise ValueError("max_in_flight and max_in_flight_per_tenant must be at least 1")
        if not 0 <= self.reserve < self.max_in_flight:
            raise ValueError(f"reserve must be in [0, max_in_flight), got {self.reserve}")
        if self.retry_after_s <= 0:
            raise ValueError("retry_after_s must be positive")

    @property
    def shared(self) -> int:
        return self.max_in_flight - self.reserve


class Refusal(StrEnum):
    MESH_FULL = "mesh_full"
    TENANT_LIMIT = "tenant_limit"
    FAIR_SHARE = "fair_share"


@dataclass(frozen=True)
class Decision:
    admitted: bool
    refusal: Refusal | None = None
    retry_after_s: float = 0.0
    message: str = ""


ADMIT = Decision(True)


def decide(
    limits: AdmissionLimits, *, tenant: str, tenant_in_flight: int, total_in_flight: int, active_tenants: int
) -> Decision:
    """Admit one more task of `tenant`, or say why not and when to try again.

    `active_tenants` counts the tenants with tasks in flight (the caller may or may not be one)."""
    if tenant_in_flight >= limits.max_in_flight_per_tenant:
        return _refuse(
            limits,
            Refusal.TENANT_LIMIT,
            f"tenant {tenant!r} has {tenant_in_flight} tasks in flight (limit {limits.max_in_flight_per_tenant})",
        )
    if total_in_flight >= limits.max_in_flight:
        return _refuse(
            limits, Refusal.MESH_FULL, f"the mesh has {total_in_flight} tasks in flight (limit {limits.max_in_flight})"
        )
    if total_in_flight >= limits.shared:
        sharing = active_tenants + (0 if tenant_in_flight else 1)
        share = fair_share(limits, sharing)
        if tenant_in_flight >= share:
            return _refuse(
                limits,
                Refusal.FAIR_SHARE,
                f"the mesh is busy ({total_in_flight} of {limits.max_in_flight} tasks in flight) and tenant "
                f"{tenant!r} holds its fair share ({tenant_in_flight} of {share})",
            )
    return ADMIT


def fair_share(limits: AdmissionLimits, tenants: int) -> int:
    """The slots of the shared part each of `tenants` tenants may hold while it is used up (at least 1)."""
    return max(1, math.ceil(limits.shared / max(1, tenants)))


def _refuse(limits: AdmissionLimits, refusal: Refusal, why: str) -> Decision:
    hint = limits.retry_after_s
    return Decision(False, refusal, hint, f"too many tasks in flight: {why}; retry in {hint:g} s")


class InFlightLedger:
    """Which tasks are in flight, per tenant, from the records of tasks.requested and tasks.state.

    Both topics are read independently, so a task's terminal snapshot may be read before its
    request (after a restart, say): a task once seen ended is never counted again. A request
    whose task never shows a snapshot (a poison record the coordinator dead-lettered, a task
    forgotten after its retention whose snapshot compaction removed) stops counting `queue_ttl_s`
    after it was requested."""

    def __init__(self, queue_ttl_s: float) -> None:
        if queue_ttl_s <= 0:
            raise ValueError("queue_ttl_s must be positive")
        self.queue_ttl_s = queue_ttl_s
        self._tenant: dict[str, str] = {}  # in flight: task -> tenant
        self._queued: dict[str, float] = {}  # in flight without a snapshot yet: task -> requested at
        self._ended: set[str] = set()
        self._counts: Counter[str] = Counter()

    def requested(self, task_id: str, tenant: str, at: float) -> None:
        if task_id in self._ended or task_id in self._tenant:
            return
        self._tenant[task_id] = tenant
        self._queued[task_id] = at
        self._counts[tenant] += 1

    def snapshot(self, task_id: str, tenant: str, *, ended: bool, parked: bool = False) -> None:
        """A task snapshot: `ended` (terminal), `parked` (awaiting a review), or running."""
        if task_id in self._ended:
            return
        self._queued.pop(task_id, None)
        if ended:
            self._ended.add(task_id)
            self._drop(task_id)
        elif parked:
            self._drop(task_id)
        elif task_id not in self._tenant:
            self._tenant[task_id] = tenant
            self._counts[tenant] += 1

    def forgotten(self, task_id: str) -> None:
        """The task's retention passed (a tombstone): it is neither in flight nor remembered."""
        self._queued.pop(task_id, None)
        self._ended.discard(task_id)
        self._drop(task_id)

    def expire(self, now: float) -> int:
        """Stop counting requests queued longer than queue_ttl_s; returns how many."""
        stale = [t for t, at in self._queued.items() if now - at > self.queue_ttl_s]
        for task_id in stale:
            del self._queued[task_id]
            self._drop(task_id)
        return len(stale)

    def in_flight(self, tenant: str) -> int:
        return self._counts.get(tenant, 0)

    @property
    def total(self) -> int:
        return len(self._tenant)

    @property
    def queued(self) -> int:
        return len(self._queued)

    @property
    def active_tenants(self) -> int:
        return len(self._counts)

    def _drop(self, task_id: str) -> None:
        tenant = self._tenant.pop(task_id, None)
        if tenant is None:
            return
        self._counts[tenant] -= 1
        if self._counts[tenant] <= 0:
            del self._counts[tenant]
