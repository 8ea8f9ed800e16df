"""Admission policy and the in-flight ledger (lammesh.admission): pure, no broker."""

from __future__ import annotations

import pytest

from lammesh.admission import AdmissionLimits, InFlightLedger, Refusal, decide, fair_share

LIMITS = AdmissionLimits(max_in_flight=10, max_in_flight_per_tenant=8, reserve=2, retry_after_s=0.5)


def admit(ledger: InFlightLedger, tenant: str, task_id: str, limits: AdmissionLimits = LIMITS) -> bool:
    decision = decide(
        limits,
        tenant=tenant,
        tenant_in_flight=ledger.in_flight(tenant),
        total_in_flight=ledger.total,
        active_tenants=ledger.active_tenants,
    )
    if decision.admitted:
        ledger.requested(task_id, tenant, at=0.0)
    return decision.admitted


def test_a_lone_flood_stops_at_the_shared_part_and_a_second_tenant_gets_the_reserve() -> None:
    ledger = InFlightLedger(queue_ttl_s=60)
    admitted_a = sum(admit(ledger, "a", f"a{i}") for i in range(20))
    assert admitted_a == LIMITS.shared == 8
    assert admit(ledger, "b", "b0") and admit(ledger, "b", "b1")
    refused = decide(LIMITS, tenant="b", tenant_in_flight=2, total_in_flight=10, active_tenants=2)
    assert not refused.admitted and refused.refusal is Refusal.MESH_FULL


def test_slots_freed_by_the_flooder_go_to_the_tenant_under_its_share() -> None:
    ledger = InFlightLedger(queue_ttl_s=60)
    for i in range(8):
        admit(ledger, "a", f"a{i}")
    admit(ledger, "b", "b0"), admit(ledger, "b", "b1")
    ledger.snapshot("a0", "a", ended=True)
    assert not admit(ledger, "a", "a-new")  # 7 of a fair share of 4
    assert admit(ledger, "b", "b2")


def test_per_tenant_limit_with_room_in_the_mesh() -> None:
    limits = AdmissionLimits(max_in_flight=100, max_in_flight_per_tenant=3, reserve=10, retry_after_s=1.5)
    decision = decide(limits, tenant="t", tenant_in_flight=3, total_in_flight=3, active_tenants=1)
    assert decision.refusal is Refusal.TENANT_LIMIT
    assert decision.retry_after_s == 1.5 and "retry in 1.5 s" in decision.message and "'t'" in decision.message


def test_fair_share_is_at_least_one() -> None:
    assert fair_share(LIMITS, 100) == 1
    assert fair_share(LIMITS, 3) == 3


@pytest.mark.parametrize("kwargs", [dict(reserve=10), dict(reserve=-1), dict(max_in_flight=0), dict(retry_after_s=0)])
def test_limits_refuse_nonsense(kwargs: dict[str, float]) -> None:
    values = dict(max_in_flight=10, max_in_flight_per_tenant=5, reserve=2, retry_after_s=1.0) | kwargs
    with pytest.raises(ValueError):
        AdmissionLimits(**values)  # type: ignore[arg-type]


def test_ledger_counts_from_request_to_terminal_snapshot() -> None:
    ledger = InFlightLedger(queue_ttl_s=60)
    ledger.requested("t1", "a", at=0)
    ledger.requested("t1", "a", at=1)  # the same request read again (a copy, a replay)
    assert (ledger.total, ledger.queued, ledger.in_flight("a")) == (1, 1, 1)
    ledger.snapshot("t1", "a", ended=False)
    assert (ledger.total, ledger.queued) == (1, 0)
    ledger.snapshot("t1", "a", ended=True)
    assert (ledger.total, ledger.in_flight("a"), ledger.active_tenants) == (0, 0, 0)


def test_a_terminal_snapshot_read_before_its_request_is_not_counted() -> None:
    ledger = InFlightLedger(queue_ttl_s=60)
    ledger.snapshot("t1", "a", ended=True)
    ledger.requested("t1", "a", at=0)
    assert ledger.total == 0


def test_a_running_snapshot_without_a_request_counts() -> None:
    ledger = InFlightLedger(queue_ttl_s=60)
    ledger.snapshot("t1", "a", ended=False)  # its request is older than the topic's retention
    assert ledger.in_flight("a") == 1 and ledger.queued == 0


def test_a_request_no_snapshot_follows_stops_counting_after_the_ttl() -> None:
    ledger = InFlightLedger(queue_ttl_s=60)
    ledger.requested("poison", "a", at=100)
    ledger.requested("fresh", "a", at=150)
    assert ledger.expire(now=161) == 1
    assert ledger.total == 1 and ledger.in_flight("a") == 1


def test_forgotten_tasks_leave_the_ledger() -> None:
    ledger = InFlightLedger(queue_ttl_s=60)
    ledger.requested("t1", "a", at=0)
    ledger.forgotten("t1")
    assert ledger.total == 0
    ledger.snapshot("t2", "a", ended=True)
    ledger.forgotten("t2")
    ledger.requested("t2", "a", at=0)  # the id reused after its retention: a new task
    assert ledger.total == 1


def test_a_task_awaiting_review_does_not_count_while_it_waits() -> None:
    ledger = InFlightLedger(queue_ttl_s=60)
    ledger.requested("t1", "a", at=0)
    ledger.snapshot("t1", "a", ended=False, parked=True)
    assert ledger.total == 0 and ledger.queued == 0
    ledger.snapshot("t1", "a", ended=False)  # approved: it runs again
    assert ledger.in_flight("a") == 1
