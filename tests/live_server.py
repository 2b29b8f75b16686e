"""Serve the app for tests that need truly concurrent requests: Uvicorn in a thread, or `python -m api serve`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from api.app import asgi_app
from api.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The base URL of `settings`' app, served until the block ends."""
    port = free_port()
    config = uvicorn.Config(asgi_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def server_environment(settings: Settings, *, public_url: bool = True) -> dict[str, str]:
    """The environment under which `python -m api serve` runs the app `settings` describe (tokens stay valid).

    Without `public_url` the server advertises the address it serves on, as after a plain `serve --port`.
    """
    assert settings.database_url is not None
    environment = {
        "DATABASE_URL": settings.database_url,
        "APP_ENV": settings.app_env,
        "PUBLIC_URL": settings.public_url if public_url else "",
        "SECRET_HASH_PROFILE": settings.secret_hash_profile,
        "DB_POOL_MIN": str(settings.pool_min_size),
        "DB_POOL_MAX": str(settings.pool_max_size),
        "RUN_WORKER": "1" if settings.run_worker else "0",
        "TOKEN_TTL_SECONDS": str(settings.token_ttl_seconds),
        "KEY_CACHE_SECONDS": str(int(settings.key_cache_seconds)),
        "TOKEN_ADDRESS_LIMIT_PER_MINUTE": str(settings.token_address_limit_per_minute),
        "PUBLIC_RATE_LIMIT_PER_MINUTE": str(settings.public_limit_per_minute),
        "SECRET_HASH_CONCURRENCY": str(settings.secret_hash_concurrency),
        "AUTH_FAILURE_LIMIT": str(settings.auth_failure_limit),
        "TOKEN_RATE_LIMIT_PER_MINUTE": str(settings.token_rate_limit_per_minute),
    }
    if settings.key_encryption_key is not None:
        environment["KEY_ENCRYPTION_KEY"] = settings.key_encryption_key
    return environment


@dataclass
class ServerProcess:
    """One `python -m api serve` process: its base URL, the process, and where its output goes."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def terminate(self) -> None:
        """SIGTERM: what a process manager sends to stop it (gracefully)."""
        self.process.send_signal(signal.SIGTERM)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serving_process(
    settings: Settings,
    log: Path,
    *,
    startup_timeout: float = 30,
    workers: int = 1,
    public_url: bool = True,
) -> Iterator[ServerProcess]:
    """`python -m api serve --no-migrate --workers N` for `settings` on a free port, until the block ends.

    Returns once /health/ready answers 200; stops the process (SIGTERM, then SIGKILL) if it still runs at the end.
    """
    port = free_port()
    command = [
        "-m",
        "api",
        "serve",
        "--no-migrate",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, *command],
            cwd=REPO_ROOT,
            env={**os.environ, **server_environment(settings, public_url=public_url)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = ServerProcess(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_ready(server, startup_timeout)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _wait_until_ready(server: ServerProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the API process exited with {server.process.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the API process did not become ready in {timeout} s:\n{server.output()}")


@contextmanager
def serving_asgi(app: object) -> Iterator[str]:
    """Any ASGI app (the portal) served by Uvicorn in a background thread; its base URL until the block ends."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
