"""Shapes every resource shares: the strict request base, pagination, and the fields that recur with one meaning.

A field's description sits on its type (`Annotated[T, msgspec.Meta(description=...)]`), which Litestar copies into
the OpenAPI document; a field that recurs with the same meaning uses one alias from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

import msgspec

T = TypeVar("T")


def literal_of(values: type[StrEnum] | Iterable[str]) -> Any:
    """The `Literal` of a domain enumeration's values (or of a domain set of names, sorted), so each set of names is
    defined once, in `domain/`.

    A Literal (not the enum class) keeps the values inline in OpenAPI, as the committed document has them.
    Modules declare the alias for the type checker as `str` under TYPE_CHECKING and as this at run time.
    """
    if isinstance(values, type):
        return Literal[tuple(member.value for member in values)]
    return Literal[tuple(sorted(str(value) for value in values))]  # str(): a StrEnum member becomes its value


def described(text: str) -> msgspec.Meta:
    """The description of a field, as OpenAPI shows it: `Annotated[str, described("...")]`."""
    return msgspec.Meta(description=text)


# Times the API sets, identifiers that appear in many bodies.
CreatedAt = Annotated[datetime, described("When it was created (set by the API); RFC 3339 in UTC.")]
UpdatedAt = Annotated[
    datetime, described("When it last changed (set by the API; at first its creation); RFC 3339 in UTC.")
]
PartnerId = Annotated[str, described("The partner's id (`prt_…`).")]
CourseId = Annotated[str, described("The course's id (`crs_…`).")]
ScheduleId = Annotated[str, described("The schedule's id (`sch_…`).")]
OptionalScheduleId = Annotated[
    str | None, described("The schedule's id (`sch_…`); null for a self-paced course, which has no schedule.")
]
EnrollmentId = Annotated[str, described("The enrollment's id (`enr_…`), created when the voucher is redeemed.")]
ParticipantId = Annotated[str, described("The participant's id (`par_…`).")]
VoucherCode = Annotated[str, described("The voucher's code: what the participant gives you to redeem.")]
ProgrammeNumberText = Annotated[str, described("The participant's programme number (`PRK-…`).")]
ParticipantNameMasked = Annotated[
    str, described("The participant's name masked: the first word, then initials (`Siti N.`; one word: `S***`).")
]
AccountReferenceMasked = Annotated[
    str, described("The bank account or e-wallet number as `****` and its last four characters (shorter: `****`).")
]


# Character classes are spelled out rather than `\s`/`\S`, whose meaning differs between regex engines (Python's
# counts U+001C-U+001F as space, ECMA-262's, which JSON Schema uses, does not), so that the spec and the decoder
# accept the same strings.
VISIBLE = r"[^\x00-\x20\x7f-\xa0]"  # one character that is neither a control nor a space of Latin-1
# Text that starts and ends with a visible character, on one line (spelled out: `.` differs between engines too).
ONE_LINE = rf"^{VISIBLE}([^\n\r\u2028\u2029]*{VISIBLE})?$"
Email = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[^@\x00-\x20\x7f-\xa0]{1,64}@[^@\x00-\x20\x7f-\xa0]+\.[^@\x00-\x20\x7f-\xa0]+$", max_length=320
    ),
]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=VISIBLE)]
# A moment in a request: with its UTC offset (without one it would name different instants to different readers,
# and could not be compared with ours), in the years 1970 to 8999 as written (the extremes overflow date arithmetic,
# or become -infinity/infinity in PostgreSQL). The spec states the years as a pattern; `check_instants` enforces
# the same rule, on the year as written, so that the two cannot disagree.
EARLIEST_YEAR = 1970
LATEST_YEAR = 8999
INSTANT_PATTERN = r"^(19[7-9][0-9]|[2-8][0-9]{3})-"
Instant = Annotated[datetime, msgspec.Meta(tz=True, extra_json_schema={"extra": {"pattern": INSTANT_PATTERN}})]


def check_instants(body: msgspec.Struct) -> None:
    """Refuse (a 422 when decoding) any time of `body` written outside the years 1970 to 8999."""
    for name in body.__struct_fields__:
        value = getattr(body, name)
        aware = isinstance(value, datetime) and value.tzinfo is not None
        if aware and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValueError(f"time field `{name}` must be in the years {EARLIEST_YEAR} to {LATEST_YEAR}")


class RequestBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every request body: unknown fields are a 422, so nobody can set what they do not own.

    `exactly_one_of` names optional fields of which a body gives exactly one (not null): the decoder refuses
    anything else (422), and the OpenAPI document states it as a `oneOf` (api/http/openapi.py), from this one list.
    """

    exactly_one_of: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        check_instants(self)
        if self.exactly_one_of and sum(getattr(self, name) is not None for name in self.exactly_one_of) != 1:
            raise ValueError(f"give exactly one of {' and '.join(f'`{name}`' for name in self.exactly_one_of)}")


class Page(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a cursor-paginated list."""

    items: Annotated[list[T], described("This page's items, in the list's order.")]
    next_cursor: Annotated[
        str | None, described("Pass it as `cursor` to get the next page; null on the last page. Opaque.")
    ]
