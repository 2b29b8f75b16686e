"""Examples of the partner operations: a training platform publishing courses, redeeming vouchers, reporting
learning, issuing certificates, reading its events and statements, and using its sandbox.

Written from the answers of a real sandbox run (one course sold to a test participant, taught, completed and
certified), then tidied by hand: a self-paced course "Pemasaran Digital untuk UMKM" at Rp 700.000 after an edit, a
webinar "Dasar-Dasar Akuntansi Keuangan" at Rp 900.000, sandbox voucher codes with their real check character.
"""

from __future__ import annotations

from typing import Any

from api.http.examples.model import Example

BASE_URL = "http://127.0.0.1:8000"
PARTNER_ID = "prt_5c1e9a7b3d2f4e6a8b0c"
PARTNER_NAME = "Akademi Terampil Nusantara"
COURSE_ID = "crs_27583b05ead0415b7123"
WEBINAR_ID = "crs_2b9c29dff4701562a5a8"
SCHEDULE_ID = "sch_fb91b73ed1d81af853cc"
PARTICIPANT_ID = "par_006e800223839f455351"
VOUCHER_CODE = "SBX-513C-5EYD-RZV2"
ENROLLMENT_ID = "enr_3db7b2b2bc49481ac2ae"
CERTIFICATE_ID = "crt_8eb1e011d7154a68ab94208ddd9bd402"
CERTIFICATE_NUMBER = "PDU-2026-000417"
ENDPOINT_ID = "whe_1c8889f194e859dda24d"
VERIFICATION_URL = f"{BASE_URL}/v1/certificates/{CERTIFICATE_ID}/verification"
# A signed Open Badges 3.0 credential (a compact JWS), shortened: a real one is about 2 KB.
CREDENTIAL = (
    "eyJ0eXAiOiJ2Yytqd3QiLCJhbGciOiJFUzI1NiIsImtpZCI6ImtleS0yMDI2MTIwMS1hYmUwMjhhMSJ9"
    ".eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjgwMDAvdjEvcGFydG5lcnMvcHJ0XzVjMWU5YTdiM2QyZjRlNmE4YjBjIn0"
    ".bN6hE_DoWfHFjKxKcGkZVtWgDTiuIi-VKOn_j7d5y279PU86PUkvAFIVbdGWgBltsR24UH6slFanJN_v-L2XIA"
)

COURSE_CREATE: dict[str, Any] = {
    "title": "Pemasaran Digital untuk UMKM",
    "description": (
        "Strategi media sosial, iklan berbayar dan analitik penjualan untuk usaha mikro, kecil dan menengah."
    ),
    "category": "marketing",
    "format": "self_paced",
    "hours": 15,
    "price": 750000,
    "public_price": 1000000,
    "competencies": ["pemasaran digital", "media sosial", "analitik penjualan"],
    "language": "id",
    "modules": 5,
}
COURSE: dict[str, Any] = {
    "id": COURSE_ID,
    "partner_id": PARTNER_ID,
    "status": "draft",
    **COURSE_CREATE,
    "pending_revision": None,
    "allowed_actions": ["edit", "submit", "archive"],
    "created_at": "2026-12-01T03:17:07.485336Z",
    "updated_at": "2026-12-01T03:17:07.485336Z",
}
COURSE_DETAIL: dict[str, Any] = {**COURSE, "rejection_reasons": [], "curation_history": []}
SUBMITTED = {"action": "submit", "from_status": "draft", "to_status": "submitted", "reasons": []}
EDITED = {"price": 700000, "public_price": 950000, "updated_at": "2026-12-01T03:17:07.52486Z"}
APPROVED_COURSE: dict[str, Any] = {
    **COURSE_DETAIL,
    **EDITED,
    "status": "approved",
    "allowed_actions": ["edit", "archive"],
    "updated_at": "2026-12-01T03:17:07.565361Z",
    "curation_history": [
        {**SUBMITTED, "at": "2026-12-01T03:17:07.548411Z"},
        {
            "action": "approve",
            "from_status": "submitted",
            "to_status": "approved",
            "reasons": [],
            "at": ("2026-12-01T03:17:07.565361Z"),
        },
    ],
}
WEBINAR: dict[str, Any] = {
    "id": WEBINAR_ID,
    "partner_id": PARTNER_ID,
    "status": "approved",
    "title": "Dasar-Dasar Akuntansi Keuangan",
    "description": "Pencatatan transaksi, jurnal, buku besar dan laporan keuangan sederhana untuk usaha kecil.",
    "category": "finance",
    "format": "webinar",
    "hours": 15,
    "price": 900000,
    "public_price": 1200000,
    "competencies": ["akuntansi dasar", "laporan keuangan"],
    "language": "id",
    "modules": None,
    "pending_revision": None,
    "allowed_actions": ["edit", "archive", "add_schedule"],
    "created_at": "2026-12-01T03:17:07.609452Z",
    "updated_at": "2026-12-01T03:17:07.684558Z",
}
SESSIONS = [
    {"sequence": day, "starts_at": f"2026-12-0{3 + day}T02:00:00Z", "ends_at": f"2026-12-0{3 + day}T05:00:00Z"}
    for day in range(1, 6)
]
SCHEDULE_CREATE: dict[str, Any] = {
    "starts_at": "2026-12-04T09:00:00+07:00",
    "ends_at": "2026-12-08T12:00:00+07:00",
    "capacity": 40,
    "meeting_url": "https://zoom.us/j/81234567890",
    "sessions": [
        {
            "sequence": day,
            "starts_at": f"2026-12-0{3 + day}T09:00:00+07:00",
            "ends_at": f"2026-12-0{3 + day}T12:00:00+07:00",
        }
        for day in range(1, 6)
    ],
}
SCHEDULE: dict[str, Any] = {
    "id": SCHEDULE_ID,
    "course_id": WEBINAR_ID,
    "starts_at": "2026-12-04T02:00:00Z",
    "ends_at": "2026-12-08T05:00:00Z",
    "capacity": 40,
    "seats_left": 39,
    "location": None,
    "meeting_url": "https://zoom.us/j/81234567890",
    "sessions": SESSIONS,
}
CATALOGUE_COURSE: dict[str, Any] = {
    "id": WEBINAR_ID,
    "partner_id": PARTNER_ID,
    "partner_name": PARTNER_NAME,
    **{key: WEBINAR[key] for key in ("title", "description", "category", "format", "hours", "price")},
    **{key: WEBINAR[key] for key in ("public_price", "competencies", "language", "modules")},
}

VOUCHER: dict[str, Any] = {
    "code": VOUCHER_CODE,
    "status": "sold",
    "course_id": COURSE_ID,
    "schedule_id": None,
    "amount": 700000,
    "sold_at": "2026-12-01T03:17:07.767668Z",
    "expires_at": "2026-12-31T03:17:07.767668Z",
    "redeemed_at": None,
    "redemption_window": {"opens_at": "2026-12-01T03:17:07.767668Z", "closes_at": "2026-12-31T03:17:07.767668Z"},
    "participant": {"name_masked": "Eko S."},
    "allowed_actions": ["redeem", "void"],
}
VOIDED_VOUCHER: dict[str, Any] = {
    **VOUCHER,
    "code": "SBX-VMYH-E74J-BVSH",
    "status": "cancelled",
    "sold_at": "2026-12-01T03:17:07.871174Z",
    "expires_at": "2026-12-31T03:17:07.871174Z",
    "redemption_window": {"opens_at": "2026-12-01T03:17:07.871174Z", "closes_at": "2026-12-31T03:17:07.871174Z"},
    "participant": {"name_masked": "Budi S."},
    "allowed_actions": [],
}

REDEEMED_AT = "2026-12-01T03:17:07.931015Z"
ATTENDED_AT = "2026-12-01T10:17:07+07:00"
EARLIEST = "2026-12-05T00:00:00Z"
TOO_EARLY = {
    "code": "completion_too_early",
    "message": (
        "A 15-hour self_paced course, at most 3 hours a day, spans at least 5 calendar days; "
        f"it may be completed from {EARLIEST}."
    ),
    "earliest_completion_at": EARLIEST,
}
NO_ASSESSMENT = {"code": "assessment_missing", "message": "No final assessment has been recorded."}
ENROLLMENT: dict[str, Any] = {
    "id": ENROLLMENT_ID,
    "status": "active",
    "voucher_code": VOUCHER_CODE,
    "course_id": COURSE_ID,
    "schedule_id": None,
    "learner_ref": "lms-user-20931",
    "participant_name_masked": "Eko S.",
    "redeemed_at": REDEEMED_AT,
    "attendance": [],
    "required_sessions": 5,
    "assessment": None,
    "completed_at": None,
    "certificate": None,
    "blockers": [
        {"code": "attendance_incomplete", "message": "0 of 5 modules completed."},
        NO_ASSESSMENT,
        TOO_EARLY,
    ],
    "allowed_actions": ["record_attendance", "record_assessment"],
    "updated_at": REDEEMED_AT,
}
ATTENDANCE = [{"sequence": sequence, "attended_at": "2026-12-01T03:17:07Z"} for sequence in range(1, 6)]
ATTENDED: dict[str, Any] = {
    **ENROLLMENT,
    "attendance": ATTENDANCE,
    "blockers": [NO_ASSESSMENT, TOO_EARLY],
    "allowed_actions": ["record_assessment"],
    "updated_at": "2026-12-01T03:17:08.079249Z",
}
ASSESSED: dict[str, Any] = {
    **ATTENDED,
    "assessment": {"score": 88, "assessed_at": "2026-12-01T03:17:07Z"},
    "blockers": [TOO_EARLY],
    "updated_at": "2026-12-01T03:17:08.094026Z",
}
COMPLETED_AT = "2026-12-07T03:17:08Z"
COMPLETED: dict[str, Any] = {
    **ASSESSED,
    "status": "completed",
    "completed_at": COMPLETED_AT,
    "blockers": [],
    "allowed_actions": ["issue_certificate"],
    "updated_at": "2026-12-07T03:17:08.146141Z",
}
CERTIFICATE: dict[str, Any] = {
    "id": CERTIFICATE_ID,
    "enrollment_id": ENROLLMENT_ID,
    "number": CERTIFICATE_NUMBER,
    "issued_at": COMPLETED_AT,
    "url": None,
    "status": "valid",
    "revoked_at": None,
    "credential": CREDENTIAL,
    "verification_url": VERIFICATION_URL,
}
CERTIFIED: dict[str, Any] = {
    **COMPLETED,
    "certificate": {key: CERTIFICATE[key] for key in ("id", "number", "issued_at", "status", "verification_url")},
    "allowed_actions": [],
    "updated_at": "2026-12-07T03:17:08.172941Z",
}
VERIFICATION: dict[str, Any] = {
    "certificate_id": CERTIFICATE_ID,
    "status": "valid",
    "number": CERTIFICATE_NUMBER,
    "course_id": COURSE_ID,
    "course_title": "Pemasaran Digital untuk UMKM",
    "partner_id": PARTNER_ID,
    "partner_name": PARTNER_NAME,
    "participant_name_masked": "Eko S.",
    "completed_at": COMPLETED_AT,
    "issued_at": COMPLETED_AT,
    "revoked_at": None,
    "credential": CREDENTIAL,
    "jwks_uri": f"{BASE_URL}/.well-known/jwks.json",
}

CLOCK: dict[str, Any] = {"now": "2026-12-01T03:17:07.991659Z", "offset_seconds": 0, "expired_vouchers": 0}
TEST_PARTICIPANT: dict[str, Any] = {
    "id": PARTICIPANT_ID,
    "programme_number": "SBX-PRK-B6D3350B",
    "name": "Eko Saputra",
    "email": "peserta.b6d3350b@sandbox.test",
    "scheme": "2024",
    "status": "active",
    "balance": 3500000,
}
STATEMENT: dict[str, Any] = {
    "period": "2026-12",
    "status": "open",
    "total_payable": 700000,
    "total_clawed_back": 0,
    "total_carried_forward": 0,
    "net": 700000,
    "line_count": 1,
    "period_starts_at": "2026-12-01T00:00:00+07:00",
    "period_ends_at": "2027-01-01T00:00:00+07:00",
    "closed_at": None,
    "paid_at": None,
    "payment_reference": None,
}
STATEMENT_LINE: dict[str, Any] = {
    "id": "1",
    "kind": "payable",
    "voucher_code": VOUCHER_CODE,
    "course_id": COURSE_ID,
    "amount": 700000,
    "created_at": "2026-12-01T03:17:07.930479Z",
}
ENDPOINT: dict[str, Any] = {
    "id": ENDPOINT_ID,
    "url": "https://lms.terampil.example/hooks/prakerja",
    "event_types": ["enrollment.completed", "voucher.redeemed"],
    "status": "enabled",
    "previous_secret_expires_at": None,
    "created_at": "2026-12-01T03:17:08.320255Z",
    "updated_at": "2026-12-01T03:17:08.320255Z",
}
CURSOR = "WyIyMDI2LTEyLTAxVDAzOjE3OjA3LjY4NDU1OCswMDowMCIsImNyc18yYjljMjlkZmY0NzAxNTYyYTVhOCJd"


def page(*items: Any, next_cursor: str | None = None) -> dict[str, Any]:
    """A list answer: the items of this page and the cursor of the next (null on the last page)."""
    return {"items": list(items), "next_cursor": next_cursor}


EXAMPLES: dict[str, Example] = {
    # Public catalogue and certificates.
    "searchCatalogue": Example(
        "Approved courses on sale, newest first", response=page(CATALOGUE_COURSE, next_cursor=CURSOR)
    ),
    "getCatalogueCourse": Example(
        "A webinar on sale with its upcoming schedule",
        response={**CATALOGUE_COURSE, "schedules": [SCHEDULE]},
    ),
    "getCertificate": Example("A certificate you issued, with its signed credential", response=CERTIFICATE),
    "verifyCertificate": Example("A valid certificate, the participant's name masked", response=VERIFICATION),
    "verifyCertificateByNumber": Example("The same certificate found by its number", response=VERIFICATION),
    "getIssuerProfile": Example(
        "The issuer named in certificates",
        response={"id": f"{BASE_URL}/v1/partners/{PARTNER_ID}", "type": ["Profile"], "name": PARTNER_NAME},
    ),
    # Courses and schedules.
    "listCourses": Example(
        "Your courses, newest first",
        response=page(
            {
                key: value
                for key, value in APPROVED_COURSE.items()
                if key not in ("rejection_reasons", "curation_history")
            },
            WEBINAR,
            next_cursor=CURSOR,
        ),
    ),
    "createCourse": Example("A self-paced course of 5 modules, created as a draft", COURSE_CREATE, COURSE_DETAIL),
    "getCourse": Example("An approved course with its curation history", response=APPROVED_COURSE),
    "updateCourse": Example(
        "Lower the price of a draft (send the ETag you read as If-Match)",
        {"price": 700000, "public_price": 950000},
        {**COURSE_DETAIL, **EDITED},
    ),
    "archiveCourse": Example(
        "Take a course off sale for good",
        response={
            **WEBINAR,
            "status": "archived",
            "allowed_actions": [],
            "updated_at": "2026-12-01T03:17:08.392188Z",
            "rejection_reasons": [],
            "curation_history": [
                {**SUBMITTED, "at": "2026-12-01T03:17:07.669635Z"},
                {
                    "action": "approve",
                    "from_status": "submitted",
                    "to_status": "approved",
                    "reasons": [],
                    "at": ("2026-12-01T03:17:07.684558Z"),
                },
                {
                    "action": "archive",
                    "from_status": "approved",
                    "to_status": "archived",
                    "reasons": [],
                    "at": ("2026-12-01T03:17:08.392188Z"),
                },
            ],
        },
    ),
    "listSchedules": Example("The schedules of a webinar", response=page(SCHEDULE)),
    "addSchedule": Example(
        "Five daily sessions of 3 hours, 09:00 to 12:00 WIB",
        SCHEDULE_CREATE,
        {**SCHEDULE, "seats_left": 40},
    ),
    "getSchedule": Example("One schedule, with the seats left", response=SCHEDULE),
    "submitCourse": Example(
        "Send a draft to curation",
        response={
            **COURSE_DETAIL,
            **EDITED,
            "status": "submitted",
            "allowed_actions": ["archive"],
            "updated_at": "2026-12-01T03:17:07.548411Z",
            "curation_history": [{**SUBMITTED, "at": "2026-12-01T03:17:07.548411Z"}],
        },
    ),
    # Vouchers and redemption.
    "getVoucher": Example("A sold voucher, redeemable now", response=VOUCHER),
    "redeemVoucher": Example(
        "Redeem for your learner account lms-user-20931", {"learner_ref": "lms-user-20931"}, ENROLLMENT
    ),
    "voidVoucher": Example("Void a sold voucher; the participant is refunded", response=VOIDED_VOUCHER),
    # Learning.
    "listEnrollments": Example("Your enrollments, the most recently changed first", response=page(CERTIFIED)),
    "getEnrollment": Example("A completed enrollment with its certificate", response=CERTIFIED),
    "recordAssessment": Example(
        "A final assessment score of 88", {"score": 88, "assessed_at": "2026-12-01T10:17:07+07:00"}, ASSESSED
    ),
    "recordAttendance": Example("Module 5 done: every module is now attended", {"attended_at": ATTENDED_AT}, ATTENDED),
    "issueCertificate": Example(
        "Issue certificate PDU-2026-000417",
        {"number": CERTIFICATE_NUMBER, "issued_at": "2026-12-07T10:17:08+07:00"},
        CERTIFICATE,
    ),
    "revokeCertificate": Example(
        "Revoke a certificate issued by mistake",
        {"reason": "Nomor sertifikat salah ketik; diterbitkan ulang dengan nomor baru."},
        {**CERTIFICATE, "status": "revoked", "revoked_at": "2026-12-07T03:20:41Z"},
    ),
    "completeEnrollment": Example(
        "Complete after every module and the assessment",
        {"completed_at": "2026-12-07T10:17:08+07:00"},
        COMPLETED,
    ),
    # Events, identity, webhooks.
    "listEvents": Example(
        "Events since your last cursor",
        response={
            "items": [
                {
                    "id": "evt_5b0f6c2a9e8d4c71b3a2f1e0d9c8b7a6",
                    "type": "voucher.redeemed",
                    "created_at": REDEEMED_AT,
                    "data": {**VOUCHER, "status": "redeemed", "redeemed_at": REDEEMED_AT, "allowed_actions": []},
                },
                {
                    "id": "evt_9c4d1e7f2a3b4c5d8e6f0a1b2c3d4e5f",
                    "type": "enrollment.completed",
                    "created_at": COMPLETED_AT,
                    "data": COMPLETED,
                },
            ],
            "next_cursor": "NzUxLjI",
        },
    ),
    "getMe": Example(
        "Who your token speaks for",
        response={
            "client_id": "cli_8f2b6d4e1a3c5b7d9e0f",
            "partner_id": PARTNER_ID,
            "environment": "sandbox",
            "scopes": [
                "certificates:write",
                "courses:read",
                "courses:write",
                "enrollments:read",
                "events:read",
                "learning:write",
                "sandbox:simulate",
                "statements:read",
                "vouchers:read",
                "vouchers:redeem",
                "webhooks:manage",
            ],
            "token_id": "07qMcK8RmtWWx2Qx",
            "issued_at": "2026-12-01T03:17:07Z",
            "expires_at": "2026-12-01T03:32:07Z",
            "staff_id": None,
        },
    ),
    "listWebhookEndpoints": Example("Your endpoints (secrets are never shown again)", response=page(ENDPOINT)),
    "createWebhookEndpoint": Example(
        "Receive redemptions and completions; keep the secret it shows once",
        {
            "url": "https://lms.terampil.example/hooks/prakerja",
            "event_types": ["voucher.redeemed", "enrollment.completed"],
        },
        {**ENDPOINT, "secret": "whsec_asaHIxVtMQ7bNTzoUZuGDVBNdzke+vrzwoGR0w1Omb8="},
    ),
    "deleteWebhookEndpoint": Example("Stop deliveries to an endpoint and remove it"),
    "getWebhookEndpoint": Example("One endpoint", response=ENDPOINT),
    "listWebhookDeliveries": Example(
        "A delivery that failed once and then succeeded",
        response=page(
            {
                "event_id": "evt_5b0f6c2a9e8d4c71b3a2f1e0d9c8b7a6",
                "event_type": "voucher.redeemed",
                "attempt": 2,
                "attempted_at": "2026-12-01T03:18:12.40411Z",
                "status_code": 200,
                "latency_ms": 142,
                "error": None,
                "next_attempt_at": None,
            },
            {
                "event_id": "evt_5b0f6c2a9e8d4c71b3a2f1e0d9c8b7a6",
                "event_type": "voucher.redeemed",
                "attempt": 1,
                "attempted_at": "2026-12-01T03:17:08.51302Z",
                "status_code": 503,
                "latency_ms": 87,
                "error": "HTTP 503",
                "next_attempt_at": "2026-12-01T03:18:12Z",
            },
        ),
    ),
    "rotateWebhookSecret": Example(
        "A new secret; the previous one is still accepted for 24 hours",
        response={
            **ENDPOINT,
            "previous_secret_expires_at": "2026-12-02T03:17:08.361004Z",
            "updated_at": "2026-12-01T03:17:08.361004Z",
            "secret": "whsec_dQpH9TsihsdsgEU3JnDfeX8JqrqTfhYU/UJTKD/3mlk=",
        },
    ),
    "testWebhookEndpoint": Example(
        "A ping event queued for this endpoint",
        response={
            "id": "evt_dedc1368c40844068b6dc5697ff816d5",
            "type": "ping",
            "created_at": "2026-12-01T03:17:08.369138Z",
            "data": {"endpoint_id": ENDPOINT_ID},
        },
    ),
    # Statements.
    "listStatements": Example("Your monthly statements", response=page(STATEMENT)),
    "getStatement": Example("December 2026 so far: one redemption payable", response=STATEMENT),
    "listStatementLines": Example("The lines of a statement", response=page(STATEMENT_LINE)),
    "downloadStatementLines": Example(
        "The same lines as CSV",
        response=(
            "line_id,kind,voucher_code,course_id,amount,created_at\r\n"
            f"1,payable,{VOUCHER_CODE},{COURSE_ID},700000,2026-12-01T03:17:07.930479Z\r\n"
        ),
    ),
    # Sandbox.
    "getTestClock": Example("The sandbox clock, not yet advanced", response=CLOCK),
    "advanceTestClock": Example(
        "Six days later (one self-paced voucher expired meanwhile)",
        {"seconds": 518400},
        {"now": "2026-12-07T03:17:08.122344Z", "offset_seconds": 518400, "expired_vouchers": 1},
    ),
    "selfApproveCourse": Example("Approve your own submitted course at once", response=APPROVED_COURSE),
    "createTestParticipant": Example(
        "A test participant of the 2024 scheme with Rp 3.500.000", {"scheme": "2024"}, TEST_PARTICIPANT
    ),
    "getTestParticipant": Example(
        "A test participant after one purchase", response={**TEST_PARTICIPANT, "balance": 2800000}
    ),
    "resetSandbox": Example(
        "Delete your sandbox data but keep the seeded demo courses",
        {"seeded_courses": False},
        {"courses": 2, "vouchers": 3, "participants": 4, "kept_courses": 5},
    ),
    "closeMyTestStatement": Example(
        "Close December 2026 after advancing the clock past its end in Asia/Jakarta",
        response={**STATEMENT, "status": "closed", "closed_at": "2026-12-31T17:00:05Z"},
    ),
    "createTestVoucher": Example(
        "Sell your course to your test participant",
        {"course_id": COURSE_ID, "participant_id": PARTICIPANT_ID},
        {**VOUCHER, "participant_id": PARTICIPANT_ID, "partner_id": PARTNER_ID},
    ),
}
