"""Services as real separate processes (`lammesh run NAME`), for crash and shutdown tests."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import grpc

from lammesh.grpc.client import wait_serving as lammesh_wait_serving
from lammesh.settings import Settings


def service_env(settings: Settings, port: int, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "LAMMESH_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "LAMMESH_TOPIC_PREFIX": settings.topic_prefix,
        "LAMMESH_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "LAMMESH_GRPC_HOST": "127.0.0.1",
        "LAMMESH_GRPC_PORT": str(port),
        "LAMMESH_METRICS_PORT": "0",
        "LAMMESH_WORKFLOWS_DIR": str(settings.workflows_dir),
        "LAMMESH_COORDINATOR_DATA_DIR": str(settings.coordinator_data_dir),
        "LAMMESH_TIMER_INTERVAL_S": str(settings.timer_interval_s),
        "LAMMESH_WATCHER_ENDPOINTS": json.dumps(settings.watcher_endpoints),
        "LAMMESH_LOG_FORMAT": "json",
    }
    env.update(extra)
    return env


async def start_service(name: str, settings: Settings, port: int, *, log: Path | None = None, **extra: str) -> asyncio.subprocess.Process:
    lammesh = os.path.join(os.path.dirname(sys.executable), "lammesh")
    stderr = open(log, "ab") if log else asyncio.subprocess.PIPE  # noqa: SIM115 (the child owns it)
    return await asyncio.create_subprocess_exec(
        lammesh, "run", name, env=service_env(settings, port, **extra),
        stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
    )


async def wait_serving(port: int, process: asyncio.subprocess.Process, timeout: float = 90) -> None:
    def exited() -> str | None:
        return None if process.returncode is None else f"exited early with {process.returncode}"

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        await lammesh_wait_serving(channel, exited=exited, timeout=timeout, name="service")


async def stop(process: asyncio.subprocess.Process, timeout: float = 60) -> int:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
    return process.returncode
