"""Builds a watcher service: a gRPC-only ServiceRuntime serving WatcherService."""

from __future__ import annotations

from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.v1 import watcher_pb2, watcher_pb2_grpc
from lammesh.watchers.servicer import WatcherServicer
from lammesh.watchers.watcher import Watcher

WATCHER_SERVICE = watcher_pb2.DESCRIPTOR.services_by_name["WatcherService"].full_name


def build_watcher_service(watcher: Watcher, settings: Settings) -> ServiceRuntime:
    """gRPC only (no Kafka: watchers are called synchronously by the coordinator). The service
    goes SERVING after `watcher.start()` (model loading, warm-up) has returned."""
    runtime = ServiceRuntime(settings, kafka=False)
    servicer = WatcherServicer(watcher, settings)
    runtime.grpc.add(watcher_pb2_grpc.add_WatcherServiceServicer_to_server, servicer, WATCHER_SERVICE)
    runtime.on_started.append(servicer.start)
    return runtime
