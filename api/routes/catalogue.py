"""The public catalogue: approved courses anyone may browse, no authentication."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from api.db.replicas import ReadRouter
from api.http.openapi import PUBLIC_CATALOGUE
from api.http.page_cache import PageCacheMiddleware, serve_cached_page
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit
from api.schemas.common import Page
from api.schemas.courses import MAX_RUPIAH, CatalogueCourse, CatalogueCourseDetail, Format
from api.services import catalogue
from api.services.clock import wall_clock


class CatalogueController(Controller):
    path = "/v1/catalogue/courses"
    tags = [PUBLIC_CATALOGUE]
    # Per-process page cache with ETags (api/http/page_cache.py): filled and revalidated by the middleware,
    # served after the guards (the caller's address still spends its rate limit).
    middleware = [PageCacheMiddleware]

    @get("/", operation_id="searchCatalogue", summary="Search published courses", before_request=serve_cached_page)
    async def search(
        self,
        reads: ReadRouter,
        q: Annotated[str | None, Parameter(max_length=200, description="Full-text query (web search syntax).")] = None,
        format: Format | None = None,  # noqa: A002
        category: Annotated[str | None, Parameter(max_length=100)] = None,
        max_price: Annotated[int | None, Parameter(ge=1, le=MAX_RUPIAH, description="Integer rupiah.")] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[CatalogueCourse]:
        """Approved courses of active partners, newest first. `q` searches title, competencies, category and
        description (Indonesian and English alike: words are matched as written, without stemming)."""
        return await reads.run(lambda conn: catalogue.search(conn, q, format, category, max_price, limit, cursor))

    @get(
        "/{course_id:str}",
        operation_id="getCatalogueCourse",
        summary="A published course",
        before_request=serve_cached_page,
    )
    async def show(self, course_id: str, reads: ReadRouter) -> CatalogueCourseDetail:
        """One approved course with its schedules still open for sale."""
        now = wall_clock()
        return await reads.run(lambda conn: catalogue.course(conn, course_id, now))
