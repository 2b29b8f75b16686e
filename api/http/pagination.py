"""Cursor pagination: opaque cursors over a (timestamp, id) sort key, limits 1 to 100.

Every list pages the same way, with one `Keyset`: its `arguments` end the list query's parameters (after, id,
limit + 1: one row more than the page tells whether there is a next page), and `split` cuts the fetched rows
into the page and the cursor of the next one.

A cursor is the sort key in plain text: the instant as 18 digits of microseconds since 0001-01-01 UTC, a dot, the
row's id. Its pattern is its whole definition: every string that matches it decodes to a sort key (the first
digit 0 to 2 keeps the instant before the year 9999), so the spec states exactly which cursors are taken and a
client that passes back what it was given never meets a refusal. Clients still treat it as opaque.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

from litestar.params import Parameter

from domain.errors import FieldProblem, ValidationFailed

R = TypeVar("R")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100

Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="Page size, 1 to 100.")]
CURSOR_EPOCH = datetime.min.replace(tzinfo=UTC)
CURSOR_PATTERN = r"^[0-2][0-9]{17}\.[A-Za-z0-9_-]{1,64}$"
# Lists sorted by a database sequence (statement lines, transfers, delivery attempts) continue after a number.
NUMBERED_CURSOR_PATTERN = r"^[0-2][0-9]{17}\.[0-9]{1,18}$"
CURSOR_DESCRIPTION = "`next_cursor` of the previous page, passed back unchanged."
Cursor = Annotated[str | None, Parameter(pattern=CURSOR_PATTERN, description=CURSOR_DESCRIPTION)]
NumberedCursor = Annotated[str | None, Parameter(pattern=NUMBERED_CURSOR_PATTERN, description=CURSOR_DESCRIPTION)]
# The event feed continues after a (transaction id, event id) pair: `after` (api/services/events.py).
EVENT_CURSOR_PATTERN = r"^[0-9]{1,20}\.[0-9]{1,20}$"
_CURSOR = re.compile(CURSOR_PATTERN)


def encode_cursor(at: datetime, entity_id: str) -> str:
    """The cursor that continues after the row sorted at (`at`, `entity_id`)."""
    micros = (at - CURSOR_EPOCH) // timedelta(microseconds=1)
    return f"{micros:018d}.{entity_id}"


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """The sort key a cursor points after; a 422 for anything that does not have a cursor's form."""
    if cursor is None:
        return None
    if not _CURSOR.fullmatch(cursor):
        raise ValidationFailed(
            "The cursor is not one this API returned.", problems=(FieldProblem("cursor", "invalid cursor"),)
        )
    micros, entity_id = cursor.split(".", 1)
    return CURSOR_EPOCH + timedelta(microseconds=int(micros)), entity_id


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
