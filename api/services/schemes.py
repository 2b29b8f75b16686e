"""Schemes are rows, not constants: read them where a rule needs them."""

from __future__ import annotations

import dataclasses

from api.http.dependencies import Connection
from domain.errors import FieldProblem, InvalidRequest, NotFound
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


# Schemes this process has read, by code. A scheme's parameters never change (the database refuses it:
# migrations/0009_immutable_schemes.sql), so a remembered one is never stale, in this process or any other.
_known: dict[str, Scheme] = {}


async def scheme_by_code(conn: Connection, code: str) -> Scheme:
    """The scheme named `code`: read once per process, then remembered (a round trip saved on the money path)."""
    known = _known.get(code)
    if known is not None:
        return known
    row = await conn.fetchrow(SELECT_SCHEME, code)
    if row is None:
        raise InvalidRequest(f"Unknown scheme {code!r}.")
    scheme = _known[code] = Scheme(**dict(row))
    return scheme


async def requested_scheme(conn: Connection, code: str | None) -> Scheme:
    """The scheme a request names (the default one when it names none); an unknown code is a 404.

    Schemes are data, so a new cohort is accepted as soon as its row exists: no request schema lists them.
    """
    if code is None:
        return await default_scheme(conn)
    try:
        return await scheme_by_code(conn, code)
    except InvalidRequest:
        raise NotFound(f"There is no scheme {code!r}.", problems=(FieldProblem("scheme", "unknown scheme"),)) from None
