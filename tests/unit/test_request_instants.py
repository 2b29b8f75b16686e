"""A request's times: the year range the spec states as a pattern is the one the decoder enforces."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.schemas.common import INSTANT_PATTERN, Instant, RequestBody


class Marked(RequestBody):
    at: Instant


def _decodes(text: str) -> bool:
    try:
        msgspec.json.decode(msgspec.json.encode({"at": text}), type=Marked)
    except msgspec.ValidationError:
        return False
    return True


offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), offsets)
def test_a_time_is_taken_exactly_when_it_matches_the_stated_pattern(moment: datetime, offset: timezone) -> None:
    text = moment.replace(tzinfo=offset).isoformat()
    assert _decodes(text) == bool(re.search(INSTANT_PATTERN, text))


@pytest.mark.parametrize(
    ("text", "taken"),
    [
        ("1970-01-01T00:00:00+14:00", True),  # 1969 in UTC, but written in 1970: the year as written counts
        ("1969-12-31T23:59:59-01:00", False),
        ("8999-12-31T23:59:59-12:00", True),
        ("9000-01-01T00:00:00Z", False),
        ("0001-01-01T00:00:00Z", False),
    ],
)
def test_the_edges_of_the_year_range(text: str, taken: bool) -> None:
    assert _decodes(text) is taken


def test_a_time_without_offset_is_refused_whatever_its_year() -> None:
    assert not _decodes(datetime(2030, 1, 1, tzinfo=UTC).replace(tzinfo=None).isoformat())
