"""The short chaos run (`make chaos` is the long one, loadtest/chaos.py): the mesh as separate
processes under load — noop sagas, some failing and compensating, some waiting for a review that
is approved or rejected through the gateway, some cancelled through the gateway while a slow step
runs, and meeting follow-ups with a real CRM database and SMTP sink — while a random service
instance is SIGKILLed every few seconds and restarted (each watcher runs two replicas and a kill
never takes the last one serving), the coordinator is SIGKILLed once, the (dedicated) Kafka broker
restarted once and the email service SIGKILLed twice inside the duplicate-mail window (after SMTP
accepted, before the result was stored).

Then, from the CRM database, the Maildir, the task events and the gateway's read model: no task
lost or stuck, none ended by the faults, no CRM change applied twice, no mail sent twice, every
compensated task's CRM rows as they were seeded, every review decision and cancel applied once.
"""

from __future__ import annotations

import pytest

from loadtest.chaos import KINDS, WATCHERS, ChaosConfig, ChaosRun, print_report

pytestmark = [pytest.mark.kafka, pytest.mark.chaos, pytest.mark.timeout(600)]


async def test_faults_under_load_lose_nothing_and_repeat_no_side_effect(tmp_path):
    config = ChaosConfig(
        tasks=200,
        duration_s=50.0,
        meeting_share=0.12,
        kill_interval_s=4.0,
        coordinator_kills=1,
        broker_restarts=1,
        stall_timeout_s=120.0,
        seed=7,
        workdir=tmp_path / "chaos",
        email_window_kills=2,
    )
    run = ChaosRun(config)
    verdict, details = await run.run()
    print_report(run.console, verdict, details)

    counts = verdict.counts
    # The faults really happened while the load ran.
    assert counts["coordinator_kills"] == 1 and counts["broker_restarts"] == 1, details["fault_log"]
    assert counts["service_kills"] >= 3, details["fault_log"]
    assert any(victim.split("-")[0] in WATCHERS for victim in details["kills"]), details["kills"]
    assert counts["email_window_kills"] == 2, details["fault_log"]
    # Every kind of task ran, and the side effects really happened (the checks below are not vacuous).
    assert set(verdict.outcomes) == set(KINDS), verdict.outcomes
    assert counts["submitted"] == 200
    assert counts["crm_applied"] > 0 and counts["crm_undone"] > 0 and counts["mails_in_sink"] > 0, counts
    assert counts["completed"] > 0 and counts["compensated"] > 0, counts
    assert counts["reviews_decided"] >= 8 and counts["cancels_applied"] > 0, (counts, details["controls"])
    # The invariants.
    assert verdict.violations == {}, verdict.violations
    assert counts["lost"] == counts["stuck"] == counts["ended_by_fault"] == 0
    assert counts["review_not_applied_once"] == counts["cancel_not_applied_once"] == counts["compensated_twice"] == 0
    assert counts["crm_applied_twice"] == counts["mail_sent_twice"] == 0
    assert counts["compensated_crm_not_restored"] == counts["step_left_uncompensated"] == 0


async def test_a_rolling_update_of_every_service_under_load_ends_no_task_by_it(tmp_path):
    """Each instance in turn is SIGTERMed, started again and SERVING before the next, while the
    load runs (watchers with two replicas, as their Deployments have): a restart is not a fault a
    task may see, so every task ends as it would with no restart at all, and every review decision
    and cancel sent through the (restarting) gateway is applied once."""
    config = ChaosConfig(
        tasks=150,
        duration_s=70.0,
        meeting_share=0.12,
        stall_timeout_s=120.0,
        seed=11,
        workdir=tmp_path / "rolling",
        rolling=True,
        email_window_kills=0,
        rolling_pause_s=1.0,
        # one of each kind (`make chaos CHAOS_ARGS=--rolling` goes through every instance)
        rolling_instances=["coordinator", "injection-0", "injection-1", "pii-0", "email", "notes", "crm", "gateway"],
    )
    run = ChaosRun(config)
    verdict, details = await run.run()
    print_report(run.console, verdict, details)

    counts = verdict.counts
    assert counts["rolling_restarts"] >= 8, details["fault_log"]
    assert {"coordinator", "injection-0", "injection-1", "email", "gateway"} <= set(details["rolled"]), details[
        "rolled"
    ]
    assert counts["reviews_decided"] > 0 and counts["cancels_applied"] > 0, details["controls"]
    assert counts["service_kills"] == counts["coordinator_kills"] == counts["broker_restarts"] == 0
    assert counts["submitted"] == 150 and counts["completed"] > 0 and counts["mails_in_sink"] > 0, counts
    assert verdict.violations == {}, verdict.violations
    assert counts["lost"] == counts["stuck"] == counts["ended_by_fault"] == 0, verdict.unexpected_reasons
