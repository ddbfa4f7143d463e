"""The one error shape every failure answers with, {"error": {"code", "message", "details"}}, and its handlers.

Routers raise ``ApiError(status, code, message, details)``; FastAPI's own errors
(validation, 404, 405, body parsing) are translated into the same shape here.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("service")

# Error types our schemas raise (PydanticCustomError); they become the error code as they are.
SCHEMA_ERROR_CODES = frozenset({"empty_text", "invalid_text", "text_or_texts"})

HTTP_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    """An error to answer with: HTTP status, a stable machine code, a sentence for people, and details."""

    def __init__(self, status_code: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


class SafeJSONResponse(JSONResponse):
    """JSON as UTF-8, falling back to \\u escapes when a string holds lone surrogates.

    Error details can echo what a client sent (a key name, say), and such a string
    cannot be encoded as UTF-8; the fallback keeps that from becoming a 500.
    """

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def error_response(status_code: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> SafeJSONResponse:
    return SafeJSONResponse({"error": {"code": code, "message": message, "details": details}},
                            status_code=status_code, headers=headers)


def _location(loc) -> str:
    """("body", "texts", 3) -> "texts[3]": where in the request body the problem is."""
    parts = [part for part in loc if part != "body"] if loc and loc[0] == "body" else list(loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def validation_error_response(errors: list[dict]) -> SafeJSONResponse:
    """Pydantic/FastAPI validation errors as one error: the most specific code that covers them all."""
    types = {error.get("type") for error in errors}
    if "json_invalid" in types:
        error = next(e for e in errors if e.get("type") == "json_invalid")
        position = error["loc"][1] if len(error.get("loc", ())) > 1 else "?"
        reason = (error.get("ctx") or {}).get("error", "JSON decode error")
        return error_response(400, "invalid_json",
                              f"the request body is not valid JSON: {reason} at character {position}",
                              {"position": position, "reason": reason})
    details = [{"location": _location(error.get("loc", ())), "message": error.get("msg", ""),
                "type": error.get("type", "")} for error in errors]
    if any(error.get("loc") == ("body",) and error.get("type") == "missing" for error in errors):
        return error_response(422, "validation_error",
                              'the request body is missing: send a JSON object such as {"text": "..."}',
                              details)
    code = types.pop() if len(types) == 1 and types <= SCHEMA_ERROR_CODES else "validation_error"
    summary = "; ".join(f"{d['location']}: {d['message']}" for d in details[:3])
    if len(details) > 3:
        summary += f" (and {len(details) - 3} more)"
    return error_response(422, code, summary, details)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def request_validation_error(request: Request, exc: RequestValidationError):
        return validation_error_response(list(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's answer to bodies json.loads chokes on without a JSONDecodeError
            # (invalid UTF-8, nesting too deep for the parser).
            return error_response(400, "invalid_json",
                                  "the request body could not be parsed as UTF-8 JSON")
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        elif exc.status_code == 404:
            message = f"no such endpoint: {request.url.path} (see /docs)"
        else:
            message = str(exc.detail)
        code = HTTP_STATUS_CODES.get(exc.status_code, "client_error" if exc.status_code < 500 else "server_error")
        return error_response(exc.status_code, code, message, None, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        # Last resort: no input should get here; log it and still answer in the shape.
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error",
                              "the service failed on this request; it has been logged")
