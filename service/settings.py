"""Service settings: one object, read from JINMYAKU_* environment variables and overridden by CLI flags."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "JINMYAKU_"


class Settings(BaseSettings):
    """Everything an operator can tune; each field is also the env var JINMYAKU_<FIELD>."""

    # model_dir would otherwise clash with pydantic's reserved "model_" prefix.
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, protected_namespaces=(), extra="ignore")

    host: str = Field("127.0.0.1", description="interface to bind")
    port: int = Field(8000, ge=0, le=65535, description="TCP port (0 picks a free one)")
    workers: int = Field(1, ge=1, le=64, description="worker processes (MeCab holds the GIL)")
    model_dir: Path | None = Field(
        None, description="model directory; unset means the default model (models/DEFAULT or JINMYAKU_MODEL)")
    admin_token: SecretStr | None = Field(
        None, description="bearer token for /admin/*; unset disables the admin endpoints")
    max_texts: int = Field(1_000, ge=1, description="most bios in one /classify request")
    max_text_chars: int = Field(5_000, ge=1, description="most characters in one bio")
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1, description="largest request body")
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1,
                                  description="largest request body under /contacts (file uploads)")
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"

    def as_environment(self) -> dict[str, str]:
        """These settings as JINMYAKU_* variables, so worker processes started by uvicorn see the same ones."""
        environment = {}
        for name, value in self.model_dump().items():
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            environment[ENV_PREFIX + name.upper()] = str(value)
        return environment
