"""Examples for the programme's operations (`/v1/programme/*`): what the portal and the programme's staff send and see.

One story runs through them, in production, in November 2026 (times in UTC, `Z`, as the API writes them; a
statement period's bounds in Jakarta time, `+07:00`):
- two partners: Sekolah Digital Nusantara, a platform, and LPK Cendekia Mandiri, a training provider;
- two courses: "Pemasaran Digital untuk UMKM" (self-paced, approved, Rp 1,500,000) and "Dasar-Dasar Akuntansi
  Keuangan" (a webinar under review, Rp 1,000,000);
- participants of the 2024 scheme (Rp 3,500,000 of training balance, a Rp 600,000 incentive paid once, two
  Rp 50,000 survey incentives): Rina Wulandari, who bought and started the marketing course, and Budi Santoso,
  who finished a course, was reviewed and is being paid his incentive through GoPay.

The programme sees a participant's name, e-mail and phone in full (its own participants); a voucher or an
enrollment, which partners see too, carries only the masked name ("Rina W."). A NIK goes in (enrolment, an
obviously made-up one here) and never comes out. Voucher codes are real production codes (their check symbol
holds), ids carry their real prefixes, amounts are whole rupiah.
"""

from __future__ import annotations

from typing import Any

from api.http.examples.model import Example
from domain.clients import PROGRAMME_SCOPES, Environment, default_scopes

# --- the cast -------------------------------------------------------------------------------------------------

PLATFORM_ID = "prt_d4cb3367b909f646c689"
PROVIDER_ID = "prt_948c8b1b5dcb969c4143"
CLIENT_ID = "cli_356d6256aca96ea8de15"
PORTAL_CLIENT_ID = "cli_3a4def59ca2f4a62a5fc"
DASHBOARD_CLIENT_ID = "cli_9e41d07a6b2c5f83a1d4"
STAFF_ID = "stf_34e1298238cb93b486c9"
MARKETING_COURSE_ID = "crs_fb2b5a374aff7d152652"
ACCOUNTING_COURSE_ID = "crs_75e8093b50fbf661246a"
ACCOUNTING_SCHEDULE_ID = "sch_27ca22cc0d221e8d0ea1"
RINA_ID = "par_fdae1659a3c1577e8177"
BUDI_ID = "par_0016b6352c9952963145"
SITI_ID = "par_7c1e4b09d2a85f36e410"
DEWI_ID = "par_2f8e6a1c07b94d35e0a2"
AGUS_ID = "par_5e0a3b7d91c4f26e8a13"
YUSUF_ID = "par_b81d5e2f04a97c36d0e5"
RINA_ENROLLMENT_ID = "enr_2404e54758f72e5e0974"
BUDI_ENROLLMENT_ID = "enr_016841a472fc1d37d989"
SITI_ENROLLMENT_ID = "enr_9b3f0d6e21c47a85d2e1"
YUSUF_ENROLLMENT_ID = "enr_c4a19f7e3b2d60581e9a"
RINA_VOUCHER = "9WGG-RWVM-T2YQ"
BUDI_VOUCHER = "P2VN-YYNP-QS2X"
SITI_VOUCHER = "92A2-MQ1C-JP18"
CANCELLED_VOUCHER = "N8FH-3NGX-4AFS"
FRAUD_VOUCHER = "C5MF-FZQT-JMST"
BATCH_ID = "dsb_40586818b17feb9f902f"
BUDI_TRANSFER_ID = "itr_cd681ebc023ecaff5fd0"
YUSUF_TRANSFER_ID = "itr_3dd907c12bafc04bd1c5"
OPEN_BATCH_ID = "dsb_7f2c90e4a1b6d3584c0e"
PLATFORM_STATEMENT_ID = "stm_68a0fe8cd4237c577988"
PROVIDER_STATEMENT_ID = "stm_dd86b9c6394a2e68dd82"

PRODUCTION_PARTNER_SCOPES = list(default_scopes(for_partner=True, environment=Environment.PRODUCTION))

# --- partners and their clients -------------------------------------------------------------------------------

PLATFORM: dict[str, Any] = {
    "id": PLATFORM_ID,
    "name": "Sekolah Digital Nusantara",
    "kind": "platform",
    "contact_email": "kemitraan@sekolahdigital.example",
    "status": "active",
    "created_at": "2026-10-05T02:14:09Z",
    "updated_at": "2026-10-05T02:14:09Z",
}
PROVIDER: dict[str, Any] = {
    "id": PROVIDER_ID,
    "name": "LPK Cendekia Mandiri",
    "kind": "provider",
    "contact_email": "admin@cendekiamandiri.example",
    "status": "active",
    "created_at": "2026-10-12T03:40:51Z",
    "updated_at": "2026-10-12T03:40:51Z",
}
CLIENT: dict[str, Any] = {
    "client_id": CLIENT_ID,
    "partner_id": PLATFORM_ID,
    "name": "LMS Sekolah Digital (produksi)",
    "environment": "production",
    "scopes": PRODUCTION_PARTNER_SCOPES,
    "status": "active",
    "token_endpoint_auth_methods": ["client_secret_basic", "client_secret_post"],
    "rate_limit_per_minute": None,
    "previous_secret_expires_at": None,
    "created_at": "2026-10-05T02:20:33Z",
    "updated_at": "2026-10-05T02:20:33Z",
}
PORTAL_CLIENT: dict[str, Any] = {
    "client_id": PORTAL_CLIENT_ID,
    "partner_id": None,
    "name": "Portal Manajemen Prakerja",
    "environment": "production",
    "scopes": list(PROGRAMME_SCOPES),
    "status": "active",
    "token_endpoint_auth_methods": ["client_secret_basic", "client_secret_post"],
    "rate_limit_per_minute": None,
    "previous_secret_expires_at": None,
    "created_at": "2026-10-01T01:00:00Z",
    "updated_at": "2026-10-01T01:00:00Z",
}

# --- courses under curation -----------------------------------------------------------------------------------

MARKETING_COURSE: dict[str, Any] = {
    "id": MARKETING_COURSE_ID,
    "partner_id": PLATFORM_ID,
    "status": "approved",
    "title": "Pemasaran Digital untuk UMKM",
    "description": (
        "Belajar memasarkan usaha kecil lewat media sosial, iklan berbayar dan marketplace, lalu membaca "
        "hasilnya dengan analitik sederhana."
    ),
    "category": "pemasaran",
    "format": "self_paced",
    "hours": 15,
    "price": 1500000,
    "public_price": 2000000,
    "competencies": ["pemasaran digital", "media sosial", "analitik pemasaran"],
    "language": "id",
    "modules": 5,
    "pending_revision": None,
    "allowed_actions": ["edit", "archive"],
    "created_at": "2026-10-07T04:05:12Z",
    "updated_at": "2026-10-09T07:12:03Z",
}
MARKETING_HISTORY: list[dict[str, Any]] = [
    {
        "action": "submit",
        "from_status": "draft",
        "to_status": "submitted",
        "reasons": [],
        "at": "2026-10-07T04:31:40Z",
    },
    {
        "action": "approve",
        "from_status": "submitted",
        "to_status": "approved",
        "reasons": [],
        "at": "2026-10-09T07:12:03Z",
    },
]
ACCOUNTING_COURSE: dict[str, Any] = {
    "id": ACCOUNTING_COURSE_ID,
    "partner_id": PROVIDER_ID,
    "status": "submitted",
    "title": "Dasar-Dasar Akuntansi Keuangan",
    "description": (
        "Mencatat transaksi, menyusun jurnal umum dan buku besar, hingga membuat laporan laba rugi dan neraca "
        "untuk usaha dagang dan jasa."
    ),
    "category": "keuangan",
    "format": "webinar",
    "hours": 15,
    "price": 1000000,
    "public_price": 1250000,
    "competencies": ["pencatatan transaksi", "jurnal umum", "laporan keuangan"],
    "language": "id",
    "modules": None,
    "pending_revision": None,
    "allowed_actions": ["archive", "add_schedule"],
    "created_at": "2026-11-16T06:02:44Z",
    "updated_at": "2026-11-16T06:25:10Z",
}
ACCOUNTING_SUBMITTED: dict[str, Any] = {
    "action": "submit",
    "from_status": "draft",
    "to_status": "submitted",
    "reasons": [],
    "at": "2026-11-16T06:25:10Z",
}
ACCOUNTING_SCHEDULE: dict[str, Any] = {
    "id": ACCOUNTING_SCHEDULE_ID,
    "course_id": ACCOUNTING_COURSE_ID,
    "starts_at": "2026-11-30T02:00:00Z",
    "ends_at": "2026-12-04T05:00:00Z",
    "capacity": 100,
    "seats_left": 100,
    "location": None,
    "meeting_url": "https://meet.cendekiamandiri.example/akuntansi-dasar-des-2026",
    "sessions": [
        {"sequence": 1, "starts_at": "2026-11-30T02:00:00Z", "ends_at": "2026-11-30T05:00:00Z"},
        {"sequence": 2, "starts_at": "2026-12-01T02:00:00Z", "ends_at": "2026-12-01T05:00:00Z"},
        {"sequence": 3, "starts_at": "2026-12-02T02:00:00Z", "ends_at": "2026-12-02T05:00:00Z"},
        {"sequence": 4, "starts_at": "2026-12-03T02:00:00Z", "ends_at": "2026-12-03T05:00:00Z"},
        {"sequence": 5, "starts_at": "2026-12-04T02:00:00Z", "ends_at": "2026-12-04T05:00:00Z"},
    ],
}

# A suspension's or reinstatement's note is kept as the step's reason in the curation history and the audit trail.
SUSPEND_REASON = "Materi modul 3 menyalin konten berhak cipta; ditangguhkan sampai lembaga menggantinya."
REINSTATE_REASON = "Modul 3 sudah diganti dengan materi sendiri dan diperiksa ulang."
REJECTION_REASONS = [
    "Jumlah jam pelajaran (15 jam) tidak sesuai dengan silabus yang hanya memuat 9 jam materi.",
    "Uji keterampilan akhir belum dijelaskan: lampirkan contoh soal dan rubrik penilaian.",
]

PARTNERS_AND_CURATION: dict[str, Example] = {
    "listPartners": Example(
        summary="Partners in the order they were registered",
        response={"items": [PLATFORM, PROVIDER], "next_cursor": None},
    ),
    "createPartner": Example(
        summary="Register a training provider",
        request={"name": "LPK Cendekia Mandiri", "kind": "provider", "contact_email": "admin@cendekiamandiri.example"},
        response=PROVIDER,
    ),
    "getPartner": Example(summary="A platform partner", response=PLATFORM),
    "suspendPartner": Example(
        summary="Suspend a partner: its courses stop selling and its clients stop working",
        request={"reason": "Audit lapangan: sertifikat diterbitkan tanpa uji keterampilan."},
        response={**PROVIDER, "status": "suspended", "updated_at": "2026-11-18T08:30:12Z"},
    ),
    "reinstatePartner": Example(
        summary="Reinstate a suspended partner",
        request={"reason": "Temuan audit ditindaklanjuti; uji keterampilan kembali dijalankan."},
        response={**PROVIDER, "updated_at": "2026-11-25T03:05:47Z"},
    ),
    "setPartnerBankAccount": Example(
        summary="Record the account the partner's statements are paid into",
        request={
            "bank_name": "Bank Negara Indonesia",
            "account_number": "0123456789",
            "account_name": "PT Sekolah Digital Nusantara",
        },
        response={
            "partner_id": PLATFORM_ID,
            "bank_name": "Bank Negara Indonesia",
            "account_number": "0123456789",
            "account_name": "PT Sekolah Digital Nusantara",
        },
    ),
    "createClient": Example(
        summary="Give a partner a production client; the secret is shown this once",
        request={
            "name": "LMS Sekolah Digital (produksi)",
            "environment": "production",
            "scopes": PRODUCTION_PARTNER_SCOPES,
        },
        response={**CLIENT, "client_secret": "cs_Xk3v9QpL2mTzR8wYc4NbH6jD1sFaGe7uKo0iVhWq5Zr"},
    ),
    "issueIntegrationKey": Example(
        summary="Issue a partner's legacy integration key (client code and sign key)",
        request={"environment": "production"},
        response={
            "client_code": "icc_7db94c347459cb450be3",
            "sign_key": "ec9c56993ef48378c1873164fbfd0b0a06ced0268c9eb3bc1934d9a847f9182c",
            "partner_id": PLATFORM_ID,
            "environment": "production",
            "previous_sign_key_expires_at": None,
        },
    ),
    "listClients": Example(
        summary="Every client, the portal's own included",
        response={"items": [PORTAL_CLIENT, CLIENT], "next_cursor": None},
    ),
    "getClient": Example(summary="A partner's production client", response=CLIENT),
    "disableClient": Example(
        summary="Disable a client the partner no longer uses; it stops working for good",
        request={"reason": "Integrasi lama dihentikan; mitra sudah beralih ke klien produksi yang baru."},
        response={
            **CLIENT,
            "client_id": "cli_d83b0eec92a2ad130fd3",
            "name": "LMS Sekolah Digital (versi lama)",
            "status": "disabled",
            "updated_at": "2026-11-21T09:44:18Z",
        },
    ),
    "rotateClientSecret": Example(
        summary="Rotate a client's secret; the old one keeps working for 24 hours while the partner switches",
        response={
            **CLIENT,
            "client_secret": "cs_lXbrS9gXGyunI0S-8OZ7rr5re-_JN5EHgawnPiLgB5M",
            "previous_secret_expires_at": "2026-11-22T09:40:02Z",
            "updated_at": "2026-11-21T09:40:02Z",
        },
    ),
    "listCoursesForCuration": Example(
        summary="The curation queue: courses waiting for a decision",
        response={"items": [ACCOUNTING_COURSE], "next_cursor": None},
    ),
    "getCourseForCuration": Example(
        summary="A webinar under review, with its schedule",
        response={
            "course": {**ACCOUNTING_COURSE, "rejection_reasons": [], "curation_history": [ACCOUNTING_SUBMITTED]},
            "schedules": [ACCOUNTING_SCHEDULE],
        },
    ),
    "approveCourse": Example(
        summary="Approve a submitted course: it goes on sale",
        response={
            **ACCOUNTING_COURSE,
            "status": "approved",
            "allowed_actions": ["edit", "archive", "add_schedule"],
            "updated_at": "2026-11-18T02:47:31Z",
            "rejection_reasons": [],
            "curation_history": [
                ACCOUNTING_SUBMITTED,
                {
                    "action": "approve",
                    "from_status": "submitted",
                    "to_status": "approved",
                    "reasons": [],
                    "at": "2026-11-18T02:47:31Z",
                },
            ],
        },
    ),
    "rejectCourse": Example(
        summary="Reject a submitted course with the reasons the partner must fix",
        request={"reasons": REJECTION_REASONS},
        response={
            **ACCOUNTING_COURSE,
            "status": "rejected",
            "allowed_actions": ["edit", "submit", "archive", "add_schedule"],
            "updated_at": "2026-11-18T02:47:31Z",
            "rejection_reasons": REJECTION_REASONS,
            "curation_history": [
                ACCOUNTING_SUBMITTED,
                {
                    "action": "reject",
                    "from_status": "submitted",
                    "to_status": "rejected",
                    "reasons": REJECTION_REASONS,
                    "at": "2026-11-18T02:47:31Z",
                },
            ],
        },
    ),
    "suspendCourse": Example(
        summary="Suspend an approved course: it leaves the catalogue",
        request={"reason": SUSPEND_REASON},
        response={
            **MARKETING_COURSE,
            "status": "suspended",
            "updated_at": "2026-11-19T04:10:55Z",
            "rejection_reasons": [],
            "curation_history": [
                *MARKETING_HISTORY,
                {
                    "action": "suspend",
                    "from_status": "approved",
                    "to_status": "suspended",
                    "reasons": [SUSPEND_REASON],
                    "at": "2026-11-19T04:10:55Z",
                },
            ],
        },
    ),
    "reinstateCourse": Example(
        summary="Reinstate a suspended course: it is on sale again",
        request={"reason": REINSTATE_REASON},
        response={
            **MARKETING_COURSE,
            "updated_at": "2026-11-23T03:22:09Z",
            "rejection_reasons": [],
            "curation_history": [
                *MARKETING_HISTORY,
                {
                    "action": "suspend",
                    "from_status": "approved",
                    "to_status": "suspended",
                    "reasons": [SUSPEND_REASON],
                    "at": "2026-11-19T04:10:55Z",
                },
                {
                    "action": "reinstate",
                    "from_status": "suspended",
                    "to_status": "approved",
                    "reasons": [REINSTATE_REASON],
                    "at": "2026-11-23T03:22:09Z",
                },
            ],
        },
    ),
}

# --- participants and support ---------------------------------------------------------------------------------

RINA: dict[str, Any] = {
    "id": RINA_ID,
    "programme_number": "PRK-2024-004817",
    "name": "Rina Wulandari",
    "email": "rina.wulandari@example.id",
    "phone": "+6281298765432",
    "scheme": "2024",
    "accepted_at": "2026-11-02T03:00:00Z",
    "status": "active",
    "balance": 2000000,
    "reviewed_at": None,
    "created_at": "2026-11-02T03:00:04Z",
}
RINA_GRANT: dict[str, Any] = {
    "kind": "grant",
    "amount": 3500000,
    "balance_after": 3500000,
    "voucher_code": None,
    "at": "2026-11-02T03:00:04Z",
}
RINA_LEDGER: list[dict[str, Any]] = [
    {
        "kind": "purchase",
        "amount": 1500000,
        "balance_after": 2000000,
        "voucher_code": RINA_VOUCHER,
        "at": "2026-11-03T02:12:40Z",
    },
    RINA_GRANT,
]
BUDI: dict[str, Any] = {
    "id": BUDI_ID,
    "programme_number": "PRK-2024-002561",
    "name": "Budi Santoso",
    "email": "budi.santoso@example.id",
    "phone": "+6285712345678",
    "scheme": "2024",
    "accepted_at": "2026-10-19T03:00:00Z",
    "status": "active",
    "balance": 2000000,
    "reviewed_at": "2026-11-12T08:45:00Z",
    "created_at": "2026-10-19T03:00:02Z",
}
BUDI_LEDGER: list[dict[str, Any]] = [
    {
        "kind": "purchase",
        "amount": 1500000,
        "balance_after": 2000000,
        "voucher_code": BUDI_VOUCHER,
        "at": "2026-10-20T04:00:00Z",
    },
    {"kind": "grant", "amount": 3500000, "balance_after": 3500000, "voucher_code": None, "at": "2026-10-19T03:00:02Z"},
]
AGUS: dict[str, Any] = {
    "id": AGUS_ID,
    "programme_number": "PRK-2024-007309",
    "name": "Agus Prasetyo",
    "email": "agus.prasetyo@example.id",
    "phone": "+6282134567890",
    "scheme": "2024",
    "accepted_at": "2026-11-02T03:00:00Z",
    "status": "revoked",
    "balance": 0,
    "reviewed_at": None,
    "created_at": "2026-11-02T03:00:09Z",
}
FREEZE_REASON = "Laporan dugaan jual-beli akun; menunggu verifikasi data peserta."
SURVEY_1: dict[str, Any] = {
    "participant_id": BUDI_ID,
    "survey": 1,
    "amount": 50000,
    "recorded_at": "2026-10-19T03:41:26Z",
}
SURVEY_2: dict[str, Any] = {
    "participant_id": BUDI_ID,
    "survey": 2,
    "amount": 50000,
    "recorded_at": "2026-11-12T09:10:14Z",
}
BUDI_PAYOUT_ACCOUNT: dict[str, Any] = {
    "participant_id": BUDI_ID,
    "channel": "gopay",
    "channel_kind": "e_wallet",
    "account_reference_masked": "****5678",
    "updated_at": "2026-11-12T09:02:37Z",
}

PARTICIPANTS: dict[str, Example] = {
    "enrolParticipant": Example(
        summary="Enrol a participant accepted into the 2024 scheme: the training balance is granted at once",
        request={
            "programme_number": "PRK-2024-004817",
            "nik": "1234567890123456",
            "name": "Rina Wulandari",
            "email": "rina.wulandari@example.id",
            "phone": "+6281298765432",
            "scheme": "2024",
            "accepted_at": "2026-11-02T10:00:00+07:00",
        },
        response={**RINA, "balance": 3500000, "ledger": [RINA_GRANT]},
    ),
    "listParticipants": Example(
        summary="Participants in the order they were enrolled",
        response={"items": [BUDI, RINA], "next_cursor": None},
    ),
    "searchParticipants": Example(
        summary="Find a participant by programme number, e-mail or part of the name (`?q=wulandari`)",
        response=[RINA],
    ),
    "getParticipant": Example(
        summary="A participant with the balance and the latest ledger entries, newest first",
        response={**RINA, "ledger": RINA_LEDGER},
    ),
    "freezeParticipant": Example(
        summary="Freeze a participant under investigation: no purchase, redemption or payout meanwhile",
        request={"reason": FREEZE_REASON},
        response={**RINA, "status": "frozen", "ledger": RINA_LEDGER},
    ),
    "unfreezeParticipant": Example(
        summary="Lift the freeze once the investigation clears the participant",
        request={"reason": "Verifikasi selesai: akun digunakan oleh pemiliknya sendiri."},
        response={**RINA, "ledger": RINA_LEDGER},
    ),
    "revokeParticipant": Example(
        summary="Revoke a participant for fraud (after flagging the voucher): the balance lapses to the state",
        request={"reason": "Data kependudukan dipakai orang lain; voucher sudah ditandai penipuan."},
        response={
            **AGUS,
            "ledger": [
                {
                    "kind": "lapse",
                    "amount": 2000000,
                    "balance_after": 0,
                    "voucher_code": None,
                    "at": "2026-11-20T07:05:33Z",
                },
                {
                    "kind": "purchase",
                    "amount": 1500000,
                    "balance_after": 2000000,
                    "voucher_code": FRAUD_VOUCHER,
                    "at": "2026-11-04T13:22:05Z",
                },
                {
                    "kind": "grant",
                    "amount": 3500000,
                    "balance_after": 3500000,
                    "voucher_code": None,
                    "at": "2026-11-02T03:00:09Z",
                },
            ],
        },
    ),
    "recordReview": Example(
        summary="Record that the participant reviewed the training; with a certificate this makes the incentive due",
        response={**BUDI, "ledger": BUDI_LEDGER},
    ),
    "getParticipantIncentive": Example(
        summary="The incentive of a participant who finished a course and reviewed it",
        response={
            "eligible": True,
            "reviewed_at": "2026-11-12T08:45:00Z",
            "enrollment_id": BUDI_ENROLLMENT_ID,
            "scheme": "2024",
            "amount_per_payment": 600000,
            "payments": 1,
            "eligible_at": "2026-11-12T08:45:00Z",
        },
    ),
    "getPayoutAccount": Example(
        summary="Where the participant's incentive is paid, the account number masked",
        response=BUDI_PAYOUT_ACCOUNT,
    ),
    "setPayoutAccount": Example(
        summary="Pay the incentive to the participant's GoPay wallet (the mobile number it is registered to)",
        request={"channel": "gopay", "account_reference": "085712345678"},
        response=BUDI_PAYOUT_ACCOUNT,
    ),
    "listSurveyIncentives": Example(
        summary="The survey incentives recorded for a participant",
        response=[SURVEY_1, SURVEY_2],
    ),
    "recordSurveyIncentive": Example(
        summary="Record the second survey's Rp 50,000 incentive",
        request={"survey": 2},
        response=SURVEY_2,
    ),
}

# --- vouchers and enrollments --------------------------------------------------------------------------------

RINA_VOUCHER_SOLD: dict[str, Any] = {
    "code": RINA_VOUCHER,
    "status": "sold",
    "course_id": MARKETING_COURSE_ID,
    "schedule_id": None,
    "amount": 1500000,
    "sold_at": "2026-11-03T02:12:40Z",
    "expires_at": "2026-12-03T02:12:40Z",
    "redeemed_at": None,
    "redemption_window": {"opens_at": "2026-11-03T02:12:40Z", "closes_at": "2026-12-03T02:12:40Z"},
    "participant": {"name_masked": "Rina W."},
    "allowed_actions": ["redeem", "void"],
    "participant_id": RINA_ID,
    "partner_id": PLATFORM_ID,
}
RINA_VOUCHER_REDEEMED: dict[str, Any] = {
    **RINA_VOUCHER_SOLD,
    "status": "redeemed",
    "redeemed_at": "2026-11-03T02:30:11Z",
    "allowed_actions": [],
}
FRAUD_REASON = "Akun dipakai pihak lain: wajah pada uji keterampilan tidak cocok dengan foto peserta."
CANCEL_REASON = "Pelatihan ditangguhkan oleh Manajemen Pelaksana; saldo dikembalikan ke peserta."
RINA_ATTENDANCE: list[dict[str, Any]] = [
    {"sequence": 1, "attended_at": "2026-11-03T13:05:48Z"},
    {"sequence": 2, "attended_at": "2026-11-05T12:41:02Z"},
    {"sequence": 3, "attended_at": "2026-11-08T03:17:55Z"},
]
RINA_ENROLLMENT: dict[str, Any] = {
    "id": RINA_ENROLLMENT_ID,
    "status": "active",
    "voucher_code": RINA_VOUCHER,
    "course_id": MARKETING_COURSE_ID,
    "schedule_id": None,
    "learner_ref": "SDN-USR-0048213",
    "participant_name_masked": "Rina W.",
    "redeemed_at": "2026-11-03T02:30:11Z",
    "attendance": RINA_ATTENDANCE,
    "required_sessions": 5,
    "assessment": None,
    "completed_at": None,
    "certificate": None,
    "blockers": [
        {"code": "attendance_incomplete", "message": "3 of 5 modules completed."},
        {"code": "assessment_missing", "message": "No final assessment has been recorded."},
    ],
    "allowed_actions": ["record_attendance", "record_assessment"],
    "updated_at": "2026-11-08T03:17:55Z",
}
SITI_ENROLLMENT: dict[str, Any] = {
    "id": SITI_ENROLLMENT_ID,
    "status": "active",
    "voucher_code": SITI_VOUCHER,
    "course_id": MARKETING_COURSE_ID,
    "schedule_id": None,
    "learner_ref": "SDN-USR-0047790",
    "participant_name_masked": "Siti R.",
    "redeemed_at": "2026-11-05T01:20:44Z",
    "attendance": [
        {"sequence": 1, "attended_at": "2026-11-05T02:02:13Z"},
        {"sequence": 2, "attended_at": "2026-11-06T01:48:30Z"},
        {"sequence": 3, "attended_at": "2026-11-08T02:25:19Z"},
        {"sequence": 4, "attended_at": "2026-11-10T03:11:47Z"},
        {"sequence": 5, "attended_at": "2026-11-13T02:56:05Z"},
    ],
    "required_sessions": 5,
    "assessment": {"score": 86, "assessed_at": "2026-11-14T11:02:17Z"},
    "completed_at": None,
    "certificate": None,
    "blockers": [],
    "allowed_actions": ["record_assessment", "complete"],
    "updated_at": "2026-11-14T11:02:17Z",
}

VOUCHERS_AND_ENROLLMENTS: dict[str, Example] = {
    "purchaseCourse": Example(
        summary="Buy a self-paced course from the participant's balance: a voucher for Rp 1,500,000",
        request={"course_id": MARKETING_COURSE_ID},
        response=RINA_VOUCHER_SOLD,
    ),
    "listParticipantVouchers": Example(
        summary="A participant's vouchers with how far each training went, newest first",
        response=[
            {
                "code": BUDI_VOUCHER,
                "status": "completed",
                "course_id": MARKETING_COURSE_ID,
                "course_title": "Pemasaran Digital untuk UMKM",
                "partner_id": PLATFORM_ID,
                "amount": 1500000,
                "sold_at": "2026-10-20T04:00:00Z",
                "expires_at": "2026-11-19T04:00:00Z",
                "redeemed_at": "2026-10-20T04:15:30Z",
                "closed_at": "2026-11-10T09:30:00Z",
                "enrollment_id": BUDI_ENROLLMENT_ID,
                "enrollment_status": "completed",
                "sessions_attended": 5,
                "assessment_score": 82,
                "completed_at": "2026-11-10T09:30:00Z",
                "certificate_number": "SDN/PDU/2026/000318",
                "certificate_status": "valid",
            }
        ],
    ),
    "getVoucherForProgramme": Example(
        summary="A redeemed voucher: the learner has started the course",
        response=RINA_VOUCHER_REDEEMED,
    ),
    "cancelVoucher": Example(
        summary="Cancel a sold voucher because the course was suspended; the amount returns to the balance",
        request={"reason": CANCEL_REASON},
        response={
            "code": CANCELLED_VOUCHER,
            "status": "cancelled",
            "course_id": MARKETING_COURSE_ID,
            "schedule_id": None,
            "amount": 1500000,
            "sold_at": "2026-11-17T05:48:12Z",
            "expires_at": "2026-12-17T05:48:12Z",
            "redeemed_at": None,
            "redemption_window": {"opens_at": "2026-11-17T05:48:12Z", "closes_at": "2026-12-17T05:48:12Z"},
            "participant": {"name_masked": "Dewi L."},
            "allowed_actions": [],
            "participant_id": DEWI_ID,
            "partner_id": PLATFORM_ID,
        },
    ),
    "flagVoucherFraud": Example(
        summary="Flag a redeemed voucher as fraudulent: its price is clawed back on the partner's open statement",
        request={"reason": FRAUD_REASON},
        response={
            "code": FRAUD_VOUCHER,
            "status": "fraudulent",
            "course_id": MARKETING_COURSE_ID,
            "schedule_id": None,
            "amount": 1500000,
            "sold_at": "2026-11-04T13:22:05Z",
            "expires_at": "2026-12-04T13:22:05Z",
            "redeemed_at": "2026-11-04T13:40:51Z",
            "redemption_window": {"opens_at": "2026-11-04T13:22:05Z", "closes_at": "2026-12-04T13:22:05Z"},
            "participant": {"name_masked": "Agus P."},
            "allowed_actions": [],
            "participant_id": AGUS_ID,
            "partner_id": PLATFORM_ID,
        },
    ),
    "getVoucherHistory": Example(
        summary="Who did what to a voucher, oldest first, with the voucher before and after",
        response=[
            {
                "id": 48211,
                "at": "2026-11-03T02:12:40Z",
                "actor_type": "programme_client",
                "actor_id": DASHBOARD_CLIENT_ID,
                "action": "voucher.sold",
                "before": None,
                "after": {
                    "code": RINA_VOUCHER,
                    "amount": 1500000,
                    "status": "sold",
                    "sold_at": "2026-11-03T02:12:40Z",
                    "course_id": MARKETING_COURSE_ID,
                    "expires_at": "2026-12-03T02:12:40Z",
                    "partner_id": PLATFORM_ID,
                    "participant": {"name_masked": "Rina W."},
                    "redeemed_at": None,
                    "schedule_id": None,
                    "participant_id": RINA_ID,
                    "allowed_actions": ["redeem", "void"],
                    "redemption_window": {"opens_at": "2026-11-03T02:12:40Z", "closes_at": "2026-12-03T02:12:40Z"},
                },
            },
            {
                "id": 48237,
                "at": "2026-11-03T02:30:11Z",
                "actor_type": "partner_client",
                "actor_id": CLIENT_ID,
                "action": "voucher.redeemed",
                "before": {"status": "sold"},
                "after": {
                    "code": RINA_VOUCHER,
                    "amount": 1500000,
                    "status": "redeemed",
                    "sold_at": "2026-11-03T02:12:40Z",
                    "course_id": MARKETING_COURSE_ID,
                    "expires_at": "2026-12-03T02:12:40Z",
                    "participant": {"name_masked": "Rina W."},
                    "redeemed_at": "2026-11-03T02:30:11Z",
                    "schedule_id": None,
                    "allowed_actions": [],
                    "redemption_window": {"opens_at": "2026-11-03T02:12:40Z", "closes_at": "2026-12-03T02:12:40Z"},
                },
            },
        ],
    ),
    "listEnrollmentsForProgramme": Example(
        summary="A partner's active enrollments (`?partner_id=…&status=active`), least recently updated first",
        response={"items": [RINA_ENROLLMENT, SITI_ENROLLMENT], "next_cursor": None},
    ),
    "getEnrollmentForProgramme": Example(
        summary="An enrollment in progress, with what still blocks its completion",
        response=RINA_ENROLLMENT,
    ),
}

# --- money: incentive disbursements and partner statements ----------------------------------------------------

BATCH_OPEN: dict[str, Any] = {
    "id": BATCH_ID,
    "channel": "gopay",
    "status": "open",
    "transfer_count": 2,
    "total_amount": 1200000,
    "pending_count": 2,
    "paid_count": 0,
    "paid_amount": 0,
    "failed_count": 0,
    "created_at": "2026-11-20T02:15:03Z",
    "completed_at": None,
}
BATCH_COMPLETED: dict[str, Any] = {
    **BATCH_OPEN,
    "status": "completed",
    "pending_count": 0,
    "paid_count": 1,
    "paid_amount": 600000,
    "failed_count": 1,
    "completed_at": "2026-11-20T06:40:12Z",
}
GOPAY_REFERENCE = "GPY-20261120-000187"
GOPAY_FAILURE = "Akun GoPay tidak ditemukan untuk nomor ini"
PAYOUT_REFERENCE = "BNI-TRF-20261203-0042"
NOVEMBER_BOUNDS: dict[str, Any] = {
    "period_starts_at": "2026-11-01T00:00:00+07:00",
    "period_ends_at": "2026-12-01T00:00:00+07:00",
}
PLATFORM_STATEMENT: dict[str, Any] = {
    "period": "2026-11",
    "status": "closed",
    "total_payable": 9000000,
    "total_clawed_back": 1500000,
    "total_carried_forward": 0,
    "net": 7500000,
    "line_count": 7,
    **NOVEMBER_BOUNDS,
    "closed_at": "2026-12-01T01:00:00Z",
    "paid_at": None,
    "payment_reference": None,
    "id": PLATFORM_STATEMENT_ID,
    "partner_id": PLATFORM_ID,
}
PROVIDER_STATEMENT: dict[str, Any] = {
    "period": "2026-11",
    "status": "closed",
    "total_payable": 3000000,
    "total_clawed_back": 0,
    "total_carried_forward": 0,
    "net": 3000000,
    "line_count": 3,
    **NOVEMBER_BOUNDS,
    "closed_at": "2026-12-01T01:00:00Z",
    "paid_at": None,
    "payment_reference": None,
    "id": PROVIDER_STATEMENT_ID,
    "partner_id": PROVIDER_ID,
}
PLATFORM_STATEMENT_PAID: dict[str, Any] = {
    **PLATFORM_STATEMENT,
    "status": "paid",
    "paid_at": "2026-12-03T04:20:00Z",
    "payment_reference": PAYOUT_REFERENCE,
}

MONEY: dict[str, Example] = {
    "createDisbursementBatch": Example(
        summary="Gather every GoPay incentive transfer now payable into one batch for the channel",
        request={"channel": "gopay"},
        response=BATCH_OPEN,
    ),
    "listDisbursementBatches": Example(
        summary="Batches, oldest first: one settled, one still waiting for the channel's answer",
        response={
            "items": [
                BATCH_COMPLETED,
                {
                    "id": OPEN_BATCH_ID,
                    "channel": "ovo",
                    "status": "open",
                    "transfer_count": 3,
                    "total_amount": 1800000,
                    "pending_count": 3,
                    "paid_count": 0,
                    "paid_amount": 0,
                    "failed_count": 0,
                    "created_at": "2026-11-20T02:16:40Z",
                    "completed_at": None,
                },
            ],
            "next_cursor": None,
        },
    ),
    "getDisbursementBatch": Example(
        summary="A settled batch: one transfer paid, one failed (the next GoPay batch takes the failed one again)",
        response=BATCH_COMPLETED,
    ),
    "recordDisbursementResults": Example(
        summary="Record the channel's answer for each transfer: paid with its reference, or failed with the reason",
        request={
            "results": [
                {"transfer_id": BUDI_TRANSFER_ID, "status": "paid", "reference": GOPAY_REFERENCE},
                {"transfer_id": YUSUF_TRANSFER_ID, "status": "failed", "reason": GOPAY_FAILURE},
            ]
        },
        response=BATCH_COMPLETED,
    ),
    "listDisbursementTransfers": Example(
        summary="A batch's transfers with their results, accounts masked",
        response={
            "items": [
                {
                    "transfer_id": BUDI_TRANSFER_ID,
                    "participant_id": BUDI_ID,
                    "programme_number": "PRK-2024-002561",
                    "enrollment_id": BUDI_ENROLLMENT_ID,
                    "eligible_at": "2026-11-12T08:45:00Z",
                    "sequence": 1,
                    "amount": 600000,
                    "channel": "gopay",
                    "account_reference_masked": "****5678",
                    "status": "paid",
                    "channel_reference": GOPAY_REFERENCE,
                    "failure_reason": None,
                    "result_at": "2026-11-20T06:40:12Z",
                },
                {
                    "transfer_id": YUSUF_TRANSFER_ID,
                    "participant_id": YUSUF_ID,
                    "programme_number": "PRK-2024-001944",
                    "enrollment_id": YUSUF_ENROLLMENT_ID,
                    "eligible_at": "2026-11-14T02:30:00Z",
                    "sequence": 1,
                    "amount": 600000,
                    "channel": "gopay",
                    "account_reference_masked": "****5432",
                    "status": "failed",
                    "channel_reference": None,
                    "failure_reason": GOPAY_FAILURE,
                    "result_at": "2026-11-20T06:40:12Z",
                },
            ],
            "next_cursor": None,
        },
    ),
    "downloadDisbursementBatch": Example(
        summary="The file for the channel, fetched right after the batch was made: accounts in full, for finance only",
        response=(
            "transfer_id,participant_id,programme_number,account_name,channel,account_reference,amount,sequence,"
            "status,channel_reference,failure_reason\r\n"
            f"{BUDI_TRANSFER_ID},{BUDI_ID},PRK-2024-002561,Budi Santoso,gopay,085712345678,600000,1,pending,,\r\n"
            f"{YUSUF_TRANSFER_ID},{YUSUF_ID},PRK-2024-001944,Yusuf Hidayat,gopay,081398765432,600000,1,pending,,\r\n"
        ),
    ),
    "closeStatementPeriod": Example(
        summary="Close November once it has ended in Jakarta: every partner's totals are frozen",
        response={
            "period": "2026-11",
            "closed_at": "2026-12-01T01:00:00Z",
            "statements": [PLATFORM_STATEMENT, PROVIDER_STATEMENT],
        },
    ),
    "listAllStatements": Example(
        summary="November's statements (`?period=2026-11`): one paid, one still to pay",
        response={"items": [PLATFORM_STATEMENT_PAID, PROVIDER_STATEMENT], "next_cursor": None},
    ),
    "downloadStatementPayouts": Example(
        summary="The payout file: every closed, unpaid statement with a positive net and the bank account to pay",
        response=(
            "statement_id,partner_id,partner_name,period,bank_name,bank_account_number,bank_account_name,amount\r\n"
            f"{PROVIDER_STATEMENT_ID},{PROVIDER_ID},LPK Cendekia Mandiri,2026-11,Bank Rakyat Indonesia,"
            "002101000456301,LPK Cendekia Mandiri,3000000\r\n"
            f"{PLATFORM_STATEMENT_ID},{PLATFORM_ID},Sekolah Digital Nusantara,2026-11,Bank Negara Indonesia,"
            "0123456789,PT Sekolah Digital Nusantara,7500000\r\n"
        ),
    ),
    "markStatementPaid": Example(
        summary="Record the bank transfer that paid a closed statement",
        request={"reference": PAYOUT_REFERENCE},
        response=PLATFORM_STATEMENT_PAID,
    ),
}

# --- oversight: dashboard, report, audit trail, staff sessions -------------------------------------------------

VOUCHER_TOTALS: dict[str, Any] = {
    "sold": {"count": 1240, "amount": 1674000000},
    "redeemed": {"count": 1105, "amount": 1495500000},
    "expired": {"count": 38, "amount": 51000000},
    "voided": {"count": 22, "amount": 30000000},
    "cancelled": {"count": 9, "amount": 13500000},
    "fraudulent": {"count": 3, "amount": 4500000},
    "clawed_back": {"count": 1, "amount": 1500000},
}
NOVEMBER_FIGURES: dict[str, Any] = {
    "vouchers": VOUCHER_TOTALS,
    "completions": 812,
    "certificates": 798,
    "incentives_eligible": {"count": 640, "amount": 384000000},
    "incentives_paid": {"count": 512, "amount": 307200000},
    "money": {"granted": 14700000000, "spent": 1674000000, "refunded": 94500000, "lapsed": 7000000},
}
PORTAL_SESSION = "sst_q7Hc2LwN9xPz4VbR1mKe8TgY5uJs3AdF6oWi0nQlZ-E"


def audit_entry(number: str, at: str, action: str, before: Any, after: Any, request_id: str) -> dict[str, Any]:
    """One audit row of the marketing course's curation, done by the curator through the portal."""
    return {
        "id": number,
        "at": at,
        "actor": STAFF_ID,
        "actor_type": "staff",
        "partner_id": None,
        "action": action,
        "entity_type": "course",
        "entity_id": MARKETING_COURSE_ID,
        "before": before,
        "after": after,
        "request_id": request_id,
    }


OVERSIGHT: dict[str, Example] = {
    "getProgrammeDashboard": Example(
        summary="The last seven days (`?days=7`), oldest first, ending today in Jakarta",
        response={
            "today": {
                "day": "2026-11-30",
                "sales": 96,
                "redemptions": 131,
                "completions": 44,
                "certificates": 41,
                "granted": 0,
                "spent": 129000000,
            },
            "days": [
                {
                    "day": "2026-11-24",
                    "sales": 58,
                    "redemptions": 47,
                    "completions": 31,
                    "certificates": 30,
                    "granted": 0,
                    "spent": 78000000,
                },
                {
                    "day": "2026-11-25",
                    "sales": 61,
                    "redemptions": 55,
                    "completions": 36,
                    "certificates": 35,
                    "granted": 1750000000,
                    "spent": 82500000,
                },
                {
                    "day": "2026-11-26",
                    "sales": 49,
                    "redemptions": 52,
                    "completions": 28,
                    "certificates": 29,
                    "granted": 0,
                    "spent": 64500000,
                },
                {
                    "day": "2026-11-27",
                    "sales": 44,
                    "redemptions": 40,
                    "completions": 33,
                    "certificates": 31,
                    "granted": 0,
                    "spent": 60000000,
                },
                {
                    "day": "2026-11-28",
                    "sales": 17,
                    "redemptions": 12,
                    "completions": 9,
                    "certificates": 9,
                    "granted": 0,
                    "spent": 22500000,
                },
                {
                    "day": "2026-11-29",
                    "sales": 12,
                    "redemptions": 10,
                    "completions": 6,
                    "certificates": 7,
                    "granted": 0,
                    "spent": 16500000,
                },
                {
                    "day": "2026-11-30",
                    "sales": 96,
                    "redemptions": 131,
                    "completions": 44,
                    "certificates": 41,
                    "granted": 0,
                    "spent": 129000000,
                },
            ],
        },
    ),
    "reportSummary": Example(
        summary="November in Jakarta (`?from=2026-11-01T00:00:00%2B07:00&to=2026-12-01T00:00:00%2B07:00`)",
        response={
            "from": "2026-10-31T17:00:00Z",
            "to": "2026-11-30T17:00:00Z",
            "schemes": [{"scheme": "2024", **NOVEMBER_FIGURES}],
            "total": {"scheme": "all", **NOVEMBER_FIGURES},
        },
    ),
    "searchAuditLog": Example(
        summary="What was done to one course (`?entity_type=course&entity_id=…&limit=3`), newest first",
        response={
            "items": [
                audit_entry(
                    "1842907",
                    "2026-11-23T03:22:09Z",
                    "course.reinstate",
                    {"status": "suspended"},
                    {"status": "approved", "reasons": [], "revision": None},
                    "5c0e9a17d4b2f86e13a7c940",
                ),
                audit_entry(
                    "1760355",
                    "2026-11-19T04:10:55Z",
                    "course.suspend",
                    {"status": "approved"},
                    {"status": "suspended", "reasons": [], "revision": None},
                    "2b6be815480ecca991c51a21",
                ),
                audit_entry(
                    "1203418",
                    "2026-10-09T07:12:03Z",
                    "course.approve",
                    {"status": "submitted"},
                    {"status": "approved", "reasons": [], "revision": None},
                    "1ab6eaaac7fbc8cd5cf858d2",
                ),
            ],
            "next_cursor": "WyIyMDI2LTEwLTA5VDA3OjEyOjAzKzAwOjAwIiwiMTIwMzQxOCJd",
        },
    ),
    "verifyAuditLog": Example(
        summary="The audit chain checked end to end: nothing was altered",
        response={
            "valid": True,
            "checked": 1842907,
            "first_invalid_id": None,
            "head_hash": "8f3d2a61c09b47e5d1a6f08c3b92e74d5a10c6f8e2b49d37a05c1e86f4b2d913",
        },
    ),
    "logInStaff": Example(
        summary="A curator signs in to the portal with password and one-time code",
        request={"email": "dimas.kurniawan@prakerja.example", "password": "Kopi-Tubruk-Senja-2026", "otp": "482913"},
        response={
            "session_token": PORTAL_SESSION,
            "expires_at": "2026-11-23T14:58:41Z",
            "staff": {
                "id": STAFF_ID,
                "email": "dimas.kurniawan@prakerja.example",
                "name": "Dimas Kurniawan",
                "role": "curator",
                "scopes": ["programme:curation"],
            },
        },
    ),
    "logOutStaff": Example(
        summary="Sign out: the session ends at once (no body in the answer)",
        request={"session_token": PORTAL_SESSION},
    ),
}

EXAMPLES: dict[str, Example] = {
    **PARTNERS_AND_CURATION,
    **PARTICIPANTS,
    **VOUCHERS_AND_ENROLLMENTS,
    **MONEY,
    **OVERSIGHT,
}
