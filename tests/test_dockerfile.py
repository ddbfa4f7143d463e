"""The Dockerfile, without a Docker engine: what it copies exists, it runs as non-root, and its commands work."""
from __future__ import annotations

import fnmatch
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from service.__main__ import build_parser
from test_service_support import REPO, default_model_dir, free_port, served


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined and comments dropped."""
    lines, current = [], ""
    for line in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        current += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            lines.append(current.strip())
            current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def arguments(instruction: str) -> list[str]:
    return [args for name, args in instructions() if name == instruction]


def dockerignored(path: str) -> bool:
    patterns = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pattern in patterns:
        for prefix in prefixes:
            if fnmatch.fnmatch(prefix, pattern) or (
                    pattern.startswith("**/") and fnmatch.fnmatch(prefix.split("/")[-1], pattern[3:])):
                return True
    return False


def exec_form(args: str) -> list[str]:
    return json.loads(args[args.index("["):])


def test_base_image_is_slim_python_311():
    [base] = arguments("FROM")
    assert base.startswith("python:3.11-slim")


def test_the_service_runs_as_a_non_root_user():
    users = arguments("USER")
    assert users and users[-1] not in ("root", "0")


def test_every_copied_path_exists_and_is_not_dockerignored():
    for copy in arguments("COPY"):
        *sources, _destination = copy.split()
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: no such file in the repo"
            assert not dockerignored(source), f"COPY {source}: excluded by .dockerignore"


def test_the_default_model_goes_into_the_image():
    model_dir = default_model_dir().resolve().relative_to(REPO)
    assert any(copy.split()[0] == "models" for copy in arguments("COPY"))
    for path in ["models/DEFAULT", *(str(model_dir / name) for name in ("model.joblib", "metadata.json"))]:
        assert (REPO / path).exists() and not dockerignored(path), path


def test_tests_and_git_history_stay_out_of_the_image():
    assert dockerignored("tests/test_dockerfile.py") and dockerignored(".git/HEAD")
    assert dockerignored("service/__pycache__/app.cpython-311.pyc")


def test_command_serves_on_all_interfaces_with_flags_the_cli_accepts():
    [command] = arguments("CMD")
    argv = exec_form(command)
    assert argv[:3] == ["python", "-m", "service"]
    assert build_parser().parse_args(argv[3:]).host == "0.0.0.0"


def test_healthcheck_runs_the_readiness_probe_module():
    [healthcheck] = arguments("HEALTHCHECK")
    argv = exec_form(healthcheck)
    assert argv[:2] == ["python", "-m"]
    assert importlib.util.find_spec(argv[2]) is not None


@pytest.mark.slow
def test_the_image_command_serves_and_its_healthcheck_passes_then_fails_when_stopped():
    port = free_port()
    command = exec_form(arguments("CMD")[0])[1:] + ["--port", str(port)]
    probe = [sys.executable, *exec_form(arguments("HEALTHCHECK")[0])[1:]]
    env = {**os.environ, "JINMYAKU_PORT": str(port)}
    with served(command, port):
        assert subprocess.run(probe, env=env, cwd=REPO, capture_output=True).returncode == 0
    assert subprocess.run(probe, env=env, cwd=REPO, capture_output=True).returncode == 1


def test_the_image_builds_the_compiled_loops_and_keeps_host_builds_out():
    [run] = [args for args in arguments("RUN") if "pip install" in args]
    assert "gcc" in run and run.index("gcc") < run.index("pip install")
    # Purged in the same layer, or the image keeps the compiler.
    assert "purge" in run and run.index("purge") > run.index("pip install")
    assert 'import training._fastscore, training._fastmatch' in run
    assert dockerignored("training/_fastscore.cpython-311-x86_64-linux-gnu.so")
    assert dockerignored("training/_fastmatch.cpython-311-x86_64-linux-gnu.so")
