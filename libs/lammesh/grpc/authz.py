"""Caller authorisation by service identity: the peer certificate's SPIFFE URI SAN against the
policy of lammesh.identity. Installed by GrpcServer when the server requires client certificates
(grpc_mtls); plaintext and TLS-only servers are unchanged. docs/decisions/0680."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from cryptography import x509

from lammesh.audit import audit
from lammesh.identity import allowed_callers, authorise, service_of
from lammesh.v1 import step_pb2

_STEP_ACTIONS = {
    "/lammesh.v1.StepService/Execute": step_pb2.STEP_ACTION_EXECUTE,
    "/lammesh.v1.StepService/Compensate": step_pb2.STEP_ACTION_COMPENSATE,
}


def peer_identity_uris(context: grpc.aio.ServicerContext) -> tuple[str, ...]:
    """The URI SANs of the peer's certificate (empty: no certificate, or none in it)."""
    pems = context.auth_context().get("x509_pem_cert") or []
    if not pems:
        return ()
    try:
        cert = x509.load_pem_x509_certificate(pems[0])
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return ()
    return tuple(san.get_values_for_type(x509.UniformResourceIdentifier))


def peer_service(context: grpc.aio.ServicerContext) -> str | None:
    names = [name for uri in peer_identity_uris(context) if (name := service_of(uri))]
    return names[0] if len(names) == 1 else None


def _command_fields(method: str, request: Any) -> dict[str, str]:
    """Task, step and (for a step call) idempotency key, the step executor's success key, of a refused call."""
    command = getattr(request, "command", None)
    if not isinstance(command, step_pb2.StepCommand):
        if isinstance(getattr(request, "task_id", None), str):  # a watcher's CheckRequest
            return {"task_id": request.task_id, "step_id": request.step_id}
        return {}
    action = command.action or _STEP_ACTIONS.get(method, 0)  # the servicer fills it from the method the same way
    return {
        "task_id": command.task_id,
        "step_id": command.step_id,
        "idempotency_key": f"{command.task_id}/{command.step_id}/{action}",
    }


class AuthorisationInterceptor(grpc.aio.ServerInterceptor):
    """PERMISSION_DENIED, naming the caller and who may call, for a peer the policy refuses."""

    async def intercept_service(self, continuation, handler_call_details):  # type: ignore[override]
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or allowed_callers(method) is None or handler.unary_unary is None:
            return handler
        return grpc.unary_unary_rpc_method_handler(
            self._guarded(method, handler.unary_unary),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    @staticmethod
    def _guarded(method: str, behavior: Callable) -> Callable:
        async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
            decision = authorise(peer_identity_uris(context), method)
            if not decision.allowed:
                audit(
                    method.rsplit("/", 1)[-1].lower(),
                    "denied",
                    caller=decision.caller,
                    via="grpc",
                    method=method,
                    allowed_callers=list(decision.allowed_callers or ()),
                    **_command_fields(method, request),
                )
                await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{method}: {decision.reason}")
            return await behavior(request, context)

        return call
