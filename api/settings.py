"""Settings: one frozen object, built from the environment in exactly one place (`Settings.from_env`)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

AppEnv = Literal["development", "sandbox", "production"]
APP_ENVS: tuple[AppEnv, ...] = ("development", "sandbox", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

MAX_BODY_BYTES = 64 * 1024
MAX_TOKEN_TTL_SECONDS = 900
MAX_RATE_LIMIT_PER_MINUTE = 1_000_000  # also the largest `rate_limit_per_minute` a client may be given
SecretHashProfile = Literal["standard", "fast"]


class SettingsError(ValueError):
    """The environment holds a value the service cannot start with."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads from its environment; tests build their own with `replace`."""

    database_url: str | None = None
    database_replica_urls: tuple[str, ...] = ()
    replica_max_lag_seconds: float = 5.0
    catalogue_cache_seconds: int = 10
    app_env: AppEnv = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    data_dir: Path = Path(".data")
    log_level: str = "INFO"
    pool_min_size: int = 0
    pool_max_size: int = 10
    public_url: str = "http://127.0.0.1:8000"
    token_audience: str = "prakerja-partner-api"
    token_ttl_seconds: int = MAX_TOKEN_TTL_SECONDS
    key_encryption_key: str | None = None
    secret_hash_profile: SecretHashProfile = "standard"
    secret_rotation_grace_seconds: int = 24 * 3600
    auth_cache_ttl_seconds: float = 5.0
    auth_failure_limit: int = 10
    auth_failure_window_seconds: int = 60
    rate_limit_per_minute: int = 6000
    token_rate_limit_per_minute: int = 60
    run_worker: bool = False
    worker_interval_seconds: float = 5.0
    key_cache_seconds: float = 10.0
    """How stale a process's signing keys may be: a rotation reaches every process within this interval."""
    token_address_limit_per_minute: int = 30
    """Requests per caller address and minute to the Argon2-guarded endpoints (token, introspect, revoke)."""
    public_limit_per_minute: int = 600
    """Requests per caller address and minute to the other public endpoints (catalogue, verification, JWKS)."""
    secret_hash_concurrency: int = 2
    """Client secret checks (Argon2, 64 MiB each) run at once per process; the rest wait their turn."""
    trusted_proxy_header: str | None = None
    """The header naming the caller behind a trusted proxy (e.g. x-forwarded-for); None: the socket's peer."""
    trusted_proxies: tuple[str, ...] = ()
    """The proxies (addresses or CIDR networks, checked at start) whose `trusted_proxy_header` is believed."""

    @property
    def issuer(self) -> str:
        """The `iss` of our tokens and the authorization server's identifier (RFC 8414)."""
        return self.public_url.rstrip("/")

    @property
    def embedded_database(self) -> bool:
        """True when no DATABASE_URL is given and the service runs its own PostgreSQL."""
        return self.database_url is None

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    def with_database_url(self, url: str) -> Settings:
        """The same settings pointing at a concrete database (after the embedded server started)."""
        return replace(self, database_url=url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `environ` (default: the process environment), refusing bad values loudly."""
        env = os.environ if environ is None else environ
        app_env = env.get("APP_ENV", "development")
        if app_env not in APP_ENVS:
            raise SettingsError(f"APP_ENV must be one of {', '.join(APP_ENVS)}, not {app_env!r}")
        log_level = env.get("LOG_LEVEL", "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")
        host = env.get("HOST", "127.0.0.1")
        port = _int(env, "PORT", 8000, minimum=1)
        profile = env.get("SECRET_HASH_PROFILE", "standard")
        if profile not in ("standard", "fast"):
            raise SettingsError(f"SECRET_HASH_PROFILE must be standard or fast, not {profile!r}")
        if profile == "fast" and app_env == "production":
            raise SettingsError(
                "SECRET_HASH_PROFILE=fast is for tests; production hashes secrets with the standard cost"
            )
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            database_replica_urls=tuple(env.get("DATABASE_REPLICA_URL", "").replace(",", " ").split()),
            replica_max_lag_seconds=float(_int(env, "REPLICA_MAX_LAG_SECONDS", 5, minimum=1)),
            catalogue_cache_seconds=_int(env, "CATALOGUE_CACHE_SECONDS", 10, minimum=0, maximum=300),
            app_env=app_env,
            host=host,
            port=port,
            workers=_int(env, "WEB_CONCURRENCY", 1, minimum=1),
            data_dir=Path(env.get("DATA_DIR", ".data")),
            log_level=log_level,
            pool_min_size=_int(env, "DB_POOL_MIN", 0, minimum=0),
            pool_max_size=_int(env, "DB_POOL_MAX", 10, minimum=1),
            public_url=env.get("PUBLIC_URL") or f"http://{host}:{port}",
            token_audience=env.get("TOKEN_AUDIENCE", "prakerja-partner-api"),
            token_ttl_seconds=min(
                _int(env, "TOKEN_TTL_SECONDS", MAX_TOKEN_TTL_SECONDS, minimum=60), MAX_TOKEN_TTL_SECONDS
            ),
            key_encryption_key=env.get("KEY_ENCRYPTION_KEY") or None,
            secret_hash_profile="fast" if profile == "fast" else "standard",
            secret_rotation_grace_seconds=_int(env, "SECRET_ROTATION_GRACE_SECONDS", 24 * 3600, minimum=0),
            auth_cache_ttl_seconds=float(_int(env, "AUTH_CACHE_TTL_SECONDS", 5, minimum=1)),
            auth_failure_limit=_int(env, "AUTH_FAILURE_LIMIT", 10, minimum=1),
            auth_failure_window_seconds=_int(env, "AUTH_FAILURE_WINDOW_SECONDS", 60, minimum=1),
            rate_limit_per_minute=_int(
                env, "RATE_LIMIT_PER_MINUTE", 6000, minimum=1, maximum=MAX_RATE_LIMIT_PER_MINUTE
            ),
            token_rate_limit_per_minute=_int(
                env, "TOKEN_RATE_LIMIT_PER_MINUTE", 60, minimum=1, maximum=MAX_RATE_LIMIT_PER_MINUTE
            ),
            run_worker=env.get("RUN_WORKER", "0").lower() in ("1", "true", "yes"),
            worker_interval_seconds=float(_int(env, "WORKER_INTERVAL_SECONDS", 5, minimum=1)),
            key_cache_seconds=float(_int(env, "KEY_CACHE_SECONDS", 10, minimum=1, maximum=60)),
            token_address_limit_per_minute=_int(
                env, "TOKEN_ADDRESS_LIMIT_PER_MINUTE", 30, minimum=1, maximum=MAX_RATE_LIMIT_PER_MINUTE
            ),
            public_limit_per_minute=_int(
                env, "PUBLIC_RATE_LIMIT_PER_MINUTE", 600, minimum=1, maximum=MAX_RATE_LIMIT_PER_MINUTE
            ),
            secret_hash_concurrency=_int(env, "SECRET_HASH_CONCURRENCY", 2, minimum=1, maximum=64),
            **_trusted_proxy(env),
        )


def _trusted_proxy(env: Mapping[str, str]) -> dict[str, Any]:
    """TRUSTED_PROXY_HEADER and TRUSTED_PROXIES come together or not at all (off by default)."""
    header = (env.get("TRUSTED_PROXY_HEADER") or "").strip().lower() or None
    raw = [part.strip() for part in (env.get("TRUSTED_PROXIES") or "").split(",") if part.strip()]
    if (header is None) != (not raw):
        raise SettingsError("TRUSTED_PROXY_HEADER and TRUSTED_PROXIES must be set together (or neither)")
    if header is not None and header not in ("x-forwarded-for", "x-real-ip"):
        raise SettingsError(f"TRUSTED_PROXY_HEADER must be x-forwarded-for or x-real-ip, not {header!r}")
    try:
        networks = tuple(str(ipaddress.ip_network(part, strict=False)) for part in raw)
    except ValueError as exc:
        raise SettingsError(f"TRUSTED_PROXIES must be addresses or CIDR networks: {exc}") from None
    return {"trusted_proxy_header": header, "trusted_proxies": networks}


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise SettingsError(f"{name} must be at most {maximum}, not {value}")
    return value
