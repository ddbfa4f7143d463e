"""`python -m service.healthcheck`: exit 0 when the service on this machine is ready (the Docker HEALTHCHECK)."""
from __future__ import annotations

import sys
import urllib.request

from .settings import Settings

WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


def readiness_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in WILDCARD_HOSTS else settings.host
    return f"http://{host}:{settings.port}/readyz"


def main() -> int:
    url = readiness_url(Settings())
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return 0 if response.status == 200 else 1
    except (OSError, ValueError) as exc:  # refused, timed out, or a 503 (HTTPError is an OSError)
        print(f"jinmyaku not ready at {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
