"""Prometheus metrics: requests and latency by route and status, predictions by role, abstentions, model version.

Each app gets its own CollectorRegistry, so tests can build many apps in one process.
With ``--workers N`` the CLI turns on prometheus_client's multiprocess mode
(PROMETHEUS_MULTIPROC_DIR): every worker writes its samples to files there and
/metrics, whichever worker answers it, reports the sum over all workers; the
model-version gauge keeps one series per live worker (label ``pid``).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from contextlib import contextmanager

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest, multiprocess)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from training.roles import ROLE_IDS

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Single bios take milliseconds, 1,000-bio batches tens of seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROCESS_ENV))


class ServiceMetrics:
    """The service's metrics, registered in a registry of their own."""

    def __init__(self):
        self.registry = CollectorRegistry()
        labels = ["route", "method", "status"]
        self.requests = Counter("jinmyaku_http_requests_total", "HTTP requests by route, method and status.",
                                labels, registry=self.registry)
        self.latency = Histogram("jinmyaku_http_request_duration_seconds",
                                 "Time to answer an HTTP request, by route, method and status.",
                                 labels, buckets=LATENCY_BUCKETS, registry=self.registry)
        self.predictions = Counter("jinmyaku_predictions_total", "Bios classified, by primary role.",
                                   ["role"], registry=self.registry)
        self.abstentions = Counter("jinmyaku_abstentions_total",
                                   "Bios judged out of scope (no primary role).", registry=self.registry)
        self.model_info = Gauge("jinmyaku_model_info", "The model being served (1), by version.",
                                ["version"], multiprocess_mode="liveall", registry=self.registry)
        self.reloads = Counter("jinmyaku_model_reloads_total", "Model loads through /admin/reload, by outcome.",
                               ["outcome"], registry=self.registry)
        for role in ROLE_IDS:  # so every role has a series from the start
            self.predictions.labels(role)
        self._model_version: str | None = None

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method, str(status)).observe(seconds)

    def observe_predictions(self, predictions) -> None:
        for prediction in predictions:
            if prediction.primary is None:
                self.abstentions.inc()
            else:
                self.predictions.labels(prediction.primary).inc()

    def set_model_version(self, version: str) -> None:
        if self._model_version is not None and self._model_version != version:
            self.model_info.labels(self._model_version).set(0)
            self.model_info.remove(self._model_version)
        self.model_info.labels(version).set(1)
        self._model_version = version

    def exposition(self) -> tuple[bytes, str]:
        """The text to answer /metrics with, and its content type."""
        if multiprocess_mode():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def process_exited(self) -> None:
        """Drop this worker's live-gauge files so its model version stops being reported."""
        if multiprocess_mode():
            multiprocess.mark_process_dead(os.getpid())


class RequestMetricsMiddleware:
    """Counts and times every HTTP request by route template (not raw path, to bound the series)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe_request(route, scope["method"], status, time.perf_counter() - started)


@contextmanager
def multiprocess_directory():
    """Multiprocess mode for the worker processes started inside this block.

    Uses $PROMETHEUS_MULTIPROC_DIR when the operator set one; otherwise a fresh
    temporary directory, removed afterwards (stale files would add old counts).
    """
    if multiprocess_mode():
        yield os.environ[MULTIPROCESS_ENV]
        return
    directory = tempfile.mkdtemp(prefix="jinmyaku-metrics-")
    os.environ[MULTIPROCESS_ENV] = directory
    try:
        yield directory
    finally:
        del os.environ[MULTIPROCESS_ENV]
        shutil.rmtree(directory, ignore_errors=True)
