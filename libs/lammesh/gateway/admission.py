"""The gateway's admission control (docs/decisions/0640): the pure policy of lammesh.admission, fed
from the records the read model's reader sees, with the clock and the metrics at this edge."""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

from lammesh import metrics
from lammesh.admission import AdmissionLimits, InFlightLedger, decide
from lammesh.errors import ResourceExhausted
from lammesh.settings import GatewaySettings

log = structlog.get_logger(__name__)


class Admission:
    def __init__(self, limits: AdmissionLimits, queue_ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self.ledger = InFlightLedger(queue_ttl_s)
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> Admission:
        return cls(
            AdmissionLimits(
                max_in_flight=settings.admission_max_in_flight,
                max_in_flight_per_tenant=settings.admission_max_in_flight_per_tenant,
                reserve=settings.admission_reserve,
                retry_after_s=settings.admission_retry_after_s,
            ),
            settings.admission_queue_ttl_s,
        )

    # -- fed by the read model's reader (tasks.requested, tasks.state) and by SubmitTask ---------

    def requested(self, task_id: str, tenant: str, at: float | None = None) -> None:
        self.ledger.requested(task_id, tenant, self._clock() if at is None else at)
        self._observe()

    def snapshot(self, task_id: str, tenant: str, *, ended: bool, parked: bool = False) -> None:
        self.ledger.snapshot(task_id, tenant, ended=ended, parked=parked)
        self._observe()

    def forgotten(self, task_id: str) -> None:
        self.ledger.forgotten(task_id)
        self._observe()

    # -- SubmitTask --------------------------------------------------------------------------------

    def check(self, tenant: str) -> None:
        """Room for one more task of `tenant`, or ResourceExhausted with the retry hint."""
        expired = self.ledger.expire(self._clock())
        if expired:
            log.warning(
                "requests without any task snapshot stopped counting as in flight",
                count=expired,
                after_s=self.ledger.queue_ttl_s,
            )
        decision = decide(
            self.limits,
            tenant=tenant,
            tenant_in_flight=self.ledger.in_flight(tenant),
            total_in_flight=self.ledger.total,
            active_tenants=self.ledger.active_tenants,
        )
        if not decision.admitted:
            assert decision.refusal is not None
            metrics.ADMISSIONS.labels(decision.refusal.value).inc()
            raise ResourceExhausted(decision.message, retry_after_s=decision.retry_after_s)

    def admitted(self, task_id: str, tenant: str) -> None:
        """The task passed `check` and its input checks: it counts from now (before its publish)."""
        metrics.ADMISSIONS.labels("admitted").inc()
        self.requested(task_id, tenant)

    def _observe(self) -> None:
        metrics.TASKS_IN_FLIGHT.set(self.ledger.total)
        metrics.TASKS_QUEUED.set(self.ledger.queued)
