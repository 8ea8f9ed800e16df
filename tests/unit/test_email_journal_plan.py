from lammesh_services.tools.email.journal import JournalEntry, SendPlan, SendState, plan_send


def test_no_entry_sends_an_accepted_one_answers_and_an_unanswered_intent_resends() -> None:
    assert plan_send(None) is SendPlan.SEND
    assert plan_send(JournalEntry("t/email", "<m@x>", SendState.ACCEPTED, {"message_id": "<m@x>"})) is SendPlan.ANSWER
    assert plan_send(JournalEntry("t/email", "<m@x>", SendState.SENDING, None)) is SendPlan.RESEND
