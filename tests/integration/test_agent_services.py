"""The meeting agents as real services over gRPC: real models, typed input checked at the edge."""

from __future__ import annotations

import grpc
import pytest

from lammesh.structs import from_struct
from lammesh.v1 import step_pb2, step_pb2_grpc
from tests.support.meetings import load_meeting
from tests.support.mesh import running
from tests.support.services import insights, notes

pytestmark = pytest.mark.kafka


def command(capability: str, task_id: str, **fields) -> step_pb2.StepCommand:
    cmd = step_pb2.StepCommand(
        task_id=task_id, step_id=capability, attempt=1, capability=capability, action=step_pb2.STEP_ACTION_EXECUTE
    )
    cmd.input.update(fields)
    return cmd


async def test_notes_then_insights_over_grpc_and_bad_input_is_named(settings):
    meeting = load_meeting("02")
    notes_rt = notes(settings.model_copy(update={"service_name": "notes", "encoder_threads": 2}))
    insights_rt = insights(settings.model_copy(update={"service_name": "insights", "encoder_threads": 2}))
    async with running(notes_rt, insights_rt):
        async with (
            grpc.aio.insecure_channel(f"127.0.0.1:{notes_rt.grpc.port}") as a,
            grpc.aio.insecure_channel(f"127.0.0.1:{insights_rt.grpc.port}") as b,
        ):
            notes_stub, insights_stub = step_pb2_grpc.StepServiceStub(a), step_pb2_grpc.StepServiceStub(b)
            reply = await notes_stub.Execute(
                step_pb2.ExecuteRequest(
                    command=command(
                        "notes",
                        "n1",
                        transcript=meeting["transcript"],
                        date=meeting["date"],
                        participants=meeting["participants"],
                    )
                )
            )
            assert reply.result.status == step_pb2.STEP_STATUS_SUCCEEDED, reply.result.error
            produced = from_struct(reply.result.output)
            assert {a["name"] for a in produced["attendees"]} == {"Sam Reed", "Hank Scorpio", "Mia Chen"}
            assert any(i["owner"] == "Mia Chen" and i["due"] == "2026-11-23" for i in produced["action_items"])

            reply = await insights_stub.Execute(
                step_pb2.ExecuteRequest(
                    command=command("insights", "n1", notes=produced, account_domain="globex.example")
                )
            )
            assert reply.result.status == step_pb2.STEP_STATUS_SUCCEEDED, reply.result.error
            assert reply.result.output["stage"] == "negotiation"

            bad_date = await notes_stub.Execute(
                step_pb2.ExecuteRequest(
                    command=command("notes", "n2", transcript=meeting["transcript"], date="next tuesday")
                )
            )
            untagged = await notes_stub.Execute(
                step_pb2.ExecuteRequest(
                    command=command("notes", "n3", transcript="no speakers here at all", date="2026-11-19")
                )
            )
    assert (bad_date.result.error.code, bad_date.result.error.field) == ("INVALID_INPUT", "input.date")
    assert not bad_date.result.error.retryable
    assert (untagged.result.error.code, untagged.result.error.field) == ("INVALID_INPUT", "input.transcript")
