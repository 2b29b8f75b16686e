"""The audit hash chain (domain/audit_chain.py): sealing links each row to the one before; verification finds the
first row whose content or link changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from domain.audit_chain import GENESIS, AuditRecord, ChainCheck, SealedRecord, canonical, link, seal


def record(n: int, after: str | None = '{"status": "sold"}') -> AuditRecord:
    return AuditRecord(
        id=n,
        at=datetime(2026, 11, 28, 9, 0, n, tzinfo=UTC),
        actor_type="programme_client",
        actor_id="cli_1",
        partner_id=None,
        action="voucher.sold",
        entity_type="voucher",
        entity_id=f"CODE-{n}",
        before=None,
        after=after,
        request_id="req-1",
    )


def verify(sealed: list[SealedRecord]) -> ChainCheck:
    check = ChainCheck()
    for item in sealed:
        check.feed(item)
    return check


def chain_of(records: list[AuditRecord]) -> list[SealedRecord]:
    by_id = {r.id: r for r in records}
    return [SealedRecord(i, by_id[i], previous, digest) for i, previous, digest in seal(GENESIS, records)]


def test_the_same_instant_in_another_offset_hashes_the_same() -> None:
    shifted = replace(record(1), at=record(1).at.astimezone(timezone(timedelta(hours=7))))
    assert canonical(shifted) == canonical(record(1))


def test_each_link_covers_the_previous_hash() -> None:
    first, second = record(1), record(2)
    assert link(GENESIS, second) != link(link(GENESIS, first), second)


def test_an_untouched_chain_verifies() -> None:
    check = verify(chain_of([record(n) for n in range(1, 6)]))
    assert (check.valid, check.checked, check.first_invalid_id) == (True, 5, None)
    assert check.head_hash != GENESIS.hex()


def test_an_altered_row_is_named() -> None:
    sealed = chain_of([record(n) for n in range(1, 6)])
    sealed[2] = replace(sealed[2], record=replace(sealed[2].record, after='{"status": "redeemed"}'))
    check = verify(sealed)
    assert (check.valid, check.checked, check.first_invalid_id) == (False, 5, 3)


def test_a_rewritten_seal_breaks_the_next_link() -> None:
    sealed = chain_of([record(n) for n in range(1, 4)])
    forged = replace(sealed[1].record, after=None)
    sealed[1] = SealedRecord(2, forged, sealed[1].previous_hash, link(sealed[1].previous_hash, forged))
    assert verify(sealed).first_invalid_id == 3


def test_a_removed_seal_breaks_the_chain() -> None:
    sealed = chain_of([record(n) for n in range(1, 4)])
    del sealed[1]
    assert verify(sealed).first_invalid_id == 3


def test_a_deleted_row_is_named() -> None:
    sealed = chain_of([record(n) for n in range(1, 4)])
    sealed[1] = replace(sealed[1], record=None)
    assert verify(sealed).first_invalid_id == 2
