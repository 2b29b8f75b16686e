"""Cursor pagination: opaque cursors over a (timestamp, id) sort key, limits 1 to 100."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated

from litestar.params import Parameter

from domain.errors import FieldProblem, ValidationFailed

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
