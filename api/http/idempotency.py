"""Idempotency keys: a keyed mutation acts once per client and key; a retry gets the stored response back.

A handler that creates something or moves money asks for `idempotency: Idempotency` and returns
`await idempotency.run(lambda: service_call(...), status_code=201)`. Within the request transaction `run`

1. validates the `Idempotency-Key` header (1 to 255 printable ASCII characters);
2. takes a transaction-scoped advisory lock on (client, key): a second request with the same key, in this or
   any other process, gets 409 `idempotency_request_in_progress` instead of waiting or acting twice;
3. replays the stored response (same status, content type and body bytes) when the key was used before with
   the same request, or answers 422 `idempotency_key_reused` when it was used with a different one (the lock
   and this lookup are one round trip: `idempotency_claim`, migrations/0019_idempotency_claim.sql);
4. otherwise runs the operation in a savepoint and stores its response in the same transaction as its side
   effects. A domain error (a rule the partner must see the same way on retry) is stored too, with its side
   effects rolled back; anything else (a bug, the database going away) stores nothing, so a retry runs again.
   A savepoint that succeeded is not released: the commit ends it, one round trip fewer on the hot path.

The lock is released and the stored row becomes visible at the same instant (the commit), so a retry never
sees neither. This relies on the request transaction being READ COMMITTED (the default): under a snapshot
taken before the lock, a retry could miss the row and then fail on its primary key instead of replaying.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, TypeVar, cast
from urllib.parse import parse_qsl

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.params import HeaderParameter

from api.http.dependencies import Connection
from api.http.errors import PROBLEM_MEDIA_TYPE, ApiError, domain_problem
from api.http.request_context import client_id_of
from domain.errors import DomainError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
JSON_MEDIA_TYPE = "application/json"
MINIMUM_RETENTION = timedelta(hours=24)  # API.md: keys are kept at least 24 hours
_VALID_KEY = re.compile(r"[\x20-\x7e]{1,255}")

# Lock and lookup in one round trip, each on its own snapshot (migrations/0019_idempotency_claim.sql).
CLAIM = """
SELECT locked, request_fingerprint, status_code, content_type, response_body FROM idempotency_claim($1, $2, $3)
"""
SAVEPOINT = "SAVEPOINT idempotent_operation"
ROLLBACK_TO_SAVEPOINT = "ROLLBACK TO SAVEPOINT idempotent_operation"
INSERT_STORED_RESPONSE = """
INSERT INTO idempotency_keys
       (client_id, key, request_fingerprint, method, path, status_code, content_type, response_body)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
DELETE_EXPIRED = """
DELETE FROM idempotency_keys WHERE (client_id, key) IN (
    SELECT client_id, key FROM idempotency_keys
     WHERE created_at < now() - $1::interval
     ORDER BY created_at LIMIT $2
       FOR UPDATE SKIP LOCKED
)
"""


Result = TypeVar("Result", bound=msgspec.Struct)


class StoredResponse(msgspec.Struct, frozen=True, kw_only=True):
    """A response as it was first sent for one (client, key)."""

    request_fingerprint: str
    status_code: int
    content_type: str
    response_body: bytes


def lock_key(client_id: str, key: str) -> int:
    """The 64-bit advisory lock number of one client's key (a collision only costs a spurious 409)."""
    digest = hashlib.sha256(b"idempotency\x00" + client_id.encode() + b"\x00" + key.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def request_fingerprint(method: str, path: str, query_string: bytes, body: bytes) -> str:
    """What makes two requests "the same": method, concrete path, query and the body's JSON meaning.

    The body is decoded and re-encoded with sorted keys, so whitespace and key order do not matter; the
    concrete path (not the route template) counts, so one key cannot be reused for another voucher.
    """
    canonical_body: Any
    if not body.strip():
        canonical_body = None
    else:
        try:
            canonical_body = ["json", msgspec.json.decode(body)]
        except msgspec.DecodeError:
            canonical_body = ["bytes", body.hex()]
    query = sorted(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    canonical = msgspec.json.encode([method.upper(), path, query, canonical_body], order="sorted")
    return hashlib.sha256(canonical).hexdigest()


def valid_key(header: str | None) -> str:
    """The request's idempotency key, or the 400 a partner must fix before retrying."""
    if header is None:
        raise ApiError(
            400,
            "idempotency_key_required",
            f"This operation requires an {HEADER} header.",
            title="Idempotency key required",
        )
    if _VALID_KEY.fullmatch(header) is None:
        raise ApiError(400, "invalid_request", f"The {HEADER} header must be 1 to 255 printable ASCII characters.")
    return header


class Idempotency:
    """Runs one keyed mutation of one request at most once per (client, key); see the module docstring."""

    def __init__(self, request: Request[Any, Any, Any], tx: Connection, client_id: str, header: str | None) -> None:
        self._request = request
        self._tx = tx
        self._client_id = client_id
        self._header = header

    async def run(
        self,
        operation: Callable[[], Awaitable[Result]],
        *,
        status_code: int,
        location: Callable[[dict[str, Any]], str] | None = None,
    ) -> Response[Result]:
        """The response of `operation` (JSON, `status_code`), or the stored response of an earlier run of this key.

        The body goes out as the bytes that are stored (a replay sends them again), so the response holds
        `operation`'s result encoded: a `Response[Result]` to OpenAPI and the type checker, bytes on the wire.
        A 201 carries `Location: location(body)`, computed from the (stored) body so a replay names it too.
        """
        return cast("Response[Result]", await self._run(operation, status_code, location))

    async def _run(
        self,
        operation: Callable[[], Awaitable[msgspec.Struct]],
        status_code: int,
        location: Callable[[dict[str, Any]], str] | None,
    ) -> Response[bytes]:
        key = valid_key(self._header)
        request = self._request
        method, path = request.method, request.scope["path"]
        fingerprint = request_fingerprint(method, path, request.scope["query_string"], await request.body())

        claim = await self._tx.fetchrow(CLAIM, lock_key(self._client_id, key), self._client_id, key)
        assert claim is not None
        stored = None if claim["request_fingerprint"] is None else msgspec.convert(dict(claim), StoredResponse)
        if stored is not None:
            return _replay(stored, fingerprint, location)
        if not claim["locked"]:
            # Someone holds the key and nothing is stored yet: that request is still running.
            raise ApiError(
                409,
                "idempotency_request_in_progress",
                "A request with this idempotency key is still being processed; retry shortly.",
                title="Idempotency request in progress",
                headers={"Retry-After": "1"},
            )

        # A savepoint: a domain error undoes only the operation's writes. Anything else ends the request's
        # transaction with a rollback, so the savepoint needs no handling then, nor a release on success.
        await self._tx.execute(SAVEPOINT)
        try:
            result = await operation()
        except DomainError as error:
            await self._tx.execute(ROLLBACK_TO_SAVEPOINT)
            problem = domain_problem(error)
            status_code, content_type, body = problem.status, PROBLEM_MEDIA_TYPE, msgspec.json.encode(problem)
        else:
            content_type, body = JSON_MEDIA_TYPE, msgspec.json.encode(result)
        await self._tx.execute(
            INSERT_STORED_RESPONSE, self._client_id, key, fingerprint, method, path, status_code, content_type, body
        )
        return Response(
            content=body,
            status_code=status_code,
            media_type=content_type,
            headers=_location(status_code, body, location),
        )


def _location(status_code: int, body: bytes, location: Callable[[dict[str, Any]], str] | None) -> dict[str, str]:
    if status_code != 201 or location is None:
        return {}
    return {"Location": location(msgspec.json.decode(body))}


def _replay(
    stored: StoredResponse, fingerprint: str, location: Callable[[dict[str, Any]], str] | None
) -> Response[bytes]:
    if stored.request_fingerprint != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This idempotency key was already used for a different request; use a new key for a new request.",
            title="Idempotency key reused",
        )
    return Response(
        content=stored.response_body,
        status_code=stored.status_code,
        media_type=stored.content_type,
        headers={REPLAYED_HEADER: "true", **_location(stored.status_code, stored.response_body, location)},
    )


# The header as a handler parameter, so that it shows in OpenAPI (api/http/openapi.py marks it required).
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=HEADER,
        description="Required. 1 to 255 printable ASCII characters, unique per operation; "
        "a retry with the same key and body replays the first response. Kept at least 24 hours.",
    ),
]


async def provide_idempotency(
    request: Request[Any, Any, Any], tx: Connection, idempotency_key: IdempotencyKey = None
) -> Idempotency:
    """The idempotency guard of a keyed mutation; declares the header so it shows in OpenAPI.

    It depends on `tx` alone (the caller comes from the request the guard verified), so that a handler asking
    for `tx` and `idempotency` only has its dependencies resolved one after the other: Litestar resolves each
    batch of independent dependencies in an anyio task group, which costs the hottest endpoints ~10% of their CPU.
    """
    return Idempotency(request, tx, client_id_of(request.scope), idempotency_key)


async def delete_expired(
    conn: Connection | asyncpg.Connection[asyncpg.Record], older_than: timedelta, *, limit: int | None = None
) -> int:
    """Delete keys stored more than `older_than` ago (at least 24 hours), at most `limit` of them; return how many.

    With a `limit` a worker deletes in short transactions, and concurrent workers skip each other's rows.
    """
    if older_than < MINIMUM_RETENTION:
        raise ValueError(f"idempotency keys must be kept at least {MINIMUM_RETENTION}")
    status = await conn.execute(DELETE_EXPIRED, older_than, limit)
    return int(status.split()[-1])
