"""Partner statements over HTTP: lines from redemptions and clawbacks, closing periods, carry-forward, payment."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from api.services import statements, vouchers
from api.services.audit import Actor
from api.services.clock import wall_clock
from domain.statements import next_period, period_ends_at, period_of
from tests.auth import Credentials
from tests.courses import approved as approved_course
from tests.money import key, redeemed_voucher, sold_voucher

Client = AsyncTestClient[Any]
PROGRAMME = "/v1/programme/statements"


async def fetch(db_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(db_url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


@pytest.fixture
async def course(client: Client, partner_a: Credentials, programme: Credentials) -> dict[str, Any]:
    return await approved_course(client, partner_a, programme)  # type: ignore[no-any-return]


@pytest.fixture
def move_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the wall clock every Clock reads (the programme's and every partner's) to a given instant."""

    def move(to: datetime) -> None:
        monkeypatch.setattr("api.services.clock.wall_clock", lambda: to)

    return move


def after(period: str) -> datetime:
    """An instant in the hour after `period` ended."""
    return period_ends_at(period).astimezone(UTC) + timedelta(minutes=30)


async def flag_fraud(client: Client, programme: Credentials, code: str) -> None:
    response = await client.post(
        f"/v1/programme/vouchers/{code}/flag-fraud", json={"reason": "ghost learner"}, headers=programme.headers
    )
    assert response.status_code in (200, 201), response.text


async def close(client: Client, programme: Credentials, period: str) -> Any:
    return await client.post(f"{PROGRAMME}/{period}/close", headers=programme.headers)


# --- lines ---------------------------------------------------------------------------------------------------------


async def test_a_redemption_is_a_payable_line_on_the_partners_open_statement(
    client: Client, programme: Credentials, partner_a: Credentials, partner_b: Credentials, course: dict[str, Any]
) -> None:
    voucher = await redeemed_voucher(client, programme, partner_a, course["id"])
    period = period_of(wall_clock())
    listed = await client.get("/v1/statements", headers=partner_a.headers)
    assert listed.status_code == 200, listed.text
    [statement] = listed.json()["items"]
    assert statement["period"] == period
    assert (statement["status"], statement["total_payable"], statement["total_clawed_back"]) == ("open", 1_500_000, 0)
    assert (statement["net"], statement["line_count"], statement["closed_at"]) == (1_500_000, 1, None)
    assert (await client.get(f"/v1/statements/{period}", headers=partner_a.headers)).json() == statement
    lines = (await client.get(f"/v1/statements/{period}/lines", headers=partner_a.headers)).json()
    [line] = lines["items"]
    assert (line["kind"], line["voucher_code"], line["course_id"], line["amount"]) == (
        "payable",
        voucher["code"],
        course["id"],
        1_500_000,
    )
    assert lines["next_cursor"] is None
    # Another partner has no such statement, and sees none of A's.
    assert (await client.get(f"/v1/statements/{period}", headers=partner_b.headers)).status_code == 404
    assert (await client.get(f"/v1/statements/{period}/lines", headers=partner_b.headers)).status_code == 404
    assert (await client.get("/v1/statements", headers=partner_b.headers)).json()["items"] == []


async def test_lines_as_csv_by_accept_header_or_suffix(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any]
) -> None:
    voucher = await redeemed_voucher(client, programme, partner_a, course["id"])
    period = period_of(wall_clock())
    by_accept = await client.get(f"/v1/statements/{period}/lines", headers={**partner_a.headers, "Accept": "text/csv"})
    by_suffix = await client.get(f"/v1/statements/{period}/lines.csv", headers=partner_a.headers)
    for response in (by_accept, by_suffix):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [(r["kind"], r["voucher_code"], r["amount"]) for r in rows] == [("payable", voucher["code"], "1500000")]
    assert by_accept.text == by_suffix.text


async def test_line_pages_follow_the_cursor(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any]
) -> None:
    for n in range(3):
        await redeemed_voucher(client, programme, partner_a, course["id"], learner_ref=f"learner-{n}")
    period = period_of(wall_clock())
    url = f"/v1/statements/{period}/lines?limit=2"
    first = (await client.get(url, headers=partner_a.headers)).json()
    second = (await client.get(f"{url}&cursor={first['next_cursor']}", headers=partner_a.headers)).json()
    assert len(first["items"]) == 2
    assert len(second["items"]) == 1
    assert second["next_cursor"] is None
    assert len({line["id"] for line in first["items"] + second["items"]}) == 3


async def test_a_bad_period_is_422(client: Client, partner_a: Credentials, programme: Credentials) -> None:
    for bad in ("2026-13", "26-11", "2026-1"):
        response = await client.get(f"/v1/statements/{bad}", headers=partner_a.headers)
        assert response.status_code == 422, (bad, response.text)
    assert (await close(client, programme, "2026-00")).status_code == 422


async def test_statements_need_the_scope(client: Client, programme: Credentials, partner_a: Credentials) -> None:
    assert (await client.get("/v1/statements", headers=programme.headers)).status_code == 403
    assert (await client.get(PROGRAMME, headers=partner_a.headers)).status_code in (403, 404)


# --- clawbacks -----------------------------------------------------------------------------------------------------


async def test_fraud_after_redemption_adds_a_clawback_and_leaves_the_payable_line(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    """Regression: the fraud flag used to rewrite the original settlement line in place."""
    voucher = await redeemed_voucher(client, programme, partner_a, course["id"])
    before = await fetch(db_url, "SELECT id, kind, amount, created_at FROM statement_lines")
    await flag_fraud(client, programme, voucher["code"])
    rows = await fetch(db_url, "SELECT id, kind, amount, created_at FROM statement_lines ORDER BY id")
    assert rows[0] == before[0]
    assert [(r["kind"], r["amount"]) for r in rows] == [("payable", 1_500_000), ("clawback", -1_500_000)]
    shown = (await client.get(f"/v1/statements/{period_of(wall_clock())}", headers=partner_a.headers)).json()
    assert (shown["total_payable"], shown["total_clawed_back"], shown["net"], shown["line_count"]) == (
        1_500_000,
        1_500_000,
        0,
        2,
    )


async def test_cancel_then_fraud_claws_back_once(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    voucher = await redeemed_voucher(client, programme, partner_a, course["id"])
    cancelled = await client.post(
        f"/v1/programme/vouchers/{voucher['code']}/cancel",
        json={"reason": "schedule cancelled"},
        headers={**programme.headers, **key()},
    )
    assert cancelled.status_code in (200, 201), cancelled.text
    await flag_fraud(client, programme, voucher["code"])
    rows = await fetch(db_url, "SELECT kind, amount FROM statement_lines ORDER BY id")
    assert [(r["kind"], r["amount"]) for r in rows] == [("payable", 1_500_000), ("clawback", -1_500_000)]


async def test_void_of_an_unredeemed_voucher_writes_no_line(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    voucher = await sold_voucher(client, programme, course["id"])
    voided = await client.post(f"/v1/vouchers/{voucher['code']}/void", headers={**partner_a.headers, **key()})
    assert voided.status_code == 200, voided.text
    await flag_fraud(client, programme, voucher["code"])
    assert await fetch(db_url, "SELECT 1 FROM statement_lines") == []


async def test_lines_are_append_only(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    await redeemed_voucher(client, programme, partner_a, course["id"])
    conn = await asyncpg.connect(db_url)
    try:
        for sql in ("UPDATE statement_lines SET amount = 1", "DELETE FROM statement_lines", "TRUNCATE statement_lines"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(sql)
    finally:
        await conn.close()


# --- closing, carry-forward, paying ---------------------------------------------------------------------------------


async def test_a_period_closes_once_and_only_after_it_ended(
    client: Client,
    programme: Credentials,
    partner_a: Credentials,
    partner_b: Credentials,
    db_url: str,
    move_clock: Callable[[datetime], None],
) -> None:
    course_a = await approved_course(client, partner_a, programme)
    course_b = await approved_course(client, partner_b, programme, price=1_000_000)
    await redeemed_voucher(client, programme, partner_a, course_a["id"])
    await redeemed_voucher(client, programme, partner_b, course_b["id"])
    period = period_of(wall_clock())
    early = await close(client, programme, period)
    assert early.status_code == 409, early.text
    assert early.json()["code"] == "invalid_state_transition"
    move_clock(after(period))
    closed = await close(client, programme, period)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["period"] == period
    nets = {s["partner_id"]: (s["status"], s["net"], s["line_count"]) for s in body["statements"]}
    assert nets == {partner_a.partner_id: ("closed", 1_500_000, 1), partner_b.partner_id: ("closed", 1_000_000, 1)}
    again = await close(client, programme, period)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_state_transition")
    events = await fetch(db_url, "SELECT partner_id, data FROM events WHERE type = 'statement.closed' ORDER BY id")
    assert sorted(e["partner_id"] for e in events) == sorted([partner_a.partner_id, partner_b.partner_id])
    assert {json.loads(e["data"])["status"] for e in events} == {"closed"}
    mine = (await client.get(f"/v1/statements/{period}", headers=partner_a.headers)).json()
    assert (mine["status"], mine["net"]) == ("closed", 1_500_000)
    # A closed statement takes no line, whoever tries.
    conn = await asyncpg.connect(db_url)
    try:
        statement_id = body["statements"][0]["id"]
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO statement_lines (statement_id, partner_id, kind, amount) "
                "VALUES ($1, $2, 'carried_forward', 5)",
                statement_id,
                body["statements"][0]["partner_id"],
            )
    finally:
        await conn.close()


async def test_a_clawback_after_close_lands_on_the_next_statement_and_a_negative_net_carries_forward(
    client: Client,
    programme: Credentials,
    partner_a: Credentials,
    course: dict[str, Any],
    move_clock: Callable[[datetime], None],
) -> None:
    voucher = await redeemed_voucher(client, programme, partner_a, course["id"])
    first = period_of(wall_clock())
    second, third = next_period(first), next_period(next_period(first))
    move_clock(after(first))
    assert (await close(client, programme, first)).status_code == 200
    await flag_fraud(client, programme, voucher["code"])
    move_clock(after(second))
    closed = (await close(client, programme, second)).json()
    [owed] = closed["statements"]
    assert (owed["total_payable"], owed["total_clawed_back"], owed["total_carried_forward"], owed["net"]) == (
        0,
        -0 + 1_500_000,
        1_500_000,
        0,
    )
    listed = (await client.get("/v1/statements", headers=partner_a.headers)).json()["items"]
    assert [(s["period"], s["status"], s["net"]) for s in listed] == [
        (first, "closed", 1_500_000),
        (second, "closed", 0),
        (third, "open", -1_500_000),
    ]
    lines = (await client.get(f"/v1/statements/{third}/lines", headers=partner_a.headers)).json()["items"]
    assert [(line["kind"], line["amount"], line["voucher_code"]) for line in lines] == [
        ("carried_forward", -1_500_000, None)
    ]
    # Over all statements, payable - clawed back = 0 (the only redeemed voucher turned out fraudulent).
    assert sum(s["net"] for s in listed) == 0


async def test_mark_paid_is_idempotent_by_reference_and_payouts_list_the_unpaid(
    client: Client,
    programme: Credentials,
    partner_a: Credentials,
    course: dict[str, Any],
    move_clock: Callable[[datetime], None],
) -> None:
    account = {"bank_name": "Bank Contoh", "account_number": "1234567890", "account_name": "=PT Belajar"}
    set_account = await client.put(
        f"/v1/programme/partners/{partner_a.partner_id}/bank-account", json=account, headers=programme.headers
    )
    assert set_account.status_code == 200, set_account.text
    await redeemed_voucher(client, programme, partner_a, course["id"])
    period = period_of(wall_clock())
    [open_statement] = (await client.get(PROGRAMME, headers=programme.headers)).json()["items"]
    url = f"{PROGRAMME}/{open_statement['id']}/mark-paid"
    too_soon = await client.post(url, json={"reference": "TRF-1"}, headers=programme.headers)
    assert (too_soon.status_code, too_soon.json()["code"]) == (409, "invalid_state_transition")
    move_clock(after(period))
    await close(client, programme, period)
    payouts = await client.get(f"{PROGRAMME}/payouts.csv?period={period}", headers=programme.headers)
    assert payouts.status_code == 200, payouts.text
    rows = list(csv.DictReader(io.StringIO(payouts.text)))
    assert [(r["partner_id"], r["bank_account_number"], r["bank_account_name"], r["amount"]) for r in rows] == [
        (partner_a.partner_id, "1234567890", "'=PT Belajar", "1500000")
    ]
    paid = await client.post(url, json={"reference": "TRF-1"}, headers=programme.headers)
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["payment_reference"]) == ("paid", "TRF-1")
    same = await client.post(url, json={"reference": "TRF-1"}, headers=programme.headers)
    assert (same.status_code, same.json()) == (200, paid.json())
    other = await client.post(url, json={"reference": "TRF-2"}, headers=programme.headers)
    assert (other.status_code, other.json()["code"]) == (409, "invalid_state_transition")
    payouts = await client.get(f"{PROGRAMME}/payouts.csv", headers=programme.headers)
    assert list(csv.DictReader(io.StringIO(payouts.text))) == []
    filtered = await client.get(f"{PROGRAMME}?status=paid&partner_id={partner_a.partner_id}", headers=programme.headers)
    assert [s["id"] for s in filtered.json()["items"]] == [open_statement["id"]]
    unknown = await client.post(f"{PROGRAMME}/stm_nope/mark-paid", json={"reference": "X"}, headers=programme.headers)
    assert unknown.status_code == 404


async def test_a_close_waits_for_redemptions_in_flight_and_freezes_what_it_saw(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    """Concurrent redemptions and a close on separate connections: every redemption succeeds, the close waits for
    those in flight, every line lands on an open statement, and each closed statement's frozen totals equal its
    lines."""
    sold = [await sold_voucher(client, programme, course["id"]) for _ in range(12)]
    now = wall_clock()
    period = period_of(now)
    actor = Actor.system("test")

    # The first redemption opens the month's statement and keeps its transaction open until the close is either
    # waiting for a lock or done: a close that did not wait for it would miss the statement and leave it open in a
    # closed month.
    redeemed_first, close_started, close_done = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def close_is_waiting_or_done(conn: asyncpg.Connection) -> bool:
        waiting = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return close_done.is_set() or waiting > 0

    async def redeem(n: int, code: str) -> None:
        if n > 0:
            await redeemed_first.wait()
        conn = await asyncpg.connect(db_url)
        try:
            async with conn.transaction():
                await vouchers.redeem(conn, actor, partner_a.partner_id or "", code, f"learner-{n}", now)  # type: ignore[arg-type]
                if n == 0:
                    redeemed_first.set()
                    await close_started.wait()
                    for _ in range(400):  # a bound, not a timing assumption: normally a few rounds
                        if await close_is_waiting_or_done(conn):
                            break
                        await asyncio.sleep(0.025)
        finally:
            await conn.close()

    async def close_period() -> None:
        await redeemed_first.wait()
        conn = await asyncpg.connect(db_url)
        try:
            close_started.set()
            async with conn.transaction():
                await statements.close_period(conn, actor, period, after(period))  # type: ignore[arg-type]
        finally:
            close_done.set()
            await conn.close()

    await asyncio.gather(close_period(), *(redeem(n, v["code"]) for n, v in enumerate(sold)))
    rows = await fetch(
        db_url,
        """SELECT s.period, s.status, s.net, s.line_count, coalesce(sum(l.amount), 0) AS lines_sum, count(l.id) AS n
             FROM statements s LEFT JOIN statement_lines l ON l.statement_id = s.id
            GROUP BY s.id ORDER BY s.period""",
    )
    assert sum(r["n"] for r in rows) == 12
    for row in rows:
        if row["status"] == "closed":
            assert (row["net"], row["line_count"]) == (row["lines_sum"], row["n"])
    # The redemption in flight when the close began is on the closed statement; the others on it or the next month's.
    assert (rows[0]["period"], rows[0]["status"]) == (period, "closed")
    assert rows[0]["n"] >= 1
    assert all(r["period"] in (period, next_period(period)) for r in rows)
