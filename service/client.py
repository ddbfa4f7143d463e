"""A small synchronous client for the jinmyaku service, built on httpx.

    >>> with JinmyakuClient("http://127.0.0.1:8000") as client:
    ...     client.classify("株式会社ABC 代表取締役社長").primary
    'executive'
"""
from __future__ import annotations

from typing import Any, Sequence

import httpx

from .schemas import ClassifyResponse, ClassifyResult, ModelInfo, ReloadResponse, RoleInfo, RolesResponse

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class JinmyakuError(Exception):
    """The service refused a request (``status``, ``code``, ``message``, ``details`` from its error body),
    or could not be reached (``status`` None, ``code`` "connection_failed")."""

    def __init__(self, status: int | None, code: str, message: str, details: Any = None):
        super().__init__(f"{code}: {message}" if status is None else f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class JinmyakuClient:
    """Calls a jinmyaku service. Pass ``http`` to use your own httpx.Client (a TestClient, say)."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, *, timeout: float = 120.0,
                 admin_token: str | None = None, http: httpx.Client | None = None):
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self._owns_http = http is None
        self._admin_token = admin_token

    def classify(self, bios: str | Sequence[str], explain: bool = False) -> ClassifyResult | list[ClassifyResult]:
        """One bio gives one result; a list of bios gives a list of results in the same order."""
        if isinstance(bios, str):
            body = {"text": bios, "explain": explain}
        else:
            body = {"texts": list(bios), "explain": explain}
        results = ClassifyResponse.model_validate(self._request("POST", "/classify", json=body)).results
        return results[0] if isinstance(bios, str) else results

    def roles(self) -> list[RoleInfo]:
        return RolesResponse.model_validate(self._request("GET", "/roles")).roles

    def model(self) -> ModelInfo:
        return ModelInfo.model_validate(self._request("GET", "/model"))

    def reload(self, model_dir: str | None = None) -> ReloadResponse:
        """Ask the service to load ``model_dir`` (default: its configured one); needs the admin token."""
        headers = {"Authorization": f"Bearer {self._admin_token}"} if self._admin_token else {}
        return ReloadResponse.model_validate(
            self._request("POST", "/admin/reload", json={"model_dir": model_dir}, headers=headers))

    def _request(self, method: str, path: str, **kwargs) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise JinmyakuError(None, "connection_failed",
                                f"could not reach jinmyaku at {self._http.base_url}: {exc}") from exc
        if response.is_success:
            return response.json()
        try:
            error = response.json()["error"]
            code, message, details = error["code"], error["message"], error.get("details")
        except (ValueError, KeyError, TypeError):
            code, message, details = "http_error", f"HTTP {response.status_code}: {response.text[:200]}", None
        raise JinmyakuError(response.status_code, code, message, details)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> "JinmyakuClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
