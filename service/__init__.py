"""jinmyaku over HTTP: a FastAPI service that sorts Japanese bios into the six roles, and a client for it.

    python -m service                      # serve the default model on 127.0.0.1:8000

    >>> from service import JinmyakuClient
    >>> JinmyakuClient("http://127.0.0.1:8000").classify("株式会社ABC 代表取締役社長").primary
    'executive'
"""
from __future__ import annotations

from .client import JinmyakuClient, JinmyakuError

__all__ = ["JinmyakuClient", "JinmyakuError"]
