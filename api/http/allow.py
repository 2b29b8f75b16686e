"""`Allow` on an OPTIONS answer lists every method of the resource, as the 405 answer does.

Litestar (2.25) makes a route's OPTIONS handler when the route is first built, and keeps it when handlers for the
same path from another controller are merged in later: its `Allow` then names only the first handlers' methods
(`GET /v1/courses/{course_id}` without `PATCH`). The routing table itself is complete (the 405 answer reads it),
so this before-send hook rewrites the header from it.
"""

from __future__ import annotations

from litestar.types import Message, Scope

ALLOW = b"allow"


async def allow_every_method(message: Message, scope: Scope) -> None:
    """Before-send hook: an OPTIONS answer's `Allow` is every method routed on its path."""
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
        return
    handler = scope.get("route_handler")
    paths = getattr(handler, "paths", None)
    if not paths:
        return  # not routed (a 404): nothing to list
    routed = scope["litestar_app"].route_handler_method_map.get(next(iter(paths)), {})
    allow = ", ".join(sorted(routed)).encode()
    headers = [(name, value) for name, value in message.get("headers", ()) if name.lower() != ALLOW]
    message["headers"] = [*headers, (ALLOW, allow)]
