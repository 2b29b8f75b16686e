"""The public catalogue: approved courses anyone may browse, no authentication."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from api.http.dependencies import Connection
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit
from api.schemas.common import Page
from api.schemas.courses import MAX_RUPIAH, CatalogueCourse, CatalogueCourseDetail, Format
from api.services import catalogue
from api.services.clock import wall_clock


class CatalogueController(Controller):
    path = "/v1/catalogue/courses"
    tags = ["catalogue"]

    @get("/", operation_id="searchCatalogue", summary="Search published courses")
    async def search(
        self,
        conn: Connection,
        q: Annotated[str | None, Parameter(max_length=200, description="Full-text query (web search syntax).")] = None,
        format: Format | None = None,  # noqa: A002
        category: Annotated[str | None, Parameter(max_length=100)] = None,
        max_price: Annotated[int | None, Parameter(ge=1, le=MAX_RUPIAH, description="Integer rupiah.")] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[CatalogueCourse]:
        """Approved courses of active partners, newest first. `q` searches title, competencies, category and
        description (Indonesian and English alike: words are matched as written, without stemming)."""
        return await catalogue.search(conn, q, format, category, max_price, limit, cursor)

    @get("/{course_id:str}", operation_id="getCatalogueCourse", summary="A published course")
    async def show(self, course_id: str, conn: Connection) -> CatalogueCourseDetail:
        """One approved course with its schedules still open for sale."""
        return await catalogue.course(conn, course_id, wall_clock())
