"""`python -m service` as a real process, over real HTTP."""
from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from service import JinmyakuClient
from test_service_support import REPO, free_port, served

pytestmark = pytest.mark.slow

BIOS = ["株式会社ABC 代表取締役社長", "〇〇銀行 法人営業部 部長", "大学3年生。サークルはテニス"]


def test_served_process_classifies_over_http():
    port = free_port()
    with served(["-m", "service", "--port", str(port)], port) as base_url:
        with JinmyakuClient(base_url) as client:
            assert client.classify(BIOS[0]).primary == "executive"
            assert [r.primary for r in client.classify(BIOS)] == ["executive", "manager", None]
        response = httpx.post(f"{base_url}/classify", content=b"{oops", headers={"content-type": "application/json"})
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"


def test_workers_share_one_metrics_view():
    port = free_port()
    with served(["-m", "service", "--port", str(port), "--workers", "2"], port) as base_url:
        with httpx.Client(base_url=base_url) as http:
            for _ in range(10):
                assert http.post("/classify", json={"text": BIOS[0]}).json()["results"][0]["primary"] == "executive"
            # The second worker may still be loading its model when the first answers: wait for it.
            deadline = time.monotonic() + 60
            while True:
                metrics = http.get("/metrics").text
                if metrics.count("jinmyaku_model_info{") == 2 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
    # Whichever worker answers /metrics reports the sum over both.
    assert 'jinmyaku_predictions_total{role="executive"} 10.0' in metrics
    assert metrics.count("jinmyaku_model_info{") == 2  # one series per live worker


def test_missing_model_directory_stops_start_up_with_a_message_naming_it(tmp_path):
    missing = tmp_path / "nonexistent"
    result = subprocess.run([sys.executable, "-m", "service", "--model-dir", str(missing), "--port", str(free_port())],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert str(missing) in result.stderr


def test_invalid_setting_stops_start_up_with_a_message_naming_it():
    result = subprocess.run([sys.executable, "-m", "service", "--port", "70000"],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "port" in result.stderr
