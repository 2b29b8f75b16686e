"""Every domain error has an HTTP status in the one error map."""

from __future__ import annotations

from api.http.errors import DOMAIN_STATUS
from domain.errors import all_domain_errors


def test_every_domain_error_code_has_a_status() -> None:
    missing = {cls.__name__: cls.code for cls in all_domain_errors() if cls.code not in DOMAIN_STATUS}
    assert missing == {}


def test_rule_violations_are_409_and_validation_422() -> None:
    assert DOMAIN_STATUS["validation_failed"] == 422
    assert DOMAIN_STATUS["not_found"] == 404
    assert DOMAIN_STATUS["voucher_already_redeemed"] == 409
