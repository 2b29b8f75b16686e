"""Out-of-band set-up the HTTP API cannot do for itself: the first programme client, key rotation, the demo partner
and its compatibility-layer key."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from api.auth.client_secrets import SecretHasher, new_client_secret
from api.auth.national_id import NationalIdHasher
from api.auth.signing_keys import SigningKeyRing, key_encryption_key
from api.http.dependencies import Connection
from api.schemas.compatibility import IntegrationKeyIssued
from api.schemas.courses import CourseCreate, ScheduleCreate, SessionBody
from api.schemas.participants import ParticipantCreate
from api.schemas.partners import ClientCreate
from api.services import clients, courses, curation, integration_keys, participants, schedules, schemes, staff
from api.services.audit import Actor
from api.services.clock import Clock, wall_clock
from api.services.sandbox import SEED_ACTOR
from api.settings import Settings
from domain import clients as client_rules

DEMO_PARTNER_ID = "prt_demo"
DEMO_CLIENT_ID = "cli_demo_sandbox"
DEMO_SECRET_FILE = "demo-client-secret.enc"  # noqa: S105 - a file name: in DATA_DIR, AES-GCM under the KEK
CLI_ACTOR = Actor.system("cli")

UPSERT_DEMO_PARTNER = """
INSERT INTO partners (id, name, kind, contact_email) VALUES ($1, 'Demo Training Platform', 'platform', 'dev@demo.test')
ON CONFLICT (id) DO NOTHING
"""
UPSERT_DEMO_CLIENT = """
INSERT INTO oauth_clients (client_id, partner_id, name, environment, scopes, secret_hash)
VALUES ($1, $2, 'Demo sandbox client', 'sandbox', $3, $4)
ON CONFLICT (client_id) DO UPDATE
   SET secret_hash = EXCLUDED.secret_hash, scopes = EXCLUDED.scopes, status = 'active',
       previous_secret_hash = NULL, previous_secret_expires_at = NULL, updated_at = now()
"""


@dataclass(frozen=True, slots=True)
class IssuedCredentials:
    client_id: str
    client_secret: str


def deployment_environment(settings: Settings) -> client_rules.Environment:
    """The client environment this deployment serves by default."""
    return client_rules.Environment.PRODUCTION if settings.is_production else client_rules.Environment.SANDBOX


async def create_programme_client(settings: Settings, name: str, scopes: list[str] | None) -> IssuedCredentials:
    """A new portal client (the bootstrap: the only way to get one without already holding one)."""
    assert settings.database_url is not None
    environment = deployment_environment(settings)
    wanted = scopes or list(client_rules.default_scopes(for_partner=False, environment=environment))
    conn = await asyncpg.connect(settings.database_url)
    try:
        async with conn.transaction():
            created = await clients.create_client(
                conn,
                CLI_ACTOR,
                SecretHasher(settings.secret_hash_profile),
                None,
                ClientCreate(name=name, environment=environment.value, scopes=wanted),
                app_env=settings.app_env,
            )
    finally:
        await conn.close()
    return IssuedCredentials(created.client_id, created.client_secret)


async def issue_integration_key(
    settings: Settings, partner_id: str | None = None, environment: str | None = None
) -> IntegrationKeyIssued:
    """A compatibility-layer client_code and sign_key (issued, or rotated when the partner has one), by default for
    the sandbox demo partner in this deployment's environment; outside production the demo partner is created."""
    assert settings.database_url is not None
    partner = partner_id or DEMO_PARTNER_ID
    conn = await asyncpg.connect(settings.database_url)
    try:
        async with conn.transaction():
            if partner == DEMO_PARTNER_ID and not settings.is_production:
                await conn.execute(UPSERT_DEMO_PARTNER, DEMO_PARTNER_ID)
            return await integration_keys.issue(
                conn,
                CLI_ACTOR,
                key_encryption_key(settings),
                partner,
                environment or deployment_environment(settings).value,
                app_env=settings.app_env,
                now=wall_clock(),
                grace=timedelta(seconds=settings.secret_rotation_grace_seconds),
            )
    finally:
        await conn.close()


async def create_staff_member(
    settings: Settings, email: str, name: str, role: str, password: str
) -> staff.CreatedStaff:
    """A new programme staff member (who then logs in to the portal with the password and a TOTP app)."""
    assert settings.database_url is not None
    kek = key_encryption_key(settings)
    conn = await asyncpg.connect(settings.database_url)
    try:
        async with conn.transaction():
            return await staff.create_staff(
                conn,
                CLI_ACTOR,
                SecretHasher(settings.secret_hash_profile),
                kek,
                email=email,
                name=name,
                role=role,
                password=password,
            )
    finally:
        await conn.close()


async def rotate_signing_key(settings: Settings) -> str:
    """A new active signing key; the previous one verifies its live tokens (stays published for its certificates)."""
    assert settings.database_url is not None
    ring = SigningKeyRing(kek=key_encryption_key(settings))
    conn = await asyncpg.connect(settings.database_url)
    try:
        return await ring.create_key(conn, retire_current=True)
    finally:
        await conn.close()


async def demo_partner_credentials(settings: Settings) -> IssuedCredentials:
    """The sandbox demo partner and its client. Its secret is kept (encrypted) in DATA_DIR, so it is the same at
    every start and a developer's `.env` keeps working; only its hash is in the database."""
    assert settings.database_url is not None
    secret = demo_client_secret(settings)
    secret_hash = await SecretHasher(settings.secret_hash_profile).hash(secret)
    scopes = list(client_rules.default_scopes(for_partner=True, environment=client_rules.Environment.SANDBOX))
    conn = await asyncpg.connect(settings.database_url)
    try:
        async with conn.transaction():
            await conn.execute(UPSERT_DEMO_PARTNER, DEMO_PARTNER_ID)
            await conn.execute(UPSERT_DEMO_CLIENT, DEMO_CLIENT_ID, DEMO_PARTNER_ID, scopes, secret_hash)
            if not await conn.fetchval("SELECT 1 FROM courses WHERE partner_id = $1 LIMIT 1", DEMO_PARTNER_ID):
                await seed_demo_catalogue(conn, settings)
    finally:
        await conn.close()
    return IssuedCredentials(DEMO_CLIENT_ID, secret)


def demo_client_secret(settings: Settings) -> str:
    """The demo client's secret: the one stored in DATA_DIR, or a new one stored there now.

    A file that cannot be decrypted (the key-encryption key changed) is replaced by a new secret.
    """
    path = Path(settings.data_dir) / DEMO_SECRET_FILE
    cipher = AESGCM(key_encryption_key(settings))
    aad = DEMO_CLIENT_ID.encode()
    if path.exists():
        stored = path.read_bytes()
        try:
            return cipher.decrypt(stored[:12], stored[12:], aad).decode()
        except (InvalidTag, ValueError):
            path.unlink()
    secret = new_client_secret()
    nonce = secrets.token_bytes(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(nonce + cipher.encrypt(nonce, secret.encode(), aad))
    return secret


DEMO_COURSES: tuple[tuple[str, str, int, int | None, dict[str, Any] | None], ...] = (
    ("self_paced", "Pemasaran Digital untuk UMKM", 15, 5, None),
    ("webinar", "Public Speaking untuk Profesional", 15, None, {"days": 5, "hours": 3, "meeting_url": True}),
    ("offline", "Barista Dasar: dari Biji ke Cangkir", 16, None, {"days": 2, "hours": 8, "location": True}),
    ("blended", "Akuntansi Usaha Kecil", 15, None, {"days": 5, "hours": 3, "location": True, "meeting_url": True}),
)


async def seed_demo_catalogue(conn: Connection, settings: Settings) -> None:
    """One approved course of each format (scheduled ones with a schedule starting in three days) and a
    test participant, so /docs can be tried at once. Built through the same services and rules as any other."""
    actor = Actor.system(SEED_ACTOR)
    scheme = await schemes.default_scheme(conn)
    clock = Clock(sandbox=settings.app_env == "sandbox")
    now = await clock.now(conn, DEMO_PARTNER_ID)  # the demo partner's clock, like every later time it sees
    start = (now + timedelta(days=3)).replace(hour=2, minute=0, second=0, microsecond=0)
    for course_format, title, hours, modules, plan in DEMO_COURSES:
        body = CourseCreate(
            title=title,
            description=f"{title}: kursus demo di sandbox. Materi praktis, tugas, dan unjuk keterampilan di akhir.",
            category="demo",
            format=course_format,
            hours=hours,
            price=1_500_000,
            public_price=2_000_000,
            competencies=["demo", course_format.replace("_", " ")],
            language="id",
            modules=modules,
        )
        detail, _ = await courses.create_course(conn, actor, DEMO_PARTNER_ID, body, scheme, now)
        if plan is not None:
            sessions = [
                SessionBody(
                    sequence=n + 1,
                    starts_at=start + timedelta(days=n),
                    ends_at=start + timedelta(days=n, hours=plan["hours"]),
                )
                for n in range(plan["days"])
            ]
            schedule = ScheduleCreate(
                starts_at=sessions[0].starts_at,
                ends_at=sessions[-1].ends_at,
                capacity=30,
                sessions=sessions,
                location="Balai Latihan Kerja, Jl. Merdeka 1, Bandung" if plan.get("location") else None,
                meeting_url="https://meet.example.com/demo-kelas" if plan.get("meeting_url") else None,
            )
            await schedules.add_schedule(conn, actor, DEMO_PARTNER_ID, detail.id, schedule, scheme, now)
        await courses.submit_course(conn, actor, DEMO_PARTNER_ID, detail.id, now)
        await curation.curate(conn, actor, clock, detail.id, "approve")
    await participants.enrol(
        conn,
        actor,
        NationalIdHasher(key_encryption_key(settings)),
        ParticipantCreate(
            programme_number="SBX-PRK-DEMO0001",
            nik="9000000000000001",
            name="Dewi Lestari",
            email="dewi.lestari@sandbox.test",
            phone="+628100000001",
            scheme="2024",
            accepted_at=now,
        ),
        sandbox_partner_id=DEMO_PARTNER_ID,
    )
