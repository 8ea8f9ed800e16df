"""gRPC side of a step service: StepService.Execute / Compensate, same executor as Kafka."""

from __future__ import annotations

import grpc

from lammesh.errors import InvalidArgument
from lammesh.grpc.authz import peer_service
from lammesh.steps.executor import StepExecutor, validate_command
from lammesh.v1 import step_pb2, step_pb2_grpc


class StepServicer(step_pb2_grpc.StepServiceServicer):
    def __init__(self, executor: StepExecutor) -> None:
        self._executor = executor

    async def Execute(
        self, request: step_pb2.ExecuteRequest, context: grpc.aio.ServicerContext
    ) -> step_pb2.ExecuteResponse:
        return step_pb2.ExecuteResponse(result=await self._checked(request, step_pb2.STEP_ACTION_EXECUTE, context))

    async def Compensate(
        self, request: step_pb2.CompensateRequest, context: grpc.aio.ServicerContext
    ) -> step_pb2.CompensateResponse:
        return step_pb2.CompensateResponse(
            result=await self._checked(request, step_pb2.STEP_ACTION_COMPENSATE, context)
        )

    async def _checked(
        self,
        request: step_pb2.ExecuteRequest | step_pb2.CompensateRequest,
        action: int,
        context: grpc.aio.ServicerContext,
    ) -> step_pb2.StepResult:
        if not request.HasField("command"):
            raise InvalidArgument("command", "is required")
        command = step_pb2.StepCommand()
        command.CopyFrom(request.command)
        if command.action == step_pb2.STEP_ACTION_UNSPECIFIED:
            command.action = action
        elif command.action != action:
            raise InvalidArgument("command.action", f"must be {step_pb2.StepAction.Name(action)} for this method")
        if command.attempt == 0:
            command.attempt = 1
        invalid = validate_command(command, self._executor.identity.capability)
        if invalid is not None:
            raise InvalidArgument(f"command.{invalid.field}", invalid.message)
        return await self._executor.run(command, caller=peer_service(context), via="grpc")
