"""The portal end to end in headless Chromium: each staff workflow, checked through the API afterwards."""

from __future__ import annotations

import secrets

from playwright.async_api import Page, expect

from api.settings import Settings
from tests.portal_support import (
    ApiCaller,
    check_page,
    log_in,
    new_staff,
    onboard,
    sold_voucher,
    submitted_course,
)


async def test_login_page_is_indonesian_and_accessible(page: Page, portal_url: str) -> None:
    await page.goto(f"{portal_url}/login")
    assert await page.locator("html").get_attribute("lang") == "id"
    assert await page.get_by_role("heading", level=1).inner_text() == "Masuk"
    await check_page(page, "login")


async def test_curator_approves_one_course_and_rejects_another(
    page: Page, portal_url: str, programme_api: ApiCaller, settings: Settings
) -> None:
    partner = onboard(programme_api, "Mitra Belajar")
    good = submitted_course(partner, "Analisis Data dengan Spreadsheet")
    weak = submitted_course(partner, "Kursus Tanpa Materi")
    curator = await new_staff(settings, "curator")
    await log_in(page, portal_url, curator)
    assert "Kurator" in await page.get_by_test_id("role").inner_text()
    assert curator.email in await page.get_by_test_id("who").inner_text()
    await expect(page.get_by_test_id("today")).to_contain_text("voucher terjual")
    await check_page(page, "dashboard-curator")

    await page.goto(f"{portal_url}/curation")
    await check_page(page, "curation-queue")
    await page.get_by_role("link", name="Analisis Data dengan Spreadsheet").click()
    await expect(page.get_by_role("heading", name="Riwayat kurasi")).to_be_visible()
    await check_page(page, "course-under-review")
    await page.goto(f"{portal_url}/curation")
    await page.locator(f"article[data-course-id='{good}']").get_by_test_id("approve").click()
    await page.wait_for_url(f"{portal_url}/curation?done=approved")
    rejected_card = page.locator(f"article[data-course-id='{weak}']")
    await rejected_card.get_by_label("Alasan penolakan").fill("Materi modul belum lengkap\nHarga tidak sesuai jam")
    await rejected_card.get_by_test_id("reject").click()
    await page.wait_for_url(f"{portal_url}/curation?done=rejected")
    assert await page.locator("article[data-course-id]").count() == 0

    approved = partner.call("GET", f"/v1/courses/{good}").json()
    assert approved["status"] == "approved"
    refused = partner.call("GET", f"/v1/courses/{weak}").json()
    assert refused["status"] == "rejected"
    assert refused["rejection_reasons"] == ["Materi modul belum lengkap", "Harga tidak sesuai jam"]


async def test_partner_manager_issues_a_client_whose_secret_works(
    page: Page, portal_url: str, programme_api: ApiCaller, settings: Settings
) -> None:
    partner = onboard(programme_api, "Lembaga Kursus Nusantara")
    manager = await new_staff(settings, "partner_manager")
    await log_in(page, portal_url, manager)
    await page.goto(f"{portal_url}/partners")
    await check_page(page, "partners")
    await page.get_by_role("link", name="Lembaga Kursus Nusantara").click()
    await check_page(page, "partner")
    await page.get_by_label("Nama klien").fill("Integrasi kedua")
    await page.get_by_role("button", name="Terbitkan klien").click()
    client_id = await page.get_by_test_id("client-id").inner_text()
    secret = await page.get_by_test_id("client-secret").inner_text()
    await check_page(page, "client-secret-once")

    # The secret shown once works at /oauth/token (ApiCaller.token asserts the 200) and names this partner.
    issued = ApiCaller(programme_api.url, client_id, secret)
    me = issued.call("GET", "/v1/me")
    assert me.json()["partner_id"] == partner.partner_id

    # Suspending the partner from the portal stops its clients getting tokens.
    await page.get_by_role("link", name="Kembali ke mitra").click()
    await page.get_by_role("button", name="Tangguhkan mitra").click()
    await expect(page.get_by_role("button", name="Pulihkan mitra")).to_be_visible()
    assert issued.token_status() == 401


async def test_support_finds_and_freezes_a_participant_and_redemption_is_refused(
    page: Page, portal_url: str, programme_api: ApiCaller, settings: Settings
) -> None:
    partner = onboard(programme_api, "Platform Cerdas")
    course = submitted_course(partner, "Desain Grafis Dasar")
    assert programme_api.call("POST", f"/v1/programme/courses/{course}/approve").status_code == 200
    person, code = sold_voucher(programme_api, course)
    support = await new_staff(settings, "support")
    await log_in(page, portal_url, support)

    await page.goto(f"{portal_url}/participants")
    await page.get_by_label("Nomor Prakerja, nama, atau surel").fill(person["programme_number"])
    await page.get_by_role("button", name="Cari").click()
    await check_page(page, "participant-search")
    await page.get_by_role("link", name=person["programme_number"]).click()
    await check_page(page, "participant")
    await page.get_by_label("Alasan", exact=True).fill("Laporan penyalahgunaan akun")
    await page.get_by_test_id("freeze").click()
    await expect(page.get_by_test_id("participant-status")).to_have_text("frozen")

    await page.goto(f"{portal_url}/vouchers?code={code}")
    await expect(page.get_by_role("table", name="Riwayat")).to_contain_text("voucher.")
    await check_page(page, "voucher")

    redeemed = partner.call(
        "POST", f"/v1/vouchers/{code}/redeem", {"learner_ref": "learner-1"}, {"Idempotency-Key": secrets.token_hex(8)}
    )
    assert redeemed.status_code == 409, redeemed.text
    assert redeemed.json()["code"] == "participant_frozen"


async def test_an_auditor_has_no_approve_button_and_the_api_refuses_a_forged_post(
    page: Page, portal_url: str, programme_api: ApiCaller, settings: Settings
) -> None:
    partner = onboard(programme_api, "Mitra Audit")
    course = submitted_course(partner, "Kursus Menunggu")
    auditor = await new_staff(settings, "auditor")
    await log_in(page, portal_url, auditor)
    await page.goto(f"{portal_url}/curation")
    await expect(page.get_by_test_id("read-only")).to_be_visible()
    # The auditor's own page: the audit trail (a placeholder until the API serves it).
    assert await page.get_by_role("link", name="Jejak audit").count() == 1
    assert await page.get_by_test_id("approve").count() == 0
    await check_page(page, "curation-auditor")
    await page.goto(f"{portal_url}/audit")
    await check_page(page, "audit")
    await page.goto(f"{portal_url}/curation")

    csrf = await page.locator("input[name=_csrf_token]").first.get_attribute("value")
    assert csrf
    forged = await page.request.post(f"{portal_url}/curation/{course}/approve", form={"_csrf_token": csrf})
    assert forged.status == 403
    assert "insufficient_scope" in await forged.text()
    queue = programme_api.call("GET", "/v1/programme/courses?status=submitted").json()["items"]
    assert course in [c["id"] for c in queue]


async def test_english_is_available(page: Page, portal_url: str, settings: Settings) -> None:
    finance = await new_staff(settings, "finance")
    await log_in(page, portal_url, finance)
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    await page.goto(f"{portal_url}/finance")
    await check_page(page, "finance")


async def test_support_follows_a_participants_training(
    page: Page, portal_url: str, programme_api: ApiCaller, settings: Settings
) -> None:
    partner = onboard(programme_api, "Platform Pelatihan")
    course = submitted_course(partner, "Bahasa Inggris Kerja")
    assert programme_api.call("POST", f"/v1/programme/courses/{course}/approve").status_code == 200
    person, code = sold_voucher(programme_api, course)
    redeemed = partner.call(
        "POST", f"/v1/vouchers/{code}/redeem", {"learner_ref": "learner-7"}, {"Idempotency-Key": secrets.token_hex(8)}
    )
    assert redeemed.status_code == 201, redeemed.text
    support = await new_staff(settings, "support")
    await log_in(page, portal_url, support)
    await page.goto(f"{portal_url}/participants/{person['id']}")
    await page.get_by_role("link", name="active").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(redeemed.json()["id"])
    await check_page(page, "enrollment")
