"""Public pages that millions read and few change: cached per process, revalidated with ETags, shared by proxies.

When a cohort opens, the catalogue's first pages are asked for thousands of times a second and change a few
times a day. Each process keeps the encoded body of every recent catalogue answer (keyed by path and query) for
at most `ttl_seconds`, and drops them all as soon as PostgreSQL announces a catalogue change, milliseconds after
its commit (`NOTIFY catalogue_changed`, sent by triggers on courses, schedules and partners; see
`api/db/notifications.py`). A process that loses its listening connection stops caching until it listens
again, so a missed notification can never keep a page stale for longer than the TTL.

Every cacheable answer carries a strong `ETag` (a hash of its body) and `Cache-Control: public, max-age=…,
stale-while-revalidate=…`, so browsers and CDNs can reuse it too; a request whose `If-None-Match` names the
current ETag gets `304 Not Modified` with no body. Seat counts of schedules change with every purchase and do
not invalidate (they would empty the cache at the rate of sales): they may lag by up to the TTL, and a purchase
still checks the real count under a row lock.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Message, Receive, Scope, Send

CACHEABLE_STATUS = 200


@dataclass(frozen=True, slots=True)
class CachedPage:
    body: bytes
    etag: bytes
    content_type: bytes
    expires_at: float


class PageCache:
    """The encoded pages of one process, bounded in count and age, emptied on every catalogue change."""

    def __init__(self, *, seconds: int, max_entries: int = 2048) -> None:
        """Pages live `seconds` in this process and in shared caches (`max-age`); 0 turns caching off."""
        self.ttl_seconds = float(seconds)
        self.max_entries = max_entries if seconds > 0 else 0
        self.cache_control = (
            f"public, max-age={seconds}, stale-while-revalidate={4 * seconds}" if seconds > 0 else "no-cache"
        )
        self.enabled = False  # until the process listens for changes
        self.generation = 0
        self._pages: OrderedDict[bytes, CachedPage] = OrderedDict()

    def lookup(self, key: bytes, now: float) -> CachedPage | None:
        page = self._pages.get(key)
        if page is None or page.expires_at <= now or not self.enabled:
            return None
        self._pages.move_to_end(key)
        return page

    def store(self, key: bytes, generation: int, body: bytes, content_type: bytes, now: float) -> None:
        """Keep `body` unless the catalogue changed since the request began reading it (`generation`)."""
        if not self.enabled or generation != self.generation or self.max_entries == 0:
            return
        self._pages[key] = CachedPage(body, etag_of(body), content_type, now + self.ttl_seconds)
        self._pages.move_to_end(key)
        while len(self._pages) > self.max_entries:
            self._pages.popitem(last=False)

    def clear(self) -> None:
        """Forget every page (the catalogue changed, or the process can no longer hear that it did)."""
        self.generation += 1
        self._pages.clear()

    def listening(self) -> None:
        """The process hears catalogue changes again: cache from now on."""
        self.clear()
        self.enabled = True

    def lost(self) -> None:
        """The process may miss catalogue changes: serve nothing from the cache until it listens again."""
        self.clear()
        self.enabled = False


def etag_of(body: bytes) -> bytes:
    return b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def _matches(if_none_match: bytes | None, etag: bytes) -> bool:
    if if_none_match is None:
        return False
    candidates = {tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")}
    return etag in candidates or b"*" in candidates


HIT = "page_cache_hit"


async def serve_cached_page(request: Request[Any, Any, Any]) -> Response[bytes] | None:
    """A route's `before_request`: answer from the cache when it holds a fresh page (after the route's guards ran,
    so a cached answer spends the caller's rate limit like any other)."""
    cache: PageCache = request.app.state.page_cache
    page = cache.lookup(_key(request.scope), time.monotonic())
    if page is None:
        return None
    request.scope["state"][HIT] = True
    headers = {"etag": page.etag.decode(), "cache-control": cache.cache_control}
    if _matches(_header(request.scope, b"if-none-match"), page.etag):
        return Response(b"", status_code=304, headers=headers)
    return Response(page.body, status_code=CACHEABLE_STATUS, media_type=page.content_type.decode(), headers=headers)


def _key(scope: Scope) -> bytes:
    return bytes(scope["raw_path"]) + b"?" + bytes(scope.get("query_string", b""))


class PageCacheMiddleware:
    """Keeps the successful answers of the GET routes it wraps (the catalogue), with an ETag and Cache-Control,
    and turns an answer whose ETag the client already has into a 304. Cached answers themselves are served by
    `serve_cached_page` once the route's guards have run, and pass through here untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cache: PageCache | None = getattr(scope["litestar_app"].state, "page_cache", None)
        if scope["type"] != ScopeType.HTTP or scope.get("method") != "GET" or cache is None:
            await self.app(scope, receive, send)
            return
        key, now, generation = _key(scope), time.monotonic(), cache.generation
        started: list[HTTPResponseStartEvent] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if scope.get("state", {}).get(HIT) or message["type"] not in ("http.response.start", "http.response.body"):
                await send(message)
                return
            if message["type"] == "http.response.start":
                started.append(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            start = started[0]
            headers = [(bytes(k), bytes(v)) for k, v in start.get("headers", [])]
            if start["status"] == CACHEABLE_STATUS:
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"application/json")
                cache.store(key, generation, body, content_type, now)
                etag = etag_of(body)
                headers += [(b"etag", etag), (b"cache-control", cache.cache_control.encode())]
                if _matches(_header(scope, b"if-none-match"), etag):
                    await send(_start(304, [(b"etag", etag), (b"cache-control", cache.cache_control.encode())]))
                    await send(_body(b""))
                    return
            await send(_start(start["status"], headers))
            await send(_body(body))

        await self.app(scope, receive, capture)


def _start(status: int, headers: list[tuple[bytes, bytes]]) -> HTTPResponseStartEvent:
    return {"type": "http.response.start", "status": status, "headers": headers}


def _body(body: bytes) -> HTTPResponseBodyEvent:
    return {"type": "http.response.body", "body": body, "more_body": False}
