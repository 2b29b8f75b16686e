"""The shape of one operation's examples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Example:
    """An operation's success example: the JSON request body (None when it takes none) and the response body of
    its success status (None for an empty answer), with a one-line summary shown by the docs UI."""

    summary: str
    request: Any = None
    response: Any = None
