"""Forward-only SQL migrations: numbered files, one transaction each, under an advisory lock, with checksums."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

log = logging.getLogger("api.db.migrations")

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Any fixed 64-bit number: every migration runner of every process contends for this one lock.
MIGRATION_LOCK_KEY = 7_041_977_000_001
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
SELECT_APPLIED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
INSERT_APPLIED = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"


class MigrationError(RuntimeError):
    """The database and the migration files disagree; nothing was applied."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; refuses gaps, duplicates and badly named files."""
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_description.sql")
        migrations.append(Migration(int(match.group(1)), match.group(2), path.read_text(encoding="utf-8")))
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise MigrationError(f"migration {expected:04d} is missing (found {migration.version:04d})")
    return migrations


async def migrate(database_url: str, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply every pending migration and return them; a no-op when the database is at head.

    Concurrent runners serialize on an advisory lock, so two API instances starting together are safe.
    """
    wanted = load_migrations() if migrations is None else migrations
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        try:
            await conn.execute(CREATE_MIGRATIONS_TABLE)
            applied = {row["version"]: row for row in await conn.fetch(SELECT_APPLIED)}
            known = {m.version: m for m in wanted}
            for version, row in applied.items():
                migration = known.get(version)
                if migration is None:
                    raise MigrationError(
                        f"the database has migration {version:04d}_{row['name']} that this code does not know; "
                        "deploy the newer code instead of running this one"
                    )
                if migration.checksum != row["checksum"]:
                    raise MigrationError(
                        f"migration {version:04d}_{migration.name}.sql changed after it was applied; "
                        "migrations are forward-only: add a new file instead"
                    )
            pending = [m for m in wanted if m.version not in applied]
            for migration in pending:
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(INSERT_APPLIED, migration.version, migration.name, migration.checksum)
                log.info("migration applied", extra={"fields": {"version": migration.version, "name": migration.name}})
            return pending
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    finally:
        await conn.close()
