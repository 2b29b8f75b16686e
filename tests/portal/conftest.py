"""Fixtures of the portal tests: the API and the portal on real sockets, and headless Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright

from api.settings import Settings
from portal.app import create_portal
from portal.settings import PortalSettings
from tests.live_server import serving_asgi
from tests.portal_support import CHROMIUM, CHROMIUM_ARGS, ApiCaller, new_programme_client


@pytest.fixture
async def programme_api(settings: Settings, live_url: str) -> ApiCaller:
    """The programme client the portal runs as (it holds every programme scope; staff tokens get their role's)."""
    return await new_programme_client(settings, live_url)


@pytest.fixture
def portal_settings(programme_api: ApiCaller, db_url: str) -> PortalSettings:
    return PortalSettings(
        api_url=programme_api.url,
        client_id=programme_api.client_id,
        client_secret=programme_api.client_secret,
        database_url=db_url,
        secret_key="portal-test-secret-key",
    )


@pytest.fixture
def portal_url(portal_settings: PortalSettings) -> Iterator[str]:
    with serving_asgi(create_portal(portal_settings)) as url:
        yield url


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    """A fresh headless Chromium page (Debian's chromium; Playwright never downloads a browser here).

    The portal's CSP allows only its own scripts; axe-core is injected by the test, so the context bypasses it.
    """
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(bypass_csp=True)
        try:
            yield await context.new_page()
        finally:
            await context.close()
            await browser.close()


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "browser: end-to-end tests in headless Chromium")
