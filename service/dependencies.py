"""FastAPI dependencies shared by every router: the model holder, settings, metrics, and request checks.

All are ``async def``: they do no blocking work, and FastAPI would otherwise run each plain
``def`` dependency in its thread pool, a thread hop per dependency on every request.
"""
from __future__ import annotations

import hmac
from typing import NamedTuple

from fastapi import Depends, Request

from .errors import ApiError
from .metrics import ServiceMetrics
from .model_holder import LoadedModel, ModelHolder
from .settings import Settings


async def get_model_holder(request: Request) -> ModelHolder:
    """The holder of this process's model (``holder.current`` is the model to use for one request)."""
    return request.app.state.model_holder


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_metrics(request: Request) -> ServiceMetrics:
    return request.app.state.metrics


def _loaded_model(holder: ModelHolder) -> LoadedModel:
    if not holder.is_loaded:
        raise ApiError(503, "not_ready", "no model is loaded yet; retry in a moment")
    return holder.current


async def current_model(holder: ModelHolder = Depends(get_model_holder)) -> LoadedModel:
    """The model for this request, taken once so a concurrent reload cannot switch it half-way."""
    return _loaded_model(holder)


class Serving(NamedTuple):
    """What /classify needs for one request."""

    model: LoadedModel
    settings: Settings
    metrics: ServiceMetrics


async def serving(request: Request) -> Serving:
    """The model (taken once, as in ``current_model``), settings and metrics in one dependency:
    FastAPI's dependency solving costs time on every request, and /classify is the hot path."""
    state = request.app.state
    return Serving(_loaded_model(state.model_holder), state.settings, state.metrics)


def _media_type(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def _unsupported_media_type(request: Request, what_to_send: str) -> ApiError:
    content_type = request.headers.get("content-type")
    got = repr(content_type) if content_type else "none"
    return ApiError(415, "unsupported_media_type", f"{what_to_send} (got Content-Type {got})",
                    {"content_type": content_type})


async def require_json_body(request: Request) -> None:
    """415 for a body that is not declared as JSON (curl -d sends form encoding unless told otherwise)."""
    has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    media_type = _media_type(request)
    if not has_body or media_type == "application/json" or (
            media_type.startswith("application/") and media_type.endswith("+json")):
        return
    raise _unsupported_media_type(request, "send the body as JSON with the header Content-Type: application/json")


FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


async def require_form_body(request: Request) -> None:
    """415 for a body that is not a form (a JSON body would otherwise read as 'no file and no text')."""
    if _media_type(request) not in FORM_MEDIA_TYPES:
        raise _unsupported_media_type(request, "send a form: the contact file as the multipart field `file` "
                                               "(curl -F file=@list.csv), or bios one a line as the field `text`")


async def require_admin(request: Request, settings: Settings = Depends(get_settings)) -> None:
    """A bearer token equal to the configured admin token; with none configured the admin endpoints are off."""
    if settings.admin_token is None:
        raise ApiError(403, "admin_disabled",
                       "the admin endpoints are disabled: start the service with JINMYAKU_ADMIN_TOKEN set")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    expected = settings.admin_token.get_secret_value()
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "send the admin token as Authorization: Bearer <token>",
                       headers={"WWW-Authenticate": "Bearer"})
