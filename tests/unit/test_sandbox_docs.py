"""Every redemption refusal in docs/errors.md can be reached in the sandbox: by a magic scenario or a recipe."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from api.schemas.sandbox import Scenario

ERRORS = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = ERRORS.index(f"## {title}")
    end = ERRORS.find("\n## ", start + 1)
    return ERRORS[start : end if end != -1 else None]


def _first_column_codes(section: str) -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))


def test_every_redemption_refusal_is_reachable_in_the_sandbox() -> None:
    refusals = _first_column_codes(_section("Redemption refusals"))
    assert {"voucher_expired", "participant_revoked", "course_not_on_sale", "not_found"} <= refusals
    sandbox = _first_column_codes(_section("Testing your error handling in the sandbox"))
    assert refusals - sandbox == set()


def test_every_documented_scenario_exists_and_every_scenario_is_documented() -> None:
    scenarios = set(typing.get_args(Scenario))
    sandbox = _first_column_codes(_section("Testing your error handling in the sandbox"))
    documented = {code for code in sandbox if f"| `{code}` | the " in ERRORS or f"| `{code}` | (with" in ERRORS}
    assert documented == scenarios
