"""`201 Created` answers: the new resource, with a `Location` header naming where it can be read again."""

from __future__ import annotations

from typing import TypeVar

from litestar import Response

T = TypeVar("T")


def created(content: T, location: str, headers: dict[str, str] | None = None) -> Response[T]:
    """A 201 with `content` and `Location: location` (plus any other `headers`, such as an `ETag`)."""
    return Response(content, status_code=201, headers={"Location": location, **(headers or {})})
