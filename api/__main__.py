"""Command line: `python -m api {serve,migrate,openapi}`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from api.database import resolve_database_url
from api.migrations import MigrationError, migrate
from api.request_context import configure_logging
from api.settings import Settings, SettingsError


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the app, as committed in `openapi/openapi.json`."""
    from api.app import create_app

    app = create_app(Settings(database_url="postgresql://unused"))
    schema: dict[str, Any] = app.openapi_schema.to_schema()
    return schema


def openapi_text() -> str:
    """The committed form of the spec: stable key order, two-space indent, trailing newline."""
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _migrate(settings: Settings) -> Settings:
    settings = resolve_database_url(settings)
    assert settings.database_url is not None
    applied = asyncio.run(migrate(settings.database_url))
    print(f"migrations: {len(applied)} applied" + (f" ({', '.join(m.name for m in applied)})" if applied else ""))
    return settings


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    settings = _migrate(settings) if not args.no_migrate else resolve_database_url(settings)
    assert settings.database_url is not None
    # Worker processes build their settings from the environment: hand them the concrete database.
    os.environ["DATABASE_URL"] = settings.database_url
    print(f"serving on http://{args.host}:{args.port} (docs at http://{args.host}:{args.port}/docs)", flush=True)
    uvicorn.run(
        "api.app:asgi_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
        proxy_headers=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return the process exit status."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)

    parser = argparse.ArgumentParser(prog="python -m api")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate, then serve the API with the production ASGI server")
    serve.add_argument("--host", default=settings.host)
    serve.add_argument("--port", type=int, default=settings.port)
    serve.add_argument("--workers", type=int, default=settings.workers)
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    commands.add_parser("migrate", help="apply pending migrations")
    spec = commands.add_parser("openapi", help="print the OpenAPI document (or write it with --output)")
    spec.add_argument("--output", type=Path)
    args = parser.parse_args(argv)

    try:
        if args.command == "serve":
            _serve(settings, args)
        elif args.command == "migrate":
            _migrate(settings)
        elif args.command == "openapi":
            text = openapi_text()
            if args.output:
                args.output.write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text)
    except MigrationError as exc:
        print(f"migration refused: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
