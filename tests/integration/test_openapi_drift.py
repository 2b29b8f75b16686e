"""The committed spec in openapi/ is exactly what the code generates (`make openapi` regenerates it)."""

from __future__ import annotations

from api.__main__ import openapi_text
from tests.database import REPO_ROOT


def test_committed_openapi_matches_the_code() -> None:
    committed = (REPO_ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8")
    assert committed == openapi_text(), "openapi/openapi.json is stale: run `make openapi` and commit it"
