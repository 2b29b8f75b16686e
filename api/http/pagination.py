"""Cursor pagination: opaque cursors over a (timestamp, id) sort key, limits 1 to 100.

Every list pages the same way, with one `Keyset`: its `arguments` end the list query's parameters (after, id,
limit + 1: one row more than the page tells whether there is a next page), and `split` cuts the fetched rows
into the page and the cursor of the next one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar

from litestar.params import Parameter

from domain.errors import FieldProblem, ValidationFailed

R = TypeVar("R")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100

Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="Page size, 1 to 100.")]
Cursor = Annotated[str | None, Parameter(max_length=200, description="`next_cursor` of the previous page.")]


def encode_cursor(at: datetime, entity_id: str) -> str:
    """The cursor that continues after the row sorted at (`at`, `entity_id`)."""
    raw = json.dumps([at.isoformat(), entity_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """The sort key a cursor points after; a 422 for anything we did not hand out."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, entity_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        return datetime.fromisoformat(at), str(entity_id)
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise ValidationFailed(
            "The cursor is not one this API returned.", problems=(FieldProblem("cursor", "invalid cursor"),)
        ) from None


@dataclass(frozen=True, slots=True)
class Keyset:
    """One page request of a list sorted by (timestamp, id): where it starts and how long it is."""

    after: tuple[datetime, str] | None
    limit: int

    @classmethod
    def of(cls, cursor: str | None, limit: int) -> Keyset:
        """The page after `cursor` (the first page without one); a 422 for a cursor we did not hand out."""
        return cls(decode_cursor(cursor), limit)

    @property
    def fetch(self) -> int:
        """How many rows to fetch: one more than the page, to know whether another page follows."""
        return self.limit + 1

    @property
    def arguments(self) -> tuple[datetime | None, str | None, int]:
        """The sort key to continue after (NULLs for the first page) and the row count to fetch."""
        if self.after is None:
            return None, None, self.fetch
        return self.after[0], self.after[1], self.fetch

    def split(self, rows: Sequence[R], sort_key: Callable[[R], tuple[datetime, str]]) -> tuple[Sequence[R], str | None]:
        """The rows of this page, and the cursor of the next page (None on the last page)."""
        if len(rows) <= self.limit:
            return rows, None
        return rows[: self.limit], encode_cursor(*sort_key(rows[self.limit - 1]))
