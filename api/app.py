"""The app factory: `create_app(settings)` builds the Litestar app; `asgi_app(settings)` wraps it for serving."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.di import Provide
from litestar.types import ASGIApp

from api.database import create_pool
from api.dependencies import provide_connection, provide_transaction
from api.docs import openapi_config, openapi_json
from api.errors import EXCEPTION_HANDLERS
from api.request_context import RequestContext, configure_logging
from api.routes import health
from api.settings import MAX_BODY_BYTES, Settings


def create_app(settings: Settings) -> Litestar:
    """The Litestar application for `settings` (whose `database_url` must already be concrete)."""

    @asynccontextmanager
    async def database_pool(app: Litestar) -> AsyncGenerator[None, None]:
        pool = await create_pool(settings)
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    return Litestar(
        route_handlers=[health.live, health.ready, openapi_json],
        lifespan=[database_pool],
        dependencies={
            "tx": Provide(provide_transaction),
            "conn": Provide(provide_connection),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(),
        request_max_body_size=MAX_BODY_BYTES,
        state=None,
        debug=False,
        logging_config=None,
    )


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
