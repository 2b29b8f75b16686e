"""The body rules the spec states (a union per status, exactly one of two fields, scope and URL forms) are the
decoder's: for each body below, the committed document and the msgspec type give the same verdict."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from api.schemas.disbursements import DisbursementResults
from api.schemas.partners import ClientCreate
from api.schemas.sandbox import ClockAdvance
from api.schemas.webhooks import WebhookEndpointCreate
from domain.webhooks import check_url
from tests.unit.test_openapi_lint import document, schema_errors

PAID = {"transfer_id": "itr_1", "status": "paid", "reference": "BNI-20261201-77"}
FAILED = {"transfer_id": "itr_2", "status": "failed", "reason": "account closed"}
CLIENT = {"name": "LMS production", "environment": "sandbox"}

# (component, its msgspec type, body, whether it is valid)
CASES: list[tuple[str, type[msgspec.Struct], dict[str, Any], bool]] = [
    ("ClockAdvance", ClockAdvance, {"seconds": 60}, True),
    ("ClockAdvance", ClockAdvance, {"to": "2030-01-01T00:00:00Z"}, True),
    ("ClockAdvance", ClockAdvance, {"seconds": 60, "to": None}, True),
    ("ClockAdvance", ClockAdvance, {}, False),
    ("ClockAdvance", ClockAdvance, {"seconds": None, "to": None}, False),
    ("ClockAdvance", ClockAdvance, {"seconds": 60, "to": "2030-01-01T00:00:00Z"}, False),
    ("DisbursementResults", DisbursementResults, {"results": [PAID, FAILED]}, True),
    ("DisbursementResults", DisbursementResults, {"results": [{**PAID, "reason": None}]}, True),
    ("DisbursementResults", DisbursementResults, {"results": [{**FAILED, "reference": None}]}, True),
    ("DisbursementResults", DisbursementResults, {"results": [{**PAID, "reason": "account closed"}]}, False),
    ("DisbursementResults", DisbursementResults, {"results": [{**FAILED, "reference": "X-1"}]}, False),
    ("DisbursementResults", DisbursementResults, {"results": [{"transfer_id": "itr_1", "status": "paid"}]}, False),
    ("DisbursementResults", DisbursementResults, {"results": [{"transfer_id": "itr_2", "status": "failed"}]}, False),
    ("DisbursementResults", DisbursementResults, {"results": [{**PAID, "status": "pending"}]}, False),
    ("ClientCreate", ClientCreate, {**CLIENT, "scopes": ["courses:read", "sandbox:simulate"]}, True),
    ("ClientCreate", ClientCreate, {**CLIENT, "scopes": ["programme:finance"]}, False),
    ("ClientCreate", ClientCreate, {**CLIENT, "scopes": ["courses:reed"]}, False),
]
URLS = {
    "https://lms.example.id/hooks/prakerja": True,
    "http://localhost:8080/hooks?partner=a&v=1": True,
    "https://192.0.2.10:65535/%7Eops/x": True,
    "https://lms.example.id": True,
    "HTTPS://LMS.example.id:/x": True,
    "https://[2001:db8::1]:8443/hooks": True,
    "https://lms_hooks.example.id/x": True,
    "https://bücher.example.id/x": False,
    "https://lms.example.id/a b": False,
    "ftp://lms.example.id/x": False,
    "/hooks": False,
    "https://user:pw@lms.example.id/x": False,
    "https://lms.example.id/x#top": False,
    "https://lms.example.id/a|b": False,
    "https://lms.example.id:65536/x": False,
    "https://lms.example.id/%zz": False,
}
CASES += [("WebhookEndpointCreate", WebhookEndpointCreate, {"url": url}, valid) for url, valid in URLS.items()]


def decodes(kind: type[msgspec.Struct], body: dict[str, Any]) -> bool:
    try:
        msgspec.json.decode(msgspec.json.encode(body), type=kind)
    except msgspec.ValidationError:
        return False
    return True


@pytest.mark.parametrize(("component", "kind", "body", "valid"), CASES)
def test_the_spec_and_the_decoder_agree(
    component: str, kind: type[msgspec.Struct], body: dict[str, Any], valid: bool
) -> None:
    errors = schema_errors({"$ref": f"#/components/schemas/{component}"}, body)
    assert (errors == []) is valid, errors
    assert decodes(kind, body) is valid


@pytest.mark.parametrize("url", [url for url, valid in URLS.items() if valid])
def test_a_url_the_spec_allows_passes_the_url_rules(url: str) -> None:
    check_url(url, production=False)  # raises ValidationFailed otherwise


def test_a_transfer_result_is_told_apart_by_its_status() -> None:
    items = document()["components"]["schemas"]["DisbursementResults"]["properties"]["results"]["items"]
    assert items["discriminator"] == {
        "propertyName": "status",
        "mapping": {"paid": "#/components/schemas/PaidResult", "failed": "#/components/schemas/FailedResult"},
    }
    assert {member["$ref"] for member in items["oneOf"]} == set(items["discriminator"]["mapping"].values())
