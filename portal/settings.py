"""The portal's settings: one frozen object built from the environment in one place."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class PortalSettingsError(ValueError):
    """The environment holds a value the portal cannot start with."""


@dataclass(frozen=True, slots=True)
class PortalSettings:
    """Where the API is, which programme client the portal is, where its own sessions live."""

    api_url: str
    client_id: str
    client_secret: str
    database_url: str
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 8001
    idle_timeout_seconds: int = 15 * 60
    default_language: str = "id"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PortalSettings:
        env = os.environ if environ is None else environ
        missing = [name for name in ("PORTAL_CLIENT_ID", "PORTAL_CLIENT_SECRET") if not env.get(name)]
        database_url = env.get("PORTAL_DATABASE_URL") or env.get("DATABASE_URL")
        if not database_url:
            missing.append("PORTAL_DATABASE_URL")
        if missing:
            raise PortalSettingsError(f"set {', '.join(missing)} (see docs/portal.md)")
        assert database_url is not None
        return cls(
            api_url=(env.get("PORTAL_API_URL") or "http://127.0.0.1:8000").rstrip("/"),
            client_id=env["PORTAL_CLIENT_ID"],
            client_secret=env["PORTAL_CLIENT_SECRET"],
            database_url=database_url,
            secret_key=env.get("PORTAL_SECRET_KEY") or _secret_key(Path(env.get("DATA_DIR", ".data"))),
            host=env.get("PORTAL_HOST", "127.0.0.1"),
            port=int(env.get("PORTAL_PORT", "8001")),
            idle_timeout_seconds=int(env.get("PORTAL_IDLE_TIMEOUT_SECONDS", str(15 * 60))),
        )


def _secret_key(data_dir: Path) -> str:
    """A key kept in the data folder, so every portal process on this machine signs CSRF tokens alike."""
    path = data_dir / "portal-secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
