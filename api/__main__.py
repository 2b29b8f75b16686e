"""Command line: `python -m api COMMAND`.

- `serve`: migrate, then serve the API (`--host`, `--port`, `--workers`);
- `migrate`: apply pending migrations;
- `worker`: run the time-driven transitions (expiry, revocation, lapse); `--once` sweeps once;
- `clients create-programme --name NAME`: print a new programme (portal) client as JSON;
- `keys rotate`: start signing with a new key (old keys stay in the JWKS);
- `openapi`: print the OpenAPI document, or write it with `--output`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import secrets
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from api.db.migrations import MigrationError, migrate
from api.db.pool import resolve_database_url
from api.http.request_context import configure_logging
from api.settings import Settings, SettingsError
from domain.errors import DomainError
from domain.staff import Role


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the app, as committed in `openapi/openapi.json`."""
    from api.app import create_app

    # The sandbox deployment mounts every route (the sandbox helpers too), so its spec is the whole contract.
    app = create_app(Settings(database_url="postgresql://unused", app_env="sandbox"))
    schema: dict[str, Any] = app.openapi_schema.to_schema()
    return schema


def openapi_text() -> str:
    """The committed form of the spec: stable key order, two-space indent, trailing newline."""
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _migrate(settings: Settings, *, quiet: bool = False) -> Settings:
    settings = resolve_database_url(settings)
    assert settings.database_url is not None
    applied = asyncio.run(migrate(settings.database_url))
    if not quiet:
        print(f"migrations: {len(applied)} applied" + (f" ({', '.join(m.name for m in applied)})" if applied else ""))
    return settings


async def _work(settings: Settings, *, once: bool) -> None:
    from api.auth.signing_keys import key_encryption_key
    from api.db.pool import create_pool
    from api.jobs.webhooks import DeliveryWorker, outbound_client
    from api.jobs.worker import run_forever, sweep

    kek = key_encryption_key(settings)
    pool = await create_pool(settings)
    deliveries = DeliveryWorker(pool, settings, kek)
    try:
        if once:
            from api.services.clock import wall_clock

            report = vars(
                await sweep(
                    pool,
                    wall_clock(),
                    test_clocks=settings.app_env == "sandbox",
                    failure_window_seconds=settings.auth_failure_window_seconds,
                )
            )
            async with outbound_client(settings) as client:
                report["webhooks_attempted"] = await deliveries.deliver_due(client)
            print(json.dumps(report))
        else:
            await asyncio.gather(
                run_forever(
                    pool,
                    settings.worker_interval_seconds,
                    test_clocks=settings.app_env == "sandbox",
                    failure_window_seconds=settings.auth_failure_window_seconds,
                ),
                deliveries.run_forever(),
            )
    finally:
        await pool.close()


def _exit_cleanly(signum: int, frame: object) -> None:
    """SIGTERM outside Uvicorn's own handling (before it serves, or re-raised after its graceful stop): exit 0."""
    raise SystemExit(0)


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    settings = _migrate(settings) if not args.no_migrate else resolve_database_url(settings)
    assert settings.database_url is not None
    # The address the server is told to serve on is what its metadata, tokens and links say, unless PUBLIC_URL
    # names another (a proxy in front). Worker processes build their settings from the environment: tell them.
    public_url = os.environ.get("PUBLIC_URL") or f"http://{args.host}:{args.port}"
    settings = replace(settings, public_url=public_url)
    assert settings.database_url is not None
    os.environ["PUBLIC_URL"] = public_url
    if not settings.is_production:
        from api.jobs.bootstrap import demo_partner_credentials

        demo = asyncio.run(demo_partner_credentials(settings))
        print(
            "\nDemo partner (sandbox) client; its secret stays the same across restarts "
            f"(kept encrypted in {settings.data_dir}). Paste this into your shell:\n\n"
            f"  export API={public_url} CLIENT_ID={demo.client_id} CLIENT_SECRET={demo.client_secret}\n\n"
            '  then: curl -fsS -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials "$API/oauth/token"\n'
            "  incumbent redeem-code API (docs/compatibility.md): python -m api integration-keys issue\n",
            flush=True,
        )
    # Worker processes build their settings from the environment: hand them the concrete database.
    os.environ["DATABASE_URL"] = settings.database_url
    print(f"serving on http://{args.host}:{args.port} (docs at http://{args.host}:{args.port}/docs)", flush=True)
    # Uvicorn drains in-flight requests on SIGTERM (up to `timeout_graceful_shutdown`), then raises the signal
    # again for the handler it found; with the default one a clean stop would end as "killed by SIGTERM" (143).
    signal.signal(signal.SIGTERM, _exit_cleanly)
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
    worker = commands.add_parser(
        "worker", help="run the time-driven transitions (expiry, revocation, lapse) and webhook deliveries"
    )
    worker.add_argument("--once", action="store_true", help="one sweep and one delivery batch, print what they did")
    client_commands = commands.add_parser("clients", help="OAuth client bootstrap").add_subparsers(
        dest="clients_command", required=True
    )
    programme = client_commands.add_parser("create-programme", help="print a new programme (portal) client as JSON")
    programme.add_argument("--name", required=True)
    programme.add_argument("--scopes", nargs="*", help="programme:* scopes (default: all of them)")
    integration = commands.add_parser("integration-keys", help="compatibility-layer keys (docs/compatibility.md)")
    issue = integration.add_subparsers(dest="integration_command", required=True).add_parser(
        "issue", help="print a client_code and new sign_key as JSON (default: the sandbox demo partner)"
    )
    issue.add_argument("--partner-id", help="the partner (default: the demo partner, created outside production)")
    issue.add_argument("--environment", choices=["sandbox", "production"], help="default: this deployment's")
    staff_commands = commands.add_parser("staff", help="programme staff (portal users)").add_subparsers(
        dest="staff_command", required=True
    )
    new_staff = staff_commands.add_parser(
        "create", help="create a staff member; prints JSON with the TOTP secret (shown once)"
    )
    new_staff.add_argument("--email", required=True)
    new_staff.add_argument("--name", help="display name (default: the e-mail)")
    new_staff.add_argument("--role", required=True, choices=[r.value for r in Role])
    new_staff.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (default: generate one)"
    )
    key_commands = commands.add_parser("keys", help="signing keys").add_subparsers(dest="keys_command", required=True)
    key_commands.add_parser("rotate", help="start signing with a new key; old keys stay in the JWKS")
    spec = commands.add_parser("openapi", help="print the OpenAPI document (or write it with --output)")
    spec.add_argument("--output", type=Path)
    args = parser.parse_args(argv)

    try:
        if args.command == "serve":
            _serve(settings, args)
        elif args.command == "migrate":
            _migrate(settings)
        elif args.command == "worker":
            asyncio.run(_work(resolve_database_url(settings), once=args.once))
        elif args.command == "clients":
            from api.jobs.bootstrap import create_programme_client

            settings = _migrate(settings, quiet=True)
            issued = asyncio.run(create_programme_client(settings, args.name, args.scopes))
            print(json.dumps({"client_id": issued.client_id, "client_secret": issued.client_secret}))
        elif args.command == "integration-keys":
            from api.jobs.bootstrap import issue_integration_key

            settings = _migrate(settings, quiet=True)
            key = asyncio.run(issue_integration_key(settings, args.partner_id, args.environment))
            print(json.dumps({"client_code": key.client_code, "sign_key": key.sign_key, "partner_id": key.partner_id}))
        elif args.command == "staff":
            from api.jobs.bootstrap import create_staff_member

            settings = _migrate(settings, quiet=True)
            generated = not args.password_stdin
            password = secrets.token_urlsafe(18) if generated else sys.stdin.readline().rstrip("\n")
            created = asyncio.run(
                create_staff_member(settings, args.email, args.name or args.email, args.role, password)
            )
            shown = {**dataclasses.asdict(created), **({"password": password} if generated else {})}
            print(json.dumps(shown))
        elif args.command == "keys":
            from api.jobs.bootstrap import rotate_signing_key

            settings = _migrate(settings, quiet=True)
            print(json.dumps({"kid": asyncio.run(rotate_signing_key(settings))}))
        elif args.command == "openapi":
            text = openapi_text()
            if args.output:
                args.output.write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text)
    except MigrationError as exc:
        print(f"migration refused: {exc}", file=sys.stderr)
        return 1
    except DomainError as exc:
        print(f"refused: {exc.detail} {[p.message for p in exc.problems]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
