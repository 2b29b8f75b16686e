"""Cursors: the pattern the spec states is the whole definition, so every cursor it admits is one the server takes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.http.pagination import (
    CURSOR_PATTERN,
    EVENT_CURSOR_PATTERN,
    NUMBERED_CURSOR_PATTERN,
    decode_cursor,
    encode_cursor,
)
from api.services import events
from domain.errors import ValidationFailed


@given(st.from_regex(CURSOR_PATTERN, fullmatch=True) | st.from_regex(NUMBERED_CURSOR_PATTERN, fullmatch=True))
def test_every_cursor_the_pattern_admits_decodes_and_encodes_back(cursor: str) -> None:
    decoded = decode_cursor(cursor)
    assert decoded is not None
    assert encode_cursor(*decoded) == cursor


@pytest.mark.parametrize(
    ("at", "entity_id"),
    [
        (datetime(2026, 12, 1, 3, 4, 5, 123456, tzinfo=UTC), "crs_3f2a9c"),
        (datetime(1970, 1, 1, tzinfo=UTC), "1"),
        (datetime(8999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "9f0c2a4e-1b2c-4d5e-8f90-123456789abc"),
    ],
)
def test_a_cursor_handed_out_matches_the_pattern_and_points_where_it_was_made(at: datetime, entity_id: str) -> None:
    cursor = encode_cursor(at, entity_id)
    assert re.fullmatch(CURSOR_PATTERN, cursor)
    assert decode_cursor(cursor) == (at, entity_id)


@pytest.mark.parametrize("cursor", ["", "garbage!", "063931691045123456", "063931691045123456.", "3" + "0" * 17 + ".x"])
def test_anything_else_is_refused(cursor: str) -> None:
    with pytest.raises(ValidationFailed):
        decode_cursor(cursor)


@given(st.from_regex(EVENT_CURSOR_PATTERN, fullmatch=True))
def test_every_event_cursor_the_pattern_admits_decodes_within_range(cursor: str) -> None:
    xid, event_id = events.decode_cursor(cursor)
    assert 0 <= xid <= events.MAX_ID
    assert 0 <= event_id <= events.MAX_ID


def test_the_event_cursor_round_trips_and_refuses_other_forms() -> None:
    assert events.decode_cursor(events.encode_cursor(812, events.MAX_ID)) == (812, events.MAX_ID)
    for cursor in ("bm90LWEtY3Vyc29y", "%%%", "1.", "-1.2"):
        with pytest.raises(ValidationFailed):
            events.decode_cursor(cursor)
