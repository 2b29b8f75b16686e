"""Opaque public identifiers: a short type prefix and 80 random bits (`prt_3f9a0c…`)."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    """A new identifier such as `prt_1a2b3c4d5e6f7a8b9c0d`; unguessable, so ids leak nothing."""
    return f"{prefix}_{secrets.token_hex(10)}"
