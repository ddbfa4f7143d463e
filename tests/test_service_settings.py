"""Settings: JINMYAKU_* environment variables, CLI flags over them, and the hand-over to worker processes."""
from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from service.__main__ import build_parser, settings_from_args
from service.settings import Settings


def test_defaults_serve_locally_with_the_documented_limits(monkeypatch):
    for name in ("HOST", "PORT", "WORKERS", "MAX_TEXTS", "MAX_TEXT_CHARS", "ADMIN_TOKEN"):
        monkeypatch.delenv(f"JINMYAKU_{name}", raising=False)
    settings = Settings()
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert (settings.max_texts, settings.max_text_chars) == (1_000, 5_000)
    assert settings.admin_token is None


def test_environment_variables_set_the_settings(monkeypatch):
    monkeypatch.setenv("JINMYAKU_PORT", "9000")
    monkeypatch.setenv("JINMYAKU_MAX_TEXTS", "10")
    monkeypatch.setenv("JINMYAKU_MODEL_DIR", "/models/x")
    settings = Settings()
    assert (settings.port, settings.max_texts, settings.model_dir) == (9000, 10, Path("/models/x"))


def test_flags_override_environment_variables(monkeypatch):
    monkeypatch.setenv("JINMYAKU_PORT", "9000")
    monkeypatch.setenv("JINMYAKU_WORKERS", "3")
    settings = settings_from_args(build_parser().parse_args(["--port", "9100"]))
    assert (settings.port, settings.workers) == (9100, 3)


def test_workers_receive_the_same_settings_through_the_environment(monkeypatch):
    settings = Settings(port=9200, max_text_chars=300, admin_token="s3cret", model_dir=Path("/m"))
    for name, value in settings.as_environment().items():
        monkeypatch.setenv(name, value)
    assert Settings() == settings


def test_admin_token_is_not_shown_when_settings_are_printed():
    assert "s3cret" not in repr(Settings(admin_token="s3cret"))


@pytest.mark.parametrize("field,value", [("port", 70_000), ("workers", 0), ("max_texts", 0)])
def test_out_of_range_setting_is_refused(field, value):
    with pytest.raises(ValidationError, match=field):
        Settings(**{field: value})
