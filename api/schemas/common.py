"""Shapes every resource shares: the strict request base, pagination."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec

T = TypeVar("T")

Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$", max_length=320)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]


class RequestBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every request body: unknown fields are a 422, so nobody can set what they do not own."""


class Page(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a cursor-paginated list."""

    items: list[T]
    next_cursor: str | None
