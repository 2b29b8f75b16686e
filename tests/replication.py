"""A real primary and streaming replica, made from the PostgreSQL binaries the project already ships (pgserver).

`streaming_pair(folder)` runs `initdb` for a primary, `pg_basebackup -R` for a replica of it, starts both on
free loopback ports and stops them afterwards. As root, PostgreSQL runs as the `pgserver` system user (the same
arrangement pgserver itself makes), since the server refuses to run as root.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pgserver._commands import POSTGRES_BIN_PATH  # type: ignore[import-untyped]

SYSTEM_USER = "pgserver"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    data: Path
    port: int
    user: str | None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, program: str, *args: str) -> None:
        subprocess.run(  # noqa: S603 - our own binaries and arguments
            [str(POSTGRES_BIN_PATH / program), *args],
            check=True,
            capture_output=True,
            user=self.user,
            timeout=60,
            cwd="/",
        )

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data} -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.data / "server.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")


def _owned_folder(path: Path, user: str | None) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if user is not None:
        shutil.chown(path, user, user)
        prefix = path.parent
        while prefix != prefix.parent:  # the server's user must be able to reach its folder
            prefix.chmod(prefix.stat().st_mode | stat.S_IXOTH | stat.S_IXGRP)
            prefix = prefix.parent
    return path


@contextmanager
def streaming_pair(folder: Path) -> Iterator[tuple[Server, Server]]:
    """A running primary and a hot-standby replica streaming from it."""
    user = None
    if os.geteuid() == 0:
        from pgserver.utils import ensure_user_exists  # type: ignore[import-untyped]

        ensure_user_exists(SYSTEM_USER)
        user = SYSTEM_USER
    primary = Server(_owned_folder(folder / "primary", user), _free_port(), user)
    replica = Server(folder / "replica", _free_port(), user)
    primary.run("initdb", "-D", str(primary.data), "--auth=trust", "-U", "postgres", "--encoding=utf8")
    primary.start()
    try:
        _owned_folder(replica.data.parent, user)
        primary.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(replica.data), "-R", "-X", "stream",
        )  # fmt: skip
        replica.start()
        try:
            yield primary, replica
        finally:
            replica.stop("immediate")
    finally:
        primary.stop("immediate")
