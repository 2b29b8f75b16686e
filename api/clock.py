"""The time rules run on. Production reads the wall clock; a sandbox partner's requests read its test clock."""

from __future__ import annotations

from datetime import UTC, datetime


def wall_clock() -> datetime:
    """Now, in UTC: the one place outside tests that reads the system clock for rules."""
    return datetime.now(UTC)
