"""Settings come from the environment in one place and refuse nonsense."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import Settings, SettingsError


def test_defaults_use_embedded_database() -> None:
    settings = Settings.from_env({})
    assert settings.embedded_database
    assert settings.app_env == "development"
    assert settings.data_dir == Path(".data")
    assert settings.port == 8000


def test_values_are_read() -> None:
    settings = Settings.from_env(
        {"DATABASE_URL": "postgresql://x@h/db", "APP_ENV": "production", "PORT": "9000", "WEB_CONCURRENCY": "4"}
    )
    assert settings.database_url == "postgresql://x@h/db"
    assert not settings.embedded_database
    assert settings.is_production
    assert (settings.port, settings.workers) == (9000, 4)


@pytest.mark.parametrize(
    "env",
    [{"APP_ENV": "staging"}, {"PORT": "eighty"}, {"PORT": "0"}, {"WEB_CONCURRENCY": "-1"}, {"LOG_LEVEL": "LOUD"}],
)
def test_bad_values_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(env)
