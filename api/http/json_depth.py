"""A cap on how deeply a JSON body may nest, checked before anything decodes it.

msgspec's decoder recurses once per level and gives up with a `RecursionError` a little under Python's recursion
limit (~1,000 levels, 2 KB of brackets), which would surface as a 500. No request of this API nests deeper than a
handful of levels, so a body nesting more than MAX_JSON_DEPTH levels is refused as `invalid_request` (400). The
check costs two C-level counts for an ordinary body; only a body holding more brackets than the cap is scanned.
"""

from __future__ import annotations

import re
from typing import Any

from api.http.errors import NESTING_DETAIL, ApiError

MAX_JSON_DEPTH = 64
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = frozenset(b"[{")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """True when `body`, read as JSON, opens more than `limit` arrays or objects inside each other."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for byte in _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS):
        depth = depth + 1 if byte in _OPENING else depth - 1
        if depth > limit:
            return True
    return False


async def refuse_deep_json(request: Any) -> None:
    """App-wide before-request hook: 400 `invalid_request` for a body nested beyond MAX_JSON_DEPTH."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.headers.get("content-type", "").lower().startswith(FORM_TYPES):
        return
    if nests_deeper_than(await request.body(), MAX_JSON_DEPTH):
        raise ApiError(400, "invalid_request", NESTING_DETAIL)
