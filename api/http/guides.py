"""The partner guides (`docs/*.md`) as web pages under /docs/guides/<name>, beside the reference, offline.

The Markdown is rendered on the server with markdown-it-py (CommonMark plus tables; raw HTML in a guide is shown
as text, never passed through), once per process and guide. Links between guides (`errors.md#…`) become links
between the pages, headings get GitHub's anchors so those fragments land, and every page links back to the
reference at /docs. The stylesheet is ours and tiny: nothing is loaded from another host.
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

from litestar import Response, Router, get
from litestar.enums import MediaType
from markdown_it import MarkdownIt
from markdown_it.token import Token

from api.http.errors import ApiError

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
REFERENCE_PATH = "/docs"
GUIDES_PATH = "/docs/guides"
STYLESHEET = "guides.css"
# The guides a partner developer reads, in reading order, with their titles in the navigation.
GUIDES: dict[str, str] = {
    "integration": "Integration guide",
    "idempotency": "Idempotency and retries",
    "errors": "Errors",
    "sandbox": "The sandbox and its clock",
    "webhooks": "Events and webhooks",
    "programme": "Programme rules",
    "money": "Where the money goes",
    "compatibility": "Compatibility layer",
}
_GUIDE_LINK = re.compile(r"^(?:\./)?([a-z0-9_-]+)\.md(#.*)?$")
CSS = """\
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0b6e4f; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
header { border-bottom: 1px solid var(--line); background: #f6f8fa; }
nav { max-width: 60rem; margin: 0 auto; padding: .6rem 1.5rem; display: flex; flex-wrap: wrap; gap: .3rem 1rem; }
nav a { color: var(--muted); text-decoration: none; font-size: .9rem; }
nav a[aria-current="page"] { color: var(--ink); font-weight: 600; }
nav a.reference { color: var(--accent); font-weight: 600; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
a { color: var(--accent); }
h1, h2, h3 { line-height: 1.25; margin-top: 1.8em; }
h1 { margin-top: .8em; }
code { font: .88em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f0f2f4;
       padding: .1em .3em; border-radius: 4px; }
pre { background: #f0f2f4; padding: 1rem; overflow-x: auto; border-radius: 6px; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; display: block; overflow-x: auto; margin: 1rem 0; }
th, td { border: 1px solid var(--line); padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
footer { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 2rem; border-top: 1px solid var(--line);
         color: var(--muted); font-size: .9rem; }
"""


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def guide_href(href: str) -> str:
    """A link as it works on the served page: another guide's Markdown file becomes that guide's page."""
    found = _GUIDE_LINK.match(href)
    if found is None or found.group(1) not in GUIDES:
        return href
    return f"{GUIDES_PATH}/{found.group(1)}{found.group(2) or ''}"


def _plain(inline: Token) -> str:
    return "".join(child.content for child in inline.children or () if child.type in ("text", "code_inline"))


def render_markdown(text: str) -> tuple[str, str]:
    """The guide's title (its first heading) and its body as HTML."""
    md = _markdown()
    tokens = md.parse(text)
    title, used = "", set[str]()
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            heading = _plain(tokens[index + 1])
            title = title or heading
            anchor, n = slug(heading), 1
            while anchor in used:
                anchor, n = f"{slug(heading)}-{n}", n + 1
            used.add(anchor)
            token.attrSet("id", anchor)
        for child in token.children or ():
            if child.type == "link_open":
                child.attrSet("href", guide_href(str(child.attrGet("href") or "")))
    return title, md.renderer.render(tokens, md.options, {})


def _page(name: str, title: str, body: str) -> str:
    links = "".join(
        f'<a href="{GUIDES_PATH}/{key}"{" aria-current=page" if key == name else ""}>{html.escape(label)}</a>'
        for key, label in GUIDES.items()
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · Prakerja Partner API</title>
<link rel="stylesheet" href="{GUIDES_PATH}/{STYLESHEET}">
</head>
<body>
<header><nav aria-label="Guides"><a class="reference" href="{REFERENCE_PATH}">API reference</a>{links}</nav></header>
<main>
{body}</main>
<footer>Part of the <a href="{REFERENCE_PATH}">Prakerja Partner API reference</a>
(<a href="/openapi.json">openapi.json</a>).</footer>
</body>
</html>
"""


@functools.cache
def guide_page(name: str) -> str | None:
    """The HTML page of one guide, rendered once per process; None for a name that is not a guide."""
    if name not in GUIDES:
        return None
    path = DOCS_DIR / f"{name}.md"
    if not path.is_file():
        return None  # an installation without the repository's docs/
    title, body = render_markdown(path.read_text(encoding="utf-8"))
    return _page(name, title, body)


@functools.cache
def guide_index() -> str:
    items = "".join(f'<li><a href="{GUIDES_PATH}/{key}">{html.escape(label)}</a></li>' for key, label in GUIDES.items())
    intro = f'<p>What the <a href="{REFERENCE_PATH}">API reference</a> does not say, in reading order.</p>'
    body = f"<h1>Guides</h1>\n{intro}\n<ul>{items}</ul>\n"
    return _page("", "Guides", body)


@get("/", media_type=MediaType.HTML, sync_to_thread=False, include_in_schema=False)
def index() -> str:
    """Every guide, in reading order."""
    return guide_index()


@get(f"/{STYLESHEET}", media_type="text/css", sync_to_thread=False, include_in_schema=False)
def stylesheet() -> Response[str]:
    return Response(CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=300"})


@get("/{name:str}", media_type=MediaType.HTML, sync_to_thread=False, include_in_schema=False)
def guide(name: str) -> str:
    """One guide as a web page."""
    page = guide_page(name)
    if page is None:
        raise ApiError(404, "not_found", "No such guide.")
    return page


def guides_router() -> Router:
    """The guides under /docs/guides, mounted by the docs' render plugin (api/http/openapi.py)."""
    return Router(path=GUIDES_PATH.removeprefix(REFERENCE_PATH), route_handlers=[index, stylesheet, guide])
