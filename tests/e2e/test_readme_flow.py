"""The README's first steps as a new user runs them: `lammesh up` (the whole catalogue, every
service its own process), then `lammesh submit meeting_followup --input
examples/meetings/01-acme-proposal.json --wait`, which completes because `lammesh up` seeded the
dev CRM with the sample accounts; then Ctrl-C (SIGTERM) stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from lammesh.dev.localkafka import REPO_ROOT, free_port
from lammesh.dev.smtpsink import read_maildir
from lammesh_services.tools.crm.store import CrmStore

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(900)]

LAMMESH = str(Path(sys.executable).with_name("lammesh"))


def wait_until_up(up: subprocess.Popen[bytes], state: Path, log: Path, timeout: float = 600) -> None:
    """Until `lammesh up` wrote its mesh.json (every service SERVING), or it exited."""
    deadline = time.monotonic() + timeout
    while not state.exists():
        if up.poll() is not None:
            pytest.fail(f"lammesh up exited with {up.returncode}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"lammesh up not up after {timeout:.0f}s:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)


def test_lammesh_up_then_the_readme_submit_completes(kafka_bootstrap, tmp_path):
    crm_url = f"sqlite:///{tmp_path / 'state' / 'crm.sqlite3'}"
    console_port = free_port()
    env = {
        **os.environ,
        "LAMMESH_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "LAMMESH_TOPIC_PREFIX": f"readme{uuid.uuid4().hex[:8]}",
        "LAMMESH_GATEWAY_ADDRESS": f"127.0.0.1:{free_port()}",
        "LAMMESH_SMTP_PORT": str(free_port()),
        "LAMMESH_CONSOLE_PORT": str(console_port),
        "LAMMESH_STATE_DIR": str(tmp_path / "state"),
        "LAMMESH_CRM_DATABASE_URL": crm_url,
        "LAMMESH_ENCODER_THREADS": "1",  # five model services share the cores
    }
    run_dir = tmp_path / "run"
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        up = subprocess.Popen(
            [LAMMESH, "up", "--run-dir", str(run_dir)], cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_until_up(up, run_dir / "mesh.json", log)
        said_up = " ".join(log.read_text().split())  # rich wraps long lines when not on a terminal
        assert "sample accounts: added acme.example, globex.example, umbrella.example" in said_up
        assert f"console http://127.0.0.1:{console_port}/" in said_up  # the web console came up too

        submit = subprocess.run(
            [LAMMESH, "submit", "meeting_followup", "--input", "examples/meetings/01-acme-proposal.json", "--wait"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            timeout=600,
        )
        said = (submit.stdout + submit.stderr).decode(errors="replace")
        assert submit.returncode == 0, said[-3000:]
        assert "COMPLETED" in said and "UNKNOWN_ACCOUNT" not in said

        store = CrmStore(crm_url)
        try:
            acme = next(o for o in store.snapshot()["opportunities"] if o["name"] == "Acme analytics platform")
        finally:
            store.close()
        assert acme["stage"] == "proposal" and acme["version"] == 2  # seeded at 1, updated once
        mails = read_maildir(run_dir / "maildir")
        assert [m["Subject"] for m in mails] == ["Follow-up: Acme analytics platform: pilot review"]

        again = subprocess.run([LAMMESH, "crm", "seed"], cwd=REPO_ROOT, env=env, capture_output=True, timeout=120)
        assert again.returncode == 0, again.stderr.decode()
        assert "added none; 3 account(s) there already" in " ".join(again.stderr.decode().split())
    finally:
        if up.poll() is None:
            up.send_signal(signal.SIGTERM)  # what Ctrl-C does
            try:
                up.wait(timeout=180)
            except subprocess.TimeoutExpired:
                up.kill()
                up.wait()
    assert up.returncode == 0, log.read_text()[-3000:]
    assert not (run_dir / "mesh.json").exists()  # stopped cleanly
