"""`python -m service`: serve the role classifier with uvicorn; flags override the JINMYAKU_* settings."""
from __future__ import annotations

import argparse
import copy
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from .settings import Settings

FACTORY = "service.app:create_app_from_env"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m service",
        description="Serve the jinmyaku role classifier over HTTP. Each flag can also be set as an "
                    "environment variable JINMYAKU_<FLAG> (e.g. JINMYAKU_PORT); flags win.")
    parser.add_argument("--host", help="interface to bind (default 127.0.0.1; 0.0.0.0 in containers)")
    parser.add_argument("--port", type=int, help="TCP port (default 8000)")
    parser.add_argument("--workers", type=int,
                        help="worker processes (default 1); MeCab holds the GIL, so this is how to use more cores")
    parser.add_argument("--model-dir", type=Path, help="model directory (default: the one models/DEFAULT names)")
    parser.add_argument("--admin-token",
                        help="bearer token for /admin/reload (prefer JINMYAKU_ADMIN_TOKEN: flags show in `ps`)")
    parser.add_argument("--max-texts", type=int, help="most bios in one request (default 1000)")
    parser.add_argument("--max-text-chars", type=int, help="most characters in one bio (default 5000)")
    parser.add_argument("--max-body-bytes", type=int, help="largest request body (default 2 MiB)")
    parser.add_argument("--max-upload-bytes", type=int, help="largest body under /contacts (default 20 MiB)")
    parser.add_argument("--log-level", choices=["critical", "error", "warning", "info", "debug"])
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings(**{name: value for name, value in vars(args).items() if value is not None})


def log_config(level: str) -> dict:
    """uvicorn's logging, plus the service's own logger, in every worker process."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["service"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return config


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_args(args)
    except ValidationError as exc:
        print(f"jinmyaku: invalid settings: {exc}", file=sys.stderr)
        return 2
    # Imported only now: scikit-learn takes seconds, and --help or a bad flag should not wait for it.
    import uvicorn

    from training import ModelLoadError

    from .app import create_app
    from .metrics import multiprocess_directory
    from .model_holder import ModelHolder

    # Load (and test) the model before any worker starts, so a bad model stops start-up
    # with one clear message and a non-zero exit, whatever the number of workers.
    holder = ModelHolder(settings.model_dir)
    try:
        holder.load()
    except ModelLoadError as exc:
        print(f"jinmyaku: cannot start: {exc}", file=sys.stderr)
        return 2
    server_options = dict(host=settings.host, port=settings.port, log_level=settings.log_level,
                          log_config=log_config(settings.log_level), server_header=False)
    if settings.workers == 1:
        uvicorn.run(create_app(settings, model_holder=holder), **server_options)
        return 0
    # Each worker is a fresh process: it reads the settings from the environment and loads its own model.
    del holder
    os.environ.update(settings.as_environment())
    with multiprocess_directory():
        uvicorn.run(FACTORY, factory=True, workers=settings.workers, **server_options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
