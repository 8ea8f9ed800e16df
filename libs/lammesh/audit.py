"""The audit trail: one structlog event, `audit`, per step execution, review decision and refusal.

Fields: `action` (execute / compensate / review.approve / ...), `outcome` (succeeded, failed,
replayed, denied, approved, rejected), `caller` (the service identity of a gRPC peer, the producer
of a Kafka command, or the gateway's authenticated principal), `via` (grpc / kafka), and the task,
step and idempotency key when there are ones. docs/decisions/0680.
"""

from __future__ import annotations

from typing import Any

import structlog

EVENT = "audit"


def audit(
    action: str,
    outcome: str,
    *,
    caller: str | None,
    via: str,
    task_id: str = "",
    step_id: str = "",
    idempotency_key: str = "",
    **fields: Any,
) -> None:
    # a logger per event (not cached at import), so the configuration in force now applies
    structlog.get_logger("lammesh.audit").info(
        EVENT,
        action=action,
        outcome=outcome,
        caller=caller or "unknown",
        via=via,
        task_id=task_id,
        step_id=step_id,
        idempotency_key=idempotency_key,
        **fields,
    )
