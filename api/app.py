"""The app factory: `create_app(settings)` builds the Litestar app; `asgi_app(settings)` wraps it for serving."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Controller, Litestar, Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp

from api.auth.access import (
    Gatekeeper,
    Principal,
    RevocationList,
    TokenVerifier,
    authorize,
    provide_principal,
    request_id,
)
from api.auth.client_secrets import SecretHasher
from api.auth.integration_signatures import SignatureVerifier
from api.auth.national_id import NationalIdHasher
from api.auth.rate_limits import (
    ADDRESS_TOKEN_POLICY,
    API_POLICY,
    POOL_SIZE,
    PUBLIC_POLICY,
    TOKEN_POLICY,
    Policy,
    RateLimiter,
    add_rate_limit_headers,
)
from api.auth.signing_keys import SigningKeyRing, key_encryption_key
from api.db.notifications import Listener
from api.db.pool import create_pool
from api.db.replicas import ReadRouter, Replica
from api.http.allow import allow_every_method
from api.http.dependencies import provide_connection, provide_transaction
from api.http.errors import DATABASE_UNAVAILABLE, EXCEPTION_HANDLERS
from api.http.idempotency import provide_idempotency
from api.http.json_depth import refuse_deep_json
from api.http.openapi import document_errors, openapi_config, openapi_json
from api.http.page_cache import PageCache
from api.http.request_context import RequestContext, configure_logging
from api.http.strict_input import strict_input
from api.jobs.webhooks import DeliveryWorker
from api.jobs.worker import run_forever
from api.routes import (
    audit,
    catalogue,
    certificates,
    compatibility,
    courses,
    curation,
    disbursements,
    enrollments,
    events,
    health,
    me,
    oauth,
    participant_support,
    participants,
    partners,
    programme_views,
    reports,
    sandbox,
    schedules,
    staff,
    statements,
    vouchers,
    webhooks,
)
from api.services.audit import Actor
from api.services.clock import Clock
from api.services.oauth import ClientAuthenticator
from api.services.vouchers import CodeFormat
from api.settings import MAX_BODY_BYTES, Settings


def _provide_actor(request: Request[Any, Any, Any], principal: Principal) -> Actor:
    return Actor.of(principal, request_id(request))


async def _guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The app's one guard: `authorize` (token, quota, scopes), then `strict_input`. One guard, not two: Litestar
    copies the route handler for each guard on each request, which cost `/v1/me` ~6% of its CPU per copy."""
    await authorize(connection, handler)
    await strict_input(connection, handler)


def create_app(settings: Settings) -> Litestar:
    """The Litestar application for `settings` (whose `database_url` must already be concrete)."""
    hasher = SecretHasher(settings.secret_hash_profile, concurrency=settings.secret_hash_concurrency)
    keys = SigningKeyRing(cache_seconds=settings.key_cache_seconds, token_lifetime_seconds=settings.token_ttl_seconds)
    revocations = RevocationList(ttl_seconds=settings.auth_cache_ttl_seconds)
    authenticator = ClientAuthenticator(settings=settings, hasher=hasher, keys=keys)
    codes = CodeFormat(sandbox=not settings.is_production)
    clock = Clock(sandbox=settings.app_env == "sandbox")

    @asynccontextmanager
    async def database_pool(app: Litestar) -> AsyncGenerator[None, None]:
        keys.kek = key_encryption_key(settings)  # fails fast in production without KEY_ENCRYPTION_KEY
        app.state.nik_hasher = NationalIdHasher(keys.kek)
        pool_url = settings.database_url
        assert pool_url is not None, "resolve_database_url() first"
        pool = await create_pool(settings)
        app.state.pool = pool
        replicas = [
            Replica(f"replica-{n}", await create_pool(settings, url, min_size=0))
            for n, url in enumerate(settings.database_replica_urls, 1)
        ]
        app.state.reads = ReadRouter(pool, replicas, settings.replica_max_lag_seconds)
        await app.state.reads.start()
        page_cache: PageCache = app.state.page_cache
        catalogue_changes = Listener(
            pool_url,
            "catalogue_changed",
            on_notify=page_cache.clear,
            on_listening=page_cache.listening,
            on_lost=page_cache.lost,
        )
        catalogue_changes.start()
        app.state.codes, app.state.clock = codes, clock  # also for handlers that skip dependency injection
        app.state.signing_keys = keys
        app.state.token_verifier = TokenVerifier(settings=settings, keys=keys, revocations=revocations, pool=pool)
        limits_pool = await create_pool(settings, min_size=0, max_size=POOL_SIZE)
        api_policy = Policy(API_POLICY, default_quota=settings.rate_limit_per_minute, per_client=True)
        token_policy = Policy(TOKEN_POLICY, default_quota=settings.token_rate_limit_per_minute, per_client=False)
        app.state.rate_limiter = RateLimiter(limits_pool, api_policy)
        app.state.token_rate_limiter = RateLimiter(limits_pool, token_policy)
        authenticator.throttle_pool = limits_pool
        address_limiters = {
            ADDRESS_TOKEN_POLICY: RateLimiter(
                limits_pool, Policy(ADDRESS_TOKEN_POLICY, settings.token_address_limit_per_minute, per_client=False)
            ),
            PUBLIC_POLICY: RateLimiter(
                limits_pool, Policy(PUBLIC_POLICY, settings.public_limit_per_minute, per_client=False)
            ),
        }
        app.state.gatekeeper = Gatekeeper(app.state.token_verifier, app.state.rate_limiter, address_limiters, settings)
        app.state.integration_signatures = SignatureVerifier(settings.app_env, pool, keys.kek, app.state.rate_limiter)
        try:
            async with pool.acquire() as conn:
                await keys.ensure_loaded(conn)
        except DATABASE_UNAVAILABLE:
            pass  # the database may be down at start: keys load on first use once it is back
        background = (
            [
                asyncio.create_task(
                    run_forever(
                        pool,
                        settings.worker_interval_seconds,
                        test_clocks=settings.app_env == "sandbox",
                        failure_window_seconds=settings.auth_failure_window_seconds,
                    )
                ),
                asyncio.create_task(DeliveryWorker(pool, settings, keys.kek).run_forever()),
            ]
            if settings.run_worker
            else []
        )
        # What exists now (the app, its routes, schemas and OpenAPI document, the pools) lives as long as the
        # process: take it out of the cyclic garbage collector's sight, so that the collections a request's
        # allocations trigger do not walk it again each time (they cost the redemption path ~10% of its CPU).
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # an app stopped in a longer-lived process (the tests) leaves nothing uncollectable
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await catalogue_changes.stop()
            await limits_pool.close()
            await app.state.reads.close()
            await pool.close()

    def constant(value: object) -> Provide:
        return Provide(lambda: value, use_cache=True, sync_to_thread=False)

    def from_state(name: str) -> Provide:
        """What the lifespan put in `app.state` under `name` (it exists only once the app has started)."""

        def read(state: State) -> Any:
            return getattr(state, name)

        return Provide(read, sync_to_thread=False)

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
            schedules.ScheduleController,
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
            disbursements.DisbursementController,
            disbursements.PayoutAccountController,
            disbursements.SurveyIncentiveController,
            certificates.verify,
            certificates.verify_by_number,
            certificates.issuer,
            certificates.show,
            compatibility.CompatibilityController,
            events.feed,
            webhooks.WebhookEndpointController,
            staff.StaffSessionController,
            participant_support.ParticipantSupportController,
            participant_support.ParticipantVoucherListController,
            participant_support.ParticipantIncentiveController,
            programme_views.dashboard,
            programme_views.course_under_review,
            programme_views.voucher_history,
            programme_views.partner_enrollments,
            programme_views.enrollment,
        ],
        lifespan=[database_pool],
        guards=[_guard],
        before_request=refuse_deep_json,
        before_send=[add_rate_limit_headers, allow_every_method],
        dependencies={
            "tx": Provide(provide_transaction),
            "conn": Provide(provide_connection),
            "settings": constant(settings),
            "hasher": constant(hasher),
            "authenticator": constant(authenticator),
            "revocations": constant(revocations),
            "verifier": from_state("token_verifier"),
            "token_rate_limiter": from_state("token_rate_limiter"),
            "nik_hasher": from_state("nik_hasher"),
            "reads": from_state("reads"),
            "codes": constant(codes),
            "signing_keys": constant(keys),
            "clock": constant(clock),
            "idempotency": Provide(provide_idempotency),
            "principal": Provide(provide_principal, sync_to_thread=False),
            "actor": Provide(_provide_actor, sync_to_thread=False),
        },
        state=State({"page_cache": PageCache(seconds=settings.catalogue_cache_seconds)}),
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
