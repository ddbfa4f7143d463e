"""The FastAPI application: create_app(settings) wires the model holder, routes, errors, limits and metrics."""
from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import os
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version as package_version
from typing import Annotated

from fastapi import APIRouter, Body, Depends, FastAPI, Response
from starlette.concurrency import run_in_threadpool

from training import ModelLoadError

from .body_limit import BodySizeLimitMiddleware
from .dependencies import (Serving, current_model, get_metrics, get_model_holder, require_admin,
                           require_json_body, serving)
from .errors import ApiError, SafeJSONResponse, install_error_handlers
from .metrics import RequestMetricsMiddleware, ServiceMetrics
from .model_holder import LoadedModel, ModelHolder, smoke_problem
from .schemas import (CLASSIFY_EXAMPLES, ClassifyRequest, ClassifyResponse, ErrorResponse, ModelInfo,
                      ReloadRequest, ReloadResponse, RolesResponse, Status, result_content)
from .settings import Settings

logger = logging.getLogger("service")

UPLOAD_PREFIX = "/contacts"
CONTACTS_ROUTER_MODULE = "service.contacts_api"

DESCRIPTION = """\
日本語の略歴・プロフィール文を6つの役割に分類します（人脈）。
Sorts Japanese bios into six roles, in this order of precedence:
企業経営者 `executive`, 書籍の執筆経験者 `author`, マスコミ関係者 `media`,
優良企業役職者 `manager`, コンサルタント `consultant`, 企業勤務者 `employee`.
A bio gets every role it supports; its `primary` role is the first of them, or `null` when it
names no working role (students, hobby accounts, empty text).

Every error answers `{"error": {"code", "message", "details"}}` with a 4xx status.
"""


def _errors(*statuses: int) -> dict:
    return {status: {"model": ErrorResponse} for status in statuses}


def check_bio_limits(bios: list[str], settings: Settings) -> None:
    """422/too_many_texts or 422/text_too_long when a request exceeds the configured limits."""
    if len(bios) > settings.max_texts:
        raise ApiError(422, "too_many_texts",
                       f"{len(bios):,} bios in one request; the limit is {settings.max_texts:,}: "
                       "split them into several requests", {"count": len(bios), "limit": settings.max_texts})
    too_long = [(index, len(bio)) for index, bio in enumerate(bios) if len(bio) > settings.max_text_chars]
    if too_long:
        index, characters = too_long[0]
        where = "text" if len(bios) == 1 else f"texts[{index}]"
        raise ApiError(422, "text_too_long",
                       f"{where} has {characters:,} characters; the limit is {settings.max_text_chars:,}",
                       {"limit": settings.max_text_chars,
                        "texts": [{"index": i, "characters": n} for i, n in too_long]})


def model_info(loaded: LoadedModel) -> ModelInfo:
    metadata = loaded.metadata
    return ModelInfo(
        version=loaded.version, trained_at=metadata.get("trained_at"),
        loaded_at=loaded.loaded_at.isoformat(timespec="seconds"), directory=str(loaded.directory),
        corpus=metadata.get("corpus") or {}, metrics=metadata.get("cv_metrics") or {},
        thresholds=metadata.get("thresholds") or {}, abstain_threshold=metadata.get("abstain_threshold"),
        libraries=metadata.get("libraries") or {})


router = APIRouter()


# Requests of up to this many bios and characters are classified on the event loop (a few
# milliseconds at most, explanations included); larger ones go to the thread pool so that
# they never hold up other requests. Each bio has a fixed cost, hence the count too.
INLINE_MAX_BIOS = 8
INLINE_MAX_CHARS = 1_000


@router.post("/classify", response_model=ClassifyResponse, tags=["classify"],
             dependencies=[Depends(require_json_body)], responses=_errors(400, 413, 415, 422))
async def classify(request: Annotated[ClassifyRequest, Body(openapi_examples=CLASSIFY_EXAMPLES)],
                   serving: Serving = Depends(serving)) -> Response:
    """Classify one bio (`text`) or up to 1,000 (`texts`, configurable) into roles."""
    bios = request.bios()
    check_bio_limits(bios, serving.settings)
    if len(bios) <= INLINE_MAX_BIOS and sum(map(len, bios)) <= INLINE_MAX_CHARS:
        # Yield to the event loop once first, so that under load requests take turns: without
        # it, some connections waited behind others (p99 1 s at 64 connections in bench_http).
        await asyncio.sleep(0)
        content = _classify(bios, request.explain, serving)
    else:
        content = await run_in_threadpool(_classify, bios, request.explain, serving)
    return SafeJSONResponse(content)


def _classify(bios: list[str], explain: bool, serving: Serving) -> dict:
    """The /classify answer as JSON data (the shape of ClassifyResponse, tested)."""
    model = serving.model
    predictions = model.classify(bios, explain=explain)
    serving.metrics.observe_predictions(predictions)
    return {"model_version": model.version, "results": [result_content(p, explain) for p in predictions]}


@router.get("/roles", response_model=RolesResponse, tags=["roles"])
async def roles() -> RolesResponse:
    """The six roles with ids, Japanese names and descriptions, in LABELS.md order."""
    return RolesResponse.all_roles()


@router.get("/model", response_model=ModelInfo, tags=["model"])
async def model(loaded: LoadedModel = Depends(current_model)) -> ModelInfo:
    """The model being served: version, training time, corpus hash and counts, metrics and thresholds."""
    return model_info(loaded)


@router.get("/healthz", response_model=Status, tags=["operations"])
async def healthz() -> Status:
    """Alive: the process answers HTTP."""
    return Status(status="ok")


@router.get("/readyz", response_model=Status, tags=["operations"], responses=_errors(503))
def readyz(holder: ModelHolder = Depends(get_model_holder)) -> Status:
    """Ready: a model is loaded and answers a test prediction correctly."""
    if not holder.is_loaded:
        raise ApiError(503, "not_ready", "no model is loaded yet")
    loaded = holder.current
    problem = smoke_problem(loaded.model)
    if problem:
        raise ApiError(503, "not_ready", f"the model does not answer correctly: {problem}")
    return Status(status="ready", model_version=loaded.version)


@router.get("/metrics", tags=["operations"], response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}})
async def metrics_endpoint(metrics: ServiceMetrics = Depends(get_metrics)) -> Response:
    """Prometheus metrics: requests and latency by route and status, predictions by role, model version."""
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


@router.post("/admin/reload", response_model=ReloadResponse, tags=["operations"],
             dependencies=[Depends(require_admin), Depends(require_json_body)],
             responses=_errors(401, 403, 415, 422))
def reload_model(request: Annotated[ReloadRequest | None, Body()] = None,
                 holder: ModelHolder = Depends(get_model_holder),
                 metrics: ServiceMetrics = Depends(get_metrics)) -> ReloadResponse:
    """Load a model directory (default: the configured one), test it, and swap it in atomically.

    Needs `Authorization: Bearer <JINMYAKU_ADMIN_TOKEN>`. A model that fails to load or to answer a
    test prediction is rejected and the current one keeps serving. With `--workers N`, only the
    worker that receives this request reloads: restart the service to switch every worker.
    """
    previous = holder.current.version if holder.is_loaded else "none"
    try:
        loaded = holder.load(request.model_dir if request else None)
    except ModelLoadError as exc:
        metrics.reloads.labels("rejected").inc()
        raise ApiError(422, "model_load_failed", f"{exc} (still serving {previous})",
                       {"serving_version": previous}) from None
    metrics.reloads.labels("loaded").inc()
    logger.info("reloaded model %s from %s (was %s)", loaded.version, loaded.directory, previous)
    return ReloadResponse(previous_version=previous, model=model_info(loaded), process_id=os.getpid())


def _api_version() -> str:
    try:
        return package_version("jinmyaku")
    except PackageNotFoundError:
        return "dev"


def create_app(settings: Settings | None = None, model_holder: ModelHolder | None = None) -> FastAPI:
    """The service app. The model is loaded in the lifespan, unless ``model_holder`` already holds one."""
    settings = settings or Settings()
    metrics = ServiceMetrics()
    holder = model_holder or ModelHolder(settings.model_dir)
    holder.on_swap = lambda loaded: metrics.set_model_version(loaded.version)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if holder.is_loaded:
            metrics.set_model_version(holder.current.version)
        else:
            try:
                await run_in_threadpool(holder.load)
            except ModelLoadError as exc:
                logger.error("cannot start: %s", exc)
                raise
        logger.info("serving model %s from %s", holder.current.version, holder.current.directory)
        yield
        metrics.process_exited()

    app = FastAPI(title="jinmyaku", version=_api_version(), description=DESCRIPTION, lifespan=lifespan,
                  default_response_class=SafeJSONResponse)
    app.state.settings = settings
    app.state.model_holder = holder
    app.state.metrics = metrics
    install_error_handlers(app)
    app.include_router(router)
    if importlib.util.find_spec(CONTACTS_ROUTER_MODULE) is not None:
        app.include_router(importlib.import_module(CONTACTS_ROUTER_MODULE).router)
    # Added last = outermost: metrics see every answer, the 413s of the body limit included.
    app.add_middleware(BodySizeLimitMiddleware, default_limit=settings.max_body_bytes,
                       prefix_limits={UPLOAD_PREFIX: settings.max_upload_bytes})
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn worker processes: settings from JINMYAKU_* variables."""
    return create_app(Settings())
