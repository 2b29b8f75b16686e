"""The portal's money and audit pages in headless Chromium: finance closes and pays, the auditor reads and verifies.

Each workflow is checked afterwards through the API, as the partner or the programme sees it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import secrets
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from playwright.async_api import Page, expect

from api.services import audit
from api.services.clock import wall_clock
from api.settings import Settings
from domain.statements import period_ends_at, period_of
from tests.portal_support import ApiCaller, check_page, log_in, new_staff, onboard, sold_voucher, submitted_course


def redeemed_voucher(programme: ApiCaller, partner: ApiCaller, title: str) -> str:
    """A voucher of an approved course of `partner`, sold and redeemed now: a payable line on its statement."""
    course = submitted_course(partner, title)
    assert programme.call("POST", f"/v1/programme/courses/{course}/approve").status_code == 200
    _, code = sold_voucher(programme, course)
    redeemed = partner.call(
        "POST", f"/v1/vouchers/{code}/redeem", {"learner_ref": "learner-1"}, {"Idempotency-Key": secrets.token_hex(8)}
    )
    assert redeemed.status_code == 201, redeemed.text
    return code


def after(period: str) -> datetime:
    """An instant in the hour after `period` ended (Asia/Jakarta)."""
    return period_ends_at(period).astimezone(UTC) + timedelta(minutes=30)


async def seal_audit_rows(db_url: str) -> None:
    """What the worker does: seal the committed audit rows onto the hash chain."""
    conn = await asyncpg.connect(db_url)
    try:
        async with conn.transaction():
            assert await audit.seal_batch(conn, 10_000) > 0
    finally:
        await conn.close()


async def test_finance_closes_an_ended_period_and_marks_a_statement_paid(
    page: Page, portal_url: str, programme_api: ApiCaller, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = onboard(programme_api, "Mitra Keuangan")
    redeemed_voucher(programme_api, partner, "Akuntansi Dasar")
    account = {"bank_name": "Bank Contoh", "account_number": "1234567890", "account_name": "PT Mitra Keuangan"}
    put = programme_api.call("PUT", f"/v1/programme/partners/{partner.partner_id}/bank-account", account)
    assert put.status_code == 200, put.text
    period = period_of(wall_clock())
    finance = await new_staff(settings, "finance")
    await log_in(page, portal_url, finance)

    await page.get_by_role("link", name="Keuangan").click()
    await page.get_by_label("ID mitra").fill(str(partner.partner_id))
    await page.get_by_role("button", name="Saring").click()
    row = page.locator("tr[data-statement-id]")
    await expect(row).to_have_count(1)
    await expect(row.get_by_test_id("statement-status")).to_have_attribute("data-status", "open")
    assert await row.get_by_test_id("mark-paid").count() == 0  # an open statement cannot be paid
    await check_page(page, "finance-statements")

    # The month ends on the programme's clock; finance reviews the closing, then confirms it.
    monkeypatch.setattr("api.services.clock.wall_clock", lambda: after(period))
    await page.get_by_label("Periode yang ditutup").fill(period)
    await page.get_by_test_id("close-review").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Tutup periode {period}")
    await expect(page.get_by_role("table")).to_contain_text(str(partner.partner_id))
    await check_page(page, "finance-close-confirm")
    await page.get_by_test_id("close-confirm").click()
    await expect(page.get_by_test_id("done")).to_have_text("Periode ditutup.")
    await expect(row.get_by_test_id("statement-status")).to_have_attribute("data-status", "closed")

    # The disbursement file, downloaded through the portal, lists the closed, unpaid statement.
    await page.get_by_label("Periode berkas").fill(period)
    async with page.expect_download() as started:
        await page.get_by_test_id("payouts").click()
    download = await started.value
    assert download.suggested_filename == f"payouts-{period}.csv"
    saved = await asyncio.to_thread((await download.path()).read_text, encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(saved)))
    assert [(r["partner_id"], r["bank_account_number"], r["amount"]) for r in rows] == [
        (partner.partner_id, "1234567890", "1500000")
    ]

    await row.get_by_label("Referensi transfer").fill("TRF-2026-0042")
    await row.get_by_test_id("mark-paid").click()
    await expect(page.get_by_test_id("done")).to_have_text("Pembayaran tercatat.")
    await expect(row.get_by_test_id("statement-status")).to_have_attribute("data-status", "paid")
    await expect(row).to_contain_text("TRF-2026-0042")
    await check_page(page, "finance-paid")

    mine = partner.call("GET", f"/v1/statements/{period}")
    assert mine.status_code == 200, mine.text
    assert (mine.json()["status"], mine.json()["payment_reference"]) == ("paid", "TRF-2026-0042")


async def test_finance_filters_say_what_is_wrong_and_pages_follow_the_cursor(
    page: Page, portal_url: str, programme_api: ApiCaller, settings: Settings
) -> None:
    first = onboard(programme_api, "Mitra Halaman")
    redeemed_voucher(programme_api, first, "Statistika Dasar")
    second = onboard(programme_api, "Mitra Halaman Dua")
    redeemed_voucher(programme_api, second, "Statistika Lanjut")
    finance = await new_staff(settings, "finance")
    await log_in(page, portal_url, finance)
    await page.goto(f"{portal_url}/finance?period=2026-13")
    await expect(page.get_by_role("alert")).to_contain_text("TTTT-BB")

    # One statement a page: the portal follows the API's cursor, keeping the filters.
    await page.goto(f"{portal_url}/finance?status=open&limit=1")
    rows = page.locator("tr[data-statement-id]")
    await expect(rows).to_have_count(1)
    on_first_page = await rows.get_attribute("data-statement-id")
    await page.get_by_role("link", name="Halaman berikutnya").click()
    await expect(rows).to_have_count(1)
    assert await rows.get_attribute("data-statement-id") != on_first_page
    assert "status=open" in page.url
    await expect(page.get_by_role("link", name="Halaman berikutnya")).to_have_count(0)


async def test_an_auditor_searches_the_trail_and_verifies_the_chain_but_cannot_touch_money(
    page: Page, portal_url: str, programme_api: ApiCaller, settings: Settings, db_url: str
) -> None:
    partner = onboard(programme_api, "Mitra Jejak")
    course = submitted_course(partner, "Kursus Jejak Audit")
    assert programme_api.call("POST", f"/v1/programme/courses/{course}/approve").status_code == 200
    await seal_audit_rows(db_url)
    auditor = await new_staff(settings, "auditor")
    await log_in(page, portal_url, auditor)

    await page.get_by_role("link", name="Jejak audit").click()
    await page.get_by_label("Jenis objek").fill("course")
    await page.get_by_label("ID objek").fill(course)
    await page.get_by_role("button", name="Cari").click()
    entries = page.get_by_test_id("audit-entries")
    await expect(entries).to_contain_text("course.approve")
    await expect(entries).to_contain_text("course.submit")
    await check_page(page, "audit-trail")
    # Newest first, one entry a page through the API's cursor: the approval, then the submission.
    await page.goto(f"{portal_url}/audit?entity_id={course}&limit=1")
    await expect(entries.locator("tbody tr")).to_have_count(1)
    await expect(entries).to_contain_text("course.approve")
    await page.get_by_role("link", name="Halaman berikutnya").click()
    await expect(entries).to_contain_text("course.submit")
    await expect(entries).not_to_contain_text("course.approve")

    await page.get_by_test_id("verify").click()
    await expect(page.get_by_test_id("chain-valid")).to_be_visible()
    assert int(await page.get_by_test_id("chain-checked").inner_text()) > 0
    await check_page(page, "audit-verification")

    # No money buttons for an auditor: no finance link, the finance page is refused.
    assert await page.get_by_role("link", name="Keuangan").count() == 0
    assert await page.get_by_test_id("close-confirm").count() == 0
    assert await page.get_by_test_id("mark-paid").count() == 0
    response = await page.goto(f"{portal_url}/finance")
    assert response is not None
    assert response.status == 403

    # A forged close and a forged payment, with a valid CSRF token, are refused by the API itself.
    await page.goto(f"{portal_url}/audit")
    csrf = await page.locator("input[name=_csrf_token]").first.get_attribute("value")
    assert csrf
    ended = period_of(wall_clock() - timedelta(days=40))
    forged = await page.request.post(f"{portal_url}/finance/close", form={"_csrf_token": csrf, "period": ended})
    assert forged.status == 403
    assert "insufficient_scope" in await forged.text()
    paid = await page.request.post(
        f"{portal_url}/finance/statements/stm_any/mark-paid", form={"_csrf_token": csrf, "reference": "TRF-X"}
    )
    assert paid.status == 403
    assert "insufficient_scope" in await paid.text()
    # The forged close did nothing: the programme can still close that period once.
    closed = programme_api.call("POST", f"/v1/programme/statements/{ended}/close")
    assert closed.status_code == 200, closed.text


async def test_an_auditor_reads_the_summary_report_in_both_languages(
    page: Page, portal_url: str, programme_api: ApiCaller, settings: Settings
) -> None:
    partner = onboard(programme_api, "Mitra Laporan")
    redeemed_voucher(programme_api, partner, "Laporan Keuangan UMKM")
    auditor = await new_staff(settings, "auditor")
    await log_in(page, portal_url, auditor)
    await page.get_by_test_id("report-link").click()
    today = datetime.now(UTC).astimezone(period_ends_at("2026-01").tzinfo).date()
    await page.get_by_label("Dari tanggal").fill((today - timedelta(days=1)).isoformat())
    await page.get_by_label("Sampai tanggal").fill(today.isoformat())
    await page.get_by_role("button", name="Tampilkan").click()
    report = page.get_by_test_id("report")
    sold = report.locator("tr[data-figure=sold]")
    await expect(sold.locator("td").last).to_have_text("1 · Rp 1.500.000")
    await expect(report.locator("tr[data-figure=redeemed] td").last).to_have_text("1 · Rp 1.500.000")
    await expect(report.get_by_role("columnheader", name="Semua skema")).to_be_visible()
    await check_page(page, "report-summary")

    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Summary report")
    await expect(page.get_by_role("columnheader", name="All schemes")).to_be_visible()
    await check_page(page, "report-summary-en")

    await page.goto(f"{portal_url}/reports/summary?from=2026-02-10&to=2026-02-01")
    await expect(page.get_by_role("alert")).to_contain_text("not valid")


async def test_a_curator_cannot_reach_the_money_and_audit_pages(
    page: Page, portal_url: str, settings: Settings
) -> None:
    curator = await new_staff(settings, "curator")
    await log_in(page, portal_url, curator)
    for path in ("/finance", "/finance/close?period=2026-01", "/finance/payouts.csv", "/audit", "/reports/summary"):
        response = await page.goto(f"{portal_url}{path}")
        assert response is not None
        assert response.status == 403, path
        await expect(page.get_by_role("alert")).to_contain_text("Peran Anda tidak mengizinkan")
    await check_page(page, "finance-forbidden")
