"""Schemes are rows, not constants: read them where a rule needs them."""

from __future__ import annotations

import dataclasses

from api.dependencies import Connection
from domain.errors import InvalidRequest
from domain.schemes import Scheme

SCHEME_FIELDS = [field.name for field in dataclasses.fields(Scheme)]
SCHEME_COLUMNS = ", ".join(SCHEME_FIELDS)
SELECT_DEFAULT_SCHEME = f"SELECT {SCHEME_COLUMNS} FROM schemes WHERE is_default"
SELECT_SCHEME = f"SELECT {SCHEME_COLUMNS} FROM schemes WHERE code = $1"


async def default_scheme(conn: Connection) -> Scheme:
    """The scheme course rules are judged against (the current cohort's)."""
    row = await conn.fetchrow(SELECT_DEFAULT_SCHEME)
    if row is None:
        raise RuntimeError("no default scheme configured")
    return Scheme(**dict(row))


async def scheme_by_code(conn: Connection, code: str) -> Scheme:
    row = await conn.fetchrow(SELECT_SCHEME, code)
    if row is None:
        raise InvalidRequest(f"Unknown scheme {code!r}.")
    return Scheme(**dict(row))
