"""A key this process has not loaded yet: every request that carries it waits for the one refetch.

Found by `make bench`: right after startup, 9 of 17,000 concurrent `GET /v1/me` with a valid token answered 401,
because the requests that arrived while the first one refetched the keys were told "unknown key" at once.
"""

from __future__ import annotations

import asyncio

from api.auth.signing_keys import SigningKeyRing, key_encryption_key
from api.db.pool import create_pool
from api.settings import Settings


async def test_concurrent_requests_with_a_new_key_all_wait_for_the_one_refetch(settings: Settings) -> None:
    pool = await create_pool(settings)
    try:
        kek = key_encryption_key(settings)
        here = SigningKeyRing(kek=kek)
        async with pool.acquire() as conn:
            await here.ensure_loaded(conn)
            new_kid = await SigningKeyRing(kek=kek).create_key(conn, retire_current=True)  # another process rotates
        assert new_kid not in here.public_keys
        found = await asyncio.gather(*(here.public_key(new_kid, pool.acquire) for _ in range(20)))
        assert all(key is not None for key in found)
        # Garbage kids still cost at most one fetch per interval: a second unknown one right after is refused.
        assert await here.public_key("no-such-key", pool.acquire) is None
    finally:
        await pool.close()
