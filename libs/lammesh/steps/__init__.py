"""The step runtime: what turns a StepHandler into a service on Kafka and gRPC."""

from lammesh.steps.handler import StepContext, StepFailure, StepHandler, StepIdentity

__all__ = ["StepContext", "StepFailure", "StepHandler", "StepIdentity"]
