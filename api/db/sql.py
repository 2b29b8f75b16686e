"""Composing the SQL constants of the service modules."""

from __future__ import annotations

import re

_PARAMETER = re.compile(r"\$(\d+)")
_WITH = re.compile(r"^WITH\s+", re.IGNORECASE)


def together(*statements: str) -> str:
    """One statement that runs each of `statements` (writes whose results nobody reads), in one round trip.

    The statements become data-modifying CTEs of the last one, with their `$n` parameters renumbered in order:
    pass the arguments of the first statement, then those of the second, and so on. They run on one snapshot, so
    none may read what another writes, and no two may change the same row. The last one may have a `WITH` of its
    own (its CTEs follow the others'); it alone returns rows, and if any statement fails, none has any effect.
    """
    parts, offset = [], 0
    for statement in statements:
        parts.append(_shifted(statement.strip(), offset))
        offset += max((int(n) for n in _PARAMETER.findall(statement)), default=0)
    *writes, last = parts
    if not writes:
        return last
    ctes = ",\n".join(f"w{n} AS ({write})" for n, write in enumerate(writes, 1))
    if _WITH.match(last):
        return f"WITH {ctes},\n{_WITH.sub('', last, count=1)}"
    return f"WITH {ctes}\n{last}"


def _shifted(statement: str, offset: int) -> str:
    return _PARAMETER.sub(lambda m: f"${int(m.group(1)) + offset}", statement)
