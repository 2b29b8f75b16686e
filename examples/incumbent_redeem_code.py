"""A provider's existing integration with the incumbent programme's redeem-code API, moved by changing BASE_URL.

Written the way the incumbent's published Python example is: `requests`, the three headers `client_code`,
`timestamp` and `signature`, the signature over the compact body, and the body sent as `json.dumps(payload)`
(with a space after the colon). See docs/compatibility.md.

    python examples/incumbent_redeem_code.py --base-url http://127.0.0.1:8000 \
        --client-code CODE --sign-key KEY --redeem-code SBX-XXXX-XXXX-XXXX

Get a sandbox client_code and sign_key for the demo partner with `python -m api integration-keys issue`.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import time
from typing import Any

import requests

BASE_URL = "https://api.prakerja.go.id"  # the only line a provider changes to move here


def call(base_url: str, client_code: str, sign_key: str, endpoint: str, redeem_code: str) -> Any:
    """POST one redeem-code request, signed as the incumbent's example signs it, and return the JSON answer."""
    path = "/api/v1/integration/payment/redeem-code/" + endpoint
    timestamp = str(int(time.time()))
    method = "POST"
    payload = {"redeem_code": redeem_code}
    raw_signature = client_code + timestamp + method + path + '{"redeem_code":"' + redeem_code + '"}'
    signature = hmac.new(sign_key.encode("utf-8"), raw_signature.encode("utf-8"), hashlib.sha1).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "client_code": client_code,
        "timestamp": timestamp,
        "signature": signature,
    }
    response = requests.post(base_url + path, headers=headers, data=json.dumps(payload), timeout=30)
    return response.json()


def check_redeem_code(base_url: str, client_code: str, sign_key: str, redeem_code: str) -> Any:
    return call(base_url, client_code, sign_key, "status", redeem_code)


def commit_redeem_code(base_url: str, client_code: str, sign_key: str, redeem_code: str) -> Any:
    return call(base_url, client_code, sign_key, "commit", redeem_code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=BASE_URL)
    parser.add_argument("--client-code", required=True)
    parser.add_argument("--sign-key", required=True)
    parser.add_argument("--redeem-code", required=True)
    args = parser.parse_args()
    status = check_redeem_code(args.base_url, args.client_code, args.sign_key, args.redeem_code)
    print(json.dumps(status, indent=2))
    if status["success"] and status["data"]["usable"]:
        print(
            json.dumps(commit_redeem_code(args.base_url, args.client_code, args.sign_key, args.redeem_code), indent=2)
        )


if __name__ == "__main__":
    main()
