"""What the deployment must know is written down: the security document, and the idempotency row growth with its
measured size (issue 13, finding 10)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from tests.auth import Credentials
from tests.money import approved_course, buy, enrol

Client = AsyncTestClient[Any]
ROOT = Path(__file__).resolve().parent.parent.parent


async def test_a_refused_idempotent_call_stores_a_row_no_larger_than_the_readme_says(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str
) -> None:
    course = await approved_course(client, partner_a, programme)
    person = await enrol(client, programme, scheme="2020")  # 1 000 000 of balance: the course costs more
    refused = await buy(client, programme, person["id"], course["id"])
    assert refused.status_code == 409, refused.text
    conn = await asyncpg.connect(db_url)
    try:
        stored = await conn.fetchval(
            "SELECT max(pg_column_size(k.*)) FROM idempotency_keys k WHERE client_id = $1", programme.client_id
        )
    finally:
        await conn.close()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"a refused idempotent call stores a row of about ([0-9.]+) KB", readme)
    assert stated is not None, "README's capacity notes must state the idempotency row size"
    assert stored is not None
    assert stored <= float(stated.group(1)) * 1024 * 1.25, stored


def test_the_readme_links_the_security_document_and_it_names_what_the_deployment_provides() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Security" in readme
    assert "docs/security.md" in readme
    security = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    for topic in ("TLS", "TRUSTED_PROXY_HEADER", "KEY_ENCRYPTION_KEY", "rotation", "leeway", "idempotency"):
        assert topic.lower() in security.lower(), topic
