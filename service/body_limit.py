"""Refuses request bodies over a size limit with 413, by Content-Length up front and by counting what streams in."""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_response


class BodySizeLimitMiddleware:
    """Reads the body (up to its limit) before the app runs, so no route ever sees an oversized one.

    ``prefix_limits`` gives paths that start with a prefix their own limit
    (file uploads under /contacts); every other path gets ``default_limit``.
    """

    def __init__(self, app: ASGIApp, default_limit: int, prefix_limits: dict[str, int] | None = None):
        self.app = app
        self.default_limit = default_limit
        self.prefix_limits = dict(prefix_limits or {})

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.prefix_limits.items():
            if path.startswith(prefix):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, limit, declared)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before sending its body: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, receive, send, limit, None)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # later calls wait for the disconnect, as they would have

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int, declared: int | None) -> None:
        size = f"{declared:,} bytes" if declared is not None else "more than that"
        response = error_response(
            413, "body_too_large",
            f"the request body is too large: {size}, the limit for {scope['path']} is {limit:,} bytes",
            {"limit_bytes": limit, "content_length": declared})
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # counted as it streams in instead
    return None
