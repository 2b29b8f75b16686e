"""CSV answers for finance teams: RFC 4180 text, spreadsheet-safe cells, `Accept: text/csv` negotiation."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from litestar import Request, Response

CSV = "text/csv; charset=utf-8"


def wants_csv(request: Request[Any, Any, Any]) -> bool:
    """Whether the request's Accept header names `text/csv`."""
    accept = request.headers.get("accept", "")
    return any(part.split(";")[0].strip().lower() == "text/csv" for part in accept.split(","))


def csv_response(body: str, filename: str) -> Response[str]:
    """A CSV download named `filename`."""
    return Response(
        content=body,
        media_type=CSV,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def iso(moment: datetime) -> str:
    """An instant as UTC ISO 8601 with a `Z`."""
    return moment.isoformat().replace("+00:00", "Z")


def cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (text starting with = + - @ gets a quote prefix)."""
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The rows under a header row, CRLF line ends, every cell through `cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()
