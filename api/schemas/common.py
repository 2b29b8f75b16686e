"""Shapes every resource shares: the strict request base, pagination."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

import msgspec

T = TypeVar("T")


def literal_of(enum: type[StrEnum]) -> Any:
    """The `Literal` of a domain enumeration's values, so each set of names is defined once, in `domain/`.

    A Literal (not the enum class) keeps the values inline in OpenAPI, as the committed document has them.
    Modules declare the alias for the type checker as `str` under TYPE_CHECKING and as this at run time.
    """
    return Literal[tuple(member.value for member in enum)]


Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$", max_length=320)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
# A moment in a request: with its UTC offset (without one it would name different instants to different readers,
# and could not be compared with ours), from 1970 to before 9000 (the extremes overflow date arithmetic, or become
# -infinity/infinity in PostgreSQL).
Instant = Annotated[datetime, msgspec.Meta(tz=True)]
EARLIEST_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(9000, 1, 1, tzinfo=UTC)


def check_instants(body: msgspec.Struct) -> None:
    """Refuse (a 422 when decoding) any time of `body` outside the years 1970 to 8999."""
    for name in body.__struct_fields__:
        value = getattr(body, name)
        aware = isinstance(value, datetime) and value.tzinfo is not None
        if aware and not EARLIEST_INSTANT <= value < LATEST_INSTANT:
            raise ValueError(f"time field `{name}` must be in the years 1970 to 8999")


class RequestBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every request body: unknown fields are a 422, so nobody can set what they do not own."""

    def __post_init__(self) -> None:
        check_instants(self)


class Page(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a cursor-paginated list."""

    items: list[T]
    next_cursor: str | None
