"""The app factory: `create_app(settings)` builds the Litestar app; `asgi_app(settings)` wraps it for serving."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Controller, Litestar, Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.types import ASGIApp

from api.auth.access import Principal, RevocationList, TokenVerifier, authorize, provide_principal, request_id
from api.auth.client_secrets import SecretHasher
from api.auth.national_id import NationalIdHasher
from api.auth.rate_limits import API_POLICY, POOL_SIZE, TOKEN_POLICY, Policy, RateLimiter, add_rate_limit_headers
from api.auth.signing_keys import SigningKeyRing, key_encryption_key
from api.db.pool import create_pool
from api.http.dependencies import provide_connection, provide_transaction
from api.http.errors import DATABASE_UNAVAILABLE, EXCEPTION_HANDLERS
from api.http.idempotency import provide_idempotency
from api.http.openapi import document_errors, openapi_config, openapi_json
from api.http.request_context import RequestContext, configure_logging
from api.jobs.worker import run_forever
from api.routes import (
    audit,
    catalogue,
    certificates,
    courses,
    curation,
    enrollments,
    health,
    me,
    oauth,
    participants,
    partners,
    reports,
    sandbox,
    statements,
    vouchers,
)
from api.services.audit import Actor
from api.services.clock import Clock
from api.services.oauth import ClientAuthenticator
from api.services.vouchers import CodeFormat
from api.settings import MAX_BODY_BYTES, Settings


def _provide_actor(request: Request[Any, Any, Any], principal: Principal) -> Actor:
    return Actor.of(principal, request_id(request))


def create_app(settings: Settings) -> Litestar:
    """The Litestar application for `settings` (whose `database_url` must already be concrete)."""
    hasher = SecretHasher(settings.secret_hash_profile)
    keys = SigningKeyRing()
    revocations = RevocationList(ttl_seconds=settings.auth_cache_ttl_seconds)
    authenticator = ClientAuthenticator(settings=settings, hasher=hasher, keys=keys)
    codes = CodeFormat(sandbox=not settings.is_production)
    clock = Clock(sandbox=settings.app_env == "sandbox")

    @asynccontextmanager
    async def database_pool(app: Litestar) -> AsyncGenerator[None, None]:
        keys.kek = key_encryption_key(settings)  # fails fast in production without KEY_ENCRYPTION_KEY
        app.state.nik_hasher = NationalIdHasher(keys.kek)
        pool = await create_pool(settings)
        app.state.pool = pool
        app.state.codes, app.state.clock = codes, clock  # also for handlers that skip dependency injection
        app.state.signing_keys = keys
        app.state.token_verifier = TokenVerifier(settings=settings, keys=keys, revocations=revocations, pool=pool)
        limits_pool = await create_pool(settings, min_size=0, max_size=POOL_SIZE)
        api_policy = Policy(API_POLICY, default_quota=settings.rate_limit_per_minute, per_client=True)
        token_policy = Policy(TOKEN_POLICY, default_quota=settings.token_rate_limit_per_minute, per_client=False)
        app.state.rate_limiter = RateLimiter(limits_pool, api_policy)
        app.state.token_rate_limiter = RateLimiter(limits_pool, token_policy)
        try:
            async with pool.acquire() as conn:
                await keys.ensure_loaded(conn)
        except DATABASE_UNAVAILABLE:
            pass  # the database may be down at start: keys load on first use once it is back
        sweeper = (
            asyncio.create_task(
                run_forever(pool, settings.worker_interval_seconds, test_clocks=settings.app_env == "sandbox")
            )
            if settings.run_worker
            else None
        )
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
            await limits_pool.close()
            await pool.close()

    def constant(value: object) -> Provide:
        return Provide(lambda: value, use_cache=True, sync_to_thread=False)

    def verifier(state: State) -> TokenVerifier:
        found: TokenVerifier = state.token_verifier
        return found

    def token_rate_limiter(state: State) -> RateLimiter:
        found: RateLimiter = state.token_rate_limiter
        return found

    def nik_hasher(state: State) -> NationalIdHasher:
        found: NationalIdHasher = state.nik_hasher
        return found

    sandbox_routes: list[type[Controller]] = [sandbox.SandboxController] if settings.app_env == "sandbox" else []
    app = Litestar(
        route_handlers=[
            *sandbox_routes,
            health.live,
            health.ready,
            openapi_json,
            oauth.token,
            oauth.introspect,
            oauth.revoke,
            oauth.metadata,
            oauth.jwks,
            me.me,
            partners.PartnerController,
            partners.ClientController,
            courses.CourseController,
            curation.CurationController,
            catalogue.CatalogueController,
            vouchers.VoucherController,
            participants.ParticipantController,
            participants.ProgrammeVoucherController,
            enrollments.EnrollmentController,
            statements.StatementController,
            audit.AuditController,
            reports.ReportController,
            statements.ProgrammeStatementController,
            statements.PartnerBankAccountController,
            certificates.verify,
        ],
        lifespan=[database_pool],
        guards=[authorize],
        before_send=[add_rate_limit_headers],
        dependencies={
            "tx": Provide(provide_transaction),
            "conn": Provide(provide_connection),
            "settings": constant(settings),
            "hasher": constant(hasher),
            "authenticator": constant(authenticator),
            "revocations": constant(revocations),
            "verifier": Provide(verifier, sync_to_thread=False),
            "token_rate_limiter": Provide(token_rate_limiter, sync_to_thread=False),
            "nik_hasher": Provide(nik_hasher, sync_to_thread=False),
            "codes": constant(codes),
            "signing_keys": constant(keys),
            "clock": constant(clock),
            "idempotency": Provide(provide_idempotency),
            "principal": Provide(provide_principal, sync_to_thread=False),
            "actor": Provide(_provide_actor, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(),
        request_max_body_size=MAX_BODY_BYTES,
        debug=False,
        logging_config=None,
    )
    document_errors(app)
    return app


def asgi_app(settings: Settings) -> ASGIApp:
    """The app as it is served: request ids and request logging around the Litestar app."""
    return RequestContext(create_app(settings))


def asgi_app_from_env() -> ASGIApp:
    """Uvicorn factory for worker processes: settings from the environment (the CLI made DATABASE_URL concrete)."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    if settings.database_url is None:
        raise RuntimeError("DATABASE_URL must be set for server workers; start them with `python -m api serve`")
    return asgi_app(settings)
