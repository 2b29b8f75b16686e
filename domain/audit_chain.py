"""The audit trail's hash chain: each sealed row's hash covers its content and the hash of the row sealed before it.

Rows are sealed in the order the sealer meets them (`audit_seals.seq`), not in id order: a transaction that commits
late is sealed in a later batch, so writers never wait for the sealer or for each other. Altering a sealed row's
content changes the hash recomputed for it, and the chain breaks there; altering a seal breaks the next link unless
every later seal is rewritten too, which publishing the head hash (the verification answers it) makes visible.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = bytes(32)
"""The `previous_hash` of the first seal."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """An audit row as it is hashed: `before` and `after` as the JSON text PostgreSQL stores (jsonb is normalised)."""

    id: int
    at: datetime
    actor_type: str
    actor_id: str | None
    partner_id: str | None
    action: str
    entity_type: str
    entity_id: str
    before: str | None
    after: str | None
    request_id: str | None


def canonical(record: AuditRecord) -> bytes:
    """The bytes a row's hash covers: every column, in a fixed order, the time in UTC with microseconds."""
    fields = [
        record.id,
        record.at.astimezone(UTC).isoformat(timespec="microseconds"),
        record.actor_type,
        record.actor_id,
        record.partner_id,
        record.action,
        record.entity_type,
        record.entity_id,
        record.before,
        record.after,
        record.request_id,
    ]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def link(previous_hash: bytes, record: AuditRecord) -> bytes:
    """SHA-256 of the previous hash followed by the row's canonical bytes."""
    return hashlib.sha256(previous_hash + canonical(record)).digest()


def seal(previous_hash: bytes, records: Iterable[AuditRecord]) -> list[tuple[int, bytes, bytes]]:
    """(audit id, previous hash, hash) for each record, chained from `previous_hash` in the order given."""
    sealed = []
    for record in records:
        digest = link(previous_hash, record)
        sealed.append((record.id, previous_hash, digest))
        previous_hash = digest
    return sealed


@dataclass(frozen=True, slots=True)
class SealedRecord:
    audit_id: int
    record: AuditRecord | None
    """The row as it is now; None when it no longer exists."""
    previous_hash: bytes
    hash: bytes


@dataclass
class ChainCheck:
    """A verification in progress: feed it the seals in order; it remembers the first broken link."""

    expected_previous: bytes = GENESIS
    checked: int = 0
    first_invalid_id: int | None = None

    def feed(self, sealed: SealedRecord) -> None:
        self.checked += 1
        if self.first_invalid_id is None:
            intact = (
                sealed.record is not None
                and sealed.record.id == sealed.audit_id
                and sealed.previous_hash == self.expected_previous
                and link(sealed.previous_hash, sealed.record) == sealed.hash
            )
            if not intact:
                self.first_invalid_id = sealed.audit_id
        self.expected_previous = sealed.hash

    @property
    def valid(self) -> bool:
        return self.first_invalid_id is None

    @property
    def head_hash(self) -> str:
        return self.expected_previous.hex()
