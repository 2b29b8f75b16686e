"""The public catalogue: approved courses of active partners, searched and filtered, read straight from SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from api.http.dependencies import Connection
from api.http.pagination import Keyset
from api.schemas.common import Page
from api.schemas.courses import CatalogueCourse, CatalogueCourseDetail
from api.services import schedules
from api.services.courses import CONTENT_FIELDS
from domain.errors import NotFound

CATALOGUE_COLUMNS = ", ".join(
    ["c.id", "c.partner_id", "(SELECT name FROM partners WHERE id = c.partner_id) AS partner_name"]
    + [f"c.{name}" for name in CONTENT_FIELDS]
    + ["c.approved_at"]
)
# "Courses of active partners" as an anti-join: suspended partners are few, so the planner keeps walking the
# ordered catalogue index and stops after one page, instead of joining every match first.
ON_SALE = """
c.status = 'approved' AND NOT EXISTS (SELECT 1 FROM partners p WHERE p.id = c.partner_id AND p.status <> 'active')
"""
CATALOGUE_FROM = f"SELECT {CATALOGUE_COLUMNS} FROM courses c WHERE {ON_SALE}"
# Only the filters a request uses go into its SQL (values stay $n parameters), so the planner can pick the
# ordered catalogue index or the full-text index for each shape instead of one generic plan for all.
CATALOGUE_FILTERS = {
    "q": "c.search @@ websearch_to_tsquery('simple', ${})",
    "format": "c.format = ${}",
    "category": "c.category = ${}",
    "max_price": "c.price <= ${}",
}
CATALOGUE_COURSE = f"SELECT {CATALOGUE_COLUMNS} FROM courses c WHERE c.id = $1 AND {ON_SALE}"


class ListedCourse(CatalogueCourse, kw_only=True):
    """A catalogue row: the course as anyone sees it, and when it was approved (the sort key)."""

    approved_at: datetime


def _listed(row: asyncpg.Record) -> ListedCourse:
    return msgspec.convert(dict(row), ListedCourse)


def _public(listed: ListedCourse) -> CatalogueCourse:
    fields = msgspec.structs.asdict(listed)
    fields.pop("approved_at")
    return CatalogueCourse(**fields)


async def search(
    conn: Connection,
    q: str | None,
    course_format: str | None,
    category: str | None,
    max_price: int | None,
    limit: int,
    cursor: str | None,
) -> Page[CatalogueCourse]:
    """Published courses of active partners, newest approval first, with full-text search and filters."""
    keyset = Keyset.of(cursor, limit)
    given: dict[str, Any] = {
        "q": q.strip() if q and q.strip() else None,
        "format": course_format,
        "category": category,
        "max_price": max_price,
    }
    sql = [CATALOGUE_FROM]
    args: list[Any] = []
    for name, value in given.items():
        if value is not None:
            args.append(value)
            sql.append(" AND " + CATALOGUE_FILTERS[name].format(len(args)))
    if keyset.after is not None:
        args += list(keyset.after)
        sql.append(f" AND (c.approved_at, c.id) < (${len(args) - 1}, ${len(args)})")
    args.append(keyset.fetch)
    sql.append(f" ORDER BY c.approved_at DESC, c.id DESC LIMIT ${len(args)}")
    rows = [_listed(r) for r in await conn.fetch("".join(sql), *args)]
    page, next_cursor = keyset.split(rows, lambda row: (row.approved_at, row.id))
    return Page(items=[_public(row) for row in page], next_cursor=next_cursor)


async def course(conn: Connection, course_id: str, now: datetime) -> CatalogueCourseDetail:
    """One published course with the schedules still open for sale."""
    row = await conn.fetchrow(CATALOGUE_COURSE, course_id)
    if row is None:
        raise NotFound("No such course in the catalogue.")
    public = _public(_listed(row))
    return CatalogueCourseDetail(
        **msgspec.structs.asdict(public), schedules=await schedules.open_schedules(conn, course_id, now)
    )
