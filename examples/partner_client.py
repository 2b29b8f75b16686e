"""A partner integration against the sandbox, from token to verified certificate, with plain httpx.

    python examples/partner_client.py --base-url http://127.0.0.1:8000 --client-id ID --client-secret SECRET

What it shows a partner developer:
- one access token reused until shortly before it expires (never one per call);
- an Idempotency-Key on every call that creates something or moves money, kept for that operation's retries;
- retries only where they are safe: network errors, 429/503 (honouring Retry-After) and 409
  `idempotency_request_in_progress`, always with the same key, with backoff;
- reading `allowed_actions` and `blockers` instead of guessing.
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

RETRYABLE_STATUS = {429, 502, 503, 504}


class PartnerClient:
    """A small, careful client of the partner API."""

    def __init__(self, base_url: str, client_id: str, client_secret: str, http: httpx.Client | None = None) -> None:
        self.http = http or httpx.Client(base_url=base_url, timeout=30)
        self.client_id = client_id
        self.client_secret = client_secret
        self._token: str | None = None
        self._token_expires = 0.0

    def token(self) -> str:
        """A valid access token, fetched again one minute before the current one expires."""
        if self._token is None or time.monotonic() > self._token_expires - 60:
            response = self.http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(self.client_id, self.client_secret),
            )
            response.raise_for_status()
            body = response.json()
            self._token = body["access_token"]
            self._token_expires = time.monotonic() + body["expires_in"]
        return self._token

    def call(self, method: str, path: str, *, json_body: Any = None, idempotent_write: bool = False) -> Any:
        """One API call with safe retries; raises with the problem's `code` on a final error."""
        headers = {"Authorization": f"Bearer {self.token()}"}
        if idempotent_write:
            headers["Idempotency-Key"] = str(uuid.uuid4())  # one key per operation, reused by its retries
        for attempt in range(5):
            try:
                response = self.http.request(method, path, json=json_body, headers=headers)
            except httpx.TransportError:
                if attempt == 4:
                    raise
                time.sleep(0.2 * 2**attempt)
                continue
            retry = response.status_code in RETRYABLE_STATUS or (
                response.status_code == 409 and response.json().get("code") == "idempotency_request_in_progress"
            )
            if retry and attempt < 4 and (idempotent_write or method == "GET"):
                time.sleep(float(response.headers.get("Retry-After", 0.2 * 2**attempt)))
                continue
            if response.status_code >= 400:
                problem = response.json()
                raise RuntimeError(
                    f"{method} {path}: {response.status_code} {problem.get('code')}: {problem.get('detail')}"
                )
            return response.json()
        raise RuntimeError("unreachable")


def now_iso(client: PartnerClient) -> str:
    """The sandbox clock's now (all learning reports must lie between redemption and now)."""
    return str(client.call("GET", "/v1/sandbox/clock")["now"])


def walkthrough(client: PartnerClient, log: Any = print) -> dict[str, Any]:
    """Publish a course, sell it to a test participant, teach it, certify it, and verify the certificate."""
    course = client.call(
        "POST",
        "/v1/courses",
        json_body={
            "title": "Dasar Digital Marketing",
            "description": "Strategi media sosial, iklan berbayar dan analitik untuk usaha kecil.",
            "category": "marketing",
            "format": "self_paced",
            "hours": 15,
            "price": 1_500_000,
            "public_price": 2_000_000,
            "competencies": ["media sosial", "iklan digital"],
            "language": "id",
            "modules": 5,
        },
    )
    log(f"1. course {course['id']} created as {course['status']}")
    course = client.call("POST", f"/v1/sandbox/courses/{course['id']}/approve")
    log(f"2. course {course['status']} (sandbox curation is instant)")
    participant = client.call("POST", "/v1/sandbox/participants", json_body={"scheme": "2024"})
    log(f"3. test participant {participant['id']} with balance Rp {participant['balance']:,}")
    voucher = client.call(
        "POST", "/v1/sandbox/vouchers", json_body={"course_id": course["id"], "participant_id": participant["id"]}
    )
    log(f"4. voucher {voucher['code']} sold")
    checked = client.call("GET", f"/v1/vouchers/{voucher['code']}")
    log(f"5. voucher allows {checked['allowed_actions']} for {checked['participant']['name_masked']}")
    enrollment = client.call(
        "POST",
        f"/v1/vouchers/{voucher['code']}/redeem",
        json_body={"learner_ref": f"lms-{secrets.token_hex(4)}"},
        idempotent_write=True,
    )
    log(f"6. redeemed: enrollment {enrollment['id']}; blockers {[b['code'] for b in enrollment['blockers']]}")
    for sequence in range(1, enrollment["required_sessions"] + 1):
        client.call(
            "PUT",
            f"/v1/enrollments/{enrollment['id']}/attendance/{sequence}",
            json_body={"attended_at": now_iso(client)},
        )
    log(f"7. attendance 1..{enrollment['required_sessions']} recorded")
    enrollment = client.call(
        "PUT", f"/v1/enrollments/{enrollment['id']}/assessment", json_body={"score": 88, "assessed_at": now_iso(client)}
    )
    earliest = next(b for b in enrollment["blockers"] if b["code"] == "completion_too_early")["earliest_completion_at"]
    log(f"8. assessment recorded; earliest completion {earliest}")
    clock = client.call("GET", "/v1/sandbox/clock")
    wait = datetime.fromisoformat(earliest) - datetime.fromisoformat(clock["now"])
    client.call("POST", "/v1/sandbox/clock/advance", json_body={"seconds": max(1, int(wait.total_seconds()) + 60)})
    log("9. sandbox clock advanced past the earliest completion")
    enrollment = client.call(
        "POST",
        f"/v1/enrollments/{enrollment['id']}/completion",
        json_body={"completed_at": now_iso(client)},
        idempotent_write=True,
    )
    log(f"10. enrollment {enrollment['status']}")
    certificate = client.call(
        "POST",
        f"/v1/enrollments/{enrollment['id']}/certificate",
        json_body={"number": f"DEMO-{secrets.token_hex(3).upper()}", "issued_at": now_iso(client)},
        idempotent_write=True,
    )
    log(f"11. certificate {certificate['number']} issued")
    verification = client.http.get(f"/v1/certificates/{certificate['id']}/verification").json()
    log(f"12. public verification: {verification['status']} for {verification['participant_name_masked']}")
    return dict(verification)


def verify_offline(verification: dict[str, Any], jwks: dict[str, Any]) -> dict[str, Any]:
    """Check the credential's signature with nothing but the published JWKS (any JOSE library works)."""
    from joserfc import jwk, jwt

    token = jwt.decode(verification["credential"], jwk.KeySet.import_key_set(jwks), algorithms=["ES256"])
    return dict(token.claims)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    args = parser.parse_args()
    client = PartnerClient(args.base_url, args.client_id, args.client_secret)
    verification = walkthrough(client)
    claims = verify_offline(verification, client.http.get("/.well-known/jwks.json").json())
    print(json.dumps({"verification": verification, "credential_claims": claims}, indent=2, default=str))
    achievement = claims["vc"]["credentialSubject"]["achievement"]["name"]
    print(f"\nverified offline: {achievement} on {datetime.now(UTC):%Y-%m-%d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
