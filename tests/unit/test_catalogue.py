"""The service catalogue: one declaration per service; agents and tools name their handler class."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lammesh.catalogue import STEP_KINDS, ServiceKind, ServiceSpec, load_services
from lammesh.settings import Settings
from lammesh.steps import StepHandler
from lammesh.v1 import registry_pb2


def test_every_agent_and_tool_names_a_step_handler_and_its_identity():
    steps = [spec for spec in load_services().values() if spec.kind in STEP_KINDS]
    assert {spec.capability for spec in steps} >= {"noop", "crm", "email", "notes", "insights", "followup"}
    for spec in steps:
        assert issubclass(spec.handler_class(), StepHandler), spec.name
        assert spec.identity.capability == spec.capability
        expected = registry_pb2.SERVICE_KIND_AGENT if spec.kind is ServiceKind.AGENT else registry_pb2.SERVICE_KIND_TOOL
        assert spec.identity.kind == expected


def test_handler_classes_no_longer_declare_what_the_catalogue_does():
    for spec in load_services().values():
        if spec.kind in STEP_KINDS:
            handler = spec.handler_class()
            assert not {"capability", "kind", "version"} & set(vars(handler)), spec.name


def test_reading_the_catalogue_imports_no_handler():
    # Gateway and coordinator validate workflows against the served capabilities: importing the
    # agents (encoders, SQLAlchemy, SMTP) there would cost ~40 MB and half a second per process.
    probe = (
        "import sys\n"
        "from lammesh.catalogue import load_services, served_capabilities\n"
        "assert 'notes' in served_capabilities()\n"
        "[spec.identity for spec in load_services().values() if spec.capability]\n"
        "print(sorted(m for m in sys.modules if m.startswith('lammesh_services.') and not m.endswith('catalogue')))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


async def test_the_handler_entry_builds_a_step_service_for_its_capability():
    spec = load_services()["noop"]
    runtime = spec.load()(Settings(service_name="noop"))
    assert runtime.settings.service_name == "noop"
    assert any(topic.name(runtime.settings).endswith(".steps.noop") for topic in runtime.topics)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"kind": ServiceKind.AGENT, "capability": "x"}, "name their capability and their handler"),
        ({"kind": ServiceKind.TOOL, "handler": "m:C"}, "name their capability and their handler"),
        ({"kind": ServiceKind.TOOL, "capability": "x", "handler": "m:C", "bootstrap": "m:f"}, "not a bootstrap"),
        ({"kind": ServiceKind.WATCHER, "handler": "m:C"}, "service names its bootstrap"),
        ({"kind": ServiceKind.GATEWAY, "bootstrap": "no-colon"}, "is not 'module:attribute'"),
    ],
)
def test_a_malformed_entry_is_refused_with_what_it_lacks(fields, problem):
    with pytest.raises(ValueError, match=problem):
        ServiceSpec(name="x", **fields)


def test_a_handler_that_is_not_a_step_handler_is_refused():
    spec = ServiceSpec(name="x", kind=ServiceKind.TOOL, capability="x", handler="lammesh.settings:Settings")
    with pytest.raises(TypeError, match="not a StepHandler subclass"):
        spec.handler_class()
