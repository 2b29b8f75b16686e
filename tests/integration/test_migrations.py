"""Migrations: forward-only, checksummed, serialized by an advisory lock; the audit log is append-only, schemes
immutable."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from api.db.migrations import Migration, MigrationError, load_migrations, migrate


async def applied_versions(url: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        return [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        await conn.close()


async def test_empty_database_migrates_to_head_and_rerun_is_a_no_op(empty_db_url: str) -> None:
    files = load_migrations()
    applied = await migrate(empty_db_url)
    assert [m.version for m in applied] == [m.version for m in files]
    assert await applied_versions(empty_db_url) == [m.version for m in files]
    assert await migrate(empty_db_url) == []


async def test_two_runners_at_once_serialize(empty_db_url: str) -> None:
    slow = [
        Migration(1, "slow_table", "SELECT pg_sleep(0.3); CREATE TABLE serialized (id int PRIMARY KEY);"),
        Migration(2, "seed", "INSERT INTO serialized VALUES (1);"),
    ]
    first, second = await asyncio.gather(migrate(empty_db_url, slow), migrate(empty_db_url, slow))
    assert sorted([len(first), len(second)]) == [0, 2]
    assert await applied_versions(empty_db_url) == [1, 2]


async def test_edited_applied_file_is_refused(empty_db_url: str) -> None:
    await migrate(empty_db_url, [Migration(1, "one", "CREATE TABLE one (id int);")])
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate(empty_db_url, [Migration(1, "one", "CREATE TABLE one (id bigint);")])


async def test_database_ahead_of_the_code_is_refused(empty_db_url: str) -> None:
    await migrate(empty_db_url, [Migration(1, "one", "SELECT 1;"), Migration(2, "two", "SELECT 2;")])
    with pytest.raises(MigrationError, match="does not know"):
        await migrate(empty_db_url, [Migration(1, "one", "SELECT 1;")])


async def test_failing_migration_leaves_nothing_behind(empty_db_url: str) -> None:
    broken = [Migration(1, "ok", "CREATE TABLE fine (id int);"), Migration(2, "bad", "CREATE TABLE x (; ")]
    with pytest.raises(asyncpg.PostgresSyntaxError):
        await migrate(empty_db_url, broken)
    assert await applied_versions(empty_db_url) == [1]


async def test_audit_log_is_append_only(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            "INSERT INTO audit_log (actor_type, action, entity_type, entity_id) VALUES ('system', 'test', 'thing', '1')"
        )
        for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(statement)
        assert await conn.fetchval("SELECT action FROM audit_log") == "test"
    finally:
        await conn.close()


async def test_a_published_scheme_never_changes_and_only_the_default_moves(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        for statement in (
            "UPDATE schemes SET training_balance = training_balance + 1 WHERE code = '2024'",
            "UPDATE schemes SET code = '2025' WHERE code = '2024'",
            "DELETE FROM schemes WHERE code = '2020'",
        ):
            with pytest.raises(asyncpg.RestrictViolationError):
                await conn.execute(statement)
        async with conn.transaction():
            await conn.execute("UPDATE schemes SET is_default = false WHERE code = '2024'")
            await conn.execute("UPDATE schemes SET is_default = true WHERE code = '2020'")
        assert await conn.fetchval("SELECT code FROM schemes WHERE is_default") == "2020"
        assert await conn.fetchval("SELECT training_balance FROM schemes WHERE code = '2024'") == 3_500_000
    finally:
        await conn.close()
