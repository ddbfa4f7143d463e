"""jinmyaku over HTTP: a FastAPI service that sorts Japanese bios into the six roles, and a client for it.

    python -m service                      # serve the default model on 127.0.0.1:8000

    >>> from service import JinmyakuClient
    >>> JinmyakuClient("http://127.0.0.1:8000").classify("株式会社ABC 代表取締役社長").primary
    'executive'
"""
from __future__ import annotations

__all__ = ["JinmyakuClient", "JinmyakuError"]


def __getattr__(name: str):
    # Imported on first use, so `python -m service.healthcheck` does not pay for scikit-learn.
    if name in __all__:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
