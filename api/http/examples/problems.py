"""The `detail` of each error code's example in the OpenAPI document, one line per code, written for a reader.

`api/http/openapi.py` builds one example per documented error status from the first code listed for it, with
the title the API answers that code with (`api.http.errors.problem_title`) and the detail below. Details read
like the server's own (times in UTC with a `Z`, rupiah as integers); the spec lint requires one for every code
an example shows.
"""

from __future__ import annotations

from api.settings import MAX_BODY_BYTES

DETAILS: dict[str, str] = {
    # Input, authentication and protocol (every endpoint).
    "invalid_request": "The request body is not valid JSON.",
    "validation_failed": "The request does not match the schema.",
    "invalid_token": "The access token is invalid or expired.",
    "insufficient_scope": "This operation needs the scope(s): vouchers:redeem.",
    "not_found": "No such resource.",
    "method_not_allowed": "This method is not allowed on this resource.",
    "not_acceptable": "This endpoint answers application/json only.",
    "precondition_failed": 'If-Match "3" does not match the current ETag "4": the course changed since you read it.',
    "precondition_required": "An update needs an If-Match header with the ETag you read.",
    "payload_too_large": f"The request body is larger than {MAX_BODY_BYTES} bytes.",
    "unsupported_media_type": "Request bodies must be sent as `Content-Type: application/json`, not `text/plain`.",
    "rate_limited": "This client may make 600 such requests per minute; try again in 17 s.",
    "idempotency_key_required": "This operation requires an Idempotency-Key header.",
    "idempotency_key_reused": (
        "This idempotency key was already used for a different request; use a new key for a new request."
    ),
    "idempotency_request_in_progress": ("A request with this idempotency key is still being processed; retry shortly."),
    "conflict": "A concurrent request changed this resource first; read it and try again.",
    "internal_error": "The server could not complete the request.",
    "service_unavailable": "The service is temporarily unavailable; retry later.",
    # OAuth 2.0 (RFC 6749) at /oauth/*.
    "invalid_client": "client authentication failed: unknown client or wrong secret",
    "unsupported_grant_type": (
        "grant_type password is not supported; this server supports client_credentials and "
        "urn:ietf:params:oauth:grant-type:token-exchange."
    ),
    "invalid_scope": "The client does not hold every requested scope.",
    "unauthorized_client": "Only a programme client may act for staff.",
    # The compatibility layer's signed requests.
    "invalid_signature": "The signature does not match the request.",
    "stale_timestamp": "The timestamp header is more than 300 seconds from the server's time.",
    "replayed_request": "This exact signed request was already received.",
    # Redemption refusals.
    "voucher_already_redeemed": "The voucher is already redeemed.",
    "voucher_expired": "The voucher expired at 2026-12-31T03:17:07Z.",
    "voucher_cancelled": "Voucher SBX-VMYH-E74J-BVSH was cancelled before it was redeemed; the balance was refunded.",
    "voucher_fraudulent": "Voucher SBX-513C-5EYD-RZV2 was flagged as fraudulent and can never be redeemed.",
    "voucher_void_not_allowed": "Only a sold voucher can be voided; SBX-513C-5EYD-RZV2 is redeemed.",
    "redemption_window_closed": ("The voucher can be redeemed only from 2026-12-04T01:00:00Z to 2026-12-04T03:00:00Z."),
    "learner_already_enrolled": "This learner account already redeemed this course.",
    "participant_frozen": "The participant is under investigation: no purchase and no redemption until unfrozen.",
    "participant_revoked": "The first course had to be bought by 2026-11-30T16:59:59Z.",
    "course_not_on_sale": "The course is suspended; its vouchers cannot be redeemed now.",
    # Courses, learning and certificates.
    "invalid_state_transition": (
        "Cannot submit this course: it is submitted; submit applies only to: draft, rejected."
    ),
    "course_rule_violated": "price: Must not exceed the public price charged outside the programme.",
    "attendance_incomplete": "3 of 5 modules completed.",
    "assessment_missing": "No final assessment has been recorded.",
    "completion_too_early": (
        "A 15-hour self_paced course, at most 3 hours a day, spans at least 5 calendar days; "
        "it may be completed from 2026-12-05T00:00:00Z."
    ),
    "not_completed": "The enrollment is active; a certificate needs a completed enrollment.",
    "certificate_number_taken": "You already issued certificate number 'PDU-2026-000417'.",
    "out_of_time_order": "attended_at 2026-12-01T02:00:00Z is before the redemption at 2026-12-01T03:17:07Z.",
    # Programme side: participants, purchases and partners.
    "insufficient_balance": "The course costs Rp 750,000 but the balance is Rp 500,000.",
    "active_training_exists": "The participant must complete the current training first.",
    "course_already_purchased": "The participant already bought this course.",
    "schedule_full": "This schedule has no seats left.",
    "partner_suspended": "A suspended partner cannot be issued new clients.",
    "participant_already_enrolled": "This participant is already enrolled.",
    "environment_not_served": "This deployment serves sandbox clients only.",
}

# At /oauth/* a code may mean something else than at /v1 (Authlib's refusals, in RFC 6749's words; a body that is
# not a form).
OAUTH_DETAILS: dict[str, str] = {
    "invalid_request": ("The request is missing a required parameter or includes an unsupported parameter value."),
    "unsupported_media_type": (
        "This endpoint takes a form, `Content-Type: application/x-www-form-urlencoded` (RFC 6749), "
        "not `application/json`."
    ),
}
