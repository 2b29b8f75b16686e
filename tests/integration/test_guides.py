"""The guides are served at /docs/guides beside the reference: HTML pages whose every link works."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from litestar.testing import AsyncTestClient

from api.__main__ import openapi_document
from api.http.guides import GUIDES, guide_href, render_markdown, slug

Client = AsyncTestClient[Any]
HREF = re.compile(r'href="([^"]+)"')
ANCHOR = re.compile(r'id="([^"]+)"')


async def test_every_guide_is_a_web_page_that_links_back_to_the_reference(client: Client) -> None:
    assert {"integration", "idempotency", "errors", "sandbox"} <= set(GUIDES)
    for name in GUIDES:
        response = await client.get(f"/docs/guides/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/html"), name
        page = response.text
        assert re.search(r"<title>[^<]+ · Prakerja Partner API</title>", page), name
        assert '<h1 id="' in page, name
        assert 'href="/docs"' in page, name
        assert "<table" in page or name in ("integration", "compatibility", "webhooks"), name


async def test_every_link_of_every_guide_resolves_and_lands_on_its_anchor(client: Client) -> None:
    pages = {"/docs/guides": (await client.get("/docs/guides")).text}
    pages |= {f"/docs/guides/{name}": (await client.get(f"/docs/guides/{name}")).text for name in GUIDES}
    checked: set[str] = set()
    for where, page in pages.items():
        for href in HREF.findall(page):
            target = urljoin(f"http://testserver{where}", href.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc != "testserver":
                continue  # an absolute link elsewhere (RFCs, standards)
            answer = await client.get(parts.path)
            assert answer.status_code == 200, f"{where} -> {href}"
            if parts.fragment:
                assert parts.fragment in ANCHOR.findall(answer.text), f"{where} -> {href}"
            checked.add(parts.path)
    assert {"/docs", "/docs/guides/errors", "/docs/guides/idempotency", "/docs/guides/guides.css"} <= checked


async def test_a_guide_that_does_not_exist_is_a_problem(client: Client) -> None:
    response = await client.get("/docs/guides/architecture")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_the_reference_links_every_guide(client: Client) -> None:
    description = openapi_document()["info"]["description"]
    page = (await client.get("/docs")).text
    for name in GUIDES:
        assert f"(/docs/guides/{name})" in description, name
        assert f"/docs/guides/{name}" in page, name


def test_guides_render_markdown_with_anchors_and_links_that_work_when_served() -> None:
    title, body = render_markdown(
        "# Errors\n\n## Redemption refusals (`POST /v1/vouchers/{code}/redeem`)\n\n## Other\n\n## Other\n\n"
        "See [the sandbox](sandbox.md#reset), [the spec](https://spec.openapis.org/oas/v3.1.0) and "
        "[a file](../examples/partner_client.py).\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert title == "Errors"
    assert '<h2 id="redemption-refusals-post-v1voucherscoderedeem">' in body  # GitHub's anchor
    assert '<h2 id="other">' in body
    assert '<h2 id="other-1">' in body
    assert 'href="/docs/guides/sandbox#reset"' in body
    assert 'href="https://spec.openapis.org/oas/v3.1.0"' in body
    assert "<script>" not in body
    assert "&lt;script&gt;" in body
    assert "<table>" in body
    assert guide_href("errors.md") == "/docs/guides/errors"
    assert guide_href("architecture.md") == "architecture.md"  # not served: the page test would catch a link to it
    assert slug("The sandbox and its clock") == "the-sandbox-and-its-clock"
