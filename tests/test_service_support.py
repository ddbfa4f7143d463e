"""Helpers shared by the service tests (this module holds no tests): model copies and a served process."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
READY_TIMEOUT_SECONDS = 30


def default_model_dir() -> Path:
    from training.artifacts import default_model_dir as resolve

    return resolve()


def copy_model(destination: Path, version: str) -> Path:
    """A copy of the default model that reports another version (to tell models apart after a reload)."""
    shutil.copytree(default_model_dir(), destination)
    metadata_path = destination / "metadata.json"
    metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    metadata["version"] = version
    metadata_path.write_text(json.dumps(metadata, ensure_ascii=False), encoding="utf-8")
    return destination


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(args: list[str], port: int, env: dict[str, str] | None = None):
    """Run `python <args>` from the repo until /readyz answers on ``port``; always stop it afterwards."""
    # Output goes to a file: a pipe nobody reads would fill up with access logs and block the server.
    with tempfile.TemporaryFile(mode="w+") as output:
        process = subprocess.Popen([sys.executable, *args], cwd=REPO, env={**os.environ, **(env or {})},
                                   stdout=output, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            wait_until_ready(process, f"http://127.0.0.1:{port}", output)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)


def wait_until_ready(process: subprocess.Popen, base_url: str, output) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            output.seek(0)
            raise AssertionError(f"the service exited with {process.returncode}:\n{output.read()}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the service was not ready within {READY_TIMEOUT_SECONDS}s")
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM (uvicorn then stops its workers); SIGKILL to the process group we started if that hangs."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
