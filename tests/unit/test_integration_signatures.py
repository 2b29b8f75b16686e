"""The incumbent's request signature: the published test vector, the canonical body, the window, the refusal map."""

from __future__ import annotations

import json

import pytest

from api.auth.integration_signatures import (
    WINDOW_SECONDS,
    canonical_body,
    sign,
    signature_matches,
    string_to_sign,
    timestamp_fresh,
)
from api.routes.compatibility import REFUSALS, Refusal
from api.routes.vouchers import VoucherController
from domain import errors

COMMIT = "/api/v1/integration/payment/redeem-code/commit"


def test_the_published_test_vector() -> None:
    assert (
        string_to_sign("myclient_code", "1516239022", COMMIT, b'{"redeem_code":"code"}')
        == b'myclient_code1516239022POST/api/v1/integration/payment/redeem-code/commit{"redeem_code":"code"}'
    )
    signature = sign("my_sign_key", "myclient_code", "1516239022", COMMIT, b'{"redeem_code":"code"}')
    assert signature == "943c20a8e36b6243f576404b00fffdc86411ce1f"


def test_the_body_json_dumps_sends_is_verified_in_its_compact_form() -> None:
    sent = json.dumps({"redeem_code": "code"}).encode()
    assert sent == b'{"redeem_code": "code"}'  # what the incumbent's Python example puts on the wire
    body = canonical_body(sent)
    assert body == b'{"redeem_code":"code"}'
    assert signature_matches(
        ["my_sign_key"], "943c20a8e36b6243f576404b00fffdc86411ce1f", "myclient_code", "1516239022", COMMIT, body
    )


def test_canonical_form_keeps_member_order_and_characters() -> None:
    assert canonical_body(b'{ "sequence" : 1 ,\n "redeem_code": "A"}') == b'{"sequence":1,"redeem_code":"A"}'
    assert canonical_body('{"redeem_code": "é"}'.encode()) == '{"redeem_code":"é"}'.encode()
    assert canonical_body(b'{"redeem_code":"x","sequence":1}') == b'{"redeem_code":"x","sequence":1}'


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1]", b'"code"', b"\xff"])
def test_a_body_that_is_not_a_json_object_has_no_canonical_form(raw: bytes) -> None:
    assert canonical_body(raw) is None


def test_signatures_compare_case_insensitively_against_every_valid_key() -> None:
    body = b'{"redeem_code":"code"}'
    good = sign("new", "c", "1", COMMIT, body)
    assert signature_matches(["old", "new"], good.upper(), "c", "1", COMMIT, body)
    assert not signature_matches(["old"], good, "c", "1", COMMIT, body)
    assert not signature_matches([], good, "c", "1", COMMIT, body)
    # The path and the timestamp are signed: the same signature does not carry over.
    assert not signature_matches(["new"], good, "c", "2", COMMIT, body)
    assert not signature_matches(["new"], good, "c", "1", COMMIT.replace("commit", "status"), body)


def test_the_timestamp_window_is_300_seconds_either_way() -> None:
    now = 1_700_000_000.0
    assert WINDOW_SECONDS == 300
    assert timestamp_fresh(1_700_000_300, now)
    assert timestamp_fresh(1_699_999_700, now)
    assert not timestamp_fresh(1_700_000_301, now)
    assert not timestamp_fresh(1_699_999_699, now)


def test_every_domain_refusal_has_its_envelope_status_and_message() -> None:
    """Restated independently of api/routes/compatibility.py: what a provider reads for each refusal."""
    assert {error: (refusal.status, refusal.message) for error, refusal in REFUSALS.items()} == {
        errors.NotFound: (404, "Redeem code not found."),
        errors.VoucherAlreadyRedeemed: (409, "Redeem code has already been used."),
        errors.VoucherExpired: (409, "Redeem code has expired."),
        errors.VoucherCancelled: (409, "Redeem code has been cancelled."),
        errors.VoucherFraudulent: (409, "Redeem code was flagged as fraudulent and cannot be used."),
        errors.RedemptionWindowClosed: (
            409,
            "Redeem code can be used only from 1 hour before to 1 hour after its schedule starts.",
        ),
        errors.ParticipantFrozen: (409, "The participant is under review; the redeem code cannot be used now."),
        errors.ParticipantRevoked: (409, "The participant's membership was revoked; the redeem code cannot be used."),
        errors.CourseNotOnSale: (409, "The course is suspended; the redeem code cannot be used now."),
        errors.LearnerAlreadyEnrolled: (409, "This learner already redeemed this course."),
        errors.InvalidStateTransition: (409, "The enrollment is no longer active; attendance cannot be recorded."),
        errors.ValidationFailed: (422, "The request is not valid."),
        errors.InvalidRequest: (400, "The request is not valid."),
    }
    assert all(isinstance(r, Refusal) for r in REFUSALS.values())


def test_every_refusal_of_the_v1_redemption_is_mapped() -> None:
    """A commit is the /v1 redemption: whatever that route can refuse with, this layer translates explicitly."""
    declared = set(VoucherController.redeem.opt["errors"])
    assert declared
    assert declared <= set(REFUSALS)
