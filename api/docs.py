"""OpenAPI configuration: the spec at /openapi.json and Swagger UI at /docs, served without internet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import swagger_ui
from litestar import Request, get
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Server
from litestar.router import Router
from litestar.static_files import create_static_files_router

API_TITLE = "Prakerja Partner API"
API_VERSION = "1.0.0"
DOCS_PATH = "/docs"
DOCS_ASSETS = "/docs/assets"
SWAGGER_UI_STATIC = Path(swagger_ui.__file__).resolve().parent / "static"

DESCRIPTION = """\
The partner API of the national training marketplace. Training platforms publish courses, redeem the
vouchers participants bought with their training balance, and report attendance, assessment,
completion and certificates. Programme staff use the same API for curation, partners, participants
and money.

Errors are RFC 9457 `application/problem+json` bodies with a stable machine `code`. Every response
carries `X-Request-Id`; quote it when you ask for help.
"""


class OfflineSwaggerRenderPlugin(SwaggerRenderPlugin):
    """Swagger UI whose JavaScript and CSS come from the `swagger-ui-py` package, never a CDN."""

    def __init__(self) -> None:
        super().__init__(
            path="/",
            favicon=f"<link rel='icon' type='image/png' href='{DOCS_ASSETS}/favicon-32x32.png'>",
            js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
        )

    def receive_router(self, router: Router) -> None:
        router.register(
            create_static_files_router(
                path=DOCS_ASSETS.removeprefix(DOCS_PATH),
                directories=[SWAGGER_UI_STATIC],
                name="docs_assets",
                include_in_schema=False,
            )
        )


def openapi_config() -> OpenAPIConfig:
    """The spec's metadata and where it and its UI are served."""
    return OpenAPIConfig(
        title=API_TITLE,
        version=API_VERSION,
        description=DESCRIPTION,
        # The UI lives under /docs; the spec is also served at the root as /openapi.json (routes/docs.py).
        path=DOCS_PATH,
        render_plugins=[OfflineSwaggerRenderPlugin(), JsonRenderPlugin(path="/openapi.json")],
        servers=[Server(url="/", description="This deployment")],
        components=Components(
            security_schemes={
                "oauth2": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="An access token from POST /oauth/token (client credentials).",
                )
            }
        ),
        use_handler_docstrings=True,
        create_examples=False,
    )


@get("/openapi.json", include_in_schema=False, media_type="application/vnd.oai.openapi+json", sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> dict[str, object]:
    """The OpenAPI document at the root, where tools look for it first."""
    schema: dict[str, object] = request.app.openapi_schema.to_schema()
    return schema
