"""The short chaos run (`make chaos` is the long one, loadtest/chaos.py): the mesh as separate
processes under load — noop sagas, some failing and compensating, and meeting follow-ups with a
real CRM database and SMTP sink — while a random service is SIGKILLed every few seconds and
restarted, the coordinator is SIGKILLed once and the (dedicated) Kafka broker restarted once.

Then, from the CRM database, the Maildir and the task events: no task lost or stuck, no CRM
change applied twice, no mail sent twice, every compensated task's CRM rows as they were seeded.
"""

from __future__ import annotations

import pytest

from loadtest.chaos import KINDS, ChaosConfig, ChaosRun, print_report

pytestmark = [pytest.mark.kafka, pytest.mark.chaos, pytest.mark.timeout(600)]


async def test_faults_under_load_lose_nothing_and_repeat_no_side_effect(tmp_path):
    config = ChaosConfig(
        tasks=200, duration_s=50.0, meeting_share=0.12, kill_interval_s=4.0, coordinator_kills=1, broker_restarts=1,
        stall_timeout_s=120.0, seed=7, workdir=tmp_path / "chaos",
    )
    run = ChaosRun(config)
    verdict, details = await run.run()
    print_report(run.console, verdict, details)

    counts = verdict.counts
    # The faults really happened while the load ran.
    assert counts["coordinator_kills"] == 1 and counts["broker_restarts"] == 1, details["fault_log"]
    assert counts["service_kills"] >= 3, details["fault_log"]
    # Every kind of task ran, and the side effects really happened (the checks below are not vacuous).
    assert set(verdict.outcomes) == set(KINDS), verdict.outcomes
    assert counts["submitted"] == 200
    assert counts["crm_applied"] > 0 and counts["crm_undone"] > 0 and counts["mails_in_sink"] > 0, counts
    assert counts["completed"] > 0 and counts["compensated"] > 0, counts
    # The invariants.
    assert verdict.violations == {}, verdict.violations
    assert counts["lost"] == counts["stuck"] == 0
    assert counts["crm_applied_twice"] == counts["mail_sent_twice"] == 0
    assert counts["compensated_crm_not_restored"] == counts["step_left_uncompensated"] == 0


async def test_a_rolling_restart_of_every_service_under_load_ends_every_task_as_without_faults(tmp_path):
    """As a Kubernetes rolling update does: each service in turn SIGTERMed (it drains), started
    again and SERVING before the next, while noop sagas run. Graceful restarts must not end any
    task otherwise than it would end without them (#13: 0 tasks ended by an infrastructure fault)."""
    config = ChaosConfig(
        tasks=150, duration_s=60.0, meeting_share=0.0, kill_interval_s=2.0, rolling=True,
        stall_timeout_s=120.0, seed=11, workdir=tmp_path / "rolling",
    )
    run = ChaosRun(config)
    verdict, details = await run.run()
    print_report(run.console, verdict, details)

    counts = verdict.counts
    # Two replicas per watcher (a check rides out one restarting), one coordinator and one noop.
    restarted = {"coordinator", "noop", "loop-0", "loop-1", "policy-0", "policy-1"}
    assert set(details["rolling_restarts"]) == restarted, details["fault_log"]
    assert counts["service_kills"] == counts["coordinator_kills"] == counts["broker_restarts"] == 0
    assert counts["submitted"] == 150 and counts["completed"] > 0 and counts["compensated"] > 0, counts
    assert verdict.violations == {}, verdict.violations
    assert counts.get("unexpected_outcome", 0) == 0, verdict.unexpected_reasons
    assert counts["crashed_on_their_own"] == 0, details["crashed"]
