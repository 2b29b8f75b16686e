"""Command line: `python -m portal serve` and `python -m portal staff create --email … --role …`."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence

from portal.settings import PortalSettings, PortalSettingsError

ROLES = ("curator", "partner_manager", "support", "finance", "auditor", "admin")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from portal.app import create_portal

    try:
        settings = PortalSettings.from_env()
    except PortalSettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    host, port = args.host or settings.host, args.port or settings.port
    print(f"portal on http://{host}:{port} (API at {settings.api_url})", flush=True)
    uvicorn.run(create_portal(settings), host=host, port=port, log_config=None, access_log=False)
    return 0


def _create_staff(args: argparse.Namespace) -> int:
    """Staff live in the API's database and the API creates them: this runs the API's own command."""
    command = [sys.executable, "-m", "api", "staff", "create", "--email", args.email, "--role", args.role]
    if args.name:
        command += ["--name", args.name]
    return subprocess.call(command, env=os.environ.copy())  # noqa: S603 - our own interpreter and module


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the portal (PORTAL_CLIENT_ID/SECRET name its programme client)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    staff = commands.add_parser("staff", help="staff accounts").add_subparsers(dest="staff_command", required=True)
    create = staff.add_parser("create", help="create a staff member; prints the password and TOTP secret once")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--name")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    return _create_staff(args)


if __name__ == "__main__":
    raise SystemExit(main())
